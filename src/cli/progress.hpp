// Progress of long work on stderr, for people watching a terminal: one status line redrawn in
// place ("profiling: 3 of 10 done · 0:42 · now: orders, customers"), updated as items start and
// finish and once a second for the elapsed time, and erased when the work ends so the final
// summary reads as before. The logger erases and redraws it around each message it writes, so
// log lines appear above it (common/log.hpp).
//
// Nothing at all is written when disabled (stderr is not a terminal, or --quiet).
// Thread-safety: started() and finished() may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <string>
#include <thread>
#include <vector>

#include "common/log.hpp"

namespace baselinr::cli {

class ProgressLine final : public StatusLine {
 public:
  ProgressLine(std::string verb, std::size_t total, bool enabled);
  ~ProgressLine() override;
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  void started(const std::string& item);
  void finished(const std::string& item, bool ok);

  // StatusLine, with terminal_mutex() held.
  void erase_locked() override;
  void draw_locked() override;

 private:
  std::string line() const;

  const std::string verb_;
  const std::size_t total_;
  const bool enabled_;
  const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  // Guarded by terminal_mutex().
  std::condition_variable wake_;
  bool stop_ = false;
  std::vector<std::string> running_;
  std::size_t done_ = 0;
  std::size_t failed_ = 0;
  std::size_t drawn_ = 0;  // characters of the status line on screen
  std::thread ticker_;
};

}  // namespace baselinr::cli
