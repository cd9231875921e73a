// The CLI's commands. Each takes its parsed options, does its work through the library, prints
// to stdout (reports, JSON) and stderr (logs, progress), and returns the process exit code.
// Errors are thrown as baselinr::Error subclasses; main() maps them to exit codes.
#pragma once

#include <string>
#include <vector>

namespace baselinr::cli {

// Exit codes (SPEC section 2).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFindings = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitFailure = 3;
inline constexpr int kExitHookFailed = 4;

struct PlanOptions {
  std::string config;
  std::string output = "text";
  bool verbose = false;
};
int run_plan(const PlanOptions& options);

struct ProfileOptions {
  std::string config;
  std::string output_file;
  bool dry_run = false;
  std::vector<std::string> tables;
};
int run_profile(const ProfileOptions& options);

struct DriftOptions {
  std::string config;
  std::string dataset;
  std::string schema;
  std::string baseline;
  std::string current;
  bool fail_on_drift = false;
  std::string output = "text";
};
int run_drift(const DriftOptions& options);

struct RunsOptions {
  std::string config;
  std::string dataset;
  int limit = 20;
  std::string output = "text";
};
int run_runs(const RunsOptions& options);

struct EventsOptions {
  std::string config;
  std::string type;
  std::string dataset;
  int limit = 50;
  std::string output = "text";
};
int run_events(const EventsOptions& options);

struct HooksTestOptions {
  std::string config;
  std::string output = "text";
};
int run_hooks_test(const HooksTestOptions& options);

struct DemoOptions {
  std::string dir = "baselinr_demo";
};
int run_demo(const DemoOptions& options);

}  // namespace baselinr::cli
