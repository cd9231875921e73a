// The SQLite native executor on the table shapes users have: every metric equals the SQL path's
// (SQLite's own aggregates) on dense, holed, sparse, random, clustered and int64-edge rowids,
// plain views and views over a join, generated columns, WITHOUT ROWID and virtual tables,
// columns that take the rowid's names, mixed storage classes, with and without a scope; on
// several threads and on one. Then: how the rows are split (by rows present, never by the
// rowid span), memory on sparse and random keys against a dense table, one snapshot for every
// thread and both passes under a concurrent writer (WAL and rollback journal), 1,000 columns.
#include "profiling/native_executor.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "baselinr/config.hpp"
#include "common/text.hpp"
#include "db/dialect/dialect.hpp"
#include "profiling/scope.hpp"
#include "profiling/sqlite_row_source.hpp"
#include "profiling/table_profiler.hpp"
#include "support/testing.hpp"

namespace baselinr {
namespace {

using profiling::SqliteRowSource;
using testing::TempDir;

constexpr std::int64_t kMin64 = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kMax64 = std::numeric_limits<std::int64_t>::max();

// The columns of the generated tables: every type class, NULLs, mixed storage classes (SQLite
// keeps what it is given: text and blobs in a NUMERIC column, numbers in a STRING column).
const char* const kColumns =
    "i INT, r REAL, s TEXT, d DATE, b BOOLEAN, m NUMERIC, st STRING, x, nul INT";

db::Value pick_mixed(std::mt19937_64& rng) {
  switch (rng() % 8) {
    case 0:
      return static_cast<std::int64_t>(rng() % 100) - 50;
    case 1:
      return std::ldexp(static_cast<double>(rng() % 100000), -5);
    case 2:
      return std::string("text ") + std::to_string(rng() % 50);
    case 3:
      return std::string("\x00\xff\x01", 3);  // bound as text: a NUL inside text
    case 4:
      return std::monostate{};
    case 5: {
      static const double kReals[] = {1e20,
                                      0.1,
                                      -0.0,
                                      1.5,
                                      123456789012345678.0,
                                      100.0,
                                      1e-5,
                                      std::numeric_limits<double>::infinity(),
                                      -std::numeric_limits<double>::infinity()};
      return kReals[rng() % std::size(kReals)];
    }
    default:
      return static_cast<std::int64_t>(rng() % 7);
  }
}

// Inserts one generated row per key into `table` (k, then kColumns).
void load_rows(db::Connection& c, const std::string& table, const std::vector<std::int64_t>& keys,
               std::uint64_t seed) {
  static const std::vector<std::string> words = {"alpha", "Ünïcødé", "日本語", "emoji 🙂",
                                                 "",      "a",       "naïve",  "x\"y'z"};
  std::mt19937_64 rng(seed);
  db::Transaction tx(c);
  auto ins = c.prepare(fmt::format("INSERT INTO {} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", table));
  for (std::int64_t k : keys) {
    std::vector<db::Value> row(10);
    row[0] = k;
    if (rng() % 10) row[1] = static_cast<std::int64_t>(rng() % 1000) - 500;
    if (rng() % 10) {
      row[2] = rng() % 5 ? std::ldexp(static_cast<double>(rng() % 1000000), -7) + 3.0
                         : static_cast<double>(rng() % 4);  // integral reals too
    }
    if (rng() % 10) row[3] = words[rng() % words.size()] + std::to_string(rng() % 40);
    row[4] = fmt::format("2026-{:02}-{:02}", 1 + rng() % 12, 1 + rng() % 28);
    if (rng() % 3) row[5] = static_cast<std::int64_t>(rng() % 2);
    row[6] = pick_mixed(rng);
    row[7] = pick_mixed(rng);
    row[8] = pick_mixed(rng);
    ins->execute(row);
  }
  ins.reset();
  tx.commit();
}

void create_table(db::Connection& c, const std::string& table, const std::string& suffix = "") {
  c.execute(fmt::format("CREATE TABLE {} (k INTEGER PRIMARY KEY, {}){}", table, kColumns, suffix));
}

// Blobs in the untyped and NUMERIC columns. SQLite orders every blob above every text, whatever
// their bytes: the MAX of `m` is the blob x'0001', not its largest text.
void add_blobs(db::Connection& c, const std::string& table) {
  c.execute(fmt::format("UPDATE {} SET x = x'00', m = x'0001' WHERE k % 97 = 0", table));
}

// The integers from..to as a subquery with one column, `value`.
std::string series(std::int64_t from, std::int64_t to) {
  return fmt::format(
      "(WITH RECURSIVE s(value) AS (SELECT {} UNION ALL SELECT value + 1 FROM s WHERE value < {}) "
      "SELECT value FROM s)",
      from, to);
}

std::vector<std::int64_t> spaced(std::int64_t n, std::int64_t first, std::int64_t step) {
  std::vector<std::int64_t> out;
  for (std::int64_t i = 0; i < n; ++i) out.push_back(first + i * step);
  return out;
}

// Profiles the first table of `config` on a read-only connection of its own: the native executor
// on `threads` threads (more connections from the same source), or the SQL path.
ProfilingResult profile_first_table(const Config& config, Executor executor, int threads,
                                    std::optional<std::int64_t> seed = std::nullopt) {
  ConnectionFactory factory = [&] { return db::connect(config.source, {.read_only = true}); };
  auto c = factory();
  profiling::ExecutionOptions exec{executor, &factory, threads, seed};
  return profiling::profile_table(*c, config, profiling::make_target(config, 0), "run", exec);
}

struct Shape {
  std::string name;
  std::string table;  // what is profiled
  std::function<void(db::Connection&)> setup;
  std::function<void(TableConfig&)> scope = nullptr;  // partition and sampling
  std::int64_t scoped_rows = -1;                      // the rows a scope keeps, when the test knows
};

void PrintTo(const Shape& shape, std::ostream* out) { *out << shape.name; }

constexpr std::int64_t kRows = 20000;

std::vector<Shape> shapes() {
  auto keyed = [](std::string name, std::function<std::vector<std::int64_t>()> keys) {
    return Shape{name, "t", [keys](db::Connection& c) {
                   create_table(c, "t");
                   load_rows(c, "t", keys(), 7);
                   add_blobs(c, "t");
                 }};
  };
  std::vector<Shape> out;
  out.push_back(keyed("dense", [] { return spaced(kRows, 1, 1); }));
  out.push_back(keyed("holes", [] {
    std::vector<std::int64_t> k;
    for (std::int64_t i = 1; i <= kRows * 3 / 2; ++i) {
      if (i % 3) k.push_back(i);
    }
    return k;
  }));
  out.push_back(keyed("ids_1000_apart", [] { return spaced(kRows, 1000, 1000); }));
  out.push_back(keyed("ids_7919_apart", [] { return spaced(kRows, -7919 * 100, 7919); }));
  out.push_back(keyed("random_64_bit_ids", [] {
    std::mt19937_64 rng(64);
    std::set<std::int64_t> k;
    while (static_cast<std::int64_t>(k.size()) < kRows) k.insert(static_cast<std::int64_t>(rng()));
    return std::vector<std::int64_t>(k.begin(), k.end());
  }));
  out.push_back(keyed("clustered", [] {
    std::vector<std::int64_t> k = spaced(kRows / 3, 1, 1);
    for (auto v : spaced(kRows / 3, std::int64_t{1} << 40, 1)) k.push_back(v);
    for (auto v : spaced(kRows / 3, kMax64 - kRows / 3 + 1, 1)) k.push_back(v);
    return k;
  }));
  out.push_back(keyed("int64_edges", [] {
    std::vector<std::int64_t> k = spaced(kRows / 2, kMin64, 1);
    for (auto v : spaced(kRows / 2, kMax64 - kRows / 2 + 1, 1)) k.push_back(v);
    for (std::int64_t v : {std::int64_t{-1}, std::int64_t{0}, std::int64_t{1}}) k.push_back(v);
    return k;
  }));
  // The rows of issue 11: 1, 2, 3 and INT64_MAX gave 3 rows; INT64_MIN .. INT64_MAX 2 of 4.
  out.push_back(keyed("int64_max_with_small_ids", [] {
    return std::vector<std::int64_t>{1, 2, 3, kMax64};
  }));
  out.push_back(keyed("int64_min_to_max", [] {
    return std::vector<std::int64_t>{kMin64, -1, 1, kMax64};
  }));
  out.push_back({"empty", "t", [](db::Connection& c) { create_table(c, "t"); }});
  out.push_back({"plain_view", "v", [](db::Connection& c) {
                   create_table(c, "t");
                   load_rows(c, "t", spaced(kRows, 1, 1), 8);
                   add_blobs(c, "t");
                   c.execute("CREATE VIEW v AS SELECT * FROM t WHERE i IS NULL OR i > -300");
                 }});
  out.push_back({"view_over_a_join", "vj", [](db::Connection& c) {
                   create_table(c, "t");
                   load_rows(c, "t", spaced(kRows, 1, 1), 9);
                   c.execute("CREATE TABLE dim (k INTEGER PRIMARY KEY, label TEXT, weight REAL)");
                   c.execute(
                       "INSERT INTO dim SELECT value, 'label ' || (value % 4), value * 1.5 "
                       "FROM " +
                       series(0, 9));
                   c.execute(
                       "CREATE VIEW vj AS SELECT t.*, dim.k, dim.label, dim.weight FROM t LEFT "
                       "JOIN dim ON dim.k = abs(t.i) % 12");
                 }});
  out.push_back({"generated_columns", "g", [](db::Connection& c) {
                   c.execute(
                       "CREATE TABLE g (k INTEGER PRIMARY KEY, a INT, s TEXT, "
                       "gv INT GENERATED ALWAYS AS (a * 2) VIRTUAL, "
                       "gs TEXT GENERATED ALWAYS AS (s || '!') STORED, "
                       "gr REAL GENERATED ALWAYS AS (a / 3.0))");
                   c.execute(
                       "INSERT INTO g (k, a, s) SELECT value * 3, CASE WHEN value % 9 = 0 THEN "
                       "NULL ELSE value % 700 END, 'row ' || (value % 500) FROM " +
                       series(1, 20000));
                 }});
  out.push_back({"without_rowid", "w", [](db::Connection& c) {
                   c.execute(fmt::format("CREATE TABLE w (k INTEGER PRIMARY KEY, {}) WITHOUT ROWID",
                                         kColumns));
                   load_rows(c, "w", spaced(kRows, 5, 3), 10);
                   add_blobs(c, "w");
                 }});
  out.push_back({"virtual_table", "f", [](db::Connection& c) {
                   c.execute("CREATE VIRTUAL TABLE f USING fts5(title, body)");
                   c.execute(
                       "INSERT INTO f SELECT 'title ' || (value % 300), 'body text ' || value "
                       "FROM " +
                       series(1, 5000));
                 }});
  // A column named _rowid_ with NULLs and scattered values: the rowid must be read under
  // another of its names.
  out.push_back({"column_named__rowid_", "sr", [](db::Connection& c) {
                   c.execute("CREATE TABLE sr (\"_rowid_\" INT, v INT, s TEXT)");
                   c.execute(
                       "INSERT INTO sr SELECT CASE WHEN value % 5 = 0 THEN NULL ELSE (value * "
                       "7919) % 100003 - 50000 END, value, 'v' || value FROM " +
                       series(1, 20000));
                 }});
  out.push_back({"columns_named_like_every_rowid", "sa", [](db::Connection& c) {
                   c.execute("CREATE TABLE sa (\"_ROWID_\" TEXT, \"RowId\" INT, \"oid\" REAL, v)");
                   c.execute(
                       "INSERT INTO sa SELECT 'x' || (value % 10), value % 3, value / 7.0, value "
                       "FROM " +
                       series(1, 20000));
                 }});
  // Columns named like the stratified sampling's helpers (issue 11, item 7).
  out.push_back({"columns_named_like_sampling_helpers", "h",
                 [](db::Connection& c) {
                   c.execute(
                       "CREATE TABLE h (k INTEGER PRIMARY KEY, baselinr_rn INT, BASELINR_N TEXT, "
                       "grp INT, baselinr_rn_1 INT)");
                   c.execute("INSERT INTO h SELECT value, 0, 'n', value % 4, -1 FROM " +
                             series(1, 4000));
                 },
                 [](TableConfig& t) {
                   SamplingConfig s;
                   s.enabled = true;
                   s.method = SamplingMethod::kStratified;
                   s.fraction = 0.5;
                   s.stratify_by = "grp";
                   t.sampling = s;
                 },
                 2000});  // half of each of the 4 strata of 1,000
  out.push_back({"partition_on_sparse_keys", "t",
                 [](db::Connection& c) {
                   create_table(c, "t");
                   load_rows(c, "t", spaced(kRows, 1000, 1000), 11);
                 },
                 [](TableConfig& t) {
                   PartitionConfig p;
                   p.key = "d";
                   p.strategy = PartitionStrategy::kRecentN;
                   p.recent_n = 40;
                   t.partition = p;
                 }});
  out.push_back({"random_sample_of_random_keys", "t",
                 [](db::Connection& c) {
                   create_table(c, "t");
                   std::mt19937_64 rng(65);
                   std::set<std::int64_t> k;
                   while (static_cast<std::int64_t>(k.size()) < kRows) {
                     k.insert(static_cast<std::int64_t>(rng()));
                   }
                   load_rows(c, "t", std::vector<std::int64_t>(k.begin(), k.end()), 12);
                 },
                 [](TableConfig& t) {
                   SamplingConfig s;
                   s.enabled = true;
                   s.fraction = 0.3;
                   t.sampling = s;
                 }});
  return out;
}

class NativeShapes : public ::testing::TestWithParam<Shape> {
 protected:
  TempDir dir;
  std::filesystem::path source = dir / "source.db";
  Config config;

