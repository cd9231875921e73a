// `baselinr report` and `baselinr history` end to end: stores generated with known runs (and
// stores made by real profiling), the page checked as written and as headless Chromium renders
// it with networking off, hostile names, degenerate stores; and the progress line of `profile`.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "baselinr/event_bus.hpp"
#include "baselinr/storage.hpp"
#include "support/browser.hpp"
#include "support/testing.hpp"

namespace baselinr {
namespace {

using testing::run_cli;
using testing::TempDir;

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// The text from the <section> whose heading starts with `title` to its end.
std::string table_section(const std::string& page, const std::string& title) {
  std::regex heading("<h2 id=\"t[0-9]+h\">");
  for (std::sregex_iterator it(page.begin(), page.end(), heading), end; it != end; ++it) {
    const std::size_t at = static_cast<std::size_t>(it->position() + it->length());
    if (page.compare(at, title.size() + 1, title + " ") != 0) continue;
    const std::size_t start = page.rfind("<section", at);
    return page.substr(start, page.find("</section>", at) - start);
  }
  return "";
}

// The <figure> of a chart by its caption ("amount · mean"), or "".
std::string figure(const std::string& section, const std::string& caption) {
  const std::string open = "<figcaption>" + caption + "</figcaption>";
  const auto at = section.find(open);
  if (at == std::string::npos) return "";
  return section.substr(at, section.find("</figure>", at) - at);
}

// Points drawn by a chart's polylines.
std::size_t points(const std::string& chart) {
  std::size_t n = 0;
  std::regex line("<polyline class=\"ln\" points=\"([^\"]*)\"");
  for (std::sregex_iterator it(chart.begin(), chart.end(), line), end; it != end; ++it) {
    const std::string p = (*it)[1];
    n += static_cast<std::size_t>(std::count(p.begin(), p.end(), ','));
  }
  return n;
}

// The x coordinates of a chart's finding markers of `severity`.
std::vector<int> markers(const std::string& chart, const std::string& severity) {
  std::vector<int> out;
  std::regex mk("<circle class=\"mk sev-" + severity + "\" cx=\"([0-9]+)\"");
  for (std::sregex_iterator it(chart.begin(), chart.end(), mk), end; it != end; ++it) {
    out.push_back(std::stoi((*it)[1]));
  }
  return out;
}

// x of run `i` of `n` in a 240-wide history chart.
int run_x(std::size_t i, std::size_t n) {
  return static_cast<int>(
      std::lround(5 + 230.0 * static_cast<double>(i) / static_cast<double>(n - 1)));
}

ColumnProfile column(std::string name, std::string type, TypeClass cls,
                     std::vector<std::pair<std::string, MetricValue>> metrics) {
  ColumnProfile c;
  c.name = std::move(name);
  c.type = std::move(type);
  c.type_class = cls;
  c.metrics = std::move(metrics);
  return c;
}

class ReportTest : public ::testing::Test {
 protected:
  TempDir dir;
  std::filesystem::path config;
  std::filesystem::path store_file;

  void SetUp() override {
    store_file = dir / "store.db";
    testing::open_sqlite(dir / "src.db");  // the source exists; the report never reads it
  }

  std::string hooks_yaml() const {
    return fmt::format(
        "hooks:\n  hooks:\n    - type: sql\n      table_name: baselinr_events\n      connection: "
        "{{type: sqlite, filepath: '{}'}}\n",
        store_file.string());
  }

  void write_config(const std::vector<std::string>& tables) {
    config = dir.write("baselinr.yml", testing::sqlite_pipeline_yaml(dir / "src.db", store_file,
                                                                     tables, hooks_yaml()));
  }

  Config load() const { return load_config(config); }

  static std::chrono::system_clock::time_point day(int n) {
    return std::chrono::system_clock::time_point(std::chrono::hours(24 * (20600 + n)));
  }

