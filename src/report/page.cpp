#include "report/page.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "baselinr/profiler.hpp"
#include "baselinr/version.hpp"
#include "common/text.hpp"
#include "report/html.hpp"
#include "report/svg.hpp"

namespace baselinr::report {
namespace {

// The palette. Text on each background it is used with keeps at least 4.5:1 contrast
// (text_color_pairs() lists the pairs; a test checks them).
constexpr const char* kText = "#1b1f24";
constexpr const char* kMuted = "#57606a";
constexpr const char* kPage = "#ffffff";
constexpr const char* kPanel = "#f6f8fa";
constexpr const char* kLine = "#d0d7de";
constexpr const char* kAccent = "#0b5cad";
constexpr const char* kHigh = "#b42318";
constexpr const char* kMedium = "#9a4d00";
constexpr const char* kLow = "#1d5fa6";
constexpr const char* kOk = "#1a7f37";
constexpr const char* kBadgeText = "#ffffff";
constexpr const char* kFailureBg = "#fdf0ef";
constexpr const char* kNoteBg = "#fff8e6";

std::string stylesheet() {
  return fmt::format(
      R"(:root{{--fg:{};--muted:{};--bg:{};--panel:{};--line:{};--accent:{};--high:{};--medium:{};--low:{};--ok:{};--badge:{}}}
*{{box-sizing:border-box}}
body{{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--fg);background:var(--bg)}}
header,nav,main,footer{{max-width:1200px;margin:0 auto;padding:0 16px}}
h1{{font-size:24px;margin:16px 0 4px}}
h2{{font-size:19px;margin:28px 0 8px;padding-top:10px;border-top:2px solid var(--line);overflow-wrap:anywhere}}
h3{{font-size:15px;margin:18px 0 6px}}
a{{color:var(--accent)}}
code{{font-size:13px}}
.meta{{color:var(--muted);margin:2px 0;overflow-wrap:anywhere}}
nav ul{{list-style:none;padding:0;margin:10px 0;display:flex;flex-wrap:wrap;gap:2px 14px}}
.cards{{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:8px;margin:8px 0}}
.card{{background:var(--panel);border:1px solid var(--line);border-radius:6px;padding:6px 12px}}
.card b{{display:block;font-size:22px}}
.scroll{{overflow-x:auto}}
table{{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}}
th,td{{border-bottom:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}}
th{{background:var(--panel);font-weight:600}}
table.profile td,table.profile th{{white-space:nowrap}}
table.profile th[scope=row]{{white-space:normal;min-width:8em;max-width:22em;overflow-wrap:anywhere}}
td.nm,td.nw{{white-space:nowrap}}
td.why{{overflow-wrap:anywhere;min-width:12em}}
table.topv td:first-child{{overflow-wrap:anywhere}}
table.topv th,table.topv td{{padding:3px 4px}}
.n{{text-align:right;white-space:nowrap}}
.badge{{display:inline-block;padding:0 7px;border-radius:10px;font-size:12px;font-weight:600;color:var(--badge);white-space:nowrap}}
.badge.sev-high,.st-failed{{background:var(--high)}}
.badge.sev-medium{{background:var(--medium)}}
.badge.sev-low{{background:var(--low)}}
.st-ok{{background:var(--ok)}}
.st-none{{background:var(--muted)}}
.charts,.dists{{display:grid;grid-template-columns:repeat(auto-fill,minmax(220px,1fr));gap:10px}}
figure{{margin:0;border:1px solid var(--line);border-radius:6px;padding:6px 8px;break-inside:avoid}}
figcaption{{font-size:12px;font-weight:600;overflow-wrap:anywhere}}
svg{{display:block;width:100%;height:auto}}
.ln{{fill:none;stroke:var(--accent);stroke-width:1.5;stroke-linejoin:round}}
.pt{{fill:var(--accent)}}
.mk{{stroke:var(--bg);stroke-width:1}}
circle.sev-high{{fill:var(--high)}}
circle.sev-medium{{fill:var(--medium)}}
circle.sev-low{{fill:var(--low)}}
.bar{{fill:var(--accent)}}
.rng,.wsk{{stroke:var(--muted);stroke-width:1}}
.wsk{{stroke-width:3}}
.box{{fill:var(--panel);stroke:var(--accent);stroke-width:1.5}}
.med{{stroke:var(--fg);stroke-width:2}}
.range{{display:flex;justify-content:space-between;gap:6px;font-size:11px;color:var(--muted)}}
.failure{{border-left:4px solid var(--high);background:{};padding:6px 10px;margin:6px 0;overflow-wrap:anywhere}}
.note{{border-left:4px solid var(--medium);background:{};padding:6px 10px;margin:6px 0;overflow-wrap:anywhere}}
.small{{font-size:12px}}
.share{{display:inline-block;height:8px;background:var(--accent);vertical-align:middle}}
.timeline{{margin:0;padding-left:20px}}
.timeline li{{margin:2px 0}}
footer{{color:var(--muted);font-size:12px;margin-top:32px;padding-bottom:24px}}
@media (max-width:640px){{body{{font-size:13px}}header,nav,main,footer{{padding:0 8px}}th,td{{padding:3px 4px}}.charts,.dists{{grid-template-columns:1fr}}}}
@media print{{nav{{display:none}}a{{color:inherit;text-decoration:none}}section.tbl{{break-before:page}}.scroll{{overflow:visible}}figure,tr{{break-inside:avoid}}}}
)",
      kText, kMuted, kPage, kPanel, kLine, kAccent, kHigh, kMedium, kLow, kOk, kBadgeText,
      kFailureBg, kNoteBg);
}

