// Values, rows and table references that cross the connection interface.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace baselinr::db {

// A database value: NULL, integer, real, text (also blobs, as bytes) or boolean.
using Value = std::variant<std::monostate, std::int64_t, double, std::string, bool>;

inline bool is_null(const Value& v) { return std::holds_alternative<std::monostate>(v); }
// Numeric view of a value (integers, reals, booleans, numeric text); nullopt otherwise.
std::optional<double> as_double(const Value& v);
std::optional<std::int64_t> as_int(const Value& v);
// Text view: NULL -> nullopt; numbers in their shortest round-trip form.
std::optional<std::string> as_text(const Value& v);

struct Result {
  std::vector<std::string> columns;
  std::vector<std::vector<Value>> rows;
};

struct TableRef {
  std::string schema;  // empty: the connection's default
  std::string name;
  std::string display() const { return schema.empty() ? name : schema + "." + name; }
};

struct ColumnInfo {
  std::string name;
  std::string type;  // native type text, e.g. "VARCHAR(20)", "timestamp without time zone"
  // True when COUNT(DISTINCT) can compare the values by their type's own equality (PostgreSQL:
  // the type has a default btree operator class); false where only their text can stand in.
  bool type_equality = false;
  // True when a valid, whole-table unique index on this column alone (with the column's own
  // collation and default operator class) guarantees its non-null values are all distinct.
  bool unique = false;
  // For a domain (PostgreSQL), the type it is based on, e.g. "numeric(10,2)": the type class and
  // the aggregates follow it. Empty when `type` is not a domain.
  std::string base_type;
};

}  // namespace baselinr::db
