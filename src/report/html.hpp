// HTML text for the report: the one place where stored text (table and column names, values,
// error messages, event metadata) becomes markup, and the number formats the page shows.
//
// Everything that did not come from this program's own string literals goes through escape():
// a hostile name such as `<script>` or `" onload="` is then text in the page, never markup.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace baselinr::report {

// Escapes &, <, >, " and ' for use in element content and in double- or single-quoted
// attribute values; invalid UTF-8 becomes U+FFFD, and control characters other than tab and
// newline become U+FFFD, so the page stays well-formed whatever bytes a database returned.
std::string escape(std::string_view text);

// At most `max_chars` characters (code points) of `text`, with "…" when cut; then escaped.
std::string escape_cut(std::string_view text, std::size_t max_chars);

// A stored metric value for people: integers as they are, reals with up to `decimals` decimals
// (trailing zeros dropped), very large or small magnitudes in exponent form; text as it is.
std::string display_number(double value, int decimals = 4);
std::string display_value(std::string_view stored_text, int decimals = 4);

// A short form for chart labels: four significant digits, whole numbers from 1000 up.
std::string display_compact(double value);

// "1.2 KB", "3.4 MB".
std::string display_bytes(std::size_t bytes);

// "2026-11-27 02:53" from a stored timestamp (seconds and fraction dropped); the text itself
// when it is not a timestamp.
std::string display_time(std::string_view stored_time);

}  // namespace baselinr::report