std::string badge(const std::string& severity) {
  return fmt::format("<span class=\"badge sev-{0}\">{0}</span>", escape(severity));
}

std::string status_badge(const std::string& status) {
  const char* cls = status == "ok" ? "st-ok" : status == "failed" ? "st-failed" : "st-none";
  return fmt::format("<span class=\"badge {}\">{}</span>", cls, escape(status));
}

std::string opt_number(const std::optional<double>& v) {
  return v ? display_number(*v) : std::string("–");
}

bool is_percent(std::string_view metric) { return metric.ends_with("_percent"); }

std::string stored_value(const std::optional<std::string>* v, std::string_view metric) {
  if (!v) return "";
  if (!*v) return "<span class=\"meta\">NULL</span>";
  return escape_cut(display_value(**v, is_percent(metric) ? 2 : 4), 40);
}

std::string when_text(const TableReport& t, std::size_t run_index) {
  return run_index < t.runs.size() ? display_time(t.runs[run_index].run.profiled_at) : "";
}

// Scalar metrics of a run in canonical order (distributions are drawn, not tabled).
std::vector<std::string> scalar_metrics(const RunSnapshot& run) {
  std::set<std::string> names;
  for (const auto& r : run.results) {
    if (!r.column_name.empty() && !is_distribution_metric(r.metric_name))
      names.insert(r.metric_name);
  }
  std::vector<std::string> out;
  for (const auto& m : all_metric_names()) {
    if (names.erase(m)) out.push_back(m);
  }
  out.insert(out.end(), names.begin(), names.end());
  return out;
}

std::string explanation(const Finding& f) {
  std::string out = escape(f.reason);
  std::vector<std::string> parts;
  if (!f.strategy.empty()) parts.push_back(fmt::format("strategy <b>{}</b>", escape(f.strategy)));
  if (!f.statistic.empty()) {
    parts.push_back(
        fmt::format("{} {}", escape(f.statistic), escape(display_value(f.statistic_value, 3))));
  }
  if (!f.threshold.empty()) {
    parts.push_back(fmt::format("threshold {}", escape(display_value(f.threshold, 3))));
  }
  if (!f.baseline_run_ids.empty()) {
    const auto ids = split(f.baseline_run_ids, ',');
    parts.push_back(fmt::format("baseline run{} <code>{}</code>", ids.size() > 1 ? "s" : "",
                                escape_cut(f.baseline_run_ids, 80)));
  }
  if (!parts.empty()) {
    if (!out.empty()) out += "<br>";
    out += "<span class=\"small meta\">" + join(parts, " · ") + "</span>";
  }
  return out.empty() ? "<span class=\"meta\">no explanation stored with this finding</span>" : out;
}

