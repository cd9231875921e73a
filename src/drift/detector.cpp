// The drift detector: picks the runs, asks the strategy units about every metric and
// distribution, gates scalar changes by their usual range once there is history, applies the
// noise policy, and folds related findings of a column into one.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "baselinr/drift.hpp"
#include "baselinr/error.hpp"
#include "baselinr/event_bus.hpp"
#include "common/text.hpp"
#include "drift/anomaly.hpp"
#include "drift/baseline.hpp"
#include "drift/policy.hpp"
#include "drift/run_data.hpp"
#include "drift/stats.hpp"
#include "drift/units.hpp"

namespace baselinr {

using drift::Judgement;
using drift::MetricKind;

const std::vector<std::string>& drift_metric_names() {
  static const std::vector<std::string> names = {
      "count", "null_percent", "distinct_percent", "mean", "stddev", "min", "max"};
  return names;
}

const std::vector<std::string>& table_metric_names() {
  static const std::vector<std::string> names = {"row_count", "freshness_seconds",
                                                 "last_change_seconds"};
  return names;
}

bool DriftReport::has_blocking_findings() const {
  return summary.high > 0 || !schema_changes.empty();
}

struct DriftDetector::Impl {
  const Config* config = nullptr;
  DriftConfig global;
  const RunStore& store;
  EventBus* bus;
  drift::RunCache cache;

  Impl(const Config* c, DriftConfig g, const RunStore& s, EventBus* b)
      : config(c), global(std::move(g)), store(s), bus(b), cache(s) {}
};

DriftDetector::DriftDetector(const Config& config, const RunStore& store, EventBus* bus)
    : impl_(std::make_unique<Impl>(&config, config.drift_detection, store, bus)) {}

DriftDetector::DriftDetector(const DriftConfig& config, const RunStore& store, EventBus* bus)
    : impl_(std::make_unique<Impl>(nullptr, config, store, bus)) {}

DriftDetector::~DriftDetector() = default;

namespace {

constexpr double kDay = 86400.0;

// One detection: the report under construction and everything the comparisons share.
class Detection {
 public:
  Detection(DriftReport& report, const DriftConfig& config, const TableConfig* table,
            drift::RunCache& cache, drift::BaselineSelector& selector,
            std::shared_ptr<const drift::RunData> current,
            std::shared_ptr<const drift::RunData> reference)
      : report_(report),
        config_(config),
        table_(table),
        cache_(cache),
        selector_(selector),
        current_(std::move(current)),
        reference_(std::move(reference)) {}

  void run() {
    drift::ColumnPolicy table_policy(config_, table_, report_.dataset, "", "");
    for (const auto& metric : table_metric_names()) scalar(table_policy, "", metric, false);
    for (const auto& column : current_->order) {
      if (!reference_->has_column(column)) continue;  // added: a schema change
      drift::ColumnPolicy policy(config_, table_, report_.dataset, column,
                                 current_->columns.at(column).type);
      if (!policy.enabled()) continue;
      const bool key = config_.ignore_key_growth && key_growth(column);
      for (const auto& metric : drift_metric_names()) scalar(policy, column, metric, key);
      distribution(policy, column, key);
      extremes(column);
    }
    fold();
    if (short_history_ > 0) {
      report_.warnings.push_back(fmt::format(
          "history too short for anomaly bands ({} earlier run(s) within {} days, {} needed): "
          "thresholds alone decide until then",
          std::min<std::size_t>(selector_.previous().size(), selector_.history(400).size()),
          config_.anomaly.learning_window_days, config_.anomaly.min_samples));
    }
  }

