// Several baselinr processes started at once on a fresh store (parallel orchestrator tasks do
// exactly this): creating and migrating the store must not lose a single run, on every engine.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <thread>

#include "baselinr/storage.hpp"
#include "db/dialect/dialect.hpp"
#include "support/targets.hpp"
#include "support/testing.hpp"

namespace baselinr {
namespace {

constexpr int kProcesses = 8;
constexpr int kTrials = 3;

class FreshStoreRace : public ::testing::TestWithParam<std::string> {};

std::int64_t count(db::Connection& c, const std::string& sql) {
  return db::as_int(c.query(sql).rows.at(0).at(0)).value_or(-1);
}

TEST_P(FreshStoreRace, EightProfilesAtOnceStoreEveryRun) {
  testing::TempDir dir;
  {
    auto src = testing::open_sqlite(dir / "src.db");
    src->execute("CREATE TABLE orders (id INTEGER, amount REAL)");
    src->execute("INSERT INTO orders VALUES (1, 2.5), (2, 3.5), (3, NULL)");
  }
  for (int trial = 0; trial < kTrials; ++trial) {
    SCOPED_TRACE(fmt::format("trial {}", trial));
    // A fresh, empty namespace for the store: a file, a PostgreSQL schema, a MariaDB database.
    std::unique_ptr<conformance::Namespace> store =
        std::make_unique<conformance::Namespace>(conformance::target(GetParam()), true);
    ConnectionConfig storage = store->config();
    std::string prefix;
    if (GetParam() == "sqlite") {
      storage.filepath = (dir / fmt::format("store{}.db", trial)).string();
    } else if (GetParam() == "postgres") {
      prefix = storage.schema + ".";
    }
    const auto config = dir.write(
        fmt::format("race{}.yml", trial),
        fmt::format("source: {{type: sqlite, filepath: '{}'}}\n"
                    "storage:\n  connection: {}\n  runs_table: {}baselinr_runs\n"
                    "  results_table: {}baselinr_results\n  events_table: {}baselinr_events\n"
                    "profiling:\n  tables: [{{table: orders}}]\n"
                    "hooks:\n  hooks:\n    - type: sql\n      table_name: {}baselinr_events\n"
                    "      connection: {}\n",
                    (dir / "src.db").string(), testing::connection_yaml(storage), prefix, prefix,
                    prefix, prefix, testing::connection_yaml(storage)));

    std::vector<testing::CliResult> results(kProcesses);
    {
      std::vector<std::jthread> threads;
      for (int p = 0; p < kProcesses; ++p) {
        threads.emplace_back([&, p] {
          results[p] = testing::run_cli({"profile", "--config", config.string()});
        });
      }
    }
    for (const auto& r : results) EXPECT_EQ(r.exit_code, 0) << r.err;

    std::unique_ptr<db::Connection> check =
        GetParam() == "sqlite" ? testing::open_sqlite(storage.filepath) : db::connect(storage, {});
    const db::Dialect& d = check->dialect();
    auto table = [&](const std::string& name) { return d.qualified_name(prefix + name); };
    EXPECT_EQ(count(*check, "SELECT COUNT(*) FROM " + table("baselinr_runs")), kProcesses);
    EXPECT_EQ(count(*check, "SELECT COUNT(DISTINCT run_id) FROM " + table("baselinr_results")),
              kProcesses);
    // Each version recorded once, up to this build's.
    EXPECT_EQ(count(*check, "SELECT COUNT(*) FROM " + table("baselinr_schema_version")),
              kStorageSchemaVersion);
    EXPECT_EQ(count(*check, "SELECT MAX(version) FROM " + table("baselinr_schema_version")),
              kStorageSchemaVersion);
    // Two lifecycle events per process, every one stored by the sql hook.
    EXPECT_EQ(count(*check, "SELECT COUNT(*) FROM " + table("baselinr_events")), 2 * kProcesses);
  }
}

std::string engine_name(const ::testing::TestParamInfo<std::string>& param_info) {
  return param_info.param;
}

INSTANTIATE_TEST_SUITE_P(Engines, FreshStoreRace,
                         ::testing::ValuesIn(conformance::native_target_names()), engine_name);

}  // namespace
}  // namespace baselinr
