// Builds an EventBus from the hooks section of the configuration.
#include "baselinr/config.hpp"
#include "baselinr/event_bus.hpp"
#include "events/hooks/destination.hpp"

namespace baselinr {

HookFilter filter_for(const HookConfig& h) {
  HookFilter filter;
  filter.event_types = h.event_types;
  if (filter.event_types.empty() && h.type == HookType::kPagerDuty) {
    filter.event_types = {"DataDriftDetected", "DataDriftResolved", "SchemaChangeDetected",
                          "ProfilingFailed"};
  }
  if (!h.min_severity.empty()) filter.min_severity = parse_severity(h.min_severity);
  filter.tables = h.tables;
  return filter;
}

std::unique_ptr<EventBus> create_event_bus(const HooksConfig& config, EventBusOptions options) {
  auto bus = std::make_unique<EventBus>();
  if (!config.enabled) return bus;
  for (std::size_t i = 0; i < config.hooks.size(); ++i) {
    const HookConfig& h = config.hooks[i];
    if (!h.enabled) continue;
    if (options.logging_only && h.type != HookType::kLogging) continue;
    HookOptions opts;
    opts.name = h.label(i);
    opts.filter = filter_for(h);
    bus->register_hook(hooks::make_destination(h, i, {options.environment}), std::move(opts));
  }
  return bus;
}

}  // namespace baselinr
