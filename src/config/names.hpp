// One name table per configuration enum. The loader parses with it, to_string() prints with it
// and error messages list its names, so a value's spelling lives in exactly one place: adding a
// value to an enum means adding one row here.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "baselinr/config.hpp"

namespace baselinr::config {

template <typename E>
struct Named {
  E value;
  std::string_view name;
};

inline constexpr Named<DatabaseType> kDatabaseTypeNames[] = {
    {DatabaseType::kSqlite, "sqlite"}, {DatabaseType::kPostgres, "postgres"},
    {DatabaseType::kMysql, "mysql"},   {DatabaseType::kSnowflake, "snowflake"},
    {DatabaseType::kOdbc, "odbc"},
};

inline constexpr Named<PartitionStrategy> kPartitionStrategyNames[] = {
    {PartitionStrategy::kAll, "all"},
    {PartitionStrategy::kLatest, "latest"},
    {PartitionStrategy::kRecentN, "recent_n"},
    {PartitionStrategy::kSample, "sample"},
    {PartitionStrategy::kSpecificValues, "specific_values"},
};

inline constexpr Named<SamplingMethod> kSamplingMethodNames[] = {
    {SamplingMethod::kRandom, "random"},
    {SamplingMethod::kStratified, "stratified"},
    {SamplingMethod::kTopK, "topk"},
};

inline constexpr Named<DistinctMode> kDistinctModeNames[] = {
    {DistinctMode::kExact, "exact"},
    {DistinctMode::kApproximate, "approximate"},
};

inline constexpr Named<Executor> kExecutorNames[] = {
    {Executor::kAuto, "auto"},
    {Executor::kSql, "pushdown"},
    {Executor::kNative, "native"},
};

inline constexpr Named<DriftStrategy> kDriftStrategyNames[] = {
    {DriftStrategy::kAbsoluteThreshold, "absolute_threshold"},
    {DriftStrategy::kStandardDeviation, "standard_deviation"},
    {DriftStrategy::kStatistical, "statistical"},
};

inline constexpr Named<Sensitivity> kSensitivityNames[] = {
    {Sensitivity::kLow, "low"},
    {Sensitivity::kMedium, "medium"},
    {Sensitivity::kHigh, "high"},
};

inline constexpr Named<BaselineStrategy> kBaselineStrategyNames[] = {
    {BaselineStrategy::kLastRun, "last_run"},
    {BaselineStrategy::kMovingAverage, "moving_average"},
    {BaselineStrategy::kPriorPeriod, "prior_period"},
    {BaselineStrategy::kStableWindow, "stable_window"},
    {BaselineStrategy::kAuto, "auto"},
};

inline constexpr Named<HookType> kHookTypeNames[] = {
    {HookType::kLogging, "logging"},     {HookType::kSql, "sql"},
    {HookType::kSnowflake, "snowflake"}, {HookType::kWebhook, "webhook"},
    {HookType::kCommand, "command"},     {HookType::kCustom, "custom"},
    {HookType::kSlack, "slack"},         {HookType::kPagerDuty, "pagerduty"},
    {HookType::kEmail, "email"},
};

// The table of each enum, so generic code can find it from the type.
inline std::span<const Named<DatabaseType>> names_of(DatabaseType) { return kDatabaseTypeNames; }
inline std::span<const Named<PartitionStrategy>> names_of(PartitionStrategy) {
  return kPartitionStrategyNames;
}
inline std::span<const Named<SamplingMethod>> names_of(SamplingMethod) {
  return kSamplingMethodNames;
}
inline std::span<const Named<DistinctMode>> names_of(DistinctMode) { return kDistinctModeNames; }
inline std::span<const Named<Executor>> names_of(Executor) { return kExecutorNames; }
inline std::span<const Named<DriftStrategy>> names_of(DriftStrategy) { return kDriftStrategyNames; }
inline std::span<const Named<HookType>> names_of(HookType) { return kHookTypeNames; }
inline std::span<const Named<Sensitivity>> names_of(Sensitivity) { return kSensitivityNames; }
inline std::span<const Named<BaselineStrategy>> names_of(BaselineStrategy) {
  return kBaselineStrategyNames;
}

template <typename E>
std::string_view name_of(E value) {
  for (const auto& n : names_of(E{})) {
    if (n.value == value) return n.name;
  }
  return "unknown";
}

template <typename E>
std::vector<std::string> all_names() {
  std::vector<std::string> out;
  for (const auto& n : names_of(E{})) out.emplace_back(n.name);
  return out;
}

}  // namespace baselinr::config