std::string findings_table(const std::vector<const Finding*>& findings,
                           const std::vector<TableReport>& tables, bool with_table) {
  std::string out = "<div class=\"scroll\"><table class=\"findings\"><thead><tr><th>Severity</th>";
  if (with_table) out += "<th>Table</th>";
  out +=
      "<th>Column</th><th>Metric</th><th class=\"n\">Baseline</th><th class=\"n\">Current</th>"
      "<th class=\"n\">Change</th><th>Why</th><th>Run</th></tr></thead><tbody>";
  for (const Finding* f : findings) {
    const TableReport* t = nullptr;
    for (const auto& candidate : tables) {
      if (candidate.name == f->table && candidate.schema == f->schema) t = &candidate;
    }
    out += "<tr><td>" + badge(f->severity) + "</td>";
    if (with_table) {
      out += "<td class=\"nm\">" +
             escape(f->schema.empty() ? f->table : f->schema + "." + f->table) + "</td>";
    }
    out += fmt::format(
        "<td class=\"nm\">{}</td><td class=\"nm\">{}</td><td class=\"n\">{}</td><td "
        "class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"why\">{}</td><td "
        "class=\"small nw\">{}<br><span "
        "class=\"meta\">{}</span></td></tr>",
        f->column.empty() ? "<span class=\"meta\">(table)</span>" : escape(f->column),
        escape(f->metric), opt_number(f->baseline_value), opt_number(f->current_value),
        f->change_percent ? fmt::format("{:+.1f}%", *f->change_percent) : "–", explanation(*f),
        t && f->run_index ? escape(when_text(*t, *f->run_index)) : "",
        f->from_event ? "stored event" : "found by this report");
  }
  return out + "</tbody></table></div>";
}

// The metrics charted per column: the ones people watch, plus any with a finding.
std::vector<std::string> charted_metrics(const TableReport& t, const std::string& column,
                                         bool numeric) {
  std::vector<std::string> out = {"null_percent", "distinct_percent"};
  if (numeric) out.push_back("mean");
  for (const auto& f : t.findings) {
    if (f.column == column && std::find(out.begin(), out.end(), f.metric) == out.end()) {
      out.push_back(f.metric);
    }
  }
  return out;
}

// A metric's chart over the runs, or "" when it has no value. A series that holds one value on
// every run (and has no finding) is not drawn: it is listed in `steady` instead, so the charts
// show what moves.
std::string chart_figure(const TableReport& t, const std::string& column, const std::string& metric,
                         std::vector<std::string>& steady) {
  const auto values = series_values(t.runs, column, metric);
  std::optional<double> lo, hi, last;
  std::size_t points = 0;
  for (const auto& v : values) {
    if (!v || !std::isfinite(*v)) continue;
    ++points;
    lo = lo ? std::min(*lo, *v) : *v;
    hi = hi ? std::max(*hi, *v) : *v;
  }
  if (points == 0) return "";
  if (values.back()) last = values.back();
  const int decimals = is_percent(metric) ? 2 : 4;
  const std::string name = column.empty() ? metric : column + " · " + metric;
  LineChart chart;
  chart.values = values;
  const std::string subject = column.empty() ? metric : metric + " of " + column;
  std::vector<std::string> found;
  for (const auto& f : t.findings) {
    if (f.column != column || f.metric != metric || !f.run_index) continue;
    const std::string text =
        fmt::format("{} finding on the run of {}: {} to {}", f.severity, when_text(t, *f.run_index),
                    opt_number(f.baseline_value), opt_number(f.current_value));
    chart.markers.push_back({*f.run_index, f.severity, text});
    found.push_back(text);
  }
  if (points == values.size() && points > 1 && *lo == *hi && found.empty()) {
    steady.push_back(escape(name) + " " + escape(display_number(*lo, decimals)));
    return "";
  }
  chart.label = fmt::format("{} over {} run{}: {} value{}, from {} to {}{}", subject, values.size(),
                            values.size() == 1 ? "" : "s", points, points == 1 ? "" : "s",
                            display_number(*lo, decimals), display_number(*hi, decimals),
                            found.empty() ? "; no findings" : "; " + join(found, "; "));
  return fmt::format(
      "<figure><figcaption>{}</figcaption>{}<div class=\"range\"><span>min {}</span><span>last "
      "{}</span><span>max {}</span></div></figure>",
      escape(name), line_chart(chart), display_compact(*lo), last ? display_compact(*last) : "–",
      display_compact(*hi));
}

