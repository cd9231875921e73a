// baselinr: data profiling and drift detection. Parses the command line, runs one command,
// and maps failures to exit codes: 0 ok, 1 findings (--fail-on-drift), 2 usage or
// configuration error, 3 connection/query/storage failure, 4 a hook could not deliver.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>

#include "baselinr/error.hpp"
#include "baselinr/version.hpp"
#include "cli/commands.hpp"
#include "common/log.hpp"

namespace {

using namespace baselinr;
using namespace baselinr::cli;

std::string one_line(std::string text) {
  std::replace(text.begin(), text.end(), '\n', ' ');
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

int fail(int code, const std::string& message) {
  fmt::print(stderr, "baselinr: error: {}\n", one_line(message));
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "baselinr: profile tables in SQL databases, store every profile as a run, detect schema "
      "and statistical drift between runs, and send events to alert hooks."};
  app.name("baselinr");
  app.footer(
      "Exit codes: 0 success; 1 drift or schema change found with --fail-on-drift; 2 usage or "
      "configuration error; 3 connection, query or storage failure; 4 a hook could not deliver "
      "(hooks test, hooks deliver, hooks replay).\nRun 'baselinr COMMAND --help' for the options "
      "of a command. Quick tour: "
      "'baselinr demo'.");
  app.set_version_flag("--version", std::string("baselinr ") + std::string(kVersion));
  app.require_subcommand(1);
  app.fallthrough();
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "Log threshold on stderr")
      ->check(CLI::IsMember({"debug", "info", "warning", "error"}))
      ->type_name("debug|info|warning|error")
      ->capture_default_str();

  CommandList commands;
  add_plan_command(app, commands);
  add_profile_command(app, commands);
  add_drift_command(app, commands);
  add_check_command(app, commands);
  add_baseline_command(app, commands);
  add_runs_command(app, commands);
  add_events_command(app, commands);
  add_hooks_test_command(app, commands);
  add_history_command(app, commands);
  add_report_command(app, commands);
  add_hooks_deliver_command(app, commands);
  add_hooks_replay_command(app, commands);
  add_demo_command(app, commands);

  auto* version_cmd = app.add_subcommand("version", "Print the version.");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return fail(kExitUsage, std::string(e.what()) + " (run 'baselinr --help')");
  }

  if (log_level == "debug") set_log_level(spdlog::level::debug);
  if (log_level == "warning") set_log_level(spdlog::level::warn);
  if (log_level == "error") set_log_level(spdlog::level::err);

  try {
    if (*version_cmd) {
      fmt::print("baselinr {}\n", kVersion);
      return kExitOk;
    }
    for (const Command& c : commands) {
      if (*c.app) return c.run();
    }
  } catch (const ConfigError& e) {
    return fail(kExitUsage, e.what());
  } catch (const UsageError& e) {
    return fail(kExitUsage, e.what());
  } catch (const Error& e) {
    return fail(kExitFailure, e.what());
  } catch (const std::exception& e) {
    return fail(kExitFailure, std::string("internal error: ") + e.what());
  }
  return kExitUsage;
}
