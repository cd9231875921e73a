// TypeClass: what kind of values a column holds, as the dialect classifies its native type.
// It decides which metrics a column gets (mean and quantiles for numeric columns, top_values
// for strings...). Shared by the database layer and the profiling API.
#pragma once

#include <string_view>

namespace baselinr {

enum class TypeClass { kNumeric, kString, kTemporal, kBoolean, kOther };

// "numeric", "string", "temporal", "boolean", "other": the names stored and printed.
constexpr std::string_view to_string(TypeClass type_class) {
  switch (type_class) {
    case TypeClass::kNumeric:
      return "numeric";
    case TypeClass::kString:
      return "string";
    case TypeClass::kTemporal:
      return "temporal";
    case TypeClass::kBoolean:
      return "boolean";
    case TypeClass::kOther:
      return "other";
  }
  return "other";
}

}  // namespace baselinr
