// Logs one line per event: "[ALERT] <event_type>: <metadata JSON>" at the configured level.
#pragma once

#include <spdlog/common.h>

#include "baselinr/hook.hpp"

namespace baselinr::hooks {

class LoggingHook final : public Hook {
 public:
  explicit LoggingHook(spdlog::level::level_enum level) : level_(level) {}
  void handle_event(const Event& event) override;

 private:
  spdlog::level::level_enum level_;
};

// "DEBUG", "INFO", "WARNING", "ERROR" -> spdlog level.
spdlog::level::level_enum parse_log_level(std::string_view name);

}  // namespace baselinr::hooks
