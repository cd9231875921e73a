// EventBus: fans events out to registered hooks.
//
// emit() offers the event to every registered hook in registration order. A hook whose filter
// does not accept the event is skipped (counted as filtered). A hook that throws is logged and
// counted as failed; emit() itself never throws because of a hook, and the other hooks still
// receive the event. Counters and the last error are kept per hook.
//
// Thread-safety: register hooks before emitting. emit() may be called from several threads;
// deliveries are serialised, so hooks are never called concurrently and each thread's events
// reach each hook in the order that thread emitted them.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "baselinr/events.hpp"
#include "baselinr/hook.hpp"

namespace baselinr {

// Which events a hook receives. Empty lists accept everything. A hook that receives
// DataDriftDetected also receives DataDriftResolved (the resolution of what it was told).
struct HookFilter {
  std::vector<std::string> event_types;  // e.g. {"DataDriftDetected"}
  std::optional<Severity> min_severity;  // drift events below it are skipped
  std::vector<std::string> tables;       // glob patterns (*, ?, [...]) on the table name

  bool accepts(const Event& event) const;
};

struct HookOptions {
  std::string name;  // shown in logs and reports; default "hook[i]"
  HookFilter filter;
};

struct HookStats {
  std::uint64_t delivered = 0;
  std::uint64_t filtered = 0;
  std::uint64_t failed = 0;
  std::string last_error;
};

class EventBus {
 public:
  EventBus();
  ~EventBus();
  EventBus(const EventBus&) = delete;
  EventBus& operator=(const EventBus&) = delete;

  void register_hook(std::unique_ptr<Hook> hook, HookOptions options = {});
  // Delivers to every accepting hook. Never throws because of a hook.
  void emit(const Event& event);

  // Delivers `event` to hook `index` whatever its filter says (baselinr hooks test), counting
  // the outcome. Returns the error message when the hook failed, nullopt when it delivered.
  std::optional<std::string> deliver_to(std::size_t index, const Event& event);

  std::size_t hook_count() const;
  const std::string& hook_name(std::size_t index) const;
  HookStats stats(std::size_t index) const;
  std::uint64_t total_failed() const;

 private:
  struct Entry;
  // Calls one hook, isolating and counting its failure. Returns the error, if any.
  static std::optional<std::string> deliver(Entry& entry, const Event& event);

  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<Entry>> entries_;
};

// True if `text` matches the glob `pattern` (*, ?, [abc], [!abc]).
bool glob_match(std::string_view pattern, std::string_view text);

struct HooksConfig;
struct HookConfig;

// The filters a configured hook applies: its event_types, min_severity and tables (a pagerduty
// hook without event_types takes the events that open or close incidents: DataDriftDetected,
// DataDriftResolved, SchemaChangeDetected, ProfilingFailed).
HookFilter filter_for(const HookConfig& hook);

struct EventBusOptions {
  // profile --dry-run: deliver to logging hooks only, write nothing anywhere.
  bool logging_only = false;
  // The configuration's environment (CloudEvents' source, PagerDuty's source).
  std::string environment = "development";
};

// Builds a bus with one hook per enabled entry of `config` (none when config.enabled is
// false), each with its configured filters. Throws ConfigError / NotSupportedError for a hook
// that cannot be built; hooks that need a server connect on their first event, so a server
// that is down is a counted delivery failure, not a startup error.
std::unique_ptr<EventBus> create_event_bus(const HooksConfig& config, EventBusOptions options = {});

}  // namespace baselinr
