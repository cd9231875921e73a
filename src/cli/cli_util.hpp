// Helpers shared by the CLI commands.
#pragma once

#include <string>
#include <vector>

#include "baselinr/config.hpp"
#include "baselinr/event_bus.hpp"

namespace baselinr::cli {

Config load(const std::string& path);

// Prints hook delivery failures (one line per failing hook) to stderr.
void report_hook_failures(const EventBus& bus);

// A plain text table: header row, then rows; columns padded to their widest cell.
std::string text_table(const std::vector<std::string>& header,
                       const std::vector<std::vector<std::string>>& rows);

bool stderr_is_terminal();

}  // namespace baselinr::cli
