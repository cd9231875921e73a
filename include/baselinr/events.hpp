// Events: the facts baselinr reports while it profiles and compares runs.
//
// An Event is a value: one of six payload structs plus an event_id (a UUID) and a UTC timestamp,
// both fixed once when the event is constructed: a random id for lifecycle events, a name-based
// one (uuid_v5 of the finding and its runs) for drift findings, so the same finding on the same
// runs is the same event. Every sink (log line, SQL row, webhook body, command stdin, plugin)
// receives that same id, so consumers can de-duplicate.
// to_json() is the one serialisation: the JSON object that crosses the plugin ABI, a command
// hook's stdin, a webhook body; metadata_json() is the "metadata" member alone (the events
// table's metadata column).
//
// Thread-safety: immutable after construction; safe to share between threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace baselinr {

enum class Severity { kNone, kLow, kMedium, kHigh };
std::string_view to_string(Severity severity);
// "none", "low", "medium", "high" (case-insensitive); nullopt for anything else.
std::optional<Severity> parse_severity(std::string_view text);

// One metadata field: null, integer, real or text.
using FieldValue = std::variant<std::monostate, std::int64_t, double, std::string>;
using Fields = std::vector<std::pair<std::string, FieldValue>>;

// Drift and schema-change events carry `details`: further named fields appended after the
// standard ones in the event's metadata (and at the top level of its JSON), e.g. the strategy
// or test that found the change, its statistic and threshold, the baseline and current run ids
// and a one-line reason. Values are scalars; a list is written as comma-separated text. A name
// that repeats a standard field is ignored when serialising.
struct DataDriftDetected {
  std::string table;
  std::string column;
  std::string metric;
  std::optional<double> baseline_value;
  std::optional<double> current_value;
  std::optional<double> change_percent;
  Severity drift_severity = Severity::kNone;
  Fields details;
};

struct SchemaChangeDetected {
  std::string table;
  std::string change_type;  // column_added | column_removed | type_changed
  std::string column;
  std::optional<std::string> old_type;
  std::optional<std::string> new_type;
  Fields details;
};

// A finding reported earlier (DataDriftDetected) that the latest drift run of its table no
// longer finds. It carries the finding's identity (table, column, metric and, in details, schema,
// direction and finding_key) and its last severity; details also say which run cleared it
// (current_run_id), when the finding was first detected (first_detected_at) and the id of the
// last DataDriftDetected event that reported it (detected_event_id).
struct DataDriftResolved {
  std::string table;
  std::string column;
  std::string metric;
  Severity drift_severity = Severity::kNone;
  Fields details;
};

struct ProfilingStarted {
  std::string table;
  std::string run_id;
};

struct ProfilingCompleted {
  std::string table;
  std::string run_id;
  std::int64_t row_count = 0;
  std::int64_t column_count = 0;
  double duration_seconds = 0;
};

struct ProfilingFailed {
  std::string table;
  std::string run_id;
  std::string error;
};

using EventPayload = std::variant<DataDriftDetected, SchemaChangeDetected, ProfilingStarted,
                                  ProfilingCompleted, ProfilingFailed, DataDriftResolved>;

class Event {
 public:
  using Clock = std::chrono::system_clock;

  // Mints a new event_id and takes the current time.
  explicit Event(EventPayload payload);
  // Rebuilds a stored event with its original identity, or makes one whose id is name-based.
  // `test` marks the synthetic event of `baselinr hooks test` (serialised as "test": true).
  Event(EventPayload payload, std::string event_id, Clock::time_point timestamp, bool test = false);

  const std::string& event_id() const { return event_id_; }
  bool is_test() const { return test_; }
  Clock::time_point timestamp() const { return timestamp_; }
  std::string timestamp_iso() const;  // 2026-11-27T02:53:22.123456Z
  std::string_view event_type() const;
  const EventPayload& payload() const { return payload_; }
  template <class T>
  const T* get_if() const {
    return std::get_if<T>(&payload_);
  }

  // Convenience accessors over the payload.
  const std::string& table() const;
  Severity severity() const;  // drift severity (also of a resolution); kNone for other events

  // The payload's fields in declaration order (what "metadata" holds; a test event's metadata
  // and JSON also carry "test": true).
  Fields fields() const;
  std::string metadata_json() const;
  // {"event_id":..., "event_type":..., "timestamp":..., <fields>..., "metadata":{<fields>}}
  std::string to_json() const;
  // Rebuilds an event from to_json() output (identity and timestamp included). Throws
  // baselinr::Error when the text is not such an object.
  static Event from_json(std::string_view json);

 private:
  EventPayload payload_;
  std::string event_id_;
  Clock::time_point timestamp_;
  bool test_ = false;
};

// All six event type names, e.g. "DataDriftDetected".
const std::vector<std::string>& all_event_types();

// A random (version 4) UUID in canonical text form.
std::string new_uuid();

}  // namespace baselinr
