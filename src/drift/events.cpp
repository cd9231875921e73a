// Drift reports as events: the one place drift findings become DataDriftDetected and
// SchemaChangeDetected, with their details and name-based ids.
#include <fmt/format.h>

#include <algorithm>

#include "baselinr/drift.hpp"
#include "common/text.hpp"
#include "common/uuid.hpp"

namespace baselinr {
namespace {

FieldValue optional_number(const std::optional<double>& v) {
  if (!v) return std::monostate{};
  return *v;
}

}  // namespace

std::vector<Event> drift_events(const DriftReport& report) {
  std::vector<Event> out;
  const auto now = Event::Clock::now();
  std::vector<const MetricComparison*> findings;
  for (const auto& m : report.metrics) {
    if (m.reported()) findings.push_back(&m);
  }
  std::stable_sort(findings.begin(), findings.end(), [](const auto* a, const auto* b) {
    return static_cast<int>(a->severity) > static_cast<int>(b->severity);
  });
  for (const MetricComparison* m : findings) {
    const std::string baseline_ids = join(m->baseline_run_ids, ",");
    const std::string direction = m->direction.empty() ? "changed" : m->direction;
    DataDriftDetected e{report.dataset,   m->column,         m->metric,   m->baseline_value,
                        m->current_value, m->change_percent, m->severity, {}};
    e.details = {{"schema", report.schema},
                 {"direction", direction},
                 {"strategy", m->strategy},
                 {"statistic", m->statistic},
                 {"statistic_value", optional_number(m->statistic_value)},
                 {"threshold", optional_number(m->threshold)},
                 {"baseline_run_ids", baseline_ids},
                 {"current_run_id", report.current.run_id},
                 {"reason", m->reason}};
    const std::string id =
        uuid_v5(fmt::format("drift|{}|{}|{}|{}|{}|{}|{}", report.schema, report.dataset, m->column,
                            m->metric, direction, baseline_ids, report.current.run_id));
    out.emplace_back(std::move(e), id, now);
  }
  for (const auto& c : report.schema_changes) {
    SchemaChangeDetected e{report.dataset, c.change_type, c.column, c.old_type, c.new_type, {}};
    const std::string direction = c.change_type == "column_added"     ? "appeared"
                                  : c.change_type == "column_removed" ? "disappeared"
                                                                      : "changed";
    std::string reason;
    if (c.change_type == "column_added") {
      reason = fmt::format("column {} ({}) appeared", c.column, c.new_type.value_or("?"));
    } else if (c.change_type == "column_removed") {
      reason = fmt::format("column {} ({}) disappeared", c.column, c.old_type.value_or("?"));
    } else {
      reason = fmt::format("column {} changed type: {} -> {}", c.column, c.old_type.value_or("?"),
                           c.new_type.value_or("?"));
    }
    e.details = {{"schema", report.schema},
                 {"direction", direction},
                 {"strategy", std::string("schema")},
                 {"statistic", std::string()},
                 {"statistic_value", std::monostate{}},
                 {"threshold", std::monostate{}},
                 {"baseline_run_ids", report.baseline.run_id},
                 {"current_run_id", report.current.run_id},
                 {"reason", reason}};
    const std::string id =
        uuid_v5(fmt::format("schema|{}|{}|{}|{}|{}|{}", report.schema, report.dataset, c.column,
                            c.change_type, report.baseline.run_id, report.current.run_id));
    out.emplace_back(std::move(e), id, now);
  }
  return out;
}

}  // namespace baselinr
