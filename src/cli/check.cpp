// `baselinr check`: profile, compare each new run with its configured baseline, deliver the
// alerts. One command for cron, CI and orchestrators: exit 0 when all is well, 1 when a finding
// is high severity or a schema changed, 3 when a table could not be profiled.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <memory>
#include <nlohmann/json.hpp>

#include "baselinr/delivery.hpp"
#include "baselinr/drift.hpp"
#include "baselinr/error.hpp"
#include "baselinr/event_bus.hpp"
#include "baselinr/profiler.hpp"
#include "baselinr/storage.hpp"
#include "cli/cli_util.hpp"
#include "cli/commands.hpp"
#include "cli/drift_delivery.hpp"

namespace baselinr::cli {

int run_check(const CheckOptions& options) {
  Config config = load(options.config);
  if (config.profiling.tables.empty()) {
    throw ConfigError(
        fmt::format("{}: profiling.tables is empty; add the tables to check", config.source_file));
  }
  const bool json = options.output == "json";
  // Events are recorded in the store's outbox with the facts they report (runs, then each
  // table's drift findings); a dispatcher delivers them meanwhile and within the budget at the
  // end. A store without outbox tables calls the hooks directly.
  RunStore store(config.storage, config.environment);
  store.set_hooks(config.hooks);
  std::unique_ptr<EventBus> bus;
  std::unique_ptr<Dispatcher> dispatcher;
  if (store.has_outbox()) {
    dispatcher = std::make_unique<Dispatcher>(config);
    dispatcher->start();
    store.on_events_recorded([d = dispatcher.get()] { d->notify(); });
  } else {
    bus = create_event_bus(config.hooks, {.environment = config.environment});
  }
  Profiler profiler(config, bus.get(), &store);
  const bool progress = stderr_is_terminal();
  profiler.set_progress([progress](const TableOutcome& o, std::size_t done, std::size_t total) {
    if (progress && total > 1) {
      fmt::print(stderr, "[{}/{}] {} {}\n", done, total, o.table, o.ok() ? "profiled" : "FAILED");
    }
  });
  const std::vector<TableOutcome> outcomes = profiler.profile(options.tables);

  std::size_t failed = 0;
  bool blocking = false;
  nlohmann::ordered_json tables = nlohmann::ordered_json::array();
  std::string text;
  DriftDetector detector(config, store);
  for (const auto& o : outcomes) {
    const std::string name = o.schema.empty() ? o.table : o.schema + "." + o.table;
    nlohmann::ordered_json tj = {{"table", name}, {"run_id", o.run_id}};
    if (!o.ok()) {
      ++failed;
      tj["status"] = "failed";
      tj["error"] = o.error;
      text += fmt::format("== {}: profiling FAILED: {}\n\n", name, o.error);
      tables.push_back(std::move(tj));
      continue;
    }
    auto run = store.find_run(o.run_id);
    const bool pinned = store.pinned_baseline(o.table, o.result->schema_name).has_value();
    if (!run || (store.runs_before(*run, 1).empty() && !pinned)) {
      tj["status"] = "first_run";
      text += fmt::format(
          "== {}: first run ({} rows); nothing to compare yet, the next check compares with "
          "it\n\n",
          name, o.result->row_count);
      tables.push_back(std::move(tj));
      continue;
    }
    DriftReport report = detector.detect(
        {.dataset = o.table, .schema = o.result->schema_name, .current_run = o.run_id});
    record_drift_events(config, store, report, drift_events(report));
    blocking = blocking || report.has_blocking_findings();
    tj["status"] = report.summary.drifted > 0 || !report.schema_changes.empty() ? "drift" : "ok";
    tj["report"] = nlohmann::ordered_json::parse(report.to_json());
    text += fmt::format("== {}\n{}\n", name, report.to_text());
    tables.push_back(std::move(tj));
  }

  const int code = failed ? kExitFailure : blocking ? kExitFindings : kExitOk;
  if (json) {
    nlohmann::ordered_json out = {{"tables", std::move(tables)},
                                  {"failed", failed},
                                  {"blocking_findings", blocking},
                                  {"exit_code", code}};
    fmt::print("{}\n", out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
  } else {
    fmt::print("{}", text);
    fmt::print("check: {} table(s), {} failed, {}\n", outcomes.size(), failed,
               blocking ? "high-severity findings or schema changes (exit 1)"
                        : "no high-severity finding");
  }
  if (dispatcher) report_deliveries(dispatcher->finish(delivery_budget(config)));
  if (bus) report_hook_failures(*bus);
  return code;
}

void add_check_command(CLI::App& app, CommandList& commands) {
  auto o = std::make_shared<CheckOptions>();
  auto* cmd = app.add_subcommand(
      "check",
      "Profile the configured tables, compare each run with its baseline, deliver alerts. Exit "
      "0 ok, 1 high-severity drift or schema change, 3 a table could not be profiled.");
  add_config(cmd, o->config);
  cmd->add_option("--table", o->tables, "Check only this configured table (repeatable)")
      ->type_name("NAME");
  add_format(cmd, o->output);
  commands.push_back({cmd, [o] { return run_check(*o); }});
}

}  // namespace baselinr::cli
