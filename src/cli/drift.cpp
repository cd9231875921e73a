#include "baselinr/drift.hpp"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <memory>

#include "baselinr/event_bus.hpp"
#include "baselinr/storage.hpp"
#include "cli/cli_util.hpp"
#include "cli/commands.hpp"

namespace baselinr::cli {

int run_drift(const DriftOptions& options) {
  Config config = load(options.config);
  auto bus = create_event_bus(config.hooks);
  StorageConfig storage = config.storage;
  RunStore store(storage, config.environment);
  DriftDetector detector(config.drift_detection, store, bus.get());
  DriftReport report =
      detector.detect({options.dataset, options.schema, options.baseline, options.current});
  if (options.output == "json") {
    fmt::print("{}\n", report.to_json());
  } else {
    fmt::print("{}", report.to_text());
  }
  report_hook_failures(*bus);
  if (options.fail_on_drift && report.has_blocking_findings()) return kExitFindings;
  return kExitOk;
}

void add_drift_command(CLI::App& app, CommandList& commands) {
  auto o = std::make_shared<DriftOptions>();
  auto* cmd = app.add_subcommand(
      "drift",
      "Compare two runs of a table (default: its two latest), print the report, and "
      "emit DataDriftDetected / SchemaChangeDetected events.");
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
