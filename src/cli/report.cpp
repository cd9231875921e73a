// `baselinr report`: the store as one self-contained HTML page (see src/report/).
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <memory>

#include "baselinr/error.hpp"
#include "baselinr/storage.hpp"
#include "cli/cli_util.hpp"
#include "cli/commands.hpp"
#include "report/html.hpp"
#include "report/page.hpp"
#include "report/report_data.hpp"

namespace baselinr::cli {

int run_report(const ReportOptions& options) {
  Config config = load(options.config);
  // An existing store only, read as it is: a mistyped storage path is an error that says so,
  // not a new empty store and a page of nothing.
  const std::unique_ptr<RunStore> store = open_existing_store(config, StoreAccess::kReadOnly);
  const report::ReportData data =
      report::gather_report(config, *store, {.datasets = options.datasets, .runs = options.runs});
  const std::string page = report::render_page(data);

  // Written next to its destination and renamed over it: a reader never sees half a page.
  const std::filesystem::path target = std::filesystem::absolute(options.output);
  const std::filesystem::path partial = target.string() + ".partial";
  {
    std::ofstream out(partial, std::ios::binary | std::ios::trunc);
    out << page;
    out.close();
    if (!out) {
      std::error_code ec;
      std::filesystem::remove(partial, ec);
      throw UsageError(
          fmt::format("--output {}: cannot write the file; check the directory", options.output));
    }
  }
  std::error_code ec;
  std::filesystem::rename(partial, target, ec);
  if (ec) {
    std::filesystem::remove(partial, ec);
    throw UsageError(
        fmt::format("--output {}: cannot write the file: {}", options.output, ec.message()));
  }
  std::size_t findings = 0;
  for (const auto& t : data.tables) findings += t.open_findings().size();
  fmt::print("report written to {} ({} table{}, {} open finding{}, {})\n", target.string(),
             data.tables.size(), data.tables.size() == 1 ? "" : "s", findings,
             findings == 1 ? "" : "s", report::display_bytes(page.size()));
  return kExitOk;
}

void add_report_command(CLI::App& app, CommandList& commands) {
  auto o = std::make_shared<ReportOptions>();
  auto* cmd = app.add_subcommand(
      "report",
      "Write one self-contained HTML page (no script, nothing fetched; opens offline): "
      "overview, latest profiles, histograms, metric history with findings, schema changes, "
      "recent events.");
  add_config(cmd, o->config);
  cmd->add_option("-d,--dataset", o->datasets, "Only this table (repeatable; default: all)")
      ->type_name("TABLE");
  cmd->add_option("--runs", o->runs, "Runs per table in the history charts (0: all)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("-o,--output", o->output, "The HTML file to write")
      ->type_name("FILE.html")
      ->capture_default_str();
  commands.push_back({cmd, [o] { return run_report(*o); }});
}

}  // namespace baselinr::cli
