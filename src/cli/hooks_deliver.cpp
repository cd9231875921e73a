// `baselinr hooks deliver` and `baselinr hooks replay`: send what the outbox holds, or send
// chosen events again, within a time budget; cron-friendly (exit 4 when a delivery failed).
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cmath>
#include <memory>
#include <nlohmann/json.hpp>

#include "baselinr/delivery.hpp"
#include "baselinr/error.hpp"
#include "baselinr/events.hpp"
#include "baselinr/storage.hpp"
#include "cli/cli_util.hpp"
#include "cli/commands.hpp"
#include "common/text.hpp"

namespace baselinr::cli {
namespace {

std::chrono::milliseconds budget_of(const Config& config, double seconds) {
  if (seconds < 0) return delivery_budget(config);
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(seconds * 1000)));
}

int print_report(const DeliveryReport& report, const std::string& output,
                 const nlohmann::ordered_json& extra = nullptr) {
  if (output == "json") {
    nlohmann::ordered_json hooks = nlohmann::ordered_json::array();
    for (const auto& h : report.hooks) {
      hooks.push_back(
          {{"hook", h.hook},
           {"delivered", h.delivered},
           {"failed", h.failed},
           {"retried", h.retried},
           {"suppressed", h.suppressed},
           {"skipped", h.skipped},
           {"pending", h.pending},
           {"paused", h.paused},
           {"next_attempt_at", h.next_attempt_at.empty()
                                   ? nlohmann::ordered_json(nullptr)
                                   : nlohmann::ordered_json(h.next_attempt_at)},
           {"last_error", h.last_error.empty() ? nlohmann::ordered_json(nullptr)
                                               : nlohmann::ordered_json(h.last_error)}});
    }
    nlohmann::ordered_json out;
    if (!extra.is_null()) out["queued"] = extra;
    out["hooks"] = std::move(hooks);
    out["clean"] = report.clean();
    fmt::print("{}\n", out.dump(2));
  } else if (report.hooks.empty()) {
    fmt::print("no hooks configured (add them under hooks.hooks)\n");
  } else {
    std::vector<std::vector<std::string>> rows;
    for (const auto& h : report.hooks) {
      std::string note = h.paused ? "paused after repeated failures" : "";
      if (h.pending > 0) {
        note += (note.empty() ? "" : "; ") + fmt::format("next attempt {} UTC", h.next_attempt_at);
      }
      if (!h.last_error.empty()) note += (note.empty() ? "" : "; ") + h.last_error;
      rows.push_back({h.hook, std::to_string(h.delivered), std::to_string(h.failed),
                      std::to_string(h.retried), std::to_string(h.suppressed + h.skipped),
                      std::to_string(h.pending), note});
    }
    fmt::print("{}", text_table({"HOOK", "DELIVERED", "FAILED", "RETRIED", "SUPPRESSED", "PENDING",
                                 "NOTE"},
                                rows));
  }
  return report.clean() ? kExitOk : kExitHookFailed;
}

// An absolute time (2026-11-27, 2026-11-27T03:00:00Z, 2026-11-27 03:00:00) or a duration ago
// (90m, 24h, 7d) as storage time text.
std::string parse_since(const std::string& text) {
  if (auto tp = parse_time(text)) return format_storage_time(*tp);
  if (auto tp = parse_time(text + " 00:00:00")) return format_storage_time(*tp);
  if (text.size() >= 2) {
    const char unit = text.back();
    const double scale = unit == 's'   ? 1
                         : unit == 'm' ? 60
                         : unit == 'h' ? 3600
                         : unit == 'd' ? 86400
                                       : 0;
    auto n = parse_double(text.substr(0, text.size() - 1));
    if (scale > 0 && n && *n >= 0 && std::isfinite(*n)) {
      return format_storage_time(std::chrono::system_clock::now() -
                                 std::chrono::duration_cast<std::chrono::system_clock::duration>(
                                     std::chrono::duration<double>(*n * scale)));
    }
  }
  throw UsageError(
      fmt::format("--since {}: expected a time (2026-11-27, 2026-11-27T03:00:00Z) or "
                  "a duration ago (90m, 24h, 7d)",
                  text));
}

}  // namespace

