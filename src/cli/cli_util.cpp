#include "cli/cli_util.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>

namespace baselinr::cli {

Config load(const std::string& path) { return load_config(path); }

void add_config(CLI::App* cmd, std::string& target) {
  cmd->add_option("-c,--config", target, "Configuration file (YAML or JSON)")
      ->required()
      ->type_name("FILE");
}

void add_format(CLI::App* cmd, std::string& target) {
  cmd->add_option("--output", target, "Output format: text for people, json for programs")
      ->check(CLI::IsMember({"text", "json"}))
      ->type_name("text|json")
      ->capture_default_str();
}

CLI::App* command_group(CLI::App& app, const std::string& name, const std::string& description) {
  for (CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    if (sub->get_name() == name) return sub;
  }
  CLI::App* group = app.add_subcommand(name, description);
  group->require_subcommand(1);
  return group;
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
