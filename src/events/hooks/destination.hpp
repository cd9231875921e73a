// Destination: a hook the dispatcher feeds from the outbox.
//
// deliver() sends one message about one event, or (chat destinations, group_by: table) about the
// findings of one table's drift run, and gives up at its deadline. A failure is a DeliveryError
// that says whether to retry (and after how long the destination asked to wait) or to give up for
// good; any other exception is a failure worth retrying. Every message carries the events' ids.
//
// Thread-safety: the dispatcher calls one destination from one thread at a time.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <vector>

#include "baselinr/config.hpp"
#include "baselinr/error.hpp"
#include "baselinr/hook.hpp"

namespace baselinr::hooks {

// When an attempt gives up: its own timeout, or earlier when a cutoff shared with the dispatcher
// comes first (the command's delivery budget, which may start while the attempt is in flight).
class Deadline {
 public:
  using Clock = std::chrono::steady_clock;
  Deadline(double timeout_seconds, const std::atomic<Clock::rep>* cutoff = nullptr);
  Clock::time_point when() const;
  bool passed() const { return Clock::now() >= when(); }
  // Seconds left, at least a millisecond (a libcurl timeout of 0 means none).
  double seconds_left() const;

 private:
  Clock::time_point own_;
  const std::atomic<Clock::rep>* cutoff_;
};

class Destination : public Hook {
 public:
  explicit Destination(double timeout_seconds) : timeout_seconds_(timeout_seconds) {}
  // Sends one message about `events` (one event; or, when groups_findings(), the findings,
  // schema changes and resolutions of one table's drift run) before `deadline`.
  virtual void deliver(const std::vector<Event>& events, const Deadline& deadline) = 0;
  // Chat destinations summarise a drift run in one message.
  virtual bool groups_findings() const { return false; }
  // One event, within the configured timeout (the event bus: hooks test, embedding programs).
  void handle_event(const Event& event) final { deliver({event}, Deadline(timeout_seconds_)); }
  double timeout_seconds() const { return timeout_seconds_; }

 private:
  double timeout_seconds_;
};

// A hook of any kind (a user's, a plugin) seen as a destination: one event per call, no
// deadline of its own.
class HookDestination final : public Destination {
 public:
  explicit HookDestination(std::unique_ptr<Hook> hook) : Destination(0), hook_(std::move(hook)) {}
  void deliver(const std::vector<Event>& events, const Deadline& deadline) override;

 private:
  std::unique_ptr<Hook> hook_;
};

struct DestinationContext {
  std::string environment;  // for CloudEvents' source and PagerDuty's
};

// The destination for a configured hook. Throws ConfigError / NotSupportedError like
// create_event_bus().
std::unique_ptr<Destination> make_destination(const HookConfig& hook, std::size_t index,
                                              const DestinationContext& context);

}  // namespace baselinr::hooks
