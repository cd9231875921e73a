#include "support/engines.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <random>

namespace baselinr::testing {
namespace {

std::string random_suffix() {
  std::random_device rd;
  return fmt::format("{:08x}", rd());
}

std::string category_case(const std::string& id) {
  return fmt::format(
      "CASE WHEN {0} % 100 < 60 THEN 'a' WHEN {0} % 100 < 90 THEN 'b' WHEN {0} % 100 < 99 THEN "
      "'c' ELSE 'd' END, CASE WHEN {0} % 100 < 60 THEN 1 WHEN {0} % 100 < 90 THEN 2 WHEN {0} % 100 "
      "< 99 THEN 3 ELSE 4 END",
      id);
}

class SqliteTarget final : public EngineTarget {
 public:
  SqliteTarget() : file_(dir_ / "source.db"), conn_(open_sqlite(file_)) {}
  std::string name() const override { return "sqlite"; }
  ConnectionConfig config() const override { return sqlite_config(file_); }
  db::Connection& admin() override { return *conn_; }
  std::string generate_rows_sql(const std::string& t, int rows) const override {
    return fmt::format(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {1}) "
        "INSERT INTO {0} SELECT i, ((i * 7919) % 1000) / 10.0, {2} FROM n",
        t, rows, category_case("i"));
  }
  std::string double_type() const override { return "REAL"; }

 private:
  TempDir dir_;
  std::filesystem::path file_;
  std::unique_ptr<db::Connection> conn_;
};

class PostgresTarget final : public EngineTarget {
 public:
  PostgresTarget() {
    cfg_.type = DatabaseType::kPostgres;
    cfg_.host = required_env("BASELINR_TEST_PG_HOST");
    cfg_.port = std::stoi(required_env("BASELINR_TEST_PG_PORT").empty()
                              ? "0"
                              : required_env("BASELINR_TEST_PG_PORT"));
    cfg_.username = required_env("BASELINR_TEST_PG_USER");
    cfg_.password = required_env("BASELINR_TEST_PG_PASSWORD");
    cfg_.database = required_env("BASELINR_TEST_PG_DATABASE");
    schema_ = "bl_test_" + random_suffix();
    conn_ = db::connect(cfg_, {});
    conn_->execute("CREATE SCHEMA \"" + schema_ + "\"");
    conn_->execute("SET search_path TO \"" + schema_ + "\"");
    cfg_.schema = schema_;
  }
  ~PostgresTarget() override {
    try {
      conn_->execute("DROP SCHEMA \"" + schema_ + "\" CASCADE");
    } catch (...) {
    }
  }
  std::string name() const override { return "postgres"; }
  ConnectionConfig config() const override { return cfg_; }
  db::Connection& admin() override { return *conn_; }
  std::string generate_rows_sql(const std::string& t, int rows) const override {
    return fmt::format(
        "INSERT INTO {0} SELECT i, ((i * 7919) % 1000) / 10.0, {2} FROM generate_series(1, {1}) "
        "AS g(i)",
        t, rows, category_case("i"));
  }

 private:
  ConnectionConfig cfg_;
  std::string schema_;
  std::unique_ptr<db::Connection> conn_;
};

class MariadbTarget final : public EngineTarget {
 public:
  MariadbTarget() {
    cfg_.type = DatabaseType::kMysql;
    cfg_.host = required_env("BASELINR_TEST_MYSQL_HOST");
    const std::string port = required_env("BASELINR_TEST_MYSQL_PORT");
    cfg_.port = std::stoi(port.empty() ? "0" : port);
    cfg_.username = required_env("BASELINR_TEST_MYSQL_USER");
    cfg_.password = required_env("BASELINR_TEST_MYSQL_PASSWORD");
    cfg_.database = required_env("BASELINR_TEST_MYSQL_DATABASE");
    database_ = "bl_test_" + random_suffix();
    {
      auto setup = db::connect(cfg_, {});
      setup->execute("CREATE DATABASE `" + database_ +
                     "` CHARACTER SET utf8mb4 COLLATE "
                     "utf8mb4_bin");
    }
    cfg_.database = database_;
    conn_ = db::connect(cfg_, {});
  }
  ~MariadbTarget() override {
    try {
      conn_->execute("DROP DATABASE `" + database_ + "`");
    } catch (...) {
    }
  }
  std::string name() const override { return "mariadb"; }
  ConnectionConfig config() const override { return cfg_; }
  db::Connection& admin() override { return *conn_; }
  std::string generate_rows_sql(const std::string& t, int rows) const override {
    return fmt::format(
        "INSERT INTO {0} SELECT seq, ((seq * 7919) % 1000) / 10.0, {2} FROM seq_1_to_{1}", t, rows,
        category_case("seq"));
  }
  std::string double_type() const override { return "DOUBLE"; }
  std::string timestamp_type() const override { return "DATETIME(6)"; }

 private:
  ConnectionConfig cfg_;
  std::string database_;
  std::unique_ptr<db::Connection> conn_;
};

}  // namespace

std::unique_ptr<EngineTarget> make_engine(const std::string& name) {
  if (name == "sqlite") return std::make_unique<SqliteTarget>();
  if (name == "postgres") return std::make_unique<PostgresTarget>();
  if (name == "mariadb") return std::make_unique<MariadbTarget>();
  throw std::invalid_argument("unknown engine " + name);
}

const std::vector<std::string>& all_engines() {
  static const std::vector<std::string> engines = {"sqlite", "postgres", "mariadb"};
  return engines;
}

}  // namespace baselinr::testing
