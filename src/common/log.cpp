#include "common/log.hpp"

#include <spdlog/sinks/stdout_sinks.h>

namespace baselinr {

spdlog::logger& log() {
  static std::shared_ptr<spdlog::logger> logger = [] {
    auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    auto l = std::make_shared<spdlog::logger>("baselinr", sink);
    l->set_pattern("%Y-%m-%d %H:%M:%S %^%l%$ %v");
    l->set_level(spdlog::level::info);
    l->flush_on(spdlog::level::trace);
    return l;
  }();
  return *logger;
}

void set_log_level(spdlog::level::level_enum level) { log().set_level(level); }

}  // namespace baselinr
