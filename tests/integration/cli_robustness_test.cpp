// The baselinr binary on a first day and under hostile conditions: usage errors that say what
// to do, the original's flags, output that cannot be written, read-only commands that create
// nothing, a store that is locked, missing or limited, a source a user may not read.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "support/testing.hpp"

namespace baselinr {
namespace {

using testing::run_cli;
using testing::TempDir;

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs `command` in a shell (for redirections and limits), with `cwd` as working directory.
testing::CliResult shell(const std::string& command, const std::filesystem::path& cwd = "/") {
  return testing::run_program("/bin/sh", {"-c", "cd '" + cwd.string() + "' && " + command});
}

class CliRobustness : public ::testing::Test {
 protected:
  TempDir dir;
  std::filesystem::path config;

  void SetUp() override {
    auto c = testing::open_sqlite(dir / "src.db");
    c->execute("CREATE TABLE customers (id INTEGER, age INTEGER, email TEXT)");
    for (int i = 1; i <= 50; ++i) {
      c->execute(
          fmt::format("INSERT INTO customers VALUES ({}, {}, 'c{}@x.io')", i, 20 + i % 30, i));
    }
    config = write_config({"customers"});
  }

  std::filesystem::path write_config(const std::vector<std::string>& tables,
                                     const std::string& extra = "",
                                     const std::string& name = "baselinr.yml") {
    return dir.write(
        name, testing::sqlite_pipeline_yaml(dir / "src.db", dir / "store.db", tables,
                                            "hooks:\n  hooks:\n    - type: logging\n" + extra));
  }
  std::string cfg() const { return config.string(); }
};

TEST_F(CliRobustness, UnknownCommandsAreNamedWithASuggestion) {
  auto r = run_cli({"bogus"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown command 'bogus'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("commands: plan, profile, drift"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("A subcommand is required"), std::string::npos) << r.err;
  r = run_cli({"prfile", "--config", cfg()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown command 'prfile' (did you mean 'profile'?)"), std::string::npos)
      << r.err;
  r = run_cli({"hooks", "tst"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown command 'tst' (did you mean 'test'?)"), std::string::npos) << r.err;
}

TEST_F(CliRobustness, UsageErrorsPointToTheCommandsOwnHelp) {
  auto r = run_cli({"drift", "--config", cfg()});  // --dataset is required
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("(run 'baselinr drift --help')"), std::string::npos) << r.err;
  r = run_cli({"profile", "--config", cfg(), "--bogus"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("(run 'baselinr profile --help')"), std::string::npos) << r.err;
  r = run_cli({"hooks", "test"});  // --config is required
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("(run 'baselinr hooks test --help')"), std::string::npos) << r.err;
  r = run_cli({"bogus"});
  EXPECT_NE(r.err.find("(run 'baselinr --help')"), std::string::npos) << r.err;
}

TEST_F(CliRobustness, LimitAndEventTypeAreValidatedInPlainWords) {
  for (const char* cmd : {"runs", "events"}) {
    auto r = run_cli({cmd, "--config", cfg(), "--limit", "-1"});
    EXPECT_EQ(r.exit_code, 2) << cmd;
    EXPECT_NE(r.err.find("--limit: expected 0 (no limit) or a positive whole number, got '-1'"),
              std::string::npos)
        << r.err;
    EXPECT_LT(r.err.size(), 200u) << "no 309-digit range: " << r.err;
  }
  auto r = run_cli({"events", "--config", cfg(), "--type", "Bogus"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--type Bogus: not an event type; one of DataDriftDetected, "
                       "SchemaChangeDetected, ProfilingStarted, ProfilingCompleted, "
                       "ProfilingFailed, DataDriftResolved"),
            std::string::npos)
      << r.err;
  r = run_cli({"events", "--config", cfg(), "--type", "DriftDetected"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("did you mean 'DataDriftDetected'"), std::string::npos) << r.err;
}

TEST_F(CliRobustness, OutputPathIsCheckedBeforeAnyWork) {
  auto r = run_cli({"profile", "--config", cfg(), "--output", "/nonexistent/x.json"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--output /nonexistent/x.json: the directory /nonexistent does not exist"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("ProfilingStarted"), std::string::npos) << "no event was sent: " << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "store.db")) << "no run was stored";
  r = run_cli({"profile", "--config", cfg(), "--output", dir.path().string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("is a directory"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "store.db"));
  r = run_cli({"drift", "-c", cfg(), "-d", "customers", "-o", "/nonexistent/r.json"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("/nonexistent does not exist"), std::string::npos) << r.err;
}

TEST_F(CliRobustness, OutputThatCannotBeWrittenIsAnError) {
  auto r = run_cli({"profile", "--config", cfg(), "--output", "/dev/full"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("--output /dev/full: writing the file failed: No space left on device"),
            std::string::npos)
      << r.err;
  // Text on a full stdout: the report is lost, so the exit code says so.
  const std::string bin = BASELINR_CLI_PATH;
  r = shell("'" + bin + "' profile --config '" + cfg() + "' > /dev/full");
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("writing the output to stdout failed: No space left on device"),
            std::string::npos)
      << r.err;
  r = shell("'" + bin + "' runs --config '" + cfg() + "' --format json > /dev/full");
  EXPECT_EQ(r.exit_code, 3) << r.err;
}

TEST_F(CliRobustness, TheOriginalsShortFlagsWork) {
  // plan -c F -o json -v: the format and verbosity of the original.
  auto r = run_cli({"plan", "-c", cfg(), "-o", "json", "-v"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto plan = nlohmann::json::parse(r.out);
  EXPECT_EQ(plan["tables"][0]["table"], "customers");
  EXPECT_NE(r.out.find("SELECT"), std::string::npos) << "verbose shows the SQL";
  for (const char* flag : {"--format", "--output"}) {
    r = run_cli({"plan", "--config", cfg(), flag, "json"});
    ASSERT_EQ(r.exit_code, 0) << flag << r.err;
    EXPECT_TRUE(nlohmann::json::accept(r.out)) << flag;
  }
  // profile -o FILE: the profiles as JSON, as the original writes them.
  r = run_cli({"profile", "-c", cfg(), "-o", (dir / "p.json").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto profiles = nlohmann::json::parse(slurp(dir / "p.json"));
  EXPECT_EQ(profiles[0]["dataset_name"], "customers");
  EXPECT_EQ(profiles[0]["row_count"], 50);
  const std::string baseline = profiles[0]["run_id"];
  ASSERT_EQ(run_cli({"profile", "-c", cfg(), "--format", "json"}).exit_code, 0);

  // drift -c F -d T -b RUN -o FILE: text on stdout, the JSON report in the file.
  r = run_cli(
      {"drift", "-c", cfg(), "-d", "customers", "-b", baseline, "-o", (dir / "r.json").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Drift report for customers"), std::string::npos) << r.out;
  auto report = nlohmann::json::parse(slurp(dir / "r.json"));
  EXPECT_EQ(report["dataset"], "customers");
  EXPECT_EQ(report["baseline_run"]["run_id"], baseline);
  // --format json on stdout; --output json is still the format, not a file named json.
  for (const char* flag : {"--format", "--output"}) {
    r = run_cli({"drift", "-c", cfg(), "-d", "customers", flag, "json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(nlohmann::json::parse(r.out)["dataset"], "customers") << flag;
  }
  EXPECT_FALSE(std::filesystem::exists("json"));
  // runs and events take -d too.
  r = run_cli({"runs", "-c", cfg(), "-d", "customers", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out).size(), 2u);
}

TEST_F(CliRobustness, DriftOnATablesFirstRunHasNothingToCompareYet) {
  ASSERT_EQ(run_cli({"profile", "--config", cfg()}).exit_code, 0);
  auto r = run_cli({"drift", "--config", cfg(), "--dataset", "customers", "--fail-on-drift"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Nothing to compare yet: 'customers' has one stored run"), std::string::npos)
      << r.out;
  r = run_cli({"drift", "--config", cfg(), "--dataset", "customers", "--fail-on-drift", "--format",
               "json", "-o", (dir / "first.json").string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["status"], "nothing_to_compare");
  EXPECT_EQ(j["dataset"], "customers");
  EXPECT_EQ(nlohmann::json::parse(slurp(dir / "first.json"))["status"], "nothing_to_compare");
  // No run at all is still a mistake (a misspelt table, another store).
  r = run_cli({"drift", "--config", cfg(), "--dataset", "custmers"});
  EXPECT_EQ(r.exit_code, 2);
}

TEST_F(CliRobustness, ReadOnlyCommandsCreateNoStore) {
  auto r = run_cli({"runs", "--config", cfg()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("no store yet: sqlite:" + (dir / "store.db").string() + " does not exist"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("baselinr profile --config FILE` creates it"), std::string::npos) << r.out;
  r = run_cli({"runs", "--config", cfg(), "--format", "json"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "[]\n");
  r = run_cli({"events", "--config", cfg()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("no store yet"), std::string::npos) << r.out;
  r = run_cli({"drift", "--config", cfg(), "--dataset", "customers"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no store yet"), std::string::npos) << r.err;
  r = run_cli({"history", "--config", cfg(), "--dataset", "customers"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no store yet"), std::string::npos) << r.err;
  r = run_cli({"plan", "--config", cfg()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "store.db")) << "no command above creates the store";

  // An existing database without baselinr's tables is no store either, and stays untouched.
  testing::open_sqlite(dir / "store.db")->execute("CREATE TABLE other (x INTEGER)");
  r = run_cli({"runs", "--config", cfg()});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("has no baselinr_runs table"), std::string::npos) << r.out;
  EXPECT_EQ(testing::query_sqlite(dir / "store.db", "SELECT COUNT(*) FROM sqlite_schema")
                .rows.at(0)
                .at(0),
            db::Value(std::int64_t{1}));
}

TEST_F(CliRobustness, MissingTablesWithCreateTablesOffFailBeforeProfiling) {
  testing::open_sqlite(dir / "store.db")->execute("CREATE TABLE other (x INTEGER)");
  config = write_config({"customers"}, "", "off.yml");
  std::string text = slurp(config);
  text.replace(text.find("profiling:"), 0, "  create_tables: false\n");
  std::ofstream(config) << text;
  auto r = run_cli({"profile", "--config", cfg()});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("baselinr_runs and baselinr_results do not exist in sqlite:"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("create_tables is false"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("ProfilingStarted"), std::string::npos) << "checked before profiling";
}

TEST_F(CliRobustness, PlanExitsThreeWhenAConfiguredTableDoesNotExist) {
  config = write_config({"customers", "no_such_table"}, "", "plan.yml");
  auto r = run_cli({"plan", "--config", cfg()});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.out.find("customers"), std::string::npos) << "the whole plan is shown";
  EXPECT_NE(r.out.find("no_such_table"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("1 of 2 table(s) cannot be profiled: no_such_table"), std::string::npos)
      << r.err;
  r = run_cli({"plan", "--config", cfg(), "--format", "json"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_TRUE(nlohmann::json::accept(r.out));
}

TEST_F(CliRobustness, HooksTestNamesFailingHooksWithItsTableLabels) {
  config = write_config({}, R"(    - type: command
      command: [/bin/true]
    - type: command
      command: [/bin/sh, -c, "exit 3"]
)",
                        "hooks.yml");
  auto r = run_cli({"hooks", "test", "--config", cfg()});
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_NE(r.out.find("command[2]"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("hook command[2] failed"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("command[0]"), std::string::npos) << r.err;
}

TEST_F(CliRobustness, AFileSizeLimitGivesAMessageNotASilentDeath) {
  // The store's first page already exceeds the limit.
  const std::string bin = BASELINR_CLI_PATH;
  auto r = shell("ulimit -f 2; exec '" + bin + "' profile --config '" + cfg() + "'");
  EXPECT_EQ(r.exit_code, 3) << "not killed by SIGXFSZ: " << r.err;
  EXPECT_NE(r.err.find("baselinr: error:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("(ulimit -f)"), std::string::npos) << r.err;
}

TEST_F(CliRobustness, ALockedStoreNamesTheDatabaseAndWhatToDo) {
  config =
      dir.write("locked.yml",
                fmt::format("source: {{type: sqlite, filepath: '{}'}}\n"
                            "storage:\n  connection: {{type: sqlite, filepath: '{}', extra_params: "
                            "{{timeout: 0.2}}}}\nprofiling:\n  tables: [{{table: customers}}]\n",
                            (dir / "src.db").string(), (dir / "store.db").string()));
  ASSERT_EQ(run_cli({"profile", "--config", cfg()}).exit_code, 0);
  auto holder = testing::open_sqlite(dir / "store.db");
  holder->execute("BEGIN EXCLUSIVE");
  auto r = run_cli({"profile", "--config", cfg()});
  holder->execute("ROLLBACK");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("database '" + (dir / "store.db").string() + "' is locked"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("wait for it to finish and run again, or raise the timeout"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(run_cli({"profile", "--config", cfg()}).exit_code, 0) << "fine once released";
}

TEST_F(CliRobustness, TheOriginalsSqliteExampleRunsWithWarningsAndAStratifiedSampleIsRecorded) {
  // examples/config_sqlite.yml of the original, its keys as written, run where it expects to be.
  {
    auto c = testing::open_sqlite(dir / "example.db");
    c->execute("CREATE TABLE sample_table (id INTEGER, region TEXT)");
    for (int i = 0; i < 200; ++i) {
      c->execute(fmt::format("INSERT INTO sample_table VALUES ({}, '{}')", i, i % 3 ? "n" : "s"));
    }
  }
  dir.write("original.yml", R"(environment: development
source:
  type: sqlite
  database: example.db
  filepath: ./example.db
storage:
  connection:
    type: sqlite
    database: example.db
    filepath: ./example.db
  results_table: baselinr_results
  runs_table: baselinr_runs
  create_tables: true
profiling:
  tables:
    - table: sample_table
      sample_ratio: 1.0

  default_sample_ratio: 1.0
  max_distinct_values: 1000
  compute_histograms: true
  histogram_bins: 10
)");
  const std::string bin = BASELINR_CLI_PATH;
  auto r = shell("'" + bin + "' profile --config original.yml", dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("original.yml:17:21: profiling.tables[0].sample_ratio: ignored"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("profiling.default_sample_ratio: accepted for compatibility"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.out.find("sample_table  ok      200"), std::string::npos) << "no sampling: " << r.out;

  // The advanced example's stratified sampling without a stratum column: sampled at random,
  // and each run records it.
  config = dir.write(
      "stratified.yml",
      fmt::format("source: {{type: sqlite, filepath: '{0}'}}\nstorage: {{connection: {{type: "
                  "sqlite, filepath: '{1}'}}}}\nprofiling:\n  tables:\n    - table: sample_table\n"
                  "      sampling: {{enabled: true, method: stratified, fraction: 0.5}}\n",
                  (dir / "example.db").string(), (dir / "store.db").string()));
  r = run_cli({"plan", "--config", cfg()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("(stratified without stratify_by: sampled at random)"), std::string::npos)
      << r.out;
  EXPECT_NE(r.err.find("method stratified without stratify_by"), std::string::npos) << r.err;
  r = run_cli({"profile", "--config", cfg()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto meta = nlohmann::json::parse(std::get<std::string>(
      testing::query_sqlite(dir / "store.db", "SELECT metadata FROM baselinr_runs")
          .rows.at(0)
          .at(0)));
  EXPECT_EQ(meta["sampling_method"], "random");
  EXPECT_NE(meta["sampling_mechanism"].get<std::string>().find(
                "stratified without stratify_by: sampled at random"),
            std::string::npos)
      << meta.dump();
}

// Runs the binary as a user without special rights: `nobody` when the tests run as root (root
// reads and writes everything), else the current user.
testing::CliResult run_unprivileged(const std::vector<std::string>& args) {
  if (geteuid() != 0) return run_cli(args);
  std::vector<std::string> full = {"--reuid=nobody", "--regid=nogroup", "--clear-groups",
                                   BASELINR_CLI_PATH};
  full.insert(full.end(), args.begin(), args.end());
  return testing::run_program("/usr/bin/setpriv", full);
}

TEST_F(CliRobustness, AWalSourceAUserMayNotWriteBesideNamesTheSourceAndWal) {
  // The source is in WAL mode, in a directory the user may read but not write.
  const auto source_dir = dir / "warehouse";
  const auto store_dir = dir / "store";
  std::filesystem::create_directories(source_dir);
  std::filesystem::create_directories(store_dir);
  {
    auto c = testing::open_sqlite(source_dir / "w.db");
    c->query("PRAGMA journal_mode = WAL");
    c->execute("CREATE TABLE t (x INTEGER)");
    c->execute("INSERT INTO t VALUES (1), (2)");
  }
  const auto wal_config = store_dir / "c.yml";
  std::ofstream(wal_config) << fmt::format(
      "source: {{type: sqlite, filepath: '{}'}}\nstorage: {{connection: {{type: sqlite, "
      "filepath: '{}'}}}}\nprofiling:\n  tables: [{{table: t}}]\n",
      (source_dir / "w.db").string(), (store_dir / "b.db").string());
  chmod(dir.path().c_str(), 0755);
  chmod(source_dir.c_str(), 0555);
  chmod((source_dir / "w.db").c_str(), 0644);
  chmod(store_dir.c_str(), 0777);
  chmod(wal_config.c_str(), 0644);
  auto r = run_unprivileged({"profile", "--config", wal_config.string()});
  chmod(source_dir.c_str(), 0755);
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_NE(r.err.find("cannot read '" + (source_dir / "w.db").string() +
                       "': the database is in WAL mode"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("write access to its directory"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace baselinr