 private:
  // A unique column whose range grows the way appended keys do (ids, creation times): its
  // max, mean and distribution move up by design.
  bool key_growth(const std::string& column) const {
    const drift::RunData& b = *reference_;
    const drift::RunData& c = *current_;
    auto unique = [&](const drift::RunData& r) -> std::optional<double> {
      auto n = r.number(column, "count");
      auto nulls = r.number(column, "null_count");
      auto distinct = r.number(column, "distinct_count");
      if (!n || !distinct) return std::nullopt;
      const double non_null = *n - nulls.value_or(0);
      if (non_null < 2 || *distinct != non_null) return std::nullopt;
      return non_null;
    };
    auto bound = [&](const drift::RunData& r, const char* m) -> std::optional<double> {
      auto t = r.text(column, m);
      if (!t) return std::nullopt;
      if (auto v = parse_double(*t)) return v;
      return parse_epoch_seconds(*t);
    };
    auto nb = unique(b), nc = unique(c);
    auto bmin = bound(b, "min"), bmax = bound(b, "max"), cmin = bound(c, "min"),
         cmax = bound(c, "max");
    if (!nb || !nc || !bmin || !bmax || !cmin || !cmax) return false;
    const std::string category = drift::type_category(c.columns.at(column).type);
    const bool integral = *bmin == std::floor(*bmin) && *bmax == std::floor(*bmax) &&
                          *cmin == std::floor(*cmin) && *cmax == std::floor(*cmax);
    if (category != "timestamp" && !(category == "numeric" && integral)) return false;
    const double wb = *bmax - *bmin, wc = *cmax - *cmin;
    if (!(wb > 0)) return false;
    return *cmax >= *bmax && *cmin >= *bmin && wc <= std::max(1.5, 2.0 * *nc / *nb) * wb;
  }

  // The metric's values over the previous runs within the learning window, oldest last.
  std::vector<drift::SeriesPoint> series(const std::string& column, const std::string& metric) {
    std::vector<drift::SeriesPoint> out;
    const double since = current_->time - config_.anomaly.learning_window_days * kDay;
    for (const auto& r : selector_.history(400)) {
      if (r->time < since) break;
      auto v = r->number(column, metric);
      if (v && std::isfinite(*v)) out.push_back({r->time, *v});
    }
    return out;
  }

  // The scale below which differences are noise: sampling noise of a share for percent
  // metrics, a relative hair for the rest.
  double noise_floor(const std::string& column, MetricKind kind, const drift::BandSettings& s,
                     double value) const {
    // Counts vary at least as a Poisson count does: sqrt(n) on n, 1/sqrt(n) on the log scale
    // (3.4% of 850 rows, 0.1% of a million).
    if (s.log_scale) return std::max(1e-3, 1.0 / std::sqrt(std::max(value, 1.0)));
    if (kind == MetricKind::kPoints) {
      auto n = current_->number(column, "count");
      const double p = std::clamp(value / 100, 0.0, 1.0);
      if (n && *n > 0) return std::max(1e-6, 100 * std::sqrt(p * (1 - p) / *n));
    }
    return 1e-9 * std::max(1.0, std::fabs(value));
  }

