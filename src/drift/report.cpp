// Drift report rendering: text for people, JSON for machines.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "baselinr/drift.hpp"
#include "common/text.hpp"

namespace baselinr {
namespace {

std::string num(const std::optional<double>& v) {
  if (!v) return "-";
  double x = *v;
  if (std::isfinite(x) && x == std::floor(x) && std::fabs(x) < 1e15) {
    return fmt::format("{}", static_cast<long long>(x));
  }
  if (std::isfinite(x)) return fmt::format("{:.6g}", x);
  return format_double(x);
}

std::string pct(const std::optional<double>& v) {
  if (!v) return "-";
  return fmt::format("{:+.1f}%", *v);
}

nlohmann::ordered_json opt_json(const std::optional<double>& v) {
  if (!v || !std::isfinite(*v)) return nullptr;
  return *v;
}

nlohmann::ordered_json run_json(const RunRecord& r) {
  nlohmann::ordered_json j = {{"run_id", r.run_id},
                              {"profiled_at", r.profiled_at},
                              {"row_count", r.row_count},
                              {"column_count", r.column_count}};
  auto scope = nlohmann::ordered_json::parse(r.metadata, nullptr, false);
  j["scope"] = scope.is_discarded() ? nlohmann::ordered_json(nullptr) : scope;
  return j;
}

}  // namespace

std::string DriftReport::to_text() const {
  std::string out =
      fmt::format("Drift report for {}{}\n", schema.empty() ? "" : schema + ".", dataset);
  out += fmt::format("  baseline  {}  {}  {} rows\n", baseline.run_id, baseline.profiled_at,
                     baseline.row_count);
  out += fmt::format("  current   {}  {}  {} rows\n", current.run_id, current.profiled_at,
                     current.row_count);
  out += fmt::format("  strategy  {}\n", to_string(strategy));
  for (const auto& w : warnings) out += fmt::format("\nwarning: {}\n", w);

  out += "\nSchema changes:";
  if (schema_changes.empty()) {
    out += " none\n";
  } else {
    out += "\n";
    for (const auto& c : schema_changes) {
      if (c.change_type == "column_added") {
        out += fmt::format("  + column_added    {} ({})\n", c.column, c.new_type.value_or("?"));
      } else if (c.change_type == "column_removed") {
        out += fmt::format("  - column_removed  {} ({})\n", c.column, c.old_type.value_or("?"));
      } else {
        out += fmt::format("  ~ type_changed    {}: {} -> {}\n", c.column, c.old_type.value_or("?"),
                           c.new_type.value_or("?"));
      }
    }
  }

  out += fmt::format("\nDrift: {} of {} compared metrics\n", summary.drifted, summary.compared);
  if (summary.drifted > 0) {
    std::size_t cw = 6, mw = 6;
    for (const auto& m : metrics) {
      if (!m.drift_detected) continue;
      cw = std::max(cw, m.column.size());
      mw = std::max(mw, m.metric.size());
    }
    const bool z = strategy == DriftStrategy::kStandardDeviation;
    out += fmt::format("  {:<8} {:<{}} {:<{}} {:>14} {:>14} {:>10}{}\n", "SEVERITY", "COLUMN", cw,
                       "METRIC", mw, "BASELINE", "CURRENT", "CHANGE", z ? "  Z-SCORE" : "");
    for (int level = 3; level >= 1; --level) {
      for (const auto& m : metrics) {
        if (!m.drift_detected || static_cast<int>(m.severity) != level) continue;
        out += fmt::format("  {:<8} {:<{}} {:<{}} {:>14} {:>14} {:>10}{}\n", to_string(m.severity),
                           m.column, cw, m.metric, mw, num(m.baseline_value), num(m.current_value),
                           pct(m.change_percent),
                           z ? fmt::format("  {:>7}", m.z_score ? fmt::format("{:+.2f}", *m.z_score)
                                                                : std::string("-"))
                             : "");
      }
    }
  }
  out += fmt::format(
      "\nSummary: {} metrics compared, {} drifted (high {}, medium {}, low {}), {} schema "
      "change(s)\n",
      summary.compared, summary.drifted, summary.high, summary.medium, summary.low,
      summary.schema_changes);
  return out;
}

std::string DriftReport::to_json() const {
  nlohmann::ordered_json j;
  j["dataset"] = dataset;
  j["schema"] = schema.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(schema);
  j["strategy"] = std::string(to_string(strategy));
  j["baseline_run"] = run_json(baseline);
  j["current_run"] = run_json(current);
  nlohmann::ordered_json ms = nlohmann::ordered_json::array();
  for (const auto& m : metrics) {
    nlohmann::ordered_json mj;
    mj["column"] = m.column;
    mj["metric"] = m.metric;
    mj["baseline_value"] = opt_json(m.baseline_value);
    mj["current_value"] = opt_json(m.current_value);
    mj["change_percent"] = opt_json(m.change_percent);
    mj["change_absolute"] = opt_json(m.change_absolute);
    mj["drift_detected"] = m.drift_detected;
    mj["severity"] = std::string(to_string(m.severity));
    if (strategy == DriftStrategy::kStandardDeviation) {
      mj["z_score"] = opt_json(m.z_score);
      mj["history_mean"] = opt_json(m.history_mean);
      mj["history_stddev"] = opt_json(m.history_stddev);
      mj["history_size"] = m.history_size;
    }
    if (!m.note.empty()) mj["note"] = m.note;
    ms.push_back(std::move(mj));
  }
  j["metrics"] = std::move(ms);
  nlohmann::ordered_json sc = nlohmann::ordered_json::array();
  for (const auto& c : schema_changes) {
    sc.push_back({{"change_type", c.change_type},
                  {"column", c.column},
                  {"old_type", c.old_type ? nlohmann::ordered_json(*c.old_type) : nullptr},
                  {"new_type", c.new_type ? nlohmann::ordered_json(*c.new_type) : nullptr}});
  }
  j["schema_changes"] = std::move(sc);
  j["summary"] = {
      {"metrics_compared", summary.compared},
      {"drift_detected", summary.drifted},
      {"by_severity", {{"high", summary.high}, {"medium", summary.medium}, {"low", summary.low}}},
      {"schema_changes", summary.schema_changes}};
  j["warnings"] = warnings;
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace baselinr
