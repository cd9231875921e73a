// The five examples of the original's example_hooks, written against the C++ library:
//   1. basic EventBus usage with the built-in logging hook
//   2. a custom hook that collects events
//   3. an alert hook that only sees high-severity drift (filtering is done by the bus)
//   4. several hooks working together
//   5. a failing hook that does not stop the others
// Build: the CMake target `example_hooks` (links baselinr_lib). Run it without arguments.
#include <baselinr/config.hpp>
#include <baselinr/event_bus.hpp>
#include <baselinr/events.hpp>
#include <baselinr/hook.hpp>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <vector>

namespace {

using namespace baselinr;

// Keeps every event it receives.
class CollectorHook : public Hook {
 public:
  void handle_event(const Event& event) override { events.push_back(event); }
  std::vector<Event> events;
};

// Prints one line per drift alert.
class AlertHook : public Hook {
 public:
  void handle_event(const Event& event) override {
    if (const auto* d = event.get_if<DataDriftDetected>()) {
      std::cout << "  ALERT " << to_string(d->drift_severity) << " drift in " << d->table << "."
                << d->column << " (" << d->metric << ")\n";
    }
  }
};

class BrokenHook : public Hook {
 public:
  void handle_event(const Event&) override { throw std::runtime_error("the pager is down"); }
};

std::vector<Event> some_events() {
  return {Event(ProfilingStarted{"customers", "run-1"}),
          Event(DataDriftDetected{"customers", "age", "mean", 35.0, 50.0, 42.9, Severity::kHigh}),
          Event(DataDriftDetected{"customers", "email", "null_percent", 5.0, 5.6, 12.0,
                                  Severity::kLow}),
          Event(SchemaChangeDetected{"customers", "column_added", "tier", std::nullopt, "TEXT"}),
          Event(ProfilingCompleted{"customers", "run-1", 1000, 8, 0.4})};
}

void example_basic_logging() {
  std::cout << "1. basic logging (lines go to stderr)\n";
  HooksConfig config;
  config.hooks.push_back(HookConfig{});  // type: logging, log_level: INFO
  auto bus = create_event_bus(config);
  for (const auto& e : some_events()) bus->emit(e);
  std::cout << "  logging hook delivered " << bus->stats(0).delivered << " events\n";
}

void example_collector() {
  std::cout << "2. collecting hook\n";
  EventBus bus;
  auto collector = std::make_unique<CollectorHook>();
  CollectorHook* seen = collector.get();
  bus.register_hook(std::move(collector), {"collector", {}});
  for (const auto& e : some_events()) bus.emit(e);
  std::cout << "  collected " << seen->events.size() << " events:";
  for (const auto& e : seen->events) std::cout << " " << e.event_type();
  std::cout << "\n";
}

void example_severity_filter() {
  std::cout << "3. severity-filtered alert\n";
  EventBus bus;
  HookOptions options{"high-drift-only", {}};
  options.filter.event_types = {"DataDriftDetected"};
  options.filter.min_severity = Severity::kHigh;
  bus.register_hook(std::make_unique<AlertHook>(), options);
  for (const auto& e : some_events()) bus.emit(e);
  std::cout << "  filtered out " << bus.stats(0).filtered << " events\n";
}

void example_several_hooks() {
  std::cout << "4. several hooks together\n";
  EventBus bus;
  auto collector = std::make_unique<CollectorHook>();
  CollectorHook* seen = collector.get();
  bus.register_hook(std::move(collector), {"collector", {}});
  HookOptions alerts{"alerts", {}};
  alerts.filter.min_severity = Severity::kLow;
  alerts.filter.event_types = {"DataDriftDetected"};
  bus.register_hook(std::make_unique<AlertHook>(), alerts);
  for (const auto& e : some_events()) bus.emit(e);
  std::cout << "  collector saw " << seen->events.size() << ", alerts saw "
            << bus.stats(1).delivered << "\n";
}

void example_failing_hook() {
  std::cout << "5. a failing hook does not stop the others\n";
  EventBus bus;
  bus.register_hook(std::make_unique<BrokenHook>(), {"broken", {}});
  auto collector = std::make_unique<CollectorHook>();
  CollectorHook* seen = collector.get();
  bus.register_hook(std::move(collector), {"collector", {}});
  for (const auto& e : some_events()) bus.emit(e);
  HookStats broken = bus.stats(0);
  std::cout << "  broken hook failed " << broken.failed
            << " times (last error: " << broken.last_error << "); collector still got "
            << seen->events.size() << "\n";
}

}  // namespace

int main() {
  example_basic_logging();
  example_collector();
  example_severity_filter();
  example_several_hooks();
  example_failing_hook();
  return 0;
}