  void scalar(const drift::ColumnPolicy& policy, const std::string& column,
              const std::string& metric, bool key) {
    auto c = current_->number(column, metric);
    if (!c) return;
    const MetricKind kind = drift::metric_kind(metric);
    if (kind == MetricKind::kStall &&
        current_->text(column, "freshness_column") !=
            reference_->text(column, "freshness_column") &&
        metric == "freshness_seconds") {
      return;  // a different timestamp column: nothing comparable
    }
    const std::string strategy = policy.strategy();
    const Thresholds thresholds = policy.thresholds(metric);
    drift::ScalarBaseline base =
        selector_.scalar(column, metric, policy.baseline_strategy(), thresholds.low);
    if (!base.value) return;

    MetricComparison m;
    m.column = column;
    m.metric = metric;
    m.baseline_value = base.value;
    m.current_value = c;
    m.baseline_run_ids = base.run_ids;
    m.note = base.note;
    if (std::isfinite(*c) && std::isfinite(*base.value)) {
      m.change_absolute = *c - *base.value;
      if (*base.value != 0) m.change_percent = (*c - *base.value) / std::fabs(*base.value) * 100;
    }

    drift::UnitInput in;
    in.column = column;
    in.metric = metric;
    in.kind = kind;
    in.baseline = base.value;
    in.current = c;
    in.baseline_time = base.time;
    in.current_time = current_->time;
    in.baseline_label = base.label;
    in.thresholds = thresholds;
    in.min_history = config_.min_history;
    in.spread_thresholds = config_.standard_deviation;
    if (auto sd = current_->number(column, "stddev"); sd && std::isfinite(*sd) && *sd > 0) {
      in.spread = sd;
    }
    if (strategy == "standard_deviation") {
      for (const auto& r : selector_.history(static_cast<std::size_t>(config_.window))) {
        if (auto v = r->number(column, metric)) in.history.push_back(*v);
      }
    }

    Judgement j;
    bool non_finite = false;
    if (auto nf = drift::make_unit("non_finite")->compare(in)) {
      j = *nf;
      non_finite = true;
    } else {
      auto unit = drift::make_unit(strategy);
      auto r = unit->compare(in);
      if (!r) return;
      j = *r;
    }

    // Once the metric has history, a change must also leave its usual range.
    if (!non_finite && policy.anomaly_enabled() && std::isfinite(*c)) {
      drift::BandSettings bs = policy.band_settings(metric);
      auto history = series(column, metric);
      bs.floor = noise_floor(column, kind, bs, *c);
      if (auto band = drift::anomaly_band(history, {current_->time, *c}, bs)) {
        m.expected_value = band->expected;
        m.expected_low = band->low;
        m.expected_high = band->high;
        m.expected_method = band->describe();
        m.history_size = band->history_size;
        if (!band->anomalous) {
          if (j.severity != Severity::kNone) {
            m.suppressed = fmt::format(
                "within its usual range {} .. {} ({}: {} of {} methods "
                "flag it)",
                drift::short_number(band->low), drift::short_number(band->high), band->describe(),
                band->flagged(), band->methods.size());
          }
          j.severity = Severity::kNone;
        } else if (j.severity == Severity::kNone) {
          // Unusual against history but no change against the baseline: a level reached
          // earlier and kept (reported when it moved), or a move below the thresholds.
          m.suppressed = fmt::format(
              "outside its usual range {} .. {}, but not changed beyond the thresholds against "
              "the baseline",
              drift::short_number(band->low), drift::short_number(band->high));
        } else {
          // Changed against the baseline and unusual: graded by the larger of the change
          // against the baseline and against the expected value.
          std::optional<Judgement> e;
          if (strategy == "standard_deviation") {
            // The robust z of the band, on the strategy's |z| thresholds.
            Judgement z;
            z.strategy = "standard_deviation";
            z.statistic = "robust_z";
            z.value = band->robust_z;
            z.severity = drift::grade(std::fabs(band->robust_z), thresholds);
            z.threshold = thresholds.low;
            z.direction = band->robust_z > 0 ? "up" : "down";
            z.reason = fmt::format("{} = {}: robust z = {:+.2f} against its expected {}",
                                   column.empty() ? metric : column + "." + metric,
                                   drift::short_number(*c), band->robust_z,
                                   drift::short_number(band->expected));
            e = z;
          } else {
            drift::UnitInput vs = in;
            vs.baseline = band->expected;
            vs.baseline_time = history.front().time;
            vs.baseline_label = "expected";
            e = drift::make_unit(strategy)->compare(vs);
          }
          if (e && static_cast<int>(e->severity) > static_cast<int>(j.severity)) {
            j.severity = e->severity;
            j.statistic = e->statistic;
            j.value = e->value;
            j.threshold = e->threshold;
            j.direction = e->direction;
            j.reason = e->reason;
          }
          j.reason += fmt::format("; outside its usual range {} .. {}, expected {} ({})",
                                  drift::short_number(band->low), drift::short_number(band->high),
                                  drift::short_number(band->expected), band->describe());
        }
      } else if (static_cast<int>(history.size()) < std::max(3, bs.min_samples)) {
        ++short_history_;
      }
    }

    apply(m, j);
    if (m.drift_detected) {
      std::string why = policy.ignored(metric);
      if (why.empty() && metric == "distinct_percent" && !config_.alert_column_count) {
        why = follows_volume(column, base, *c);
      }
      if (why.empty() && key && j.direction == "up" && metric != "null_percent" &&
          metric != "distinct_percent" && metric != "count") {
        why = "key column (unique values, growing range): growth is expected";
      }
      if (why.empty() && key && metric == "stddev") {
        // n consecutive keys spread as n / sqrt(12): the row count again, either way.
        why = "key column (unique values, growing range): its spread follows the row count";
      }
      if (!why.empty()) {
        m.suppressed = why;
        m.drift_detected = false;
        m.severity = Severity::kNone;
      }
    }
    report_.metrics.push_back(std::move(m));
  }

