// The library's logger: one spdlog logger named "baselinr", writing to stderr.
#pragma once

#include <spdlog/spdlog.h>

#include <mutex>

namespace baselinr {

spdlog::logger& log();
// Sets the threshold of the shared logger (the CLI's --verbose / --quiet).
void set_log_level(spdlog::level::level_enum level);

// A line kept at the bottom of a terminal (a progress line): the logger erases it before it
// writes a message to stderr and draws it again after. Both are called with terminal_mutex()
// held, which is also what the line's owner holds while it draws.
class StatusLine {
 public:
  virtual ~StatusLine() = default;
  virtual void erase_locked() = 0;
  virtual void draw_locked() = 0;
};
std::mutex& terminal_mutex();
// Installs (or, with nullptr, removes) the status line; takes terminal_mutex().
void set_status_line(StatusLine* line);

}  // namespace baselinr
