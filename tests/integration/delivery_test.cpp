// Durable delivery from the command line, with real processes and local servers: retries and
// Retry-After measured by the receiving server, permanent failures, a destination that never
// answers, a destination down for the whole run, kill -9 at several points, several processes
// delivering at once, replay, and what `events` shows.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "common/subprocess.hpp"
#include "common/text.hpp"
#include "support/http_server.hpp"
#include "support/testing.hpp"

namespace baselinr {
namespace {

using testing::HttpResponse;
using testing::HttpServer;
using testing::TempDir;
using Clock = std::chrono::steady_clock;

class DeliveryTest : public ::testing::Test {
 protected:
  TempDir dir;

  // `tables` tables of three rows each in the source.
  void make_source(int tables) {
    auto c = testing::open_sqlite(dir / "src.db");
    for (int i = 0; i < tables; ++i) {
      c->execute(fmt::format("CREATE TABLE t{} (x INTEGER, y TEXT)", i));
      c->execute(fmt::format("INSERT INTO t{} VALUES (1, 'a'), (2, 'b'), ({}, 'c')", i, i + 3));
    }
  }

  std::filesystem::path config(int tables, const std::string& hooks,
                               const std::string& delivery = "") {
    std::vector<std::string> names;
    for (int i = 0; i < tables; ++i) names.push_back(fmt::format("t{}", i));
    std::string extra =
        "hooks:\n  delivery:\n    backoff_base_seconds: 0.2\n" + delivery + "  hooks:\n" + hooks;
    return dir.write("c.yml",
                     testing::sqlite_pipeline_yaml(dir / "src.db", dir / "store.db", names, extra));
  }

  static std::string webhook(const std::string& name, const std::string& url,
                             const std::string& more = "") {
    return fmt::format("    - type: webhook\n      name: {}\n      url: '{}'\n{}", name, url, more);
  }

  db::Result store_query(const std::string& sql) {
    return testing::query_sqlite(dir / "store.db", sql);
  }

  // Event ids in the outbox (of one type, or all).
  std::set<std::string> outbox_ids(const std::string& type = "") {
    std::string sql = "SELECT event_id FROM baselinr_outbox";
    if (!type.empty()) sql += " WHERE event_type = '" + type + "'";
    std::set<std::string> ids;
    for (const auto& row : store_query(sql).rows) ids.insert(std::get<std::string>(row[0]));
    return ids;
  }