  // The configured tests on the column's summaries against `base`: each test's result, and
  // the judgement of the one with the highest severity.
  struct TestRun {
    std::vector<TestResult> tests;
    std::optional<Judgement> primary;
  };
  TestRun run_tests(const std::string& column, const drift::DistributionBaseline& base,
                    const std::optional<drift::QuantileSummary>& cur_q,
                    const std::optional<drift::TopValues>& cur_t) const {
    const StatisticalConfig& st = config_.statistical;
    drift::UnitInput in;
    in.column = column;
    in.metric = "distribution";
    in.statistical = &st;
    if (base.quantiles && cur_q) {
      in.base_quantiles = &*base.quantiles;
      in.cur_quantiles = &*cur_q;
    }
    if (base.top_values && cur_t) {
      in.base_top = &*base.top_values;
      in.cur_top = &*cur_t;
    }
    in.base_mean = base.mean;
    in.base_stddev = base.stddev;
    in.cur_mean = current_->number(column, "mean");
    TestRun out;
    for (const auto& name : st.tests) {
      auto unit = drift::make_unit(name);
      if (!unit) continue;
      auto j = unit->compare(in);
      if (!j) continue;
      out.tests.push_back({j->strategy, j->statistic, j->value.value_or(0),
                           j->threshold.value_or(0), j->p_value, j->alpha, j->severity, j->detail});
      if (!out.primary || static_cast<int>(j->severity) > static_cast<int>(out.primary->severity)) {
        out.primary = std::move(*j);
      }
    }
    return out;
  }

  void distribution(const drift::ColumnPolicy& policy, const std::string& column, bool key) {
    if (config_.statistical.tests.empty()) return;
    auto cur_q = current_->quantiles(column);
    std::optional<drift::TopValues> cur_t;
    // Dates and times compare by their ages (quantiles), never as categories: a new day is no
    // new category.
    if (policy.category() != "timestamp") cur_t = current_->top_values(column);
    if (!cur_q && !cur_t) return;
    drift::DistributionBaseline base = selector_.distribution(column, policy.baseline_strategy());
    TestRun tests = run_tests(column, base, cur_q, cur_t);
    if (!tests.primary) return;

    MetricComparison m;
    m.column = column;
    m.metric = "distribution";
    m.baseline_run_ids = base.run_ids;
    m.tests = tests.tests;
    const Judgement& primary = *tests.primary;
    apply(m, primary);
    if (!m.drift_detected) {
      report_.metrics.push_back(std::move(m));
      return;
    }
    std::vector<std::string> others;
    for (const auto& t : m.tests) {
      if (t.test == primary.strategy || t.severity == Severity::kNone) continue;
      others.push_back(fmt::format("{} {} = {:.3f}", t.test, t.statistic, t.value));
    }
    m.reason = "distribution changed: " + primary.reason;
    if (!others.empty()) m.reason += "; also " + join(others, ", ");

    std::string why = policy.ignored("distribution");
    if (why.empty() && key) {
      why = "key column (unique values, growing range): its distribution moves by design";
    }
    // With history, the change must also be one from the column's usual distribution (the
    // previous runs pooled): a return to normal after an odd run is no finding.
    if (why.empty() && policy.anomaly_enabled()) {
      const std::size_t usual_runs = 30;
      drift::DistributionBaseline usual = selector_.usual(
          column, current_->time - config_.anomaly.learning_window_days * kDay, usual_runs);
      if (static_cast<int>(usual.run_ids.size()) >= config_.anomaly.min_samples) {
        TestRun against = run_tests(column, usual, cur_q, cur_t);
        if (!against.primary || against.primary->severity == Severity::kNone) {
          why = fmt::format("matches its usual distribution (the previous {} runs pooled)",
                            usual.run_ids.size());
        } else {
          m.reason += fmt::format("; unusual against the previous {} runs too ({})",
                                  usual.run_ids.size(), against.primary->reason);
        }
      }
    }
    if (!why.empty()) {
      m.suppressed = why;
      m.drift_detected = false;
      m.severity = Severity::kNone;
    }
    report_.metrics.push_back(std::move(m));
  }

