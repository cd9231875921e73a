#include "cli/cli_util.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>

#include "common/text.hpp"

namespace baselinr::cli {

Config load(const std::string& path) { return load_config(path); }

std::string resolve_dataset_schema(const RunStore& store, const std::string& dataset,
                                   const std::string& schema) {
  if (!schema.empty()) return schema;
  std::vector<std::string> schemas = store.schemas_of(dataset);
  // Runs stored without a schema (NULL) before the resolved one was recorded are the history of
  // the one schema the name resolves to now, not a second table.
  if (schemas.size() == 2 && schemas.front().empty()) schemas.erase(schemas.begin());
  if (schemas.size() <= 1) return schemas.empty() ? std::string() : schemas.front();
  for (auto& s : schemas) {
    if (s.empty()) s = "(no schema)";
  }
  throw UsageError(fmt::format("'{}' has runs in several schemas ({}); choose one with --schema",
                               dataset, join(schemas, ", ")));
}

void add_config(CLI::App* cmd, std::string& target) {
  cmd->add_option("-c,--config", target, "Configuration file (YAML or JSON)")
      ->required()
      ->type_name("FILE");
}

namespace {

const std::vector<std::string> kFormats = {"text", "json"};

CLI::Validator format_check() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        if (value == "text" || value == "json") return {};
        return fmt::format("expected text or json, got '{}'", value);
      },
      "text|json");
}

}  // namespace

void add_format(CLI::App* cmd, std::string& target, bool short_o) {
  cmd->add_option("--format", target, "Output format on stdout: text for people, json for programs")
      ->check(format_check())
      ->type_name("text|json")
      ->capture_default_str();
  cmd->add_option(short_o ? "-o,--output" : "--output", target, "Same as --format")
      ->check(format_check())
      ->type_name("text|json");
}

void add_format_and_output_file(CLI::App* cmd, std::string& format, std::string& file,
                                const std::string& file_help) {
  cmd->add_option("--format", format, "Output format on stdout: text for people, json for programs")
      ->check(format_check())
      ->type_name("text|json")
      ->capture_default_str();
  cmd->add_option_function<std::string>(
         "-o,--output",
         [&format, &file](const std::string& value) {
           if (std::find(kFormats.begin(), kFormats.end(), value) != kFormats.end()) {
             format = value;  // the earlier spelling of --format
           } else {
             file = value;
           }
         },
         file_help + " (--output text|json: same as --format; write ./json for a file named so)")
      ->type_name("FILE.json");
}

void add_limit(CLI::App* cmd, int& target, const std::string& what) {
  cmd->add_option("--limit", target, fmt::format("At most N {} (0: all)", what))
      ->check(CLI::Validator(
          [](std::string& value) -> std::string {
            auto n = parse_int(value);
            if (n && *n >= 0 && *n <= std::numeric_limits<int>::max()) return {};
            return fmt::format("expected 0 (no limit) or a positive whole number, got '{}'", value);
          },
          "N"))
      ->capture_default_str();
}

void check_output_file(const std::string& path, std::string_view flag) {
  if (path.empty()) return;
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path p(path);
  if (fs::exists(p, ec)) {
    if (fs::is_directory(p, ec)) {
      throw UsageError(fmt::format("{} {}: is a directory; name a file", flag, path));
    }
    if (access(path.c_str(), W_OK) != 0) {
      throw UsageError(fmt::format("{} {}: cannot be written: {}", flag, path, strerror(errno)));
    }
    return;
  }
  const fs::path dir = p.parent_path().empty() ? fs::path(".") : p.parent_path();
  if (!fs::exists(dir, ec)) {
    throw UsageError(
        fmt::format("{} {}: the directory {} does not exist; create it or write the file elsewhere",
                    flag, path, dir.string()));
  }
  if (!fs::is_directory(dir, ec)) {
    throw UsageError(fmt::format("{} {}: {} is not a directory", flag, path, dir.string()));
  }
  if (access(dir.c_str(), W_OK | X_OK) != 0) {
    throw UsageError(fmt::format("{} {}: cannot create a file in {}: {}", flag, path, dir.string(),
                                 strerror(errno)));
  }
}

void write_output_file(const std::string& path, std::string_view text, std::string_view flag) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "wb"),
                                                       &std::fclose);
  auto failed = [&] {
    return OutputError(fmt::format("{} {}: writing the file failed: {}", flag, path,
                                   errno ? strerror(errno) : "write error"));
  };
  errno = 0;
  if (!file) throw failed();
  if (std::fwrite(text.data(), 1, text.size(), file.get()) != text.size() ||
      std::fflush(file.get()) != 0) {
    throw failed();
  }
  if (std::fclose(file.release()) != 0) throw failed();
}

CLI::App* command_group(CLI::App& app, const std::string& name, const std::string& description) {
  for (CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    if (sub->get_name() == name) return sub;
  }
  CLI::App* group = app.add_subcommand(name, description);
  group->require_subcommand(1);
  return group;
}

std::unique_ptr<RunStore> open_existing_store(const Config& config, StoreAccess access) {
  try {
    return std::make_unique<RunStore>(config.storage, config.environment, access);
  } catch (const NoStoreError& e) {
    throw UsageError(e.what());
  }
}

int no_store_yet(const NoStoreError& e, const std::string& format) {
  if (format == "json") {
    fmt::print("[]\n");
    fmt::print(stderr, "baselinr: {}\n", e.what());
  } else {
    fmt::print("{}\n", e.what());
  }
  return 0;
}

void report_hook_failures(const EventBus& bus) {
  for (std::size_t i = 0; i < bus.hook_count(); ++i) {
    HookStats s = bus.stats(i);
    if (s.failed == 0) continue;
    fmt::print(stderr, "baselinr: hook {} failed {} of {} deliveries; last error: {}\n",
               bus.hook_name(i), s.failed, s.failed + s.delivered, s.last_error);
  }
}

void report_deliveries(const DeliveryReport& report) {
  for (const auto& h : report.hooks) {
    if (h.failed == 0 && h.retried == 0 && h.pending == 0 && !h.paused && h.last_error.empty()) {
      continue;
    }
    std::vector<std::string> parts;
    parts.push_back(fmt::format("{} delivered", h.delivered));
    if (h.failed) parts.push_back(fmt::format("{} failed for good", h.failed));
    if (h.pending) {
      parts.push_back(
          fmt::format("{} pending (next attempt {} UTC; `baselinr hooks deliver` "
                      "sends them)",
                      h.pending, h.next_attempt_at));
    }
    if (h.paused) parts.push_back("paused after repeated failures");
    fmt::print(stderr, "baselinr: hook {}: {}{}\n", h.hook, fmt::join(parts, ", "),
               h.last_error.empty() ? "" : "; last error: " + h.last_error);
  }
}

std::string text_table(const std::vector<std::string>& header,
                       const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> w(header.size());
  for (std::size_t i = 0; i < header.size(); ++i) w[i] = header[i].size();
  for (const auto& r : rows) {
    for (std::size_t i = 0; i < r.size() && i < w.size(); ++i) w[i] = std::max(w[i], r[i].size());
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (std::size_t i = 0; i < cells.size(); ++i) {
      if (i + 1 == cells.size()) {
        out += cells[i];
      } else {
        out += fmt::format("{:<{}}  ", cells[i], w[i]);
      }
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };
  std::string out = line(header);
  for (const auto& r : rows) out += line(r);
  return out;
}

bool stderr_is_terminal() { return isatty(fileno(stderr)) != 0; }

}  // namespace baselinr::cli
