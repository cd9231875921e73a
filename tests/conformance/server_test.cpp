// Server engines (PostgreSQL, MariaDB, natively and through ODBC): sessions that end mid-run
// and servers that never answer. A broken storage connection is re-opened once before a run is
// given up, and every connector honours the connect and query timeouts it documents.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "baselinr/error.hpp"
#include "baselinr/profiler.hpp"
#include "baselinr/storage.hpp"
#include "dataset.hpp"
#include "db/connection.hpp"
#include "suite.hpp"
#include "support/silent_server.hpp"
#include "support/targets.hpp"

namespace baselinr::conformance {
namespace {

class ServerExactness : public EngineTest {
 protected:
  // Ends every session on `database` but the admin connections' own.
  void end_sessions(const std::string& database) {
    db::Connection& admin = ns().admin();
    if (GetParam().starts_with("postgres")) {
      admin.query(placeholders("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                               "datname = ? AND pid <> pg_backend_pid()"),
                  std::vector<db::Value>{database});
      return;
    }
    db::Result ids = admin.query(
        placeholders("SELECT ID FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> "
                     "CONNECTION_ID()"),
        std::vector<db::Value>{database});
    for (const auto& row : ids.rows) {
      try {
        admin.execute("KILL " + std::to_string(db::as_int(row.at(0)).value_or(0)));
      } catch (const QueryError&) {
        // The session ended by itself meanwhile (ER_NO_SUCH_THREAD).
      }
    }
  }
  // The extra_params key of this target's connector for a connect timeout.
  std::string connect_timeout_key() const {
    const ConnectionConfig c = target().server();
    if (c.type == DatabaseType::kOdbc) return "login_timeout";
    return "connect_timeout";
  }
};

std::vector<std::string> server_targets() {
  std::vector<std::string> out;
  for (const std::string& name : target_names()) {
    if (target(name).isolation != Isolation::kFile) out.push_back(name);
  }
  return out;
}

// The storage session ends between two tables of one run (the server's idle_session_timeout, a
// restart or KILL do that): the store opens a new connection once, and no run is lost.
TEST_P(ServerExactness, AStorageSessionEndedMidRunIsReopenedOnce) {
  Dataset small{"s1", {{"x", Logical::kInt32, {std::int64_t{1}, std::int64_t{2}}}}};
  load(ns(), small);
  small.table = "s2";
  load(ns(), small);
  small.table = "s3";
  load(ns(), small);
  // The store in a database of its own, so that only its sessions are ended.
  const std::string store_db = ns().name() + "_st";
  ns().admin().execute("CREATE DATABASE " + q(store_db));
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
  } drop{ns().admin(), GetParam().starts_with("postgres")
                           ? "DROP DATABASE " + q(store_db) + " WITH (FORCE)"
                           : "DROP DATABASE " + q(store_db)};
  Config config = pipeline({"s1", "s2", "s3"}, "rc");
  config.storage.connection = ns().config();
  config.storage.connection.database = store_db;
  config.storage.connection.schema = GetParam().starts_with("postgres") ? "public" : "";
  config.storage.runs_table = "rc_runs";
  config.storage.results_table = "rc_results";
  config.storage.events_table = "rc_events";
  RunStore store(config.storage, config.environment);
  Profiler profiler(config, nullptr, &store);
  profiler.set_progress([&](const TableOutcome&, std::size_t done, std::size_t total) {
    if (done < total) end_sessions(store_db);
  });
  const std::vector<TableOutcome> outcomes = profiler.profile();
  ASSERT_EQ(outcomes.size(), 3u);
  for (const auto& o : outcomes) EXPECT_TRUE(o.ok()) << o.table << ": " << o.error;
  std::vector<RunRecord> runs = store.list_runs({});
  EXPECT_EQ(runs.size(), 3u);
  // The column's metrics and the table-level ones (row_count, ...), stored with no column.
  const std::size_t metrics =
      outcomes[0].result->columns.at(0).metrics.size() + outcomes[0].result->table_metrics.size();
  for (const auto& run : runs) EXPECT_EQ(store.results(run).size(), metrics) << run.dataset_name;
  // Reads reconnect too.
  end_sessions(store_db);
  EXPECT_EQ(store.list_runs({}).size(), 3u);
}

// A server that accepts the TCP connection and never says a word: every connector gives up
// after the connect timeout it documents (MariaDB's Connector/ODBC ignores ODBC's login timeout
// and waited forever), with a connection error.
TEST_P(ServerExactness, ASilentServerFailsTheConnectAfterTheTimeout) {
  testing::SilentServer silent;
  ConnectionConfig c = target().server();
  c.host = "127.0.0.1";
  c.port = silent.port();
  c.extra_params[connect_timeout_key()] = "2";
  // A connector that hangs must not hang the test: the thread is joined once it answered, and
  // left behind otherwise (ctest runs each test in a process of its own, which ends with it).
  // Joined, its per-thread library state (OpenSSL's) is freed before the leak check runs.
  auto outcome = std::make_shared<std::promise<std::string>>();
  std::future<std::string> done = outcome->get_future();
  std::thread connecting([c, outcome] {
    try {
      db::connect(c);
      outcome->set_value("connected");
    } catch (const ConnectionError& e) {
      outcome->set_value("");
    } catch (const std::exception& e) {
      outcome->set_value(std::string("not a ConnectionError: ") + e.what());
    }
  });
  // Liveness only: far beyond the timeout, so that a loaded machine never fails it.
  if (done.wait_for(std::chrono::seconds(120)) != std::future_status::ready) {
    connecting.detach();
    FAIL() << "still connecting after 120 s with a 2 s timeout";
  }
  connecting.join();
  EXPECT_EQ(done.get(), "");
}

// A statement that runs longer than the query timeout the connector documents is stopped, with
// an error, and the connection is not left waiting.
TEST_P(ServerExactness, AQueryTimeoutStopsALongStatement) {
  ConnectionConfig c = ns().config();
  std::string sleep_sql;
  if (c.type == DatabaseType::kOdbc) {
    c.extra_params["query_timeout"] = "1";
  } else if (c.type == DatabaseType::kPostgres) {
    c.extra_params["options"] = "-c statement_timeout=1000";
  } else {
    c.extra_params["read_timeout"] = "1";
  }
  sleep_sql = GetParam().starts_with("postgres") ? "SELECT pg_sleep(30)" : "SELECT SLEEP(30)";
  auto conn = db::connect(c);
  auto attempt = std::async(std::launch::async, [&] { return conn->query(sleep_sql); });
  ASSERT_EQ(attempt.wait_for(std::chrono::seconds(25)), std::future_status::ready)
      << "a 30 s statement ran on past a 1 s timeout";
  try {
    db::Result r = attempt.get();
    // MariaDB interrupts SLEEP() itself: it returns 1 instead of 0 when cut short.
    ADD_FAILURE() << "the statement finished: " << db::as_text(r.rows.at(0).at(0)).value_or("");
  } catch (const DatabaseError& e) {
    SUCCEED() << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(Servers, ServerExactness, ::testing::ValuesIn(server_targets()),
                         param_name);

}  // namespace
}  // namespace baselinr::conformance