  static void apply(MetricComparison& m, const Judgement& j) {
    m.severity = j.severity;
    m.drift_detected = j.severity != Severity::kNone;
    m.strategy = j.strategy;
    m.statistic = j.statistic;
    m.statistic_value = j.value;
    m.threshold = j.threshold;
    m.p_value = j.p_value;
    m.direction = j.direction;
    if (m.reason.empty()) m.reason = j.reason;
    if (!j.note.empty()) m.note = m.note.empty() ? j.note : m.note + "; " + j.note;
    if (j.z_score) m.z_score = j.z_score;
    if (j.history_mean) m.history_mean = j.history_mean;
    if (j.history_stddev) m.history_stddev = j.history_stddev;
    if (j.history_size > 0) m.history_size = j.history_size;
    if (j.strategy == "standard_deviation") m.history_size = j.history_size;
  }

  // One change of a column's values often moves several metrics (a rescale moves mean,
  // stddev, min, max and the distribution): report it once, the others folded into it.
  // A column's min or max is one value, noisy by nature (the extreme of the day's rows): when
  // its distribution was compared and did not change, a min or max that left its usual range
  // by less than the range's width again is that noise, not a finding. A value far outside
  // (a sentinel -999, a unit change) still is.
  void extremes(const std::string& column) {
    const MetricComparison* dist = nullptr;
    for (const auto& m : report_.metrics) {
      if (m.column == column && m.metric == "distribution") dist = &m;
    }
    if (!dist || dist->drift_detected || dist->tests.empty()) return;
    std::string tests;
    for (const auto& t : dist->tests) {
      if (!tests.empty()) tests += ", ";
      tests += fmt::format("{} {} = {:.3f}", t.test, t.statistic, t.value);
    }
    for (auto& m : report_.metrics) {
      if (m.column != column || (m.metric != "min" && m.metric != "max")) continue;
      if (!m.drift_detected || !m.current_value || !m.expected_value || !m.expected_low ||
          !m.expected_high) {
        continue;
      }
      const double e = *m.expected_value, c = *m.current_value;
      const double low = e - 2 * (e - *m.expected_low), high = e + 2 * (*m.expected_high - e);
      if (c < low || c > high) continue;
      m.suppressed = fmt::format(
          "an extreme value within twice its usual range ({} .. {}) while the distribution held "
          "({})",
          drift::short_number(low), drift::short_number(high), tests);
      m.drift_detected = false;
      m.severity = Severity::kNone;
    }
  }

  void fold() {
    static const std::vector<std::string> shape = {"distribution", "mean", "stddev", "max", "min"};
    std::map<std::string, std::vector<std::size_t>> by_column;
    for (std::size_t i = 0; i < report_.metrics.size(); ++i) {
      const auto& m = report_.metrics[i];
      if (m.column.empty() || !m.drift_detected) continue;
      if (std::find(shape.begin(), shape.end(), m.metric) == shape.end()) continue;
      by_column[m.column].push_back(i);
    }
    for (auto& [column, idx] : by_column) {
      if (idx.size() < 2) continue;
      auto rank = [&](std::size_t i) {
        const auto& m = report_.metrics[i];
        const auto order = std::find(shape.begin(), shape.end(), m.metric) - shape.begin();
        return std::make_pair(m.metric == "distribution" ? 1 : 0,
                              std::make_pair(static_cast<int>(m.severity), -order));
      };
      const std::size_t primary = *std::max_element(
          idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return rank(a) < rank(b); });
      MetricComparison& p = report_.metrics[primary];
      std::vector<std::string> also;
      for (std::size_t i : idx) {
        if (i == primary) continue;
        MetricComparison& m = report_.metrics[i];
        m.reported_in = p.metric;
        if (static_cast<int>(m.severity) > static_cast<int>(p.severity)) p.severity = m.severity;
        also.push_back(m.change_percent ? fmt::format("{} {:+.1f}%", m.metric, *m.change_percent)
                                        : m.metric);
      }
      p.reason += "; also " + join(also, ", ");
    }
    // A cardinality change that follows from another change of the column: nulls replacing
    // values (the share of distinct non-null values held), or the values themselves moving.
    for (auto& m : report_.metrics) {
      if (m.metric != "distinct_percent" || !m.drift_detected || !m.reported_in.empty()) continue;
      MetricComparison* host = nullptr;
      for (auto& o : report_.metrics) {
        if (o.column != m.column || !o.reported() || &o == &m) continue;
        if (o.metric == "null_percent" && !distinct_share_moved(m.column)) host = &o;
        if (!host && std::find(shape.begin(), shape.end(), o.metric) != shape.end() &&
            static_cast<int>(o.severity) >= static_cast<int>(m.severity)) {
          host = &o;
        }
      }
      if (!host) continue;
      m.reported_in = host->metric;
      host->reason +=
          fmt::format("; also distinct_percent {:+.2f} points", m.change_absolute.value_or(0));
    }
  }

