// `baselinr hooks test`: one synthetic event through every configured hook, one verdict each.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>

#include "baselinr/error.hpp"
#include "baselinr/event_bus.hpp"
#include "cli/cli_util.hpp"
#include "cli/commands.hpp"

namespace baselinr::cli {

int run_hooks_test(const HooksTestOptions& options) {
  Config config = load(options.config);
  // Marked as a test ("test": true), on a table no real event names: never listed as real.
  const Event event(DataDriftDetected{"baselinr_hooks_test", "example_column", "mean", 100.0, 150.0,
                                      50.0, Severity::kHigh},
                    new_uuid(), std::chrono::system_clock::now(), /*test=*/true);
  struct Verdict {
    std::string name, type, status, error;
  };
  std::vector<Verdict> verdicts;
  for (std::size_t i = 0; i < config.hooks.hooks.size(); ++i) {
    const HookConfig& h = config.hooks.hooks[i];
    Verdict v{h.label(i), std::string(to_string(h.type)), "delivered", ""};
    if (!h.enabled || !config.hooks.enabled) {
      v.status = "disabled";
      verdicts.push_back(v);
      continue;
    }
    HooksConfig one;
    one.hooks = {h};
    one.hooks[0].enabled = true;
    // Alone in its bus the hook would be labelled as the first of its type: keep the label of
    // this table (and of the logs) instead.
    one.hooks[0].name = v.name;
    try {
      auto bus = create_event_bus(one, {.environment = config.environment});
      // Filters are bypassed: the point is whether the hook can deliver at all.
      if (auto err = bus->deliver_to(0, event)) {
        v.status = "failed";
        v.error = *err;
      }
    } catch (const Error& e) {
      v.status = "failed";
      v.error = e.what();
    }
    verdicts.push_back(v);
  }
  std::size_t failed = 0;
  for (const auto& v : verdicts) failed += v.status == "failed";
  if (options.format == "json") {
    nlohmann::ordered_json arr = nlohmann::ordered_json::array();
    for (const auto& v : verdicts) {
      nlohmann::ordered_json j{{"hook", v.name}, {"type", v.type}, {"status", v.status}};
      j["error"] =
          v.error.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(v.error);
      arr.push_back(std::move(j));
    }
    fmt::print(
        "{}\n",
        nlohmann::ordered_json{{"event_id", event.event_id()}, {"hooks", arr}, {"failed", failed}}
            .dump(2));
  } else if (verdicts.empty()) {
    fmt::print("no hooks configured (add them under hooks.hooks)\n");
  } else {
    fmt::print(
        "Sent a synthetic DataDriftDetected event (table baselinr_hooks_test, event {}) "
        "to each hook:\n",
        event.event_id());
    std::vector<std::vector<std::string>> rows;
    for (const auto& v : verdicts) {
      rows.push_back({"  " + v.name, v.type, v.status == "failed" ? "FAILED" : v.status, v.error});
    }
    fmt::print("{}", text_table({"  HOOK", "TYPE", "RESULT", "ERROR"}, rows));
    fmt::print("{} of {} hook(s) failed\n", failed, verdicts.size());
  }
  return failed ? kExitHookFailed : kExitOk;
}

void add_hooks_test_command(CLI::App& app, CommandList& commands) {
  auto o = std::make_shared<HooksTestOptions>();
  auto* cmd =
      command_group(app, "hooks", "Work with the configured alert hooks.")
          ->add_subcommand(
              "test",
              "Send one synthetic DataDriftDetected event through every configured hook "
              "(filters bypassed) and report per hook: delivered, failed (with the error) or "
              "disabled. Exit 4 when a hook failed.");
  add_config(cmd, o->config);
  add_format(cmd, o->format);
  commands.push_back({cmd, [o] { return run_hooks_test(*o); }});
}

}  // namespace baselinr::cli
