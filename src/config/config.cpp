// Enum names, defaults and descriptions of the configuration types.
#include "baselinr/config.hpp"

#include <fmt/format.h>

#include "common/text.hpp"

namespace baselinr {

std::string_view to_string(DatabaseType type) {
  switch (type) {
    case DatabaseType::kSqlite:
      return "sqlite";
    case DatabaseType::kPostgres:
      return "postgres";
    case DatabaseType::kMysql:
      return "mysql";
    case DatabaseType::kSnowflake:
      return "snowflake";
    case DatabaseType::kOdbc:
      return "odbc";
  }
  return "unknown";
}

std::string_view to_string(PartitionStrategy strategy) {
  switch (strategy) {
    case PartitionStrategy::kAll:
      return "all";
    case PartitionStrategy::kLatest:
      return "latest";
    case PartitionStrategy::kRecentN:
      return "recent_n";
    case PartitionStrategy::kSample:
      return "sample";
    case PartitionStrategy::kSpecificValues:
      return "specific_values";
  }
  return "unknown";
}

std::string_view to_string(SamplingMethod method) {
  switch (method) {
    case SamplingMethod::kRandom:
      return "random";
    case SamplingMethod::kStratified:
      return "stratified";
    case SamplingMethod::kTopK:
      return "topk";
  }
  return "unknown";
}

std::string_view to_string(DriftStrategy strategy) {
  switch (strategy) {
    case DriftStrategy::kAbsoluteThreshold:
      return "absolute_threshold";
    case DriftStrategy::kStandardDeviation:
      return "standard_deviation";
  }
  return "unknown";
}

std::string_view to_string(HookType type) {
  switch (type) {
    case HookType::kLogging:
      return "logging";
    case HookType::kSql:
      return "sql";
    case HookType::kSnowflake:
      return "snowflake";
    case HookType::kWebhook:
      return "webhook";
    case HookType::kCommand:
      return "command";
    case HookType::kCustom:
      return "custom";
  }
  return "unknown";
}

const std::vector<std::string>& all_metric_names() {
  static const std::vector<std::string> names = {
      "count",      "null_count", "null_percent", "distinct_count", "distinct_percent",
      "min",        "max",        "mean",         "stddev",         "histogram",
      "min_length", "max_length", "avg_length"};
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

}  // namespace baselinr
