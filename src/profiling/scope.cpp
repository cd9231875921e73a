#include "profiling/scope.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <random>

#include "baselinr/error.hpp"
#include "common/text.hpp"

namespace baselinr::profiling {
namespace {

// Conventional partition column names, in the order they are preferred (SPEC section 5).
const std::vector<std::string>& key_candidates() {
  static const std::vector<std::string> names = {
      "date", "event_date", "partition_date", "created_at", "updated_at", "timestamp", "dt", "ds"};
  return names;
}

const ColumnSpec* find_column(const std::vector<ColumnSpec>& columns, const std::string& name) {
  for (const auto& c : columns) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::string column_list(const std::vector<ColumnSpec>& columns) {
  std::vector<std::string> names;
  for (const auto& c : columns) names.push_back(c.name);
  return join(names, ", ");
}

[[noreturn]] void config_fail(const TableTarget& target, const std::string& what) {
  const SourceLocation& loc = target.config->location;
  throw ConfigError(loc, fmt::format("profiling.tables[{}]", target.index),
                    fmt::format("{}: {}", target.ref.display(), what));
}

std::vector<std::string> quoted_columns(const db::Dialect& d,
                                        const std::vector<ColumnSpec>& columns) {
  std::vector<std::string> out;
  for (const auto& c : columns) out.push_back(d.quote_identifier(c.name));
  return out;
}

// Independent streams from one run seed, for the filter, the stratum order and the cap order.
std::int64_t derived_seed(std::int64_t seed, int stream) {
  return (seed + 104729 * stream) & 0x7fffffff;
}

// A name for a helper column of the scope's derived tables that no column of the table takes
// (compared without case, as unquoted names fold): `base`, else base_1, base_2, ... A helper
// named like a user column would shadow it, or be shadowed: stratified sampling would number
// the wrong column and keep no row.
std::string helper_name(const std::vector<ColumnSpec>& columns, const std::string& base) {
  auto taken = [&](const std::string& name) {
    return std::any_of(columns.begin(), columns.end(),
                       [&](const ColumnSpec& c) { return to_lower(c.name) == name; });
  };
  std::string name = base;
  for (int i = 1; taken(name); ++i) name = fmt::format("{}_{}", base, i);
  return name;
}

std::string percent_text(double fraction) { return fmt::format("{:g}%", fraction * 100.0); }

// The partition values as a derived table of one column, baselinr_key: the largest key
// (latest), the recent_n largest distinct keys, or sample_size distinct keys in the order of a
// seeded hash (sample). resolve_partition_values() reads them, as text where that is exact, and
// the profiling statements bind that text in the key's own type, or select the rows with `key IN
// (SELECT baselinr_key FROM (...))`: either way never a numeric(30,10) or a FLOAT rounded through
// a double, never a date 'infinity' a driver cannot print. Run inside the table's snapshot,
// every statement sees the values that resolve_partition_values() records.
std::string partition_keys(const db::Dialect& d, const Scope& scope, db::ParamList& params) {
  const std::string key = d.quote_identifier(scope.key);
  const std::string table = d.table_sql(scope.table);
  switch (scope.strategy) {
    case PartitionStrategy::kLatest:
      return fmt::format("SELECT MAX({}) AS baselinr_key FROM {}", key, table);
    case PartitionStrategy::kRecentN:
      return fmt::format(
                 "SELECT DISTINCT {} AS baselinr_key FROM {} WHERE {} IS NOT NULL ORDER BY "
                 "baselinr_key DESC",
                 key, table, key) +
             d.limit_rows(scope.recent_n, params);
    case PartitionStrategy::kSample:
      return fmt::format(
                 "SELECT baselinr_key FROM (SELECT DISTINCT {} AS baselinr_key FROM {} WHERE {} IS "
                 "NOT NULL) AS baselinr_distinct ORDER BY {}",
                 key, table, key,
                 d.row_uniform({"baselinr_key"}, derived_seed(scope.seed, 7), params)) +
             d.limit_rows(scope.sample_size, params);
    case PartitionStrategy::kAll:
    case PartitionStrategy::kSpecificValues:
      break;
  }
  return {};
}

// The partition filter; nothing for all rows. Configured values, and resolved ones where their
// text is exact (Dialect::exact_value_text), are bound and converted to the key's type by the
// engine; elsewhere the statement selects the resolved values itself.
std::vector<std::string> partition_filter(const db::Dialect& d, const Scope& scope,
                                          db::ParamList& params) {
  std::vector<std::string> where;
  if (scope.strategy == PartitionStrategy::kAll) return where;
  const std::string key = d.quote_identifier(scope.key);
  if (scope.strategy == PartitionStrategy::kSpecificValues || d.exact_value_text()) {
    std::string list;
    for (const auto& v : scope.values) {
      list += (list.empty() ? "" : ", ") + d.typed_parameter(params.add(v), scope.key_type);
    }
    // No value: an empty, not a full, scan.
    where.push_back(list.empty() ? "1 = 0" : key + " IN (" + list + ")");
    return where;
  }
  where.push_back(fmt::format("{} IN (SELECT baselinr_key FROM ({}) AS baselinr_keys)", key,
                              partition_keys(d, scope, params)));
  return where;
}

bool random_filter(const db::Dialect& d, const Scope& scope) {
  return scope.sampling && scope.sampling->method == SamplingMethod::kRandom &&
         scope.sampling->fraction < 1.0 && !native_sample(d, scope);
}

}  // namespace

bool native_sample(const db::Dialect& d, const Scope& scope) {
  return scope.native_sampling.value_or(d.native_sampling());
}

bool row_local(const db::Dialect& d, const Scope& scope) {
  if (!scope.sampling) return true;
  const SamplingConfig& s = *scope.sampling;
  return s.method == SamplingMethod::kRandom && !s.max_rows &&
         (s.fraction >= 1.0 || !native_sample(d, scope));
}

std::vector<std::string> row_filters(const db::Dialect& d, const std::vector<ColumnSpec>& columns,
                                     const Scope& scope, db::ParamList& params) {
  std::vector<std::string> where = partition_filter(d, scope, params);
  if (random_filter(d, scope)) {
    where.push_back(d.row_uniform(quoted_columns(d, columns), scope.seed, params) + " < " +
                    params.add(scope.sampling->fraction));
  }
  return where;
}

db::BoundSql row_select(const db::Dialect& d, const std::vector<ColumnSpec>& specs,
                        const std::vector<std::size_t>& columns, const Scope& scope,
                        const std::string& table, db::ParamList& params,
                        const std::vector<std::string>& range) {
  std::vector<std::string> select;
  for (std::size_t i : columns) select.push_back(d.quote_identifier(specs.at(i).name));
  if (select.empty()) select.push_back("1");
  std::vector<std::string> where = row_filters(d, specs, scope, params);
  where.insert(where.end(), range.begin(), range.end());
  std::string sql = fmt::format("SELECT {} FROM {}", join(select, ", "), table);
  if (!where.empty()) sql += " WHERE " + join(where, " AND ");
  return params.bind(sql);
}

std::optional<std::pair<std::string, std::string>> infer_partition_key(
    const std::vector<ColumnSpec>& columns) {
  for (const auto& candidate : key_candidates()) {
    for (const auto& c : columns) {
      if (to_lower(c.name) == candidate) {
        return std::make_pair(c.name,
                              fmt::format("inferred: column named '{}' (a conventional partition "
                                          "column name)",
                                          c.name));
      }
    }
  }
  for (const auto& c : columns) {
    if (c.type_class == TypeClass::kTemporal) {
      return std::make_pair(
          c.name, fmt::format("inferred: first date/timestamp column '{}' ({})", c.name, c.type));
    }
  }
  return std::nullopt;
}

Scope plan_scope(const TableTarget& target, const std::vector<ColumnSpec>& columns) {
  Scope scope;
  std::random_device rd;
  scope.seed = static_cast<std::int64_t>(rd() & 0x7fffffffU);
  scope.table = target.ref;
  const TableConfig& t = *target.config;
  if (t.partition && t.partition->strategy != PartitionStrategy::kAll) {
    const PartitionConfig& p = *t.partition;
    scope.strategy = p.strategy;
    scope.recent_n = p.recent_n.value_or(1);
    scope.sample_size = p.sample_size.value_or(1);
    if (!p.key.empty()) {
      if (!find_column(columns, p.key)) {
        config_fail(target, fmt::format("partition key '{}' is not a column of the table "
                                        "(columns: {})",
                                        p.key, column_list(columns)));
      }
      scope.key = p.key;
      scope.key_source = "configured";
    } else if (p.metadata_fallback) {
      auto inferred = infer_partition_key(columns);
      if (!inferred) {
        config_fail(target,
                    fmt::format("partition strategy {} needs a key and none could be inferred: no "
                                "column named {} and no date/timestamp column; set partition.key",
                                to_string(p.strategy), join(key_candidates(), ", ")));
      }
      scope.key = inferred->first;
      scope.key_source = inferred->second;
    } else {
      config_fail(target, fmt::format("partition strategy {} needs partition.key (or "
                                      "metadata_fallback: true to infer one)",
                                      to_string(p.strategy)));
    }
    scope.key_type = find_column(columns, scope.key)->type;
  }
  if (t.sampling && t.sampling->enabled) {
    const SamplingConfig& s = *t.sampling;
    if (s.method == SamplingMethod::kStratified && !find_column(columns, s.stratify_by)) {
      config_fail(target, fmt::format("sampling.stratify_by '{}' is not a column of the table",
                                      s.stratify_by));
    }
    if (s.method == SamplingMethod::kTopK && !find_column(columns, s.order_by)) {
      config_fail(target,
                  fmt::format("sampling.order_by '{}' is not a column of the table", s.order_by));
    }
    scope.sampling = s;
  }
  return scope;
}

void resolve_partition_values(db::Connection& connection, const TableTarget& target, Scope& scope) {
  if (scope.strategy == PartitionStrategy::kAll) return;
  if (scope.strategy == PartitionStrategy::kSpecificValues) {
    for (const auto& v : target.config->partition->values) scope.values.emplace_back(v);
    scope.values_resolved = true;
    return;
  }
  // The values the profiling statements will select (partition_keys), as the engine prints
  // them, largest first.
  const db::Dialect& d = connection.dialect();
  db::ParamList params(d);
  const std::string sql = fmt::format(
      "SELECT {} FROM ({}) AS baselinr_keys WHERE baselinr_key IS NOT NULL ORDER BY "
      "baselinr_key DESC",
      d.value_text("baselinr_key"), partition_keys(d, scope, params));
  db::BoundSql bound = params.bind(sql);
  db::Result r = connection.query(bound.sql, bound.params);
  for (auto& row : r.rows) {
    if (!row.empty() && !db::is_null(row[0])) scope.values.push_back(std::move(row[0]));
  }
  scope.values_resolved = true;
}

void resolve_sampling(db::Connection& connection, const TableTarget& target, Scope& scope) {
  if (scope.sampling && scope.sampling->method == SamplingMethod::kRandom &&
      scope.sampling->fraction < 1.0) {
    scope.native_sampling = connection.samples_natively(target.ref);
  }
}

void resolve_scope(db::Connection& connection, const TableTarget& target, Scope& scope) {
  resolve_sampling(connection, target, scope);
  resolve_partition_values(connection, target, scope);
}

std::string scope_from(const db::Dialect& d, const TableTarget& target,
                       const std::vector<ColumnSpec>& columns, const Scope& scope,
                       db::ParamList& params) {
  const std::string table = d.table_sql(target.ref);
  if (!scope.filters()) return table;

  const std::vector<std::string> cols = quoted_columns(d, columns);
  std::string from = table + " AS baselinr_t";
  const SamplingConfig* s = scope.sampling ? &*scope.sampling : nullptr;
  if (s && s->method == SamplingMethod::kRandom && s->fraction < 1.0 && native_sample(d, scope)) {
    from += d.table_sample_clause(s->fraction, s->native.empty() ? "bernoulli" : s->native,
                                  scope.seed, params);
  }
  std::vector<std::string> where = row_filters(d, columns, scope, params);
  const std::string where_sql = where.empty() ? "" : " WHERE " + join(where, " AND ");

  std::string inner;
  if (s && (s->method == SamplingMethod::kStratified || s->method == SamplingMethod::kTopK)) {
    // Number the rows (per stratum, in a seeded random order; or by order_by descending) and
    // keep round(n * fraction) of each group, at least one.
    std::string window;
    if (s->method == SamplingMethod::kStratified) {
      window = fmt::format("PARTITION BY {} ORDER BY {}", d.quote_identifier(s->stratify_by),
                           d.row_uniform(cols, derived_seed(scope.seed, 1), params));
    } else {
      // Ties are broken by the seeded row hash, so both queries of the run keep the same rows.
      window = fmt::format("ORDER BY {} DESC, {}", d.quote_identifier(s->order_by),
                           d.row_uniform(cols, derived_seed(scope.seed, 1), params));
    }
    std::string count_window = s->method == SamplingMethod::kStratified
                                   ? "PARTITION BY " + d.quote_identifier(s->stratify_by)
                                   : std::string();
    // Neither helper may take a user column's name (nor, with a suffix, the other's).
    const std::string rn = helper_name(columns, "baselinr_rn");
    const std::string n = helper_name(columns, "baselinr_n");
    inner = fmt::format(
        "SELECT * FROM (SELECT baselinr_t.*, ROW_NUMBER() OVER ({0}) AS {2}, COUNT(*) OVER ({1}) "
        "AS {3} FROM {4}{5}) AS baselinr_ranked WHERE {2} <= {3} * {6} + 0.5 OR {2} = 1",
        window, count_window, rn, n, from, where_sql, d.to_double(params.add(s->fraction)));
  } else {
    inner = "SELECT * FROM " + from + where_sql;
  }
  if (s && s->max_rows) {
    // An exact cap on a random choice of the selected rows (topk keeps its largest values).
    std::string order = d.row_uniform(cols, derived_seed(scope.seed, 2), params);
    if (s->method == SamplingMethod::kTopK) {
      order = d.quote_identifier(s->order_by) + " DESC, " + order;
    }
    inner = fmt::format("SELECT * FROM ({}) AS baselinr_selected ORDER BY {}", inner, order) +
            d.limit_rows(*s->max_rows, params);
  }
  return "(" + inner + ") AS baselinr_scope";
}

ProfiledScope Scope::record(const db::Dialect& dialect) const {
  ProfiledScope r;
  r.partition_strategy = std::string(to_string(strategy));
  r.partition_key = key;
  r.partition_key_source = key_source;
  for (const auto& v : values) r.partition_values.push_back(db::as_text(v).value_or("NULL"));
  if (sampling) {
    r.sampling_method = std::string(to_string(sampling->method));
    r.sampling_fraction = sampling->fraction;
    r.max_rows = sampling->max_rows;
    r.sampling_mechanism = sampling_description(dialect);
  }
  return r;
}

std::string Scope::partition_description() const {
  switch (strategy) {
    case PartitionStrategy::kAll:
      return "all rows";
    case PartitionStrategy::kLatest:
      return fmt::format("latest value of {} ({})", key, key_source);
    case PartitionStrategy::kRecentN:
      return fmt::format("the {} most recent values of {} ({})", values.size(), key, key_source);
    case PartitionStrategy::kSample:
      return fmt::format("a random sample of {} value(s) of {} ({})", values.size(), key,
                         key_source);
    case PartitionStrategy::kSpecificValues:
      return fmt::format("the configured values of {} ({})", key, key_source);
  }
  return "all rows";
}

std::string Scope::sampling_description(const db::Dialect& dialect) const {
  if (!sampling) return "none (every selected row is read)";
  const SamplingConfig& s = *sampling;
  std::string text;
  switch (s.method) {
    case SamplingMethod::kRandom:
      if (s.fraction >= 1.0) {
        text = "random 100% (every row)";
      } else if (native_sample(dialect, *this)) {
        std::string method = s.native.empty() ? "bernoulli" : s.native;
        text = fmt::format("random {} with the engine's {} sampling, repeatable within the run",
                           percent_text(s.fraction), to_lower(method));
      } else {
        text = fmt::format("random {}: each row kept by a seeded hash of its values{}",
                           percent_text(s.fraction),
                           dialect.native_sampling()
                               ? " (the engine's native sampling does not apply to this relation)"
                               : "");
      }
      break;
    case SamplingMethod::kStratified:
      text = fmt::format("stratified by {}: {} of each stratum, at least one row", s.stratify_by,
                         percent_text(s.fraction));
      break;
    case SamplingMethod::kTopK:
      text = fmt::format("topk: the {} of rows with the largest {}", percent_text(s.fraction),
                         s.order_by);
      break;
  }
  if (s.max_rows) text += fmt::format(", capped at exactly {} rows", *s.max_rows);
  if (!s.note.empty()) text += " (" + s.note + ")";
  return text;
}

}  // namespace baselinr::profiling
