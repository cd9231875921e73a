// `baselinr plan`: what profile would do, from metadata only (no data is read).
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "baselinr/error.hpp"
#include "baselinr/profiler.hpp"
#include "db/connection.hpp"
#include "profiling/native_executor.hpp"
#include "profiling/odbc_row_source.hpp"
#include "profiling/pg_row_source.hpp"
#include "profiling/scope.hpp"
#include "profiling/table_profiler.hpp"

namespace baselinr {
Plan build_plan(const Config& config) {
  return build_plan(config, [&config] { return db::connect(config.source, {.read_only = true}); });
}

Plan build_plan(const Config& config, const ConnectionFactory& factory) {
  Plan plan;
  plan.source = config.source.describe();
  if (config.profiling.tables.empty()) return plan;
  std::unique_ptr<db::Connection> connection = factory();
  const db::Dialect& dialect = connection->dialect();
  const std::string default_schema = profiling::default_schema(*connection, config);
  for (std::size_t i = 0; i < config.profiling.tables.size(); ++i) {
    const profiling::TableTarget target = profiling::make_target(config, i, default_schema);
    TablePlan tp;
    tp.table = target.ref.name;
    tp.schema = target.ref.schema;
    tp.partition = "all rows";
    tp.sampling = "none";
    try {
      auto columns = profiling::require_columns(*connection, config, target);
      auto specs = profiling::column_specs(dialect, columns, config.profiling);
      for (const auto& s : specs) tp.columns.push_back({s.name, s.type, s.type_class, s.metrics});
      profiling::Scope scope = profiling::plan_scope(target, specs);
      // The values a run would profile now (one query on the key column, as profile does).
      profiling::resolve_scope(*connection, target, scope);
      tp.partition = scope.partition_description();
      tp.partition_key = scope.key;
      tp.partition_key_source = scope.key_source;
      for (const auto& v : scope.values) {
        tp.partition_values.push_back(db::as_text(v).value_or("NULL"));
      }
      if (scope.strategy != PartitionStrategy::kAll && scope.values.empty()) {
        tp.notes.push_back("no partition value found: the run would profile no rows");
      }
      tp.sampling = scope.sampling_description(dialect);
      const Executor requested = config.profiling.tables[i].executor
                                     ? *config.profiling.tables[i].executor
                                     : config.profiling.executor;
      const profiling::ExecutorChoice choice = profiling::choose_executor(
          *connection, target, specs, scope, requested, profiling::transfer_budget(config, target));
      tp.executor = choice.native ? "native" : "pushdown";
      tp.executor_reason = choice.reason;
      // What the native read runs (not the pushdown statements), and how it is split.
      const bool odbc = profiling::OdbcRowSource::is_odbc(*connection);
      std::string native_note;
      if (choice.native && dialect.name() == "postgres" && !odbc) {
        tp.sql = profiling::PgRowSource::planned_statements(*connection, target, specs, scope);
        native_note =
            "native: the COPY above streams every row once (a plain table in ranges of heap "
            "blocks, over several connections sharing one exported snapshot) and every metric is "
            "computed in baselinr; with exact distinct counts the histograms are binned from the "
            "counted values of that read, with approximate ones a second COPY of the histogram "
            "columns in the same snapshot. A value it cannot read exactly (a BC "
            "date, a numeric of more than 15 digits at its scale) makes the run push the table "
            "down instead";
      } else if (choice.native && !odbc &&
                 (dialect.name() == "sqlite" || dialect.name() == "mysql")) {
        std::vector<std::size_t> all(specs.size());
        for (std::size_t c = 0; c < all.size(); ++c) all[c] = c;
        db::ParamList params(dialect);
        tp.sql = {
            profiling::row_select(dialect, specs, all, scope, dialect.table_sql(target.ref), params)
                .sql};
        native_note = fmt::format(
            "native: one query of every column (--verbose shows it) streams every row once ({}) "
            "and every metric is computed "
            "in baselinr; with exact distinct counts the histograms are binned from the counted "
            "values of that read, with approximate ones a second read of the histogram columns "
            "in the same snapshot{}",
            dialect.name() == "sqlite"
                ? "a table with rowids in ranges of rowids, one read connection per thread, "
                  "every connection in one snapshot"
                : "a table with a single-column integer primary key and at least 10,000 rows in "
                  "key ranges, one connection per range, their snapshots started together; "
                  "otherwise one stream",
            dialect.name() == "sqlite"
                ? ""
                : ". A value whose order differs from the server's (a negative TIME, a BIGINT "
                  "UNSIGNED above 2^63 - 1) makes the run push the table down instead");
      }
      tp.native_read = !tp.sql.empty();
      if (tp.native_read) {
        tp.notes.push_back(native_note);
        if (scope.sampling) {
          tp.notes.push_back("sampling is seeded per run: the next run draws a new sample");
        }
        plan.tables.push_back(std::move(tp));
        continue;
      }
      profiling::QueryBuilder builder = profiling::make_builder(
          dialect, config, target, specs, scope, connection->select_item_limit());
      tp.scalar_scans =
          builder.split_scans(profiling::scan_capacity(*connection, config, target, scope));
      const std::vector<profiling::ScalarQuery> scalars = builder.scalar_queries();
      for (const auto& q : scalars) tp.sql.push_back(q.sql);
      if (scalars.size() > 1) {
        tp.notes.push_back(fmt::format(
            "the scalar metrics need {} statements: more select-list entries than the engine "
            "allows in one; they read one snapshot",
            scalars.size()));
      }
      if (tp.scalar_scans > 1) {
        tp.notes.push_back(fmt::format(
            "the scalar statement is a UNION ALL of {} branches that the server runs at once with "
            "its parallel workers, each computing every metric of a share of the columns "
            "(profiling.parallel_scans: 1 for a single scan)",
            tp.scalar_scans));
      }
      std::vector<profiling::HistogramRequest> requests;
      for (std::size_t c = 0; c < specs.size(); ++c) {
        if (specs[c].wants("histogram")) requests.push_back({c, 0.0, 1.0});
      }
      if (!requests.empty()) {
        for (const auto& q : builder.histogram_queries(requests)) {
          tp.sql.push_back(q.sql);
          ++tp.histogram_queries;
        }
        tp.notes.push_back(
            "histogram bounds are bound as parameters from the min/max of the first query; "
            "columns whose min equals max get no histogram");
      }
      const std::vector<profiling::DistributionQuery> summaries =
          builder.planned_distribution_queries();
      for (const auto& q : summaries) tp.sql.push_back(q.sql);
      tp.distribution_queries = static_cast<int>(summaries.size());
      if (!summaries.empty()) {
        tp.notes.push_back(fmt::format(
            "quantiles and top values: one statement per column ({} in all), each grouping the "
            "column's values (a sort or hash of every value); the ranks of the quantiles are bound "
            "from the non-null count of the first query",
            summaries.size()));
      }
      std::size_t in_scalar = 0;
      for (std::size_t c = 0; c < builder.columns().size(); ++c) {
        in_scalar += builder.scalar_quantiles(c) ? 1 : 0;
      }
      if (in_scalar > 0) {
        tp.notes.push_back(fmt::format(
            "the quantiles of {} column(s) are ordered-set aggregates (percentile_disc) of the "
            "first query, one sort per column; their statements above give only top values (the k "
            "most frequent groups by a bounded sort), and a column whose values are all distinct "
            "reads just its k first values",
            in_scalar));
      }
      if (scope.sampling) {
        tp.notes.push_back(
            "sampling is seeded per run: both queries read the same rows, and "
            "the next run draws a new sample");
      }
    } catch (const Error& e) {
      tp.error = e.what();
    }
    plan.tables.push_back(std::move(tp));
  }
  return plan;
}

std::string Plan::to_text(bool verbose) const {
  std::string out = fmt::format("Profiling plan for {}\n", source);
  if (tables.empty()) {
    out += "  no tables configured (add them under profiling.tables)\n";
    return out;
  }
  std::size_t total_columns = 0;
  for (const auto& t : tables) {
    out += fmt::format("\n{}{}\n", t.schema.empty() ? "" : t.schema + ".", t.table);
    if (!t.error.empty()) {
      out += fmt::format("  ERROR: {}\n", t.error);
      continue;
    }
    out += fmt::format("  partition: {}\n", t.partition);
    if (!t.partition_values.empty()) {
      const std::size_t shown = std::min<std::size_t>(t.partition_values.size(), 10);
      std::vector<std::string> head(t.partition_values.begin(),
                                    t.partition_values.begin() + static_cast<long>(shown));
      out += fmt::format("  values:    {}{}\n", fmt::join(head, ", "),
                         t.partition_values.size() > shown
                             ? fmt::format(" (and {} more)", t.partition_values.size() - shown)
                             : "");
    }
    out += fmt::format("  sampling:  {}\n", t.sampling);
    out += fmt::format("  executor:  {} ({})\n", t.executor, t.executor_reason);
    if (t.native_read && t.sql.size() == 1 && t.sql.front().starts_with("SELECT")) {
      out += "  queries:   1 (one query of every column, streamed)\n";
    } else if (t.native_read) {
      out += fmt::format("  queries:   {} (one binary COPY of every column{})\n", t.sql.size(),
                         t.sql.size() > 1 ? ", after setting the values it filters on" : "");
    } else {
      out += fmt::format(
          "  queries:   {} (one {} for all scalar metrics{}{})\n", t.sql.size(),
          t.scalar_scans > 1 ? fmt::format("statement in {} concurrent scans", t.scalar_scans)
                             : std::string("scan"),
          t.histogram_queries > 0 ? ", one for all histograms" : "",
          t.distribution_queries > 0
              ? fmt::format(", {} for quantiles and top values (one per column that needs one)",
                            t.distribution_queries)
              : std::string());
    }
    out += fmt::format("  columns:   {}\n", t.columns.size());
    total_columns += t.columns.size();
    std::size_t w = 6;
    for (const auto& c : t.columns) w = std::max(w, c.name.size());
    for (const auto& c : t.columns) {
      out += fmt::format("    {:<{}}  {:<20} {:<9} {}\n", c.name, w, c.type,
                         to_string(c.type_class), fmt::join(c.metrics, ", "));
    }
    for (const auto& n : t.notes) out += fmt::format("  note: {}\n", n);
    if (verbose) {
      for (const auto& sql : t.sql) out += fmt::format("\n  SQL:\n{}\n", sql);
    }
  }
  out += fmt::format("\n{} table(s), {} column(s)\n", tables.size(), total_columns);
  return out;
}

std::string Plan::to_json(bool verbose) const {
  nlohmann::ordered_json j;
  j["source"] = source;
  nlohmann::ordered_json arr = nlohmann::ordered_json::array();
  for (const auto& t : tables) {
    nlohmann::ordered_json tj;
    tj["table"] = t.table;
    tj["schema"] =
        t.schema.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(t.schema);
    if (!t.error.empty()) tj["error"] = t.error;
    tj["partition"] = t.partition;
    tj["partition_key"] = t.partition_key.empty() ? nlohmann::ordered_json(nullptr)
                                                  : nlohmann::ordered_json(t.partition_key);
    tj["partition_key_source"] = t.partition_key_source.empty()
                                     ? nlohmann::ordered_json(nullptr)
                                     : nlohmann::ordered_json(t.partition_key_source);
    tj["partition_values"] = t.partition_values;
    tj["sampling"] = t.sampling;
    nlohmann::ordered_json cols = nlohmann::ordered_json::array();
    for (const auto& c : t.columns) {
      cols.push_back({{"name", c.name},
                      {"type", c.type},
                      {"type_class", std::string(to_string(c.type_class))},
                      {"metrics", c.metrics}});
    }
    tj["columns"] = std::move(cols);
    tj["query_count"] = t.sql.size();
    tj["scalar_scans"] = t.scalar_scans;
    tj["executor"] = t.executor;
    tj["executor_reason"] = t.executor_reason;
    tj["histogram_query_count"] = t.histogram_queries;
    tj["distribution_query_count"] = t.distribution_queries;
    tj["notes"] = t.notes;
    if (verbose) tj["sql"] = t.sql;
    arr.push_back(std::move(tj));
  }
  j["tables"] = std::move(arr);
  return j.dump(2);
}

}  // namespace baselinr
