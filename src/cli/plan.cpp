#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <memory>

#include "baselinr/profiler.hpp"
#include "cli/cli_util.hpp"
#include "cli/commands.hpp"

namespace baselinr::cli {

int run_plan(const PlanOptions& options) {
  Config config = load(options.config);
  Plan plan = build_plan(config);
  if (options.output == "json") {
    fmt::print("{}\n", plan.to_json(options.verbose));
  } else {
    fmt::print("{}", plan.to_text(options.verbose));
  }
  return kExitOk;
}

void add_plan_command(CLI::App& app, CommandList& commands) {
  auto o = std::make_shared<PlanOptions>();
  auto* cmd = app.add_subcommand(
      "plan",
      "Show what would be profiled: tables, columns, metrics per column type, partition "
      "and sampling, and (--verbose) the SQL. Reads metadata only.");
  add_config(cmd, o->config);
  add_format(cmd, o->output);
  cmd->add_flag("--verbose", o->verbose, "Also show the SQL each table would run");
  commands.push_back({cmd, [o] { return run_plan(*o); }});
}

}  // namespace baselinr::cli
