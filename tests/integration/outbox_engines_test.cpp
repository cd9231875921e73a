// The outbox on every storage engine (SQLite, PostgreSQL, MariaDB), from the command line:
// events recorded with their runs, several `hooks deliver` processes at once sending each event
// once, and drift findings resolved once.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "common/subprocess.hpp"
#include "support/http_server.hpp"
#include "support/targets.hpp"
#include "support/testing.hpp"

namespace baselinr {
namespace {

using testing::HttpServer;
using testing::TempDir;

std::string yaml_text(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

class OutboxEngineTest : public ::testing::TestWithParam<std::string> {
 protected:
  TempDir dir;
  std::unique_ptr<conformance::Namespace> target;
  std::string prefix;  // qualifies the store's tables (PostgreSQL: the test's schema)

  void SetUp() override {
    target = std::make_unique<conformance::Namespace>(conformance::target(GetParam()), true);
    const ConnectionConfig c = target->config();
    if (c.type == DatabaseType::kPostgres) prefix = c.schema + ".";
  }

  std::string storage_yaml() {
    const ConnectionConfig c = target->config();
    std::string conn;
    if (c.type == DatabaseType::kSqlite) {
      conn = fmt::format("{{type: sqlite, filepath: {}}}", yaml_text((dir / "store.db").string()));
    } else {
      conn = fmt::format(
          "{{type: {}, host: {}, port: {}, database: {}, username: {}, password: {}}}",
          c.type == DatabaseType::kPostgres ? "postgres" : "mysql", yaml_text(c.host),
          c.port.value_or(0), yaml_text(c.database), yaml_text(c.username), yaml_text(c.password));
    }
    return fmt::format(
        "storage:\n  connection: {}\n  runs_table: {}baselinr_runs\n  results_table: "
        "{}baselinr_results\n  events_table: {}baselinr_events\n",
        conn, prefix, prefix, prefix);
  }

  std::filesystem::path config(const std::vector<std::string>& tables, const std::string& hooks) {
    std::string y = fmt::format("source:\n  type: sqlite\n  filepath: {}\n",
                                yaml_text((dir / "src.db").string())) +
                    storage_yaml() + "profiling:\n  tables:\n";
    for (const auto& t : tables) y += "    - table: " + t + "\n";
    y +=
        "hooks:\n  delivery: {backoff_base_seconds: 0.2, breaker_threshold: 1}\n  hooks:\n" + hooks;
    return dir.write("c.yml", y);
  }

  bool sqlite() const { return GetParam() == "sqlite"; }
  // Statements on the store (a server's admin connection is inside the test's namespace).
  db::Result store_query(const std::string& sql) {
    if (sqlite()) return testing::query_sqlite(dir / "store.db", sql);
    return target->admin().query(sql);
  }
  void store_exec(const std::string& sql) {
    if (sqlite()) {
      testing::open_sqlite(dir / "store.db")->execute(sql);
    } else {
      target->admin().execute(sql);
    }
  }
};

TEST_P(OutboxEngineTest, SeveralProcessesDeliverEachEventOnce) {
  {
    auto c = testing::open_sqlite(dir / "src.db");
    for (int i = 0; i < 6; ++i) {
      c->execute(fmt::format("CREATE TABLE t{} (x INTEGER)", i));
      c->execute(fmt::format("INSERT INTO t{} VALUES ({}), (2)", i, i));
    }
  }
  int port;
  {
    HttpServer probe;
    port = probe.port();
  }
  auto cfg = config({"t0", "t1", "t2", "t3", "t4", "t5"},
                    fmt::format("    - type: webhook\n      name: shared\n      url: "
                                "'http://127.0.0.1:{}/hook'\n",
                                port));
  auto r = testing::run_cli({"profile", "--config", cfg.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The destination was down: every event is pending; make them due now.
  auto pending = store_query(
      fmt::format("SELECT COUNT(*) FROM {}baselinr_deliveries WHERE status = 'pending'", prefix));
  ASSERT_EQ(db::as_int(pending.rows[0][0]), 12);
  store_exec(fmt::format(
      "UPDATE {}baselinr_deliveries SET next_attempt_at = '2000-01-01 00:00:00.000000'", prefix));
  std::set<std::string> recorded;
  for (const auto& row :
       store_query(fmt::format("SELECT event_id FROM {}baselinr_outbox", prefix)).rows) {
    recorded.insert(*db::as_text(row[0]));
  }
  ASSERT_EQ(recorded.size(), 12u);

  HttpServer server(port);
  server.set_delay_ms(30);
  std::vector<std::unique_ptr<Subprocess>> children;
  for (int i = 0; i < 4; ++i) {
    Subprocess::Options o;
    o.argv = {BASELINR_CLI_PATH, "hooks", "deliver", "--config", cfg.string(), "--budget", "60"};
    o.stdout_file = (dir / fmt::format("out{}", i)).string();
    o.stderr_file = (dir / fmt::format("err{}", i)).string();
    children.push_back(std::make_unique<Subprocess>(o));
  }
  for (auto& c : children) {
    const int status = c->wait();
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  auto ids = server.webhook_ids();
  EXPECT_EQ(std::multiset<std::string>(ids.begin(), ids.end()),
            std::multiset<std::string>(recorded.begin(), recorded.end()))
      << "each event exactly once";
  auto delivered = store_query(
      fmt::format("SELECT COUNT(*) FROM {}baselinr_deliveries WHERE status = 'delivered'", prefix));
  EXPECT_EQ(db::as_int(delivered.rows[0][0]), 12);
  r = testing::run_cli({"events", "--config", cfg.string(), "--output", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto events = nlohmann::json::parse(r.out);
  ASSERT_EQ(events.size(), 12u);
  for (const auto& e : events) EXPECT_EQ(e["deliveries"][0]["status"], "delivered") << e.dump();
}

TEST_P(OutboxEngineTest, DriftFindingsAreAlertedOnceAndResolvedOnce) {
  {
    auto c = testing::open_sqlite(dir / "src.db");
    c->execute("CREATE TABLE m (v REAL)");
    c->execute("INSERT INTO m VALUES (1), (2), (3), (4), (5), (6), (7), (8), (9), (10)");
  }
  HttpServer receiver;
  auto cfg = config({"m"}, fmt::format("    - type: webhook\n      name: alerts\n      url: '{}'\n"
                                       "      event_types: [DataDriftDetected]\n",
                                       receiver.url()));
  auto run = [&](std::vector<std::string> args) {
    args.insert(args.end(), {"--config", cfg.string()});
    auto r = testing::run_cli(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
  };
  run({"profile"});
  testing::open_sqlite(dir / "src.db")->execute("UPDATE m SET v = v * 3");
  run({"profile"});
  run({"drift", "--dataset", "m"});
  run({"drift", "--dataset", "m"});
  const std::size_t alerts = receiver.requests().size();
  ASSERT_EQ(alerts, 1u);  // mean, min, max, stddev up 200%: one finding of the column
  const auto detected = store_query(fmt::format(
      "SELECT COUNT(*) FROM {}baselinr_outbox WHERE event_type = 'DataDriftDetected'", prefix));
  EXPECT_EQ(static_cast<std::size_t>(*db::as_int(detected.rows[0][0])), alerts);
  run({"profile"});
  run({"drift", "--dataset", "m"});
  run({"drift", "--dataset", "m"});
  auto ids = receiver.webhook_ids();
  ASSERT_EQ(ids.size(), 2 * alerts);
  for (std::size_t i = alerts; i < ids.size(); ++i) {
    auto body = nlohmann::json::parse(receiver.requests()[i].body);
    EXPECT_EQ(body["event_type"], "DataDriftResolved");
  }
  auto open = store_query(
      fmt::format("SELECT COUNT(*) FROM {}baselinr_findings WHERE status = 'open'", prefix));
  EXPECT_EQ(db::as_int(open.rows[0][0]), 0);
  auto resolved = store_query(
      fmt::format("SELECT COUNT(*) FROM {}baselinr_findings WHERE status = 'resolved'", prefix));
  EXPECT_EQ(static_cast<std::size_t>(*db::as_int(resolved.rows[0][0])), alerts);
}

INSTANTIATE_TEST_SUITE_P(Engines, OutboxEngineTest,
                         ::testing::Values("sqlite", "postgres", "mariadb"),
                         [](const ::testing::TestParamInfo<std::string>& param_info) {
                           return param_info.param;
                         });

}  // namespace
}  // namespace baselinr