  void SetUp() override {
    {
      auto c = testing::open_sqlite(source);
      GetParam().setup(*c);
    }
    config = testing::pipeline_config(testing::sqlite_config(source), dir / "store.db",
                                      {GetParam().table});
    if (GetParam().scope) GetParam().scope(config.profiling.tables[0]);
  }

  std::unique_ptr<db::Connection> connect() {
    return db::connect(config.source, {.read_only = true});
  }

  ProfilingResult profile(Executor executor, int threads,
                          const std::vector<std::string>& metrics = all_metric_names()) {
    config.profiling.metrics = metrics;
    return profile_first_table(config, executor, threads, 20261129);  // the same sample
  }
};

TEST_P(NativeShapes, NativeGivesTheSqlPathsMetrics) {
  // The columns are those SELECT * returns: generated columns included, the hidden columns of
  // virtual tables not.
  std::vector<std::string> want;
  {
    auto c = connect();
    want = c->query(fmt::format("SELECT * FROM \"{}\" LIMIT 0", GetParam().table)).columns;
  }
  std::vector<std::string> got;
  for (const auto& col : profile(Executor::kNative, 2).columns) got.push_back(col.name);
  EXPECT_EQ(got, want);

  for (DistinctMode mode : {DistinctMode::kExact, DistinctMode::kApproximate}) {
    config.profiling.distinct = mode;
    SCOPED_TRACE(mode == DistinctMode::kExact ? "exact" : "approximate");
    const ProfilingResult sql = profile(Executor::kSql, 1);
    ASSERT_EQ(sql.executor, "sql");
    for (int threads : {4, 1}) {
      SCOPED_TRACE(fmt::format("{} thread(s)", threads));
      const ProfilingResult native = profile(Executor::kNative, threads);
      const bool row_local = !config.profiling.tables[0].sampling ||
                             config.profiling.tables[0].sampling->method == SamplingMethod::kRandom;
      EXPECT_EQ(native.executor, row_local ? "native" : "sql");
      testing::expect_same_metrics(sql, native);
    }
  }
  // Metrics that read the values twice (histograms from a second read, no values kept).
  const ProfilingResult sql = profile(Executor::kSql, 1, {"count", "min", "max", "histogram"});
  testing::expect_same_metrics(sql,
                               profile(Executor::kNative, 3, {"count", "min", "max", "histogram"}));
}

// The row count is SQLite's own (or, with a scope, what the scope must keep).
TEST_P(NativeShapes, RowCountIsSqlites) {
  std::int64_t want = GetParam().scoped_rows;
  if (!GetParam().scope) {
    auto c = connect();
    want =
        db::as_int(
            c->query(fmt::format("SELECT COUNT(*) FROM \"{}\"", GetParam().table)).rows.at(0).at(0))
            .value_or(-1);
  }
  if (want < 0) return;  // a random scope: compared with the SQL path above
  EXPECT_EQ(profile(Executor::kNative, 4).row_count, want);
  EXPECT_EQ(profile(Executor::kSql, 1).row_count, want);
}

std::string dump_replacing(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// A stored quantile (JSON) is the value SQLite gave: numbers by value (1 and 1.0, 0 and -0.0 are
// one value to SQLite), infinities as "inf"/"-inf", text and blobs by their bytes.
void expect_same_value(const nlohmann::json& got, const db::Value& want, const std::string& where) {
  if (const auto* s = std::get_if<std::string>(&want)) {
    EXPECT_EQ(dump_replacing(got), dump_replacing(nlohmann::json(*s))) << where;
    return;
  }
  const long double w = std::holds_alternative<std::int64_t>(want)
                            ? static_cast<long double>(std::get<std::int64_t>(want))
                            : static_cast<long double>(std::get<double>(want));
  if (std::isinf(w)) {
    EXPECT_EQ(got, w > 0 ? "inf" : "-inf") << where;
  } else if (got.is_number_integer()) {
    EXPECT_EQ(static_cast<long double>(got.get<std::int64_t>()), w) << where;
  } else {
    ASSERT_TRUE(got.is_number_float()) << where << ": " << got.dump();
    EXPECT_EQ(static_cast<long double>(got.get<double>()), w) << where;
  }
}

// The stored text of a top value is the value SQLite grouped (numbers by value).
void expect_same_text(const std::string& got, const db::Value& want, const std::string& where) {
  if (const auto* s = std::get_if<std::string>(&want)) {
    EXPECT_EQ(dump_replacing(nlohmann::json(got)), dump_replacing(nlohmann::json(*s))) << where;
  } else {
    EXPECT_EQ(parse_double(got), db::as_double(want)) << where << ": " << got;
  }
}

// Quantiles and top values on every shape equal SQLite's own answer: the column sorted by
// SQLite (the value at each nearest rank), and GROUP BY ... ORDER BY COUNT(*) DESC, value.
TEST_P(NativeShapes, DistributionsAreSqlitesOwn) {
  if (GetParam().scope) return;  // a sampled shape: SQLite cannot answer for the same sample
  auto c = connect();
  for (int threads : {3, 1}) {
    SCOPED_TRACE(fmt::format("{} thread(s)", threads));
    const ProfilingResult r = profile(Executor::kNative, threads, all_metric_names());
    ASSERT_EQ(r.executor, "native");
    for (const auto& col : r.columns) {
      const std::string q = c->dialect().quote_identifier(col.name);
      const std::string from = fmt::format("FROM {} WHERE {} IS NOT NULL",
                                           c->dialect().quote_identifier(GetParam().table), q);
      std::vector<db::Value> sorted;
      for (auto& row : c->query(fmt::format("SELECT {} {} ORDER BY {}", q, from, q)).rows) {
        sorted.push_back(row.at(0));
      }
      const bool ranked =
          col.type_class == TypeClass::kNumeric || col.type_class == TypeClass::kTemporal;
      const MetricValue* quantiles = col.metric("quantiles");
      ASSERT_EQ(quantiles != nullptr, ranked && !sorted.empty()) << col.name;
      if (quantiles) {
        const auto j = nlohmann::json::parse(std::get<std::string>(*quantiles));
        ASSERT_EQ(j["n"].get<std::size_t>(), sorted.size()) << col.name;
        for (const auto& point : j["points"]) {
          const auto percent =
              static_cast<std::int64_t>(std::llround(point["p"].get<double>() * 100));
          const auto n = static_cast<std::int64_t>(sorted.size());
          const std::int64_t rank = std::max<std::int64_t>(1, (percent * n + 99) / 100);
          expect_same_value(point["value"], sorted.at(static_cast<std::size_t>(rank - 1)),
                            fmt::format("{} p{}", col.name, percent));
        }
      }
      const auto distinct = db::as_int(
          c->query(fmt::format("SELECT COUNT(DISTINCT {}) {}", q, from)).rows.at(0).at(0));
      const MetricValue* top = col.metric("top_values");
      const bool listed = col.type_class == TypeClass::kString ||
                          col.type_class == TypeClass::kBoolean ||
                          distinct.value_or(0) <= config.profiling.max_distinct_values;
      ASSERT_EQ(top != nullptr, listed && !sorted.empty()) << col.name;
      if (!top) continue;
      const auto j = nlohmann::json::parse(std::get<std::string>(*top));
      const db::Result groups = c->query(fmt::format(
          "SELECT {0}, COUNT(*) {1} GROUP BY {0} ORDER BY COUNT(*) DESC, {0} LIMIT 10", q, from));
      ASSERT_EQ(j["values"].size(), groups.rows.size()) << col.name;
      std::int64_t counted = 0;
      for (std::size_t k = 0; k < groups.rows.size(); ++k) {
        const std::string where = fmt::format("{} top {}", col.name, k);
        expect_same_text(j["values"][k]["value"].get<std::string>(), groups.rows[k][0], where);
        EXPECT_EQ(j["values"][k]["count"], db::as_int(groups.rows[k][1]).value_or(-1)) << where;
        counted += j["values"][k]["count"].get<std::int64_t>();
      }
      EXPECT_EQ(j["other_count"].get<std::int64_t>() + counted,
                static_cast<std::int64_t>(sorted.size()))
          << col.name;
      EXPECT_EQ(j["null_count"].get<std::int64_t>(),
                r.row_count - static_cast<std::int64_t>(sorted.size()))
          << col.name;
      EXPECT_EQ(j["distinct_count"].get<std::int64_t>(), distinct.value_or(-1)) << col.name;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, NativeShapes, ::testing::ValuesIn(shapes()),
                         [](const auto& p) { return p.param.name; });

// A HyperLogLog estimate may exceed the values it estimates; distinct_count never exceeds the
// non-null values, on either path (issue 11, item 10).
TEST(NativeApproximate, DistinctNeverExceedsTheNonNullValues) {
  TempDir dir;
  const auto file = dir / "hll.db";
  const std::vector<std::int64_t> sizes = {1000, 3000, 7000, 20000, 50000};
  {
    auto c = testing::open_sqlite(file);
    for (auto n : sizes) {
      c->execute(fmt::format("CREATE TABLE t{0} (v INT, w TEXT)", n));
      c->execute(
          fmt::format("INSERT INTO t{} SELECT value, 'w' || value FROM {}", n, series(1, n)));
    }
  }
  for (auto n : sizes) {
    Config config = testing::pipeline_config(testing::sqlite_config(file), dir / "st.db",
                                             {fmt::format("t{}", n)});
    config.profiling.distinct = DistinctMode::kApproximate;
    for (Executor executor : {Executor::kSql, Executor::kNative}) {
      const ProfilingResult r = profile_first_table(config, executor, 2);
      for (const auto& col : r.columns) {
        SCOPED_TRACE(fmt::format("{} rows, {}, {}", n, col.name, r.executor));
        const auto d = std::get<std::int64_t>(*col.metric("distinct_count"));
        EXPECT_LE(d, n);
        EXPECT_GE(d, n * 97 / 100) << "about 1% error";
        EXPECT_LE(std::get<double>(*col.metric("distinct_percent")), 100.0);
      }
    }
  }
}

// ---- how the rows are split ---------------------------------------------------------------------

struct Split {
  SqliteRowSource::Split how;
  std::vector<std::int64_t> rows_per_part;
  std::int64_t expected_rows;
};

Split split_of(const std::filesystem::path& file, const std::string& table, int threads) {
  Config config =
      testing::pipeline_config(testing::sqlite_config(file), file.parent_path() / "s", {table});
  auto c = db::connect(config.source, {.read_only = true});
  ConnectionFactory factory = [&] { return db::connect(config.source, {.read_only = true}); };
  const profiling::TableTarget target = profiling::make_target(config, 0);
  const auto specs =
      profiling::column_specs(c->dialect(), c->columns(target.ref), config.profiling);
  const profiling::Scope scope;
  auto src = SqliteRowSource::open(*c, &factory, threads, target, specs, scope);
  Split out{src->split(), {}, src->expected_rows()};
  for (std::size_t p = 0; p < src->parts(); ++p) {
    auto cur = src->open(static_cast<int>(p % static_cast<std::size_t>(src->threads())), p, {});
    std::int64_t n = 0;
    while (cur->next()) ++n;
    out.rows_per_part.push_back(n);
  }
  return out;
}

TEST(NativeSplit, RangesHoldTheRowsPresentNotTheSpan) {
  TempDir dir;
  struct Case {
    std::string name;
    std::vector<std::int64_t> keys;
    SqliteRowSource::Split how;
  };
  std::mt19937_64 rng(3);
  std::set<std::int64_t> random;
  while (random.size() < 40000) random.insert(static_cast<std::int64_t>(rng()));
  std::vector<std::int64_t> clustered = spaced(20000, 1, 1);
  for (auto v : spaced(20000, kMax64 - 20000 + 1, 1)) clustered.push_back(v);
  const std::vector<Case> cases = {
      {"dense", spaced(40000, 1, 1), SqliteRowSource::Split::kEqualWidth},
      {"sparse", spaced(40000, 1, 7919), SqliteRowSource::Split::kByRowCount},
      {"random", {random.begin(), random.end()}, SqliteRowSource::Split::kByRowCount},
      {"clustered", clustered, SqliteRowSource::Split::kByRowCount},
  };
  for (const auto& k : cases) {
    SCOPED_TRACE(k.name);
    const auto file = dir / (k.name + ".db");
    {
      auto c = testing::open_sqlite(file);
      c->execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v INT)");
      db::Transaction tx(*c);
      auto ins = c->prepare("INSERT INTO t VALUES (?, 1)");
      for (auto key : k.keys) ins->execute(std::vector<db::Value>{key});
      ins.reset();
      tx.commit();
    }
    const Split s = split_of(file, "t", 2);
    EXPECT_EQ(s.how, k.how);
    EXPECT_EQ(s.expected_rows, 40000);
    ASSERT_EQ(s.rows_per_part.size(), 8u) << "4 ranges per thread, none under 4096 rows";
    std::int64_t total = 0;
    for (auto n : s.rows_per_part) {
      total += n;
      EXPECT_GE(n, 4000) << "every range holds its share of the rows";
      EXPECT_LE(n, 6000);
    }
    EXPECT_EQ(total, 40000);
  }
}

TEST(NativeSplit, ObjectsWithoutUsableRowidsAreOneStream) {
  TempDir dir;
  const auto file = dir / "s.db";
  {
    auto c = testing::open_sqlite(file);
    c->execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v INT)");
    c->execute("INSERT INTO t SELECT value, value FROM " + series(1, 10000));
    c->execute("CREATE VIEW v AS SELECT * FROM t");
    c->execute("CREATE TABLE w (k INT PRIMARY KEY, v INT) WITHOUT ROWID");
    c->execute("CREATE TABLE a (\"rowid\" INT, \"OID\" INT, \"_rowid_\" INT)");
    c->execute("CREATE TABLE b (\"_rowid_\" INT, v INT)");
    c->execute("INSERT INTO b SELECT NULL, value FROM " + series(1, 10000));
  }
  EXPECT_EQ(split_of(file, "v", 2).how, SqliteRowSource::Split::kStream);
  EXPECT_EQ(split_of(file, "w", 2).how, SqliteRowSource::Split::kStream);
  EXPECT_EQ(split_of(file, "a", 2).how, SqliteRowSource::Split::kStream);
  const Split b = split_of(file, "b", 2);
  EXPECT_EQ(b.how, SqliteRowSource::Split::kEqualWidth) << "rowid is still free";
  std::int64_t total = 0;
  for (auto n : b.rows_per_part) total += n;
  EXPECT_EQ(total, 10000);
  EXPECT_EQ(split_of(file, "t", 2).how, SqliteRowSource::Split::kEqualWidth);
}

// ---- memory -------------------------------------------------------------------------------------

// The peak resident memory `work` adds, in KiB, measured in a child process so that every
// measurement starts from the same state: the peak is reset (/proc/self/clear_refs) and read
// back (VmHWM) around the work, less the resident memory at its start.
std::int64_t peak_kib_added(const std::function<void()>& work) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    auto status = [](const char* key) {
      std::ifstream in("/proc/self/status");
      std::string line;
      while (std::getline(in, line)) {
        if (line.rfind(key, 0) == 0) return std::stoll(line.substr(std::string(key).size()));
      }
      return -1LL;
    };
    std::ofstream("/proc/self/clear_refs") << "5";
    const long long before = status("VmRSS:");
    long long added = -1;
    try {
      work();
      added = status("VmHWM:") - before;
    } catch (...) {
    }
    const auto n = write(fds[1], &added, sizeof added);
    _exit(n == sizeof added ? 0 : 1);
  }
  close(fds[1]);
  long long added = -1;
  if (read(fds[0], &added, sizeof added) != sizeof added) added = -1;
  close(fds[0]);
  int st = 0;
  waitpid(pid, &st, 0);
  return added;
}

TEST(NativeMemory, SparseAndRandomKeysTakeNoMoreThanTwiceADenseTable) {
  TempDir dir;
  constexpr std::int64_t kN = 60000;
  std::mt19937_64 rng(5);
  std::set<std::int64_t> random;
  while (static_cast<std::int64_t>(random.size()) < kN) {
    random.insert(static_cast<std::int64_t>(rng()));
  }
  const std::vector<std::pair<std::string, std::vector<std::int64_t>>> tables = {
      {"dense", spaced(kN, 1, 1)},
      {"apart_1000", spaced(kN, 1, 1000)},
      {"apart_7919", spaced(kN, 1, 7919)},
      {"random", {random.begin(), random.end()}}};
  std::map<std::string, std::int64_t> peak;
  for (const auto& [name, keys] : tables) {
    const auto file = dir / (name + ".db");
    {
      auto c = testing::open_sqlite(file);
      c->execute("CREATE TABLE t (k INTEGER PRIMARY KEY, u INT, s TEXT, r REAL)");
      db::Transaction tx(*c);
      auto ins = c->prepare("INSERT INTO t VALUES (?, ?, ?, ?)");
      std::int64_t i = 0;
      for (auto key : keys) {
        ++i;
        ins->execute(std::vector<db::Value>{key, i * 3, fmt::format("value {}", i), i * 0.5});
      }
      ins.reset();
      tx.commit();
    }
    Config config = testing::pipeline_config(testing::sqlite_config(file), dir / "st.db", {"t"});
    peak[name] = peak_kib_added([&] {
      const ProfilingResult r = profile_first_table(config, Executor::kNative, 2);
      if (r.row_count != kN || r.executor != "native") throw std::runtime_error("wrong run");
    });
    ASSERT_GT(peak[name], 0) << name << ": the profile failed";
    std::cout << "[ memory ] " << name << ": peak " << peak[name] << " KiB above the start\n";
  }
  for (const char* name : {"apart_1000", "apart_7919", "random"}) {
    EXPECT_LE(peak[name], 2 * peak["dense"]) << name;
  }
}

// ---- numbers in sorted runs
// ----------------------------------------------------------------------

// Past 65,536 distinct numbers a column's sets keep their numbers in sorted runs (merged across
// threads by merge joins, quantiles read by walking the runs in value order) instead of hash
// tables. 140,000 rows, read by one thread and by two (each beyond the switch): integers with
// negatives, doubles with integral values and negatives (runs of both kinds), values repeated
// across the threads' halves (counts moved between runs), and a NUMERIC column whose integers go
// beyond 2^53 (ranked as whole entries): every metric equals SQLite's own aggregates, and the
// quantiles SQLite's sort (checked through the SQL path, whose quantiles are ORDER BY ... at
// each nearest rank).
TEST(NativeRuns, ManyDistinctNumbersGiveTheSqlPathsMetrics) {
  TempDir dir;
  const auto file = dir / "runs.db";
  constexpr std::int64_t kN = 140000;
  {
    auto c = testing::open_sqlite(file);
    c->execute("CREATE TABLE t (k INTEGER PRIMARY KEY, i INT, r REAL, g INT, m NUMERIC, s TEXT)");
    db::Transaction tx(*c);
    auto ins = c->prepare("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)");
    for (std::int64_t k = 0; k < kN; ++k) {
      std::vector<db::Value> row(6);
      row[0] = k;
      row[1] = (k * 7919) % 280001 - 140000;
      row[2] =
          k % 3 == 0 ? static_cast<double>(k - 70000) : static_cast<double>(k) * 0.37 - 25000.5;
      if (k % 11 != 0) row[3] = (k * 31) % 100003 - 50000;  // ~40,000 values on both halves
      row[4] = k % 5 == 0 ? db::Value(std::int64_t{9007199254740993} + k)
                          : db::Value(static_cast<double>(k) / 8 - 1000);
      row[5] = fmt::format("v{}", k % 90000);
      ins->execute(row);
    }
    ins.reset();
    tx.commit();
  }
  Config config = testing::pipeline_config(testing::sqlite_config(file), dir / "st.db", {"t"});
  config.profiling.distinct = DistinctMode::kExact;
  const ProfilingResult sql = profile_first_table(config, Executor::kSql, 1);
  ASSERT_EQ(sql.executor, "sql");
  for (int threads : {1, 2}) {
    SCOPED_TRACE(fmt::format("{} thread(s)", threads));
    const ProfilingResult native = profile_first_table(config, Executor::kNative, threads);
    ASSERT_EQ(native.executor, "native");
    testing::expect_same_metrics(sql, native);
  }
}

// ---- one snapshot -------------------------------------------------------------------------------

// A writer keeps the table at exactly kKept rows (each commit deletes the oldest row and adds
// one, with a NULL value every other time), so rows move to higher rowids and the number of
// non-null values changes from commit to commit. Every profile, read by four threads, must count
// kKept rows, and its histogram (a second read: approximate mode keeps no values) must hold as
// many values as its first read counted.
void expect_one_snapshot(const std::string& journal_mode) {
  TempDir dir;
  const auto file = dir / "busy.db";
  constexpr std::int64_t kKept = 20000;
  {
    auto c = testing::open_sqlite(file);
    c->query("PRAGMA journal_mode = " + journal_mode);
    c->execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v INT)");
    c->execute(
        fmt::format("INSERT INTO t SELECT value, CASE WHEN value % 2 THEN value % 1000 END FROM {}",
                    series(1, kKept)));
  }
  std::atomic<bool> stop{false};
  std::atomic<int> commits{0};
  std::jthread writer([&] {
    auto c = testing::open_sqlite(file);
    c->query("PRAGMA busy_timeout = 60000");
    c->execute("PRAGMA synchronous = OFF");  // short transactions: no fsync
    for (std::int64_t n = 0; !stop; ++n) {
      c->execute("BEGIN IMMEDIATE");
      c->execute("DELETE FROM t WHERE k = (SELECT MIN(k) FROM t)");
      c->execute(n % 2 ? "INSERT INTO t (v) VALUES (NULL)" : "INSERT INTO t (v) VALUES (7)");
      c->execute("COMMIT");
      ++commits;
      // A pause, as writers take between transactions: in rollback mode a writer committing
      // back to back would starve every new reader (its pending lock keeps them out).
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
  Config config = testing::pipeline_config(testing::sqlite_config(file), dir / "st.db", {"t"});
  config.profiling.distinct = DistinctMode::kApproximate;
  config.profiling.metrics = {"count", "null_count", "histogram"};
  for (int run = 0; run < 30; ++run) {
    const ProfilingResult r = profile_first_table(config, Executor::kNative, 4);
    ASSERT_EQ(r.executor, "native");
    EXPECT_EQ(r.row_count, kKept) << "run " << run;
    for (const auto& col : r.columns) {
      if (col.name != "v") continue;
      const auto nulls = std::get<std::int64_t>(*col.metric("null_count"));
      const auto* h = col.metric("histogram");
      ASSERT_NE(h, nullptr);
      std::int64_t binned = 0;
      for (const auto& bin : nlohmann::json::parse(std::get<std::string>(*h))) {
        binned += bin["count"].get<std::int64_t>();
      }
      EXPECT_EQ(binned, kKept - nulls) << "run " << run << ": both reads saw the same rows";
    }
  }
  stop = true;
  writer.join();
  EXPECT_GT(commits.load(), 30) << "the writer ran alongside";
}

TEST(NativeSnapshot, EveryThreadAndBothReadsSeeOneSnapshotInWalMode) { expect_one_snapshot("wal"); }

TEST(NativeSnapshot, EveryThreadAndBothReadsSeeOneSnapshotInRollbackMode) {
  expect_one_snapshot("delete");
}

// ---- 1,000 columns
// --------------------------------------------------------------------------------

// Too wide for one SQL statement on SQLite (2,000 result columns at most), so the expected
// values come from SQLite's aggregates over 50 columns at a time.
TEST(NativeWide, AThousandColumnsGiveSqlitesAggregates) {
  TempDir dir;
  const auto file = dir / "wide.db";
  constexpr int kWidth = 1000;
  {
    auto c = testing::open_sqlite(file);
    std::vector<std::string> cols;
    for (int i = 0; i < kWidth; ++i) {
      cols.push_back(fmt::format("c{} {}", i, i % 3 == 0 ? "INT" : i % 3 == 1 ? "REAL" : "TEXT"));
    }
    c->execute(fmt::format("CREATE TABLE wide ({})", join(cols, ", ")));
    std::vector<std::string> values;
    for (int i = 0; i < kWidth; ++i) {
      values.push_back(i % 3 == 0   ? fmt::format("(value * {}) % 97", i + 1)
                       : i % 3 == 1 ? fmt::format("CASE WHEN value % 5 THEN value / {}.0 END", i)
                                    : fmt::format("'t' || ((value * {}) % 41)", i));
    }
    c->execute(
        fmt::format("INSERT INTO wide SELECT {} FROM {}", join(values, ", "), series(1, 300)));
  }
  Config config = testing::pipeline_config(testing::sqlite_config(file), dir / "st.db", {"wide"});
  auto c = db::connect(config.source, {.read_only = true});
  const ProfilingResult r = profile_first_table(config, Executor::kNative, 2);
  ASSERT_EQ(r.executor, "native");
  ASSERT_EQ(r.columns.size(), static_cast<std::size_t>(kWidth));
  EXPECT_EQ(r.row_count, 300);
  for (int from = 0; from < kWidth; from += 50) {
    std::vector<std::string> items;
    for (int i = from; i < from + 50; ++i) {
      const std::string q = fmt::format("\"c{}\"", i);
      items.push_back(fmt::format("COUNT({0}), COUNT(DISTINCT {0})", q));
      items.push_back(i % 3 == 2 ? fmt::format("MIN(LENGTH({0})), MAX(LENGTH({0}))", q)
                                 : fmt::format("MIN({0}), MAX({0})", q));
      items.push_back(i % 3 == 2 ? fmt::format("AVG(LENGTH({0}))", q)
                                 : fmt::format("baselinr_mean({0})", q));
    }
    const db::Result want = c->query(fmt::format("SELECT {} FROM wide", join(items, ", ")));
    const auto& row = want.rows.at(0);
    for (int i = from; i < from + 50; ++i) {
      const ColumnProfile& col = r.columns[static_cast<std::size_t>(i)];
      SCOPED_TRACE(col.name);
      const std::size_t at = static_cast<std::size_t>(i - from) * 5;
      EXPECT_EQ(std::get<std::int64_t>(*col.metric("null_count")),
                300 - db::as_int(row[at]).value_or(-1));
      EXPECT_EQ(std::get<std::int64_t>(*col.metric("distinct_count")),
                db::as_int(row[at + 1]).value_or(-1));
      const char* lo = i % 3 == 2 ? "min_length" : "min";
      const char* hi = i % 3 == 2 ? "max_length" : "max";
      if (i % 3 == 1) {
        EXPECT_EQ(std::get<double>(*col.metric(lo)), db::as_double(row[at + 2]));
        EXPECT_EQ(std::get<double>(*col.metric(hi)), db::as_double(row[at + 3]));
      } else {
        EXPECT_EQ(std::get<std::int64_t>(*col.metric(lo)), db::as_int(row[at + 2]));
        EXPECT_EQ(std::get<std::int64_t>(*col.metric(hi)), db::as_int(row[at + 3]));
      }
      const double mean = std::get<double>(*col.metric(i % 3 == 2 ? "avg_length" : "mean"));
      EXPECT_NEAR(mean, db::as_double(row[at + 4]).value_or(-1), 1e-9 * std::fabs(mean));
    }
  }
}

// Distinct values are counted by their bytes whatever the column's collation (SPEC 5): 'a' and
// 'A' in a NOCASE column are two values, as COUNT(DISTINCT x COLLATE BINARY) says.
TEST(NativeCollation, DistinctValuesOfANocaseColumnAreCountedByBytes) {
  TempDir dir;
  const auto file = dir / "nocase.db";
  {
    auto c = testing::open_sqlite(file);
    c->execute("CREATE TABLE t (s TEXT COLLATE NOCASE, n INT COLLATE NOCASE)");
    c->execute(
        "INSERT INTO t SELECT CASE value % 3 WHEN 0 THEN 'abc' WHEN 1 THEN 'ABC' ELSE 'Abc ' END "
        "|| (value % 50), value % 10 FROM " +
        series(1, 3000));
  }
  Config config = testing::pipeline_config(testing::sqlite_config(file), dir / "st.db", {"t"});
  auto c = db::connect(config.source, {.read_only = true});
  const auto want =
      db::as_int(c->query("SELECT COUNT(DISTINCT s COLLATE BINARY) FROM t").rows.at(0).at(0));
  const ProfilingResult r = profile_first_table(config, Executor::kNative, 2);
  ASSERT_EQ(r.executor, "native");
  EXPECT_EQ(std::get<std::int64_t>(*r.columns.at(0).metric("distinct_count")), want.value_or(-1));
  EXPECT_EQ(want.value_or(-1), 150);
}

}  // namespace
}  // namespace baselinr
