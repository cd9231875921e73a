// Helpers shared by the CLI commands.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "baselinr/config.hpp"
#include "baselinr/delivery.hpp"
#include "baselinr/error.hpp"
#include "baselinr/event_bus.hpp"
#include "baselinr/storage.hpp"

namespace CLI {
class App;
}

namespace baselinr::cli {

// Output that could not be written (a full disk, a file size limit, an I/O error): exit 3.
class OutputError : public Error {
 public:
  using Error::Error;
};

// The required -c/--config FILE option.
void add_config(CLI::App* cmd, std::string& target);
// --format text|json, the stdout format; also spelt --output text|json (and -o with `short_o`,
// as the original's `plan -o json`) on commands whose --output is not a file.
void add_format(CLI::App* cmd, std::string& target, bool short_o = false);
// The original's -o/--output FILE (a JSON copy of the result) and --format text|json for stdout.
// `--output text` / `--output json` (this tool's earlier spelling) still choose the format.
void add_format_and_output_file(CLI::App* cmd, std::string& format, std::string& file,
                                const std::string& file_help);
// --limit N: at most N rows listed, 0 for all.
void add_limit(CLI::App* cmd, int& target, const std::string& what);

// Before any work: `path` (given with `flag`) can be written — its directory exists and takes
// new files, and it is not a directory. Throws UsageError saying what is wrong.
void check_output_file(const std::string& path, std::string_view flag);
// Writes `text` to `path`; any failure throws OutputError naming the flag and the file.
void write_output_file(const std::string& path, std::string_view text, std::string_view flag);
// The subcommand `name` of `app` (e.g. "hooks"), created with `description` on first use, that
// groups further subcommands and requires one of them.
CLI::App* command_group(CLI::App& app, const std::string& name, const std::string& description);

Config load(const std::string& path);

// The store of a command that works on what was profiled (drift, history), opened with
// `access` (kExisting or kReadOnly): nothing is created; no store yet is a UsageError that says
// how to make one (exit 2), as a table without runs is.
std::unique_ptr<RunStore> open_existing_store(const Config& config, StoreAccess access);

// A listing (`runs`, `events`) with no store yet: an empty list, said so on stdout (with
// `format` json: `[]`, the note on stderr). Returns the exit code, 0.
int no_store_yet(const NoStoreError& e, const std::string& format);

// The schema to read `dataset`'s runs under: `schema` when given; otherwise the one schema its
// runs were stored under ("" for schema-less stores; runs stored without a schema by an older
// version count as the one other schema's). UsageError when its runs span several schemas: the
// name alone is ambiguous.
std::string resolve_dataset_schema(const RunStore& store, const std::string& dataset,
                                   const std::string& schema);

// Prints hook delivery failures (one line per failing hook) to stderr.
void report_hook_failures(const EventBus& bus);
// Prints one line per hook whose deliveries did not all go through (failed, retried, paused or
// left pending) to stderr.
void report_deliveries(const DeliveryReport& report);

// A plain text table: header row, then rows; columns padded to their widest cell.
std::string text_table(const std::vector<std::string>& header,
                       const std::vector<std::vector<std::string>>& rows);

bool stderr_is_terminal();

}  // namespace baselinr::cli
