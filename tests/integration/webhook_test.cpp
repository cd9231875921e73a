// The webhook hook against a real local HTTP server: bodies in every format (json, cloudevents,
// slack, teams), Standard Webhooks headers and signatures checked by an independent
// implementation (Python's hmac), hostile names rendered inert, and the retry decision for each
// kind of answer.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "baselinr/error.hpp"
#include "baselinr/event_bus.hpp"
#include "events/hooks/chat_message.hpp"
#include "events/hooks/http.hpp"
#include "events/hooks/webhook_hook.hpp"
#include "support/http_server.hpp"
#include "support/testing.hpp"

namespace baselinr {
namespace {

using testing::HttpResponse;
using testing::HttpServer;

hooks::WebhookOptions options(const std::string& url, const std::string& format = "json") {
  hooks::WebhookOptions o;
  o.url = url;
  o.format = format;
  o.timeout_seconds = 5;
  return o;
}

const char* kHostile = "<!channel> <http://x|y> *bold*";

Event drift(const std::string& table, const std::string& column, Severity s, double change) {
  return Event(DataDriftDetected{table,
                                 column,
                                 "mean",
                                 10.0,
                                 10.0 * (1 + change / 100),
                                 change,
                                 s,
                                 {{"schema", std::string("public")},
                                  {"baseline_run_ids", std::string("run-a")},
                                  {"current_run_id", std::string("run-b")}}});
}

TEST(Webhook, PostsTheEventJsonWithConfiguredAndStandardWebhooksHeaders) {
  HttpServer server;
  auto o = options(server.url("/events?token=secret-in-url"));
  o.headers = {{"Authorization", "Bearer s3cr3t"}, {"X-Team", "data"}};
  hooks::WebhookHook hook(o);
  Event e(DataDriftDetected{"orders", "amount", "mean", 10.0, 15.0, 50.0, Severity::kHigh});
  const auto before = std::chrono::system_clock::now();
  hook.handle_event(e);
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[0].path, "/events?token=secret-in-url");
  EXPECT_EQ(reqs[0].headers["authorization"], "Bearer s3cr3t");
  EXPECT_EQ(reqs[0].headers["x-team"], "data");
  EXPECT_EQ(reqs[0].headers["content-type"], "application/json");
  EXPECT_EQ(reqs[0].body, e.to_json());
  EXPECT_EQ(reqs[0].headers["webhook-id"], e.event_id());
  const auto ts = std::stoll(reqs[0].headers["webhook-timestamp"]);
  const auto unix_before =
      std::chrono::duration_cast<std::chrono::seconds>(before.time_since_epoch()).count();
  EXPECT_GE(ts, unix_before - 1);
  EXPECT_LE(ts, unix_before + 5);
  EXPECT_EQ(reqs[0].headers.count("webhook-signature"), 0u) << "no secret, no signature";
}

// The signature is checked by Python's hmac and base64, not by our own code.
TEST(Webhook, StandardWebhooksSignatureVerifiesWithAnIndependentImplementation) {
  testing::TempDir dir;
  const std::string key_b64 = "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";  // base64 of 24 key bytes
  for (const std::string& secret : {"whsec_" + key_b64, std::string("plain text secret")}) {
    HttpServer server;
    auto o = options(server.url(), "json");
    o.secret = secret;
    hooks::WebhookHook hook(o);
    Event e(ProfilingFailed{"orders", "run-1", "boom: ünïcode"});
    hook.handle_event(e);
    auto reqs = server.requests();
    ASSERT_EQ(reqs.size(), 1u);
    auto body = dir.write("body", reqs[0].body);
    auto script = dir.write("verify.py", R"PY(
import base64, hashlib, hmac, sys
secret, msg_id, ts, sig_header, body_path = sys.argv[1:6]
key = base64.b64decode(secret[len("whsec_"):]) if secret.startswith("whsec_") else secret.encode()
body = open(body_path, "rb").read()
signed = msg_id.encode() + b"." + ts.encode() + b"." + body
expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
ok = any(s == "v1," + expected for s in sig_header.split(" "))
print("valid" if ok else "invalid: expected v1," + expected)
)PY");
    auto r = testing::run_program(
        "/usr/bin/env", {"python3", script.string(), secret, reqs[0].headers["webhook-id"],
                         reqs[0].headers["webhook-timestamp"], reqs[0].headers["webhook-signature"],
                         body.string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "valid\n") << secret << " " << reqs[0].headers["webhook-signature"];
  }
}

TEST(Webhook, CloudEventsStructuredMode) {
  HttpServer server;
  auto o = options(server.url(), "cloudevents");
  o.source = "baselinr://production";
  hooks::WebhookHook hook(o);
  Event e = drift("orders", "amount", Severity::kHigh, 50);
  hook.handle_event(e);
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].headers["content-type"], "application/cloudevents+json; charset=utf-8");
  auto j = nlohmann::json::parse(reqs[0].body);
  EXPECT_EQ(j["specversion"], "1.0");
  EXPECT_EQ(j["id"], e.event_id());
  EXPECT_EQ(j["source"], "baselinr://production");
  EXPECT_EQ(j["type"], "io.baselinr.data_drift_detected");
  EXPECT_EQ(j["time"], e.timestamp_iso());
  EXPECT_EQ(j["datacontenttype"], "application/json");
  EXPECT_EQ(j["subject"], "orders");
  EXPECT_EQ(j["data"], nlohmann::json::parse(e.to_json()));
  EXPECT_EQ(hooks::cloudevent_type("DataDriftResolved"), "io.baselinr.data_drift_resolved");
}

