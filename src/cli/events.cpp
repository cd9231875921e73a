// `baselinr events`: the events the store recorded, newest first, with each one's delivery status
// per hook.
#include "baselinr/events.hpp"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "baselinr/error.hpp"
#include "baselinr/storage.hpp"
#include "cli/cli_util.hpp"
#include "cli/commands.hpp"
#include "common/text.hpp"

namespace baselinr::cli {

int run_events(const EventsOptions& options) {
  Config config = load(options.config);
  const auto& types = all_event_types();
  if (!options.type.empty() && std::find(types.begin(), types.end(), options.type) == types.end()) {
    std::string hint;
    if (auto near = closest_match(options.type, types)) {
      hint = fmt::format(" (did you mean '{}'?)", *near);
    }
    throw UsageError(fmt::format("--type {}: not an event type{}; one of {}", options.type, hint,
                                 join(types, ", ")));
  }
  EventQuery query{options.type, options.dataset, options.limit};
  std::vector<EventRecord> events;
  std::map<std::string, std::vector<DeliveryRecord>> deliveries;
  try {
    RunStore store(config.storage, config.environment, StoreAccess::kReadOnly);
    events = store.list_events(query);
    std::vector<std::string> ids;
    for (const auto& e : events) ids.push_back(e.event_id);
    for (auto& d : store.deliveries(ids)) deliveries[d.event_id].push_back(std::move(d));
  } catch (const NoStoreError& e) {
    return no_store_yet(e, options.format);
  }

  if (options.format == "json") {
    nlohmann::ordered_json arr = nlohmann::ordered_json::array();
    for (const auto& e : events) {
      auto opt = [](const std::optional<double>& v) {
        return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr);
      };
      auto str = [](const std::string& s) {
        return s.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(s);
      };
      auto meta = nlohmann::ordered_json::parse(e.metadata, nullptr, false);
      nlohmann::ordered_json per_hook = nlohmann::ordered_json::array();
      for (const auto& d : deliveries[e.event_id]) {
        per_hook.push_back(
            {{"hook", d.hook},
             {"status", d.status},
             {"attempts", d.attempts},
             {"next_attempt_at", d.status == "pending" ? str(d.next_attempt_at) : nullptr},
             {"delivered_at", str(d.delivered_at)},
             {"last_error", str(d.last_error)}});
      }
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
                     {"created_at", str(e.created_at)},
                     {"deliveries", std::move(per_hook)}});
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
    } else if (e.event_type == "DataDriftResolved") {
      detail = fmt::format("{}.{}", e.column_name, e.metric_name);
    } else if (!e.column_name.empty()) {
      detail = e.column_name;
    }
    std::vector<std::string> status;
    for (const auto& d : deliveries[e.event_id]) {
      std::string s = d.hook + ":" + d.status;
      if (d.status == "pending" && d.attempts > 0) s += fmt::format("({} tries)", d.attempts);
      status.push_back(s);
    }
    rows.push_back({e.timestamp, e.event_type, e.table_name, e.drift_severity, detail,
                    status.empty() ? "-" : join(status, " ")});
  }
  fmt::print(
      "{}",
      text_table({"TIMESTAMP (UTC)", "EVENT", "TABLE", "SEVERITY", "DETAIL", "DELIVERIES"}, rows));
  return kExitOk;
}

void add_events_command(CLI::App& app, CommandList& commands) {
  auto o = std::make_shared<EventsOptions>();
  auto* cmd = app.add_subcommand(
      "events",
      "List the events the store recorded, newest first, with their delivery status per hook "
      "(`hooks test` events are not listed).");
  add_config(cmd, o->config);
  cmd->add_option("--type", o->type, "Only events of this type: " + join(all_event_types(), ", "))
      ->type_name("EVENT_TYPE");
  cmd->add_option("-d,--dataset", o->dataset, "Only events about this table")->type_name("TABLE");
  add_limit(cmd, o->limit, "events");
  add_format(cmd, o->format);
  commands.push_back({cmd, [o] { return run_events(*o); }});
}

}  // namespace baselinr::cli
