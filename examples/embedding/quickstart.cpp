// Embedding baselinr: load a configuration, register your own hooks on an EventBus, profile,
// change the data, profile again, and detect drift — the C++ counterpart of the original's
// quickstart. Usage: quickstart DIR (creates DIR/warehouse.db and DIR/baselinr.db).
#include <sqlite3.h>

#include <baselinr/config.hpp>
#include <baselinr/drift.hpp>
#include <baselinr/error.hpp>
#include <baselinr/event_bus.hpp>
#include <baselinr/profiler.hpp>
#include <baselinr/storage.hpp>
#include <filesystem>
#include <iostream>
#include <string>

namespace {

using namespace baselinr;

void sql(const std::string& file, const std::string& statements) {
  sqlite3* db = nullptr;
  sqlite3_open(file.c_str(), &db);
  char* err = nullptr;
  if (sqlite3_exec(db, statements.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "sqlite error";
    sqlite3_free(err);
    sqlite3_close(db);
    throw std::runtime_error(msg);
  }
  sqlite3_close(db);
}

// Counts what it sees; a real hook would page someone.
class CountingHook : public Hook {
 public:
  void handle_event(const Event& event) override {
    ++count;
    if (event.get_if<DataDriftDetected>()) ++drift;
  }
  int count = 0;
  int drift = 0;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: quickstart DIR\n";
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  std::filesystem::create_directories(dir);
  const std::string warehouse = (dir / "warehouse.db").string();
  std::filesystem::remove(warehouse);
  std::filesystem::remove(dir / "baselinr.db");
  sql(warehouse,
      "CREATE TABLE sales (id INTEGER, amount REAL, region TEXT);"
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) "
      "INSERT INTO sales SELECT i, (i % 50) * 1.5, CASE i % 3 WHEN 0 THEN 'eu' ELSE 'us' END "
      "FROM n;");

  try {
    LoadOptions env = LoadOptions::from_process();
    Config config = parse_config("source: {type: sqlite, filepath: '" + warehouse +
                                     "'}\n"
                                     "storage: {connection: {type: sqlite, filepath: '" +
                                     (dir / "baselinr.db").string() +
                                     "'}}\n"
                                     "profiling: {tables: [{table: sales}]}\n",
                                 "quickstart.yml", env);

    EventBus bus;
    auto hook = std::make_unique<CountingHook>();
    CountingHook* counts = hook.get();
    bus.register_hook(std::move(hook), {"counter", {}});

    RunStore store(config.storage, config.environment);
    Profiler profiler(config, &bus, &store);
    profiler.profile();
    sql(warehouse, "UPDATE sales SET amount = amount * 3 WHERE region = 'us';");
    for (const auto& outcome : profiler.profile()) {
      std::cout << outcome.table << ": " << outcome.result->row_count << " rows profiled\n";
    }

    DriftDetector detector(config.drift_detection, store, &bus);
    DriftReport report = detector.detect({.dataset = "sales"});
    std::cout << report.to_text();
    std::cout << "events seen by the hook: " << counts->count << " (" << counts->drift
              << " drift)\n";
    return report.has_blocking_findings() ? 1 : 0;
  } catch (const Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 3;
  }
}