std::string history_section(const TableReport& t) {
  std::string out = "<h3>History</h3>";
  if (t.runs.empty()) return out + "<p class=\"meta\">No runs stored.</p>";
  out +=
      fmt::format("<p class=\"meta\">{} run{} from {} to {} (oldest left); markers: findings.</p>",
                  t.runs.size(), t.runs.size() == 1 ? "" : "s",
                  escape(display_time(t.runs.front().run.profiled_at)),
                  escape(display_time(t.runs.back().run.profiled_at)));
  out += "<div class=\"charts\">";
  std::vector<std::string> table_metrics = {"row_count"};
  for (const auto& s : t.runs) {
    for (const auto& r : s.results) {
      if (r.column_name.empty() && !is_distribution_metric(r.metric_name) &&
          std::find(table_metrics.begin(), table_metrics.end(), r.metric_name) ==
              table_metrics.end()) {
        table_metrics.push_back(r.metric_name);
      }
    }
  }
  for (const auto& f : t.findings) {
    if (f.column.empty() &&
        std::find(table_metrics.begin(), table_metrics.end(), f.metric) == table_metrics.end()) {
      table_metrics.push_back(f.metric);
    }
  }
  std::vector<std::string> steady;
  for (const auto& m : table_metrics) out += chart_figure(t, "", m, steady);
  // Columns of the latest run, then columns that were dropped within the window.
  std::vector<std::pair<std::string, std::string>> columns = t.runs.back().columns();
  for (const auto& s : t.runs) {
    for (const auto& c : s.columns()) {
      if (std::none_of(columns.begin(), columns.end(),
                       [&](const auto& x) { return x.first == c.first; })) {
        columns.push_back(c);
      }
    }
  }
  for (const auto& [column, type] : columns) {
    bool numeric = false;
    for (const auto& s : t.runs) numeric = numeric || s.find(column, "mean") != nullptr;
    for (const auto& m : charted_metrics(t, column, numeric)) {
      out += chart_figure(t, column, m, steady);
    }
  }
  out += "</div>";
  if (!steady.empty()) {
    out += fmt::format("<p class=\"meta small\">The same on all {} runs: {}.</p>", t.runs.size(),
                       join(steady, "; "));
  }
  return out;
}

std::string profile_section(const TableReport& t) {
  std::string out = "<h3>Latest profile</h3>";
  const RunSnapshot* latest = t.latest();
  if (!latest) return out + "<p class=\"meta\">No profile stored.</p>";
  const auto metrics = scalar_metrics(*latest);
  out += "<div class=\"scroll\"><table class=\"profile\"><thead><tr><th>Column</th><th>Type</th>";
  for (const auto& m : metrics) out += "<th class=\"n\">" + escape(m) + "</th>";
  out += "</tr></thead><tbody>";
  for (const auto& [column, type] : latest->columns()) {
    out += "<tr><th scope=\"row\">" + escape(column) + "</th><td>" + escape(type) + "</td>";
    for (const auto& m : metrics) {
      out += "<td class=\"n\">" + stored_value(latest->find(column, m), m) + "</td>";
    }
    out += "</tr>";
  }
  out += "</tbody></table></div>";
  // Table-level metrics (row count, freshness) when the run stored them.
  std::string table_level;
  for (const auto& r : latest->results) {
    if (!r.column_name.empty() || is_distribution_metric(r.metric_name)) continue;
    table_level += fmt::format("<span>{} <b>{}</b></span> ", escape(r.metric_name),
                               stored_value(&r.metric_value, r.metric_name));
  }
  if (!table_level.empty()) out += "<p class=\"meta\">Table: " + table_level + "</p>";
  return out;
}

