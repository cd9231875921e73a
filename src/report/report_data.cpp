#include "report/report_data.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "baselinr/drift.hpp"
#include "baselinr/error.hpp"
#include "common/text.hpp"
#include "report/html.hpp"

namespace baselinr::report {
namespace {

// Reads events, turning a failure into a note on the page: a report with its profiles and no
// events is more useful than no report.
class EventReader {
 public:
  EventReader(const Config& config, const RunStore& store, std::string& error)
      : config_(config), store_(store), error_(error) {}

  std::vector<EventRecord> read(const EventQuery& query) {
    if (!error_.empty()) return {};
    try {
      return list_configured_events(config_, query, &store_);
    } catch (const Error& e) {
      error_ = e.what();
      return {};
    }
  }

 private:
  const Config& config_;
  const RunStore& store_;
  std::string& error_;
};

std::string json_text(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_integer()) return std::to_string(it->get<std::int64_t>());
  if (it->is_number()) return format_double(it->get<double>());
  return it->dump();
}

std::optional<std::chrono::system_clock::time_point> when(const std::string& stored) {
  return parse_time(stored);
}

// The run an event was about: the one its details name, else the newest run at or before it.
std::optional<std::size_t> run_of(const std::vector<RunSnapshot>& runs, const std::string& run_id,
                                  const std::string& timestamp) {
  if (!run_id.empty()) {
    for (std::size_t i = 0; i < runs.size(); ++i) {
      if (runs[i].run.run_id == run_id) return i;
    }
    return std::nullopt;
  }
  auto t = when(timestamp);
  if (!t) return std::nullopt;
  std::optional<std::size_t> found;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    auto r = when(runs[i].run.profiled_at);
    if (r && *r <= *t) found = i;
  }
  return found;
}

Finding finding_from_event(const EventRecord& e, const TableReport& t) {
  Finding f;
  f.table = t.name;
  f.schema = t.schema;
  f.column = e.column_name;
  f.metric = e.metric_name;
  f.severity = to_lower(e.drift_severity);
  f.baseline_value = e.baseline_value;
  f.current_value = e.current_value;
  f.change_percent = e.change_percent;
  f.detected_at = e.timestamp;
  f.from_event = true;
  auto meta = nlohmann::json::parse(e.metadata, nullptr, false);
  if (meta.is_object()) {
    f.direction = json_text(meta, "direction");
    f.strategy = json_text(meta, "strategy");
    f.statistic = json_text(meta, "statistic");
    f.statistic_value = json_text(meta, "statistic_value");
    f.threshold = json_text(meta, "threshold");
    f.baseline_run_ids = json_text(meta, "baseline_run_ids");
    f.current_run_id = json_text(meta, "current_run_id");
    f.reason = json_text(meta, "reason");
  }
  return f;
}

double threshold_of(const Thresholds& t, Severity s) {
  switch (s) {
    case Severity::kHigh:
      return t.high;
    case Severity::kMedium:
      return t.medium;
    default:
      return t.low;
  }
}

