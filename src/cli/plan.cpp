#include <fmt/format.h>

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

}  // namespace baselinr::cli
