#include "profiling/native_executor.hpp"

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <exception>
#include <mutex>
#include <thread>

#include "common/log.hpp"
#include "db/dialect/dialect.hpp"
#include "profiling/mysql_row_source.hpp"
#include "profiling/pg_row_source.hpp"
#include "profiling/sqlite_row_source.hpp"

namespace baselinr::profiling {
namespace {

// Reads every part of `source` into `consumer` (consume(thread, cursor, stop)), the parts spread
// over the source's threads. The first failure stops the other threads within a batch of rows
// (their cursors are abandoned: the sources have the server stop those statements) and is
// rethrown once every thread has stopped.
template <class Consumer>
void read_parts(RowSource& source, const std::vector<std::size_t>& columns, Consumer& consumer) {
  const std::size_t parts = source.parts();
  std::atomic<std::size_t> next{0};
  std::atomic<bool> stop{false};
  std::mutex error_mutex;
  std::exception_ptr error;
  auto run = [&](int t) {
    try {
      for (std::size_t p = next++; p < parts && !stop; p = next++) {
        auto cursor = source.open(t, p, columns);
        consumer.consume(t, *cursor, &stop);
      }
    } catch (...) {
      std::lock_guard lock(error_mutex);
      if (!error) error = std::current_exception();
      next = parts;
      stop = true;
    }
  };
  const int n = std::max(1, std::min<int>(source.threads(), static_cast<int>(parts)));
  {
    std::vector<std::jthread> pool;
    for (int t = 1; t < n; ++t) pool.emplace_back(run, t);
    run(0);
  }
  if (error) std::rethrow_exception(error);
}

// "1.23 GB (1234567890 bytes)": decimal units, as the budget is usually written.
std::string byte_text(std::int64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "kB", "MB", "GB", "TB", "PB"};
  double v = static_cast<double>(bytes);
  std::size_t u = 0;
  while (v >= 1000.0 && u + 1 < std::size(kUnits)) {
    v /= 1000.0;
    ++u;
  }
  if (u == 0) return fmt::format("{} B", bytes);
  return fmt::format("{:.3g} {} ({} bytes)", v, kUnits[u], bytes);
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

std::int64_t transfer_budget(const Config& config, const TableTarget& target) {
  if (target.config && target.config->transfer_budget) return *target.config->transfer_budget;
  return config.profiling.transfer_budget;
}

ExecutorChoice choose_executor(db::Connection& connection, const TableTarget& target,
                               const std::vector<ColumnSpec>& columns, const Scope& scope,
                               Executor requested, std::int64_t transfer_budget) {
  if (requested == Executor::kSql) return {false, "executor: pushdown"};
  const db::Dialect& d = connection.dialect();
  const std::string asked = requested == Executor::kNative ? "executor: native" : "executor: auto";
  if (d.name() != "sqlite" && d.name() != "postgres" && d.name() != "mysql") {
    return {false, fmt::format("{}; no native row source for {} yet: pushdown", asked, d.name())};
  }
  if (!row_local(d, scope)) {
    return {false, fmt::format("{}; the sampling is not a per-row filter (stratified, topk, a "
                               "row cap or native TABLESAMPLE): pushdown",
                               asked)};
  }
  if (d.name() == "sqlite") {
    return {true, fmt::format("{}; SQLite runs in process: one read of the rows with hash sets "
                              "beats its sorting aggregates",
                              asked)};
  }
  if (d.name() == "mysql") {
    if (std::string why = MysqlRowSource::unsupported(connection, target, columns); !why.empty()) {
      return {false, fmt::format("{}; {}: pushdown", asked, why)};
    }
    static constexpr const char* kHow =
        "MySQL/MariaDB rows streamed unbuffered (key ranges on snapshots started together)";
    if (requested == Executor::kAuto) {
      const MysqlRowSource::TransferEstimate e =
          MysqlRowSource::estimate_transfer(connection, target, columns, scope);
      if (e.method.empty()) {
        return {false,
                "executor: auto; no size estimate for a view, so no bound on what streaming it "
                "would move: pushdown (executor: native streams it)"};
      }
      const std::string facts =
          fmt::format("estimated transfer {} (~{} rows, from {}), transfer_budget {}",
                      byte_text(e.bytes), e.rows, e.method, byte_text(transfer_budget));
      if (e.bytes > transfer_budget) {
        return {false, fmt::format("executor: auto; {}: over the budget, pushdown", facts)};
      }
      return {true, fmt::format("executor: auto; {}: {}", facts, kHow)};
    }
    return {true, fmt::format("{}; {}", asked, kHow)};
  }
  if (std::string why = PgRowSource::unsupported(connection, target, columns); !why.empty()) {
    return {false, fmt::format("{}; {}: pushdown", asked, why)};
  }
  if (requested == Executor::kAuto) {
    const PgRowSource::TransferEstimate e =
        PgRowSource::estimate_transfer(connection, target, columns, scope);
    if (e.method.empty()) {
      return {false,
              "executor: auto; no size estimate for a view or foreign table, so no bound on what "
              "streaming it would move: pushdown (executor: native streams it)"};
    }
    const std::string facts =
        fmt::format("estimated transfer {} (~{} rows, from {}), transfer_budget {}",
                    byte_text(e.bytes), e.rows, e.method, byte_text(transfer_budget));
    if (e.bytes > transfer_budget) {
      return {false, fmt::format("executor: auto; {}: over the budget, pushdown", facts)};
    }
    return {true, fmt::format("executor: auto; {}: PostgreSQL rows streamed with binary COPY on "
                              "one snapshot",
                              facts)};
  }
  return {true,
          fmt::format("{}; PostgreSQL rows streamed with binary COPY on one snapshot", asked)};
}

NativeExecutor::NativeExecutor(db::Connection& connection, const ConnectionFactory* factory,
                               int threads)
    : connection_(connection), factory_(factory), threads_(std::max(1, threads)) {}

NativeExecutor::~NativeExecutor() {
  engine_.reset();
  source_.reset();  // ends the read transactions
}

std::optional<NativeResult> NativeExecutor::scalar_pass(const TableTarget& target,
                                                        const std::vector<ColumnSpec>& columns,
                                                        const Scope& scope, DistinctMode distinct,
                                                        int top_values) {
  const auto started = std::chrono::steady_clock::now();
  engine_.reset();
  source_.reset();
  declined_.clear();
  if (connection_.dialect().name() == "postgres") {
    source_ = PgRowSource::open(connection_, factory_, threads_, target, columns, scope);
  } else if (connection_.dialect().name() == "mysql") {
    source_ = MysqlRowSource::open(connection_, factory_, threads_, target, columns, scope);
  } else {
    source_ = SqliteRowSource::open(connection_, factory_, threads_, target, columns, scope);
  }
  if (!source_) {
    declined_ = "the native executor cannot read this object";
    return std::nullopt;
  }
  const double opened = seconds_since(started);

  EngineOptions options;
  options.distinct = distinct;
  options.threads = source_->threads();
  options.expected_rows = source_->expected_rows();
  options.top_values = top_values;
  engine_ = std::make_unique<MetricEngine>(columns, *source_, options);
  const auto reading = std::chrono::steady_clock::now();
  try {
    read_parts(*source_, engine_->scan_columns(), *engine_);
  } catch (const NativeFallback& e) {
    engine_.reset();
    source_.reset();  // ends the read transactions: the SQL path takes its own snapshot
    declined_ = e.what();
    return std::nullopt;
  }
  const auto merging = std::chrono::steady_clock::now();
  NativeResult out;
  out.count = engine_->finish(out.aggregates);
  log().debug("native scan of {}: {}; open {:.3f}s, read {:.3f}s, merge {:.3f}s",
              target.ref.display(), source_->describe(), opened,
              std::chrono::duration<double>(merging - reading).count(), seconds_since(merging));
  return out;
}

std::vector<std::vector<std::int64_t>> NativeExecutor::histogram_pass(
    const TableTarget& target, const std::vector<ColumnSpec>& /*columns*/, const Scope& /*scope*/,
    const std::vector<HistogramRequest>& requests, int bins) {
  const auto started = std::chrono::steady_clock::now();
  if (auto kept = engine_->buffered_histograms(requests, bins)) {
    log().debug("native histograms of {}: {} columns from the values kept by pass 1, {:.3f}s",
                target.ref.display(), requests.size(), seconds_since(started));
    return *kept;
  }
  HistogramBins bins_pass(requests, bins, source_->threads());
  read_parts(*source_, bins_pass.scan_columns(), bins_pass);
  log().debug("native histograms of {}: {} columns, read {:.3f}s; {}", target.ref.display(),
              requests.size(), seconds_since(started), source_->describe());
  return bins_pass.finish();
}

}  // namespace baselinr::profiling
