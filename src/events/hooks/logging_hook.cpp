#include "events/hooks/logging_hook.hpp"

#include "common/log.hpp"
#include "common/text.hpp"

namespace baselinr::hooks {

void LoggingHook::deliver(const std::vector<Event>& events, const Deadline& /*deadline*/) {
  for (const auto& event : events) {
    log().log(level_, "[ALERT] {}: {}", event.event_type(), event.metadata_json());
  }
}

spdlog::level::level_enum parse_log_level(std::string_view name) {
  std::string n = to_lower(name);
  if (n == "debug") return spdlog::level::debug;
  if (n == "warning" || n == "warn") return spdlog::level::warn;
  if (n == "error") return spdlog::level::err;
  return spdlog::level::info;
}

}  // namespace baselinr::hooks
