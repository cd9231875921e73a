#include "events/hooks/chat_message.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "common/text.hpp"
#include "common/uuid.hpp"
#include "events/identity.hpp"

namespace baselinr::hooks {
namespace {

using Json = nlohmann::ordered_json;

// Cuts user text that could make a message too long for its destination, on a UTF-8 boundary.
std::string clip(std::string_view text, std::size_t max = 200) {
  if (text.size() <= max) return std::string(text);
  return utf8_prefix(text, max) + "…";
}

std::string num(const std::optional<double>& v) {
  if (!v) return "n/a";
  return fmt::format("{:.6g}", *v);
}

std::string upper(Severity s) {
  std::string t(to_string(s));
  for (char& c : t) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return t;
}

std::string qualified(const Fields& details, const std::string& table) {
  std::string schema = detail_text(details, "schema");
  return clip(schema.empty() ? table : schema + "." + table);
}

struct Item {
  int rank = 0;  // sort key: higher first
  double magnitude = 0;
  ChatLine line;
};

std::string plural(std::size_t n, const char* one, const char* many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

}  // namespace

std::string slack_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string message_id(const std::vector<Event>& events) {
  if (events.size() == 1) return events.front().event_id();
  std::vector<std::string> ids;
  for (const auto& e : events) ids.push_back(e.event_id());
  std::sort(ids.begin(), ids.end());
  return uuid_v5("message|" + join(ids, ","));
}

ChatSummary summarise(const std::vector<Event>& events, int max_lines) {
  ChatSummary s;
  for (const auto& e : events) s.event_ids.push_back(e.event_id());
  if (events.empty()) return s;
  const Event& first = events.front();

  // A single lifecycle event.
  if (events.size() == 1) {
    std::string run_id;
    if (const auto* f = first.get_if<ProfilingFailed>()) {
      s.title = "Profiling failed: " + clip(f->table);
      s.worst = Severity::kHigh;
      s.lines.push_back({Severity::kHigh, clip(f->error, 500)});
      run_id = f->run_id;
    } else if (const auto* c = first.get_if<ProfilingCompleted>()) {
      s.title = fmt::format("Profiled {}: {} rows, {} columns in {:.2f}s", clip(c->table),
                            c->row_count, c->column_count, c->duration_seconds);
      run_id = c->run_id;
    } else if (const auto* st = first.get_if<ProfilingStarted>()) {
      s.title = "Profiling started: " + clip(st->table);
      run_id = st->run_id;
    }
    if (!s.title.empty()) {
      s.footer = fmt::format("baselinr · {} · run {} · event {}", first.event_type(), run_id,
                             first.event_id());
      return s;
    }
  }

  // Findings of one table's drift run.
  std::vector<Item> items;
  std::size_t drifts = 0, schema_changes = 0, resolved = 0, high = 0, medium = 0, low = 0;
  std::string table, baseline_runs, current_run;
  for (const auto& e : events) {
    if (const auto* d = e.get_if<DataDriftDetected>()) {
      ++drifts;
      if (d->drift_severity == Severity::kHigh) ++high;
      if (d->drift_severity == Severity::kMedium) ++medium;
      if (d->drift_severity == Severity::kLow) ++low;
      s.worst = std::max(s.worst, d->drift_severity);
      std::string change = d->change_percent ? fmt::format("{:+.1f}%", *d->change_percent)
                                             : detail_text(d->details, "direction");
      items.push_back(
          {static_cast<int>(d->drift_severity) * 2 + 1,
           d->change_percent ? std::fabs(*d->change_percent) : 0.0,
           {d->drift_severity,
            fmt::format("{}  {} · {}: {} → {} ({})", upper(d->drift_severity), clip(d->column),
                        clip(d->metric), num(d->baseline_value), num(d->current_value), change)}});
      if (table.empty()) table = qualified(d->details, d->table);
      if (current_run.empty()) {
        baseline_runs = detail_text(d->details, "baseline_run_ids");
        current_run = detail_text(d->details, "current_run_id");
      }
    } else if (const auto* c = e.get_if<SchemaChangeDetected>()) {
      ++schema_changes;
      s.worst = std::max(s.worst, Severity::kMedium);
      std::string types = c->change_type == "type_changed"
                              ? fmt::format("{} → {}", clip(c->old_type.value_or("?")),
                                            clip(c->new_type.value_or("?")))
                              : clip(c->new_type.value_or(c->old_type.value_or("")));
      items.push_back(
          {4,
           0,
           {Severity::kMedium, fmt::format("SCHEMA  {}: {}{}", clip(c->column), c->change_type,
                                           types.empty() ? "" : " (" + types + ")")}});
      if (table.empty()) table = qualified(c->details, c->table);
      if (current_run.empty()) {
        baseline_runs = detail_text(c->details, "baseline_run_ids");
        current_run = detail_text(c->details, "current_run_id");
      }
    } else if (const auto* r = e.get_if<DataDriftResolved>()) {
      ++resolved;
      items.push_back(
          {0,
           0,
           {Severity::kNone,
            fmt::format("RESOLVED  {} · {} ({}, was {})", clip(r->column), clip(r->metric),
                        detail_text(r->details, "direction"), to_string(r->drift_severity))}});
      if (table.empty()) table = qualified(r->details, r->table);
      if (current_run.empty()) {
        baseline_runs = detail_text(r->details, "baseline_run_ids");
        current_run = detail_text(r->details, "current_run_id");
      }
    } else {
      items.push_back(
          {0, 0, {Severity::kNone, std::string(e.event_type()) + " " + clip(e.table())}});
      if (table.empty()) table = clip(e.table());
    }
  }
  std::stable_sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
    if (a.rank != b.rank) return a.rank > b.rank;
    return a.magnitude > b.magnitude;
  });
  const std::size_t cap = static_cast<std::size_t>(std::max(1, max_lines));
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i < cap) {
      s.lines.push_back(items[i].line);
    } else {
      ++s.more;
    }
  }
  s.resolved_only = resolved == events.size();
  if (drifts > 0) {
    s.title = fmt::format("{} drift in {}", upper(s.worst), table);
  } else if (schema_changes > 0) {
    s.title = "Schema change in " + table;
  } else if (resolved > 0) {
    s.title = "Drift resolved in " + table;
  } else {
    s.title = "Events for " + table;
  }
  std::vector<std::string> parts;
  if (drifts > 0) {
    std::vector<std::string> sev;
    if (high) sev.push_back(fmt::format("{} high", high));
    if (medium) sev.push_back(fmt::format("{} medium", medium));
    if (low) sev.push_back(fmt::format("{} low", low));
    parts.push_back(plural(drifts, "finding", "findings") + ": " + join(sev, ", "));
  }
  if (schema_changes > 0)
    parts.push_back(plural(schema_changes, "schema change", "schema changes"));
  if (resolved > 0) parts.push_back(fmt::format("{} resolved", resolved));
  s.counts = join(parts, " · ");
  s.footer = fmt::format(
      "baselinr · drift run{} · {}",
      current_run.empty() ? std::string()
                          : fmt::format(" of runs {} → {}", baseline_runs, current_run),
      events.size() == 1 ? "event " + first.event_id() : fmt::format("{} events", events.size()));
  return s;
}

