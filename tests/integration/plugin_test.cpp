// Custom hooks through the plugin C ABI: a C++ plugin and a C plugin built by the test build,
// loaded from configuration, receiving exactly the emitted events; failures isolated and
// counted; every way a plugin can be wrong gives a clear configuration error.
#include "baselinr/plugin.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "baselinr/error.hpp"
#include "baselinr/event_bus.hpp"
#include "support/testing.hpp"

namespace baselinr {
namespace {

using testing::TempDir;

std::vector<std::string> lines(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

HookConfig custom(const std::string& module, const std::string& cls, const std::string& params) {
  HookConfig h;
  h.type = HookType::kCustom;
  h.module = module;
  h.class_name = cls;
  h.params_json = params;
  h.location = {"hooks.yml", 7, 7};
  return h;
}

std::string config_error(const HookConfig& h) {
  HooksConfig cfg;
  cfg.hooks = {h};
  try {
    create_event_bus(cfg);
  } catch (const ConfigError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a ConfigError";
  return {};
}

std::vector<Event> sample_events() {
  return {Event(ProfilingStarted{"orders", "r1"}),
          Event(DataDriftDetected{"orders", "amount", "mean", 10.0, 15.0, 50.0, Severity::kHigh}),
          Event(SchemaChangeDetected{"orders", "column_added", "note", std::nullopt, "TEXT"}),
          Event(ProfilingCompleted{"orders", "r1", 10, 2, 0.25}),
          Event(ProfilingFailed{"ghost", "r2", "table 'ghost' does not exist"})};
}

TEST(Plugin, CppPluginReceivesExactlyTheEmittedEvents) {
  TempDir dir;
  const auto out = dir / "events.jsonl";
  HooksConfig cfg;
  cfg.hooks = {
      custom(BASELINR_TEST_PLUGIN, "RecordingHook", nlohmann::json{{"path", out.string()}}.dump())};
  auto bus = create_event_bus(cfg);
  auto events = sample_events();
  for (const auto& e : events) bus->emit(e);
  auto got = lines(out);
  ASSERT_EQ(got.size(), events.size());
  for (std::size_t i = 0; i < events.size(); ++i) {
    // The plugin rebuilt each Event from JSON and serialised it again: same bytes.
    EXPECT_EQ(got[i], events[i].to_json());
  }
  EXPECT_EQ(bus->stats(0).delivered, events.size());
}

TEST(Plugin, CPluginWorksAndItsErrorsComeBackAsMessages) {
  TempDir dir;
  const auto out = dir / "c.jsonl";
  HooksConfig cfg;
  cfg.hooks = {
      custom(BASELINR_TEST_C_PLUGIN, "CFileHook", nlohmann::json{{"path", out.string()}}.dump())};
  auto bus = create_event_bus(cfg);
  Event ok(ProfilingStarted{"orders", "r1"});
  bus->emit(ok);
  bus->emit(Event(ProfilingStarted{"reject_me", "r2"}));
  auto got = lines(out);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], ok.to_json());
  EXPECT_EQ(bus->stats(0).failed, 1u);
  EXPECT_NE(bus->stats(0).last_error.find("CFileHook rejects table reject_me"), std::string::npos);
}

TEST(Plugin, AThrowingPluginIsIsolatedAndCounted) {
  TempDir dir;
  const auto out = dir / "after.jsonl";
  HooksConfig cfg;
  cfg.hooks = {
      custom(BASELINR_TEST_PLUGIN, "ThrowingHook", "{}"),
      custom(BASELINR_TEST_PLUGIN, "RecordingHook", nlohmann::json{{"path", out.string()}}.dump())};
  auto bus = create_event_bus(cfg);
  for (const auto& e : sample_events()) EXPECT_NO_THROW(bus->emit(e));
  EXPECT_EQ(bus->stats(0).failed, 5u);
  EXPECT_NE(bus->stats(0).last_error.find("ThrowingHook refuses ProfilingFailed"),
            std::string::npos)
      << bus->stats(0).last_error;
  EXPECT_EQ(lines(out).size(), 5u);
}

TEST(Plugin, EveryWayOfBeingWrongIsAClearError) {
  TempDir dir;
  std::string err = config_error(custom((dir / "missing.so").string(), "X", "{}"));
  EXPECT_NE(err.find("hooks.yml:7:7"), std::string::npos) << err;
  EXPECT_NE(err.find("not found"), std::string::npos) << err;

  auto junk = dir.write("junk.so", "not an ELF file");
  err = config_error(custom(junk.string(), "X", "{}"));
  EXPECT_NE(err.find("cannot load plugin"), std::string::npos) << err;

  err = config_error(custom(BASELINR_TEST_NO_ENTRY_PLUGIN, "X", "{}"));
  EXPECT_NE(err.find("is not a baselinr plugin"), std::string::npos) << err;
  EXPECT_NE(err.find(BASELINR_PLUGIN_ENTRY_SYMBOL), std::string::npos) << err;

  err = config_error(custom(BASELINR_TEST_ABI_PLUGIN, "X", "{}"));
  EXPECT_NE(err.find("plugin ABI version 999"), std::string::npos) << err;
  EXPECT_NE(err.find("rebuild"), std::string::npos) << err;

  err = config_error(custom(BASELINR_TEST_PLUGIN, "NoSuchHook", "{}"));
  EXPECT_NE(err.find("no hook class 'NoSuchHook'"), std::string::npos) << err;
  EXPECT_NE(err.find("RecordingHook"), std::string::npos) << err;

  err = config_error(custom(BASELINR_TEST_PLUGIN, "PickyHook", R"({"fail": true})"));
  EXPECT_NE(err.find("could not create hook 'PickyHook': PickyHook: params.fail is set"),
            std::string::npos)
      << err;

  err = config_error(custom(BASELINR_TEST_PLUGIN, "RecordingHook", "{}"));
  EXPECT_NE(err.find("RecordingHook needs params.path"), std::string::npos) << err;
}

TEST(Plugin, LoadedFromAConfigFileThroughTheCli) {
  TempDir dir;
  {
    auto c = testing::open_sqlite(dir / "src.db");
    c->execute("CREATE TABLE t (x INTEGER)");
    c->execute("INSERT INTO t VALUES (1), (2)");
  }
  const auto out = dir / "cli.jsonl";
  auto config = dir.write(
      "c.yml", testing::sqlite_pipeline_yaml(
                   dir / "src.db", dir / "store.db", {"t"},
                   fmt::format("hooks:\n  hooks:\n    - type: custom\n      module: {}\n      "
                               "class_name: RecordingHook\n      params: {{path: '{}'}}\n",
                               BASELINR_TEST_PLUGIN, out.string())));
  auto r = testing::run_cli({"profile", "--config", config.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto got = lines(out);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(got[0])["event_type"], "ProfilingStarted");
  EXPECT_EQ(nlohmann::json::parse(got[1])["event_type"], "ProfilingCompleted");
  EXPECT_EQ(nlohmann::json::parse(got[1])["row_count"], 2);

  config = dir.write("bad.yml", testing::sqlite_pipeline_yaml(
                                    dir / "src.db", dir / "store.db", {"t"},
                                    "hooks:\n  hooks:\n    - type: custom\n      module: "
                                    "./nope.so\n      class_name: X\n"));
  r = testing::run_cli({"profile", "--config", config.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("bad.yml:13:7: custom hook: plugin file './nope.so' not found"),
            std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace baselinr
