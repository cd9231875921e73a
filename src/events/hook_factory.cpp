// Builds an EventBus from the hooks section of the configuration.
#include <fmt/format.h>

#include "baselinr/config.hpp"
#include "baselinr/error.hpp"
#include "baselinr/event_bus.hpp"
#include "db/connection.hpp"
#include "events/hooks/command_hook.hpp"
#include "events/hooks/logging_hook.hpp"
#include "events/hooks/plugin_hook.hpp"
#include "events/hooks/sql_hook.hpp"
#include "events/hooks/webhook_hook.hpp"

namespace baselinr {
namespace {

std::unique_ptr<Hook> make_hook(const HookConfig& h, std::size_t index) {
  switch (h.type) {
    case HookType::kLogging:
      return std::make_unique<hooks::LoggingHook>(hooks::parse_log_level(h.log_level));
    case HookType::kSql:
    case HookType::kSnowflake:
      if (!db::supports(h.connection->type)) break;
      return std::make_unique<hooks::SqlEventHook>(*h.connection, h.table_name);
    case HookType::kWebhook:
      return std::make_unique<hooks::WebhookHook>(h.url, h.format, h.headers, h.timeout_seconds);
    case HookType::kCommand:
      return std::make_unique<hooks::CommandHook>(h.command, h.env, h.timeout_seconds);
    case HookType::kCustom:
      return std::make_unique<hooks::PluginHook>(h.module, h.class_name, h.params_json, h.location);
  }
  throw NotSupportedError(
      h.location, fmt::format("hooks.hooks[{}]", index),
      fmt::format("a {} hook on a {} connection is not supported yet by this build; remove it or "
                  "set enabled: false",
                  to_string(h.type), to_string(h.connection->type)));
}

}  // namespace

std::unique_ptr<EventBus> create_event_bus(const HooksConfig& config, EventBusOptions options) {
  auto bus = std::make_unique<EventBus>();
  if (!config.enabled) return bus;
  for (std::size_t i = 0; i < config.hooks.size(); ++i) {
    const HookConfig& h = config.hooks[i];
    if (!h.enabled) continue;
    if (options.logging_only && h.type != HookType::kLogging) continue;
    HookOptions opts;
    opts.name = h.label(i);
    opts.filter.event_types = h.event_types;
    if (!h.min_severity.empty()) opts.filter.min_severity = parse_severity(h.min_severity);
    opts.filter.tables = h.tables;
    bus->register_hook(make_hook(h, i), std::move(opts));
  }
  return bus;
}

}  // namespace baselinr
