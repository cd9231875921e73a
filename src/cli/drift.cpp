#include "baselinr/drift.hpp"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <memory>

#include "baselinr/delivery.hpp"
#include "baselinr/event_bus.hpp"
#include "baselinr/storage.hpp"
#include "cli/cli_util.hpp"
#include "cli/commands.hpp"
#include "events/identity.hpp"

namespace baselinr::cli {
namespace {

// Collects what the detector reports.
class Collector final : public Hook {
 public:
  explicit Collector(std::vector<Event>& events) : events_(events) {}
  void handle_event(const Event& event) override { events_.push_back(event); }

 private:
  std::vector<Event>& events_;
};

// Gives a drift event the identity of the Events contract (details schema, direction,
// baseline_run_ids, current_run_id and the name-based id) when the detector did not.
Event with_identity(const Event& e, const DriftReport& report) {
  const std::string schema = report.current.schema_name;
  const std::string& baseline = report.baseline.run_id;
  const std::string& current = report.current.run_id;
  auto complete = [&](Fields details, const std::string& direction) {
    auto add = [&](const char* name, const std::string& value) {
      if (detail_text(details, name).empty()) details.emplace_back(name, value);
    };
    add("schema", schema);
    if (!direction.empty()) add("direction", direction);
    add("baseline_run_ids", baseline);
    add("current_run_id", current);
    return details;
  };
  if (const auto* d = e.get_if<DataDriftDetected>()) {
    if (!detail_text(d->details, "current_run_id").empty()) return e;
    DataDriftDetected c = *d;
    const std::string direction = drift_direction(c);
    c.details = complete(c.details, direction);
    return Event(c,
                 drift_event_id(schema, c.table, c.column, c.metric, direction, baseline, current),
                 e.timestamp());
  }
  if (const auto* s = e.get_if<SchemaChangeDetected>()) {
    if (!detail_text(s->details, "current_run_id").empty()) return e;
    SchemaChangeDetected c = *s;
    c.details = complete(c.details, "");
    return Event(
        c, schema_change_event_id(schema, c.table, c.column, c.change_type, baseline, current),
        e.timestamp());
  }
  return e;
}

}  // namespace

int run_drift(const DriftOptions& options) {
  Config config = load(options.config);
  StorageConfig storage = config.storage;
  RunStore store(storage, config.environment);
  store.set_hooks(config.hooks);
  std::vector<Event> found;
  EventBus collect;
  collect.register_hook(std::make_unique<Collector>(found), {"drift", {}});
  DriftDetector detector(config.drift_detection, store, &collect);
  DriftReport report =
      detector.detect({options.dataset, options.schema, options.baseline, options.current});
  if (options.output == "json") {
    fmt::print("{}\n", report.to_json());
  } else {
    fmt::print("{}", report.to_text());
  }
  std::fflush(stdout);

  // The findings and the resolutions of what this run no longer finds are recorded together,
  // then delivered within the budget; what is not delivered stays for `hooks deliver`.
  std::vector<Event> events;
  for (const auto& e : found) events.push_back(with_identity(e, report));
  if (store.has_outbox()) {
    store.record_drift({report.current.schema_name, report.dataset, report.baseline.run_id,
                        report.current.run_id, report.current.profiled_at},
                       events);
    report_deliveries(deliver_pending(config, delivery_budget(config)));
  } else {
    fmt::print(stderr,
               "baselinr: warning: storage has no outbox tables (create_tables: false on a store "
               "older than schema version 3): hooks are called directly, without retries\n");
    auto bus = create_event_bus(config.hooks, {.environment = config.environment});
    for (const auto& e : events) bus->emit(e);
    report_hook_failures(*bus);
  }
  if (options.fail_on_drift && report.has_blocking_findings()) return kExitFindings;
  return kExitOk;
}

void add_drift_command(CLI::App& app, CommandList& commands) {
  auto o = std::make_shared<DriftOptions>();
  auto* cmd = app.add_subcommand(
      "drift",
      "Compare two runs of a table (default: its two latest), print the report, record "
      "DataDriftDetected / SchemaChangeDetected events (and DataDriftResolved for findings that "
      "cleared) and deliver them.");
  add_config(cmd, o->config);
  cmd->add_option("--dataset", o->dataset, "Table to compare")->required()->type_name("TABLE");
  cmd->add_option("--schema", o->schema, "Schema of the table")->type_name("SCHEMA");
  cmd->add_option("--baseline", o->baseline,
                  "Baseline run id (default: the run before "
                  "--current)")
      ->type_name("RUN_ID");
  cmd->add_option("--current", o->current, "Current run id (default: the latest run)")
      ->type_name("RUN_ID");
  cmd->add_flag("--fail-on-drift", o->fail_on_drift,
                "Exit 1 when a metric drifted at high severity or the schema changed");
  add_format(cmd, o->output);
  commands.push_back({cmd, [o] { return run_drift(*o); }});
}

}  // namespace baselinr::cli
