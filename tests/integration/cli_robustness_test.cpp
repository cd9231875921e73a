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
