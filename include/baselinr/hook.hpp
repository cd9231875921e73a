// Hook: what receives events. Users implement handle_event(); the EventBus calls it.
//
// A hook may throw to signal a failed delivery: the bus catches, logs and counts it, and the
// remaining hooks still run. Filtering (event types, severity, tables), failure isolation and
// counters live in the bus, once, not in each hook.
//
// Thread-safety: the bus never calls one hook from two threads at the same time.
#pragma once

#include "baselinr/events.hpp"

namespace baselinr {

class Hook {
 public:
  Hook() = default;
  virtual ~Hook() = default;
  Hook(const Hook&) = delete;
  Hook& operator=(const Hook&) = delete;

  // Delivers one event. Throw (any exception) to report a failed delivery.
  virtual void handle_event(const Event& event) = 0;
};

}  // namespace baselinr
