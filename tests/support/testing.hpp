// The shared testing library: temporary SQLite databases, a hook that captures events, a
// runner for the baselinr binary, connection wrappers that count queries or inject faults.
#pragma once

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "baselinr/config.hpp"
#include "baselinr/hook.hpp"
#include "baselinr/profiler.hpp"
#include "db/connection.hpp"

namespace baselinr::testing {

// A fresh directory under /tmp, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }
  // Writes a file under the directory and returns its path.
  std::filesystem::path write(const std::string& name, const std::string& content) const;

 private:
  std::filesystem::path path_;
};

ConnectionConfig sqlite_config(const std::filesystem::path& file);
// Opens (creating) a SQLite database for setting up fixtures.
std::unique_ptr<db::Connection> open_sqlite(const std::filesystem::path& file);
// Runs one or more statements.
void exec(db::Connection& connection, const std::string& sql);
// A minimal valid config for a SQLite source and storage, with `tables` to profile.
Config sqlite_pipeline_config(const std::filesystem::path& source,
                              const std::filesystem::path& storage,
                              const std::vector<std::string>& tables);
// A pipeline from any source into a SQLite store at `storage`, profiling `tables` with one
// worker (so a test sees each table's statements in order); the rest at its defaults.
Config pipeline_config(const ConnectionConfig& source, const std::filesystem::path& storage,
                       const std::vector<std::string>& tables);
// The YAML text of the same configuration.
std::string sqlite_pipeline_yaml(const std::filesystem::path& source,
                                 const std::filesystem::path& storage,
                                 const std::vector<std::string>& tables,
                                 const std::string& extra = "");

// The quantiles/top-values statements the pushed-down SQL ran for `r`: one per column that got
// either summary (exact with the default metrics: a column gets its statement exactly when it
// has a value and wants quantiles, or top values it is allowed to keep). `quantiles_in_scalar`:
// the engine computes the quantiles in the scalar statement (PostgreSQL: percentile_disc), so only
// the columns with top values get a statement.
int summary_statements(const ProfilingResult& r, bool quantiles_in_scalar = false);

// Every metric of `b` equals `a`'s, in the same order: the same text, doubles to 1e-12 relative
// (summation order differs between executors); the same row count and columns.
void expect_same_metrics(const ProfilingResult& a, const ProfilingResult& b);

// A connection as a YAML flow mapping ({type: postgres, host: '...', ...}): the keys that are set,
// values single-quoted.
std::string connection_yaml(const ConnectionConfig& connection);

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
// Runs the baselinr binary with `args`; `env` entries are added to the environment.
CliResult run_cli(const std::vector<std::string>& args,
                  const std::map<std::string, std::string>& env = {});
// Runs the binary with its stderr on a pseudo-terminal (stdout to a file, stdin /dev/null):
// `err` holds everything the terminal received.
CliResult run_cli_on_terminal(const std::vector<std::string>& args,
                              const std::map<std::string, std::string>& env = {});
// Runs any program the same way.
CliResult run_program(const std::string& program, const std::vector<std::string>& args,
                      const std::map<std::string, std::string>& env = {});

// Records every event it receives (thread-safe).
class CapturingHook final : public Hook {
 public:
  struct Log {
    std::mutex mutex;
    std::vector<Event> events;
  };
  explicit CapturingHook(std::shared_ptr<Log> log) : log_(std::move(log)) {}
  void handle_event(const Event& event) override {
    std::lock_guard lock(log_->mutex);
    log_->events.push_back(event);
  }

 private:
  std::shared_ptr<Log> log_;
};

// A hook that always throws.
class ThrowingHook final : public Hook {
 public:
  void handle_event(const Event&) override;
};

// Counts the statements that go through query() (profiling queries; introspection goes through
// columns()).
class CountingConnection final : public db::ConnectionWrapper {
 public:
  CountingConnection(std::unique_ptr<db::Connection> inner, std::shared_ptr<std::atomic<int>> n)
      : ConnectionWrapper(std::move(inner)), queries_(std::move(n)) {}
  db::Result query(std::string_view sql, std::span<const db::Value> params = {}) override {
    ++*queries_;
    return ConnectionWrapper::query(sql, params);
  }

 private:
  std::shared_ptr<std::atomic<int>> queries_;
};

// Fails the Nth execution of any prepared statement (and every later one) with a QueryError,
// as a disk or network failure in the middle of a write would.
class FaultyConnection final : public db::ConnectionWrapper {
 public:
  FaultyConnection(std::unique_ptr<db::Connection> inner, int fail_at)
      : ConnectionWrapper(std::move(inner)), fail_at_(fail_at) {}
  std::unique_ptr<db::Statement> prepare(std::string_view sql) override;
  void execute(std::string_view sql, std::span<const db::Value> params = {}) override;
  int executions() const { return count_; }

 private:
  void tick();
  int fail_at_;
  int count_ = 0;
  friend class FaultyStatement;
};

// Reads a scalar from a SQLite file (for assertions).
db::Result query_sqlite(const std::filesystem::path& file, const std::string& sql);

// Environment variable that the test script must provide; the test FAILS (never skips) when
// it is missing.
std::string required_env(const char* name);

}  // namespace baselinr::testing