// Collects every text object of a Block Kit message: {type, text}.
void slack_texts(const nlohmann::json& j, std::vector<std::pair<std::string, std::string>>& out) {
  if (j.is_object()) {
    if (j.contains("type") && j.contains("text") && j["text"].is_string()) {
      out.emplace_back(j["type"], j["text"]);
    }
    for (const auto& [k, v] : j.items()) slack_texts(v, out);
  } else if (j.is_array()) {
    for (const auto& v : j) slack_texts(v, out);
  }
}

TEST(Webhook, SlackSummarisesADriftRunWorstFirstCappedWithTheRest) {
  std::vector<Event> events;
  events.push_back(drift("orders", "low_col", Severity::kLow, 6));
  events.push_back(drift("orders", "high_col", Severity::kHigh, 80));
  events.push_back(drift("orders", "medium_col", Severity::kMedium, -20));
  events.push_back(drift("orders", "higher_col", Severity::kHigh, -95));
  events.emplace_back(SchemaChangeDetected{"orders",
                                           "column_added",
                                           "new_col",
                                           std::nullopt,
                                           "TEXT",
                                           {{"schema", std::string("public")}}});
  auto msg = nlohmann::json::parse(hooks::slack_message(events, 3));
  std::vector<std::string> lines;
  for (const auto& b : msg["blocks"]) {
    if (b["type"] == "section" && b["text"]["type"] == "plain_text")
      lines.push_back(b["text"]["text"]);
  }
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "HIGH  higher_col · mean: 10 → 0.5 (-95.0%)");
  EXPECT_EQ(lines[1], "HIGH  high_col · mean: 10 → 18 (+80.0%)");
  EXPECT_EQ(lines[2], "MEDIUM  medium_col · mean: 10 → 8 (-20.0%)");
  EXPECT_NE(msg.dump().find("and 2 more"), std::string::npos) << msg.dump();
  EXPECT_EQ(msg["blocks"][0]["type"], "header");
  EXPECT_EQ(msg["blocks"][0]["text"]["text"], ":rotating_light: HIGH drift in public.orders");
  EXPECT_EQ(msg["text"],
            "HIGH drift in public.orders: 4 findings: 2 high, 1 medium, 1 low · 1 schema change");
}

