// An example hook plugin: appends a one-line alert to a file for every drift event at or above
// a severity, and for every schema change and profiling failure.
//
//   hooks:
//     hooks:
//       - type: custom
//         module: ./build/release/examples/severity_alert_hook.so
//         class_name: SeverityAlertHook
//         params: {path: ./alerts.log, min_severity: medium}
//
// Build it with CMake (target severity_alert_hook), or by hand (one command, see
// docs/EVENTS_AND_HOOKS.md):
//   g++ -std=c++20 -shared -fPIC -fvisibility=hidden -I<baselinr>/include
//       severity_alert_hook.cpp <build>/src/libbaselinr_plugin.a -lfmt -o severity_alert_hook.so
#include <baselinr/plugin.hpp>
#include <fstream>
#include <stdexcept>

class SeverityAlertHook : public baselinr::Hook {
 public:
  explicit SeverityAlertHook(const baselinr::plugin::Params& params)
      : path_(params.get_string("path", "baselinr-alerts.log")) {
    auto min = baselinr::parse_severity(params.get_string("min_severity", "high"));
    if (!min) throw std::invalid_argument("min_severity must be low, medium or high");
    min_ = *min;
  }

  void handle_event(const baselinr::Event& event) override {
    std::string line;
    if (const auto* d = event.get_if<baselinr::DataDriftDetected>()) {
      if (d->drift_severity < min_) return;
      line = std::string(baselinr::to_string(d->drift_severity)) + " drift: " + d->table + "." +
             d->column + " " + d->metric;
    } else if (const auto* s = event.get_if<baselinr::SchemaChangeDetected>()) {
      line = "schema change: " + s->table + " " + s->change_type + " " + s->column;
    } else if (const auto* f = event.get_if<baselinr::ProfilingFailed>()) {
      line = "profiling failed: " + f->table + ": " + f->error;
    } else {
      return;
    }
    std::ofstream out(path_, std::ios::app);
    if (!out) throw std::runtime_error("cannot open " + path_);
    out << event.timestamp_iso() << " " << line << "\n";
  }

 private:
  std::string path_;
  baselinr::Severity min_ = baselinr::Severity::kHigh;
};

BASELINR_EXPORT_HOOK(SeverityAlertHook);
