#include "cli/progress.hpp"

#include <fmt/format.h>
#include <spdlog/sinks/base_sink.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "common/log.hpp"

namespace baselinr::cli {
namespace {

// Forwards log messages to the logger's own sink with the status line out of the way.
class AroundProgressSink final : public spdlog::sinks::sink {
 public:
  AroundProgressSink(ProgressLine& progress,
                     std::vector<std::shared_ptr<spdlog::sinks::sink>> inner)
      : progress_(progress), inner_(std::move(inner)) {}
  void log(const spdlog::details::log_msg& msg) override {
    std::lock_guard lock(progress_.mutex());
    progress_.erase_locked();
    for (auto& s : inner_) {
      if (s->should_log(msg.level)) {
        s->log(msg);
        s->flush();
      }
    }
    progress_.draw_locked();
  }
  void flush() override {
    for (auto& s : inner_) s->flush();
  }
  void set_pattern(const std::string& pattern) override {
    for (auto& s : inner_) s->set_pattern(pattern);
  }
  void set_formatter(std::unique_ptr<spdlog::formatter> formatter) override {
    for (auto& s : inner_) s->set_formatter(formatter->clone());
  }

 private:
  ProgressLine& progress_;
  std::vector<std::shared_ptr<spdlog::sinks::sink>> inner_;
};

std::size_t terminal_width() {
  winsize ws{};
  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 80;
}

// Characters (code points) in UTF-8 text.
std::size_t width_of(const std::string& s) {
  return static_cast<std::size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// The first `max` characters of UTF-8 text.
std::string cut(const std::string& s, std::size_t max) {
  std::size_t chars = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80 && chars++ == max) return s.substr(0, i);
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
  auto& sinks = log().sinks();
  saved_sinks_ = sinks;
  sinks = {std::make_shared<AroundProgressSink>(*this, saved_sinks_)};
  {
    std::lock_guard lock(mutex_);
    draw_locked();
  }
  ticker_ = std::thread([this] {
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stop_; })) {
      draw_locked();
    }
  });
}

ProgressLine::~ProgressLine() {
  if (!enabled_) return;
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  ticker_.join();
  log().sinks() = saved_sinks_;
  std::lock_guard lock(mutex_);
  erase_locked();
}

void ProgressLine::started(const std::string& item) {
  if (!enabled_) return;
  std::lock_guard lock(mutex_);
  running_.push_back(item);
  draw_locked();
}

void ProgressLine::finished(const std::string& item, bool ok) {
  if (!enabled_) return;
  std::lock_guard lock(mutex_);
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