TEST(Webhook, HostileNamesAreInertInSlackAndTeams) {
  std::vector<Event> events = {drift(kHostile, kHostile, Severity::kHigh, 50)};
  events.emplace_back(SchemaChangeDetected{kHostile, "type_changed", kHostile, "INT", kHostile});
  events.emplace_back(ProfilingFailed{kHostile, "r", kHostile});
  for (const auto& group :
       {std::vector<Event>{events[0], events[1]}, std::vector<Event>{events[2]}}) {
    // Slack: user data only in plain_text objects and the fallback text, with &, < and >
    // escaped everywhere; mrkdwn objects carry none of it.
    auto slack = nlohmann::json::parse(hooks::slack_message(group, 10));
    std::vector<std::pair<std::string, std::string>> texts;
    slack_texts(slack, texts);
    texts.emplace_back("fallback", slack["text"]);
    bool saw_name = false;
    for (const auto& [type, text] : texts) {
      EXPECT_EQ(text.find('<'), std::string::npos) << type << ": " << text;
      EXPECT_EQ(text.find('>'), std::string::npos) << type << ": " << text;
      if (text.find("&lt;!channel&gt; &lt;http://x|y&gt; *bold*") != std::string::npos) {
        saw_name = true;
        EXPECT_TRUE(type == "plain_text" || type == "fallback") << type << ": " << text;
      }
      if (type == "mrkdwn") {
        EXPECT_EQ(text.find("bold"), std::string::npos) << text;
      }
    }
    EXPECT_TRUE(saw_name) << slack.dump();
    // Teams: user data only in RichTextBlock TextRuns (no Markdown), never in a TextBlock.
    auto teams = nlohmann::json::parse(hooks::teams_message(group, 10));
    EXPECT_EQ(teams["type"], "message");
    auto& att = teams["attachments"][0];
    EXPECT_EQ(att["contentType"], "application/vnd.microsoft.card.adaptive");
    auto& card = att["content"];
    EXPECT_EQ(card["type"], "AdaptiveCard");
    EXPECT_EQ(card["version"], "1.4");
    EXPECT_EQ(card["$schema"], "http://adaptivecards.io/schemas/adaptive-card.json");
    bool teams_name = false;
    for (const auto& block : card["body"]) {
      ASSERT_EQ(block["type"], "RichTextBlock") << block.dump();
      for (const auto& run : block["inlines"]) {
        EXPECT_EQ(run["type"], "TextRun");
        if (run["text"].get<std::string>().find(kHostile) != std::string::npos) teams_name = true;
      }
    }
    EXPECT_TRUE(teams_name) << teams.dump();
  }
}

TEST(Webhook, SlackFormatPostsTheSummaryWithChannelAndUsername) {
  HttpServer server;
  auto o = options(server.url(), "slack");
  o.channel = "#data";
  o.username = "baselinr";
  o.group_findings = true;
  hooks::WebhookHook hook(o);
  std::vector<Event> events = {drift("orders", "a", Severity::kMedium, 20),
                               drift("orders", "b", Severity::kHigh, 40)};
  hook.deliver(events, hooks::Deadline(5));
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u) << "one message for the drift run";
  auto j = nlohmann::json::parse(reqs[0].body);
  EXPECT_EQ(j["channel"], "#data");
  EXPECT_EQ(j["username"], "baselinr");
  EXPECT_EQ(reqs[0].headers["webhook-id"], hooks::message_id(events));
  EXPECT_EQ(hooks::message_id(events), hooks::message_id({events[1], events[0]}))
      << "the same events give the same id, whatever their order";
}

