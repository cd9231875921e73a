// Progress of long work on stderr, for people watching a terminal: one status line redrawn in
// place ("profiling: 3 of 10 done · 0:42 · now: orders, customers"), updated as items start and
// finish and once a second for the elapsed time, and erased when the work ends so the final
// summary reads as before. Log lines written meanwhile appear above the status line.
//
// Nothing at all is written when disabled (stderr is not a terminal, or --quiet).
// Thread-safety: started() and finished() may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace spdlog::sinks {
class sink;
}

namespace baselinr::cli {

class ProgressLine {
 public:
  ProgressLine(std::string verb, std::size_t total, bool enabled);
  ~ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  void started(const std::string& item);
  void finished(const std::string& item, bool ok);

  // Called by the logger wrapper: erase the status line, write, draw it again.
  void erase_locked();
  void draw_locked();
  std::mutex& mutex() { return mutex_; }

 private:
  std::string line() const;

  const std::string verb_;
  const std::size_t total_;
  const bool enabled_;
  const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::vector<std::string> running_;
  std::size_t done_ = 0;
  std::size_t failed_ = 0;
  std::size_t drawn_ = 0;  // characters of the status line on screen
  std::vector<std::shared_ptr<spdlog::sinks::sink>> saved_sinks_;
  std::thread ticker_;
};

}  // namespace baselinr::cli
