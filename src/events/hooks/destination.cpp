#include "events/hooks/destination.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "db/connection.hpp"
#include "events/hooks/command_hook.hpp"
#include "events/hooks/email_hook.hpp"
#include "events/hooks/logging_hook.hpp"
#include "events/hooks/pagerduty_hook.hpp"
#include "events/hooks/plugin_hook.hpp"
#include "events/hooks/sql_hook.hpp"
#include "events/hooks/webhook_hook.hpp"

namespace baselinr::hooks {

Deadline::Deadline(double timeout_seconds, const std::atomic<Clock::rep>* cutoff)
    : own_(Clock::now() + std::chrono::duration_cast<Clock::duration>(
                              std::chrono::duration<double>(std::max(0.0, timeout_seconds)))),
      cutoff_(cutoff) {}

Deadline::Clock::time_point Deadline::when() const {
  if (!cutoff_) return own_;
  return std::min(own_, Clock::time_point(Clock::duration(cutoff_->load())));
}

double Deadline::seconds_left() const {
  const double left = std::chrono::duration<double>(when() - Clock::now()).count();
  return std::max(0.001, left);
}

void HookDestination::deliver(const std::vector<Event>& events, const Deadline& /*deadline*/) {
  for (const auto& e : events) hook_->handle_event(e);
}

std::unique_ptr<Destination> make_destination(const HookConfig& h, std::size_t index,
                                              const DestinationContext& context) {
  const bool group = h.effective_group_by() == GroupBy::kTable;
  switch (h.type) {
    case HookType::kLogging:
      return std::make_unique<LoggingHook>(parse_log_level(h.log_level));
    case HookType::kSql:
    case HookType::kSnowflake:
      if (!db::supports(h.connection->type)) break;
      return std::make_unique<SqlEventHook>(*h.connection, h.table_name);
    case HookType::kWebhook:
    case HookType::kSlack: {
      WebhookOptions o;
      o.url = h.url;
      o.format = h.format;
      o.headers = h.headers;
      o.secret = h.secret;
      o.source = h.source.empty() ? "baselinr://" + context.environment : h.source;
      o.channel = h.channel;
      o.username = h.username;
      o.timeout_seconds = h.timeout_seconds;
      o.group_findings = group && h.is_chat();
      o.max_findings = h.max_findings;
      return std::make_unique<WebhookHook>(std::move(o));
    }
    case HookType::kPagerDuty: {
      PagerDutyOptions o;
      o.url = h.url;
      o.routing_key = h.routing_key;
      o.dedup_by = h.dedup_by;
      o.environment = context.environment;
      o.timeout_seconds = h.timeout_seconds;
      return std::make_unique<PagerDutyHook>(std::move(o));
    }
    case HookType::kEmail: {
      EmailOptions o;
      o.smtp_url = h.smtp_url;
      o.starttls = h.starttls;
      o.username = h.username;
      o.password = h.password;
      o.from = h.from;
      o.to = h.to;
      o.subject_prefix = h.subject_prefix;
      o.timeout_seconds = h.timeout_seconds;
      o.group_findings = group;
      o.max_findings = h.max_findings;
      return std::make_unique<EmailHook>(std::move(o));
    }
    case HookType::kCommand:
      return std::make_unique<CommandHook>(h.command, h.env, h.timeout_seconds);
    case HookType::kCustom:
      return std::make_unique<HookDestination>(
          std::make_unique<PluginHook>(h.module, h.class_name, h.params_json, h.location));
  }
  throw NotSupportedError(
      h.location, fmt::format("hooks.hooks[{}]", index),
      fmt::format("a {} hook on a {} connection is not supported yet by this build; remove it or "
                  "set enabled: false",
                  to_string(h.type), to_string(h.connection->type)));
}

}  // namespace baselinr::hooks
