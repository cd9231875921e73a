// The SQL the PostgreSQL and MySQL / MariaDB dialects generate, pinned as text (golden tests),
// and how they classify native types: unit tests without a server, like Snowflake's
// (snowflake_dialect_test.cpp). What the SQL computes on the real servers is tested by the
// conformance suite (tests/conformance/) on every engine.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "baselinr/error.hpp"
#include "common/moments.hpp"
#include "db/dialect/dialect.hpp"
#include "db/dialect/mysql_dialect.hpp"
#include "db/dialect/postgres_dialect.hpp"
#include "profiling/distribution.hpp"
#include "profiling/query_builder.hpp"

namespace baselinr {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

db::ColumnExpr numeric_col(const std::string& sql) { return {sql, "bigint", TypeClass::kNumeric}; }

TEST(PostgresDialect, GeneratedSqlIsPinned) {
  const db::Dialect& pg = db::postgres_dialect();
  EXPECT_EQ(pg.name(), "postgres");
  EXPECT_EQ(pg.placeholder(1), "$1");
  EXPECT_EQ(pg.placeholder(12), "$12");
  EXPECT_EQ(pg.quote_identifier("a\"b"), "\"a\"\"b\"");
  EXPECT_EQ(pg.table_sql({"s", "t"}), "\"s\".\"t\"");
  const db::ColumnExpr x{"\"x\"", "bigint", TypeClass::kNumeric};
  EXPECT_EQ(pg.mean(x), "AVG(\"x\")");
  EXPECT_EQ(pg.stddev_samp(x), "VAR_SAMP(\"x\")");
  EXPECT_TRUE(pg.stddev_is_variance(x));
  const db::ColumnExpr f{"\"f\"", "double precision", TypeClass::kNumeric};
  EXPECT_EQ(pg.stddev_samp(f), "STDDEV_SAMP(\"f\")");
  EXPECT_FALSE(pg.stddev_is_variance(f));
  EXPECT_EQ(pg.count_distinct(x), "COUNT(DISTINCT \"x\")");
  EXPECT_EQ(pg.count_distinct({"\"j\"", "json", TypeClass::kOther}),
            "COUNT(DISTINCT CAST(\"j\" AS TEXT))");
  EXPECT_EQ(pg.count_distinct({"\"s\"", "text", TypeClass::kString}),
            "COUNT(DISTINCT \"s\" COLLATE \"C\")");
  EXPECT_EQ(pg.count_distinct({"\"j\"", "jsonb", TypeClass::kOther, true}),
            "COUNT(DISTINCT \"j\")");
  EXPECT_EQ(pg.column_min({"\"n\"", "numeric(30,10)", TypeClass::kNumeric}),
            "CAST(MIN(\"n\") AS TEXT)");
  EXPECT_EQ(pg.column_max({"\"d\"", "date", TypeClass::kTemporal}), "CAST(MAX(\"d\") AS TEXT)");
  EXPECT_EQ(pg.column_max(f), "MAX(\"f\")");
  EXPECT_EQ(pg.value_text("\"k\""), "CAST(\"k\" AS TEXT)");
  EXPECT_EQ(pg.typed_parameter("$1", "numeric(18,0)"), "CAST($1 AS numeric(18,0))");
  EXPECT_EQ(
      pg.snapshot_begin(),
      std::vector<std::string>{"START TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"});
  EXPECT_EQ(pg.select_item_limit(), 1664u);
  EXPECT_FALSE(pg.split_moments(x).has_value()) << "bigint sums exactly";
  const std::optional<db::SplitMoments> split = pg.split_moments(f);
  ASSERT_TRUE(split.has_value());
  const std::string small =
      " FILTER (WHERE abs(\"f\") < CAST(2.5822498780869086e+120 AS DOUBLE PRECISION))";
  const std::string big =
      " FILTER (WHERE NOT abs(\"f\") < CAST(2.5822498780869086e+120 AS DOUBLE PRECISION))";
  const std::string scaled = "\"f\" * CAST(2.409919865102884e-181 AS DOUBLE PRECISION)";
  EXPECT_EQ(split->count, "COUNT(\"f\")");
  EXPECT_EQ(split->small_mean, "AVG(\"f\")" + small);
  EXPECT_EQ(split->small_var, "VAR_SAMP(\"f\")" + small);
  EXPECT_EQ(split->big_count, "COUNT(\"f\")" + big);
  EXPECT_EQ(split->big_mean, "AVG(" + scaled + ")" + big);
  EXPECT_EQ(split->big_var, "VAR_SAMP(" + scaled + ")" + big);
  EXPECT_EQ(pg.count_distinct({"\"k\"", "bigint", TypeClass::kNumeric, false, true}),
            "COUNT(\"k\")");
  EXPECT_EQ(pg.count_distinct({"\"b\"", "boolean", TypeClass::kBoolean}),
            "(CASE WHEN BOOL_AND(\"b\") IS NULL THEN 0 WHEN BOOL_AND(\"b\") = BOOL_OR(\"b\") "
            "THEN 1 ELSE 2 END)");
  EXPECT_EQ(pg.char_length("\"x\""), "CHAR_LENGTH(\"x\")");
  EXPECT_EQ(pg.current_schema_sql(), "current_schema()");
  EXPECT_THROW(pg.approx_count_distinct(x), NotSupportedError);

  db::ParamList params(pg);
  db::BoundSql columns = params.bind(pg.columns_query({"s", "t"}, params));
  EXPECT_EQ(columns.sql,
            "SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), CASE WHEN EXISTS "
            "(SELECT 1 FROM pg_catalog.pg_opclass oc JOIN pg_catalog.pg_am am ON am.oid = "
            "oc.opcmethod JOIN pg_catalog.pg_type it ON it.oid = oc.opcintype WHERE am.amname = "
            "'btree' AND oc.opcdefault AND (oc.opcintype = bt.oid OR (bt.typtype = 'e' AND "
            "it.typname = 'anyenum') OR (bt.typtype = 'r' AND it.typname = 'anyrange') OR "
            "(bt.typtype = 'm' AND it.typname = 'anymultirange') OR (bt.typcategory = 'A' AND "
            "it.typname = 'anyarray' AND EXISTS (SELECT 1 FROM pg_catalog.pg_opclass eo JOIN "
            "pg_catalog.pg_am ea ON ea.oid = eo.opcmethod WHERE ea.amname = 'btree' AND "
            "eo.opcdefault AND eo.opcintype = bt.typelem)))) THEN 1 ELSE 0 END, CASE WHEN "
            "c.relkind IN ('r', 'm') AND NOT c.relhassubclass AND EXISTS (SELECT 1 FROM "
            "pg_catalog.pg_index i JOIN pg_catalog.pg_opclass oc ON oc.oid = i.indclass[0] WHERE "
            "i.indrelid = c.oid AND i.indisunique AND i.indisvalid AND i.indpred IS NULL AND "
            "i.indnkeyatts = 1 AND i.indkey[0] = a.attnum AND oc.opcdefault AND "
            "i.indcollation[0] = a.attcollation) THEN 1 ELSE 0 END, CASE WHEN base.oid <> "
            "a.atttypid THEN pg_catalog.format_type(base.oid, base.typmod) ELSE '' END FROM "
            "pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid JOIN "
            "pg_catalog.pg_namespace n ON n.oid = c.relnamespace CROSS JOIN LATERAL (WITH "
            "RECURSIVE chain(oid, typmod, depth) AS (SELECT a.atttypid, a.atttypmod, 0 UNION ALL "
            "SELECT t.typbasetype, t.typtypmod, chain.depth + 1 FROM chain JOIN "
            "pg_catalog.pg_type t ON t.oid = chain.oid WHERE t.typtype = 'd') SELECT chain.oid, "
            "chain.typmod FROM chain ORDER BY chain.depth DESC LIMIT 1) AS base JOIN "
            "pg_catalog.pg_type bt ON bt.oid = base.oid WHERE c.relname = $1 AND n.nspname = $2 "
            "AND c.relkind IN ('r', 'v', 'm', 'f', 'p') AND a.attnum > 0 AND NOT a.attisdropped "
            "ORDER BY a.attnum");
  EXPECT_EQ(columns.params, (std::vector<db::Value>{std::string("t"), std::string("s")}));

  db::ParamList hp(pg);
  db::HistogramExprs h = pg.histogram("\"x\"", 0.0, 10.0, 2, hp);
  ASSERT_TRUE(h.packed);
  ASSERT_EQ(h.exprs.size(), 1u);
  db::BoundSql hist = hp.bind(h.exprs[0]);
  EXPECT_EQ(hist.sql,
            "ARRAY_TO_STRING(ARRAY[COUNT(CAST(\"x\" AS DOUBLE PRECISION)) - COUNT(*) FILTER "
            "(WHERE CAST(\"x\" AS DOUBLE PRECISION) >= CAST($1 AS DOUBLE PRECISION)), COUNT(*) "
            "FILTER (WHERE CAST(\"x\" AS DOUBLE PRECISION) >= CAST($1 AS DOUBLE PRECISION))], "
            "',')");
  EXPECT_EQ(hist.params, (std::vector<db::Value>{5.0}))
      << "one parameter per threshold, however often it is used";

  const std::vector<std::pair<std::string, TypeClass>> types = {
      {"bigint", TypeClass::kNumeric},
      {"int2", TypeClass::kNumeric},
      {"int4", TypeClass::kNumeric},
      {"int8", TypeClass::kNumeric},
      {"serial8", TypeClass::kNumeric},
      {"float4", TypeClass::kNumeric},
      {"float8", TypeClass::kNumeric},
      {"double precision", TypeClass::kNumeric},
      {"numeric(10,2)", TypeClass::kNumeric},
      {"NUMERIC", TypeClass::kNumeric},
      {"character varying(255)", TypeClass::kString},
      {"character(3)", TypeClass::kString},
      {"bpchar", TypeClass::kString},
      {"text", TypeClass::kString},
      {"timestamp with time zone", TypeClass::kTemporal},
      {"timestamp(6) without time zone", TypeClass::kTemporal},
      {"timestamptz", TypeClass::kTemporal},
      {"date", TypeClass::kTemporal},
      {"time with time zone", TypeClass::kTemporal},
      {"bool", TypeClass::kBoolean},
      {"boolean", TypeClass::kBoolean},
      {"uuid", TypeClass::kOther},
      {"json", TypeClass::kOther},
      {"jsonb", TypeClass::kOther},
      {"bytea", TypeClass::kOther},
      {"money", TypeClass::kOther},
      {"interval", TypeClass::kOther},
      {"integer[]", TypeClass::kOther},
      {"character varying(20)[]", TypeClass::kOther},
      {"myschema.mood", TypeClass::kOther},
  };
  for (const auto& [type, cls] : types) EXPECT_EQ(pg.classify_type(type), cls) << type;

  // Storage DDL: identity keys and CREATE INDEX IF NOT EXISTS, both native to PostgreSQL.
  auto ddl = pg.storage_ddl(
      {"s.baselinr_runs", "s.baselinr_results", "s.baselinr_events", "s.baselinr_schema_version"});
  std::string all;
  for (const auto& stmt : ddl) all += stmt + ";\n";
  EXPECT_NE(all.find("\"id\" BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("CREATE INDEX IF NOT EXISTS \"idx_baselinr_runs_dataset_profiled\" ON "
                     "\"s\".\"baselinr_runs\""),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("\"baseline_value\" DOUBLE PRECISION"), std::string::npos) << all;
  EXPECT_NE(
      pg.insert_event_sql("s.e").find("VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"),
      std::string::npos);
}

// The double-precision rank PostgreSQL's percentile_disc takes, ceil(fraction * n), is the
// exact nearest rank for the table sizes anyone profiles: every n up to 10^6, around 2^31, 2^32
// and 2^53 / 100, and samples below 2^46. Beyond about 2^47 values some n disagree: there the
// scalar statement's quantiles are dropped and the distribution statement computes them (below).
TEST(NearestRank, DoublePrecisionRankIsTheExactRank) {
  auto agree = [](std::int64_t n) {
    for (int p : profiling::kQuantilePercents) {
      if (profiling::float_nearest_rank(p, n) != profiling::nearest_rank(p, n)) return false;
    }
    return true;
  };
  for (std::int64_t n = 1; n <= 1'000'000; ++n) ASSERT_TRUE(agree(n)) << n;
  for (std::int64_t centre : {std::int64_t{1} << 31, std::int64_t{1} << 32,
                              (std::int64_t{1} << 53) / 100, std::int64_t{100'000'000'000}}) {
    for (std::int64_t n = centre - 50'000; n <= centre + 50'000; ++n) ASSERT_TRUE(agree(n)) << n;
  }
  std::mt19937_64 rng(13);
  for (int i = 0; i < 200'000; ++i) {
    const auto n = static_cast<std::int64_t>(rng() >> (18 + i % 40)) + 1;  // below 2^46
    ASSERT_TRUE(agree(n)) << n;
  }
  EXPECT_EQ(profiling::float_nearest_rank(50, 0), 0);
  EXPECT_EQ(profiling::float_nearest_rank(0, 7), 1);
  EXPECT_EQ(profiling::float_nearest_rank(100, 7), 7);
  EXPECT_EQ(profiling::float_nearest_rank(1, 101), 2);
}

// PostgreSQL: the quantiles are percentile_disc aggregates of the scalar statement, ordered and
// valued as the distribution statement grouped them (exact decimals and dates printed as text).
TEST(PostgresDialect, QuantilesAreOrderedSetAggregatesOfTheScalarStatement) {
  const db::Dialect& pg = db::postgres_dialect();
  EXPECT_EQ(pg.quantile({"\"x\"", "bigint", TypeClass::kNumeric}, 1),
            "percentile_disc(0.01) WITHIN GROUP (ORDER BY \"x\")");
  EXPECT_EQ(pg.quantile({"\"x\"", "double precision", TypeClass::kNumeric}, 100),
            "percentile_disc(1.00) WITHIN GROUP (ORDER BY \"x\")");
  EXPECT_EQ(pg.quantile({"\"n\"", "numeric(30,10)", TypeClass::kNumeric}, 0),
            "CAST(percentile_disc(0.00) WITHIN GROUP (ORDER BY \"n\") AS TEXT)");
  EXPECT_EQ(pg.quantile({"\"d\"", "date", TypeClass::kTemporal}, 95),
            "CAST(percentile_disc(0.95) WITHIN GROUP (ORDER BY \"d\") AS TEXT)");
  EXPECT_FALSE(db::mysql_dialect().quantile({"`x`", "bigint", TypeClass::kNumeric}, 50));

  std::vector<profiling::ColumnSpec> cols = {
      {"x", "bigint", TypeClass::kNumeric, {"null_count", "quantiles", "top_values"}},
      {"s", "text", TypeClass::kString, {"null_count", "top_values"}}};
  profiling::QueryBuilder b(pg, pg.table_sql({"public", "t"}), cols, DistinctMode::kExact, 4);
  b.set_distribution(10, 1000);
  EXPECT_TRUE(b.scalar_quantiles(0));
  const std::string sql = b.scalar_query().sql;
  for (int p : profiling::kQuantilePercents) {
    const std::string agg =
        fmt::format("percentile_disc({}.{:02}) WITHIN GROUP (ORDER BY \"x\")", p / 100, p % 100);
    EXPECT_NE(sql.find(agg), std::string::npos) << agg << "\n" << sql;
  }
  // The plan: x's statement gives only its top values now (no ranks), s's its top values.
  const auto planned = b.planned_distribution_queries();
  ASSERT_EQ(planned.size(), 2u);
  EXPECT_FALSE(planned[0].quantiles);
  EXPECT_EQ(planned[0].form, profiling::DistributionQuery::Form::kTop);

  // Decoding: COUNT(*), then per column its non-null count (and its quantiles).
  auto row = [](std::int64_t n) {
    std::vector<db::Value> r = {std::int64_t{n + 1}, std::int64_t{n}};
    for (std::int64_t v = 0; v < 11; ++v) r.emplace_back(v * 10);
    r.emplace_back(std::int64_t{n});
    return r;
  };
  db::Result result;
  result.rows = {row(20)};
  std::vector<profiling::ColumnAggregates> agg;
  EXPECT_EQ(b.decode_scalar(result, agg), 21);
  ASSERT_TRUE(agg[0].quantiles.has_value());
  EXPECT_EQ(agg[0].quantiles->n, 20);
  EXPECT_EQ(agg[0].quantiles->values[10], MetricValue(std::int64_t{100}));
  EXPECT_FALSE(agg[1].quantiles.has_value());
  // Only top values are left to the distribution statements; x has fewer than k distinct values
  // unknown, so it is grouped.
  auto queries = b.distribution_queries(agg);
  ASSERT_EQ(queries.size(), 2u);
  EXPECT_FALSE(queries[0].quantiles);

  // A count where the double-precision rank is not the exact one: the scalar statement's
  // quantiles are dropped and the distribution statement computes them from its running counts.
  auto agree = [](std::int64_t n) {
    for (int p : profiling::kQuantilePercents) {
      if (profiling::float_nearest_rank(p, n) != profiling::nearest_rank(p, n)) return false;
    }
    return true;
  };
  std::int64_t far = std::int64_t{1} << 50;  // 1125899906842638 is the first from here
  while (agree(far)) ++far;
  result.rows = {row(far)};
  b.decode_scalar(result, agg);
  EXPECT_FALSE(agg[0].quantiles.has_value()) << far;
  queries = b.distribution_queries(agg);
  ASSERT_EQ(queries.size(), 2u);
  EXPECT_TRUE(queries[0].quantiles);
  EXPECT_EQ(queries[0].form, profiling::DistributionQuery::Form::kRanked);
  // No value: no quantiles at all.
  result.rows = {row(0)};
  b.decode_scalar(result, agg);
  EXPECT_FALSE(agg[0].quantiles.has_value());
  EXPECT_TRUE(b.distribution_queries(agg).empty());
}

TEST(PostgresDialect, ThresholdsAreWhereTheSharedFormulaChangesBin) {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(-1e6, 1e6);
  for (int trial = 0; trial < 300; ++trial) {
    double min = trial % 3 == 0 ? std::floor(u(rng)) : u(rng);
    double range = std::fabs(u(rng)) * std::pow(10.0, static_cast<int>(rng() % 20) - 10) + 1e-300;
    if (trial == 1) {
      min = 0;
      range = 1e10;  // tiny differences underflow when divided by the range
    }
    int bins = 1 + static_cast<int>(rng() % 40);
    std::vector<double> th = db::histogram_thresholds(min, range, bins);
    ASSERT_EQ(th.size(), static_cast<std::size_t>(bins - 1));
    for (int i = 1; i < bins; ++i) {
      double ti = th[static_cast<std::size_t>(i - 1)];
      EXPECT_GE(histogram_bin(ti, min, range, bins), i);
      EXPECT_LT(histogram_bin(std::nextafter(ti, -kInf), min, range, bins), i);
    }
  }
}

TEST(MysqlDialect, QuotesIdentifiersWithBackticks) {
  const db::Dialect& d = db::mysql_dialect();
  EXPECT_EQ(d.quote_identifier("plain"), "`plain`");
  EXPECT_EQ(d.quote_identifier("a`b"), "`a``b`");
  EXPECT_EQ(d.quote_identifier("a\"b'c\\d"), "`a\"b'c\\d`");
  EXPECT_EQ(d.table_sql({"s`x", "t"}), "`s``x`.`t`");
  EXPECT_EQ(d.placeholder(3), "?");
}

TEST(MysqlDialect, ClassifiesMysqlTypes) {
  const db::Dialect& d = db::mysql_dialect();
  struct Case {
    const char* type;
    TypeClass expected;
  };
  const Case cases[] = {
      {"tinyint(1)", TypeClass::kBoolean},
      {"TINYINT(1) UNSIGNED", TypeClass::kBoolean},
      {"bool", TypeClass::kBoolean},
      {"boolean", TypeClass::kBoolean},
      {"tinyint(4)", TypeClass::kNumeric},
      {"tinyint(10)", TypeClass::kNumeric},
      {"int(11)", TypeClass::kNumeric},
      {"bigint(20) unsigned", TypeClass::kNumeric},
      {"mediumint(8) unsigned zerofill", TypeClass::kNumeric},
      {"decimal(10,2)", TypeClass::kNumeric},
      {"double", TypeClass::kNumeric},
      {"float", TypeClass::kNumeric},
      {"varchar(20)", TypeClass::kString},
      {"char(3)", TypeClass::kString},
      {"longtext", TypeClass::kString},
      {"date", TypeClass::kTemporal},
      {"datetime(6)", TypeClass::kTemporal},
      {"timestamp", TypeClass::kTemporal},
      {"time(3)", TypeClass::kTemporal},
      {"year(4)", TypeClass::kTemporal},
      {"year", TypeClass::kTemporal},
      {"enum('a)','b')", TypeClass::kOther},
      {"set('x','y')", TypeClass::kOther},
      {"json", TypeClass::kOther},
      {"blob", TypeClass::kOther},
      {"mediumblob", TypeClass::kOther},
      {"varbinary(16)", TypeClass::kOther},
      {"binary(16)", TypeClass::kOther},
      {"bit(1)", TypeClass::kOther},
      {"geometry", TypeClass::kOther},
  };
  for (const auto& c : cases) EXPECT_EQ(d.classify_type(c.type), c.expected) << c.type;
}

TEST(MysqlDialect, StorageDdlUsesMysqlTypes) {
  const db::Dialect& d = db::mysql_dialect();
  db::StorageTables tables{"baselinr_runs", "baselinr_results", "baselinr_events",
                           "baselinr_schema_version"};
  std::string all;
  for (const auto& s : d.storage_ddl(tables)) all += s + "\n";
  EXPECT_NE(all.find("`profiled_at` DATETIME(6) NOT NULL"), std::string::npos) << all;
  EXPECT_NE(all.find("`id` BIGINT AUTO_INCREMENT PRIMARY KEY"), std::string::npos) << all;
  EXPECT_NE(all.find("`metric_value` MEDIUMTEXT"), std::string::npos) << all;
  EXPECT_NE(all.find("`baseline_value` DOUBLE,"), std::string::npos) << all;
  EXPECT_NE(all.find("`created_at` DATETIME(6) DEFAULT CURRENT_TIMESTAMP(6))"), std::string::npos)
      << all;
  EXPECT_NE(all.find("CREATE INDEX IF NOT EXISTS `idx_baselinr_runs_dataset_profiled` ON "
                     "`baselinr_runs`"),
            std::string::npos)
      << all;
  EXPECT_EQ(d.current_schema_sql(), "DATABASE()");
  EXPECT_THROW(d.approx_count_distinct(numeric_col("`x`")), NotSupportedError);
  EXPECT_EQ(d.to_double("`x`"), "CAST(`x` AS DOUBLE)");
  EXPECT_EQ(d.char_length("`x`"), "CHAR_LENGTH(`x`)");
}

}  // namespace
}  // namespace baselinr