std::string histogram_figure(const std::string& column, const std::string& json) {
  auto j = nlohmann::json::parse(json, nullptr, false);
  if (!j.is_array() || j.empty()) return "";
  std::vector<HistogramBin> bins;
  double total = 0;
  for (const auto& b : j) {
    if (!b.is_object() || !b.contains("count")) return "";
    HistogramBin bin;
    bin.start = b.value("bin_start", 0.0);
    bin.end = b.value("bin_end", 0.0);
    bin.count = b["count"].is_number() ? b["count"].get<double>() : 0;
    total += bin.count;
    bins.push_back(bin);
  }
  const std::string label = fmt::format(
      "histogram of {}: {} bins from {} to {}, {} values; fullest bin {} to {}", column,
      bins.size(), display_number(bins.front().start), display_number(bins.back().end),
      display_number(total),
      display_number(std::max_element(bins.begin(), bins.end(),
                                      [](auto& a, auto& b) { return a.count < b.count; })
                         ->start),
      display_number(std::max_element(bins.begin(), bins.end(), [](auto& a, auto& b) {
                       return a.count < b.count;
                     })->end));
  return fmt::format(
      "{}<div class=\"range\"><span>{}</span><span>{} bins</span><span>{}</span></div>",
      histogram_chart(bins, label), display_number(bins.front().start), bins.size(),
      display_number(bins.back().end));
}

std::string quantiles_figure(const std::string& column, const std::string& json) {
  auto j = nlohmann::json::parse(json, nullptr, false);
  if (!j.is_object() || !j.contains("points") || !j["points"].is_array()) return "";
  std::vector<QuantilePoint> points;
  std::string rows;  // one row per point: eleven short rows fit a card, eleven columns do not
  for (const auto& q : j["points"]) {
    if (!q.is_object() || !q.contains("p") || !q["p"].is_number() || !q.contains("value")) continue;
    const double p = q["p"].get<double>();
    std::string shown;
    std::optional<double> numeric;
    if (q["value"].is_number()) {
      numeric = q["value"].get<double>();
      shown = display_number(*numeric);
    } else if (q["value"].is_string()) {
      shown = q["value"].get<std::string>();
      if (q.contains("epoch") && q["epoch"].is_number()) numeric = q["epoch"].get<double>();
    }
    if (numeric) points.push_back({p, *numeric});
    rows += fmt::format("<tr><th class=\"n\" scope=\"row\">p{}</th><td class=\"n\">{}</td></tr>",
                        display_number(p * 100, 2), escape_cut(shown, 24));
  }
  if (rows.empty()) return "";
  std::string method = j.value("method", std::string());
  std::string label = fmt::format("quantiles of {} ({}{}): ", column, method.empty() ? "" : method,
                                  j.contains("n") ? fmt::format(", n={}", j["n"].dump()) : "");
  for (const auto& q : points) {
    label += fmt::format("p{} {}; ", display_number(q.p * 100, 2), display_number(q.value));
  }
  return fmt::format(
      "{}<table class=\"small quant\"><thead><tr><th class=\"n\">Quantile</th><th "
      "class=\"n\">Value</th></tr></thead><tbody>{}</tbody></table>",
      quantile_strip(points, label), rows);
}

std::string top_values_figure(const std::string& json) {
  auto j = nlohmann::json::parse(json, nullptr, false);
  if (!j.is_object() || !j.contains("values") || !j["values"].is_array()) return "";
  double total = 0;
  for (const auto& v : j["values"]) total += v.value("count", 0.0);
  const double other = j.value("other_count", 0.0);
  const double nulls = j.value("null_count", 0.0);
  total += other + nulls;
  std::string out =
      "<table class=\"small topv\"><thead><tr><th>Top value</th><th "
      "class=\"n\">Count</th><th>Share</th></tr></thead><tbody>";
  auto row = [&](const std::string& value_html, double count) {
    const double share = total > 0 ? count / total * 100 : 0;
    out += fmt::format(
        "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"nw\"><span class=\"share\" "
        "style=\"width:{:.0f}px\"></span> {:.1f}%</td></tr>",
        value_html, display_number(count), std::max(share * 0.5, count > 0 ? 1.0 : 0.0), share);
  };
  for (const auto& v : j["values"]) {
    const std::string text = v.contains("value") && v["value"].is_string()
                                 ? v["value"].get<std::string>()
                                 : (v.contains("value") ? v["value"].dump() : "");
    row(escape_cut(text, 40), v.value("count", 0.0));
  }
  if (other > 0) row("<span class=\"meta\">(other values)</span>", other);
  if (nulls > 0) row("<span class=\"meta\">NULL</span>", nulls);
  return out + "</tbody></table>";
}

