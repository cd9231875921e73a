#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <memory>
#include <nlohmann/json.hpp>

#include "baselinr/delivery.hpp"
#include "baselinr/error.hpp"
#include "baselinr/event_bus.hpp"
#include "baselinr/profiler.hpp"
#include "baselinr/storage.hpp"
#include "cli/cli_util.hpp"
#include "cli/commands.hpp"
#include "cli/progress.hpp"

namespace baselinr::cli {

int run_profile(const ProfileOptions& options) {
  Config config = load(options.config);
  // Before any work: a run must not be stored and announced when its output cannot be written.
  check_output_file(options.output_file, "--output");
  if (config.profiling.tables.empty()) {
    throw ConfigError({config.source_file, 0, 0}, "profiling.tables",
                      "empty; add the tables to profile");
  }
  // Events are recorded in the store's outbox with the facts they report, and a dispatcher
  // delivers them meanwhile, off the profiling path. A dry run writes nothing: its events go
  // straight to the logging hooks.
  std::unique_ptr<EventBus> bus;
  std::unique_ptr<RunStore> store;
  std::unique_ptr<Dispatcher> dispatcher;
  if (options.dry_run) {
    bus = create_event_bus(config.hooks, {.logging_only = true, .environment = config.environment});
  } else {
    store = std::make_unique<RunStore>(config.storage, config.environment);
    store->set_hooks(config.hooks);
    if (store->has_outbox()) {
      dispatcher = std::make_unique<Dispatcher>(config);
      dispatcher->start();
      store->on_events_recorded([d = dispatcher.get()] { d->notify(); });
    } else {
      fmt::print(stderr,
                 "baselinr: warning: storage has no outbox tables (create_tables: false on a store "
                 "older than schema version 3): hooks are called directly, without retries\n");
      bus = create_event_bus(config.hooks, {.environment = config.environment});
    }
  }

  Profiler profiler(config, bus.get(), store.get());
  std::vector<TableOutcome> outcomes;
  {
    auto name = [](const std::string& table, const std::string& schema) {
      return schema.empty() ? table : schema + "." + table;
    };
    ProgressLine progress(
        "profiling",
        options.tables.empty() ? config.profiling.tables.size() : options.tables.size(),
        stderr_is_terminal() && !options.quiet);
    profiler.set_table_started([&](const std::string& table, const std::string& schema) {
      progress.started(name(table, schema));
    });
    profiler.set_progress([&](const TableOutcome& o, std::size_t, std::size_t) {
      progress.finished(name(o.table, o.schema), o.ok());
    });
    outcomes = profiler.profile(options.tables);
  }

  std::size_t failed = 0;
  std::vector<std::vector<std::string>> rows;
  nlohmann::ordered_json results = nlohmann::ordered_json::array();
  for (const auto& o : outcomes) {
    const std::string name = o.schema.empty() ? o.table : o.schema + "." + o.table;
    if (o.ok()) {
      rows.push_back({name, "ok", std::to_string(o.result->row_count),
                      std::to_string(o.result->columns.size()), o.run_id,
                      fmt::format("{:.2f}s", o.result->duration_seconds)});
      results.push_back(nlohmann::ordered_json::parse(o.result->to_json()));
    } else {
      ++failed;
      rows.push_back({name, "FAILED", "-", "-", o.run_id, o.error});
      results.push_back({{"run_id", o.run_id},
                         {"dataset_name", o.table},
                         {"status", "failed"},
                         {"error", o.error}});
    }
  }
  const std::string json =
      results.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  if (options.format == "json") {
    fmt::print("{}", json);
  } else {
    fmt::print("{}",
               text_table({"TABLE", "STATUS", "ROWS", "COLUMNS", "RUN_ID", "TIME/ERROR"}, rows));
    if (options.dry_run) fmt::print("dry run: nothing was written to storage\n");
    fmt::print("{} of {} table(s) profiled{}\n", outcomes.size() - failed, outcomes.size(),
               failed ? fmt::format(", {} failed", failed) : "");
  }
  if (dispatcher) report_deliveries(dispatcher->finish(delivery_budget(config)));
  if (bus) report_hook_failures(*bus);
  if (!options.output_file.empty()) write_output_file(options.output_file, json, "--output");
  return failed ? kExitFailure : kExitOk;
}

void add_profile_command(CLI::App& app, CommandList& commands) {
  auto o = std::make_shared<ProfileOptions>();
  auto* cmd = app.add_subcommand(
      "profile",
      "Profile the configured tables: one run per table, stored with its metrics; "
      "emits ProfilingStarted / ProfilingCompleted / ProfilingFailed events.");
  add_config(cmd, o->config);
  add_format_and_output_file(cmd, o->format, o->output_file,
                             "Also write the profiles to FILE.json");
  cmd->add_flag("--dry-run", o->dry_run,
                "Profile but write nothing to storage; only logging hooks get events");
  cmd->add_flag("-q,--quiet", o->quiet, "No progress line on stderr (shown on a terminal)");
  cmd->add_option("--table", o->tables, "Profile only this configured table (repeatable)")
      ->type_name("NAME");
  commands.push_back({cmd, [o] { return run_profile(*o); }});
}

}  // namespace baselinr::cli
