#include "db/value.hpp"

#include "common/text.hpp"

namespace baselinr::db {

std::optional<double> as_double(const Value& v) {
  if (auto* i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
  if (auto* d = std::get_if<double>(&v)) return *d;
  if (auto* b = std::get_if<bool>(&v)) return *b ? 1.0 : 0.0;
  if (auto* s = std::get_if<std::string>(&v)) return parse_double(*s);
  return std::nullopt;
}

std::optional<std::int64_t> as_int(const Value& v) {
  if (auto* i = std::get_if<std::int64_t>(&v)) return *i;
  if (auto* d = std::get_if<double>(&v)) {
    if (*d >= -9.2233720368547758e18 && *d < 9.2233720368547758e18) {
      return static_cast<std::int64_t>(*d);
    }
    return std::nullopt;
  }
  if (auto* b = std::get_if<bool>(&v)) return *b ? 1 : 0;
  if (auto* s = std::get_if<std::string>(&v)) return parse_int(*s);
  return std::nullopt;
}

std::optional<std::string> as_text(const Value& v) {
  if (auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
  if (auto* d = std::get_if<double>(&v)) return format_double(*d);
  if (auto* b = std::get_if<bool>(&v)) return std::string(*b ? "true" : "false");
  if (auto* s = std::get_if<std::string>(&v)) return *s;
  return std::nullopt;
}

}  // namespace baselinr::db
