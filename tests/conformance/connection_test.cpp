// The connection contract (db/connection.hpp) on every target: values bound as parameters come
// back unchanged, prepared statements and transactions behave alike, and failures are classified
// the same way (QueryError or ConnectionError, with the engine's SQLSTATE, in one line that
// names the connector and never the password). What differs between engines is in the target's
// Quirks (support/targets.hpp); what only one engine does stays in its own test file.
#include "db/connection.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "baselinr/error.hpp"
#include "db/dialect/dialect.hpp"
#include "suite.hpp"
#include "support/sockets.hpp"
#include "support/targets.hpp"

namespace baselinr::conformance {
namespace {

constexpr std::int64_t kMax64 = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMin64 = std::numeric_limits<std::int64_t>::min();
constexpr double kInf = std::numeric_limits<double>::infinity();

class Connection : public EngineTest {
 protected:
  // A message of this target's connector: its prefix, one line.
  void expect_one_line(const std::string& what) const {
    EXPECT_TRUE(what.starts_with(quirks().message_prefix)) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    EXPECT_EQ(what.find('\t'), std::string::npos) << what;
  }
  std::int64_t count(db::Connection& c, const std::string& table) {
    return db::as_int(c.query("SELECT COUNT(*) FROM " + ns().sql(table)).rows.at(0).at(0))
        .value_or(-1);
  }
  // A table of the namespace, dropped first if an earlier test of this process made it.
  std::string fresh_table(const std::string& name, const std::string& columns) {
    try {
      ns().admin().execute("DROP TABLE " + ns().sql(name));
    } catch (const QueryError&) {
    }
    ns().admin().execute("CREATE TABLE " + ns().sql(name) + " (" + columns + ")");
    return ns().sql(name);
  }
  std::string type(Logical logical) const { return quirks().type(logical).ddl; }
};

// Integers at the int64 edges, doubles that need every digit, text with quotes, markers and
// multi-byte characters, and NULL: through CAST(? AS ...) and through a table's columns.
TEST_P(Connection, ValuesRoundTripThroughBoundParameters) {
  db::Connection& c = ns().admin();
  const db::Dialect& d = c.dialect();
  const std::vector<db::Value> ints = {std::int64_t{0}, std::int64_t{-1}, kMin64, kMax64,
                                       std::monostate{}};
  const std::vector<db::Value> doubles = {
      0.1, 1.0 / 3.0, -1e-300, 1e308, 123456789.123456789, -2.5, std::monostate{}};
  const std::vector<db::Value> texts = {std::string(),
                                        std::string("plain"),
                                        std::string("it's \"quoted\" \\ back\\slash `tick`"),
                                        std::string("ünïcödé 日本語 🎉"),
                                        std::string("line1\nline2\ttab"),
                                        std::string("$1 ? %s {} :name"),
                                        std::string("x'); DROP TABLE y; --"),
                                        std::monostate{}};

  // As expressions: CAST(? AS <type>) gives the bound value back.
  db::ParamList params(d);
  std::string select;
  std::vector<db::Value> want;
  auto add = [&](const std::vector<db::Value>& values, const std::string& cast) {
    for (const db::Value& v : values) {
      select += (select.empty() ? "" : ", ") + fmt::format("CAST({} AS {})", params.add(v), cast);
      want.push_back(v);
    }
  };
  add(ints, quirks().cast_integer);
  add(doubles, quirks().cast_double);
  add(texts, quirks().cast_text);
  if (quirks().non_finite_doubles) {
    add({5e-324, -0.0, kInf, -kInf, std::numeric_limits<double>::quiet_NaN()},
        quirks().cast_double);
  }
  if (!quirks().cast_boolean.empty()) add({true, false}, quirks().cast_boolean);
  db::BoundSql bound = params.bind("SELECT " + select);
  db::Result r = c.query(bound.sql, bound.params);
  ASSERT_EQ(r.rows.size(), 1u);
  ASSERT_EQ(r.rows[0].size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    const db::Value& got = r.rows[0][i];
    SCOPED_TRACE(fmt::format("value {}: {}", i, db::as_text(want[i]).value_or("NULL")));
    if (const double* w = std::get_if<double>(&want[i])) {
      ASSERT_TRUE(std::holds_alternative<double>(got));
      const double g = std::get<double>(got);
      if (std::isnan(*w)) {
        EXPECT_TRUE(std::isnan(g));
      } else {
        EXPECT_EQ(g, *w);
        EXPECT_EQ(std::signbit(g), std::signbit(*w));
      }
      continue;
    }
    EXPECT_EQ(got, want[i]);
  }

  // As column values, written by one prepared statement and read back in order.
  const std::string t =
      fresh_table("roundtrip", fmt::format("k {0}, i {0}, d {1}, s {2}", type(Logical::kInt64),
                                           type(Logical::kDouble), type(Logical::kText)));
  const std::size_t rows = std::max({ints.size(), doubles.size(), texts.size()});
  {
    auto insert = c.prepare(fmt::format("INSERT INTO {} (k, i, d, s) VALUES ({}, {}, {}, {})", t,
                                        d.placeholder(1), d.placeholder(2), d.placeholder(3),
                                        d.placeholder(4)));
    db::Transaction tx(c);
    for (std::size_t k = 0; k < rows; ++k) {
      auto at = [k](const std::vector<db::Value>& v) { return k < v.size() ? v[k] : db::Value(); };
      insert->execute(
          std::vector<db::Value>{static_cast<std::int64_t>(k), at(ints), at(doubles), at(texts)});
    }
    tx.commit();
  }
  r = c.query("SELECT k, i, d, s FROM " + t + " ORDER BY k");
  ASSERT_EQ(r.rows.size(), rows);
  for (std::size_t k = 0; k < rows; ++k) {
    SCOPED_TRACE(fmt::format("row {}", k));
    EXPECT_EQ(r.rows[k][1], k < ints.size() ? ints[k] : db::Value());
    EXPECT_EQ(r.rows[k][2], k < doubles.size() ? doubles[k] : db::Value());
    EXPECT_EQ(r.rows[k][3], k < texts.size() ? texts[k] : db::Value());
  }
  // Parameters in WHERE: the empty string and NULL stay apart, a NULL parameter matches nothing.
  r = c.query("SELECT k FROM " + t + " WHERE s = " + d.placeholder(1),
              std::vector<db::Value>{std::string()});
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.rows[0][0], db::Value(std::int64_t{0}));
  r = c.query("SELECT k FROM " + t + " WHERE s = " + d.placeholder(1),
              std::vector<db::Value>{std::monostate{}});
  EXPECT_TRUE(r.rows.empty());
  r = c.query("SELECT k FROM " + t + " WHERE s = " + d.placeholder(1),
              std::vector<db::Value>{std::string("NULL")});
  EXPECT_TRUE(r.rows.empty()) << "a NULL value is not the text NULL";
}

TEST_P(Connection, PreparedStatementsAndTransactions) {
  db::Connection& c = ns().admin();
  const db::Dialect& d = c.dialect();
  const std::string t = fresh_table(
      "tx",
      fmt::format("id {} PRIMARY KEY, label {}", type(Logical::kInt64), type(Logical::kVarchar)));
  auto insert = c.prepare(fmt::format("INSERT INTO {} (id, label) VALUES ({}, {})", t,
                                      d.placeholder(1), d.placeholder(2)));
  auto update = c.prepare(
      fmt::format("UPDATE {} SET label = {} WHERE id = {}", t, d.placeholder(1), d.placeholder(2)));
  for (std::int64_t i = 1; i <= 5; ++i) {
    insert->execute(std::vector<db::Value>{i, fmt::format("row {}", i)});
  }
  update->execute(std::vector<db::Value>{std::string("three"), std::int64_t{3}});
  // New bindings of another type on the same statement.
  update->execute(std::vector<db::Value>{std::monostate{}, std::int64_t{4}});
  EXPECT_EQ(count(c, "tx"), 5);
  EXPECT_EQ(c.query("SELECT label FROM " + t + " WHERE id = 3").rows.at(0).at(0),
            db::Value(std::string("three")));
  EXPECT_EQ(c.query("SELECT label FROM " + t + " WHERE id = 4").rows.at(0).at(0), db::Value());

  // Rollback discards; uncommitted rows are invisible to another connection.
  auto observer = ns().connect();
  c.begin();
  insert->execute(std::vector<db::Value>{std::int64_t{6}, std::string("six")});
  EXPECT_EQ(count(c, "tx"), 6);
  EXPECT_EQ(count(*observer, "tx"), 5) << "uncommitted rows are invisible to others";
  c.rollback();
  EXPECT_EQ(count(c, "tx"), 5);
  c.begin();
  c.execute("DELETE FROM " + t + " WHERE id < " + d.placeholder(1),
            std::vector<db::Value>{std::int64_t{3}});
  insert->execute(std::vector<db::Value>{std::int64_t{6}, std::string("six")});
  c.commit();
  EXPECT_EQ(count(*observer, "tx"), 4);
  // Autocommit is back on: this row is visible to others at once.
  insert->execute(std::vector<db::Value>{std::int64_t{10}, std::string("ten")});
  EXPECT_EQ(count(*observer, "tx"), 5);
  c.execute("DELETE FROM " + t + " WHERE id = 10");

  // RAII: a transaction that is not committed is rolled back.
  {
    db::Transaction tx(c);
    insert->execute(std::vector<db::Value>{std::int64_t{7}, std::string("seven")});
    c.prepare("DELETE FROM " + t)->execute({});
  }
  EXPECT_EQ(count(c, "tx"), 4);

  // A failing execution (a duplicate key) is a QueryError and leaves the statement usable.
  try {
    insert->execute(std::vector<db::Value>{std::int64_t{3}, std::string("duplicate")});
    ADD_FAILURE() << "a duplicate key must fail";
  } catch (const QueryError& e) {
    expect_one_line(e.what());
    // Class 23: integrity constraint violation (SQLite has no SQLSTATEs).
    if (target().server) {
      EXPECT_TRUE(e.sqlstate().starts_with("23")) << e.what();
    }
  }
  insert->execute(std::vector<db::Value>{std::int64_t{500}, std::string("ok")});
  EXPECT_EQ(count(c, "tx"), 5);
  // A failure inside a transaction, then rollback: nothing of it is saved.
  c.begin();
  insert->execute(std::vector<db::Value>{std::int64_t{8}, std::string("eight")});
  EXPECT_THROW(insert->execute(std::vector<db::Value>{std::int64_t{3}, std::string("dup")}),
               QueryError);
  c.rollback();
  EXPECT_EQ(count(c, "tx"), 5);
  // The wrong number of parameters is a QueryError, not a crash.
  EXPECT_THROW(insert->execute(std::vector<db::Value>{std::int64_t{9}}), QueryError);
  EXPECT_EQ(count(c, "tx"), 5);

  // A connection closed inside a transaction rolls it back.
  {
    auto closing = ns().connect();
    closing->begin();
    closing->execute("DELETE FROM " + t);
  }
  EXPECT_EQ(count(c, "tx"), 5);
  // Destroying a statement after its connection is safe (on SQLite the connection must outlive
  // its statements).
  if (target().server) {
    auto doomed = ns().connect();
    auto orphan = doomed->prepare("SELECT 1");
    doomed.reset();
    orphan.reset();
  }
}

TEST_P(Connection, FailuresAreClassifiedWithTheEnginesSqlstate) {
  db::Connection& c = ns().admin();
  // A missing table and bad SQL: QueryError, and the connection is still usable.
  try {
    c.query("SELECT * FROM " + ns().sql("no_such_table"));
    FAIL() << "selected from a missing table";
  } catch (const QueryError& e) {
    expect_one_line(e.what());
    EXPECT_NE(std::string(e.what()).find("no_such_table"), std::string::npos) << e.what();
    if (!quirks().missing_table_sqlstate.empty()) {
      EXPECT_EQ(e.sqlstate(), quirks().missing_table_sqlstate) << e.what();
      EXPECT_NE(std::string(e.what()).find("SQLSTATE " + quirks().missing_table_sqlstate),
                std::string::npos)
          << e.what();
    }
  }
  // The same through a prepared statement (refused at prepare() or at execute()).
  EXPECT_THROW(c.prepare("SELECT * FROM " + ns().sql("no_such_table"))->execute({}), QueryError);
  try {
    c.query("SELEC 1");
    FAIL() << "ran bad SQL";
  } catch (const QueryError& e) {
    expect_one_line(e.what());
  }
  EXPECT_EQ(db::as_int(c.query("SELECT 1").rows.at(0).at(0)), 1);

  if (!target().server) return;  // the rest is about servers
  const ConnectionConfig good = ns().config();

  // A wrong password: ConnectionError naming neither the wrong nor the right password.
  ConnectionConfig bad = good;
  bad.password = "Definitely-Wrong-Secret-4711";
  try {
    db::connect(bad);
    FAIL() << "connected with a wrong password";
  } catch (const ConnectionError& e) {
    const std::string what = e.what();
    expect_one_line(what);
    EXPECT_EQ(what.find(bad.password), std::string::npos) << what;
    EXPECT_EQ(what.find(good.password), std::string::npos) << what;
    for (const std::string& says : quirks().wrong_password_says) {
      EXPECT_NE(what.find(says), std::string::npos) << what;
    }
    EXPECT_NE(what.find(good.username), std::string::npos) << what;
    EXPECT_FALSE(e.sqlstate().empty()) << what;
    if (!quirks().wrong_password_sqlstate.empty()) {
      EXPECT_EQ(e.sqlstate(), quirks().wrong_password_sqlstate) << what;
    }
  }

  // Nothing listening: ConnectionError naming the port.
  ConnectionConfig down = good;
  down.port = testing::closed_port();
  ASSERT_NE(*down.port, 0);
  try {
    db::connect(down);
    FAIL() << "connected to a closed port";
  } catch (const ConnectionError& e) {
    const std::string what = e.what();
    expect_one_line(what);
    EXPECT_EQ(what.find(good.password), std::string::npos) << what;
    for (const std::string& says : quirks().refused_says) {
      EXPECT_NE(what.find(says), std::string::npos) << what;
    }
  }

  // No right to read a table: QueryError with the engine's SQLSTATE.
  if (quirks().supports_permissions) {
    fresh_table("secret", "id " + type(Logical::kInt32));
    for (const std::string& sql : quirks().limited_user_setup) c.execute(ns().expand(sql));
    ConnectionConfig limited = good;
    limited.username = "baselinr_limited";
    if (quirks().limited_user_outside_namespace) {
      limited.database.clear();
      limited.schema.clear();
    }
    auto lc = db::connect(limited);
    try {
      lc->query("SELECT * FROM " + ns().sql("secret"));
      FAIL() << "baselinr_limited read a table it has no grant on";
    } catch (const QueryError& e) {
      expect_one_line(e.what());
      EXPECT_EQ(e.sqlstate(), quirks().permission_denied_sqlstate) << e.what();
      EXPECT_TRUE(std::string(e.what()).find("denied") != std::string::npos) << e.what();
    }
  }

  // A session the server ended: ConnectionError.
  if (quirks().supports_killing_sessions) {
    auto victim = ns().connect();
    const std::int64_t id =
        db::as_int(victim->query(quirks().session_id_sql).rows.at(0).at(0)).value_or(0);
    ASSERT_GT(id, 0);
    c.execute(replace_all(quirks().kill_session_sql, "$ID", std::to_string(id)));
    try {
      victim->query("SELECT 1");
      FAIL() << "a terminated session still answered";
    } catch (const ConnectionError& e) {
      expect_one_line(e.what());
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Engines, Connection, ::testing::ValuesIn(target_names()), param_name);

// ---- PostgreSQL, through libpq and through psqlODBC --------------------------------------------

class PostgresConnection : public Connection {};

std::vector<std::string> postgres_targets() {
  std::vector<std::string> out;
  for (const std::string& name : target_names()) {
    if (name.starts_with("postgres")) out.push_back(name);
  }
  return out;
}

// No casts: the server infers each parameter's type from its column (or its comparison).
TEST_P(PostgresConnection, ParameterTypesAreInferredFromTheirContext) {
  db::Connection& c = ns().admin();
  const std::string t = fresh_table("vals",
                                    "i BIGINT, d DOUBLE PRECISION, s TEXT, b BOOLEAN, "
                                    "n NUMERIC(20,4), ts TIMESTAMP, j JSONB");
  const std::string insert = placeholders("INSERT INTO " + t + " VALUES (?, ?, ?, ?, ?, ?, ?)");
  c.execute(insert, std::vector<db::Value>{
                        kMin64, 2.5, std::string("ü"), true, std::string("12345.6789"),
                        std::string("2026-01-02 03:04:05.25"), std::string("{\"a\": [1, 2]}")});
  // An integral double into a BIGINT column, an integer into a DOUBLE PRECISION one.
  c.execute(insert, std::vector<db::Value>{42.0, std::int64_t{7}, std::monostate{}, false,
                                           std::monostate{}, std::monostate{}, std::monostate{}});
  db::Result r = c.query(placeholders("SELECT i, d, s, b, n, ts, j FROM " + t + " WHERE i = ?"),
                         std::vector<db::Value>{kMin64});
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.rows[0][0], db::Value(kMin64));
  EXPECT_EQ(r.rows[0][1], db::Value(2.5));
  EXPECT_EQ(r.rows[0][2], db::Value(std::string("ü")));
  EXPECT_EQ(r.rows[0][3], db::Value(true));
  EXPECT_EQ(r.rows[0][4], db::Value(12345.6789));
  EXPECT_EQ(r.rows[0][5], db::Value(std::string("2026-01-02 03:04:05.25")));
  EXPECT_EQ(r.rows[0][6], db::Value(std::string("{\"a\": [1, 2]}")));
  r = c.query(placeholders("SELECT i, d, s FROM " + t + " WHERE b = ?"),
              std::vector<db::Value>{false});
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.rows[0][0], db::Value(std::int64_t{42}));
  EXPECT_EQ(r.rows[0][1], db::Value(7.0));
  EXPECT_EQ(r.rows[0][2], db::Value(std::monostate{}));
  // LIMIT takes a bound integer, and a statement with no rows to change is no error.
  r = c.query(
      "SELECT i FROM " + t + " ORDER BY i" + c.dialect().limit_clause(c.dialect().placeholder(1)),
      std::vector<db::Value>{std::int64_t{1}});
  EXPECT_EQ(r.rows.size(), 1u);
  c.execute(placeholders("UPDATE " + t + " SET s = 'x' WHERE i = ?"),
            std::vector<db::Value>{std::int64_t{5}});
}

INSTANTIATE_TEST_SUITE_P(Postgres, PostgresConnection, ::testing::ValuesIn(postgres_targets()),
                         param_name);

}  // namespace
}  // namespace baselinr::conformance
