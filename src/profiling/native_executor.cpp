#include "profiling/native_executor.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>

#include "common/log.hpp"
#include "db/dialect/dialect.hpp"
#include "profiling/mysql_row_source.hpp"
#include "profiling/odbc_row_source.hpp"
#include "profiling/pg_row_source.hpp"
#include "profiling/sqlite_row_source.hpp"

namespace baselinr::profiling {
namespace {

// Rows copied out of a cursor (the cells, and the bytes of text and blobs), read back as a cursor:
// what the reading thread hands to the metric threads when one stream feeds them.
class RowBatch final : public db::RowCursor {
 public:
  static constexpr std::size_t kRows = 2048;

  void reset(int width) {
    width_ = width;
    rows_ = 0;
    at_ = static_cast<std::size_t>(-1);
    cells_.clear();
    bytes_.clear();
    spans_.clear();
  }
  bool full() const { return rows_ == kRows; }
  bool empty() const { return rows_ == 0; }
  // Copies the current row of `c`.
  void add(const db::RowCursor& c) {
    for (int i = 0; i < width_; ++i) {
      db::CellView v = c.cell(i);
      if (v.kind == db::CellView::Kind::kText || v.kind == db::CellView::Kind::kBlob) {
        spans_.push_back({cells_.size(), bytes_.size(), v.bytes.size()});
        bytes_.append(v.bytes);
        v.bytes = {};  // set by seal(): bytes_ may move while the batch fills
      }
      cells_.push_back(v);
    }
    ++rows_;
  }
  // Points the cells at their bytes, once the batch is complete.
  void seal() {
    for (const Span& s : spans_)
      cells_[s.cell].bytes = std::string_view(bytes_).substr(s.at, s.size);
  }

  bool next() override { return ++at_ < rows_; }
  int column_count() const override { return width_; }
  db::CellView cell(int column) const override {
    return cells_[at_ * static_cast<std::size_t>(width_) + static_cast<std::size_t>(column)];
  }

