// baselinr: data profiling and drift detection. Parses the command line, runs one command,
// and maps failures to exit codes: 0 ok, 1 findings (--fail-on-drift), 2 usage or
// configuration error, 3 connection/query/storage failure, 4 a hook could not deliver.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>

#include "baselinr/error.hpp"
#include "baselinr/version.hpp"
#include "cli/commands.hpp"
#include "common/log.hpp"

namespace {

using namespace baselinr;
using namespace baselinr::cli;

std::string one_line(std::string text) {
  std::replace(text.begin(), text.end(), '\n', ' ');
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

int fail(int code, const std::string& message) {
  fmt::print(stderr, "baselinr: error: {}\n", one_line(message));
  return code;
}

void add_config(CLI::App* cmd, std::string& target) {
  cmd->add_option("-c,--config", target, "Configuration file (YAML or JSON)")
      ->required()
      ->type_name("FILE");
}

void add_format(CLI::App* cmd, std::string& target) {
  cmd->add_option("--output", target, "Output format: text for people, json for programs")
      ->check(CLI::IsMember({"text", "json"}))
      ->type_name("text|json")
      ->capture_default_str();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "baselinr: profile tables in SQL databases, store every profile as a run, detect schema "
      "and statistical drift between runs, and send events to alert hooks."};
  app.name("baselinr");
  app.footer(
      "Exit codes: 0 success; 1 drift or schema change found with --fail-on-drift; 2 usage or "
      "configuration error; 3 connection, query or storage failure; 4 a hook could not deliver "
      "(hooks test).\nRun 'baselinr COMMAND --help' for the options of a command. Quick tour: "
      "'baselinr demo'.");
  app.set_version_flag("--version", std::string("baselinr ") + std::string(kVersion));
  app.require_subcommand(1);
  app.fallthrough();
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "Log threshold on stderr")
      ->check(CLI::IsMember({"debug", "info", "warning", "error"}))
      ->type_name("debug|info|warning|error")
      ->capture_default_str();

  PlanOptions plan;
  auto* plan_cmd = app.add_subcommand(
      "plan",
      "Show what would be profiled: tables, columns, metrics per column type, partition "
      "and sampling, and (--verbose) the SQL. Reads metadata only.");
  add_config(plan_cmd, plan.config);
  add_format(plan_cmd, plan.output);
  plan_cmd->add_flag("--verbose", plan.verbose, "Also show the SQL each table would run");

  ProfileOptions profile;
  auto* profile_cmd = app.add_subcommand(
      "profile",
      "Profile the configured tables: one run per table, stored with its metrics; "
      "emits ProfilingStarted / ProfilingCompleted / ProfilingFailed events.");
  add_config(profile_cmd, profile.config);
  profile_cmd->add_option("--output", profile.output_file, "Also write the profiles to FILE.json")
      ->type_name("FILE.json");
  profile_cmd->add_flag("--dry-run", profile.dry_run,
                        "Profile but write nothing to storage; only logging hooks get events");
  profile_cmd
      ->add_option("--table", profile.tables, "Profile only this configured table (repeatable)")
      ->type_name("NAME");

  DriftOptions drift;
  auto* drift_cmd = app.add_subcommand(
      "drift",
      "Compare two runs of a table (default: its two latest), print the report, and "
      "emit DataDriftDetected / SchemaChangeDetected events.");
  add_config(drift_cmd, drift.config);
  drift_cmd->add_option("--dataset", drift.dataset, "Table to compare")
      ->required()
      ->type_name("TABLE");
  drift_cmd->add_option("--schema", drift.schema, "Schema of the table")->type_name("SCHEMA");
  drift_cmd
      ->add_option("--baseline", drift.baseline,
                   "Baseline run id (default: the run before "
                   "--current)")
      ->type_name("RUN_ID");
  drift_cmd->add_option("--current", drift.current, "Current run id (default: the latest run)")
      ->type_name("RUN_ID");
  drift_cmd->add_flag("--fail-on-drift", drift.fail_on_drift,
                      "Exit 1 when a metric drifted at high severity or the schema changed");
  add_format(drift_cmd, drift.output);

  RunsOptions runs;
  auto* runs_cmd = app.add_subcommand("runs", "List stored runs, newest first.");
  add_config(runs_cmd, runs.config);
  runs_cmd->add_option("--dataset", runs.dataset, "Only runs of this table")->type_name("TABLE");
  runs_cmd->add_option("--limit", runs.limit, "At most N runs (0: all)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  add_format(runs_cmd, runs.output);

  EventsOptions events;
  auto* events_cmd = app.add_subcommand(
      "events",
      "List persisted events, newest first (from the first sql hook's table, else "
      "from storage).");
  add_config(events_cmd, events.config);
  events_cmd->add_option("--type", events.type, "Only events of this type, e.g. DataDriftDetected")
      ->type_name("EVENT_TYPE");
  events_cmd->add_option("--dataset", events.dataset, "Only events about this table")
      ->type_name("TABLE");
  events_cmd->add_option("--limit", events.limit, "At most N events (0: all)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  add_format(events_cmd, events.output);

  HooksTestOptions hooks_test;
  auto* hooks_cmd = app.add_subcommand("hooks", "Work with the configured alert hooks.");
  hooks_cmd->require_subcommand(1);
  auto* hooks_test_cmd = hooks_cmd->add_subcommand(
      "test",
      "Send one synthetic DataDriftDetected event through every configured hook "
      "(filters bypassed) and report per hook: delivered, failed (with the error) or "
      "disabled. Exit 4 when a hook failed.");
  add_config(hooks_test_cmd, hooks_test.config);
  add_format(hooks_test_cmd, hooks_test.output);

  DemoOptions demo;
  auto* demo_cmd = app.add_subcommand(
      "demo",
      "Create a sample SQLite warehouse and config, profile it, change the data, "
      "profile again and detect drift: the whole product, offline.");
  demo_cmd->add_option("--dir", demo.dir, "Where to put the demo files")
      ->type_name("DIR")
      ->capture_default_str();

  auto* version_cmd = app.add_subcommand("version", "Print the version.");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return fail(kExitUsage, std::string(e.what()) + " (run 'baselinr --help')");
  }

  if (log_level == "debug") set_log_level(spdlog::level::debug);
  if (log_level == "warning") set_log_level(spdlog::level::warn);
  if (log_level == "error") set_log_level(spdlog::level::err);

  try {
    if (*version_cmd) {
      fmt::print("baselinr {}\n", kVersion);
      return kExitOk;
    }
    if (*plan_cmd) return run_plan(plan);
    if (*profile_cmd) return run_profile(profile);
    if (*drift_cmd) return run_drift(drift);
    if (*runs_cmd) return run_runs(runs);
    if (*events_cmd) return run_events(events);
    if (*demo_cmd) return run_demo(demo);
    if (*hooks_test_cmd) return run_hooks_test(hooks_test);
  } catch (const ConfigError& e) {
    return fail(kExitUsage, e.what());
  } catch (const UsageError& e) {
    return fail(kExitUsage, e.what());
  } catch (const Error& e) {
    return fail(kExitFailure, e.what());
  } catch (const std::exception& e) {
    return fail(kExitFailure, std::string("internal error: ") + e.what());
  }
  return kExitUsage;
}
