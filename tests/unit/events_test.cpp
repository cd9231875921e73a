#include "baselinr/events.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <set>

namespace baselinr {
namespace {

TEST(Events, EveryEventHasAUuidMintedOnceAndAUtcTimestamp) {
  Event e(ProfilingStarted{"customers", "run-1"});
  static const std::regex uuid(
      "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  EXPECT_TRUE(std::regex_match(e.event_id(), uuid)) << e.event_id();
  Event copy = e;
  EXPECT_EQ(copy.event_id(), e.event_id());  // copying keeps the identity
  EXPECT_TRUE(std::regex_match(e.timestamp_iso(),
                               std::regex(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$)")))
      << e.timestamp_iso();
  std::set<std::string> ids;
  for (int i = 0; i < 10000; ++i) ids.insert(new_uuid());
  EXPECT_EQ(ids.size(), 10000u);
}

TEST(Events, DriftEventSerialisesAllFieldsAndMetadata) {
  Event e(DataDriftDetected{"orders", "amount", "mean", 10.0, 15.0, 50.0, Severity::kHigh});
  auto j = nlohmann::json::parse(e.to_json());
  EXPECT_EQ(j["event_id"], e.event_id());
  EXPECT_EQ(j["event_type"], "DataDriftDetected");
  EXPECT_EQ(j["timestamp"], e.timestamp_iso());
  EXPECT_EQ(j["table"], "orders");
  EXPECT_EQ(j["column"], "amount");
  EXPECT_EQ(j["metric"], "mean");
  EXPECT_EQ(j["baseline_value"], 10.0);
  EXPECT_EQ(j["current_value"], 15.0);
  EXPECT_EQ(j["change_percent"], 50.0);
  EXPECT_EQ(j["drift_severity"], "high");
  EXPECT_EQ(j["metadata"]["table"], "orders");
  EXPECT_EQ(j["metadata"]["drift_severity"], "high");
  EXPECT_EQ(j["metadata"].size(), 7u);
  EXPECT_EQ(nlohmann::json::parse(e.metadata_json()), j["metadata"]);
  EXPECT_EQ(e.table(), "orders");
  EXPECT_EQ(e.severity(), Severity::kHigh);
}

TEST(Events, EachTypeHasItsNameAndFields) {
  struct Case {
    Event event;
    const char* type;
    std::vector<std::string> fields;
  };
  std::vector<Case> cases = {
      {Event(SchemaChangeDetected{"t", "type_changed", "c", "INTEGER", "TEXT"}),
       "SchemaChangeDetected",
       {"table", "change_type", "column", "old_type", "new_type"}},
      {Event(ProfilingStarted{"t", "r"}), "ProfilingStarted", {"table", "run_id"}},
      {Event(ProfilingCompleted{"t", "r", 10, 3, 0.5}),
       "ProfilingCompleted",
       {"table", "run_id", "row_count", "column_count", "duration_seconds"}},
      {Event(ProfilingFailed{"t", "r", "boom"}), "ProfilingFailed", {"table", "run_id", "error"}},
      {Event(DataDriftResolved{
           "t", "c", "mean", Severity::kHigh, {{"direction", std::string("up")}}}),
       "DataDriftResolved",
       {"table", "column", "metric", "drift_severity", "direction"}},
  };
  for (const auto& c : cases) {
    auto j = nlohmann::json::parse(c.event.to_json());
    EXPECT_EQ(j["event_type"], c.type);
    std::vector<std::string> keys;
    for (auto& [k, v] : j["metadata"].items()) keys.push_back(k);
    std::sort(keys.begin(), keys.end());
    auto expected = c.fields;
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(keys, expected) << c.type;
  }
  auto j = nlohmann::json::parse(
      Event(SchemaChangeDetected{"t", "column_added", "c", std::nullopt, "TEXT"}).to_json());
  EXPECT_TRUE(j["old_type"].is_null());
  EXPECT_EQ(all_event_types().size(), 6u);
}

TEST(Events, NonFiniteNumbersBecomeJsonNull) {
  Event e(DataDriftDetected{"t", "c", "mean", 0.0, std::numeric_limits<double>::infinity(),
                            std::nullopt, Severity::kNone});
  auto j = nlohmann::json::parse(e.to_json());
  EXPECT_TRUE(j["current_value"].is_null());
  EXPECT_TRUE(j["change_percent"].is_null());
  EXPECT_EQ(j["baseline_value"], 0.0);
}

TEST(Events, SeverityNamesRoundTrip) {
  for (Severity s : {Severity::kNone, Severity::kLow, Severity::kMedium, Severity::kHigh}) {
    EXPECT_EQ(parse_severity(to_string(s)), s);
  }
  EXPECT_EQ(parse_severity("HIGH"), Severity::kHigh);
  EXPECT_FALSE(parse_severity("critical"));
}

TEST(Events, DetailsFollowTheStandardFieldsAndSurviveARoundTrip) {
  DataDriftDetected d{"orders", "amount", "mean", 10.0, 15.0, 50.0, Severity::kHigh};
  d.details = {{"strategy", std::string("absolute_threshold")},
               {"threshold", 30.0},
               {"baseline_run_ids", std::string("r1,r2")},
               {"history_size", std::int64_t{7}},
               {"table", std::string("ignored: repeats a standard field")}};
  Event e(d);
  auto j = nlohmann::ordered_json::parse(e.to_json());
  std::vector<std::string> keys;
  for (auto& [k, v] : j["metadata"].items()) keys.push_back(k);
  EXPECT_EQ(keys,
            (std::vector<std::string>{
                "table", "column", "metric", "baseline_value", "current_value", "change_percent",
                "drift_severity", "strategy", "threshold", "baseline_run_ids", "history_size"}));
  EXPECT_EQ(j["table"], "orders");
  EXPECT_EQ(j["strategy"], "absolute_threshold");
  Event back = Event::from_json(e.to_json());
  const auto* p = back.get_if<DataDriftDetected>();
  ASSERT_NE(p, nullptr);
  ASSERT_EQ(p->details.size(), 4u);
  EXPECT_EQ(p->details[0].first, "strategy");
  EXPECT_EQ(std::get<double>(p->details[1].second), 30.0);
  EXPECT_EQ(std::get<std::int64_t>(p->details[3].second), 7);
  EXPECT_EQ(back.to_json(), e.to_json());

  SchemaChangeDetected s{"orders", "column_added", "note", std::nullopt, "TEXT"};
  s.details = {{"current_run_id", std::string("r9")}};
  Event se(s);
  EXPECT_EQ(nlohmann::json::parse(se.metadata_json())["current_run_id"], "r9");
  EXPECT_EQ(Event::from_json(se.to_json()).to_json(), se.to_json());
}

}  // namespace
}  // namespace baselinr
