#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <random>

#include "baselinr/events.hpp"
#include "common/text.hpp"

namespace baselinr {

std::string_view to_string(Severity severity) {
  switch (severity) {
    case Severity::kNone:
      return "none";
    case Severity::kLow:
      return "low";
    case Severity::kMedium:
      return "medium";
    case Severity::kHigh:
      return "high";
  }
  return "none";
}

std::optional<Severity> parse_severity(std::string_view text) {
  std::string t = to_lower(text);
  if (t == "none") return Severity::kNone;
  if (t == "low") return Severity::kLow;
  if (t == "medium") return Severity::kMedium;
  if (t == "high") return Severity::kHigh;
  return std::nullopt;
}

const std::vector<std::string>& all_event_types() {
  // In the order of EventPayload's alternatives.
  static const std::vector<std::string> types = {"DataDriftDetected", "SchemaChangeDetected",
                                                 "ProfilingStarted",  "ProfilingCompleted",
                                                 "ProfilingFailed",   "DataDriftResolved"};
  return types;
}

std::string new_uuid() {
  thread_local std::mt19937_64 rng{[] {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd(), rd(), rd(), rd(), rd()};
    return std::mt19937_64(seq);
  }()};
  std::uint64_t hi = rng(), lo = rng();
  hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // RFC 4122 variant
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", hi >> 32, (hi >> 16) & 0xffff,
                     hi & 0xffff, lo >> 48, lo & 0xffffffffffffULL);
}

Event::Event(EventPayload payload) : Event(std::move(payload), new_uuid(), Clock::now()) {}

Event::Event(EventPayload payload, std::string event_id, Clock::time_point timestamp, bool test)
    : payload_(std::move(payload)),
      event_id_(std::move(event_id)),
      timestamp_(timestamp),
      test_(test) {}

std::string Event::timestamp_iso() const { return format_iso_time(timestamp_); }

std::string_view Event::event_type() const { return all_event_types()[payload_.index()]; }

const std::string& Event::table() const {
  return std::visit([](const auto& p) -> const std::string& { return p.table; }, payload_);
}

Severity Event::severity() const {
  if (auto* d = get_if<DataDriftDetected>()) return d->drift_severity;
  if (auto* r = get_if<DataDriftResolved>()) return r->drift_severity;
  return Severity::kNone;
}

namespace {

FieldValue opt(const std::optional<double>& v) {
  return v ? FieldValue(*v) : FieldValue(std::monostate{});
}
FieldValue opt(const std::optional<std::string>& v) {
  return v ? FieldValue(*v) : FieldValue(std::monostate{});
}

// The standard fields, then the details whose names do not repeat one of them.
Fields with_details(Fields fields, const Fields& details) {
  const std::size_t standard = fields.size();
  for (const auto& d : details) {
    const auto end = fields.begin() + static_cast<std::ptrdiff_t>(standard);
    if (std::none_of(fields.begin(), end, [&](const auto& f) { return f.first == d.first; })) {
      fields.push_back(d);
    }
  }
  return fields;
}

struct FieldsOf {
  Fields operator()(const DataDriftDetected& e) const {
    return with_details({{"table", e.table},
                         {"column", e.column},
                         {"metric", e.metric},
                         {"baseline_value", opt(e.baseline_value)},
                         {"current_value", opt(e.current_value)},
                         {"change_percent", opt(e.change_percent)},
                         {"drift_severity", std::string(to_string(e.drift_severity))}},
                        e.details);
  }
  Fields operator()(const SchemaChangeDetected& e) const {
    return with_details({{"table", e.table},
                         {"change_type", e.change_type},
                         {"column", e.column},
                         {"old_type", opt(e.old_type)},
                         {"new_type", opt(e.new_type)}},
                        e.details);
  }
  Fields operator()(const ProfilingStarted& e) const {
    return {{"table", e.table}, {"run_id", e.run_id}};
  }
  Fields operator()(const ProfilingCompleted& e) const {
    return {{"table", e.table},
            {"run_id", e.run_id},
            {"row_count", e.row_count},
            {"column_count", e.column_count},
            {"duration_seconds", e.duration_seconds}};
  }
  Fields operator()(const ProfilingFailed& e) const {
    return {{"table", e.table}, {"run_id", e.run_id}, {"error", e.error}};
  }
  Fields operator()(const DataDriftResolved& e) const {
    return with_details({{"table", e.table},
                         {"column", e.column},
                         {"metric", e.metric},
                         {"drift_severity", std::string(to_string(e.drift_severity))}},
                        e.details);
  }
};

nlohmann::ordered_json field_json(const FieldValue& v) {
  return std::visit(
      [](const auto& x) -> nlohmann::ordered_json {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return nullptr;
        } else if constexpr (std::is_same_v<T, double>) {
          if (!std::isfinite(x)) return nullptr;  // JSON has no inf/nan
          return x;
        } else {
          return x;
        }
      },
      v);
}

nlohmann::ordered_json fields_json(const Fields& fields) {
  nlohmann::ordered_json obj = nlohmann::ordered_json::object();
  for (const auto& [k, v] : fields) obj[k] = field_json(v);
  return obj;
}

}  // namespace

Fields Event::fields() const { return std::visit(FieldsOf{}, payload_); }

std::string Event::metadata_json() const {
  nlohmann::ordered_json j = fields_json(fields());
  if (test_) j["test"] = true;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string Event::to_json() const {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  j["event_id"] = event_id_;
  j["event_type"] = std::string(event_type());
  j["timestamp"] = timestamp_iso();
  Fields f = fields();
  for (const auto& [k, v] : f) j[k] = field_json(v);
  if (test_) j["test"] = true;
  j["metadata"] = fields_json(f);
  if (test_) j["metadata"]["test"] = true;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace baselinr
