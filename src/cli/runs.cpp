#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <memory>
#include <nlohmann/json.hpp>

#include "baselinr/storage.hpp"
#include "cli/cli_util.hpp"
#include "cli/commands.hpp"
#include "common/text.hpp"

namespace baselinr::cli {

int run_runs(const RunsOptions& options) {
  Config config = load(options.config);
  std::vector<RunRecord> runs;
  try {
    RunStore store(config.storage, config.environment, StoreAccess::kReadOnly);
    runs = store.list_runs(
        {.dataset = options.dataset, .schema = options.schema, .limit = options.limit});
  } catch (const NoStoreError& e) {
    return no_store_yet(e, options.format);
  }
  if (options.format == "json") {
    nlohmann::ordered_json arr = nlohmann::ordered_json::array();
    for (const auto& r : runs) {
      arr.push_back({{"run_id", r.run_id},
                     {"dataset_name", r.dataset_name},
                     {"schema_name", r.schema_name.empty() ? nlohmann::ordered_json(nullptr)
                                                           : nlohmann::ordered_json(r.schema_name)},
                     {"profiled_at", r.profiled_at},
                     {"environment", r.environment},
                     {"status", r.status},
                     {"row_count", r.row_count},
                     {"column_count", r.column_count}});
    }
    fmt::print("{}\n", arr.dump(2));
    return kExitOk;
  }
  if (runs.empty()) {
    fmt::print("no runs stored{}\n", options.dataset.empty() ? "" : " for " + options.dataset);
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : runs) {
    rows.push_back({r.run_id,
                    r.schema_name.empty() ? r.dataset_name : r.schema_name + "." + r.dataset_name,
                    r.profiled_at, r.status, std::to_string(r.row_count),
                    std::to_string(r.column_count), r.environment});
  }
  fmt::print("{}", text_table({"RUN_ID", "DATASET", "PROFILED_AT (UTC)", "STATUS", "ROWS",
                               "COLUMNS", "ENVIRONMENT"},
                              rows));
  return kExitOk;
}

void add_runs_command(CLI::App& app, CommandList& commands) {
  auto o = std::make_shared<RunsOptions>();
  auto* cmd = app.add_subcommand("runs", "List stored runs, newest first.");
  add_config(cmd, o->config);
  cmd->add_option("-d,--dataset", o->dataset, "Only runs of this table")->type_name("TABLE");
  cmd->add_option("-s,--schema", o->schema, "Only runs of tables in this schema")
      ->type_name("SCHEMA");
  add_limit(cmd, o->limit, "runs");
  add_format(cmd, o->format);
  commands.push_back({cmd, [o] { return run_runs(*o); }});
}

}  // namespace baselinr::cli
