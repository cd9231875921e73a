// Malformed configurations, through the real binary: each gives exit 2 and one clear line on
// stderr with file:line:column, the key path and what to do.
#include <gtest/gtest.h>

#include <deque>

#include "support/testing.hpp"

namespace baselinr {
namespace {

struct BadConfig {
  const char* name;
  const char* yaml;
  const char* location;  // expected "file:line:col" suffix after the file name
  const char* hint;      // expected text in the message
};

const char* kHead =
    "source: {type: sqlite, filepath: /tmp/w.db}\n"
    "storage: {connection: {type: sqlite, filepath: /tmp/b.db}}\n";

void PrintTo(const BadConfig& c, std::ostream* os) { *os << c.name; }

class ConfigErrors : public ::testing::TestWithParam<BadConfig> {};

TEST_P(ConfigErrors, ExitTwoWithFileLineAndHint) {
  const BadConfig& c = GetParam();
  testing::TempDir dir;
  auto file = dir.write("bad.yml", c.yaml);
  auto r = testing::run_cli({"profile", "--config", file.string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err.rfind("baselinr: error: ", 0), 0u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one line: " << r.err;
  EXPECT_NE(r.err.find(file.string() + ":" + c.location), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(c.hint), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("hunter2"), std::string::npos) << "a secret leaked: " << r.err;
}

const BadConfig kCases[] = {
    {"InvalidYaml", "source: {type: sqlite\nstorage: x\n", "2:", "invalid YAML"},
    {"UnknownTopLevelKey",
     "source: {type: sqlite, filepath: w.db}\nstorage: {connection: {type: sqlite, filepath: "
     "b.db}}\nprofilng:\n  tables: []\n",
     "3:1", "did you mean 'profiling'"},
    {"MisspeltKey",
     "source:\n  type: postgres\n  database: d\n  password: hunter2\n  usrname: bob\n"
     "storage: {connection: {type: sqlite, filepath: b.db}}\n",
     "5:3", "source.usrname: unknown key (did you mean 'username'?)"},
    {"WrongType", "profiling:\n  histogram_bins: ten\n", "4:19",
     "profiling.histogram_bins: expected an integer"},
    {"OutOfRange",
     "profiling:\n  tables:\n    - table: t\n      sampling: {enabled: true, fraction: 1.5}\n",
     "6:", "profiling.tables[0].sampling.fraction: expected a number > 0"},
    {"MissingRequired",
     "source: {filepath: w.db}\nstorage: {connection: {type: sqlite, "
     "filepath: b.db}}\n",
     "1:9", "source.type: required key"},
    {"UnknownHookType", "hooks:\n  hooks:\n    - type: webhok\n      url: https://x\n", "5:13",
     "did you mean 'webhook'"},
    {"UnknownMetric", "profiling:\n  metrics: [count, stdev]\n", "4:20",
     "unknown metric 'stdev' (did you mean 'stddev'?)"},
    {"BadStrategy",
     "profiling:\n  tables:\n    - table: t\n      partition: {key: d, strategy: lastest}\n",
     "6:", "did you mean 'latest'"},
    {"DuplicateKey",
     "source: {type: sqlite, filepath: w.db}\nsource: {type: sqlite, filepath: w.db}\n"
     "storage: {connection: {type: sqlite, filepath: b.db}}\n",
     "2:1", "duplicate key"},
    {"UnsetVariable",
     "source: {type: postgres, database: d, password: \"${BASELINR_TEST_UNSET_VAR}\"}\n"
     "storage: {connection: {type: sqlite, filepath: b.db}}\n",
     "1:", "BASELINR_TEST_UNSET_VAR is not set"},
    {"ThresholdOrder",
     "drift_detection:\n  absolute_threshold: {low_threshold: 40, medium_threshold: 20}\n", "4:23",
     "low <= medium <= high"},
    {"SqliteWithoutFilepath",
     "source: {type: sqlite, database: analytics}\nstorage: {connection: {type: sqlite, "
     "filepath: b.db}}\n",
     "1:9", "source.filepath"},
    {"TablesNotAList", "profiling:\n  tables: customers\n", "4:11", "expected a list of tables"},
    {"PortOutOfRange",
     "source: {type: mysql, database: d, port: 99999, password: hunter2}\nstorage: "
     "{connection: {type: sqlite, filepath: b.db}}\n",
     "1:42", "source.port: expected an integer from 1 to 65535"},
    {"SqlHookWithoutConnection", "hooks:\n  hooks:\n    - type: sql\n      table_name: ev\n", "5:7",
     "hooks.hooks[0].connection: required key"},
};

std::vector<BadConfig> cases() {
  // Cases that only show one section get a valid source and storage in front (2 lines).
  static const std::deque<std::string> texts = [] {
    std::deque<std::string> t;
    for (const auto& c : kCases) {
      std::string y = c.yaml;
      t.push_back(y.rfind("source", 0) == 0 ? y : std::string(kHead) + y);
    }
    return t;
  }();
  std::vector<BadConfig> out;
  for (std::size_t i = 0; i < std::size(kCases); ++i) {
    out.push_back({kCases[i].name, texts[i].c_str(), kCases[i].location, kCases[i].hint});
  }
  return out;
}

std::string case_name(const ::testing::TestParamInfo<BadConfig>& param_info) {
  return param_info.param.name;
}

INSTANTIATE_TEST_SUITE_P(Malformed, ConfigErrors, ::testing::ValuesIn(cases()), case_name);

TEST(ConfigFiles, MissingFileOrDirectoryIsExitTwo) {
  auto r = testing::run_cli({"plan", "--config", "/nonexistent/baselinr.yml"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("/nonexistent/baselinr.yml: config file not found"), std::string::npos)
      << r.err;
  testing::TempDir dir;
  r = testing::run_cli({"plan", "--config", dir.path().string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("is a directory"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace baselinr