// The configured detection on the latest run, as `baselinr drift` would report it now.
void compare_latest(const Config& config, const RunStore& store, TableReport& t) {
  if (t.runs.size() < 2) {
    t.drift_note = t.runs.empty() ? "" : "one run only: nothing to compare yet";
    return;
  }
  DriftReport dr;
  try {
    DriftDetector detector(config, store);  // with the per-table and per-column settings
    dr = detector.detect({.dataset = t.name, .schema = t.schema});
  } catch (const Error& e) {
    t.drift_note = e.what();
    return;
  }
  const bool zscore = dr.strategy == DriftStrategy::kStandardDeviation;
  const Thresholds& th = zscore ? config.drift_detection.standard_deviation
                                : config.drift_detection.absolute_threshold;
  const std::string now = format_storage_time(std::chrono::system_clock::now());
  for (const auto& m : dr.metrics) {
    if (!m.reported()) continue;  // folded into another finding of its column, or not one
    Finding f;
    f.table = t.name;
    f.schema = t.schema;
    f.column = m.column;
    f.metric = m.metric;
    f.severity = std::string(to_string(m.severity));
    f.baseline_value = m.baseline_value;
    f.current_value = m.current_value;
    f.change_percent = m.change_percent;
    f.strategy = std::string(to_string(dr.strategy));
    f.statistic = zscore ? "z_score" : "change_percent";
    const std::optional<double> stat = zscore ? m.z_score : m.change_percent;
    if (stat) f.statistic_value = format_double(*stat);
    f.threshold = format_double(threshold_of(th, m.severity));
    if (m.baseline_value && m.current_value) {
      f.direction = *m.current_value > *m.baseline_value ? "up" : "down";
    }
    f.baseline_run_ids = dr.baseline.run_id;
    f.current_run_id = dr.current.run_id;
    f.detected_at = now;
    f.run_index = t.runs.size() - 1;
    if (m.baseline_value && m.current_value) {
      f.reason =
          fmt::format("{} {} from {} to {}{}; {} is {} at |{}| ≥ {}", m.metric,
                      f.direction == "up" ? "rose" : "fell", display_number(*m.baseline_value),
                      display_number(*m.current_value),
                      stat ? fmt::format(" ({} {})", f.statistic, display_number(*stat, 2)) : "",
                      f.statistic, f.severity, f.statistic, f.threshold);
    }
    // The finding's own explanation, as its event carries it, where the detector gives one.
    if (!m.strategy.empty()) f.strategy = m.strategy;
    if (!m.statistic.empty()) f.statistic = m.statistic;
    if (m.statistic_value) f.statistic_value = format_double(*m.statistic_value);
    if (m.threshold) f.threshold = format_double(*m.threshold);
    if (!m.direction.empty()) f.direction = m.direction;
    if (!m.baseline_run_ids.empty()) f.baseline_run_ids = join(m.baseline_run_ids, ",");
    if (!m.reason.empty()) f.reason = m.reason;
    t.findings.push_back(std::move(f));
  }
  if (!dr.warnings.empty()) t.drift_note = join(dr.warnings, "; ");
}

void explain_from(Finding& target, const Finding& source) {
  target.direction = source.direction;
  target.strategy = source.strategy;
  target.statistic = source.statistic;
  target.statistic_value = source.statistic_value;
  target.threshold = source.threshold;
  target.baseline_run_ids = source.baseline_run_ids;
  target.current_run_id = source.current_run_id;
  target.reason = source.reason;
}

void schema_timeline(TableReport& t) {
  for (std::size_t i = 1; i < t.runs.size(); ++i) {
    const auto before = t.runs[i - 1].columns();
    const auto after = t.runs[i].columns();
    auto type_in = [](const auto& cols, const std::string& name) -> std::optional<std::string> {
      for (const auto& [n, ty] : cols) {
        if (n == name) return ty;
      }
      return std::nullopt;
    };
    for (const auto& [name, type] : after) {
      auto old = type_in(before, name);
      if (!old) {
        t.schema_changes.push_back({i, "column_added", name, "", type});
      } else if (to_lower(*old) != to_lower(type)) {
        t.schema_changes.push_back({i, "type_changed", name, *old, type});
      }
    }
    for (const auto& [name, type] : before) {
      if (!type_in(after, name)) t.schema_changes.push_back({i, "column_removed", name, type, ""});
    }
  }
}

void gather_findings(EventReader& events, TableReport& t) {
  if (t.runs.empty()) return;
  for (const auto& e :
       events.read({.event_type = "DataDriftDetected", .table = t.name, .limit = 1000})) {
    Finding f = finding_from_event(e, t);
    auto meta = nlohmann::json::parse(e.metadata, nullptr, false);
    if (meta.is_object()) {
      const std::string schema = json_text(meta, "schema");
      if (!schema.empty() && schema != t.schema) continue;
    }
    f.run_index = run_of(t.runs, f.current_run_id, e.timestamp);
    if (!f.run_index) continue;  // about a run outside the window
    // The same finding reported again (drift run twice on the same runs) is shown once.
    const bool seen = std::any_of(t.findings.begin(), t.findings.end(), [&](const Finding& g) {
      return g.run_index == f.run_index && g.column == f.column && g.metric == f.metric;
    });
    if (!seen) t.findings.push_back(std::move(f));
  }
}

}  // namespace

int severity_rank(std::string_view severity) {
  if (severity == "high") return 3;
  if (severity == "medium") return 2;
  if (severity == "low") return 1;
  return 0;
}

std::string TableReport::status() const {
  if (failure) return "failed";
  if (runs.empty()) return "not profiled";
  return "ok";
}

std::vector<const Finding*> TableReport::open_findings() const {
  std::vector<const Finding*> out;
  if (runs.empty()) return out;
  for (const auto& f : findings) {
    if (f.run_index == runs.size() - 1) out.push_back(&f);
  }
  return out;
}

