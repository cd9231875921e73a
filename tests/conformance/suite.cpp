#include "suite.hpp"

#include <atomic>
#include <map>
#include <memory>

#include "db/connection.hpp"
#include "db/dialect/dialect.hpp"
#include "support/testing.hpp"

namespace baselinr::conformance {
namespace {

std::map<std::string, std::unique_ptr<Namespace>>& namespaces() {
  static std::map<std::string, std::unique_ptr<Namespace>> all;
  return all;
}

}  // namespace

Profiled profile(const Config& config, ResultSink* sink, EventBus* bus, Executor executor) {
  auto counter = std::make_shared<std::atomic<int>>(0);
  Profiler profiler(
      config,
      [&config, counter] {
        return std::make_unique<testing::CountingConnection>(
            db::connect(config.source, {.read_only = true}), counter);
      },
      bus, sink);
  profiler.set_executor(executor);
  Profiled out;
  int seen = 0;
  profiler.set_progress([&](const TableOutcome&, std::size_t, std::size_t) {
    const int now = counter->load();
    out.queries.push_back(now - seen);
    seen = now;
  });
  out.outcomes = profiler.profile();
  return out;
}

std::string param_name(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

void EngineTest::TearDownTestSuite() { namespaces().clear(); }

Namespace& EngineTest::ns() {
  std::unique_ptr<Namespace>& n = namespaces()[GetParam()];
  if (!n) n = std::make_unique<Namespace>(target());
  return *n;
}

Config EngineTest::pipeline(const std::vector<std::string>& tables,
                            const std::string& storage_prefix, Namespace* storage) {
  Namespace& st = storage ? *storage : ns();
  Config config;
  config.environment = "conformance";
  config.source = ns().config();
  config.storage.connection = st.config();
  config.storage.runs_table = st.storage_name(storage_prefix + "_runs");
  config.storage.results_table = st.storage_name(storage_prefix + "_results");
  config.storage.events_table = st.storage_name(storage_prefix + "_events");
  for (const auto& t : tables) config.profiling.tables.push_back({.table = t});
  config.profiling.max_workers = 1;
  return config;
}

std::int64_t EngineTest::row_count(const std::string& table) {
  return db::as_int(scalar("SELECT COUNT(*) FROM " + ns().sql(table))).value_or(-1);
}

std::string EngineTest::q(const std::string& identifier) {
  return ns().admin().dialect().quote_identifier(identifier);
}

std::string EngineTest::placeholders(const std::string& sql) {
  std::string out;
  std::size_t n = 0;
  for (char c : sql) {
    if (c == '?') {
      out += ns().admin().dialect().placeholder(++n);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

db::Value EngineTest::scalar(const std::string& sql, const std::vector<db::Value>& params) {
  db::Result r = ns().admin().query(sql, params);
  if (r.rows.size() != 1 || r.rows[0].size() != 1) {
    ADD_FAILURE() << "expected one value from: " << sql;
    return std::monostate{};
  }
  return r.rows[0][0];
}

}  // namespace baselinr::conformance