std::string distributions_section(const TableReport& t) {
  const RunSnapshot* latest = t.latest();
  if (!latest) return "";
  std::string figures;
  for (const auto& [column, type] : latest->columns()) {
    std::string body;
    std::vector<std::string> kinds;
    if (const auto* h = latest->find(column, "histogram"); h && *h) {
      std::string f = histogram_figure(column, **h);
      if (!f.empty()) kinds.push_back("histogram");
      body += f;
    }
    if (const auto* q = latest->find(column, "quantiles"); q && *q) {
      std::string f = quantiles_figure(column, **q);
      if (!f.empty()) kinds.push_back("quantiles");
      body += f;
    }
    if (const auto* v = latest->find(column, "top_values"); v && *v) {
      std::string f = top_values_figure(**v);
      if (!f.empty()) kinds.push_back("top values");
      body += f;
    }
    if (body.empty()) continue;
    figures += fmt::format("<figure><figcaption>{} · {}</figcaption>{}</figure>", escape(column),
                           join(kinds, ", "), body);
  }
  if (figures.empty()) return "";
  return "<h3>Distributions</h3><div class=\"dists\">" + figures + "</div>";
}

std::string schema_section(const TableReport& t) {
  std::string out = "<h3>Schema changes</h3>";
  if (t.runs.size() < 2)
    return out + "<p class=\"meta\">Fewer than two runs: nothing to compare.</p>";
  if (t.schema_changes.empty()) {
    return out + "<p class=\"meta\">No schema changes over the runs shown.</p>";
  }
  out += "<ol class=\"timeline\">";
  for (const auto& c : t.schema_changes) {
    std::string what;
    if (c.change_type == "column_added") {
      what = fmt::format("<b>column added</b> {} ({})", escape(c.column), escape(c.new_type));
    } else if (c.change_type == "column_removed") {
      what = fmt::format("<b>column removed</b> {} (was {})", escape(c.column), escape(c.old_type));
    } else {
      what = fmt::format("<b>type changed</b> {}: {} → {}", escape(c.column), escape(c.old_type),
                         escape(c.new_type));
    }
    out += fmt::format("<li><time>{}</time> {}</li>", escape(when_text(t, c.run_index)), what);
  }
  return out + "</ol>";
}

std::string table_section(const TableReport& t, std::size_t index,
                          const std::vector<TableReport>& tables) {
  std::string out = fmt::format(
      "<section class=\"tbl\" id=\"t{0}\" aria-labelledby=\"t{0}h\"><h2 id=\"t{0}h\">{1} {2}</h2>",
      index, escape(t.display_name()), status_badge(t.status()));
  if (const RunSnapshot* latest = t.latest()) {
    const ProfiledScope scope = ProfiledScope::from_json(latest->run.metadata);
    out += fmt::format(
        "<p class=\"meta\">Latest run {} (UTC) · {} rows · {} columns · {} · run <code>{}</code> "
        "· {} run{} stored{}</p>",
        escape(display_time(latest->run.profiled_at)), latest->run.row_count,
        latest->run.column_count,
        escape(latest->run.metadata.empty() ? "all rows" : scope.describe()),
        escape(latest->run.run_id), t.stored_runs, t.stored_runs == 1 ? "" : "s",
        t.configured ? "" : " · not in the configuration any more");
  } else {
    out += "<p class=\"meta\">No run of this table is stored yet.</p>";
  }
  if (t.failure) {
    out += fmt::format("<div class=\"failure\"><b>Profiling failed</b> at {} (UTC): {}</div>",
                       escape(display_time(t.failure->timestamp)),
                       escape(nlohmann::json::parse(t.failure->metadata, nullptr, false)
                                  .value("error", std::string("(no error text stored)"))));
  }
  if (!t.drift_note.empty()) {
    out += "<div class=\"note\">Drift: " + escape(t.drift_note) + "</div>";
  }
  out += history_section(t);
  if (!t.findings.empty()) {
    std::vector<const Finding*> all;
    for (const auto& f : t.findings) all.push_back(&f);
    out += "<h3>Findings</h3>" + findings_table(all, tables, false);
  }
  out += profile_section(t);
  out += distributions_section(t);
  out += schema_section(t);
  return out + "</section>";
}

