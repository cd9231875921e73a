// Hostile identifiers: quotes, spaces, Unicode, and an injection attempt are names, nothing more.
#include <gtest/gtest.h>

#include "baselinr/drift.hpp"
#include "baselinr/profiler.hpp"
#include "baselinr/storage.hpp"
#include "support/testing.hpp"

namespace baselinr {
namespace {

TEST(Identifiers, HostileTableAndColumnNamesAreProfiledAsNames) {
  testing::TempDir dir;
  const std::string evil = "x\"; DROP TABLE y; --";
  {
    auto c = testing::open_sqlite(dir / "src.db");
    c->execute("CREATE TABLE y (keep INTEGER)");
    c->execute("INSERT INTO y VALUES (42)");
    c->execute(
        "CREATE TABLE \"x\"\"; DROP TABLE y; --\" (\"col \"\"q\"\"\" INTEGER, \"naïve café 表\" "
        "TEXT, \"back`tick\\\\\" REAL, \"it's\" INTEGER)");
    c->execute(
        "INSERT INTO \"x\"\"; DROP TABLE y; --\" VALUES (1, 'ü', 1.5, 3), (2, '表表', 2.5, 4)");
    c->execute("CREATE TABLE \"with space\" (\"a b\" INTEGER)");
    c->execute("INSERT INTO \"with space\" VALUES (5)");
  }
  Config cfg =
      testing::sqlite_pipeline_config(dir / "src.db", dir / "store.db", {evil, "with space", "y"});
  RunStore store(cfg.storage, cfg.environment);
  auto outcomes = Profiler(cfg, nullptr, &store).profile();
  ASSERT_EQ(outcomes.size(), 3u);
  for (const auto& o : outcomes) ASSERT_TRUE(o.ok()) << o.table << ": " << o.error;
  const ProfilingResult& r = *outcomes[0].result;
  EXPECT_EQ(r.dataset_name, evil);
  EXPECT_EQ(r.row_count, 2);
  ASSERT_EQ(r.columns.size(), 4u);
  EXPECT_EQ(r.columns[0].name, "col \"q\"");
  EXPECT_EQ(std::get<double>(*r.columns[0].metric("mean")), 1.5);
  EXPECT_EQ(r.columns[1].name, "naïve café 表");
  EXPECT_EQ(std::get<std::int64_t>(*r.columns[1].metric("max_length")), 2);
  EXPECT_EQ(std::get<double>(*r.columns[2].metric("max")), 2.5);
  // Table y survived, and the stored run is found by its hostile name.
  auto y = testing::query_sqlite(dir / "src.db", "SELECT keep FROM y");
  EXPECT_EQ(std::get<std::int64_t>(y.rows.at(0).at(0)), 42);
  EXPECT_EQ(store.list_runs({.dataset = evil}).size(), 1u);
  EXPECT_EQ(std::get<std::int64_t>(*outcomes[1].result->columns[0].metric("max")), 5);

  // Profile again and compare: drift works with the same names.
  store.store(*Profiler(cfg).profile({evil}).at(0).result);
  DriftConfig dc;
  DriftReport report = DriftDetector(dc, store).detect({.dataset = evil});
  EXPECT_EQ(report.summary.drifted, 0);
  EXPECT_TRUE(report.schema_changes.empty());
}

}  // namespace
}  // namespace baselinr
