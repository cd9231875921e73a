// The email hook against a local SMTP sink: what the message looks like, hostile names that
// cannot forge a header, STARTTLS required before anything is sent, and the retry decision for
// the server's replies.
#include <gtest/gtest.h>

#include "baselinr/error.hpp"
#include "events/hooks/email_hook.hpp"
#include "support/smtp_server.hpp"

namespace baselinr {
namespace {

using testing::SmtpServer;

hooks::EmailOptions options(const SmtpServer& smtp) {
  hooks::EmailOptions o;
  o.smtp_url = smtp.url();
  o.starttls = false;
  o.from = "baselinr@example.com";
  o.to = {"oncall@example.com"};
  o.timeout_seconds = 5;
  return o;
}

TEST(Email, HostileNamesCannotForgeHeadersAndUnicodeSubjectsAreEncoded) {
  SmtpServer smtp;
  hooks::EmailHook hook(options(smtp));
  const std::string hostile_table = "orders\r\nBcc: attacker@example.com";
  Event e(DataDriftDetected{hostile_table, "<!channel> <http://x|y> *bold*", "mean", 1.0, 2.0,
                            100.0, Severity::kHigh});
  hook.handle_event(e);
  ASSERT_EQ(smtp.messages().size(), 1u);
  const auto m = smtp.messages()[0];
  EXPECT_EQ(m.rcpt, std::vector<std::string>{"oncall@example.com"}) << "no forged recipient";
  const std::string head = m.data.substr(0, m.data.find("\r\n\r\n") + 2);
  EXPECT_EQ(head.find("\r\nBcc:"), std::string::npos) << head;
  EXPECT_NE(head.find("Subject: [baselinr] HIGH drift in orders  Bcc: attacker@example.com"),
            std::string::npos)
      << head;
  EXPECT_NE(head.find("Message-ID: <" + e.event_id() + "@baselinr>\r\n"), std::string::npos);
  EXPECT_NE(head.find("X-Baselinr-Event-Ids: " + e.event_id() + "\r\n"), std::string::npos);
  const std::string body = m.data.substr(m.data.find("\r\n\r\n") + 4);
  EXPECT_NE(body.find("- HIGH  <!channel> <http://x|y> *bold* · mean: 1 → 2 (+100.0%)\r\n"),
            std::string::npos)
      << body;

  Event u(ProfilingFailed{"ventes_été", "r", "échec"});
  hook.handle_event(u);
  ASSERT_EQ(smtp.messages().size(), 2u);
  const std::string text = smtp.messages()[1].data;
  EXPECT_NE(text.find("Subject: =?UTF-8?B?"), std::string::npos) << text;
  EXPECT_EQ(hooks::encode_header("plain ascii"), "plain ascii");
  EXPECT_EQ(hooks::encode_header("é"), "=?UTF-8?B?w6k=?=");
}

TEST(Email, StartTlsIsRequiredBeforeAnythingIsSent) {
  SmtpServer smtp;  // offers no STARTTLS
  auto o = options(smtp);
  o.starttls = true;
  o.username = "alerts";
  o.password = "hunter2-smtp";
  hooks::EmailHook hook(o);
  try {
    hook.handle_event(Event(ProfilingFailed{"t", "r", "x"}));
    FAIL();
  } catch (const DeliveryError& e) {
    EXPECT_TRUE(e.permanent());
    EXPECT_NE(std::string(e.what()).find("does not offer STARTTLS"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("hunter2"), std::string::npos);
  }
  EXPECT_TRUE(smtp.messages().empty());
  for (const auto& c : smtp.commands()) {
    EXPECT_TRUE(c.rfind("EHLO", 0) == 0 || c.rfind("QUIT", 0) == 0) << "sent in clear: " << c;
  }
}

TEST(Email, TemporaryRepliesAreRetriedPermanentOnesAreNot) {
  SmtpServer smtp;
  smtp.script_mail_replies({"451 4.3.0 try again later", "550 5.7.1 relaying denied"});
  hooks::EmailHook hook(options(smtp));
  const Event e(ProfilingFailed{"t", "r", "x"});
  try {
    hook.handle_event(e);
    FAIL();
  } catch (const DeliveryError& err) {
    EXPECT_FALSE(err.permanent()) << err.what();
    EXPECT_NE(std::string(err.what()).find("451"), std::string::npos) << err.what();
  }
  try {
    hook.handle_event(e);
    FAIL();
  } catch (const DeliveryError& err) {
    EXPECT_TRUE(err.permanent()) << err.what();
    EXPECT_NE(std::string(err.what()).find("550"), std::string::npos) << err.what();
  }
  EXPECT_NO_THROW(hook.handle_event(e));
  ASSERT_EQ(smtp.messages().size(), 1u);
}

}  // namespace
}  // namespace baselinr