  // A distinct share that moved only because the rows did: the distinct values stayed or moved
  // the other way (fewer rows over the same values raise the share).
  std::string follows_volume(const std::string& column, const drift::ScalarBaseline& base,
                             double current_share) {
    auto before = selector_.scalar(column, "distinct_count", BaselineStrategy::kLastRun, 0);
    std::optional<double> b;
    if (base.run_ids.size() == 1 && before.run_ids == base.run_ids) b = before.value;
    auto c = current_->number(column, "distinct_count");
    if (!b || !c || !base.value) return {};
    const double share_move = current_share - *base.value;
    const double distinct_move = *c - *b;
    if (distinct_move != 0 && (distinct_move > 0) == (share_move > 0)) return {};
    return fmt::format("follows the row count: the distinct values went {} -> {}",
                       drift::short_number(*b), drift::short_number(*c));
  }

  // The share of distinct values among the non-null ones moved by a low threshold or more.
  bool distinct_share_moved(const std::string& column) const {
    auto share = [&](const drift::RunData& r) -> std::optional<double> {
      auto n = r.number(column, "count");
      auto nulls = r.number(column, "null_count");
      auto d = r.number(column, "distinct_count");
      if (!n || !nulls || !d || *n - *nulls <= 0) return std::nullopt;
      return *d / (*n - *nulls) * 100;
    };
    auto b = share(*reference_), c = share(*current_);
    if (!b || !c) return true;
    return std::fabs(*c - *b) >= config_.percent_points.low;
  }

  DriftReport& report_;
  const DriftConfig& config_;
  const TableConfig* table_;
  drift::RunCache& cache_;
  drift::BaselineSelector& selector_;
  std::shared_ptr<const drift::RunData> current_;
  std::shared_ptr<const drift::RunData> reference_;
  int short_history_ = 0;
};

}  // namespace

