#include "baselinr/drift.hpp"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <memory>

#include "baselinr/event_bus.hpp"
#include "baselinr/storage.hpp"
#include "cli/cli_util.hpp"
#include "cli/commands.hpp"
#include "cli/drift_delivery.hpp"

namespace baselinr::cli {

int run_drift(const DriftOptions& options) {
  Config config = load(options.config);
  StorageConfig storage = config.storage;
  RunStore store(storage, config.environment);
  store.set_hooks(config.hooks);
  // The detector emits nothing: its report's events (drift_events) are recorded in the outbox
  // and delivered from there.
  DriftDetector detector(config, store);
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
  const bool outbox = store.has_outbox();
  record_drift_events(config, store, report, drift_events(report));
  if (outbox) deliver_recorded(config);
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
