#include "cli/progress.hpp"

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <mutex>

namespace baselinr::cli {
namespace {

std::size_t terminal_width() {
  winsize ws{};
  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 80;
}

bool starts_character(char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }

// Characters (code points) in UTF-8 text.
std::size_t width_of(const std::string& s) {
  return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), starts_character));
}

// The first `max` characters of UTF-8 text.
std::string cut(const std::string& s, std::size_t max) {
  std::size_t chars = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (starts_character(s[i]) && chars++ == max) return s.substr(0, i);
  }
  return s;
}

std::string elapsed(std::chrono::steady_clock::duration d) {
  const auto s = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  if (s >= 3600) return fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
  return fmt::format("{}:{:02}", s / 60, s % 60);
}

}  // namespace

ProgressLine::ProgressLine(std::string verb, std::size_t total, bool enabled)
    : verb_(std::move(verb)), total_(total), enabled_(enabled) {
  if (!enabled_) return;
  set_status_line(this);
  {
    std::lock_guard lock(terminal_mutex());
    draw_locked();
  }
  ticker_ = std::thread([this] {
    std::unique_lock lock(terminal_mutex());
    while (!wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stop_; })) {
      draw_locked();
    }
  });
}

ProgressLine::~ProgressLine() {
  if (!enabled_) return;
  {
    std::lock_guard lock(terminal_mutex());
    stop_ = true;
  }
  wake_.notify_all();
  ticker_.join();
  set_status_line(nullptr);
  std::lock_guard lock(terminal_mutex());
  erase_locked();
}

void ProgressLine::started(const std::string& item) {
  if (!enabled_) return;
  std::lock_guard lock(terminal_mutex());
  running_.push_back(item);
  draw_locked();
}

void ProgressLine::finished(const std::string& item, bool ok) {
  if (!enabled_) return;
  std::lock_guard lock(terminal_mutex());
  auto it = std::find(running_.begin(), running_.end(), item);
  if (it != running_.end()) running_.erase(it);
  ++done_;
  if (!ok) ++failed_;
  draw_locked();
}

std::string ProgressLine::line() const {
  std::string s = fmt::format("{}: {} of {} done", verb_, done_, total_);
  if (failed_) s += fmt::format(", {} failed", failed_);
  s += " · " + elapsed(std::chrono::steady_clock::now() - start_);
  if (!running_.empty()) {
    s += " · now: ";
    for (std::size_t i = 0; i < running_.size(); ++i) s += (i ? ", " : "") + running_[i];
  }
  return s;
}

void ProgressLine::erase_locked() {
  if (drawn_ == 0) return;
  std::fputs(("\r" + std::string(drawn_, ' ') + "\r").c_str(), stderr);
  std::fflush(stderr);
  drawn_ = 0;
}

void ProgressLine::draw_locked() {
  // Never wider than the terminal: a wrapped line could not be redrawn in place.
  const std::string text = cut(line(), terminal_width() - 1);
  const std::size_t width = width_of(text);
  std::string out = "\r" + text;
  if (drawn_ > width) out += std::string(drawn_ - width, ' ') + "\r" + text;
  std::fputs(out.c_str(), stderr);
  std::fflush(stderr);
  drawn_ = width;
}

}  // namespace baselinr::cli