DriftReport DriftDetector::detect(const DriftRequest& request) {
  Impl& s = *impl_;
  auto find = [&](const std::string& run_id, const char* flag) {
    auto run = s.store.find_run(run_id);
    if (!run) {
      throw UsageError(fmt::format("{} {}: no such run in storage; list runs with `baselinr runs`",
                                   flag, run_id));
    }
    if (!request.dataset.empty() && run->dataset_name != request.dataset) {
      throw UsageError(fmt::format("{} {}: that run profiled '{}', not '{}'", flag, run_id,
                                   run->dataset_name, request.dataset));
    }
    return *run;
  };

  DriftReport report;
  if (!request.current_run.empty()) {
    report.current = find(request.current_run, "--current");
  } else {
    auto latest = s.store.list_runs(
        {.dataset = request.dataset, .schema = request.schema, .status = "completed", .limit = 1});
    if (latest.empty()) {
      throw UsageError(fmt::format(
          "no stored runs of '{}'{}; run `baselinr profile` first (see `baselinr runs`)",
          request.dataset, request.schema.empty() ? "" : " in schema " + request.schema));
    }
    report.current = latest.front();
  }
  report.dataset = report.current.dataset_name;
  report.schema = report.current.schema_name;

  const drift::TableSettings settings =
      drift::table_settings(s.config, s.global, report.dataset, report.schema);
  const DriftConfig& config = *settings.drift;
  report.strategy = config.strategy;
  report.baseline_strategy = config.baselines.strategy;

  auto current = s.cache.get(report.current);
  drift::BaselineSelector selector(s.cache, current, s.store.runs_before(report.current, 400),
                                   config.baselines);
  if (!request.baseline_run.empty()) {
    selector.fix(s.cache.get(find(request.baseline_run, "--baseline")), "explicit");
  } else if (auto pin = s.store.pinned_baseline(report.dataset, report.schema)) {
    if (pin->run_id != report.current.run_id) {
      if (auto run = s.store.find_run(pin->run_id)) {
        selector.fix(s.cache.get(*run), "pinned");
        report.pinned = true;
      } else {
        report.warnings.push_back(fmt::format(
            "the pinned baseline run {} is no longer in storage; using the {} baseline (clear "
            "the pin with `baselinr baseline clear`)",
            pin->run_id, to_string(config.baselines.strategy)));
      }
    }
  }
  auto reference = selector.reference(config.baselines.strategy);
  if (!reference) {
    throw NothingToCompareError(
        fmt::format("'{}' has one stored run ({}); drift compares it with the next run, so "
                    "profile it again later",
                    report.current.dataset_name, report.current.run_id),
        report.current.dataset_name, report.current.run_id);
  }
  report.baseline = reference->run;
  if (report.baseline.dataset_name != report.current.dataset_name) {
    throw UsageError(
        fmt::format("--baseline and --current profile different tables ('{}' and '{}')",
                    report.baseline.dataset_name, report.current.dataset_name));
  }
  if (report.baseline.run_id == report.current.run_id) {
    throw UsageError("--baseline and --current name the same run; pick two different runs");
  }

  // Compare like with like: say so when the two runs read different kinds of subsets.
  if (!report.baseline.metadata.empty() && !report.current.metadata.empty()) {
    ProfiledScope b = ProfiledScope::from_json(report.baseline.metadata);
    ProfiledScope c = ProfiledScope::from_json(report.current.metadata);
    if (!b.comparable_with(c)) {
      report.warnings.push_back(fmt::format(
          "the runs profiled different subsets (baseline: {}; current: {}): part of any "
          "difference may come from that",
          b.describe(), c.describe()));
    }
  }

  // Schema changes, in current column order then removed columns in baseline order.
  for (const auto& name : current->order) {
    auto b = reference->columns.find(name);
    const std::string& new_type = current->columns.at(name).type;
    if (b == reference->columns.end()) {
      report.schema_changes.push_back({"column_added", name, std::nullopt, new_type});
    } else if (to_lower(b->second.type) != to_lower(new_type)) {
      report.schema_changes.push_back({"type_changed", name, b->second.type, new_type});
    }
  }
  for (const auto& name : reference->order) {
    if (!current->has_column(name)) {
      report.schema_changes.push_back(
          {"column_removed", name, reference->columns.at(name).type, std::nullopt});
    }
  }

  const bool sd = config.strategy == DriftStrategy::kStandardDeviation;
  if (sd) {
    const auto found =
        std::min<std::size_t>(selector.previous().size(), static_cast<std::size_t>(config.window));
    if (static_cast<int>(found) < config.min_history) {
      report.warnings.push_back(fmt::format(
          "standard_deviation needs at least {} previous runs of '{}' (window {}); found {}. "
          "No statistical drift was computed; schema changes are still reported. Profile more "
          "runs or lower drift_detection.standard_deviation.min_history.",
          config.min_history, report.dataset, config.window, found));
    }
  }

  Detection(report, config, settings.table, s.cache, selector, current, reference).run();

  DriftSummary& sum = report.summary;
  sum.compared = static_cast<int>(report.metrics.size());
  sum.schema_changes = static_cast<int>(report.schema_changes.size());
  for (const auto& m : report.metrics) {
    if (!m.reported()) continue;
    ++sum.drifted;
    if (m.severity == Severity::kLow) ++sum.low;
    if (m.severity == Severity::kMedium) ++sum.medium;
    if (m.severity == Severity::kHigh) ++sum.high;
  }

  if (s.bus) {
    for (const auto& e : drift_events(report)) s.bus->emit(e);
  }
  return report;
}

}  // namespace baselinr