int run_hooks_deliver(const HooksDeliverOptions& options) {
  Config config = load(options.config);
  return print_report(deliver_pending(config, budget_of(config, options.budget_seconds)),
                      options.output);
}

int run_hooks_replay(const HooksReplayOptions& options) {
  if (options.event_id.empty() == options.since.empty()) {
    throw UsageError("hooks replay: give exactly one of --event-id ID or --since TIME");
  }
  if (!options.type.empty()) {
    const auto& known = all_event_types();
    if (std::find(known.begin(), known.end(), options.type) == known.end()) {
      throw UsageError(
          fmt::format("--type {}: unknown event type; known: {}", options.type, join(known, ", ")));
    }
  }
  Config config = load(options.config);
  ReplayRequest request{options.event_id,
                        options.since.empty() ? std::string() : parse_since(options.since),
                        options.type, options.hook};
  std::vector<std::pair<std::string, int>> queued;
  {
    RunStore store(config.storage, config.environment);
    queued = store.replay(request, config.hooks);
  }
  int total = 0;
  nlohmann::ordered_json counts = nlohmann::ordered_json::object();
  std::vector<std::string> parts;
  for (const auto& [hook, n] : queued) {
    total += n;
    counts[hook] = n;
    parts.push_back(fmt::format("{} {}", hook, n));
  }
  if (!options.event_id.empty() && total == 0) {
    throw UsageError(
        fmt::format("--event-id {}: no such event in the store, or no chosen hook accepts it (see "
                    "`baselinr events`)",
                    options.event_id));
  }
  if (options.output != "json") {
    fmt::print("queued {} deliveries again{}\n", total,
               parts.empty() ? "" : " (" + join(parts, ", ") + ")");
  }
  return print_report(deliver_pending(config, budget_of(config, options.budget_seconds)),
                      options.output, counts);
}

void add_hooks_deliver_command(CLI::App& app, CommandList& commands) {
  auto o = std::make_shared<HooksDeliverOptions>();
  auto* cmd =
      command_group(app, "hooks", "Work with the configured alert hooks.")
          ->add_subcommand("deliver",
                           "Send what is pending in the store's outbox and due, retrying within "
                           "the budget; what still fails stays pending for the next run. Exit 4 "
                           "when a delivery failed.");
  add_config(cmd, o->config);
  cmd->add_option("--budget", o->budget_seconds,
                  "Seconds to spend at most (default: hooks.delivery.budget_seconds)")
      ->check(CLI::Range(0.0, 86400.0))
      ->type_name("SECONDS");
  add_format(cmd, o->output);
  commands.push_back({cmd, [o] { return run_hooks_deliver(*o); }});
}

void add_hooks_replay_command(CLI::App& app, CommandList& commands) {
  auto o = std::make_shared<HooksReplayOptions>();
  auto* cmd =
      command_group(app, "hooks", "Work with the configured alert hooks.")
          ->add_subcommand("replay",
                           "Send stored events again on purpose (suppression does not apply), "
                           "then deliver like `hooks deliver`. Exit 4 when a delivery failed.");
  add_config(cmd, o->config);
  cmd->add_option("--event-id", o->event_id, "The event to send again")->type_name("ID");
  cmd->add_option("--since", o->since,
                  "Every event recorded since TIME (2026-11-27, 2026-11-27T03:00:00Z) or for "
                  "the last DURATION (90m, 24h, 7d)")
      ->type_name("TIME");
  cmd->add_option("--hook", o->hook, "Only to this hook (its name, or type[index])")
      ->type_name("NAME");
  cmd->add_option("--type", o->type, "Only events of this type")->type_name("EVENT_TYPE");
  cmd->add_option("--budget", o->budget_seconds,
                  "Seconds to spend at most (default: hooks.delivery.budget_seconds)")
      ->check(CLI::Range(0.0, 86400.0))
      ->type_name("SECONDS");
  add_format(cmd, o->output);
  commands.push_back({cmd, [o] { return run_hooks_replay(*o); }});
}

}  // namespace baselinr::cli
