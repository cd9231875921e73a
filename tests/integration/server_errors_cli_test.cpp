// Server failures through the real binary, on PostgreSQL and MariaDB: exit 3, one clear line on
// stderr, never the password; a table that fails does not stop the others.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "support/targets.hpp"
#include "support/testing.hpp"

namespace baselinr {
namespace {

class ServerErrors : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    engine_ = std::make_unique<conformance::Namespace>(conformance::target(GetParam()), true);
  }

  // A config file whose source is the engine with `password` and `port` overridden.
  std::filesystem::path config(const std::string& password, std::optional<int> port,
                               const std::vector<std::string>& tables,
                               const std::string& username = "") {
    ConnectionConfig c = engine_->config();
    std::string type = GetParam() == "postgres" ? "postgres" : "mysql";
    std::string yaml = fmt::format(
        "source:\n  type: {}\n  host: '{}'\n  port: {}\n  database: '{}'\n  username: '{}'\n"
        "  password: '{}'\n{}storage:\n  connection: {{type: sqlite, filepath: '{}'}}\n"
        "profiling:\n  tables:\n",
        type, c.host, port.value_or(*c.port), c.database, username.empty() ? c.username : username,
        password, c.schema.empty() ? "" : fmt::format("  schema: '{}'\n", c.schema),
        (dir_ / "store.db").string());
    for (const auto& t : tables) yaml += fmt::format("    - table: {}\n", t);
    return dir_.write("c.yml", yaml);
  }

  static void expect_one_line_without(const testing::CliResult& r, const std::string& secret) {
    EXPECT_EQ(r.err.rfind("baselinr: error: ", 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_EQ(r.err.find(secret), std::string::npos) << "password leaked: " << r.err;
    EXPECT_EQ(r.out.find(secret), std::string::npos);
  }

  testing::TempDir dir_;
  std::unique_ptr<conformance::Namespace> engine_;
};

TEST_P(ServerErrors, WrongPasswordIsExitThreeWithoutThePassword) {
  engine_->admin().execute("CREATE TABLE t (x INTEGER)");
  const std::string wrong = "Wr0ng-Secret-Pa55";
  auto r = testing::run_cli({"profile", "--config", config(wrong, std::nullopt, {"t"}).string()});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  expect_one_line_without(r, wrong);
  for (const std::string& says : engine_->target().quirks.wrong_password_says) {
    EXPECT_NE(r.err.find(says), std::string::npos) << r.err;
  }
}

TEST_P(ServerErrors, ServerDownIsExitThree) {
  const std::string pw = engine_->config().password;
  auto r = testing::run_cli({"plan", "--config", config(pw, 1, {"t"}).string()});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  expect_one_line_without(r, pw);
  EXPECT_NE(r.err.find("cannot connect"), std::string::npos) << r.err;
}

TEST_P(ServerErrors, MissingTableAndPermissionDeniedFailOnlyThoseTables) {
  auto& a = engine_->admin();
  a.execute("CREATE TABLE good (x INTEGER)");
  a.execute("INSERT INTO good VALUES (1), (2)");
  a.execute("CREATE TABLE secret (x INTEGER)");
  a.execute("INSERT INTO secret VALUES (3)");
  if (GetParam() == "postgres") {
    // baselinr_limited may use the schema and read `good`, but not `secret`.
    a.execute(
        fmt::format("GRANT USAGE ON SCHEMA \"{}\" TO baselinr_limited", engine_->config().schema));
    a.execute("GRANT SELECT ON good TO baselinr_limited");
  } else {
    a.execute(fmt::format("GRANT SELECT ON `{}`.`good` TO 'baselinr_limited'@'%'",
                          engine_->config().database));
    a.execute(fmt::format("GRANT SELECT ON `{}`.`good` TO 'baselinr_limited'@'localhost'",
                          engine_->config().database));
  }
  const std::string pw = engine_->config().password;
  auto r = testing::run_cli(
      {"profile", "--config",
       config(pw, std::nullopt, {"good", "ghost", "secret"}, "baselinr_limited").string()});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_NE(r.out.find("1 of 3 table(s) profiled, 2 failed"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ghost' does not exist"), std::string::npos) << r.out;
  // PostgreSQL says "permission denied"; MariaDB hides tables the user cannot see at all.
  EXPECT_TRUE(r.out.find("permission denied") != std::string::npos ||
              r.out.find("secret' does not exist") != std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find(pw), std::string::npos);
  EXPECT_EQ(r.err.find(pw), std::string::npos);
}

std::string engine_name(const ::testing::TestParamInfo<std::string>& param_info) {
  return param_info.param;
}

INSTANTIATE_TEST_SUITE_P(Servers, ServerErrors, ::testing::Values("postgres", "mariadb"),
                         engine_name);

}  // namespace
}  // namespace baselinr
