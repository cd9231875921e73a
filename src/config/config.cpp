// Enum names, defaults and descriptions of the configuration types.
#include "baselinr/config.hpp"

#include <fmt/format.h>

#include "common/text.hpp"
#include "config/names.hpp"

namespace baselinr {

std::string_view to_string(DatabaseType type) { return config::name_of(type); }
std::string_view to_string(PartitionStrategy strategy) { return config::name_of(strategy); }
std::string_view to_string(SamplingMethod method) { return config::name_of(method); }
std::string_view to_string(DistinctMode mode) { return config::name_of(mode); }
std::string_view to_string(Executor executor) { return config::name_of(executor); }
std::string_view to_string(DriftStrategy strategy) { return config::name_of(strategy); }
std::string_view to_string(Sensitivity sensitivity) { return config::name_of(sensitivity); }
std::string_view to_string(BaselineStrategy strategy) { return config::name_of(strategy); }
std::string_view to_string(HookType type) { return config::name_of(type); }

const std::vector<std::string>& all_metric_names() {
  static const std::vector<std::string> names = {
      "count",      "null_count", "null_percent", "distinct_count", "distinct_percent",
      "min",        "max",        "mean",         "stddev",         "histogram",
      "min_length", "max_length", "avg_length",   "quantiles",      "top_values"};
  return names;
}

std::string ConnectionConfig::describe() const {
  switch (type) {
    case DatabaseType::kSqlite:
      return "sqlite:" + filepath;
    case DatabaseType::kPostgres:
    case DatabaseType::kMysql: {
      std::string user = username.empty() ? "" : username + "@";
      std::string p = port ? fmt::format(":{}", *port) : "";
      return fmt::format("{}://{}{}{}/{}", to_string(type), user, host.empty() ? "localhost" : host,
                         p, database);
    }
    case DatabaseType::kSnowflake: {
      std::string user = username.empty() ? "" : username + "@";
      return fmt::format("snowflake://{}{}/{}", user, account, database);
    }
    case DatabaseType::kOdbc: {
      for (const char* key : {"dsn", "DSN"}) {
        if (auto it = extra_params.find(key); it != extra_params.end()) {
          return "odbc:DSN=" + it->second;
        }
      }
      if (auto it = extra_params.find("driver"); it != extra_params.end()) {
        return fmt::format("odbc:DRIVER={};{}{}", it->second, host.empty() ? "" : "host=" + host,
                           database.empty() ? "" : ";database=" + database);
      }
      return "odbc";
    }
  }
  return "unknown";
}

std::string HookConfig::label(std::size_t index) const {
  if (!name.empty()) return name;
  return fmt::format("{}[{}]", to_string(type), index);
}

bool HookConfig::is_chat() const {
  return type == HookType::kSlack || type == HookType::kEmail ||
         (type == HookType::kWebhook && (format == "slack" || format == "teams"));
}

GroupBy HookConfig::effective_group_by() const {
  if (group_by) return *group_by;
  return is_chat() ? GroupBy::kTable : GroupBy::kFinding;
}

}  // namespace baselinr
