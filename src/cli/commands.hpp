// The CLI's commands. Each takes its parsed options, does its work through the library, prints
// to stdout (reports, JSON) and stderr (logs, progress), and returns the process exit code.
// Errors are thrown as baselinr::Error subclasses; main() maps them to exit codes.
//
// Each command's file also registers it: add_<name>_command() adds the subcommand and its
// options to the application and appends how to run it, so adding a command touches its own
// file, this header and one line of main.cpp.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace baselinr::cli {

// A registered subcommand: `app` is set after parsing when it was chosen; `run` runs it.
struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};
using CommandList = std::vector<Command>;

// Exit codes (SPEC section 2).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFindings = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitFailure = 3;
inline constexpr int kExitHookFailed = 4;

// `format` is the stdout format (text | json); `output_file` a file the JSON also goes to.
struct PlanOptions {
  std::string config;
  std::string format = "text";
  bool verbose = false;
};
int run_plan(const PlanOptions& options);
void add_plan_command(CLI::App& app, CommandList& commands);

struct ProfileOptions {
  std::string config;
  std::string output_file;
  std::string format = "text";
  bool dry_run = false;
  bool quiet = false;  // no progress line on stderr
  std::vector<std::string> tables;
};
int run_profile(const ProfileOptions& options);
void add_profile_command(CLI::App& app, CommandList& commands);

struct DriftOptions {
  std::string config;
  std::string dataset;
  std::string schema;
  std::string baseline;
  std::string current;
  bool fail_on_drift = false;
  std::string format = "text";
  std::string output_file;
};
int run_drift(const DriftOptions& options);
void add_drift_command(CLI::App& app, CommandList& commands);

struct CheckOptions {
  std::string config;
  std::vector<std::string> tables;
  std::string output = "text";
};
int run_check(const CheckOptions& options);
void add_check_command(CLI::App& app, CommandList& commands);

struct BaselineOptions {
  std::string action;  // set | show | clear
  std::string config;
  std::string dataset;
  std::string schema;
  std::string run;
  std::string output = "text";
};
int run_baseline(const BaselineOptions& options);
void add_baseline_command(CLI::App& app, CommandList& commands);

struct RunsOptions {
  std::string config;
  std::string dataset;
  std::string schema;
  int limit = 20;
  std::string format = "text";
};
int run_runs(const RunsOptions& options);
void add_runs_command(CLI::App& app, CommandList& commands);

struct EventsOptions {
  std::string config;
  std::string type;
  std::string dataset;
  int limit = 50;
  std::string format = "text";
};
int run_events(const EventsOptions& options);
void add_events_command(CLI::App& app, CommandList& commands);

struct HooksTestOptions {
  std::string config;
  std::string format = "text";
};
int run_hooks_test(const HooksTestOptions& options);
void add_hooks_test_command(CLI::App& app, CommandList& commands);

struct HistoryOptions {
  std::string config;
  std::string dataset;
  std::string schema;
  std::string column;
  std::string metric;
  int runs = 20;
  std::string output = "text";
};
int run_history(const HistoryOptions& options);
void add_history_command(CLI::App& app, CommandList& commands);

struct ReportOptions {
  std::string config;
  std::vector<std::string> datasets;
  int runs = 30;
  std::string output = "baselinr_report.html";
};
int run_report(const ReportOptions& options);
void add_report_command(CLI::App& app, CommandList& commands);

struct HooksDeliverOptions {
  std::string config;
  double budget_seconds = -1;  // < 0: hooks.delivery.budget_seconds
  std::string output = "text";
};
int run_hooks_deliver(const HooksDeliverOptions& options);
void add_hooks_deliver_command(CLI::App& app, CommandList& commands);

struct HooksReplayOptions {
  std::string config;
  std::string event_id;
  std::string since;
  std::string hook;
  std::string type;
  double budget_seconds = -1;
  std::string output = "text";
};
int run_hooks_replay(const HooksReplayOptions& options);
void add_hooks_replay_command(CLI::App& app, CommandList& commands);

struct DemoOptions {
  std::string dir = "baselinr_demo";
};
int run_demo(const DemoOptions& options);
void add_demo_command(CLI::App& app, CommandList& commands);

}  // namespace baselinr::cli
