#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <memory>
#include <nlohmann/json.hpp>

#include "baselinr/storage.hpp"
#include "cli/cli_util.hpp"
#include "cli/commands.hpp"
#include "common/text.hpp"

namespace baselinr::cli {

int run_runs(const RunsOptions& options) {
  Config config = load(options.config);
  RunStore store(config.storage, config.environment);
  auto runs = store.list_runs({.dataset = options.dataset, .limit = options.limit});
  if (options.output == "json") {
    nlohmann::ordered_json arr = nlohmann::ordered_json::array();
    for (const auto& r : runs) {
      arr.push_back({{"run_id", r.run_id},
                     {"dataset_name", r.dataset_name},
                     {"schema_name", r.schema_name.empty() ? nlohmann::ordered_json(nullptr)
                                                           : nlohmann::ordered_json(r.schema_name)},
                     {"profiled_at", r.profiled_at},
                     {"environment", r.environment},
                     {"status", r.status},
                     {"row_count", r.row_count},
                     {"column_count", r.column_count}});
    }
    fmt::print("{}\n", arr.dump(2));
    return kExitOk;
  }
  if (runs.empty()) {
    fmt::print("no runs stored{}\n", options.dataset.empty() ? "" : " for " + options.dataset);
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : runs) {
    rows.push_back({r.run_id,
                    r.schema_name.empty() ? r.dataset_name : r.schema_name + "." + r.dataset_name,
                    r.profiled_at, r.status, std::to_string(r.row_count),
                    std::to_string(r.column_count), r.environment});
  }
  fmt::print("{}", text_table({"RUN_ID", "DATASET", "PROFILED_AT (UTC)", "STATUS", "ROWS",
                               "COLUMNS", "ENVIRONMENT"},
                              rows));
  return kExitOk;
}

int run_events(const EventsOptions& options) {
  Config config = load(options.config);
  EventQuery query{options.type, options.dataset, options.limit};
  std::vector<EventRecord> events = list_configured_events(config, query);
  if (options.output == "json") {
    nlohmann::ordered_json arr = nlohmann::ordered_json::array();
    for (const auto& e : events) {
      auto opt = [](const std::optional<double>& v) {
        return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr);
      };
      auto str = [](const std::string& s) {
        return s.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(s);
      };
      auto meta = nlohmann::ordered_json::parse(e.metadata, nullptr, false);
      arr.push_back({{"event_id", e.event_id},
                     {"event_type", e.event_type},
                     {"table_name", str(e.table_name)},
                     {"column_name", str(e.column_name)},
                     {"metric_name", str(e.metric_name)},
                     {"baseline_value", opt(e.baseline_value)},
                     {"current_value", opt(e.current_value)},
                     {"change_percent", opt(e.change_percent)},
                     {"drift_severity", str(e.drift_severity)},
                     {"timestamp", e.timestamp},
                     {"metadata", meta.is_discarded() ? nlohmann::ordered_json(e.metadata) : meta},
                     {"created_at", str(e.created_at)}});
    }
    fmt::print("{}\n", arr.dump(2));
    return kExitOk;
  }
  if (events.empty()) {
    fmt::print("no events stored\n");
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& e : events) {
    std::string detail;
    if (e.event_type == "DataDriftDetected") {
      detail = fmt::format("{}.{} {}", e.column_name, e.metric_name,
                           e.change_percent ? fmt::format("{:+.1f}%", *e.change_percent) : "");
    } else if (!e.column_name.empty()) {
      detail = e.column_name;
    }
    rows.push_back({e.timestamp, e.event_type, e.table_name, e.drift_severity, detail});
  }
  fmt::print("{}", text_table({"TIMESTAMP (UTC)", "EVENT", "TABLE", "SEVERITY", "DETAIL"}, rows));
  return kExitOk;
}

void add_runs_command(CLI::App& app, CommandList& commands) {
  auto o = std::make_shared<RunsOptions>();
  auto* cmd = app.add_subcommand("runs", "List stored runs, newest first.");
  add_config(cmd, o->config);
  cmd->add_option("--dataset", o->dataset, "Only runs of this table")->type_name("TABLE");
  cmd->add_option("--limit", o->limit, "At most N runs (0: all)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  add_format(cmd, o->output);
  commands.push_back({cmd, [o] { return run_runs(*o); }});
}

void add_events_command(CLI::App& app, CommandList& commands) {
  auto o = std::make_shared<EventsOptions>();
  auto* cmd = app.add_subcommand(
      "events",
      "List persisted events, newest first (from the first sql hook's table, else "
      "from storage).");
  add_config(cmd, o->config);
  cmd->add_option("--type", o->type, "Only events of this type, e.g. DataDriftDetected")
      ->type_name("EVENT_TYPE");
  cmd->add_option("--dataset", o->dataset, "Only events about this table")->type_name("TABLE");
  cmd->add_option("--limit", o->limit, "At most N events (0: all)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  add_format(cmd, o->output);
  commands.push_back({cmd, [o] { return run_events(*o); }});
}

}  // namespace baselinr::cli
