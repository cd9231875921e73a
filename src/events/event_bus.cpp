#include "baselinr/event_bus.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "common/log.hpp"

namespace baselinr {

struct EventBus::Entry {
  std::unique_ptr<Hook> hook;
  HookOptions options;
  HookStats stats;
};

bool glob_match(std::string_view pattern, std::string_view text) {
  // Iterative matcher with single-star backtracking; classes [abc], [a-z], [!abc].
  std::size_t p = 0, t = 0, star_p = std::string_view::npos, star_t = 0;
  auto class_match = [&](std::size_t& pi, char c) -> std::optional<bool> {
    std::size_t i = pi + 1;
    bool negate = i < pattern.size() && (pattern[i] == '!' || pattern[i] == '^');
    if (negate) ++i;
    bool matched = false, first = true;
    while (i < pattern.size() && (first || pattern[i] != ']')) {
      first = false;
      if (i + 2 < pattern.size() && pattern[i + 1] == '-' && pattern[i + 2] != ']') {
        if (pattern[i] <= c && c <= pattern[i + 2]) matched = true;
        i += 3;
      } else {
        if (pattern[i] == c) matched = true;
        ++i;
      }
    }
    if (i >= pattern.size()) return std::nullopt;  // no closing ']': treat '[' literally
    pi = i + 1;
    return matched != negate;
  };
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star_p = p++;
      star_t = t;
      continue;
    }
    if (p < pattern.size()) {
      if (pattern[p] == '?') {
        ++p;
        ++t;
        continue;
      }
      if (pattern[p] == '[') {
        std::size_t np = p;
        auto m = class_match(np, text[t]);
        if (m.has_value()) {
          if (*m) {
            p = np;
            ++t;
            continue;
          }
        } else if (text[t] == '[') {
          ++p;
          ++t;
          continue;
        }
      } else if (pattern[p] == text[t]) {
        ++p;
        ++t;
        continue;
      }
    }
    if (star_p == std::string_view::npos) return false;
    p = star_p + 1;
    t = ++star_t;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool HookFilter::accepts(const Event& event) const {
  auto listed = [&](std::string_view type) {
    return std::find(event_types.begin(), event_types.end(), type) != event_types.end();
  };
  if (!event_types.empty() && !listed(event.event_type()) &&
      !(event.get_if<DataDriftResolved>() && listed("DataDriftDetected"))) {
    return false;
  }
  if (min_severity) {
    // Severity only ranks drift events; other events pass a severity filter unchanged.
    if ((event.get_if<DataDriftDetected>() || event.get_if<DataDriftResolved>()) &&
        static_cast<int>(event.severity()) < static_cast<int>(*min_severity)) {
      return false;
    }
  }
  if (!tables.empty()) {
    const std::string& table = event.table();
    bool any = std::any_of(tables.begin(), tables.end(),
                           [&](const std::string& g) { return glob_match(g, table); });
    if (!any) return false;
  }
  return true;
}

EventBus::EventBus() = default;
EventBus::~EventBus() = default;

void EventBus::register_hook(std::unique_ptr<Hook> hook, HookOptions options) {
  std::lock_guard lock(mutex_);
  if (options.name.empty()) options.name = fmt::format("hook[{}]", entries_.size());
  auto entry = std::make_unique<Entry>();
  entry->hook = std::move(hook);
  entry->options = std::move(options);
  entries_.push_back(std::move(entry));
}

void EventBus::emit(const Event& event) {
  std::lock_guard lock(mutex_);
  for (auto& entry : entries_) {
    if (!entry->options.filter.accepts(event)) {
      ++entry->stats.filtered;
      continue;
    }
    deliver(*entry, event);
  }
}

std::optional<std::string> EventBus::deliver_to(std::size_t index, const Event& event) {
  std::lock_guard lock(mutex_);
  return deliver(*entries_.at(index), event);
}

std::optional<std::string> EventBus::deliver(Entry& entry, const Event& event) {
  std::string error;
  try {
    entry.hook->handle_event(event);
    ++entry.stats.delivered;
    return std::nullopt;
  } catch (const std::exception& e) {
    error = e.what();
  } catch (...) {
    error = "unknown exception";
  }
  ++entry.stats.failed;
  entry.stats.last_error = error;
  log().warn("hook {} failed to handle {} (event {}): {}", entry.options.name, event.event_type(),
             event.event_id(), error);
  return error;
}

std::size_t EventBus::hook_count() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

const std::string& EventBus::hook_name(std::size_t index) const {
  std::lock_guard lock(mutex_);
  return entries_.at(index)->options.name;
}

HookStats EventBus::stats(std::size_t index) const {
  std::lock_guard lock(mutex_);
  return entries_.at(index)->stats;
}

std::uint64_t EventBus::total_failed() const {
  std::lock_guard lock(mutex_);
  std::uint64_t n = 0;
  for (const auto& e : entries_) n += e->stats.failed;
  return n;
}

}  // namespace baselinr
