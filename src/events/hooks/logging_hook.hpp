// Logs one line per event: "[ALERT] <event_type>: <metadata JSON>" at the configured level.
#pragma once

#include <spdlog/common.h>

#include "events/hooks/destination.hpp"

namespace baselinr::hooks {

class LoggingHook final : public Destination {
 public:
  explicit LoggingHook(spdlog::level::level_enum level) : Destination(10), level_(level) {}
  void deliver(const std::vector<Event>& events, const Deadline& deadline) override;

 private:
  spdlog::level::level_enum level_;
};

// "DEBUG", "INFO", "WARNING", "ERROR" -> spdlog level.
spdlog::level::level_enum parse_log_level(std::string_view name);

}  // namespace baselinr::hooks
