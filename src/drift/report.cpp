// Drift report rendering: text for people, JSON for machines. Every finding says which unit
// graded it, its statistic and threshold, the baseline runs, and why in one line.
#include <fmt/format.h>

#include <map>
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

std::string change_text(const MetricComparison& m) {
  if (m.metric == "distribution") {
    return m.statistic_value ? fmt::format("{} {:.3f}", m.statistic, *m.statistic_value) : "";
  }
  if (m.statistic == "change_points" && m.change_absolute) {
    return fmt::format("{:+.2f} points", *m.change_absolute);
  }
  if (m.change_percent) return fmt::format("{:+.1f}%", *m.change_percent);
  if (m.change_absolute) return fmt::format("{:+.6g}", *m.change_absolute);
  return "";
}

std::string label(const MetricComparison& m) {
  return m.table_level() ? m.metric + " (table)" : m.column + "." + m.metric;
}

nlohmann::ordered_json opt_json(const std::optional<double>& v) {
  if (!v || !std::isfinite(*v)) return nullptr;
  return *v;
}

// A value that may be non-finite: JSON has no inf or nan, so those are written as text.
nlohmann::ordered_json value_json(const std::optional<double>& v) {
  if (!v) return nullptr;
  if (std::isfinite(*v)) return *v;
  return format_double(*v);
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
  out += fmt::format("  baseline  {}  {}  {} rows{}\n", baseline.run_id, baseline.profiled_at,
                     baseline.row_count, pinned ? "  (pinned)" : "");
  out += fmt::format("  current   {}  {}  {} rows\n", current.run_id, current.profiled_at,
                     current.row_count);
  out +=
      fmt::format("  strategy  {}; baselines {}\n", to_string(strategy),
                  pinned ? std::string("pinned run") : std::string(to_string(baseline_strategy)));
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

  out += fmt::format("\nFindings: {} (high {}, medium {}, low {})\n", summary.drifted, summary.high,
                     summary.medium, summary.low);
  std::size_t width = 10;
  for (const auto& m : metrics) {
    if (m.reported()) width = std::max(width, label(m).size());
  }
  for (int level = 3; level >= 1; --level) {
    for (const auto& m : metrics) {
      if (!m.reported() || static_cast<int>(m.severity) != level) continue;
      std::string values;
      if (m.metric != "distribution") {
        values = fmt::format("{} -> {}", num(m.baseline_value), num(m.current_value));
      }
      out += fmt::format("  {:<6}  {:<{}}  {:>24}  {}\n", to_string(m.severity), label(m), width,
                         values, change_text(m));
      out += fmt::format("          {}\n", m.reason);
    }
  }
  std::map<std::string, int> quiet;
  for (const auto& m : metrics) {
    if (m.suppressed.empty()) continue;
    const auto cut = m.suppressed.find_first_of("(:;");
    std::string why = m.suppressed.substr(0, cut);
    while (!why.empty() && why.back() == ' ') why.pop_back();
    if (why.rfind("within its usual range", 0) == 0) why = "within their usual range";
    if (why.rfind("outside its usual range", 0) == 0) why = "outside their usual range, small";
    ++quiet[why];
  }
  if (!quiet.empty()) {
    std::vector<std::string> parts;
    int total = 0;
    for (const auto& [why, n] : quiet) {
      parts.push_back(fmt::format("{} {}", n, why));
      total += n;
    }
    out += fmt::format("\nNot reported: {} change(s): {} (details: --format json)\n", total,
                       join(parts, "; "));
  }
  out += fmt::format(
      "\nSummary: {} metrics compared, {} finding(s) (high {}, medium {}, low {}), {} schema "
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
  j["baseline_strategy"] =
      pinned ? std::string("pinned") : std::string(to_string(baseline_strategy));
  j["baseline_run"] = run_json(baseline);
  j["current_run"] = run_json(current);
  nlohmann::ordered_json ms = nlohmann::ordered_json::array();
  for (const auto& m : metrics) {
    nlohmann::ordered_json mj;
    mj["column"] =
        m.table_level() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(m.column);
    mj["level"] = m.table_level() ? "table" : "column";
    mj["metric"] = m.metric;
    mj["baseline_value"] = value_json(m.baseline_value);
    mj["current_value"] = value_json(m.current_value);
    mj["change_percent"] = opt_json(m.change_percent);
    mj["change_absolute"] = opt_json(m.change_absolute);
    mj["drift_detected"] = m.drift_detected;
    mj["severity"] = std::string(to_string(m.severity));
    mj["strategy"] = m.strategy;
    mj["statistic"] = m.statistic;
    mj["statistic_value"] = value_json(m.statistic_value);
    mj["threshold"] = opt_json(m.threshold);
    if (m.p_value) mj["p_value"] = *m.p_value;
    mj["direction"] =
        m.direction.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(m.direction);
    mj["baseline_run_ids"] = m.baseline_run_ids;
    mj["reason"] = m.reason;
    if (m.expected_value) {
      mj["expected"] = {{"value", opt_json(m.expected_value)},
                        {"low", opt_json(m.expected_low)},
                        {"high", opt_json(m.expected_high)},
                        {"method", m.expected_method}};
    }
    if (!m.tests.empty()) {
      nlohmann::ordered_json tj = nlohmann::ordered_json::array();
      for (const auto& t : m.tests) {
        nlohmann::ordered_json one = {{"test", t.test},
                                      {"statistic", t.statistic},
                                      {"value", t.value},
                                      {"threshold", t.threshold},
                                      {"p_value", opt_json(t.p_value)},
                                      {"alpha", opt_json(t.alpha)},
                                      {"severity", std::string(to_string(t.severity))}};
        if (!t.detail.empty()) one["detail"] = t.detail;
        tj.push_back(std::move(one));
      }
      mj["tests"] = std::move(tj);
    }
    if (strategy == DriftStrategy::kStandardDeviation) {
      mj["z_score"] = opt_json(m.z_score);
      mj["history_mean"] = opt_json(m.history_mean);
      mj["history_stddev"] = opt_json(m.history_stddev);
      mj["history_size"] = m.history_size;
    }
    if (!m.suppressed.empty()) mj["suppressed"] = m.suppressed;
    if (!m.reported_in.empty()) mj["reported_in"] = m.reported_in;
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
