// Name-based identifiers: the same name always gives the same id, so a fact found again (the
// same drift finding on the same pair of runs) keeps the identity a receiver de-duplicates by.
#pragma once

#include <string>
#include <string_view>

namespace baselinr {

// A version 5 (SHA-1, RFC 4122) UUID of `name` in baselinr's own namespace, canonical text form.
std::string uuid_v5(std::string_view name);

}  // namespace baselinr
