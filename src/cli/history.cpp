// `baselinr history`: a table's metrics run by run, from the store (no SQL needed to see what a
// column looked like last week). Text: an aligned table, oldest run first, with a sparkline per
// series; JSON: the runs and the series' values aligned with them.
#include "report/history.hpp"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "baselinr/error.hpp"
#include "baselinr/storage.hpp"
#include "cli/cli_util.hpp"
#include "cli/commands.hpp"
#include "common/text.hpp"
#include "report/html.hpp"
#include "report/svg.hpp"

namespace baselinr::cli {
namespace {

using report::RunSnapshot;

struct Series {
  std::string column;  // "" : table level
  std::string metric;
  std::string name() const { return column.empty() ? metric : column + "." + metric; }
};

// Metrics in the order `all_metric_names()` gives, then any other name alphabetically.
std::vector<std::string> ordered_metrics(const std::set<std::string>& names) {
  std::vector<std::string> out;
  for (const auto& m : all_metric_names()) {
    if (names.count(m)) out.push_back(m);
  }
  for (const auto& m : names) {
    if (std::find(out.begin(), out.end(), m) == out.end()) out.push_back(m);
  }
  return out;
}

std::string schema_of(const RunStore& store, const HistoryOptions& o) {
  if (!o.schema.empty()) return o.schema;
  std::vector<std::string> schemas;
  for (const auto& d : store.list_datasets()) {
    if (d.dataset_name == o.dataset) schemas.push_back(d.schema_name);
  }
  if (schemas.empty()) {
    throw UsageError(fmt::format(
        "--dataset {}: no stored runs of this table; run `baselinr profile` first (see `baselinr "
        "runs`)",
        o.dataset));
  }
  if (schemas.size() > 1) {
    throw UsageError(
        fmt::format("--dataset {}: stored in several schemas ({}); pick one with --schema",
                    o.dataset, join(schemas, ", ")));
  }
  return schemas.front();
}

std::vector<Series> select_series(const std::vector<RunSnapshot>& runs, const HistoryOptions& o) {
  if (report::is_distribution_metric(o.metric)) {
    throw UsageError(fmt::format(
        "--metric {}: a distribution, not a value per run; `baselinr report` draws it", o.metric));
  }
  std::vector<std::string> columns;  // stored order, first seen first
  std::set<std::string> table_metrics = {"row_count"};
  std::set<std::pair<std::string, std::string>> present;
  for (const auto& s : runs) {
    for (const auto& r : s.results) {
      if (report::is_distribution_metric(r.metric_name)) continue;
      if (r.column_name.empty()) {
        table_metrics.insert(r.metric_name);
      } else {
        if (std::find(columns.begin(), columns.end(), r.column_name) == columns.end()) {
          columns.push_back(r.column_name);
        }
        present.emplace(r.column_name, r.metric_name);
      }
    }
  }
  if (!o.column.empty() && std::find(columns.begin(), columns.end(), o.column) == columns.end()) {
    auto near = closest_match(o.column, columns);
    throw UsageError(
        fmt::format("--column {}: not in the stored runs of {}{}; columns: {}", o.column, o.dataset,
                    near ? fmt::format(" (did you mean '{}'?)", *near) : "", join(columns, ", ")));
  }
  std::vector<Series> out;
  if (o.column.empty() && o.metric.empty()) {
    for (const auto& m : ordered_metrics(table_metrics)) out.push_back({"", m});
    return out;
  }
  if (o.column.empty()) {
    if (table_metrics.count(o.metric)) out.push_back({"", o.metric});
    for (const auto& c : columns) {
      if (present.count({c, o.metric})) out.push_back({c, o.metric});
    }
  } else {
    std::set<std::string> metrics;
    for (const auto& [c, m] : present) {
      if (c == o.column) metrics.insert(m);
    }
    for (const auto& m : ordered_metrics(metrics)) {
      if (o.metric.empty() || m == o.metric) out.push_back({o.column, m});
    }
    if (out.empty()) {
      std::vector<std::string> names = ordered_metrics(metrics);
      auto near = closest_match(o.metric, names);
      throw UsageError(fmt::format(
          "--metric {}: column {} has no such metric{}; metrics: {}", o.metric, o.column,
          near ? fmt::format(" (did you mean '{}'?)", *near) : "", join(names, ", ")));
    }
  }
  if (out.empty()) {
    std::set<std::string> all = table_metrics;
    for (const auto& p : present) all.insert(p.second);
    std::vector<std::string> names = ordered_metrics(all);
    auto near = closest_match(o.metric, names);
    throw UsageError(fmt::format("--metric {}: not stored for {}{}; metrics: {}", o.metric,
                                 o.dataset, near ? fmt::format(" (did you mean '{}'?)", *near) : "",
                                 join(names, ", ")));
  }
  return out;
}

nlohmann::ordered_json json_value(const std::string& text, bool missing) {
  if (missing || text == "NULL") return nullptr;
  if (auto i = parse_int(text)) return *i;
  if (auto d = parse_double(text); d && std::isfinite(*d)) return *d;
  return text;
}

// "+12.5%" against the previous value; percent metrics change in points.
std::string change(const std::optional<double>& prev, const std::optional<double>& cur,
                   const std::string& metric) {
  if (!prev || !cur || !std::isfinite(*prev) || !std::isfinite(*cur)) return "";
  const double diff = *cur - *prev;
  if (metric.ends_with("_percent")) return fmt::format("{:+.2f} pts", diff);
  if (*prev == 0) return diff == 0 ? "+0.0%" : (diff > 0 ? "+" : "") + report::display_number(diff);
  return fmt::format("{:+.1f}%", diff / std::fabs(*prev) * 100);
}

}  // namespace

int run_history(const HistoryOptions& options) {
  Config config = load(options.config);
  const std::unique_ptr<RunStore> store = open_existing_store(config, StoreAccess::kReadOnly);
  const std::string schema = schema_of(*store, options);
  const std::vector<RunSnapshot> runs =
      report::load_history(*store, options.dataset, schema, options.runs);
  const std::vector<Series> series = select_series(runs, options);

  if (options.output == "json") {
    nlohmann::ordered_json j;
    j["dataset"] = options.dataset;
    j["schema"] = schema.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(schema);
    j["runs"] = nlohmann::ordered_json::array();
    for (const auto& s : runs) {
      j["runs"].push_back({{"run_id", s.run.run_id},
                           {"profiled_at", s.run.profiled_at},
                           {"status", s.run.status},
                           {"row_count", s.run.row_count},
                           {"column_count", s.run.column_count}});
    }
    j["series"] = nlohmann::ordered_json::array();
    for (const auto& se : series) {
      nlohmann::ordered_json values = nlohmann::ordered_json::array();
      for (const auto& s : runs) {
        const auto* v = s.find(se.column, se.metric);
        if (!v && se.column.empty() && se.metric == "row_count") {
          values.push_back(s.run.row_count);
        } else {
          values.push_back(json_value(v ? v->value_or("NULL") : "", v == nullptr));
        }
      }
      j["series"].push_back({{"column", se.column.empty() ? nlohmann::ordered_json(nullptr)
                                                          : nlohmann::ordered_json(se.column)},
                             {"metric", se.metric},
                             {"values", std::move(values)}});
    }
    fmt::print("{}\n", j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
    return kExitOk;
  }

  const std::string table = schema.empty() ? options.dataset : schema + "." + options.dataset;
  fmt::print("{}: {} run(s), oldest first\n", table, runs.size());
  std::vector<std::string> header = {"RUN_ID", "PROFILED_AT (UTC)"};
  std::vector<std::vector<std::string>> rows(runs.size());
  for (std::size_t i = 0; i < runs.size(); ++i) {
    rows[i] = {runs[i].run.run_id, runs[i].run.profiled_at.substr(0, 19)};
  }
  if (series.size() == 1) {
    const Series& se = series.front();
    header.push_back(se.name());
    header.push_back("CHANGE");
    const auto texts = report::series_texts(runs, se.column, se.metric);
    const auto values = report::series_values(runs, se.column, se.metric);
    for (std::size_t i = 0; i < runs.size(); ++i) {
      rows[i].push_back(texts[i].empty() ? "-" : texts[i]);
      rows[i].push_back(i ? change(values[i - 1], values[i], se.metric) : "");
    }
  } else {
    for (const auto& se : series) {
      header.push_back(se.name());
      const auto texts = report::series_texts(runs, se.column, se.metric);
      for (std::size_t i = 0; i < runs.size(); ++i)
        rows[i].push_back(texts[i].empty() ? "-" : texts[i]);
    }
  }
  fmt::print("{}", text_table(header, rows));

  // One sparkline per series: the shape at a glance, oldest on the left.
  std::vector<std::vector<std::string>> trends;
  for (const auto& se : series) {
    const auto values = report::series_values(runs, se.column, se.metric);
    std::optional<double> lo, hi;
    for (const auto& v : values) {
      if (!v || !std::isfinite(*v)) continue;
      lo = lo ? std::min(*lo, *v) : *v;
      hi = hi ? std::max(*hi, *v) : *v;
    }
    if (!lo) continue;
    trends.push_back(
        {se.name(), report::text_sparkline(values),
         fmt::format("min {}  max {}", report::display_number(*lo), report::display_number(*hi))});
  }
  if (!trends.empty()) {
    fmt::print("\n{}", text_table({"SERIES", "TREND", "RANGE"}, trends));
  }
  return kExitOk;
}

void add_history_command(CLI::App& app, CommandList& commands) {
  auto o = std::make_shared<HistoryOptions>();
  auto* cmd = app.add_subcommand(
      "history",
      "A table's metrics run by run, oldest first: the table's row count, a column's metrics "
      "(--column), or one metric (--metric) of every column.");
  add_config(cmd, o->config);
  cmd->add_option("-d,--dataset", o->dataset, "The table")->required()->type_name("TABLE");
  cmd->add_option("-s,--schema", o->schema, "Its schema, when the name is stored in several")
      ->type_name("SCHEMA");
  cmd->add_option("--column", o->column, "Only this column's metrics")->type_name("COLUMN");
  cmd->add_option("--metric", o->metric, "Only this metric (e.g. null_percent, mean, row_count)")
      ->type_name("METRIC");
  cmd->add_option("--runs", o->runs, "The last N runs (0: all)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  add_format(cmd, o->output);
  commands.push_back({cmd, [o] { return run_history(*o); }});
}

}  // namespace baselinr::cli