  // orders: 12 daily runs. rows 1000 + 50 i; amount.null_percent 2 + 0.1 i but 12.5 on run 6;
  // amount.mean 10 + 0.3 i but 40 on run 11; coupon appears on run 8. Stored drift events for
  // run 6 (null_percent) and run 11 (mean), with their explanations.
  // customers: 3 runs; age changes type on run 2.
  void generate_store() {
    write_config({"orders", "customers"});
    Config c = load();
    RunStore store(c.storage, c.environment);
    for (int i = 0; i < 12; ++i) {
      ProfilingResult r;
      r.run_id = fmt::format("orders-run-{:02}", i);
      r.dataset_name = "orders";
      r.profiled_at = day(i);
      r.row_count = 1000 + 50 * i;
      const std::int64_t rows = r.row_count;
      const double null_pct = i == 6 ? 12.5 : 2.0 + 0.1 * i;
      const double mean = i == 11 ? 40.0 : 10.0 + 0.3 * i;
      r.columns.push_back(column(
          "id", "INTEGER", TypeClass::kNumeric,
          {{"count", rows},
           {"null_count", std::int64_t{0}},
           {"null_percent", 0.0},
           {"distinct_count", rows},
           {"distinct_percent", 100.0},
           {"min", std::int64_t{1}},
           {"max", rows},
           {"mean", (1.0 + static_cast<double>(rows)) / 2},
           {"stddev", 300.5},
           {"histogram",
            std::string(
                R"([{"bin_start":1.0,"bin_end":250.0,"count":250},{"bin_start":250.0,"bin_end":500.0,"count":250},{"bin_start":500.0,"bin_end":750.0,"count":250},{"bin_start":750.0,"bin_end":1000.0,"count":250}])")}}));
      r.columns.push_back(column(
          "amount", "REAL", TypeClass::kNumeric,
          {{"count", rows},
           {"null_count", static_cast<std::int64_t>(std::lround(rows * null_pct / 100))},
           {"null_percent", null_pct},
           {"distinct_count", std::int64_t{700}},
           {"distinct_percent", 70.0},
           {"min", 0.5},
           {"max", 99.5},
           {"mean", mean},
           {"stddev", 4.25},
           {"quantiles",
            std::string(
                R"({"method":"exact","interpolation":"nearest_rank","rank_error":0,"n":980,"points":[{"p":0.0,"value":0.5},{"p":0.01,"value":1.0},{"p":0.05,"value":2.0},{"p":0.1,"value":4.0},{"p":0.25,"value":7.0},{"p":0.5,"value":10.0},{"p":0.75,"value":14.0},{"p":0.9,"value":20.0},{"p":0.95,"value":30.0},{"p":0.99,"value":60.0},{"p":1.0,"value":99.5}]})")}}));
      r.columns.push_back(column(
          "status", "TEXT", TypeClass::kString,
          {{"count", rows},
           {"null_count", std::int64_t{10}},
           {"null_percent", 1.0},
           {"distinct_count", std::int64_t{4}},
           {"distinct_percent", 0.4},
           {"min_length", std::int64_t{6}},
           {"max_length", std::int64_t{9}},
           {"avg_length", 7.25},
           {"top_values",
            std::string(
                R"({"k":3,"exact":true,"values":[{"value":"shipped","count":600},{"value":"placed","count":300},{"value":"delivered","count":80}],"other_count":10,"null_count":10,"distinct_count":4})")}}));
      if (i >= 8) {
        r.columns.push_back(column("coupon", "TEXT", TypeClass::kString,
                                   {{"count", rows},
                                    {"null_count", rows / 2},
                                    {"null_percent", 50.0 + i},
                                    {"distinct_count", std::int64_t{3}},
                                    {"distinct_percent", 0.3}}));
      }
      store.store(r);
    }
    for (int i = 0; i < 3; ++i) {
      ProfilingResult r;
      r.run_id = fmt::format("customers-run-{:02}", i);
      r.dataset_name = "customers";
      r.profiled_at = day(i) + std::chrono::minutes(5);
      r.row_count = 500;
      r.columns.push_back(column(
          "name", "TEXT", TypeClass::kString,
          {{"count", std::int64_t{500}}, {"null_percent", 0.0}, {"distinct_percent", 100.0}}));
      r.columns.push_back(column("age", i < 2 ? "INTEGER" : "BIGINT", TypeClass::kNumeric,
                                 {{"count", std::int64_t{500}},
                                  {"null_percent", 1.0},
                                  {"distinct_percent", 14.0},
                                  {"mean", 38.5 + i}}));
      store.store(r);
    }
    auto bus = create_event_bus(c.hooks);
    auto drift = [&](const char* metric, double base, double cur, int run, const char* reason) {
      DataDriftDetected d{"orders",        "amount", metric, base, cur, (cur - base) / base * 100,
                          Severity::kHigh, {}};
      d.details = {{"schema", std::string()},
                   {"direction", std::string("up")},
                   {"strategy", std::string("absolute_threshold")},
                   {"statistic", std::string("change_percent")},
                   {"statistic_value", (cur - base) / base * 100},
                   {"threshold", 30.0},
                   {"baseline_run_ids", fmt::format("orders-run-{:02}", run - 1)},
                   {"current_run_id", fmt::format("orders-run-{:02}", run)},
                   {"reason", std::string(reason)}};
      bus->emit(Event(d, new_uuid(), day(run) + std::chrono::minutes(1)));
    };
    drift("null_percent", 2.5, 12.5, 6,
          "null_percent rose from 2.5 to 12.5: a fifth of amounts lost");
    drift("mean", 13.0, 40.0, 11, "mean rose from 13 to 40: amounts tripled");
  }

