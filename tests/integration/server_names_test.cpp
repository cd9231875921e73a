// Names on server engines through the real binary: a table configured without a schema is stored
// under the schema it resolved to and every command resolves names alike; a MariaDB store with a
// case-insensitive collation keeps `T` and `t` apart; libpq parameters are configuration.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "db/dialect/dialect.hpp"
#include "support/targets.hpp"
#include "support/testing.hpp"

namespace baselinr {
namespace {

using testing::run_cli;

std::string yaml_quoted(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("''") : std::string(1, c);
  return q + "'";
}

TEST(ServerNames, TablesWithoutASchemaAreStoredUnderTheResolvedOneAndNamedAlikeEverywhere) {
  auto pg = std::make_unique<conformance::Namespace>(conformance::target("postgres"), true);
  const std::string a = pg->config().schema;
  const std::string b = a + "_b";
  auto& admin = pg->admin();
  admin.execute(fmt::format("CREATE SCHEMA \"{}\"", b));
  admin.execute(fmt::format("CREATE TABLE \"{}\".dup (x INTEGER)", a));
  admin.execute(fmt::format("INSERT INTO \"{}\".dup VALUES (1), (2)", a));
  admin.execute(fmt::format("CREATE TABLE \"{}\".dup (x INTEGER)", b));
  admin.execute(fmt::format("INSERT INTO \"{}\".dup VALUES (1), (2), (3)", b));
  struct DropB {
    db::Connection& c;
    std::string schema;
    ~DropB() {
      try {
        c.execute("DROP SCHEMA \"" + schema + "\" CASCADE");
      } catch (...) {
      }
    }
  } drop_b{admin, b};

  // The source names no schema: unqualified names resolve through its search_path, to `a`.
  ConnectionConfig source = pg->config();
  source.schema.clear();
  source.extra_params["options"] = "-c search_path=" + a;
  testing::TempDir dir;
  const auto config = dir.write(
      "c.yml",
      fmt::format("source: {}\nstorage: {{connection: {{type: sqlite, filepath: '{}'}}}}\n"
                  "profiling:\n  tables:\n    - table: dup\n    - {{table: dup, schema: "
                  "{}}}\n",
                  testing::connection_yaml(source), (dir / "store.db").string(), yaml_quoted(b)));
  const std::string cfg = config.string();

  auto r = run_cli({"profile", "--config", cfg});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto stored = testing::query_sqlite(dir / "store.db",
                                      "SELECT schema_name, row_count FROM baselinr_runs "
                                      "ORDER BY schema_name");
  ASSERT_EQ(stored.rows.size(), 2u);
  EXPECT_EQ(stored.rows[0][0], db::Value(a)) << "the resolved schema, not NULL";
  EXPECT_EQ(stored.rows[0][1], db::Value(std::int64_t{2}));
  EXPECT_EQ(stored.rows[1][0], db::Value(b));

  // plan names it the same way.
  r = run_cli({"plan", "--config", cfg, "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["tables"][0]["schema"], a);

  // A bare name that means two tables is refused; a qualified one picks one.
  r = run_cli({"profile", "--config", cfg, "--table", "dup"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(fmt::format("--table dup is ambiguous: it names {}.dup and {}.dup", a, b)),
            std::string::npos)
      << r.err;
  r = run_cli({"profile", "--config", cfg, "--table", a + ".dup"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("1 of 1 table(s) profiled"), std::string::npos) << r.out;

  // drift does not pick one of the two silently.
  r = run_cli({"drift", "--config", cfg, "--dataset", "dup"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(fmt::format("'dup' has runs in several schemas ({}, {}); choose one with "
                                   "--schema",
                                   a, b)),
            std::string::npos)
      << r.err;
  r = run_cli({"drift", "-c", cfg, "-d", "dup", "-s", a, "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto report = nlohmann::json::parse(r.out);
  EXPECT_EQ(report["schema"], a);
  EXPECT_EQ(report["current_run"]["row_count"], 2);
  EXPECT_EQ(report["baseline_run"]["row_count"], 2);
  r = run_cli({"drift", "-c", cfg, "-d", "dup", "-s", b});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Nothing to compare yet"), std::string::npos) << r.out;
  r = run_cli({"runs", "-c", cfg, "-d", "dup", "-s", b, "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto runs = nlohmann::json::parse(r.out);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0]["row_count"], 3);
}

TEST(ServerNames, RunsStoredWithoutASchemaByAnOlderVersionStayTheTablesHistory) {
  auto pg = std::make_unique<conformance::Namespace>(conformance::target("postgres"), true);
  const std::string a = pg->config().schema;
  pg->admin().execute(fmt::format("CREATE TABLE \"{}\".solo (x INTEGER)", a));
  pg->admin().execute(fmt::format("INSERT INTO \"{}\".solo VALUES (1), (2)", a));
  ConnectionConfig source = pg->config();
  source.schema.clear();
  source.extra_params["options"] = "-c search_path=" + a;
  testing::TempDir dir;
  const auto store = dir / "store.db";
  const std::string cfg =
      dir.write("c.yml", fmt::format("source: {}\nstorage: {{connection: {{type: sqlite, filepath: "
                                     "'{}'}}}}\nprofiling:\n  tables: [{{table: solo}}]\n",
                                     testing::connection_yaml(source), store.string()))
          .string();
  auto run_ids = [&] {
    std::vector<std::string> ids;
    for (const auto& row :
         testing::query_sqlite(store, "SELECT run_id FROM baselinr_runs ORDER BY profiled_at")
             .rows) {
      ids.push_back(std::get<std::string>(row.at(0)));
    }
    return ids;
  };
  ASSERT_EQ(run_cli({"profile", "--config", cfg}).exit_code, 0);
  // As a version that stored no resolved schema left it.
  testing::open_sqlite(store)->execute("UPDATE baselinr_runs SET schema_name = NULL");
  ASSERT_EQ(run_cli({"profile", "--config", cfg}).exit_code, 0);
  auto ids = run_ids();
  ASSERT_EQ(ids.size(), 2u);

  // Not ambiguous, and the legacy run is the baseline of the first run under the schema.
  auto r = run_cli({"drift", "--config", cfg, "--dataset", "solo", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto report = nlohmann::json::parse(r.out);
  EXPECT_EQ(report["baseline_run"]["run_id"], ids[0]);
  EXPECT_EQ(report["current_run"]["run_id"], ids[1]);

  // Once the table has runs under its schema, those are its baselines.
  ASSERT_EQ(run_cli({"profile", "--config", cfg}).exit_code, 0);
  ids = run_ids();
  ASSERT_EQ(ids.size(), 3u);
  r = run_cli({"drift", "--config", cfg, "--dataset", "solo", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  report = nlohmann::json::parse(r.out);
  EXPECT_EQ(report["baseline_run"]["run_id"], ids[1]);
  EXPECT_EQ(report["current_run"]["run_id"], ids[2]);
}

TEST(ServerNames, ACaseInsensitiveMariaDbStoreKeepsTheRunsOfTAndtApart) {
  auto maria = std::make_unique<conformance::Namespace>(conformance::target("mariadb"), true);
  ConnectionConfig store = maria->config();
  // The store's tables compare text case-insensitively, as a store the original created on a
  // default MariaDB database does.
  auto& admin = maria->admin();
  testing::TempDir dir;
  for (const char* name : {"a", "b"}) {
    auto c = testing::open_sqlite(dir / (std::string(name) + ".db"));
    c->execute(std::string("CREATE TABLE ") + (name[0] == 'a' ? "\"T\"" : "\"t\"") + " (x INT)");
    c->execute(std::string("INSERT INTO ") +
               (name[0] == 'a' ? "\"T\" VALUES (1)" : "\"t\" VALUES (1), (2), (3)"));
  }
  auto config = [&](const char* file, const char* table) {
    return dir
        .write(std::string(file) + ".yml",
               fmt::format("source: {{type: sqlite, filepath: '{}'}}\nstorage: {{connection: "
                           "{}}}\nprofiling:\n  tables: [{{table: {}}}]\n",
                           (dir / (std::string(file) + ".db")).string(),
                           testing::connection_yaml(store), table))
        .string();
  };
  const std::string upper = config("a", "T"), lower = config("b", "t");
  // The store's DDL with the server's default case-insensitive collation.
  for (std::string stmt : admin.dialect().storage_ddl(
           {"baselinr_runs", "baselinr_results", "baselinr_events", "baselinr_schema_version"})) {
    if (auto at = stmt.find("utf8mb4_bin"); at != std::string::npos) {
      stmt.replace(at, std::string("utf8mb4_bin").size(), "utf8mb4_general_ci");
    }
    admin.execute(stmt);
  }
  ASSERT_EQ(run_cli({"profile", "--config", upper}).exit_code, 0);
  ASSERT_EQ(run_cli({"profile", "--config", lower}).exit_code, 0);
  ASSERT_EQ(run_cli({"profile", "--config", upper}).exit_code, 0);
  EXPECT_EQ(admin.query("SELECT COUNT(*) FROM baselinr_runs WHERE dataset_name = 't'").rows[0][0],
            db::Value(std::int64_t{3}))
      << "the collation is case-insensitive indeed";

  auto r = run_cli({"runs", "--config", lower, "--dataset", "t", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto runs = nlohmann::json::parse(r.out);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0]["dataset_name"], "t");
  EXPECT_EQ(runs[0]["row_count"], 3);
  r = run_cli({"drift", "--config", lower, "--dataset", "t"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Nothing to compare yet: 't' has one stored run"), std::string::npos)
      << r.out;
  r = run_cli({"drift", "--config", upper, "--dataset", "T", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto report = nlohmann::json::parse(r.out);
  EXPECT_EQ(report["baseline_run"]["row_count"], 1);
  EXPECT_EQ(report["current_run"]["row_count"], 1);
}

TEST(ServerNames, InvalidLibpqParametersAreConfigurationErrors) {
  auto pg = std::make_unique<conformance::Namespace>(conformance::target("postgres"), true);
  testing::TempDir dir;
  auto plan_with = [&](const std::map<std::string, std::string>& params) {
    ConnectionConfig source = pg->config();
    source.extra_params = params;
    auto config = dir.write(
        "p.yml", fmt::format("source: {}\nstorage: {{connection: {{type: sqlite, filepath: "
                             "'{}'}}}}\nprofiling:\n  tables: [{{table: t}}]\n",
                             testing::connection_yaml(source), (dir / "store.db").string()));
    return run_cli({"plan", "--config", config.string()});
  };
  auto r = plan_with({{"sslmod", "require"}});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("extra_params.sslmod: postgres: not a libpq connection parameter (did you "
                       "mean 'sslmode'?)"),
            std::string::npos)
      << r.err;
  r = plan_with({{"sslmode", "required"}});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("invalid sslmode value"), std::string::npos) << r.err;
  r = plan_with({{"connect_timeout", "soon"}});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("connect_timeout"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find(pg->config().password), std::string::npos) << r.err;
}

}  // namespace
}  // namespace baselinr
