// baselinr: data profiling and drift detection. Parses the command line, runs one command,
// and maps failures to exit codes: 0 ok, 1 findings (--fail-on-drift), 2 usage or
// configuration error, 3 connection/query/storage failure (or output that could not be
// written), 4 a hook could not deliver.
#include <fmt/format.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <system_error>

#include "baselinr/drift.hpp"
#include "baselinr/error.hpp"
#include "baselinr/version.hpp"
#include "cli/cli_util.hpp"
#include "cli/commands.hpp"
#include "common/log.hpp"
#include "common/text.hpp"

namespace {

using namespace baselinr;
using namespace baselinr::cli;

int fail(int code, const std::string& message) {
  fmt::print(stderr, "baselinr: error: {}\n", one_line(message));
  return code;
}

// Writes that fail for want of space or under a file size limit (`ulimit -f`: with SIGXFSZ
// ignored, the write fails with EFBIG instead of killing the process without a word) get a
// hint naming the limit.
std::string with_file_size_hint(std::string message) {
  rlimit limit{};
  if (getrlimit(RLIMIT_FSIZE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return message;
  const std::string lower = to_lower(message);
  for (const char* symptom : {"i/o error", "disk is full", "file too large", "no space"}) {
    if (lower.find(symptom) != std::string::npos) {
      return message + fmt::format(
                           "; this process may write files of at most {} bytes (ulimit -f): "
                           "raise the limit or free space",
                           static_cast<unsigned long long>(limit.rlim_cur));
    }
  }
  return message;
}

// The chain of subcommands the parser had entered ("baselinr hooks test"), for help pointers.
std::string command_path(const CLI::App& app) {
  std::string path = app.get_name();
  const CLI::App* cur = &app;
  while (true) {
    auto subs = cur->get_subcommands();
    if (subs.empty()) break;
    cur = subs.front();
    path += " " + cur->get_name();
  }
  return path;
}

const CLI::App* innermost(const CLI::App& app) {
  const CLI::App* cur = &app;
  while (!cur->get_subcommands().empty()) cur = cur->get_subcommands().front();
  return cur;
}

// "A subcommand is required" hides a misspelt command: name it and suggest the nearest one.
std::string usage_message(const CLI::App& app, const CLI::ParseError& e) {
  const CLI::App* cur = innermost(app);
  std::vector<std::string> names;
  for (const CLI::App* sub : cur->get_subcommands([](const CLI::App*) { return true; })) {
    names.push_back(sub->get_name());
  }
  std::vector<std::string> extra = cur->remaining();
  for (const auto& word : app.remaining(true)) extra.push_back(word);
  auto word_it = std::find_if(extra.begin(), extra.end(),
                              [](const std::string& w) { return !w.starts_with("-"); });
  if (!names.empty() && word_it != extra.end()) {
    const std::string& word = *word_it;
    std::string hint;
    if (auto near = closest_match(word, names)) hint = fmt::format(" (did you mean '{}'?)", *near);
    return fmt::format("unknown command '{}'{}; commands: {}", word, hint, join(names, ", "));
  }
  if (!names.empty() && dynamic_cast<const CLI::RequiredError*>(&e)) {
    return fmt::format("a command is required: {}", join(names, ", "));
  }
  return e.what();
}

}  // namespace

int main(int argc, char** argv) {
  // Past a file size limit, fail the write (EFBIG, reported) instead of dying silently.
  std::signal(SIGXFSZ, SIG_IGN);

  CLI::App app{
      "baselinr: profile tables in SQL databases, store every profile as a run, detect schema "
      "and statistical drift between runs, and send events to alert hooks."};
  app.name("baselinr");
  app.footer(
      "Exit codes: 0 success; 1 drift or schema change found with --fail-on-drift; 2 usage or "
      "configuration error; 3 connection, query or storage failure, or output that could not be "
      "written; 4 a hook could not deliver (hooks test, hooks deliver, hooks replay).\nRun "
      "'baselinr COMMAND --help' for the options of a command. Quick tour: 'baselinr demo'.");
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
    return fail(kExitUsage,
                fmt::format("{} (run '{} --help')", usage_message(app, e), command_path(app)));
  }

  if (log_level == "debug") set_log_level(spdlog::level::debug);
  if (log_level == "warning") set_log_level(spdlog::level::warn);
  if (log_level == "error") set_log_level(spdlog::level::err);

  int code = kExitUsage;
  try {
    if (*version_cmd) {
      fmt::print("baselinr {}\n", kVersion);
      code = kExitOk;
    }
    for (const Command& c : commands) {
      if (*c.app) {
        code = c.run();
        break;
      }
    }
  } catch (const NothingToCompareError& e) {
    // A command that has no answer of its own for a table's first run: not a failure.
    fmt::print(stderr, "baselinr: nothing to compare yet: {}\n", one_line(e.what()));
    code = kExitOk;
  } catch (const ConfigError& e) {
    return fail(kExitUsage, e.what());
  } catch (const UsageError& e) {
    return fail(kExitUsage, e.what());
  } catch (const std::system_error& e) {
    // fmt::print on a stdout that cannot take more.
    return fail(kExitFailure, with_file_size_hint(fmt::format("writing the output failed: {}",
                                                              e.code().message())));
  } catch (const Error& e) {
    return fail(kExitFailure, with_file_size_hint(e.what()));
  } catch (const std::exception& e) {
    return fail(kExitFailure, std::string("internal error: ") + e.what());
  }
  // Output still in stdout's buffer is written now: a full disk or a closed pipe must not turn
  // into exit 0 with the report lost.
  errno = 0;
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
    const int err = errno;
    return fail(kExitFailure,
                with_file_size_hint(fmt::format("writing the output to stdout failed: {}",
                                                err ? std::strerror(err) : "write error")));
  }
  return code;
}
