// What every conformance test file shares: one namespace per target per process (created on
// first use, dropped after the suite), a pipeline Config on a target, and profiling through
// counting connections. A test suite derives from EngineTest and is instantiated over
// target_names() (or a subset).
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "baselinr/config.hpp"
#include "baselinr/event_bus.hpp"
#include "baselinr/profiler.hpp"
#include "dataset.hpp"
#include "support/targets.hpp"

namespace baselinr::conformance {

struct Profiled {
  std::vector<TableOutcome> outcomes;
  std::vector<int> queries;  // statements through Connection::query(), per table
};

// Profiles through counting connections; with one worker, the progress callback sees each
// table's statements separately.
Profiled profile(const Config& config, ResultSink* sink = nullptr, EventBus* bus = nullptr,
                 Executor executor = Executor::kAuto);

std::string param_name(const ::testing::TestParamInfo<std::string>& info);

class EngineTest : public ::testing::TestWithParam<std::string> {
 public:
  // Drops every namespace this process created.
  static void TearDownTestSuite();

 protected:
  const Target& target() const { return conformance::target(GetParam()); }
  const Quirks& quirks() const { return target().quirks; }
  // This process's namespace on the target, created on first use.
  Namespace& ns();

  ExpectOptions expect_options() const { return {.bins = 10}; }
  ExpectedMetrics expected(const Column& column) const {
    return expected_metrics(column, quirks().type(column.type).type_class, expect_options());
  }

  // A pipeline on this target: the source is the namespace; the storage tables, prefixed, are in
  // `storage` (by default the namespace too). One worker.
  Config pipeline(const std::vector<std::string>& tables, const std::string& storage_prefix,
                  Namespace* storage = nullptr);

  std::int64_t row_count(const std::string& table);
  // An identifier quoted by the target's dialect.
  std::string q(const std::string& identifier);
  // `sql` with "?" placeholders turned into the dialect's.
  std::string placeholders(const std::string& sql);
  // The single value of a query on the admin connection.
  db::Value scalar(const std::string& sql, const std::vector<db::Value>& params = {});
};

}  // namespace baselinr::conformance
