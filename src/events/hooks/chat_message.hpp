// Messages people read: Slack (Block Kit), Microsoft Teams (Adaptive Card for a Workflows
// webhook) and email (plain text), each from one summary of one event or of one table's drift
// run (its findings, worst first, capped, with how many more; its schema changes; the findings
// it resolved).
//
// User data (table, column, metric and type names, error texts) never becomes markup: in Slack it
// sits only in plain_text objects and the fallback text, with &, < and > escaped as Slack's rules
// say (so `<!channel>` or `<http://x|y>` in a column name stay text); in Teams only in
// RichTextBlock TextRuns, which Adaptive Cards do not parse as Markdown; in email only in the
// plain-text body and an encoded Subject without line breaks.
#pragma once

#include <string>
#include <vector>

#include "baselinr/events.hpp"

namespace baselinr::hooks {

struct ChatLine {
  Severity severity = Severity::kNone;
  std::string text;  // plain text with user data, e.g. "HIGH  amount · mean: 10 → 15 (+50.0%)"
};

struct ChatSummary {
  std::string title;  // plain text with user data, e.g. "HIGH drift in public.orders"
  Severity worst = Severity::kNone;
  bool resolved_only = false;   // every event is a resolution
  std::string counts;           // no user data: "3 findings: 1 high, 2 medium · 1 resolved"
  std::vector<ChatLine> lines;  // worst first, at most max_lines
  std::size_t more = 0;         // lines left out
  std::string footer;           // plain text: event type and id(s), runs, time
  std::vector<std::string> event_ids;
};

ChatSummary summarise(const std::vector<Event>& events, int max_lines);

// A message id that is the same for the same events on every attempt (uuid_v5 of their ids):
// the event's own id for a single event.
std::string message_id(const std::vector<Event>& events);

// Slack's escaping of &, < and > (its only control characters).
std::string slack_escape(std::string_view text);

std::string slack_message(const std::vector<Event>& events, int max_lines);
std::string teams_message(const std::vector<Event>& events, int max_lines);

struct EmailMessage {
  std::string subject;  // one line, user data included (encoded when written as a header)
  std::string body;     // plain text, CRLF line ends
};
EmailMessage email_message(const std::vector<Event>& events, int max_lines);

}  // namespace baselinr::hooks
