#include "baselinr/drift.hpp"

#include <fmt/format.h>

#include "baselinr/event_bus.hpp"
#include "baselinr/storage.hpp"
#include "cli/cli_util.hpp"
#include "cli/commands.hpp"

namespace baselinr::cli {

int run_drift(const DriftOptions& options) {
  Config config = load(options.config);
  auto bus = create_event_bus(config.hooks);
  StorageConfig storage = config.storage;
  RunStore store(storage, config.environment);
  DriftDetector detector(config.drift_detection, store, bus.get());
  DriftReport report =
      detector.detect({options.dataset, options.schema, options.baseline, options.current});
  if (options.output == "json") {
    fmt::print("{}\n", report.to_json());
  } else {
    fmt::print("{}", report.to_text());
  }
  report_hook_failures(*bus);
  if (options.fail_on_drift && report.has_blocking_findings()) return kExitFindings;
  return kExitOk;
}

}  // namespace baselinr::cli