  // status of each delivery of `hook`: event id -> (status, attempts)
  std::map<std::string, std::pair<std::string, std::int64_t>> deliveries(const std::string& hook) {
    std::map<std::string, std::pair<std::string, std::int64_t>> out;
    for (const auto& row : store_query("SELECT event_id, status, attempts FROM "
                                       "baselinr_deliveries WHERE hook_name = '" +
                                       hook + "'")
                               .rows) {
      out[std::get<std::string>(row[0])] = {std::get<std::string>(row[1]),
                                            std::get<std::int64_t>(row[2])};
    }
    return out;
  }
};

std::multiset<std::string> as_multiset(const std::vector<std::string>& ids) {
  return {ids.begin(), ids.end()};
}

TEST_F(DeliveryTest, FailsTwiceThenAcceptsDeliveredOnceAfterThreeAttempts) {
  make_source(1);
  HttpServer server;
  server.script({HttpResponse{.status = 500}, HttpResponse{.status = 502}});
  auto cfg = config(1, webhook("hook", server.url(), "      event_types: [ProfilingCompleted]\n"));
  auto r = testing::run_cli({"profile", "--config", cfg.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto ids = server.webhook_ids();
  ASSERT_EQ(ids.size(), 3u) << r.err;
  const std::set<std::string> completed = outbox_ids("ProfilingCompleted");
  ASSERT_EQ(completed.size(), 1u);
  for (const auto& id : ids) EXPECT_EQ(id, *completed.begin()) << "the same id on every attempt";
  auto d = deliveries("hook");
  EXPECT_EQ(d[*completed.begin()], std::make_pair(std::string("delivered"), std::int64_t{3}));
  // ProfilingStarted was refused by the hook's filter: recorded as filtered, never sent.
  EXPECT_EQ(d[*outbox_ids("ProfilingStarted").begin()].first, "filtered");
  EXPECT_EQ(r.err.find("failed for good"), std::string::npos) << r.err;
}

TEST_F(DeliveryTest, RetryAfterInSecondsIsWaitedForAsTheServerMeasuresIt) {
  make_source(1);
  HttpServer server;
  server.script({HttpResponse{.status = 429, .headers = {{"Retry-After", "2"}}}});
  auto cfg = config(1, webhook("hook", server.url(), "      event_types: [ProfilingCompleted]\n"));
  auto r = testing::run_cli({"profile", "--config", cfg.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 2u) << r.err;
  EXPECT_EQ(reqs[0].headers["webhook-id"], reqs[1].headers["webhook-id"]);
  EXPECT_GE(reqs[1].received - reqs[0].received, std::chrono::seconds(2));
  EXPECT_EQ(deliveries("hook")[reqs[0].headers["webhook-id"]].first, "delivered");
}

TEST_F(DeliveryTest, RetryAfterAsAnHttpDateIsWaitedFor) {
  make_source(1);
  HttpServer server;
  // Five whole seconds from now, as HTTP-dates have one-second resolution.
  const auto at = std::chrono::system_clock::time_point(std::chrono::ceil<std::chrono::seconds>(
                      std::chrono::system_clock::now().time_since_epoch())) +
                  std::chrono::seconds(5);
  const std::time_t t = std::chrono::system_clock::to_time_t(at);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char date[64];
  std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  server.script({HttpResponse{.status = 503, .headers = {{"Retry-After", date}}}});
  auto cfg = config(1, webhook("hook", server.url(), "      event_types: [ProfilingCompleted]\n"));
  auto r = testing::run_cli({"profile", "--config", cfg.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 2u) << r.err;
  EXPECT_LT(reqs[0].received, at);
  EXPECT_GE(reqs[1].received, at - std::chrono::milliseconds(20)) << date;
}

TEST_F(DeliveryTest, UnauthorizedFailsForGoodAtOnceAndLoudly) {
  make_source(1);
  HttpServer server;
  server.set_status(401);
  auto cfg = config(
      1, webhook("pager", server.url("/secret-path"), "      event_types: [ProfilingCompleted]\n"));
  auto r = testing::run_cli({"profile", "--config", cfg.string()});
  EXPECT_EQ(r.exit_code, 0) << "hook failures never fail the run";
  EXPECT_EQ(server.requests().size(), 1u) << "401 is not retried";
  auto d = deliveries("pager");
  EXPECT_EQ(d[*outbox_ids("ProfilingCompleted").begin()].first, "failed");
  EXPECT_NE(r.err.find("hook pager: 0 delivered, 1 failed for good; last error: webhook hook: the "
                       "server answered HTTP 401"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("secret-path"), std::string::npos);
  // Nothing is left to deliver.
  auto again = testing::run_cli({"hooks", "deliver", "--config", cfg.string()});
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST_F(DeliveryTest, MaxAttemptsGivesUpForGoodAfterThatManyRequests) {
  make_source(1);
  HttpServer server;
  server.set_status(500);
  auto cfg = config(1,
                    webhook("hook", server.url(),
                            "      event_types: [ProfilingCompleted]\n      max_attempts: 2\n"),
                    "    breaker_threshold: 10\n");
  auto r = testing::run_cli({"profile", "--config", cfg.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(server.requests().size(), 2u) << r.err;
  const auto id = *outbox_ids("ProfilingCompleted").begin();
  EXPECT_EQ(deliveries("hook")[id], std::make_pair(std::string("failed"), std::int64_t{2}));
  EXPECT_NE(r.err.find("failed for good after 2 attempts"), std::string::npos) << r.err;
  // Failed for good is final: a later `hooks deliver` sends nothing.
  server.set_status(200);
  auto again = testing::run_cli({"hooks", "deliver", "--config", cfg.string()});
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_EQ(server.requests().size(), 2u);
}

TEST_F(DeliveryTest, CircuitBreakerPausesAFailingHookAndLeavesTheRestPending) {
  make_source(4);
  HttpServer down, good;
  down.set_status(503);
  auto cfg = config(4,
                    webhook("down", down.url(), "      event_types: [ProfilingCompleted]\n") +
                        webhook("good", good.url(), "      event_types: [ProfilingCompleted]\n"),
                    "    breaker_threshold: 3\n    max_attempts: 100\n");
  auto r = testing::run_cli({"profile", "--config", cfg.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Three failures in a row, then no more requests to that destination in this command.
  EXPECT_EQ(down.requests().size(), 3u) << r.err;
  EXPECT_NE(r.err.find("hook down: 3 failures in a row; paused for the rest of this run"),
            std::string::npos)
      << r.err;
  const auto all = outbox_ids("ProfilingCompleted");
  ASSERT_EQ(all.size(), 4u);
  for (const auto& [id, status] : deliveries("down")) {
    if (all.count(id)) {
      EXPECT_EQ(status.first, "pending") << id;
    }
  }
  // The breaker is per hook: the other destination got every event.
  auto got = good.webhook_ids();
  EXPECT_EQ(std::set<std::string>(got.begin(), got.end()), all);
  // Back up: `hooks deliver` sends what was left, and each event is then delivered.
  down.set_status(200);
  auto d = testing::run_cli({"hooks", "deliver", "--config", cfg.string()});
  EXPECT_EQ(d.exit_code, 0) << d.out << d.err;
  for (const auto& [id, status] : deliveries("down")) {
    if (all.count(id)) {
      EXPECT_EQ(status.first, "delivered") << id;
    }
  }
}

TEST_F(DeliveryTest, MaxAgeGivesUpOnDeliveriesTooOldToMatter) {
  make_source(1);
  HttpServer server;
  server.set_status(503);
  auto cfg = config(1, webhook("hook", server.url(), "      event_types: [ProfilingCompleted]\n"),
                    "    max_age: 1s\n    breaker_threshold: 1\n");
  auto r = testing::run_cli({"profile", "--config", cfg.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto id = *outbox_ids("ProfilingCompleted").begin();
  ASSERT_EQ(deliveries("hook")[id].first, "pending") << r.err;
  const auto sent = server.requests().size();
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  server.set_status(200);
  auto d = testing::run_cli({"hooks", "deliver", "--config", cfg.string()});
  EXPECT_EQ(server.requests().size(), sent) << "an event older than max_age is not sent";
  EXPECT_EQ(deliveries("hook")[id].first, "failed") << d.err;
  auto err = store_query("SELECT last_error FROM baselinr_deliveries WHERE hook_name = 'hook'");
  ASSERT_EQ(err.rows.size(), 2u);  // ProfilingStarted (filtered) and ProfilingCompleted
  std::string errors;
  for (const auto& row : err.rows) {
    if (const auto* text = std::get_if<std::string>(&row[0])) errors += *text + "\n";
  }
  EXPECT_NE(errors.find("not delivered within max_age (1.0s); given up"), std::string::npos)
      << errors;
}

TEST_F(DeliveryTest, AHangingDestinationCostsTheBudgetAndDelaysNoOtherHook) {
  make_source(3);
  HttpServer silent, good;
  silent.set_hang(true);
  // Each attempt may wait 60 s for an answer: only the budget bounds the run.
  auto cfg = config(
      3,
      webhook("silent", silent.url(), "      timeout_seconds: 60\n") + webhook("good", good.url()),
      "    budget_seconds: 2\n");
  const auto start = Clock::now();
  auto r = testing::run_cli({"profile", "--config", cfg.string()});
  const auto took = Clock::now() - start;
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_LT(took, std::chrono::seconds(30)) << "bounded by the budget, not by 60 s per event";
  const auto all = outbox_ids();
  ASSERT_EQ(all.size(), 6u);
  auto got = good.webhook_ids();
  EXPECT_EQ(std::set<std::string>(got.begin(), got.end()), all);
  EXPECT_EQ(got.size(), 6u);
  EXPECT_NE(r.err.find("hook silent: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("pending"), std::string::npos) << r.err;
  // The destination answers again: `hooks deliver` sends the rest, each id at least once.
  silent.set_hang(false);
  auto d = testing::run_cli({"hooks", "deliver", "--config", cfg.string()});
  EXPECT_EQ(d.exit_code, 0) << d.out << d.err;
  auto ids = silent.webhook_ids();
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()), all);
  for (const auto& [id, status] : deliveries("silent")) EXPECT_EQ(status.first, "delivered") << id;
}

TEST_F(DeliveryTest, DestinationDownForTheWholeRunThenEveryEventOnce) {
  make_source(2);
  int port;
  {
    HttpServer probe;
    port = probe.port();
  }
  const std::string url = fmt::format("http://127.0.0.1:{}/hook", port);
  auto cfg = config(2, webhook("down", url), "    budget_seconds: 1\n");
  // Profiles and a drift run, all while the destination is down.
  ASSERT_EQ(testing::run_cli({"profile", "--config", cfg.string()}).exit_code, 0);
  testing::open_sqlite(dir / "src.db")->execute("UPDATE t0 SET x = x * 10");
  ASSERT_EQ(testing::run_cli({"profile", "--config", cfg.string()}).exit_code, 0);
  auto r = testing::run_cli({"drift", "--config", cfg.string(), "--dataset", "t0"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto d = testing::run_cli({"hooks", "deliver", "--config", cfg.string(), "--budget", "1"});
  EXPECT_EQ(d.exit_code, 4) << "still down: `hooks deliver` says a hook could not deliver";
  const auto all = outbox_ids();
  ASSERT_GT(outbox_ids("DataDriftDetected").size(), 0u);
  ASSERT_EQ(all.size(), 8u + outbox_ids("DataDriftDetected").size());
  for (const auto& [id, status] : deliveries("down")) EXPECT_EQ(status.first, "pending") << id;

  HttpServer up(port);
  // Retries wait for their time: deliver until everything went (a few runs at most).
  for (int i = 0; i < 10 && up.webhook_ids().size() < all.size(); ++i) {
    auto again = testing::run_cli({"hooks", "deliver", "--config", cfg.string(), "--budget", "5"});
    EXPECT_NE(again.exit_code, 3) << again.err;
  }
  auto ids = up.webhook_ids();
  EXPECT_EQ(as_multiset(ids), std::multiset<std::string>(all.begin(), all.end()))
      << "each event exactly once";
}

// A process killed at any point of its delivery loses nothing: the next `hooks deliver` sends
// what it had not settled (at most what was in flight is sent again, with the same id). The
// points are counted in requests the receiver has seen, not in time.
TEST_F(DeliveryTest, KillNineDuringDeliveryLosesNothing) {
  make_source(4);
  for (std::size_t kill_at : {1u, 3u, 6u}) {
    TempDir run_dir;
    HttpServer slow;
    slow.set_delay_ms(250);
    std::vector<std::string> names = {"t0", "t1", "t2", "t3"};
    auto cfg = run_dir.write(
        "c.yml", testing::sqlite_pipeline_yaml(
                     dir / "src.db", run_dir / "store.db", names,
                     "hooks:\n  delivery: {backoff_base_seconds: 0.2, budget_seconds: 30}\n"
                     "  hooks:\n" +
                         webhook("slow", slow.url())));
    auto run_and_kill = [&](std::vector<std::string> args, std::size_t requests) {
      Subprocess::Options o;
      o.argv = {BASELINR_CLI_PATH};
      o.argv.insert(o.argv.end(), args.begin(), args.end());
      o.argv.insert(o.argv.end(), {"--config", cfg.string()});
      o.stdout_file = (run_dir / "out").string();
      o.stderr_file = (run_dir / "err").string();
      Subprocess child(o);
      const auto give_up = Clock::now() + std::chrono::seconds(60);
      while (slow.requests().size() < requests && !child.try_wait() && Clock::now() < give_up) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      child.kill(SIGKILL);
      child.wait();
    };
    run_and_kill({"profile"}, kill_at);
    run_and_kill({"hooks", "deliver"}, slow.requests().size() + 2);
    auto done = testing::run_cli({"hooks", "deliver", "--config", cfg.string()});
    EXPECT_EQ(done.exit_code, 0) << done.out << done.err;
    std::set<std::string> recorded;
    for (const auto& row :
         testing::query_sqlite(run_dir / "store.db", "SELECT event_id FROM baselinr_outbox").rows) {
      recorded.insert(std::get<std::string>(row[0]));
    }
    EXPECT_GE(recorded.size(), kill_at) << "killed at request " << kill_at;
    auto received = slow.webhook_ids();
    std::set<std::string> distinct(received.begin(), received.end());
    EXPECT_EQ(distinct, recorded) << "nothing lost, killed at request " << kill_at;
    // Each of the two kills may repeat what it had in flight; nothing else is sent twice.
    EXPECT_LE(received.size(), recorded.size() + 2) << "killed at request " << kill_at;
    auto open = testing::query_sqlite(
        run_dir / "store.db",
        "SELECT COUNT(*) FROM baselinr_deliveries WHERE status <> 'delivered'");
    EXPECT_EQ(std::get<std::int64_t>(open.rows[0][0]), 0);
  }
}

// Several `hooks deliver` at once claim records, so no event is sent by two of them.
TEST_F(DeliveryTest, SeveralProcessesDeliveringAtOnceSendEachEventOnce) {
  make_source(12);
  int port;
  {
    HttpServer probe;
    port = probe.port();
  }
  auto cfg = config(12, webhook("shared", fmt::format("http://127.0.0.1:{}/hook", port)),
                    "    budget_seconds: 0\n    breaker_threshold: 1\n");
  ASSERT_EQ(testing::run_cli({"profile", "--config", cfg.string()}).exit_code, 0);
  const auto all = outbox_ids();
  ASSERT_EQ(all.size(), 24u);
  // Due now (the profile's one attempt scheduled a retry).
  testing::open_sqlite(dir / "store.db")
      ->execute("UPDATE baselinr_deliveries SET next_attempt_at = '2000-01-01 00:00:00.000000'");
  HttpServer server(port);
  server.set_delay_ms(40);
  std::vector<std::unique_ptr<Subprocess>> children;
  for (int i = 0; i < 4; ++i) {
    Subprocess::Options o;
    o.argv = {BASELINR_CLI_PATH, "hooks", "deliver", "--config", cfg.string(), "--budget", "30"};
    o.stdout_file = (dir / fmt::format("out{}", i)).string();
    o.stderr_file = (dir / fmt::format("err{}", i)).string();
    children.push_back(std::make_unique<Subprocess>(o));
  }
  for (auto& c : children) {
    int status = c->wait();
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  EXPECT_EQ(as_multiset(server.webhook_ids()), std::multiset<std::string>(all.begin(), all.end()));
}

TEST_F(DeliveryTest, ReplaySendsChosenEventsAgainWithTheirIds) {
  make_source(2);
  HttpServer a, b;
  auto cfg = config(2, webhook("a", a.url()) + webhook("b", b.url()));
  ASSERT_EQ(testing::run_cli({"profile", "--config", cfg.string()}).exit_code, 0);
  ASSERT_EQ(a.webhook_ids().size(), 4u);
  const std::string one = *outbox_ids("ProfilingCompleted").begin();
  auto r = testing::run_cli(
      {"hooks", "replay", "--config", cfg.string(), "--event-id", one, "--hook", "a"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("queued 1 deliveries again (a 1)"), std::string::npos) << r.out;
  ASSERT_EQ(a.webhook_ids().size(), 5u);
  EXPECT_EQ(a.webhook_ids().back(), one);
  EXPECT_EQ(b.webhook_ids().size(), 4u);
  r = testing::run_cli({"hooks", "replay", "--config", cfg.string(), "--since", "1h", "--type",
                        "ProfilingStarted", "--output", "json"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["queued"]["a"], 2);
  EXPECT_EQ(j["queued"]["b"], 2);
  EXPECT_EQ(b.webhook_ids().size(), 6u);
  const auto started = outbox_ids("ProfilingStarted");
  auto ids = b.webhook_ids();
  EXPECT_EQ(std::set<std::string>(ids.begin() + 4, ids.end()), started);
  // Usage errors.
  EXPECT_EQ(testing::run_cli({"hooks", "replay", "--config", cfg.string()}).exit_code, 2);
  EXPECT_EQ(testing::run_cli(
                {"hooks", "replay", "--config", cfg.string(), "--event-id", one, "--hook", "nope"})
                .exit_code,
            2);
  EXPECT_EQ(
      testing::run_cli({"hooks", "replay", "--config", cfg.string(), "--since", "soon"}).exit_code,
      2);
}

TEST_F(DeliveryTest, EventsShowsDeliveryStatusPerHookWithoutAnSqlHook) {
  make_source(1);
  HttpServer ok, refusing;
  refusing.set_status(403);
  auto cfg = config(1, webhook("ok", ok.url()) + webhook("refusing", refusing.url()) +
                           "    - type: logging\n      event_types: [ProfilingFailed]\n");
  ASSERT_EQ(testing::run_cli({"profile", "--config", cfg.string()}).exit_code, 0);
  auto r = testing::run_cli({"events", "--config", cfg.string(), "--output", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto events = nlohmann::json::parse(r.out);
  ASSERT_EQ(events.size(), 2u);
  for (const auto& e : events) {
    std::map<std::string, std::string> status;
    for (const auto& d : e["deliveries"]) status[d["hook"]] = d["status"];
    EXPECT_EQ(status, (std::map<std::string, std::string>{
                          {"ok", "delivered"}, {"refusing", "failed"}, {"logging[2]", "filtered"}}))
        << e.dump();
  }
  r = testing::run_cli({"events", "--config", cfg.string()});
  EXPECT_NE(r.out.find("logging[2]:filtered ok:delivered refusing:failed"), std::string::npos)
      << r.out;
}

// The synthetic event of `hooks test` is marked as a test and never listed among real events, even
// when a sql hook writes it into the store's own events table.
TEST_F(DeliveryTest, HooksTestEventsAreMarkedAndNeverListed) {
  make_source(1);
  auto cfg = config(1, fmt::format("    - type: sql\n      name: audit\n      table_name: "
                                   "baselinr_events\n      connection: {{type: sqlite, filepath: "
                                   "'{}'}}\n",
                                   (dir / "store.db").string()));
  auto r = testing::run_cli({"hooks", "test", "--config", cfg.string(), "--output", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::string test_id = nlohmann::json::parse(r.out)["event_id"];
  auto stored = store_query("SELECT event_id, metadata FROM baselinr_events");
  ASSERT_EQ(stored.rows.size(), 1u);
  EXPECT_EQ(std::get<std::string>(stored.rows[0][0]), test_id);
  EXPECT_EQ(nlohmann::json::parse(std::get<std::string>(stored.rows[0][1]))["test"], true);
  auto listed = testing::run_cli({"events", "--config", cfg.string(), "--output", "json"});
  EXPECT_EQ(nlohmann::json::parse(listed.out).size(), 0u) << listed.out;
  // Real events are listed, once each, although the sql hook writes to the same table.
  ASSERT_EQ(testing::run_cli({"profile", "--config", cfg.string()}).exit_code, 0);
  listed = testing::run_cli({"events", "--config", cfg.string(), "--output", "json"});
  auto events = nlohmann::json::parse(listed.out);
  ASSERT_EQ(events.size(), 2u) << listed.out;
  for (const auto& e : events) {
    EXPECT_NE(e["event_id"], test_id);
    EXPECT_EQ(e["deliveries"][0]["status"], "delivered") << e.dump();
  }
  EXPECT_EQ(store_query("SELECT COUNT(*) FROM baselinr_events").rows[0][0],
            db::Value(std::int64_t{3}));
  EXPECT_EQ(testing::run_cli({"events", "--config", cfg.string(), "--type", "Bogus"}).exit_code, 2);
}

}  // namespace
}  // namespace baselinr
