// Small text helpers shared across the library.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace baselinr {

// Lower case without blanks, for comparing type names: "BIGINT( 20 ) UNSIGNED" ->
// "bigint(20)unsigned".
std::string compact_lower(std::string_view text);

// Shortest text that reads back to the same double, Python-style: "12.5", "100.0", "1e+20",
// "inf", "-inf", "nan".
std::string format_double(double value);

// Parses a whole string as a double ("inf", "nan" accepted); nullopt if it is not one.
std::optional<double> parse_double(std::string_view text);
std::optional<std::int64_t> parse_int(std::string_view text);
// A single-precision float as the double of its shortest decimal text (0.1f becomes 0.1, as
// databases print a FLOAT / REAL), not the float's exact binary value 0.100000001490116...
double widen_float(float value);

// "2026-11-27 02:53:22.123456" (UTC): the storage form of timestamps.
std::string format_storage_time(std::chrono::system_clock::time_point tp);
// "2026-11-27T02:53:22.123456Z" (UTC): the event and JSON form.
std::string format_iso_time(std::chrono::system_clock::time_point tp);
// Parses either form (also without fraction, with 'T' or ' ', with or without 'Z').
std::optional<std::chrono::system_clock::time_point> parse_time(std::string_view text);
// Normalises a timestamp read back from a database to the storage form.
std::string normalize_storage_time(std::string_view text);
// Seconds since 1970-01-01 UTC of a date or timestamp as databases print them:
// "YYYY-MM-DD", "YYYY-MM-DD HH:MM[:SS[.f]]" (also with 'T'), optionally followed by "Z" or an
// offset ("+02", "+05:30", "-0800"); without one the time is read as UTC.
std::optional<double> parse_epoch_seconds(std::string_view text);

// A message from a driver, server or library as one line: every run of white space becomes one
// space, or "; " when it holds a line break and the text before it does not end in punctuation
// ("failed: X\n\tIs the server running?" -> "failed: X; Is the server running?"); no white space
// at either end. Every error message and stored error goes through it.
std::string one_line(std::string_view text);

// `text` with every occurrence of every non-empty secret (password, token, ...) replaced by
// "***", longest secret first so that one containing another is masked whole. The one masking
// rule: every message that may quote a secret goes through it, whatever the secret's length.
std::string redact(std::string text, std::vector<std::string> secrets);

std::string to_lower(std::string_view text);
std::vector<std::string> split(std::string_view text, char sep);
std::string join(const std::vector<std::string>& parts, std::string_view sep);

// The longest prefix of `text` of at most `max_bytes` bytes that does not cut a UTF-8 character.
std::string utf8_prefix(std::string_view text, std::size_t max_bytes);

// Levenshtein distance, for "did you mean".
std::size_t edit_distance(std::string_view a, std::string_view b);
// The closest candidate within a small distance, if any.
std::optional<std::string> closest_match(std::string_view word,
                                         const std::vector<std::string>& candidates);

}  // namespace baselinr