ReportData gather_report(const Config& config, const RunStore& store,
                         const ReportOptions& options) {
  ReportData data;
  data.generated_at = format_storage_time(std::chrono::system_clock::now());
  data.environment = config.environment;
  data.source = config.source.describe();
  data.storage = config.storage.connection.describe();
  data.config_file = config.source_file;
  data.runs_window = options.runs;

  // Configured tables in configuration order, then tables only the store knows.
  const std::vector<DatasetRecord> datasets = store.list_datasets();
  auto add = [&](const std::string& name, const std::string& schema, bool configured) {
    for (auto& t : data.tables) {
      if (t.name == name && t.schema == schema) {
        t.configured = t.configured || configured;
        return;
      }
    }
    TableReport t;
    t.name = name;
    t.schema = schema;
    t.configured = configured;
    for (const auto& d : datasets) {
      if (d.dataset_name == name && d.schema_name == schema) t.stored_runs = d.runs;
    }
    data.tables.push_back(std::move(t));
  };
  for (const auto& t : config.profiling.tables) {
    add(t.table, t.schema.empty() ? config.source.schema : t.schema, true);
  }
  for (const auto& d : datasets) add(d.dataset_name, d.schema_name, false);

  if (!options.datasets.empty()) {
    std::vector<TableReport> chosen;
    for (const auto& wanted : options.datasets) {
      bool found = false;
      for (auto& t : data.tables) {
        if (t.name == wanted || t.display_name() == wanted) {
          found = true;
          if (std::none_of(chosen.begin(), chosen.end(), [&](const TableReport& c) {
                return c.name == t.name && c.schema == t.schema;
              })) {
            chosen.push_back(t);
          }
        }
      }
      if (!found) {
        std::vector<std::string> names;
        for (const auto& t : data.tables) names.push_back(t.display_name());
        auto near = closest_match(wanted, names);
        throw UsageError(fmt::format("--dataset {}: neither configured nor stored{}; tables: {}",
                                     wanted,
                                     near ? fmt::format(" (did you mean '{}'?)", *near) : "",
                                     names.empty() ? "none yet" : join(names, ", ")));
      }
    }
    data.tables = std::move(chosen);
  }

  EventReader events(config, store, data.events_error);
  for (auto& t : data.tables) {
    t.runs = load_history(store, t.name, t.schema, options.runs);
    auto failed = events.read({.event_type = "ProfilingFailed", .table = t.name, .limit = 1});
    if (!failed.empty()) {
      auto at = when(failed.front().timestamp);
      auto last = t.runs.empty() ? std::nullopt : when(t.runs.back().run.profiled_at);
      if (t.runs.empty() || (at && last && *at > *last)) t.failure = failed.front();
    }
    gather_findings(events, t);
    const std::size_t from_events = t.findings.size();
    compare_latest(config, store, t);
    // A finding the detection repeats for a run that already has its stored event is kept once.
    std::vector<Finding> merged(t.findings.begin(),
                                t.findings.begin() + static_cast<long>(from_events));
    for (std::size_t i = from_events; i < t.findings.size(); ++i) {
      const Finding& f = t.findings[i];
      auto same = std::find_if(merged.begin(), merged.end(), [&](const Finding& g) {
        return g.run_index == f.run_index && g.column == f.column && g.metric == f.metric;
      });
      if (same == merged.end()) {
        merged.push_back(f);
      } else if (same->strategy.empty() && same->reason.empty() &&
                 same->baseline_value == f.baseline_value &&
                 same->current_value == f.current_value) {
        // An event stored without its explanation (by an older baselinr) about the same values:
        // the comparison just made explains it.
        explain_from(*same, f);
      }
    }
    t.findings = std::move(merged);
    std::stable_sort(t.findings.begin(), t.findings.end(), [](const Finding& a, const Finding& b) {
      if (a.run_index != b.run_index) return a.run_index > b.run_index;
      return severity_rank(a.severity) > severity_rank(b.severity);
    });
    schema_timeline(t);
  }

  if (options.datasets.empty()) {
    data.events = events.read({.limit = options.events});
  } else {
    std::set<std::string> names;
    for (const auto& t : data.tables) names.insert(t.name);
    for (const auto& name : names) {
      auto some = events.read({.table = name, .limit = options.events});
      data.events.insert(data.events.end(), some.begin(), some.end());
    }
    std::stable_sort(
        data.events.begin(), data.events.end(),
        [](const EventRecord& a, const EventRecord& b) { return a.timestamp > b.timestamp; });
    if (data.events.size() > static_cast<std::size_t>(options.events)) {
      data.events.resize(static_cast<std::size_t>(options.events));
    }
  }
  return data;
}

}  // namespace baselinr::report
