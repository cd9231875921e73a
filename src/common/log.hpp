// The library's logger: one spdlog logger named "baselinr", writing to stderr.
#pragma once

#include <spdlog/spdlog.h>

namespace baselinr {

spdlog::logger& log();
// Sets the threshold of the shared logger (the CLI's --verbose / --quiet).
void set_log_level(spdlog::level::level_enum level);

}  // namespace baselinr