namespace {

const char* slack_emoji(const ChatSummary& s) {
  if (s.resolved_only) return ":white_check_mark:";
  switch (s.worst) {
    case Severity::kHigh:
      return ":rotating_light:";
    case Severity::kMedium:
      return ":warning:";
    case Severity::kLow:
      return ":information_source:";
    case Severity::kNone:
      break;
  }
  return ":bell:";
}

Json plain(const std::string& text) {
  return Json{{"type", "plain_text"}, {"text", text}, {"emoji", true}};
}

}  // namespace

std::string slack_message(const std::vector<Event>& events, int max_lines) {
  const ChatSummary s = summarise(events, max_lines);
  Json blocks = Json::array();
  // A header holds at most 150 characters.
  blocks.push_back(
      Json{{"type", "header"},
           {"text", plain(clip(std::string(slack_emoji(s)) + " " + slack_escape(s.title), 140))}});
  if (!s.counts.empty()) {
    blocks.push_back(
        Json{{"type", "section"},
             {"text", {{"type", "mrkdwn"}, {"text", "*" + slack_escape(s.counts) + "*"}}}});
  }
  for (const auto& line : s.lines) {
    blocks.push_back(Json{{"type", "section"}, {"text", plain(slack_escape(line.text))}});
  }
  if (s.more > 0) {
    blocks.push_back(Json{{"type", "context"},
                          {"elements", Json::array({plain(fmt::format("and {} more", s.more))})}});
  }
  blocks.push_back(
      Json{{"type", "context"}, {"elements", Json::array({plain(slack_escape(s.footer))})}});
  Json msg;
  std::string fallback = s.title;
  if (!s.counts.empty()) fallback += ": " + s.counts;
  if (s.counts.empty() && !s.lines.empty()) fallback += ": " + s.lines.front().text;
  msg["text"] = slack_escape(fallback);
  msg["blocks"] = std::move(blocks);
  return msg.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string teams_message(const std::vector<Event>& events, int max_lines) {
  const ChatSummary s = summarise(events, max_lines);
  auto run = [](const std::string& text) { return Json{{"type", "TextRun"}, {"text", text}}; };
  auto rich = [](Json inlines) {
    return Json{{"type", "RichTextBlock"}, {"inlines", std::move(inlines)}};
  };
  const char* color = s.resolved_only                ? "Good"
                      : s.worst == Severity::kHigh   ? "Attention"
                      : s.worst == Severity::kMedium ? "Warning"
                                                     : "Default";
  Json body = Json::array();
  Json title = run(s.title);
  title["weight"] = "Bolder";
  title["size"] = "Medium";
  title["color"] = color;
  body.push_back(rich(Json::array({title})));
  if (!s.counts.empty()) body.push_back(rich(Json::array({run(s.counts)})));
  for (const auto& line : s.lines) body.push_back(rich(Json::array({run(line.text)})));
  if (s.more > 0) body.push_back(rich(Json::array({run(fmt::format("and {} more", s.more))})));
  Json footer = run(s.footer);
  footer["isSubtle"] = true;
  footer["size"] = "Small";
  body.push_back(rich(Json::array({footer})));
  Json card = {{"type", "AdaptiveCard"},
               {"$schema", "http://adaptivecards.io/schemas/adaptive-card.json"},
               {"version", "1.4"},
               {"body", std::move(body)}};
  Json msg = {
      {"type", "message"},
      {"attachments", Json::array({Json{{"contentType", "application/vnd.microsoft.card.adaptive"},
                                        {"contentUrl", nullptr},
                                        {"content", std::move(card)}}})}};
  return msg.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

EmailMessage email_message(const std::vector<Event>& events, int max_lines) {
  const ChatSummary s = summarise(events, max_lines);
  EmailMessage m;
  m.subject = s.title;
  if (!s.counts.empty()) m.subject += " (" + s.counts + ")";
  // Not one_line(): the text keeps its own spacing; only the line breaks, which could forge a
  // header or a line, go.
  auto no_line_breaks = [](std::string text) {
    for (char& c : text) {
      if (c == '\r' || c == '\n') c = ' ';
    }
    return text;
  };
  m.subject = no_line_breaks(m.subject);
  std::string body = no_line_breaks(s.title) + "\r\n";
  if (!s.counts.empty()) body += no_line_breaks(s.counts) + "\r\n";
  body += "\r\n";
  for (const auto& line : s.lines) body += "- " + no_line_breaks(line.text) + "\r\n";
  if (s.more > 0) body += fmt::format("and {} more\r\n", s.more);
  body += "\r\n" + no_line_breaks(s.footer) + "\r\n";
  m.body = std::move(body);
  return m;
}

}  // namespace baselinr::hooks
