// Real database engines for parameterised tests: each target gives an isolated namespace
// (a SQLite file, a PostgreSQL schema, a MariaDB database) that is dropped afterwards, an admin
// connection for fixtures, and the ConnectionConfig a baselinr Config uses as its source.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "baselinr/config.hpp"
#include "db/connection.hpp"
#include "db/dialect/dialect.hpp"
#include "support/testing.hpp"

namespace baselinr::testing {

class EngineTarget {
 public:
  virtual ~EngineTarget() = default;
  virtual std::string name() const = 0;
  // The source connection (its default schema/database is the isolated namespace).
  virtual ConnectionConfig config() const = 0;
  // A connection for fixtures, already inside the namespace.
  virtual db::Connection& admin() = 0;
  // A statement that fills `table` (id, amount, category, weight) with `rows` generated rows on
  // the server: id = 1..rows, amount = ((id * 7919) % 1000) / 10.0, category/weight by id % 100
  // (< 60: 'a'/1, < 90: 'b'/2, < 99: 'c'/3, else 'd'/4).
  virtual std::string generate_rows_sql(const std::string& quoted_table, int rows) const = 0;
  // Native type names.
  virtual std::string date_type() const { return "DATE"; }
  virtual std::string timestamp_type() const { return "TIMESTAMP"; }
  virtual std::string double_type() const { return "DOUBLE PRECISION"; }
  virtual std::string text_type() const { return "VARCHAR(40)"; }
  std::string quote(const std::string& identifier) {
    return admin().dialect().quote_identifier(identifier);
  }
};

// "sqlite", "postgres" or "mariadb". Server targets read BASELINR_TEST_* from the environment
// and fail the test (never skip) when they are missing.
std::unique_ptr<EngineTarget> make_engine(const std::string& name);

const std::vector<std::string>& all_engines();

}  // namespace baselinr::testing
