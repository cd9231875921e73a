// Delivery: sends what the store's outbox holds to the configured hooks.
//
// RunStore records every event in its outbox with one delivery record per hook; a Dispatcher
// then delivers them, off the path of the work that recorded them: one thread per hook (a hook
// that hangs delays only itself), each with its own connection to the store. A record is claimed
// before it is sent (so several processes delivering at once never send it twice), marked
// delivered only after the destination accepted it, and otherwise retried with exponential
// backoff and full jitter, no earlier than the destination's Retry-After, until
// hooks.delivery.max_attempts or max_age; permanent failures (HTTP 400, 401, 403, 404, 410, 422,
// a redirect...) fail for good at once. A hook that fails breaker_threshold times in a row is
// paused for the rest of the dispatcher's life. Findings already sent to a hook are not sent
// again within its suppress_for unless their severity rose; a resolution goes only to hooks that
// were told about the finding. See docs/EVENTS_AND_HOOKS.md, "Delivery guarantees".
//
// Thread-safety: a Dispatcher is driven from one thread; it runs its own threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "baselinr/config.hpp"

namespace baselinr {

// What one hook's deliveries came to during one dispatcher's life.
struct HookDeliveryReport {
  std::string hook;
  std::uint64_t delivered = 0;   // records the destination accepted
  std::uint64_t failed = 0;      // records failed for good
  std::uint64_t retried = 0;     // failed attempts that will be retried
  std::uint64_t suppressed = 0;  // findings already sent recently at the same severity
  std::uint64_t skipped = 0;     // resolutions of findings the hook was never told about
  std::uint64_t pending = 0;     // records still pending when the dispatcher stopped
  bool paused = false;           // the circuit breaker stopped this hook
  std::string last_error;        // never contains a secret
  std::string next_attempt_at;   // earliest pending attempt (storage time, UTC), if any
};

struct DeliveryReport {
  std::vector<HookDeliveryReport> hooks;
  // True when no attempt failed (records may still wait for their time).
  bool clean() const;
};

class Dispatcher {
 public:
  // Builds one destination per enabled hook of config.hooks and connects to config.storage
  // (creating or migrating its tables like RunStore). Throws ConfigError for a hook that cannot
  // be built, StorageError when the store cannot be used.
  explicit Dispatcher(const Config& config);
  // Stops at once: attempts in flight are abandoned at the next check, claims released, and
  // whatever is unfinished stays pending.
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // Starts delivering what is due, in the background.
  void start();
  // New records were written: look again now.
  void notify();
  // Delivers for at most `budget` more (what is due, and what falls due within it), stops, and
  // reports per hook. An attempt still in flight at the end of the budget is abandoned (and
  // retried later). Starts the dispatcher if start() was not called.
  DeliveryReport finish(std::chrono::milliseconds budget);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Delivers what is pending in config.storage's outbox for at most `budget`: the delivery step of
// `profile`, `drift`, `check` and `baselinr hooks deliver`.
DeliveryReport deliver_pending(const Config& config, std::chrono::milliseconds budget);

// hooks.delivery.budget_seconds.
std::chrono::milliseconds delivery_budget(const Config& config);

}  // namespace baselinr
