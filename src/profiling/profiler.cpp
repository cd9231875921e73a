#include "baselinr/profiler.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include "baselinr/error.hpp"
#include "baselinr/event_bus.hpp"
#include "common/log.hpp"
#include "db/connection.hpp"
#include "db/dialect/dialect.hpp"
#include "profiling/table_metrics.hpp"
#include "profiling/table_profiler.hpp"

namespace baselinr {
namespace {

ConnectionFactory default_factory(const Config& config) {
  return [&config] { return db::connect(config.source, {.read_only = true}); };
}

// Features the source engine cannot do are refused before any table runs, loudly.
void refuse_unsupported(const Config& config, const std::vector<std::size_t>& selected,
                        const db::Dialect& dialect) {
  for (std::size_t i : selected) {
    const TableConfig& t = config.profiling.tables[i];
    const SourceLocation& loc = t.location;
    const bool random_filter = t.sampling && t.sampling->enabled &&
                               t.sampling->method == SamplingMethod::kRandom &&
                               !dialect.native_sampling();
    const bool needs_row_hash =
        (t.sampling && t.sampling->enabled &&
         (random_filter || t.sampling->method != SamplingMethod::kRandom ||
          t.sampling->max_rows)) ||
        (t.partition && t.partition->strategy == PartitionStrategy::kSample);
    if (needs_row_hash) {
      db::ParamList probe(dialect);
      try {
        dialect.row_uniform({"x"}, 0, probe);
      } catch (const NotSupportedError& e) {
        throw NotSupportedError(loc, fmt::format("profiling.tables[{}]", i), e.what());
      }
    }
  }
  if (config.profiling.distinct == DistinctMode::kApproximate) {
    // Throws NotSupportedError where the engine has no approximate distinct count.
    dialect.approx_count_distinct({"x", "integer", TypeClass::kNumeric});
  }
}

// The configured tables `only` names (all when empty). A name is a table (`orders`) or a
// schema-qualified table (`sales.orders`), matched against each entry's resolved schema; a bare
// name whose entries resolve to several schemas is ambiguous.
std::vector<std::size_t> select_tables(const Config& config, const std::vector<std::string>& only,
                                       const std::string& default_schema) {
  std::vector<std::size_t> selected;
  const auto& tables = config.profiling.tables;
  if (only.empty()) {
    for (std::size_t i = 0; i < tables.size(); ++i) selected.push_back(i);
    return selected;
  }
  for (const auto& name : only) {
    std::vector<std::size_t> matches;
    std::vector<std::string> qualified_matches;
    for (std::size_t i = 0; i < tables.size(); ++i) {
      const std::string qualified = profiling::make_target(config, i, default_schema).ref.display();
      if (tables[i].table == name || qualified == name) {
        matches.push_back(i);
        if (std::find(qualified_matches.begin(), qualified_matches.end(), qualified) ==
            qualified_matches.end()) {
          qualified_matches.push_back(qualified);
        }
      }
    }
    if (matches.empty()) {
      std::vector<std::string> names;
      for (std::size_t i = 0; i < tables.size(); ++i) {
        names.push_back(profiling::make_target(config, i, default_schema).ref.display());
      }
      throw UsageError(fmt::format(
          "--table {}: not in profiling.tables of {} (configured: {})", name, config.source_file,
          names.empty() ? std::string("none") : fmt::format("{}", fmt::join(names, ", "))));
    }
    if (qualified_matches.size() > 1) {
      throw UsageError(fmt::format("--table {} is ambiguous: it names {}; write one of them", name,
                                   fmt::join(qualified_matches, " and ")));
    }
    for (std::size_t i : matches) {
      if (std::find(selected.begin(), selected.end(), i) == selected.end()) selected.push_back(i);
    }
  }
  std::sort(selected.begin(), selected.end());
  return selected;
}

}  // namespace

Profiler::Profiler(const Config& config, EventBus* bus, ResultSink* sink)
    : Profiler(config, default_factory(config), bus, sink) {}

Profiler::Profiler(const Config& config, ConnectionFactory factory, EventBus* bus, ResultSink* sink)
    : config_(config), factory_(std::move(factory)), bus_(bus), sink_(sink) {}

Profiler::~Profiler() = default;

void Profiler::set_progress(ProgressCallback callback) { progress_ = std::move(callback); }
void Profiler::set_table_started(TableStartedCallback callback) { started_ = std::move(callback); }

std::vector<TableOutcome> Profiler::profile(const std::vector<std::string>& only) {
  if (config_.profiling.tables.empty()) return {};

  // Connect first: an unreachable source is one clear error before any event. Names are
  // resolved on the source (the schema unqualified names mean there) before selecting.
  std::vector<std::unique_ptr<db::Connection>> connections;
  connections.push_back(factory_());
  const std::string default_schema = profiling::default_schema(*connections.front(), config_);
  const std::vector<std::size_t> selected = select_tables(config_, only, default_schema);
  std::vector<TableOutcome> outcomes(selected.size());
  if (selected.empty()) return outcomes;

  std::size_t workers = config_.profiling.max_workers > 0
                            ? static_cast<std::size_t>(config_.profiling.max_workers)
                            : std::max(1u, std::thread::hardware_concurrency());
  workers = std::min(workers, selected.size());
  while (connections.size() < workers) connections.push_back(factory_());
  refuse_unsupported(config_, selected, connections.front()->dialect());

  // Cores not used by table workers go to the native executor inside each table.
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  profiling::ExecutionOptions exec;
  exec.factory = &factory_;
  exec.threads = static_cast<int>(std::max<std::size_t>(1, cores / workers));

  std::atomic<std::size_t> next{0};
  std::atomic<std::size_t> done{0};
  std::mutex progress_mutex;
  auto work = [&](db::Connection& connection) {
    for (std::size_t job = next++; job < selected.size(); job = next++) {
      const profiling::TableTarget target =
          profiling::make_target(config_, selected[job], default_schema);
      TableOutcome& out = outcomes[job];
      out.table = target.ref.name;
      out.schema = target.ref.schema;
      out.run_id = new_uuid();
      // Events go to the sink (the store's outbox, delivered off this path) and to the bus.
      auto record = [&](const Event& event) {
        if (sink_) {
          try {
            sink_->record_events({event});
          } catch (const std::exception& e) {
            log().error("{} of {} (event {}) could not be recorded: {}", event.event_type(),
                        target.ref.display(), event.event_id(), e.what());
          }
        }
        if (bus_) bus_->emit(event);
      };
      record(Event(ProfilingStarted{out.table, out.run_id}));
      if (started_) {
        std::lock_guard lock(progress_mutex);
        started_(out.table, out.schema);
      }
      try {
        profiling::ExecutionOptions table_exec = exec;
        table_exec.executor = executor_                 ? *executor_
                              : target.config->executor ? *target.config->executor
                                                        : config_.profiling.executor;
        ProfilingResult result =
            profiling::profile_table(connection, config_, target, out.run_id, table_exec);
        if (clock_) result.profiled_at = clock_();
        profiling::add_table_metrics(connection, target, result);
        const Event completed(ProfilingCompleted{out.table, out.run_id, result.row_count,
                                                 static_cast<std::int64_t>(result.columns.size()),
                                                 result.duration_seconds});
        // The run and the event that reports it are stored together, or neither is.
        if (sink_) sink_->store_run(result, {completed});
        if (bus_) bus_->emit(completed);
        out.result = std::move(result);
      } catch (const std::exception& e) {
        out.error = e.what();
        log().error("profiling {} failed: {}", target.ref.display(), out.error);
        record(Event(ProfilingFailed{out.table, out.run_id, out.error}));
      }
      std::size_t finished = ++done;
      if (progress_) {
        std::lock_guard lock(progress_mutex);
        progress_(out, finished, selected.size());
      }
    }
  };

  if (workers == 1) {
    work(*connections.front());
  } else {
    std::vector<std::jthread> threads;
    for (std::size_t w = 0; w < workers; ++w) {
      threads.emplace_back([&, w] { work(*connections[w]); });
    }
  }
  return outcomes;
}

}  // namespace baselinr
