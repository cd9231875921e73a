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
  if (options.format == "json") {
    fmt::print("{}\n", plan.to_json(options.verbose));
  } else {
    fmt::print("{}", plan.to_text(options.verbose));
  }
  // A table that cannot be planned (missing, unreadable) would fail its run: the same exit code
  // as profile's, after the whole plan is shown.
  std::vector<std::string> failed;
  for (const auto& t : plan.tables) {
    if (!t.error.empty()) failed.push_back(t.schema.empty() ? t.table : t.schema + "." + t.table);
  }
  if (!failed.empty()) {
    fmt::print(stderr, "baselinr: {} of {} table(s) cannot be profiled: {}\n", failed.size(),
               plan.tables.size(), fmt::join(failed, ", "));
    return kExitFailure;
  }
  return kExitOk;
}

void add_plan_command(CLI::App& app, CommandList& commands) {
  auto o = std::make_shared<PlanOptions>();
  auto* cmd = app.add_subcommand(
      "plan",
      "Show what would be profiled: tables, columns, metrics per column type, partition "
      "and sampling, and (--verbose) the SQL. Reads metadata only. Exits 3 when a configured "
      "table cannot be profiled (it does not exist or cannot be read).");
  add_config(cmd, o->config);
  add_format(cmd, o->format, /*short_o=*/true);
  cmd->add_flag("-v,--verbose", o->verbose, "Also show the SQL each table would run");
  commands.push_back({cmd, [o] { return run_plan(*o); }});
}

}  // namespace baselinr::cli