std::string event_detail(const EventRecord& e) {
  auto meta = nlohmann::json::parse(e.metadata, nullptr, false);
  auto text = [&](const char* key) {
    if (!meta.is_object() || !meta.contains(key) || meta[key].is_null()) return std::string();
    return meta[key].is_string() ? meta[key].get<std::string>() : meta[key].dump();
  };
  if (e.event_type == "DataDriftDetected") {
    return fmt::format("{} {}: {} → {}{}", e.column_name, e.metric_name,
                       opt_number(e.baseline_value), opt_number(e.current_value),
                       e.change_percent ? fmt::format(" ({:+.1f}%)", *e.change_percent) : "");
  }
  if (e.event_type == "SchemaChangeDetected") {
    return join({text("change_type"), e.column_name, text("old_type"), text("new_type")}, " ");
  }
  if (e.event_type == "ProfilingFailed") return text("error");
  if (e.event_type == "ProfilingCompleted") {
    return fmt::format("{} rows, {} columns", text("row_count"), text("column_count"));
  }
  return text("run_id");
}

std::string events_section(const ReportData& data) {
  std::string out =
      "<section id=\"events\" aria-labelledby=\"events-h\"><h2 id=\"events-h\">Recent events</h2>";
  if (!data.events_error.empty()) {
    out += "<div class=\"note\">Events could not be read: " + escape(data.events_error) + "</div>";
  }
  if (data.events.empty()) return out + "<p class=\"meta\">No events stored.</p></section>";
  out +=
      "<div class=\"scroll\"><table class=\"events\"><thead><tr><th>Time (UTC)</th><th>Event</th>"
      "<th>Table</th><th>Severity</th><th>Detail</th></tr></thead><tbody>";
  for (const auto& e : data.events) {
    out += fmt::format(
        "<tr><td class=\"small nw\">{}</td><td class=\"nm\">{}</td><td "
        "class=\"nm\">{}</td><td>{}</td><td "
        "class=\"why\">{}</td></tr>",
        escape(display_time(e.timestamp)), escape(e.event_type), escape(e.table_name),
        e.drift_severity.empty() ? "" : badge(to_lower(e.drift_severity)),
        escape_cut(event_detail(e), 200));
  }
  return out + "</tbody></table></div></section>";
}

std::string overview_section(const ReportData& data) {
  int high = 0, medium = 0, low = 0, failed = 0, profiled = 0;
  for (const auto& t : data.tables) {
    if (t.status() == "failed") ++failed;
    if (!t.runs.empty()) ++profiled;
    for (const Finding* f : t.open_findings()) {
      high += f->severity == "high";
      medium += f->severity == "medium";
      low += f->severity == "low";
    }
  }
  std::string out =
      "<section id=\"overview\" aria-labelledby=\"overview-h\"><h2 id=\"overview-h\">Overview</h2>";
  out += fmt::format(
      "<div class=\"cards\"><div class=\"card\"><b>{}</b>tables</div><div class=\"card\"><b>{}</b>"
      "profiled</div><div class=\"card\"><b>{}</b>failed</div><div class=\"card\"><b>{}</b>open "
      "high</div><div class=\"card\"><b>{}</b>open medium</div><div class=\"card\"><b>{}</b>open "
      "low</div></div>",
      data.tables.size(), profiled, failed, high, medium, low);
  if (data.tables.empty()) {
    return out +
           "<p>No tables are configured and no runs are stored yet. Run <code>baselinr profile "
           "--config FILE</code>, then write this report again.</p></section>";
  }
  out +=
      "<div class=\"scroll\"><table "
      "class=\"overview\"><thead><tr><th>Table</th><th>Status</th><th>Last "
      "run (UTC)</th><th class=\"n\">Rows</th><th class=\"n\">Columns</th><th>Open "
      "findings</th><th>Rows over runs</th></tr></thead><tbody>";
  for (std::size_t i = 0; i < data.tables.size(); ++i) {
    const TableReport& t = data.tables[i];
    const RunSnapshot* latest = t.latest();
    std::map<std::string, int> open;
    for (const Finding* f : t.open_findings()) ++open[f->severity];
    std::string findings;
    for (const char* s : {"high", "medium", "low"}) {
      if (open[s])
        findings += fmt::format("<span class=\"badge sev-{}\">{} {}</span> ", s, open[s], s);
    }
    std::string spark;
    if (t.runs.size() > 1) {
      LineChart c;
      c.values = series_values(t.runs, "", "row_count");
      c.width = 120;
      c.height = 24;
      c.label = fmt::format("rows of {} over {} runs: {} to {}", t.display_name(), t.runs.size(),
                            t.runs.front().run.row_count, t.runs.back().run.row_count);
      spark = line_chart(c);
    }
    out += fmt::format(
        "<tr><td><a href=\"#t{}\">{}</a></td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td "
        "class=\"n\">{}</td><td>{}</td><td style=\"width:130px\">{}</td></tr>",
        i + 1, escape(t.display_name()), status_badge(t.status()),
        latest ? escape(display_time(latest->run.profiled_at)) : "–",
        latest ? std::to_string(latest->run.row_count) : "–",
        latest ? std::to_string(latest->run.column_count) : "–",
        findings.empty() ? "<span class=\"meta\">none</span>" : findings, spark);
  }
  return out + "</tbody></table></div></section>";
}

