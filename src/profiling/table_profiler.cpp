#include "profiling/table_profiler.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <optional>

#include "baselinr/error.hpp"
#include "common/log.hpp"
#include "profiling/metric_plan.hpp"
#include "profiling/native_executor.hpp"
#include "profiling/scope.hpp"

namespace baselinr::profiling {

std::string default_schema(db::Connection& connection, const Config& config) {
  if (!config.source.schema.empty()) return config.source.schema;
  const auto& tables = config.profiling.tables;
  if (std::all_of(tables.begin(), tables.end(),
                  [](const TableConfig& t) { return !t.schema.empty(); })) {
    return {};
  }
  // MySQL/MariaDB (natively or through ODBC): the schema is the database the connection uses.
  if (connection.dialect().name() == "mysql" && !config.source.database.empty()) {
    return config.source.database;
  }
  const std::string sql = connection.dialect().default_schema_query();
  if (sql.empty()) return {};
  db::Result r = connection.query(sql);
  if (r.rows.empty() || r.rows[0].empty()) return {};
  return db::as_text(r.rows[0][0]).value_or("");
}

TableTarget make_target(const Config& config, std::size_t index,
                        const std::string& default_schema) {
  const TableConfig& t = config.profiling.tables.at(index);
  TableTarget target;
  target.config = &t;
  target.index = index;
  target.ref.name = t.table;
  target.ref.schema = !t.schema.empty()               ? t.schema
                      : !config.source.schema.empty() ? config.source.schema
                                                      : default_schema;
  return target;
}

std::vector<ColumnSpec> column_specs(const db::Dialect& dialect,
                                     const std::vector<db::ColumnInfo>& columns,
                                     const ProfilingConfig& profiling) {
  std::vector<ColumnSpec> specs;
  specs.reserve(columns.size());
  for (const auto& c : columns) {
    ColumnSpec s;
    s.name = c.name;
    s.type = c.type;
    s.base_type = c.base_type;
    // A domain is profiled as its base type: a domain over numeric gets min, mean, histogram...
    s.type_class = dialect.classify_type(s.sql_type());
    s.type_equality = c.type_equality;
    s.unique = c.unique;
    s.metrics = metrics_for(s.type_class, profiling.metrics, profiling.compute_histograms);
    if (profiling.top_values == 0) std::erase(s.metrics, std::string("top_values"));
    specs.push_back(std::move(s));
  }
  return specs;
}

std::vector<db::ColumnInfo> require_columns(db::Connection& connection, const Config& config,
                                            const TableTarget& target) {
  std::vector<db::ColumnInfo> columns = connection.columns(target.ref);
  if (columns.empty()) {
    throw QueryError(
        fmt::format("table '{}' does not exist in {} (or is not visible to this user); check "
                    "profiling.tables[{}]",
                    target.ref.display(), config.source.describe(), target.index));
  }
  return columns;
}

QueryBuilder make_builder(const db::Dialect& dialect, const Config& config,
                          const TableTarget& target, std::vector<ColumnSpec> specs,
                          const Scope& scope, std::size_t item_limit) {
  db::ParamList params(dialect);
  std::string from = scope_from(dialect, target, specs, scope, params);
  QueryBuilder builder(dialect, std::move(from), std::move(params), std::move(specs),
                       config.profiling.distinct, config.profiling.histogram_bins);
  builder.set_distribution(config.profiling.top_values, config.profiling.max_distinct_values);
  builder.set_item_limit(item_limit);
  return builder;
}

int scan_capacity(db::Connection& connection, const Config& config, const TableTarget& target,
                  const Scope& scope) {
  const int configured = config.profiling.parallel_scans;
  if (configured == 1 || !row_local(connection.dialect(), scope)) return 1;
  const int engine = connection.concurrent_scans(target.ref);
  return configured == 0 ? engine : std::min(configured, engine);
}

namespace {

double percent(std::int64_t part, std::int64_t whole) {
  if (whole <= 0) return 0.0;
  return static_cast<double>(part) / static_cast<double>(whole) * 100.0;
}

template <class T>
MetricValue opt_metric(const std::optional<T>& v) {
  if (!v) return std::monostate{};
  return *v;
}

}  // namespace

ProfilingResult profile_table(db::Connection& connection, const Config& config,
                              const TableTarget& target, const std::string& run_id,
                              const ExecutionOptions& exec) {
  const auto started = std::chrono::steady_clock::now();
  ProfilingResult result;
  result.run_id = run_id;
  result.dataset_name = target.ref.name;
  result.schema_name = target.ref.schema;
  result.profiled_at = std::chrono::system_clock::now();

  std::vector<db::ColumnInfo> columns = require_columns(connection, config, target);
  const db::Dialect& dialect = connection.dialect();
  std::vector<ColumnSpec> specs = column_specs(dialect, columns, config.profiling);
  Scope scope = plan_scope(target, specs);
  if (exec.seed) scope.seed = *exec.seed;
  resolve_sampling(connection, target, scope);
  // Catalog questions first: a failed one must not end the snapshot's transaction.
  const int capacity = scan_capacity(connection, config, target, scope);
  // Every statement of this table reads one snapshot: the partition values recorded are the
  // ones the statements select, and the histograms count the rows the scalar statement saw. The
  // native executor takes its own (shared by its reader connections); the SQL path opens one
  // here, before the partition values are read.
  NativeExecutor nx(connection, exec.factory, exec.threads);
  const ExecutorChoice choice = choose_executor(connection, target, specs, scope, exec.executor,
                                                transfer_budget(config, target));
  const bool try_native = choice.native;
  std::optional<db::Snapshot> snapshot;
  if (!try_native) snapshot.emplace(connection);
  resolve_partition_values(connection, target, scope);
  // Optional: the SQL path may rebuild it below (a builder holds its dialect by reference).
  std::optional<QueryBuilder> built(make_builder(dialect, config, target, std::move(specs), scope,
                                                 connection.select_item_limit()));

  std::int64_t count = 0;
  std::vector<ColumnAggregates> agg;
  std::vector<HistogramRequest> requests;
  std::vector<std::vector<std::int64_t>> bin_counts;
  bool native = false;
  if (try_native) {
    if (auto r = nx.scalar_pass(target, built->columns(), scope, config.profiling.distinct,
                                config.profiling.top_values)) {
      count = r->count;
      agg = std::move(r->aggregates);
      requests = built->histogram_requests(agg);
      if (!requests.empty()) {
        bin_counts =
            nx.histogram_pass(target, built->columns(), scope, requests, built->histogram_bins());
      }
      native = true;
    } else {
      // The native executor cannot read this table: the SQL path, in a snapshot of its own, with
      // the partition values read again inside it.
      snapshot.emplace(connection);
      scope.values.clear();
      scope.values_resolved = false;
      resolve_partition_values(connection, target, scope);
      built.emplace(make_builder(dialect, config, target, built->columns(), scope,
                                 connection.select_item_limit()));
    }
  }
  if (!native && exec.executor != Executor::kSql) {
    log().debug("profiling {}: pushing down SQL ({})", target.ref.display(),
                try_native ? nx.declined() : choice.reason);
  }
  if (!native) {
    if (built->split_scans(capacity) > 1) {
      log().debug("profiling {}: the scalar statement reads the rows in {} concurrent scans",
                  target.ref.display(), built->scans());
    }
    std::vector<db::Result> results;
    for (const ScalarQuery& q : built->scalar_queries()) {
      results.push_back(connection.query(q.sql, q.params));
    }
    count = built->decode_scalar(results, agg);
    requests = built->histogram_requests(agg);
    if (!requests.empty()) {
      const std::vector<HistogramQuery> queries = built->histogram_queries(requests);
      std::vector<db::Result> bins;
      for (const HistogramQuery& q : queries) bins.push_back(connection.query(q.sql, q.params));
      bin_counts = built->decode_histograms(bins, requests, queries);
    }
    // Quantiles and top values: one statement per column, in the same snapshot.
    for (const DistributionQuery& q : built->distribution_queries(agg)) {
      built->decode_distribution(connection.query(q.sql, q.params), q, agg[q.column]);
    }
  }
  if (snapshot) snapshot->end();
  result.executor = native ? "native" : "sql";
  result.row_count = count;
  result.scope = scope.record(dialect);
  result.scope.rows_profiled = count;
  std::vector<std::string> histograms(built->columns().size());
  for (std::size_t r = 0; r < requests.size(); ++r) {
    histograms[requests[r].column] =
        histogram_json(requests[r].min, requests[r].max, bin_counts[r]);
  }

  for (std::size_t i = 0; i < built->columns().size(); ++i) {
    const ColumnSpec& spec = built->columns()[i];
    const ColumnAggregates& a = agg[i];
    ColumnProfile col;
    col.name = spec.name;
    col.type = spec.type;
    col.type_class = spec.type_class;
    const std::int64_t non_null = a.non_null.value_or(0);
    // An approximate count (HyperLogLog, APPROX_COUNT_DISTINCT) can exceed the values it counts;
    // there are never more distinct values than non-null ones.
    const std::int64_t distinct =
        a.non_null ? std::min(a.distinct.value_or(0), non_null) : a.distinct.value_or(0);
    for (const auto& m : spec.metrics) {
      MetricValue v;
      if (m == "count") {
        v = count;
      } else if (m == "null_count") {
        v = count - non_null;
      } else if (m == "null_percent") {
        v = percent(count - non_null, count);
      } else if (m == "distinct_count") {
        v = distinct;
      } else if (m == "distinct_percent") {
        v = percent(distinct, count);
      } else if (m == "min") {
        v = metric_value(a.min);
      } else if (m == "max") {
        v = metric_value(a.max);
      } else if (m == "mean") {
        v = opt_metric(a.mean);
      } else if (m == "stddev") {
        v = opt_metric(a.stddev);
      } else if (m == "histogram") {
        if (histograms[i].empty()) continue;  // absent when min == max or no values
        v = histograms[i];
      } else if (m == "min_length") {
        v = opt_metric(a.min_length);
      } else if (m == "max_length") {
        v = opt_metric(a.max_length);
      } else if (m == "avg_length") {
        v = opt_metric(a.avg_length);
      } else if (m == "quantiles") {
        // Absent when the executor did not compute them or there is no value.
        if (!a.quantiles || a.quantiles->n == 0) continue;
        v = quantiles_json(*a.quantiles, spec.type_class == TypeClass::kTemporal);
      } else if (m == "top_values") {
        // String and boolean columns, and any column with few distinct values.
        if (!a.top_values || non_null == 0) continue;
        if (spec.type_class != TypeClass::kString && spec.type_class != TypeClass::kBoolean &&
            a.top_values->distinct_count > config.profiling.max_distinct_values) {
          continue;
        }
        v = top_values_json(*a.top_values, config.profiling.top_values, count - non_null);
      }
      col.metrics.emplace_back(m, std::move(v));
    }
    result.columns.push_back(std::move(col));
  }
  result.duration_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

}  // namespace baselinr::profiling
