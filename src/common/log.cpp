#include "common/log.hpp"

#include <spdlog/sinks/stdout_sinks.h>

namespace baselinr {
namespace {

StatusLine* g_status_line = nullptr;  // guarded by terminal_mutex()

// stderr, with the status line (if any) out of the way of each message.
class StderrSink final : public spdlog::sinks::stderr_sink<spdlog::details::console_nullmutex> {
 public:
  void log(const spdlog::details::log_msg& msg) override {
    std::lock_guard lock(terminal_mutex());
    if (g_status_line) g_status_line->erase_locked();
    stderr_sink::log(msg);
    stderr_sink::flush();
    if (g_status_line) g_status_line->draw_locked();
  }
};

}  // namespace

std::mutex& terminal_mutex() {
  static std::mutex m;
  return m;
}

void set_status_line(StatusLine* line) {
  std::lock_guard lock(terminal_mutex());
  g_status_line = line;
}

spdlog::logger& log() {
  static std::shared_ptr<spdlog::logger> logger = [] {
    auto sink = std::make_shared<StderrSink>();
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
