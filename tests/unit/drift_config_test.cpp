// The drift keys of the original's newer configs (statistical tests, sensitivity, baselines,
// type_specific_thresholds, the anomaly keys under storage, per-column drift/anomaly) load with
// their meaning, baselinr's own keys too, and mistakes are named.
#include <gtest/gtest.h>

#include "baselinr/config.hpp"
#include "baselinr/error.hpp"

namespace baselinr {
namespace {

const char* kBase = R"(source: {type: sqlite, filepath: ./w.db}
storage:
  connection: {type: sqlite, filepath: ./b.db}
)";

Config parse(const std::string& text) {
  LoadOptions o;
  return parse_config(std::string(kBase) + text, "cfg.yml", o);
}

std::string error_of(const std::string& text) {
  try {
    parse(text);
  } catch (const ConfigError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a ConfigError for:\n" << text;
  return {};
}

TEST(DriftConfig, DefaultsAreTheOriginalsAndBaselinrs) {
  Config c = parse("");
  const DriftConfig& d = c.drift_detection;
  EXPECT_EQ(d.strategy, DriftStrategy::kAbsoluteThreshold);
  EXPECT_EQ(d.baselines.strategy, BaselineStrategy::kLastRun);
  EXPECT_EQ(d.baselines.moving_average, 7);
  EXPECT_EQ(d.baselines.prior_period, 7);
  EXPECT_EQ(d.baselines.min_runs, 3);
  EXPECT_EQ(d.statistical.sensitivity, Sensitivity::kMedium);
  EXPECT_EQ(d.statistical.tests,
            (std::vector<std::string>{"ks_test", "psi", "chi_square", "jensen_shannon"}));
  EXPECT_DOUBLE_EQ(d.statistical.psi_threshold, 0.2);
  EXPECT_EQ(d.statistical.psi_buckets, 10);
  EXPECT_TRUE(d.enable_type_specific_thresholds);
  EXPECT_DOUBLE_EQ(d.type_specific_thresholds.at("numeric").at("mean").medium, 25);
  EXPECT_DOUBLE_EQ(d.type_specific_thresholds.at("boolean").at("default").low, 2);
  EXPECT_TRUE(d.anomaly.enabled);
  EXPECT_EQ(d.anomaly.min_samples, 5);
  EXPECT_DOUBLE_EQ(d.anomaly.mad_threshold, 3.0);
  EXPECT_FALSE(d.alert_column_count);
  EXPECT_TRUE(d.ignore_key_growth);
}

TEST(DriftConfig, TheOriginalsNewerKeysLoadWithTheirMeaning) {
  Config c = parse(R"(  enable_anomaly_detection: false
  anomaly_enabled_methods: [mad, ewma, seasonality]
  anomaly_iqr_threshold: 2.0
  anomaly_mad_threshold: 4.5
  anomaly_ewma_deviation_threshold: 2.5
  anomaly_seasonality_enabled: false
  anomaly_regime_shift_enabled: true
  anomaly_regime_shift_window: 3
  anomaly_regime_shift_sensitivity: 0.05
  enable_expectation_learning: true
  learning_window_days: 45
  min_samples: 8
  ewma_lambda: 0.3
profiling:
  tables:
    - table: orders
      freshness_column: loaded_at
      columns:
        - name: amount
          drift:
            enabled: true
            strategy: statistical
            thresholds: {low: 1, medium: 2, high: 3}
            baselines: {strategy: moving_average}
            metrics: {null_percent: {low: 0.5, medium: 1, high: 2}}
            ignore_metrics: [max]
          anomaly:
            enabled: false
            methods: [iqr]
            thresholds: {iqr_threshold: 3.0, mad_threshold: 5}
        - name: "tmp_.*"
          pattern_type: regex
          drift: {enabled: false}
      drift:
        strategy: standard_deviation
        baselines: {strategy: prior_period, windows: {prior_period: 30}}
drift_detection:
  strategy: statistical
  statistical:
    tests: [ks_test, psi, chi_square, z_score, entropy, top_k, jensen_shannon]
    sensitivity: high
    test_params:
      ks_test: {alpha: 0.01, min_d: 0.2}
      psi: {buckets: 20, threshold: 0.25}
      z_score: {z_threshold: 3.0}
      chi_square: {alpha: 0.01, min_cramers_v: 0.15}
      entropy: {entropy_threshold: 0.2}
      top_k: {k: 5, similarity_threshold: 0.6}
      jensen_shannon: {threshold: 0.2}
  baselines:
    strategy: auto
    windows: {moving_average: 14, prior_period: 1, min_runs: 5, stable_window: 4}
  enable_type_specific_thresholds: true
  type_specific_thresholds:
    numeric: {mean: {low: 1, medium: 2, high: 3}}
  percent_points: {low_threshold: 2, medium_threshold: 4, high_threshold: 8}
  freshness: {low_threshold: 0.25, medium_threshold: 0.5, high_threshold: 0.9}
  alert_column_count: true
  ignore_key_growth: false
  ignore:
    - {table: "stg_*", metric: distribution}
    - {column: updated_at}
  ml_based: {}
)");
  const DriftConfig& d = c.drift_detection;
  EXPECT_EQ(d.strategy, DriftStrategy::kStatistical);
  EXPECT_EQ(d.statistical.tests.size(), 7u);
  EXPECT_EQ(d.statistical.sensitivity, Sensitivity::kHigh);
  EXPECT_DOUBLE_EQ(d.statistical.ks_alpha, 0.01);
  EXPECT_DOUBLE_EQ(d.statistical.ks_min_d, 0.2);
  EXPECT_EQ(d.statistical.psi_buckets, 20);
  EXPECT_DOUBLE_EQ(d.statistical.psi_threshold, 0.25);
  EXPECT_DOUBLE_EQ(d.statistical.z_threshold, 3.0);
  EXPECT_DOUBLE_EQ(d.statistical.chi_min_cramers_v, 0.15);
  EXPECT_DOUBLE_EQ(d.statistical.entropy_threshold, 0.2);
  EXPECT_EQ(d.statistical.top_k, 5);
  EXPECT_DOUBLE_EQ(d.statistical.js_threshold, 0.2);
  EXPECT_EQ(d.baselines.strategy, BaselineStrategy::kAuto);
  EXPECT_EQ(d.baselines.moving_average, 14);
  EXPECT_EQ(d.baselines.prior_period, 1);
  EXPECT_EQ(d.baselines.min_runs, 5);
  EXPECT_EQ(d.baselines.stable_window, 4);
  // A user's type_specific_thresholds replace the defaults, as in the original.
  ASSERT_EQ(d.type_specific_thresholds.size(), 1u);
  EXPECT_DOUBLE_EQ(d.type_specific_thresholds.at("numeric").at("mean").high, 3);
  EXPECT_DOUBLE_EQ(d.percent_points.medium, 4);
  EXPECT_DOUBLE_EQ(d.freshness.high, 0.9);
  EXPECT_TRUE(d.alert_column_count);
  EXPECT_FALSE(d.ignore_key_growth);
  ASSERT_EQ(d.ignore.size(), 2u);
  EXPECT_EQ(d.ignore[0].table, "stg_*");
  EXPECT_EQ(d.ignore[1].column, "updated_at");
  EXPECT_FALSE(d.anomaly.enabled);
  EXPECT_EQ(d.anomaly.methods, (std::vector<std::string>{"mad", "ewma", "seasonality"}));
  EXPECT_DOUBLE_EQ(d.anomaly.iqr_threshold, 2.0);
  EXPECT_DOUBLE_EQ(d.anomaly.mad_threshold, 4.5);
  EXPECT_DOUBLE_EQ(d.anomaly.ewma_deviation_threshold, 2.5);
  EXPECT_FALSE(d.anomaly.seasonality_enabled);
  EXPECT_EQ(d.anomaly.learning_window_days, 45);
  EXPECT_EQ(d.anomaly.min_samples, 8);
  EXPECT_DOUBLE_EQ(d.anomaly.ewma_lambda, 0.3);

  const TableConfig& t = c.profiling.tables.at(0);
  EXPECT_EQ(t.freshness_column, "loaded_at");
  ASSERT_EQ(t.columns.size(), 2u);
  const ColumnDriftSettings& amount = t.columns[0];
  EXPECT_EQ(amount.name, "amount");
  EXPECT_EQ(amount.drift_enabled, true);
  EXPECT_EQ(amount.strategy, DriftStrategy::kStatistical);
  EXPECT_DOUBLE_EQ(amount.thresholds->medium, 2);
  EXPECT_EQ(amount.baseline_strategy, BaselineStrategy::kMovingAverage);
  EXPECT_DOUBLE_EQ(amount.metric_thresholds.at("null_percent").low, 0.5);
  EXPECT_EQ(amount.ignore_metrics, std::vector<std::string>{"max"});
  EXPECT_EQ(amount.anomaly_enabled, false);
  EXPECT_EQ(*amount.anomaly_methods, std::vector<std::string>{"iqr"});
  EXPECT_DOUBLE_EQ(amount.anomaly_thresholds.at("mad_threshold"), 5);
  EXPECT_TRUE(t.columns[1].regex);
  EXPECT_EQ(t.columns[1].drift_enabled, false);
  // The table's drift: the global settings with its keys laid over them.
  ASSERT_TRUE(t.drift);
  EXPECT_EQ(t.drift->strategy, DriftStrategy::kStandardDeviation);
  EXPECT_EQ(t.drift->baselines.strategy, BaselineStrategy::kPriorPeriod);
  EXPECT_EQ(t.drift->baselines.prior_period, 30);
  EXPECT_EQ(t.drift->statistical.sensitivity, Sensitivity::kHigh);  // inherited
  EXPECT_FALSE(t.drift->anomaly.enabled);                           // inherited from storage
}

TEST(DriftConfig, MistakesAreNamedWithTheirPlace) {
  EXPECT_NE(error_of("drift_detection:\n  baselines: {windows: {prior_period: 5}}\n")
                .find("expected 1 (day), 7 (week) or 30 (month), got 5"),
            std::string::npos);
  EXPECT_NE(error_of("drift_detection:\n  baselines: {strategy: last_week}\n").find("last_run"),
            std::string::npos);
  std::string e = error_of("drift_detection:\n  statistical: {tests: [ks_tset]}\n");
  EXPECT_NE(e.find("unknown test 'ks_tset' (did you mean 'ks_test'?)"), std::string::npos) << e;
  e = error_of("drift_detection:\n  strategy: ml_based\n");
  EXPECT_NE(e.find("ml_based is a placeholder"), std::string::npos) << e;
  e = error_of("drift_detection:\n  statistical: {sensitivity: extreme}\n");
  EXPECT_NE(e.find("low, medium, high"), std::string::npos) << e;
  e = error_of(
      "drift_detection:\n  type_specific_thresholds:\n    numeric: {mean: {low: 9, "
      "medium: 2, high: 3}}\n");
  EXPECT_NE(e.find("low <= medium <= high"), std::string::npos) << e;
  EXPECT_NE(e.find("type_specific_thresholds.numeric.mean"), std::string::npos) << e;
  e = error_of("drift_detection:\n  ignore: [{}]\n");
  EXPECT_NE(e.find("at least one of table, column, metric"), std::string::npos) << e;
  e = error_of(
      "profiling:\n  tables:\n    - table: t\n      columns:\n        - name: a\n"
      "          anomaly: {methods: [madd]}\n");
  EXPECT_NE(e.find("unknown method 'madd' (did you mean 'mad'?)"), std::string::npos) << e;
  EXPECT_NE(e.find("profiling.tables[0].columns[0].anomaly.methods[0]"), std::string::npos) << e;
}

}  // namespace
}  // namespace baselinr
