// type: email: one plain-text message per event, or per table's drift run (group_by: table, the
// default), over SMTP with libcurl. smtp:// requires STARTTLS before anything (credentials, the
// message) is sent unless starttls: false; smtps:// is TLS from the start. The password is a
// secret: never logged, never in errors.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "events/hooks/chat_message.hpp"
#include "events/hooks/destination.hpp"

namespace baselinr::hooks {

struct EmailOptions {
  std::string smtp_url;
  bool starttls = true;
  std::string username;
  std::string password;
  std::string from;
  std::vector<std::string> to;
  std::string subject_prefix = "[baselinr]";
  double timeout_seconds = 10;
  bool group_findings = true;
  int max_findings = 10;
};

class EmailHook final : public Destination {
 public:
  explicit EmailHook(EmailOptions options);
  ~EmailHook() override;
  void deliver(const std::vector<Event>& events, const Deadline& deadline) override;
  bool groups_findings() const override { return options_.group_findings; }

 private:
  EmailOptions options_;
};

// The RFC 5322 message (headers and body, CRLF line ends) for `events`, dated `unix_seconds`.
std::string email_text(const EmailOptions& options, const std::vector<Event>& events,
                       std::int64_t unix_seconds);
// A header value as an RFC 2047 encoded-word sequence when it is not plain ASCII.
std::string encode_header(std::string_view text);

}  // namespace baselinr::hooks
