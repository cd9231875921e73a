// Exactness on every engine: values the engine can hold exactly are profiled exactly, whatever
// their type, size or the other sessions writing meanwhile. Partition keys compared in their own
// type (never through a double), exact decimals stored with every digit, one snapshot for every
// statement of a table, and huge or non-finite values that must not fail a table nor come out
// wrong. Expected values come from the generated data, or from the engine's own answer where
// the engine legitimately holds something else (SQLite has no exact decimals).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <future>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "baselinr/error.hpp"
#include "baselinr/profiler.hpp"
#include "baselinr/storage.hpp"
#include "common/text.hpp"
#include "dataset.hpp"
#include "db/connection.hpp"
#include "db/dialect/dialect.hpp"
#include "suite.hpp"
#include "support/targets.hpp"

namespace baselinr::conformance {
namespace {

class Exactness : public EngineTest {
 protected:
  std::string decimal(int precision, int scale) const {
    return replace_all(replace_all(quirks().decimal_ddl, "$P", std::to_string(precision)), "$S",
                       std::to_string(scale));
  }
};

const MetricValue& metric(const ProfilingResult& r, const std::string& column,
                          const std::string& name) {
  for (const auto& c : r.columns) {
    if (c.name != column) continue;
    if (const MetricValue* m = c.metric(name)) return *m;
  }
  static const MetricValue none;
  ADD_FAILURE() << "no metric " << column << "." << name;
  return none;
}

std::string text(const MetricValue& v) { return metric_text(v).value_or("NULL"); }

TableConfig partitioned(const std::string& table, const std::string& key,
                        PartitionStrategy strategy, std::optional<std::int64_t> recent_n = {}) {
  TableConfig t;
  t.table = table;
  PartitionConfig p;
  p.key = key;
  p.strategy = strategy;
  p.recent_n = recent_n;
  t.partition = p;
  return t;
}

// Keys that a double cannot tell apart: 18 digits, 30 digits with 10 decimals, and a single
// precision float whose value is not the double of the same text. `latest` and `recent_n` must
// select exactly the rows whose keys the engine itself finds equal to the largest values.
TEST_P(Exactness, PartitionKeysAreComparedInTheirOwnType) {
  const std::string t = ns().sql("part_keys");
  ns().admin().execute(fmt::format("CREATE TABLE {} ({} {}, {} {}, {} {}, {} {})", t, q("k18"),
                                   decimal(18, 0), q("k30"), decimal(30, 10), q("kf"),
                                   quirks().type(Logical::kFloat).ddl, q("v"),
                                   quirks().type(Logical::kInt32).ddl));
  const std::vector<std::vector<std::string>> rows = {
      {"123456789012345677", "12345678901234567890.0000000001", "0.1", "1"},
      {"123456789012345678", "12345678901234567890.0000000002", "0.2", "2"},
      {"123456789012345678", "12345678901234567890.0000000001", "0.2", "3"}};
  for (const auto& row : rows) {
    ns().admin().execute(placeholders(fmt::format(
                             "INSERT INTO {} VALUES (CAST(? AS {}), CAST(? AS {}), CAST(? AS "
                             "{}), CAST(? AS {}))",
                             t, decimal(18, 0), decimal(30, 10), quirks().type(Logical::kFloat).ddl,
                             GetParam().starts_with("mariadb") ? "SIGNED" : "INTEGER")),
                         std::vector<db::Value>{row[0], row[1], row[2], row[3]});
  }

  Config config = pipeline({}, "pk");
  using S = PartitionStrategy;
  config.profiling.tables = {
      partitioned("part_keys", "k18", S::kLatest), partitioned("part_keys", "k18", S::kRecentN, 2),
      partitioned("part_keys", "k30", S::kLatest), partitioned("part_keys", "kf", S::kLatest),
      partitioned("part_keys", "kf", S::kRecentN, 2)};
  Profiled p = profile(config, nullptr, nullptr, Executor::kSql);
  ASSERT_EQ(p.outcomes.size(), 5u);
  for (const auto& o : p.outcomes) ASSERT_TRUE(o.ok()) << o.error;
  auto rows_of = [&](std::size_t i) { return p.outcomes[i].result->row_count; };
  auto values_of = [&](std::size_t i) { return p.outcomes[i].result->scope.partition_values; };

  // 18 digits fit a 64-bit integer, which SQLite's NUMERIC affinity keeps exactly too.
  EXPECT_EQ(rows_of(0), 2);
  EXPECT_EQ(values_of(0), std::vector<std::string>{"123456789012345678"});
  EXPECT_EQ(rows_of(1), 3);
  EXPECT_EQ(values_of(1), (std::vector<std::string>{"123456789012345678", "123456789012345677"}));
  // 30 digits: exact where the engine has exact decimals; SQLite holds three equal doubles.
  const std::int64_t engine_latest =
      db::as_int(scalar(fmt::format("SELECT COUNT(*) FROM {} WHERE {} = (SELECT "
                                    "MAX({}) FROM {})",
                                    t, q("k30"), q("k30"), t)))
          .value_or(-1);
  EXPECT_EQ(rows_of(2), engine_latest);
  if (quirks().exact_decimals) {
    EXPECT_EQ(rows_of(2), 1);
    EXPECT_EQ(values_of(2), std::vector<std::string>{"12345678901234567890.0000000002"});
  }
  // The float 0.2 twice, then 0.1: as the engine stores them, whatever their double.
  EXPECT_EQ(rows_of(3), 2);
  EXPECT_EQ(values_of(3), std::vector<std::string>{"0.2"});
  EXPECT_EQ(rows_of(4), 3);
  EXPECT_EQ(values_of(4), (std::vector<std::string>{"0.2", "0.1"}));
  for (std::size_t i = 0; i < p.outcomes.size(); ++i) {
    EXPECT_EQ(text(metric(*p.outcomes[i].result, "v", "count")), std::to_string(rows_of(i)));
  }
}

// min and max of exact decimals keep every digit (a double keeps 17); single-precision floats
// are stored as every engine and driver prints them (0.1, not 0.100000001490116).
TEST_P(Exactness, DecimalMinAndMaxKeepEveryDigit) {
  const std::string t = ns().sql("wide_decimals");
  const std::string real = quirks().type(Logical::kFloat).ddl;
  ns().admin().execute(fmt::format("CREATE TABLE {} ({} {}, {} {}, {} {}, {} {})", t, q("d18"),
                                   decimal(18, 0), q("d30"), decimal(30, 10), q("d20"),
                                   decimal(20, 0), q("f"), real));
  const std::vector<std::vector<std::string>> rows = {
      {"123456789012345677", "-12345678901234567890.0000000001", "99999999999999999999", "0.1"},
      {"123456789012345678", "12345678901234567890.1234567891", "-99999999999999999999", "0.3"},
      {"-123456789012345678", "0.0000000001", "1", "0.2"}};
  for (const auto& row : rows) {
    ns().admin().execute(
        placeholders(fmt::format(
            "INSERT INTO {} VALUES (CAST(? AS {}), CAST(? AS {}), CAST(? AS {}), CAST(? AS {}))", t,
            decimal(18, 0), decimal(30, 10), decimal(20, 0), real)),
        std::vector<db::Value>{row[0], row[1], row[2], row[3]});
  }
  Profiled p = profile(pipeline({"wide_decimals"}, "wd"), nullptr, nullptr, Executor::kSql);
  ASSERT_EQ(p.outcomes.size(), 1u);
  ASSERT_TRUE(p.outcomes[0].ok()) << p.outcomes[0].error;
  const ProfilingResult& r = *p.outcomes[0].result;
  EXPECT_EQ(text(metric(r, "f", "min")), "0.1");
  EXPECT_EQ(text(metric(r, "f", "max")), "0.3");
  EXPECT_EQ(text(metric(r, "d18", "min")), "-123456789012345678");
  EXPECT_EQ(text(metric(r, "d18", "max")), "123456789012345678");
  EXPECT_EQ(text(metric(r, "d18", "distinct_count")), "3");
  if (quirks().exact_decimals) {
    EXPECT_EQ(text(metric(r, "d30", "min")), "-12345678901234567890.0000000001");
    EXPECT_EQ(text(metric(r, "d30", "max")), "12345678901234567890.1234567891");
    EXPECT_EQ(text(metric(r, "d20", "min")), "-99999999999999999999");
    EXPECT_EQ(text(metric(r, "d20", "max")), "99999999999999999999");
  } else {
    // Beyond 64-bit integers SQLite stores doubles: the metric is the engine's double.
    EXPECT_EQ(text(metric(r, "d20", "max")), "1e+20");
  }
}

// A writer commits rows while the table is profiled. Every statement of the profile reads one
// snapshot: the histogram counts exactly the rows the scalar statement counted, and the
// partition value recorded is the one the statements selected.
TEST_P(Exactness, EveryStatementOfATableReadsOneSnapshot) {
  Dataset data{"busy", {{"id", Logical::kInt64, {}}, {"x", Logical::kDouble, {}}}};
  constexpr int kRows = 20000;
  for (int i = 0; i < kRows; ++i) {
    data.columns[0].values.push_back(std::int64_t{i % 7});
    data.columns[1].values.push_back(static_cast<double>((i * 7919) % 1000) / 10.0);
  }
  load(ns(), data);
  const std::string t = ns().sql("busy");

  std::atomic<bool> stop{false};
  std::atomic<int> written{0};
  std::string writer_error;
  std::thread writer([&] {
    try {
      auto conn = ns().connect();
      if (GetParam() == "sqlite") {
        // Readers and a writer at once, as a busy SQLite database runs them.
        conn->query("PRAGMA journal_mode = WAL");
        conn->execute("PRAGMA synchronous = OFF");
      }
      const std::string sql =
          placeholders(fmt::format("INSERT INTO {} ({}, {}) VALUES (?, ?)", t, q("id"), q("x")));
      for (std::int64_t i = 0; !stop; ++i) {
        conn->execute(sql, std::vector<db::Value>{std::int64_t{7 + i % 3}, 1000.0 + i});
        ++written;
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
    } catch (const std::exception& e) {
      writer_error = e.what();
    }
  });
  while (written < 10 && writer_error.empty()) std::this_thread::yield();

  Config config = pipeline({"busy"}, "snap");
  config.profiling.tables.push_back(partitioned("busy", "id", PartitionStrategy::kRecentN, 2));
  for (int attempt = 0; attempt < 4; ++attempt) {
    Profiled p = profile(config, nullptr, nullptr, Executor::kSql);
    ASSERT_EQ(p.outcomes.size(), 2u);
    for (const auto& o : p.outcomes) {
      ASSERT_TRUE(o.ok()) << o.error;
      const ProfilingResult& r = *o.result;
      auto bins = nlohmann::json::parse(text(metric(r, "x", "histogram")));
      std::int64_t binned = 0;
      for (const auto& b : bins) binned += b["count"].get<std::int64_t>();
      EXPECT_EQ(binned, r.row_count) << "attempt " << attempt << ", " << r.scope.describe();
    }
    // recent_n: the two largest ids in the snapshot, and the rows holding them.
    const ProfilingResult& part = *p.outcomes[1].result;
    ASSERT_EQ(part.scope.partition_values.size(), 2u);
    EXPECT_EQ(text(metric(part, "id", "max")), part.scope.partition_values[0]);
    EXPECT_EQ(text(metric(part, "id", "min")), part.scope.partition_values[1]);
  }
  stop = true;
  writer.join();
  EXPECT_EQ(writer_error, "");
  EXPECT_GT(written.load(), 10);
}

// Finite values whose sums or squares overflow a double: two 1e308 (their sum does), and
// +-1e300 (their squares do). The table is profiled, and mean and stddev are the true ones.
// Subnormal values next to them must not fail the table either (PostgreSQL raises an error when
// a product underflows); their own squares underflow in every engine's arithmetic, so their
// standard deviation is left out of the comparison.
TEST_P(Exactness, HugeValuesNeitherFailATableNorComeOutWrong) {
  constexpr double kMax = std::numeric_limits<double>::max();
  Dataset data{"huge",
               {{"big", Logical::kDouble, {1e308, 1e308, 1e308, Cell(), 1e308}},
                {"spread", Logical::kDouble, {1e300, -1e300, 1e300, Cell(), -1e300}},
                {"edges", Logical::kDouble, {kMax, -kMax, 0.0, Cell(), 0.0}},
                {"mixed", Logical::kDouble, {1e300, 1.0, -2.5, Cell(), 1e-300}},
                {"tiny", Logical::kDouble, {5e-324, -5e-324, 1e-310, Cell(), 0.0}}}};
  load(ns(), data);
  Profiled p = profile(pipeline({"huge"}, "hv"), nullptr, nullptr, Executor::kSql);
  ASSERT_EQ(p.outcomes.size(), 1u);
  ASSERT_TRUE(p.outcomes[0].ok()) << p.outcomes[0].error;
  const ProfilingResult& r = *p.outcomes[0].result;
  for (std::size_t i = 0; i < data.columns.size(); ++i) {
    SCOPED_TRACE(data.columns[i].name);
    ExpectedMetrics want = expected(data.columns[i]);
    ColumnProfile got = r.columns[i];
    if (data.columns[i].name == "tiny") {
      std::erase_if(want, [](const auto& m) { return m.first == "stddev"; });
      std::erase_if(got.metrics, [](const auto& m) { return m.first == "stddev"; });
    }
    expect_metrics(got, want);
  }
}

// A table of 1,000 columns: more aggregates than PostgreSQL's 1664 target-list entries or
// SQLite's 2000 result columns, and more arguments than a SQLite function takes (the random
// sampling row hash). Every engine profiles it, split over as few statements as its limits
// allow (read in one snapshot), with every metric as the data says.
TEST_P(Exactness, AThousandColumnsAreProfiledOnEveryEngine) {
  const Logical cycle[] = {Logical::kInt32, Logical::kDouble, Logical::kDate,
                           Logical::kText,  Logical::kInt32,  Logical::kInt32};
  Dataset wide{"wide", {}};
  constexpr std::size_t kColumns = 1000, kWideRows = 40;
  for (std::size_t c = 0; c < kColumns; ++c) {
    Column col{fmt::format("c{}", c), cycle[c % 6], {}};
    for (std::size_t r = 0; r < kWideRows; ++r) {
      const auto v = static_cast<std::int64_t>((r * 7919 + c * 31) % 97);
      if ((r + c) % 11 == 0) {
        col.values.emplace_back(Cell());
        continue;
      }
      switch (col.type) {
        case Logical::kDouble:
          col.values.emplace_back(static_cast<double>(v) / 4.0);
          break;
        case Logical::kDate:
          col.values.emplace_back(fmt::format("2026-01-{:02}", v % 28 + 1));
          break;
        case Logical::kText:
          col.values.emplace_back(fmt::format("v{}", v % 13));
          break;
        default:
          col.values.emplace_back(v - 40);
      }
    }
    wide.columns.push_back(std::move(col));
  }
  load(ns(), wide);

  Config config = pipeline({"wide"}, "wide");
  TableConfig sampled{.table = "wide"};
  SamplingConfig s;
  s.enabled = true;
  s.method = SamplingMethod::kRandom;
  s.fraction = 0.5;
  sampled.sampling = s;
  config.profiling.tables.push_back(sampled);
  // Both executors, asked for explicitly, where a native row source reads the table (SQLite,
  // PostgreSQL through libpq).
  std::vector<Executor> executors = {Executor::kSql};
  if (GetParam() == "sqlite" || GetParam() == "postgres") executors.push_back(Executor::kNative);
  for (Executor executor : executors) {
    Profiled p = profile(config, nullptr, nullptr, executor);
    ASSERT_EQ(p.outcomes.size(), 2u);
    for (const auto& o : p.outcomes) ASSERT_TRUE(o.ok()) << o.error;
    const ProfilingResult& all = *p.outcomes[0].result;
    ASSERT_EQ(all.columns.size(), kColumns);
    EXPECT_EQ(all.row_count, static_cast<std::int64_t>(kWideRows));
    EXPECT_EQ(all.executor, executor == Executor::kNative ? "native" : "sql");
    for (std::size_t c = 0; c < kColumns; ++c) {
      SCOPED_TRACE(wide.columns[c].name);
      expect_metrics(all.columns[c], expected(wide.columns[c]));
      if (HasFailure()) break;
    }
    // The sample: whatever rows it kept, every column saw the same ones.
    const ProfilingResult& sample = *p.outcomes[1].result;
    EXPECT_GT(sample.row_count, 0);
    EXPECT_LT(sample.row_count, static_cast<std::int64_t>(kWideRows));
    for (const auto& c : sample.columns) {
      EXPECT_EQ(*c.metric("count"), MetricValue(sample.row_count)) << c.name;
    }
    if (executor == Executor::kSql && ns().admin().select_item_limit() > 0) {
      EXPECT_GT(p.queries[0], 2) << "the scalar metrics of 1,000 columns need several statements";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Engines, Exactness, ::testing::ValuesIn(target_names()), param_name);

// A SQLite column declared COLLATE NOCASE or RTRIM folds text when SQLite compares it; distinct
// values are still counted by their bytes, as on every engine (and as the native executor does).
TEST(SqliteExactness, DeclaredCollationsDoNotFoldDistinctValues) {
  Namespace ns(target("sqlite"));
  ns.admin().execute(
      "CREATE TABLE folded (nocase TEXT COLLATE NOCASE, rtrim TEXT COLLATE RTRIM, plain TEXT)");
  ns.admin().execute(
      "INSERT INTO folded VALUES ('abc', 'a', 'x'), ('ABC', 'a ', 'x'), "
      "('Abc', 'a  ', 'X'), (NULL, 'b', NULL)");
  Config config;
  config.source = ns.config();
  config.storage.connection = ns.config();
  config.profiling.tables = {{.table = "folded"}};
  for (Executor executor : {Executor::kSql, Executor::kAuto}) {
    Profiled p = profile(config, nullptr, nullptr, executor);
    ASSERT_EQ(p.outcomes.size(), 1u);
    ASSERT_TRUE(p.outcomes[0].ok()) << p.outcomes[0].error;
    const ProfilingResult& r = *p.outcomes[0].result;
    EXPECT_EQ(text(metric(r, "nocase", "distinct_count")), "3") << r.executor;
    EXPECT_EQ(text(metric(r, "rtrim", "distinct_count")), "4") << r.executor;
    EXPECT_EQ(text(metric(r, "plain", "distinct_count")), "2") << r.executor;
  }
}

// ---- PostgreSQL, through libpq and through psqlODBC --------------------------------------------

class PostgresExactness : public Exactness {
 protected:
  std::int64_t engine_distinct(const std::string& table, const std::string& expr) {
    return db::as_int(
               scalar(fmt::format("SELECT COUNT(DISTINCT {}) FROM {}", expr, ns().sql(table))))
        .value_or(-1);
  }
  void exec(const std::string& sql) { ns().admin().execute(ns().expand(sql)); }
};

std::vector<std::string> postgres_targets() {
  std::vector<std::string> out;
  for (const std::string& name : target_names()) {
    if (name.starts_with("postgres")) out.push_back(name);
  }
  return out;
}

// A unique index proves distinctness only for the rows of its own table: FROM parent also reads
// the inheritance children's rows, which the parent's index does not cover.
TEST_P(PostgresExactness, UniqueIndexesOfInheritanceParentsProveNothing) {
  exec("CREATE TABLE $NS.parent (id int PRIMARY KEY, code text UNIQUE)");
  exec("CREATE TABLE $NS.child () INHERITS ($NS.parent)");
  exec("INSERT INTO $NS.parent VALUES (1, 'x'), (2, 'y')");
  exec("INSERT INTO $NS.child VALUES (1, 'x'), (2, 'y'), (3, 'z')");
  exec("CREATE TABLE $NS.plain (id int PRIMARY KEY, code text UNIQUE)");
  exec("INSERT INTO $NS.plain VALUES (1, 'x'), (2, 'y'), (3, NULL)");
  exec("CREATE TABLE $NS.parted (id int PRIMARY KEY) PARTITION BY RANGE (id)");
  exec("CREATE TABLE $NS.parted_a PARTITION OF $NS.parted FOR VALUES FROM (0) TO (10)");
  exec("CREATE TABLE $NS.parted_b PARTITION OF $NS.parted FOR VALUES FROM (10) TO (20)");
  exec("INSERT INTO $NS.parted VALUES (1), (2), (11)");

  Profiled p = profile(pipeline({"parent", "child", "plain", "parted"}, "inh"));
  ASSERT_EQ(p.outcomes.size(), 4u);
  for (const auto& o : p.outcomes) {
    ASSERT_TRUE(o.ok()) << o.error;
    for (const auto& c : o.result->columns) {
      SCOPED_TRACE(o.table + "." + c.name);
      EXPECT_EQ(
          *c.metric("distinct_count"),
          MetricValue(engine_distinct(o.table, ns().admin().dialect().quote_identifier(c.name))));
    }
  }
  EXPECT_EQ(text(metric(*p.outcomes[0].result, "id", "distinct_count")), "3");
  EXPECT_EQ(text(metric(*p.outcomes[0].result, "code", "distinct_count")), "3");
  EXPECT_EQ(text(metric(*p.outcomes[0].result, "id", "count")), "5");
}

// Types with an equality of their own are counted by it (jsonb {"a":1.0} = {"a":1}, interval
// '1 day' = '24 hours', ranges, numeric arrays, a numeric domain 5 = 5.0); types without one
// (json) by their text. A domain is profiled as its base type: min, max, mean, stddev and
// histogram for a domain over numeric. Every count is the engine's own COUNT(DISTINCT).
TEST_P(PostgresExactness, TypesAreComparedByTheirOwnEqualityAndDomainsByTheirBase) {
  exec("CREATE DOMAIN $NS.amount AS numeric(10,2)");
  exec("CREATE DOMAIN $NS.positive AS $NS.amount CHECK (VALUE > 0)");
  exec("CREATE DOMAIN $NS.code AS text");
  exec(
      "CREATE TABLE $NS.eq (j jsonb, d $NS.positive, r int4range, i interval, a numeric[], "
      "js json, c $NS.code, n int)");
  exec(
      "INSERT INTO $NS.eq VALUES "
      "('{\"a\": 1.0}', 5, '[1,3)', '1 day', '{1.0,2}', '{\"a\": 1}', 'x', 1), "
      "('{\"a\": 1}', 5.0, '[1,2]', '24 hours', '{1,2.00}', '{\"a\": 1.0}', 'X', 2), "
      "('{\"a\":1}', 7.25, '[1,3)', '1440 minutes', '{1,2}', '{\"a\":1}', 'x', NULL)");
  Profiled p = profile(pipeline({"eq"}, "eq"));
  ASSERT_EQ(p.outcomes.size(), 1u);
  ASSERT_TRUE(p.outcomes[0].ok()) << p.outcomes[0].error;
  const ProfilingResult& r = *p.outcomes[0].result;
  const db::Dialect& d = ns().admin().dialect();
  for (const auto& c : r.columns) {
    SCOPED_TRACE(c.name);
    // json has no equality: its text is what can be compared.
    const std::string expr = c.name == "js" ? "CAST(js AS TEXT)" : d.quote_identifier(c.name);
    EXPECT_EQ(*c.metric("distinct_count"), MetricValue(engine_distinct("eq", expr)));
  }
  for (const char* name : {"j", "r", "i", "a"}) {
    EXPECT_EQ(text(metric(r, name, "distinct_count")), "1") << name;
  }
  EXPECT_EQ(text(metric(r, "js", "distinct_count")), "3");
  EXPECT_EQ(text(metric(r, "c", "distinct_count")), "2");

  // The domain over a domain over numeric(10,2): a numeric column under its own type name.
  ASSERT_EQ(r.columns.at(1).name, "d");
  EXPECT_EQ(r.columns[1].type, ns().name() + ".positive");
  EXPECT_EQ(r.columns[1].type_class, TypeClass::kNumeric);
  EXPECT_EQ(text(metric(r, "d", "distinct_count")), "2");
  EXPECT_EQ(text(metric(r, "d", "min")), "5.00");
  EXPECT_EQ(text(metric(r, "d", "max")), "7.25");
  EXPECT_NEAR(std::get<double>(metric(r, "d", "mean")), 17.25 / 3, 1e-12);
  EXPECT_NEAR(std::get<double>(metric(r, "d", "stddev")), std::sqrt(1.6875), 1e-12);
  EXPECT_NE(std::get<std::string>(metric(r, "d", "histogram")).find("\"count\""),
            std::string::npos);
  EXPECT_EQ(r.columns.at(6).type_class, TypeClass::kString);
  EXPECT_EQ(text(metric(r, "c", "max_length")), "1");
}

// numeric NaN and +-Infinity, float8 infinities: what the engine's own aggregates say (NaN
// standard deviations, infinite means), stored as "nan", "inf" and "-inf".
TEST_P(PostgresExactness, NonFiniteValuesGiveTheEnginesAnswers) {
  exec("CREATE TABLE $NS.nonfinite (n_nan numeric, n_inf numeric, f_inf float8, f_both float8)");
  exec(
      "INSERT INTO $NS.nonfinite VALUES (1, 1, 1, 'Infinity'), (2, 'Infinity', 'Infinity', "
      "'-Infinity'), ('NaN', 3, 2, 1)");
  Profiled p = profile(pipeline({"nonfinite"}, "nf"));
  ASSERT_EQ(p.outcomes.size(), 1u);
  ASSERT_TRUE(p.outcomes[0].ok()) << p.outcomes[0].error;
  const ProfilingResult& r = *p.outcomes[0].result;
  const db::Dialect& d = ns().admin().dialect();
  for (const auto& c : r.columns) {
    SCOPED_TRACE(c.name);
    const std::string col = d.quote_identifier(c.name);
    db::Result engine = ns().admin().query(fmt::format(
        "SELECT CAST(AVG({0}) AS float8), CAST(STDDEV_SAMP({0}) AS float8), CAST(MIN({0}) AS "
        "float8), CAST(MAX({0}) AS float8) FROM {1}",
        col, ns().sql("nonfinite")));
    const char* names[] = {"mean", "stddev", "min", "max"};
    for (std::size_t k = 0; k < 4; ++k) {
      const std::optional<double> want = db::as_double(engine.rows.at(0).at(k));
      const std::optional<double> got = parse_double(text(metric(r, c.name, names[k])));
      ASSERT_TRUE(want && got) << names[k];
      if (std::isnan(*want)) {
        EXPECT_TRUE(std::isnan(*got)) << names[k] << ": " << *got;
      } else {
        EXPECT_EQ(*got, *want) << names[k];
      }
    }
  }
  EXPECT_EQ(text(metric(r, "n_nan", "stddev")), "nan");
  EXPECT_EQ(text(metric(r, "n_nan", "max")), "nan");
  EXPECT_EQ(text(metric(r, "n_inf", "mean")), "inf");
  EXPECT_EQ(text(metric(r, "f_both", "mean")), "nan");
}

// Dates at +-infinity and timestamptz values: psqlODBC renders a date 'infinity' as 0000-00-00
// and a timestamptz without its offset, and `latest` on such a key failed through it. Through
// libpq and psqlODBC alike, min, max and the partition values are PostgreSQL's own text, and
// `latest` selects the rows the engine finds equal to the largest key.
TEST_P(PostgresExactness, InfiniteDatesAndZonedTimesKeepTheirTextThroughEveryDriver) {
  exec("CREATE TABLE $NS.forever (d date, tz timestamptz, v int)");
  exec(
      "INSERT INTO $NS.forever VALUES ('infinity', '2026-11-29 08:07:31.25+00', 1), "
      "('infinity', '2026-01-02 03:04:05+00', 2), ('-infinity', '2025-06-30 23:59:59+00', 3), "
      "('2026-05-01', NULL, 4), (NULL, '2026-01-02 03:04:05+00', 5)");
  Config config = pipeline({"forever"}, "inf");
  config.profiling.tables.push_back(partitioned("forever", "d", PartitionStrategy::kLatest));
  config.profiling.tables.push_back(partitioned("forever", "d", PartitionStrategy::kRecentN, 2));
  Profiled p = profile(config);
  ASSERT_EQ(p.outcomes.size(), 3u);
  for (const auto& o : p.outcomes) ASSERT_TRUE(o.ok()) << o.error;
  const ProfilingResult& all = *p.outcomes[0].result;
  EXPECT_EQ(text(metric(all, "d", "min")), "-infinity");
  EXPECT_EQ(text(metric(all, "d", "max")), "infinity");
  EXPECT_EQ(text(metric(all, "d", "distinct_count")), "3");
  EXPECT_EQ(text(metric(all, "tz", "min")), "2025-06-30 23:59:59+00");
  EXPECT_EQ(text(metric(all, "tz", "max")), "2026-11-29 08:07:31.25+00");
  EXPECT_EQ(text(metric(all, "tz", "distinct_count")), "3");

  const ProfilingResult& latest = *p.outcomes[1].result;
  EXPECT_EQ(latest.scope.partition_values, std::vector<std::string>{"infinity"});
  EXPECT_EQ(latest.row_count, 2);
  EXPECT_EQ(text(metric(latest, "v", "max")), "2");
  const ProfilingResult& recent = *p.outcomes[2].result;
  EXPECT_EQ(recent.scope.partition_values, (std::vector<std::string>{"infinity", "2026-05-01"}));
  EXPECT_EQ(recent.row_count, 3);
}

// TABLESAMPLE applies to tables and materialized views, not to views: a view is sampled by the
// seeded row filter instead, and the run says which mechanism it used.
TEST_P(PostgresExactness, RandomSamplingOfAViewFallsBackToTheRowFilter) {
  exec("CREATE TABLE $NS.base (id int, x float8)");
  exec("INSERT INTO $NS.base SELECT g, g / 7.0 FROM generate_series(1, 4000) AS g");
  exec("CREATE VIEW $NS.base_view AS SELECT * FROM $NS.base WHERE id > 0");
  exec("CREATE MATERIALIZED VIEW $NS.base_mat AS SELECT * FROM $NS.base");
  Config config = pipeline({}, "samp");
  for (const char* t : {"base", "base_view", "base_mat"}) {
    TableConfig table;
    table.table = t;
    SamplingConfig s;
    s.enabled = true;
    s.method = SamplingMethod::kRandom;
    s.fraction = 0.25;
    table.sampling = s;
    config.profiling.tables.push_back(table);
  }
  Profiled p = profile(config);
  ASSERT_EQ(p.outcomes.size(), 3u);
  for (const auto& o : p.outcomes) {
    ASSERT_TRUE(o.ok()) << o.table << ": " << o.error;
    const ProfilingResult& r = *o.result;
    SCOPED_TRACE(o.table + ": " + r.scope.sampling_mechanism);
    EXPECT_GT(r.row_count, 500);
    EXPECT_LT(r.row_count, 1500);
    const bool view = o.table == "base_view";
    EXPECT_EQ(r.scope.sampling_mechanism.find("seeded hash") != std::string::npos, view);
    EXPECT_EQ(r.scope.sampling_mechanism.find("bernoulli") != std::string::npos, !view);
  }
}

// A database whose session defaults print dates as 'SQL, DMY', intervals in SQL-standard
// style, times in New York and floats with 15 digits: nothing stored changes, because every
// connection (source and storage, libpq and psqlODBC) pins the settings it depends on.
TEST_P(PostgresExactness, SessionDefaultsOfTheDatabaseChangeNothingStored) {
  const std::string database = ns().name() + "_styles";
  db::Connection& admin = ns().admin();
  admin.execute("CREATE DATABASE " + q(database));
  struct Drop {
    db::Connection& admin;
    std::string sql;
    ~Drop() {
      try {
        admin.execute(sql);
      } catch (const std::exception& e) {
        ADD_FAILURE() << e.what();
      }
    }
  } drop{admin, "DROP DATABASE " + q(database) + " WITH (FORCE)"};
  for (const char* setting :
       {"DateStyle = 'SQL, DMY'", "IntervalStyle = 'sql_standard'", "TimeZone = 'America/New_York'",
        "extra_float_digits = 0", "bytea_output = 'escape'"}) {
    admin.execute("ALTER DATABASE " + q(database) + " SET " + setting);
  }
  ConnectionConfig styled = ns().config();
  styled.database = database;
  styled.schema = "public";
  {
    auto conn = db::connect(styled);
    conn->execute(
        "CREATE TABLE public.styled (d date, ts timestamp, tz timestamptz, f float8, id int)");
    conn->execute(
        "INSERT INTO public.styled VALUES ('2026-11-29', '2026-11-29 08:07:31.5', "
        "'2026-11-29 08:07:31+00', 0.1, 1), ('2026-01-02', '2026-01-02 00:00:00', "
        "'2026-01-02 03:04:05+00', 0.30000000000000004, 2)");
  }
  Config config;
  config.environment = "conformance";
  config.source = styled;
  config.storage.connection = styled;
  config.profiling.max_workers = 1;
  config.profiling.tables = {partitioned("styled", "d", PartitionStrategy::kRecentN, 2)};
  std::optional<ProfilingResult> result;
  {
    RunStore store(config.storage, config.environment);
    Profiled p = profile(config, &store);
    ASSERT_EQ(p.outcomes.size(), 1u);
    ASSERT_TRUE(p.outcomes[0].ok()) << p.outcomes[0].error;
    result = p.outcomes[0].result;
    const ProfilingResult& r = *result;
    EXPECT_EQ(r.scope.partition_values, (std::vector<std::string>{"2026-11-29", "2026-01-02"}));
    EXPECT_EQ(text(metric(r, "d", "min")), "2026-01-02");
    EXPECT_EQ(text(metric(r, "d", "max")), "2026-11-29");
    EXPECT_EQ(text(metric(r, "ts", "max")), "2026-11-29 08:07:31.5");
    EXPECT_EQ(text(metric(r, "tz", "min")), "2026-01-02 03:04:05+00");
    EXPECT_EQ(text(metric(r, "f", "max")), "0.30000000000000004");

    std::vector<RunRecord> runs = store.list_runs({});
    ASSERT_EQ(runs.size(), 1u);
    EXPECT_EQ(runs[0].profiled_at, format_storage_time(r.profiled_at));
    std::map<std::string, std::string> stored;
    for (const auto& m : store.results(runs[0])) {
      stored[m.column_name + "." + m.metric_name] = m.metric_value.value_or("NULL");
    }
    EXPECT_EQ(stored["d.max"], "2026-11-29");
    EXPECT_EQ(stored["tz.min"], "2026-01-02 03:04:05+00");
    EXPECT_EQ(stored["f.max"], "0.30000000000000004");
  }
}

INSTANTIATE_TEST_SUITE_P(Postgres, PostgresExactness, ::testing::ValuesIn(postgres_targets()),
                         param_name);

}  // namespace
}  // namespace baselinr::conformance
