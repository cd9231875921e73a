// Helpers shared by the CLI commands.
#pragma once

#include <string>
#include <vector>

#include "baselinr/config.hpp"
#include "baselinr/delivery.hpp"
#include "baselinr/event_bus.hpp"

namespace CLI {
class App;
}

namespace baselinr::cli {

// The required -c/--config FILE option.
void add_config(CLI::App* cmd, std::string& target);
// --output text|json: the stdout format.
void add_format(CLI::App* cmd, std::string& target);
// The subcommand `name` of `app` (e.g. "hooks"), created with `description` on first use, that
// groups further subcommands and requires one of them.
CLI::App* command_group(CLI::App& app, const std::string& name, const std::string& description);

Config load(const std::string& path);

// Prints hook delivery failures (one line per failing hook) to stderr.
void report_hook_failures(const EventBus& bus);
// Prints one line per hook whose deliveries did not all go through (failed, retried, paused or
// left pending) to stderr.
void report_deliveries(const DeliveryReport& report);

// A plain text table: header row, then rows; columns padded to their widest cell.
std::string text_table(const std::vector<std::string>& header,
                       const std::vector<std::vector<std::string>>& rows);

bool stderr_is_terminal();

}  // namespace baselinr::cli