std::string findings_section(const ReportData& data) {
  std::vector<const Finding*> open;
  for (const auto& t : data.tables) {
    for (const Finding* f : t.open_findings()) open.push_back(f);
  }
  std::stable_sort(open.begin(), open.end(), [](const Finding* a, const Finding* b) {
    return severity_rank(a->severity) > severity_rank(b->severity);
  });
  std::string out =
      "<section id=\"findings\" aria-labelledby=\"findings-h\"><h2 id=\"findings-h\">Findings on "
      "the latest runs</h2>";
  if (open.empty()) return out + "<p>No drift findings on the latest runs.</p></section>";
  return out + findings_table(open, data.tables, true) + "</section>";
}

}  // namespace

std::string render_page(const ReportData& data) {
  std::string out;
  out.reserve(64 * 1024);
  out +=
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
      // Nothing may be fetched or run: the page is complete in itself.
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src "
      "'unsafe-inline'\">";
  out += fmt::format("<title>baselinr report: {} table{}</title><style>{}</style></head><body>",
                     data.tables.size(), data.tables.size() == 1 ? "" : "s", stylesheet());
  out += fmt::format(
      "<header><h1>baselinr report</h1><p class=\"meta\">Written {} (UTC) by baselinr {} · "
      "environment {} · source {} · store {} · last {} runs per table</p></header>",
      escape(display_time(data.generated_at)), kVersion, escape(data.environment),
      escape(data.source), escape(data.storage),
      data.runs_window > 0 ? std::to_string(data.runs_window) : std::string("all"));
  out +=
      "<nav aria-label=\"Contents\"><ul><li><a href=\"#overview\">Overview</a></li><li><a "
      "href=\"#findings\">Findings</a></li>";
  for (std::size_t i = 0; i < data.tables.size(); ++i) {
    out += fmt::format("<li><a href=\"#t{}\">{}</a></li>", i + 1,
                       escape(data.tables[i].display_name()));
  }
  out += "<li><a href=\"#events\">Events</a></li></ul></nav><main>";
  out += overview_section(data);
  out += findings_section(data);
  for (std::size_t i = 0; i < data.tables.size(); ++i) {
    out += table_section(data.tables[i], i + 1, data.tables);
  }
  out += events_section(data);
  out += fmt::format(
      "</main><footer>baselinr {} · configuration {} · self-contained page: no script, nothing "
      "loaded from anywhere.</footer></body></html>\n",
      kVersion, escape(data.config_file));
  return out;
}

const std::vector<ColorPair>& text_color_pairs() {
  static const std::vector<ColorPair> pairs = {
      {"text on page", kText, kPage},
      {"text on panel", kText, kPanel},
      {"muted on page", kMuted, kPage},
      {"muted on panel", kMuted, kPanel},
      {"link on page", kAccent, kPage},
      {"high badge", kBadgeText, kHigh},
      {"medium badge", kBadgeText, kMedium},
      {"low badge", kBadgeText, kLow},
      {"ok badge", kBadgeText, kOk},
      {"other badge", kBadgeText, kMuted},
      {"text on failure box", kText, kFailureBg},
      {"text on note box", kText, kNoteBg},
  };
  return pairs;
}

}  // namespace baselinr::report
