// `baselinr baseline set|show|clear`: pin a run as a table's drift baseline, show the pin, or
// remove it. A pinned run is what `drift` and `check` compare with until it is cleared.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <memory>
#include <nlohmann/json.hpp>

#include "baselinr/error.hpp"
#include "baselinr/storage.hpp"
#include "cli/cli_util.hpp"
#include "cli/commands.hpp"

namespace baselinr::cli {
namespace {

std::string qualified(const std::string& schema, const std::string& dataset) {
  return schema.empty() ? dataset : schema + "." + dataset;
}

}  // namespace

int run_baseline(const BaselineOptions& o) {
  Config config = load(o.config);
  RunStore store(config.storage, config.environment);
  const std::string name = qualified(o.schema, o.dataset);
  nlohmann::ordered_json out;
  if (o.action == "set") {
    RunRecord run;
    if (!o.run.empty()) {
      auto found = store.find_run(o.run);
      if (!found) {
        throw UsageError(
            fmt::format("--run {}: no such run in storage; list runs with "
                        "`baselinr runs --dataset {}`",
                        o.run, o.dataset));
      }
      if (found->dataset_name != o.dataset ||
          (!o.schema.empty() && found->schema_name != o.schema)) {
        throw UsageError(fmt::format("--run {}: that run profiled '{}', not '{}'", o.run,
                                     qualified(found->schema_name, found->dataset_name), name));
      }
      run = *found;
    } else {
      auto latest = store.list_runs(
          {.dataset = o.dataset, .schema = o.schema, .status = "completed", .limit = 1});
      if (latest.empty()) {
        throw UsageError(fmt::format(
            "no stored runs of '{}'; run `baselinr profile` first, or pass --run ID", name));
      }
      run = latest.front();
    }
    store.pin_baseline(run);
    out = {{"dataset", o.dataset}, {"run_id", run.run_id}, {"profiled_at", run.profiled_at}};
    if (o.output != "json") {
      fmt::print("pinned run {} ({}, {} rows) as the baseline of {}\n", run.run_id, run.profiled_at,
                 run.row_count, name);
    }
  } else if (o.action == "show") {
    auto pin = store.pinned_baseline(o.dataset, o.schema);
    if (pin) {
      out = {{"dataset", o.dataset}, {"run_id", pin->run_id}, {"pinned_at", pin->pinned_at}};
      if (auto run = store.find_run(pin->run_id)) out["profiled_at"] = run->profiled_at;
    } else {
      out = {{"dataset", o.dataset}, {"run_id", nullptr}};
    }
    if (o.output != "json") {
      if (pin) {
        fmt::print("{}: pinned baseline run {} (pinned at {} UTC)\n", name, pin->run_id,
                   pin->pinned_at);
      } else {
        fmt::print("{}: no pinned baseline; drift compares with drift_detection.baselines ({})\n",
                   name, to_string(config.drift_detection.baselines.strategy));
      }
    }
  } else {
    const bool cleared = store.clear_baseline(o.dataset, o.schema);
    out = {{"dataset", o.dataset}, {"cleared", cleared}};
    if (o.output != "json") {
      fmt::print("{}\n", cleared ? fmt::format("{}: pinned baseline cleared", name)
                                 : fmt::format("{}: no pinned baseline to clear", name));
    }
  }
  if (o.output == "json") fmt::print("{}\n", out.dump(2));
  return kExitOk;
}

void add_baseline_command(CLI::App& app, CommandList& commands) {
  CLI::App* group =
      command_group(app, "baseline",
                    "Pin, show or clear the run a table's drift is compared with (its baseline).");
  struct Verb {
    const char* name;
    const char* help;
  };
  for (Verb v : {Verb{"set", "Pin a run (default: the table's latest) as its drift baseline"},
                 Verb{"show", "Show the table's pinned baseline run"},
                 Verb{"clear", "Remove the table's pinned baseline"}}) {
    auto o = std::make_shared<BaselineOptions>();
    o->action = v.name;
    auto* cmd = group->add_subcommand(v.name, v.help);
    add_config(cmd, o->config);
    cmd->add_option("-d,--dataset", o->dataset, "Table")->required()->type_name("TABLE");
    cmd->add_option("-s,--schema", o->schema, "Schema of the table")->type_name("SCHEMA");
    if (std::string(v.name) == "set") {
      cmd->add_option("--run", o->run, "Run id to pin (default: the latest run)")
          ->type_name("RUN_ID");
    }
    add_format(cmd, o->output);
    commands.push_back({cmd, [o] { return run_baseline(*o); }});
  }
}

}  // namespace baselinr::cli