// The retry decision of each kind of answer, as the dispatcher sees it.
TEST(Webhook, EachAnswerIsDeliveredRetriedOrFailedForGood) {
  HttpServer server;
  server.script(
      {HttpResponse{.status = 500}, HttpResponse{.status = 429, .headers = {{"Retry-After", "2"}}},
       HttpResponse{.status = 503, .headers = {{"Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT"}}},
       HttpResponse{.status = 401, .body = "invalid_token"},
       HttpResponse{.status = 301, .headers = {{"Location", "http://elsewhere/"}}},
       HttpResponse{.status = 404, .body = "<html>please echo secret</html>"},
       HttpResponse{.status = 202}});
  hooks::WebhookHook hook(options(server.url("/secret-path")));
  const Event e(ProfilingStarted{"t", "r"});
  struct Want {
    bool permanent;
    std::optional<double> retry_after;
    const char* text;
  };
  const Want wants[] = {{false, std::nullopt, "webhook hook: the server answered HTTP 500"},
                        {false, 2.0, "webhook hook: the server answered HTTP 429"},
                        {false, 0.0, "webhook hook: the server answered HTTP 503"},
                        {true, std::nullopt,
                         "webhook hook: the server answered HTTP 401 (invalid_token); not retried "
                         "(fix the configuration or the payload)"},
                        {true, std::nullopt,
                         "webhook hook: the server answered HTTP 301: redirects are not "
                         "followed; update the URL to where it moved"},
                        {true, std::nullopt,
                         "webhook hook: the server answered HTTP 404; not retried (fix the "
                         "configuration or the payload)"}};
  for (const Want& want : wants) {
    try {
      hook.handle_event(e);
      ADD_FAILURE() << "expected a failure: " << want.text;
    } catch (const DeliveryError& err) {
      EXPECT_EQ(err.permanent(), want.permanent) << want.text;
      EXPECT_EQ(err.retry_after_seconds(), want.retry_after) << want.text;
      EXPECT_EQ(std::string(err.what()), want.text);
      EXPECT_EQ(std::string(err.what()).find("secret"), std::string::npos);
    }
  }
  EXPECT_NO_THROW(hook.handle_event(e));  // 202
  EXPECT_EQ(server.requests().size(), 7u);
}

TEST(Webhook, RetryAfterInSecondsAndAsAnHttpDate) {
  const auto now = std::chrono::system_clock::from_time_t(1445412480);  // 07:28:00 GMT
  EXPECT_EQ(hooks::parse_retry_after("120", now), 120.0);
  EXPECT_EQ(hooks::parse_retry_after("0", now), 0.0);
  EXPECT_EQ(hooks::parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now), 0.0);
  EXPECT_EQ(hooks::parse_retry_after("Wed, 21 Oct 2015 07:30:30 GMT", now), 150.0);
  EXPECT_EQ(hooks::parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now), 0.0) << "past";
  EXPECT_EQ(hooks::parse_retry_after("soon", now), std::nullopt);
  EXPECT_EQ(hooks::parse_retry_after("", now), std::nullopt);
}

TEST(Webhook, SilenceAndRefusalAreRetryableFailuresWithoutTheUrl) {
  HttpServer silent;
  silent.set_hang(true);
  auto o = options(silent.url("/secret-path"));
  o.timeout_seconds = 0.5;
  hooks::WebhookHook hanging(o);
  try {
    hanging.handle_event(Event(ProfilingStarted{"t", "r"}));
    FAIL();
  } catch (const DeliveryError& e) {
    EXPECT_FALSE(e.permanent());
    EXPECT_NE(std::string(e.what()).find("Timeout"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("secret"), std::string::npos) << e.what();
  }
  int port;
  {
    HttpServer gone;
    port = gone.port();
  }
  hooks::WebhookHook refused(options(fmt::format("http://127.0.0.1:{}/secret", port)));
  try {
    refused.handle_event(Event(ProfilingStarted{"t", "r"}));
    FAIL();
  } catch (const DeliveryError& e) {
    EXPECT_FALSE(e.permanent());
    EXPECT_EQ(std::string(e.what()).find("secret"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("connect"), std::string::npos) << e.what();
  }
}

TEST(Webhook, BusCountsFailuresAndTheOtherHooksStillReceive) {
  HttpServer failing;
  failing.set_status(500);
  auto log = std::make_shared<testing::CapturingHook::Log>();
  EventBus bus;
  bus.register_hook(std::make_unique<hooks::WebhookHook>(options(failing.url("/secret-path"))),
                    {"webhook-500", {}});
  bus.register_hook(std::make_unique<testing::CapturingHook>(log), {"after", {}});
  bus.emit(Event(ProfilingStarted{"t", "r1"}));
  bus.emit(Event(ProfilingStarted{"t", "r2"}));
  EXPECT_EQ(bus.stats(0).failed, 2u);
  EXPECT_EQ(bus.stats(0).last_error, "webhook hook: the server answered HTTP 500");
  EXPECT_EQ(log->events.size(), 2u);
}

}  // namespace
}  // namespace baselinr