 private:
  struct Span {
    std::size_t cell, at, size;
  };
  int width_ = 0;
  std::size_t rows_ = 0;
  std::size_t at_ = static_cast<std::size_t>(-1);
  std::vector<db::CellView> cells_;
  std::string bytes_;
  std::vector<Span> spans_;
};

// Whether one thread reads every part of a source while others compute: a source read as one
// stream (one part: a MariaDB table without an integer key, a view) or on one connection (ODBC),
// when the profile has more than one thread.
bool one_reader(const RowSource& source, int threads) {
  return (source.parts() == 1 || source.threads() == 1) && threads >= 2;
}

// How many threads consume a source's rows (the metric engine's states): one per reading thread,
// except with one_reader(): max(1, threads - 1) of them, at most 3 (more states to merge and more
// memory for the hash sets gain nothing once the reading thread is the bound).
int consumer_threads(const RowSource& source, int threads) {
  if (one_reader(source, threads)) return std::clamp(threads - 1, 1, 3);
  return std::max(1, std::min<int>(source.threads(), static_cast<int>(source.parts())));
}

// How the rows are read and computed, for the debug log.
std::string reading_text(const RowSource& source, int threads) {
  const int consumers = consumer_threads(source, threads);
  if (one_reader(source, threads)) {
    return fmt::format("one thread reads, {} compute{}", consumers, consumers == 1 ? "s" : "");
  }
  return fmt::format("{} thread(s) each reading and computing", consumers);
}

// Reads every part of `source` into `consumer` (consume(thread, cursor, stop)), thread in
// [0, consumer_threads(source, threads)). Parts are spread over the source's threads, each
// thread reading and computing; with one_reader(), one thread reads them all and hands batches
// of rows to the consuming threads (a bounded queue: memory does not grow with the rows), so the
// metric work runs beside the stream instead of after each row. The first failure stops every
// thread within a batch of rows (abandoned cursors have the server stop their statements) and
// is rethrown once every thread has stopped.
template <class Consumer>
void read_parts(RowSource& source, int threads, const std::vector<std::size_t>& columns,
                Consumer& consumer) {
  const std::size_t parts = source.parts();
  std::atomic<bool> stop{false};
  std::mutex error_mutex;
  std::exception_ptr error;
  auto fail = [&] {
    std::lock_guard lock(error_mutex);
    if (!error) error = std::current_exception();
    stop = true;
  };
  const int consumers = consumer_threads(source, threads);
  if (!one_reader(source, threads)) {
    std::atomic<std::size_t> next{0};
    auto run = [&](int t) {
      try {
        for (std::size_t p = next++; p < parts && !stop; p = next++) {
          auto cursor = source.open(t, p, columns);
          consumer.consume(t, *cursor, &stop);
        }
      } catch (...) {
        fail();
        next = parts;
      }
    };
    {
      std::vector<std::jthread> pool;
      for (int t = 1; t < consumers; ++t) pool.emplace_back(run, t);
      run(0);
    }
    if (error) std::rethrow_exception(error);
    return;
  }

  // One reader: this thread reads the parts in order, `consumers` threads compute.
  std::mutex m;
  std::condition_variable ready, room;
  std::deque<std::unique_ptr<RowBatch>> filled, spare;
  bool finished = false;  // the reader is done (or stopped)
  const std::size_t in_flight = static_cast<std::size_t>(consumers) * 2 + 2;
  for (std::size_t i = 0; i < in_flight; ++i) spare.push_back(std::make_unique<RowBatch>());
  auto work = [&](int t) {
    for (;;) {
      std::unique_ptr<RowBatch> batch;
      {
        std::unique_lock lock(m);
        ready.wait(lock, [&] { return !filled.empty() || finished || stop; });
        if (filled.empty() || stop) return;
        batch = std::move(filled.front());
        filled.pop_front();
      }
      try {
        consumer.consume(t, *batch, &stop);
      } catch (...) {
        fail();
      }
      {
        std::lock_guard lock(m);
        spare.push_back(std::move(batch));
      }
      room.notify_one();
      if (stop) {
        // Under the lock: a thread about to wait has either seen `stop` or is waiting now.
        { std::lock_guard lock(m); }
        ready.notify_all();
        room.notify_all();
        return;
      }
    }
  };
  {
    std::vector<std::jthread> pool;
    for (int t = 0; t < consumers; ++t) pool.emplace_back(work, t);
    try {
      const int width = static_cast<int>(columns.size());
      auto take = [&] {
        std::unique_lock lock(m);
        room.wait(lock, [&] { return !spare.empty() || stop; });
        if (stop) return std::unique_ptr<RowBatch>();
        auto b = std::move(spare.front());
        spare.pop_front();
        return b;
      };
      auto hand = [&](std::unique_ptr<RowBatch> b) {
        b->seal();
        {
          std::lock_guard lock(m);
          filled.push_back(std::move(b));
        }
        ready.notify_one();
      };
      std::unique_ptr<RowBatch> batch = take();
      if (batch) batch->reset(width);
      for (std::size_t p = 0; p < parts && batch && !stop; ++p) {
        std::unique_ptr<db::RowCursor> cursor = source.open(0, p, columns);
        while (batch && !stop && cursor->next()) {
          batch->add(*cursor);
          if (batch->full()) {
            hand(std::move(batch));
            batch = take();
            if (batch) batch->reset(width);
          }
        }
      }
      if (batch && !batch->empty() && !stop) hand(std::move(batch));
    } catch (...) {
      fail();
    }
    {
      std::lock_guard lock(m);
      finished = true;
    }
    ready.notify_all();
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
  if (OdbcRowSource::is_odbc(connection)) {
    // An ODBC DSN can be any engine, a warehouse too, and no estimate of what a read would move
    // exists for most of them: auto keeps the server's aggregates (docs/CONFIGURATION.md).
    if (requested == Executor::kAuto) {
      return {false,
              "executor: auto; ODBC sources push down (a DSN can be any engine, a warehouse too; "
              "executor: native fetches PostgreSQL and MySQL/MariaDB rows with block cursors)"};
    }
    if (!row_local(d, scope)) {
      return {false, fmt::format("{}; the sampling is not a per-row filter (stratified, topk, a "
                                 "row cap or native TABLESAMPLE): pushdown",
                                 asked)};
    }
    if (std::string why = OdbcRowSource::unsupported(connection, target, columns, scope);
        !why.empty()) {
      return {false, fmt::format("{}; {}: pushdown", asked, why)};
    }
    return {true, fmt::format("{}; rows fetched through ODBC with block cursors on one "
                              "connection, in one snapshot",
                              asked)};
  }
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
  if (OdbcRowSource::is_odbc(connection_)) {
    source_ = OdbcRowSource::open(connection_, target, columns, scope);
  } else if (connection_.dialect().name() == "postgres") {
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
  options.threads = consumer_threads(*source_, threads_);
  options.finish_threads = threads_;
  options.expected_rows = source_->expected_rows();
  options.top_values = top_values;
  engine_ = std::make_unique<MetricEngine>(columns, *source_, options);
  const auto reading = std::chrono::steady_clock::now();
  try {
    read_parts(*source_, threads_, engine_->scan_columns(), *engine_);
  } catch (const NativeFallback& e) {
    engine_.reset();
    source_.reset();  // ends the read transactions: the SQL path takes its own snapshot
    declined_ = e.what();
    return std::nullopt;
  }
  const auto merging = std::chrono::steady_clock::now();
  NativeResult out;
  out.count = engine_->finish(out.aggregates);
  source_->present(out.aggregates);
  log().debug("native scan of {}: {}; {}; open {:.3f}s, read {:.3f}s, merge {:.3f}s",
              target.ref.display(), source_->describe(), reading_text(*source_, threads_), opened,
              std::chrono::duration<double>(merging - reading).count(), seconds_since(merging));
  return out;
}

std::vector<std::vector<std::int64_t>> NativeExecutor::histogram_pass(
    const TableTarget& target, const std::vector<ColumnSpec>& /*columns*/, const Scope& /*scope*/,
    const std::vector<HistogramRequest>& requests, int bins) {
  const auto started = std::chrono::steady_clock::now();
  if (auto kept = engine_->counted_histograms(requests, bins)) {
    log().debug("native histograms of {}: {} columns from the counted values of pass 1, {:.3f}s",
                target.ref.display(), requests.size(), seconds_since(started));
    return *kept;
  }
  HistogramBins bins_pass(requests, bins, consumer_threads(*source_, threads_));
  read_parts(*source_, threads_, bins_pass.scan_columns(), bins_pass);
  log().debug("native histograms of {}: {} columns, read {:.3f}s; {}", target.ref.display(),
              requests.size(), seconds_since(started), source_->describe());
  return bins_pass.finish();
}

}  // namespace baselinr::profiling