  std::string report(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"report", "-c", config.string(), "-o",
                                     (dir / "report.html").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = run_cli(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("report written to " + (dir / "report.html").string()), std::string::npos)
        << r.out;
    return slurp(dir / "report.html");
  }

  // Opens the page in Chromium; checks it loaded nothing but itself and logged no problem.
  std::string browse(const std::filesystem::path& page) {
    testing::PageLoad load = testing::load_page(page);
    EXPECT_EQ(load.exit_code, 0) << load.log;
    EXPECT_EQ(load.file_loads, std::vector<std::string>{"file://" + page.string()}) << load.log;
    EXPECT_TRUE(load.network_requests.empty())
        << fmt::format("{}", fmt::join(load.network_requests, "\n"));
    EXPECT_TRUE(load.console.empty()) << fmt::format("{}", fmt::join(load.console, "\n"));
    EXPECT_NE(load.dom.find("</html>"), std::string::npos);
    return load.dom;
  }
};

// What the generated store must look like on the page, written or rendered.
void expect_generated_page(const std::string& page) {
  const std::string orders = table_section(page, "orders");
  const std::string customers = table_section(page, "customers");
  ASSERT_FALSE(orders.empty());
  ASSERT_FALSE(customers.empty());
  // Every column in the latest profile.
  for (const char* c : {"id", "amount", "status", "coupon"}) {
    EXPECT_NE(orders.find(fmt::format("<th scope=\"row\">{}</th>", c)), std::string::npos) << c;
  }
  for (const char* c : {"name", "age"}) {
    EXPECT_NE(customers.find(fmt::format("<th scope=\"row\">{}</th>", c)), std::string::npos) << c;
  }
  // History charts: one point per run that has the value.
  EXPECT_EQ(points(figure(orders, "row_count")), 12u);
  EXPECT_EQ(points(figure(orders, "amount · null_percent")), 12u);
  EXPECT_EQ(points(figure(orders, "coupon · null_percent")), 4u);
  EXPECT_EQ(points(figure(customers, "age · mean")), 3u);
  // Findings marked where they happened: the stored events on runs 6 and 11.
  EXPECT_EQ(markers(figure(orders, "amount · null_percent"), "high"),
            std::vector<int>{run_x(6, 12)});
  EXPECT_EQ(markers(figure(orders, "amount · mean"), "high"), std::vector<int>{run_x(11, 12)});
  // The findings with their explanation; the open one (run 11) in the findings section.
  const auto findings_at = page.find("id=\"findings\"");
  const std::string findings =
      page.substr(findings_at, page.find("</section>", findings_at) - findings_at);
  EXPECT_NE(findings.find("mean rose from 13 to 40: amounts tripled"), std::string::npos);
  EXPECT_EQ(findings.find("a fifth of amounts lost"), std::string::npos);  // run 6: not open
  EXPECT_NE(orders.find("null_percent rose from 2.5 to 12.5: a fifth of amounts lost"),
            std::string::npos);
  EXPECT_NE(orders.find("baseline run <code>orders-run-10</code>"), std::string::npos);
  // Distributions: 4 histogram bars, 11 quantiles, 3 top values plus other and NULL.
  EXPECT_EQ(count(orders, "<rect class=\"bar\""), 4u);
  EXPECT_EQ(count(figure(orders, "amount · quantiles"), "<th class=\"n\" scope=\"row\">p"), 11u);
  const std::string status = figure(orders, "status · top values");
  EXPECT_EQ(count(status, "<span class=\"share\""), 5u);
  EXPECT_NE(status.find("shipped"), std::string::npos);
  // Schema changes as a timeline.
  EXPECT_NE(orders.find("<b>column added</b> coupon (TEXT)"), std::string::npos);
  EXPECT_NE(customers.find("<b>type changed</b> age: INTEGER → BIGINT"), std::string::npos);
  // Recent events.
  EXPECT_NE(page.find("id=\"events\""), std::string::npos);
  EXPECT_GE(count(page, "<td class=\"nm\">DataDriftDetected</td>"), 2u);
}

TEST_F(ReportTest, GeneratedStoreInTheBrowser) {
  generate_store();
  const std::string html = report();
  expect_generated_page(html);
  EXPECT_EQ(count(html, "<script"), 0u);
  EXPECT_EQ(count(html, "src="), 0u);
  EXPECT_EQ(count(html, "url("), 0u);

  const std::string dom = browse(dir / "report.html");
  expect_generated_page(dom);

  const auto png = dir / "report.png";
  ASSERT_EQ(testing::screenshot(dir / "report.html", png, 1280, 1600), 0);
  const testing::ImageStats stats = testing::image_stats(png);
  EXPECT_EQ(stats.width, 1280);
  EXPECT_EQ(stats.height, 1600);
  EXPECT_GT(stats.distinct_colors, 50u);  // text, badges and charts, not one flat colour
  EXPECT_GT(stats.non_background, 0.03);
  if (const char* keep = std::getenv("BASELINR_REPORT_SCREENSHOT")) {
    std::filesystem::copy_file(png, keep, std::filesystem::copy_options::overwrite_existing);
  }
}

TEST_F(ReportTest, RunsWindowAndDatasetFilter) {
  generate_store();
  const std::string html = report({"--runs", "5", "-d", "orders"});
  EXPECT_TRUE(table_section(html, "customers").empty());
  const std::string orders = table_section(html, "orders");
  EXPECT_EQ(points(figure(orders, "row_count")), 5u);
  EXPECT_EQ(points(figure(orders, "coupon · null_percent")), 4u);
  // Run 6 is outside the window: no marker, no finding for it.
  EXPECT_TRUE(markers(figure(orders, "amount · null_percent"), "high").empty());
  EXPECT_EQ(orders.find("a fifth of amounts lost"), std::string::npos);
  EXPECT_EQ(markers(figure(orders, "amount · mean"), "high"), std::vector<int>{run_x(4, 5)});

  auto r =
      run_cli({"report", "-c", config.string(), "-d", "ordres", "-o", (dir / "x.html").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("did you mean 'orders'"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "x.html"));
}

TEST_F(ReportTest, TheBrowserCheckSeesWhatAPageLoads) {
  // The checks above would pass vacuously if the browser's log were not read right: a page that
  // does load things must be caught, whether the network or a file.
  const auto bad =
      dir.write("bad.html",
                "<!DOCTYPE html><html><body><p>x</p><img src=\"http://example.invalid/a.png\">"
                "<img src=\"b.png\"></body></html>");
  testing::PageLoad load = testing::load_page(bad);
  EXPECT_EQ(load.exit_code, 0) << load.log;
  EXPECT_EQ(load.network_requests, std::vector<std::string>{"http://example.invalid/a.png"});
  EXPECT_EQ(load.file_loads.size(), 2u);
  // With the report's Content-Security-Policy the same page is stopped before loading, and says so.
  const auto blocked =
      dir.write("blocked.html",
                "<!DOCTYPE html><html><head><meta http-equiv=\"Content-Security-Policy\" "
                "content=\"default-src 'none'; style-src 'unsafe-inline'\"></head><body><img "
                "src=\"http://example.invalid/a.png\"></body></html>");
  load = testing::load_page(blocked);
  EXPECT_TRUE(load.network_requests.empty());
  ASSERT_EQ(load.console.size(), 1u) << load.log;
  EXPECT_NE(load.console[0].find("Content Security Policy"), std::string::npos);
}

TEST_F(ReportTest, HostileNamesAreText) {
  // Real profiling of a table and columns named to break out of HTML.
  const std::string table = "<script>alert(1)</script>";
  const std::string quote_col = "say \"hi\" 'there'";
  const std::string img_col = "<img src=x onerror=alert(2)>";
  const std::string uni_col = "ünï©ødé 列 🙂";
  {
    auto c = testing::open_sqlite(dir / "src.db");
    c->execute(fmt::format("CREATE TABLE \"{}\" (\"{}\" INTEGER, \"{}\" TEXT, \"{}\" REAL)", table,
                           "say \"\"hi\"\" 'there'", img_col, uni_col));
    for (int i = 0; i < 50; ++i) {
      c->execute(
          fmt::format("INSERT INTO \"{}\" VALUES ({}, '<b>v{}</b>', {}.5)", table, i, i % 3, i));
    }
  }
  write_config({table});
  ASSERT_EQ(run_cli({"profile", "-c", config.string()}).exit_code, 0);
  {
    auto c = testing::open_sqlite(dir / "src.db");
    c->execute(fmt::format("UPDATE \"{}\" SET \"{}\" = \"{}\" * 3", table, uni_col, uni_col));
  }
  ASSERT_EQ(run_cli({"profile", "-c", config.string()}).exit_code, 0);
  ASSERT_EQ(run_cli({"drift", "-c", config.string(), "--dataset", table}).exit_code, 0);
  const std::string html = report();
  const std::string dom = browse(dir / "report.html");
  for (const std::string* page : {&html, &dom}) {
    EXPECT_EQ(count(*page, "<script"), 0u);
    EXPECT_EQ(count(*page, "<img"), 0u);
    EXPECT_NE(page->find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
    EXPECT_NE(page->find("&lt;img src=x onerror=alert(2)&gt;"), std::string::npos);
    EXPECT_NE(page->find(uni_col), std::string::npos);
    // The drifted column's finding is listed (a change of its whole distribution: a
    // `distribution` finding, which has no history chart to carry a marker).
    EXPECT_NE(page->find("<span class=\"badge sev-high\">high</span></td><td class=\"nm\">" +
                         uni_col + "</td><td class=\"nm\">distribution</td>"),
              std::string::npos);
  }
  EXPECT_NE(html.find("say &quot;hi&quot; &#39;there&#39;"), std::string::npos);
  EXPECT_NE(dom.find("say \"hi\" 'there'"), std::string::npos);  // text as the browser holds it
}

TEST_F(ReportTest, StoreWithoutRuns) {
  write_config({"orders", "customers"});
  {
    const Config c = load();
    RunStore created(c.storage, c.environment);  // the tables, no run
  }
  const std::string html = report();
  const std::string dom = browse(dir / "report.html");
  for (const std::string* page : {&html, &dom}) {
    EXPECT_EQ(count(*page, "No run of this table is stored yet."), 2u);
    EXPECT_EQ(count(*page, "<span class=\"badge st-none\">not profiled</span>"), 4u);
    EXPECT_NE(page->find("No drift findings on the latest runs."), std::string::npos);
    EXPECT_NE(page->find("No events stored."), std::string::npos);
  }
}

// A storage path where no store exists (a typo, or nothing profiled yet): exit 2 with the reason
// and what to do; no store file is created and no page written.
TEST_F(ReportTest, MissingStoreIsAnErrorAndCreatesNothing) {
  write_config({"orders"});
  const auto page = dir / "report.html";
  const auto r = run_cli({"report", "-c", config.string(), "-o", page.string()});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("does not exist"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("baselinr profile"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(store_file));
  EXPECT_FALSE(std::filesystem::exists(page));
}

TEST_F(ReportTest, OneRunAndAFailedTable) {
  {
    auto c = testing::open_sqlite(dir / "src.db");
    c->execute("CREATE TABLE customers (id INTEGER, email TEXT)");
    c->execute("INSERT INTO customers VALUES (1, 'a@x.io'), (2, NULL), (3, 'c@x.io')");
  }
  write_config({"customers", "vanished"});
  auto r = run_cli({"profile", "-c", config.string()});
  ASSERT_EQ(r.exit_code, 3) << r.err;
  const std::string html = report();
  const std::string dom = browse(dir / "report.html");
  for (const std::string* page : {&html, &dom}) {
    const std::string customers = table_section(*page, "customers");
    EXPECT_EQ(points(figure(customers, "row_count")), 1u);
    EXPECT_EQ(points(figure(customers, "email · null_percent")), 1u);
    EXPECT_NE(customers.find("one run only: nothing to compare yet"), std::string::npos);
    EXPECT_NE(customers.find("Fewer than two runs: nothing to compare."), std::string::npos);
    const std::string vanished = table_section(*page, "vanished");
    ASSERT_FALSE(vanished.empty());
    EXPECT_NE(vanished.find("<span class=\"badge st-failed\">failed</span>"), std::string::npos);
    EXPECT_NE(vanished.find("<b>Profiling failed</b>"), std::string::npos);
    EXPECT_NE(vanished.find("vanished"), std::string::npos);
    EXPECT_NE(page->find("<b>1</b>failed</div>"), std::string::npos);
  }
}

TEST_F(ReportTest, TwoHundredRunsStaySmall) {
  write_config({"events"});
  Config c = load();
  {
    RunStore store(c.storage, c.environment);
    for (int i = 0; i < 200; ++i) {
      ProfilingResult r;
      r.run_id = fmt::format("run-{:03}", i);
      r.dataset_name = "events";
      r.profiled_at = day(0) + std::chrono::hours(i);
      r.row_count = 10000 + i;
      for (const char* name : {"a", "b", "c", "d", "e"}) {
        r.columns.push_back(column(name, "REAL", TypeClass::kNumeric,
                                   {{"count", r.row_count},
                                    {"null_percent", 0.5 + i % 7},
                                    {"distinct_percent", 90.0 - i % 5},
                                    {"mean", 1000.0 / (i + 1)},
                                    {"stddev", 1.5}}));
      }
      store.store(r);
    }
  }
  const std::string html = report();
  EXPECT_LT(html.size(), 100'000u);
  const std::string section = table_section(html, "events");
  EXPECT_EQ(points(figure(section, "row_count")), 30u);
  EXPECT_NE(section.find("200 runs stored"), std::string::npos);
  const std::string all = report({"--runs", "0"});
  EXPECT_LT(all.size(), 250'000u);
  EXPECT_EQ(points(figure(table_section(all, "events"), "a · mean")), 200u);
  const std::string dom = browse(dir / "report.html");
  EXPECT_EQ(points(figure(table_section(dom, "events"), "e · null_percent")), 200u);
}

TEST_F(ReportTest, FiftyTablesUnderAFewMegabytes) {
  // A warehouse of 50 tables of 20 numeric columns with 30 runs each (300,000 result rows,
  // written by SQL into the store's own tables: one statement instead of 1,500 transactions).
  std::vector<std::string> tables;
  for (int t = 0; t < 50; ++t) tables.push_back(fmt::format("table_{:02}", t));
  write_config(tables);
  {
    Config c = load();
    RunStore store(c.storage, c.environment);  // creates the tables
  }
  auto db = testing::open_sqlite(store_file);
  db->execute("BEGIN");
  const std::string ranges =
      "WITH RECURSIVE t(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM t WHERE n < 49), "
      "r(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM r WHERE i < 29), "
      "c(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM c WHERE k < 19) ";
  const std::string at =
      "datetime('2026-06-01', '+' || i || ' days', '+' || n || ' minutes') || '.000000'";
  db->execute(ranges +
              "INSERT INTO baselinr_runs (run_id, dataset_name, schema_name, profiled_at, "
              "environment, status, row_count, column_count) SELECT printf('table_%02d-%02d', n, "
              "i), printf('table_%02d', n), NULL, " +
              at + ", 'development', 'completed', 123456 + 1000 * i, 20 FROM t, r");
  const std::string histogram =
      R"([{"bin_start":0.0,"bin_end":1.0,"count":12},{"bin_start":1.0,"bin_end":2.0,"count":34},{"bin_start":2.0,"bin_end":3.0,"count":56},{"bin_start":3.0,"bin_end":4.0,"count":78},{"bin_start":4.0,"bin_end":5.0,"count":90},{"bin_start":5.0,"bin_end":6.0,"count":12},{"bin_start":6.0,"bin_end":7.0,"count":34},{"bin_start":7.0,"bin_end":8.0,"count":56},{"bin_start":8.0,"bin_end":9.0,"count":78},{"bin_start":9.0,"bin_end":10.0,"count":90}])";
  db->execute(
      ranges +
      ", m(name) AS (VALUES ('count'), ('null_count'), ('null_percent'), ('distinct_count'), "
      "('distinct_percent'), ('min'), ('max'), ('mean'), ('stddev'), ('histogram')) "
      "INSERT INTO baselinr_results (run_id, dataset_name, schema_name, column_name, column_type, "
      "metric_name, metric_value, profiled_at) SELECT printf('table_%02d-%02d', n, i), "
      "printf('table_%02d', n), NULL, printf('column_number_%02d', k), 'DOUBLE PRECISION', name, "
      "CASE name WHEN 'count' THEN 123456 + 1000 * i WHEN 'null_count' THEN 17 "
      "WHEN 'null_percent' THEN printf('%.17g', 1.0 / (3 + i + k)) "
      "WHEN 'distinct_count' THEN 4567 "
      "WHEN 'distinct_percent' THEN printf('%.17g', 100.0 / (3 + i + k)) "
      "WHEN 'min' THEN printf('%.17g', -1.0 / (3 + i + k)) "
      "WHEN 'max' THEN printf('%.17g', 1000.0 * (3 + i + k)) "
      "WHEN 'mean' THEN printf('%.17g', 12345.678 / (3 + i + k)) "
      "WHEN 'stddev' THEN printf('%.17g', 2.0 * (3 + i + k) / 7) "
      "ELSE '" +
      histogram + "' END, " + at + " FROM t, r, c, m");
  db->execute("COMMIT");
  db.reset();
  const std::string html = report();
  EXPECT_LT(html.size(), 4u * 1024 * 1024);
  EXPECT_EQ(count(html, "<section class=\"tbl\""), 50u);
  const std::string last = table_section(html, "table_49");
  EXPECT_EQ(points(figure(last, "column_number_19 · mean")), 30u);
  EXPECT_EQ(count(last, "<th scope=\"row\">column_number_"), 20u);
}

TEST_F(ReportTest, HistoryCommand) {
  generate_store();
  auto r = run_cli({"history", "-c", config.string(), "-d", "orders", "--column", "amount",
                    "--metric", "mean", "--runs", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("orders: 3 run(s), oldest first"), std::string::npos) << r.out;
  // Runs 9, 10, 11 oldest first, their values and changes, and the sparkline.
  const auto at9 = r.out.find("orders-run-09");
  const auto at11 = r.out.find("orders-run-11");
  ASSERT_NE(at9, std::string::npos);
  ASSERT_NE(at11, std::string::npos);
  EXPECT_LT(at9, at11);
  EXPECT_EQ(r.out.find("orders-run-08"), std::string::npos);
  EXPECT_NE(r.out.find("12.7"), std::string::npos);
  const std::string last_line = r.out.substr(at11, r.out.find('\n', at11) - at11);
  EXPECT_NE(last_line.find(" 40.0 "), std::string::npos) << last_line;
  EXPECT_TRUE(last_line.ends_with(" +207.7%")) << last_line;
  EXPECT_NE(r.out.find("amount.mean  ▁▁█"), std::string::npos) << r.out;

  r = run_cli({"history", "-c", config.string(), "-d", "orders", "--metric", "null_percent",
               "--output", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["dataset"], "orders");
  ASSERT_EQ(j["runs"].size(), 12u);
  EXPECT_EQ(j["runs"][0]["run_id"], "orders-run-00");
  EXPECT_EQ(j["runs"][11]["row_count"], 1550);
  ASSERT_EQ(j["series"].size(), 4u);  // id, amount, status, coupon
  EXPECT_EQ(j["series"][1]["column"], "amount");
  EXPECT_EQ(j["series"][1]["values"][6], 12.5);
  EXPECT_DOUBLE_EQ(j["series"][1]["values"][3].get<double>(), 2.3);
  EXPECT_EQ(j["series"][3]["column"], "coupon");
  EXPECT_TRUE(j["series"][3]["values"][7].is_null());
  EXPECT_EQ(j["series"][3]["values"][8], 58.0);

  r = run_cli({"history", "-c", config.string(), "-d", "orders"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("row_count"), std::string::npos);
  EXPECT_NE(r.out.find("1550"), std::string::npos);

  r = run_cli({"history", "-c", config.string(), "-d", "orders", "--column", "amout"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("did you mean 'amount'"), std::string::npos) << r.err;
  r = run_cli({"history", "-c", config.string(), "-d", "orders", "--column", "id", "--metric",
               "histogram"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("baselinr report"), std::string::npos) << r.err;
  r = run_cli({"history", "-c", config.string(), "-d", "nothing"});
  EXPECT_EQ(r.exit_code, 2);
}

TEST_F(ReportTest, DemoEndsWithTheReport) {
  const auto demo = dir / "demo";
  auto r = run_cli({"demo", "--dir", demo.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string page_path = (demo / "report.html").string();
  EXPECT_NE(r.out.find("report written to " + page_path), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Open " + page_path + " in a browser"), std::string::npos) << r.out;
  const std::string dom = browse(demo / "report.html");
  const std::string customers = table_section(dom, "customers");
  EXPECT_NE(customers.find("<b>column added</b> loyalty_tier (TEXT)"), std::string::npos);
  EXPECT_EQ(points(figure(customers, "email · null_percent")), 2u);
  EXPECT_EQ(markers(figure(customers, "email · null_percent"), "high"),
            std::vector<int>{run_x(1, 2)});
  EXPECT_FALSE(table_section(dom, "orders").empty());
}

TEST_F(ReportTest, ProgressOnATerminalOnly) {
  {
    auto c = testing::open_sqlite(dir / "src.db");
    for (const char* t : {"alpha", "beta", "gamma"}) {
      c->execute(fmt::format("CREATE TABLE {} (id INTEGER, v TEXT)", t));
      c->execute(fmt::format("INSERT INTO {} VALUES (1, 'x'), (2, 'y')", t));
    }
  }
  write_config({"alpha", "beta", "missing", "gamma"});
  auto on_terminal = testing::run_cli_on_terminal({"profile", "-c", config.string()});
  EXPECT_EQ(on_terminal.exit_code, 3);
  EXPECT_NE(on_terminal.err.find("\rprofiling: 0 of 4 done"), std::string::npos) << on_terminal.err;
  EXPECT_NE(on_terminal.err.find("profiling: 4 of 4 done, 1 failed"), std::string::npos)
      << on_terminal.err;
  EXPECT_NE(on_terminal.err.find("now: alpha"), std::string::npos) << on_terminal.err;
  // A log line is written on a clean line, the status line out of its way.
  const auto logged = on_terminal.err.find("profiling missing failed");
  ASSERT_NE(logged, std::string::npos) << on_terminal.err;
  const auto line_start = on_terminal.err.find_last_of("\r\n", logged);
  ASSERT_NE(line_start, std::string::npos);
  EXPECT_EQ(on_terminal.err.substr(line_start + 1, 2), "20");  // the log line's timestamp
  // The summary on stdout is what it always was.
  EXPECT_NE(on_terminal.out.find("3 of 4 table(s) profiled, 1 failed"), std::string::npos);
  EXPECT_EQ(on_terminal.out.find("profiling:"), std::string::npos);

  auto quiet = testing::run_cli_on_terminal({"profile", "-c", config.string(), "--quiet"});
  EXPECT_EQ(quiet.exit_code, 3);
  EXPECT_EQ(quiet.err.find("profiling:"), std::string::npos) << quiet.err;
  EXPECT_NE(quiet.err.find("profiling missing failed"), std::string::npos);

  auto piped = run_cli({"profile", "-c", config.string()});
  EXPECT_EQ(piped.exit_code, 3);
  EXPECT_EQ(piped.err.find("profiling:"), std::string::npos) << piped.err;
  EXPECT_EQ(piped.err.find('\r'), std::string::npos);
  EXPECT_NE(piped.out.find("3 of 4 table(s) profiled, 1 failed"), std::string::npos);
}

}  // namespace
}  // namespace baselinr
