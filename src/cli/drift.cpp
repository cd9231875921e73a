#include "baselinr/drift.hpp"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <memory>
#include <nlohmann/json.hpp>

#include "baselinr/event_bus.hpp"
#include "baselinr/storage.hpp"
#include "cli/cli_util.hpp"
#include "cli/commands.hpp"
#include "cli/drift_delivery.hpp"

namespace baselinr::cli {
namespace {

// A table's first run: nothing to compare, said plainly; JSON stays JSON.
int nothing_to_compare(const NothingToCompareError& e, const DriftOptions& options) {
  nlohmann::ordered_json j{{"dataset", e.dataset()},
                           {"status", "nothing_to_compare"},
                           {"current_run_id", e.run_id()},
                           {"message", e.what()}};
  if (options.format == "json") {
    fmt::print("{}\n", j.dump(2));
  } else {
    fmt::print("Nothing to compare yet: {}\n", e.what());
  }
  if (!options.output_file.empty()) {
    write_output_file(options.output_file, j.dump(2) + "\n", "--output");
  }
  return kExitOk;
}

}  // namespace

int run_drift(const DriftOptions& options) {
  Config config = load(options.config);
  check_output_file(options.output_file, "--output");
  // It records its findings, so the store is migrated as for profile, but never created.
  std::unique_ptr<RunStore> store = open_existing_store(config, StoreAccess::kExisting);
  store->set_hooks(config.hooks);
  DriftRequest request{options.dataset, options.schema, options.baseline, options.current};
  request.schema = resolve_dataset_schema(*store, options.dataset, options.schema);
  // The detector emits nothing: its report's events (drift_events) are recorded in the outbox
  // and delivered from there.
  DriftDetector detector(config, *store);
  DriftReport report;
  try {
    report = detector.detect(request);
  } catch (const NothingToCompareError& e) {
    return nothing_to_compare(e, options);
  }
  if (options.format == "json") {
    fmt::print("{}\n", report.to_json());
  } else {
    fmt::print("{}", report.to_text());
  }
  std::fflush(stdout);

  // The findings and the resolutions of what this run no longer finds are recorded together,
  // then delivered within the budget; what is not delivered stays for `hooks deliver`.
  const bool outbox = store->has_outbox();
  record_drift_events(config, *store, report, drift_events(report));
  if (outbox) deliver_recorded(config);
  // After the findings are recorded: a file that cannot be written must not lose an alert.
  if (!options.output_file.empty()) {
    write_output_file(options.output_file, report.to_json() + "\n", "--output");
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
      "cleared) and deliver them. A table with a single run has nothing to compare yet: exit 0, "
      "with a note.");
  add_config(cmd, o->config);
  cmd->add_option("-d,--dataset", o->dataset, "Table to compare")->required()->type_name("TABLE");
  cmd->add_option("-s,--schema", o->schema,
                  "Schema of the table (needed when the table has runs in several schemas)")
      ->type_name("SCHEMA");
  cmd->add_option("-b,--baseline", o->baseline,
                  "Baseline run id (default: the run before --current)")
      ->type_name("RUN_ID");
  cmd->add_option("--current", o->current, "Current run id (default: the latest run)")
      ->type_name("RUN_ID");
  cmd->add_flag("--fail-on-drift", o->fail_on_drift,
                "Exit 1 when a metric drifted at high severity or the schema changed");
  add_format_and_output_file(cmd, o->format, o->output_file, "Also write the JSON report to FILE");
  commands.push_back({cmd, [o] { return run_drift(*o); }});
}

}  // namespace baselinr::cli
