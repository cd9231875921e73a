// The webhook hook against a real local HTTP server: bodies in JSON and Slack formats, headers,
// and failures (HTTP 500, no answer) counted while the run continues.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "baselinr/error.hpp"
#include "baselinr/event_bus.hpp"
#include "events/hooks/webhook_hook.hpp"
#include "support/http_server.hpp"
#include "support/testing.hpp"

namespace baselinr {
namespace {

using testing::HttpServer;

TEST(Webhook, PostsTheEventJsonWithConfiguredHeaders) {
  HttpServer server;
  hooks::WebhookHook hook(server.url("/events?token=secret-in-url"), "json",
                          {{"Authorization", "Bearer s3cr3t"}, {"X-Team", "data"}}, 5);
  Event e(DataDriftDetected{"orders", "amount", "mean", 10.0, 15.0, 50.0, Severity::kHigh});
  hook.handle_event(e);
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[0].path, "/events?token=secret-in-url");
  EXPECT_EQ(reqs[0].headers["authorization"], "Bearer s3cr3t");
  EXPECT_EQ(reqs[0].headers["x-team"], "data");
  EXPECT_EQ(reqs[0].headers["content-type"], "application/json");
  EXPECT_EQ(reqs[0].body, e.to_json());
}

TEST(Webhook, SlackFormatHasTextAndBlocksWithTheDriftDetails) {
  HttpServer server;
  hooks::WebhookHook hook(server.url(), "slack", {}, 5);
  Event e(DataDriftDetected{"orders", "amount", "mean", 10.0, 15.0, 50.0, Severity::kHigh});
  hook.handle_event(e);
  hook.handle_event(Event(SchemaChangeDetected{"orders", "type_changed", "id", "INTEGER", "TEXT"}));
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 2u);
  auto msg = nlohmann::json::parse(reqs[0].body);
  std::string text = msg["text"];
  EXPECT_NE(text.find("HIGH"), std::string::npos) << text;
  EXPECT_NE(text.find("orders.amount"), std::string::npos) << text;
  EXPECT_NE(text.find("10 → 15"), std::string::npos) << text;
  EXPECT_NE(text.find("+50.0%"), std::string::npos) << text;
  std::string blocks = msg["blocks"].dump();
  for (const char* want :
       {"*Table*\\norders", "*Column*\\namount", "*Metric*\\nmean",
        "*Baseline → Current*\\n10 → 15", "*Change*\\n+50.0%", "*Severity*\\nhigh"}) {
    EXPECT_NE(blocks.find(want), std::string::npos) << want << " in " << blocks;
  }
  EXPECT_NE(blocks.find(e.event_id()), std::string::npos);
  auto schema = nlohmann::json::parse(reqs[1].body);
  EXPECT_NE(schema["text"].get<std::string>().find("type_changed `id` (INTEGER → TEXT)"),
            std::string::npos)
      << schema["text"];
}

TEST(Webhook, ServerErrorsAndSilenceAreCountedFailuresAndTheRunContinues) {
  HttpServer failing, silent;
  failing.set_status(500);
  silent.set_hang(true);
  auto log = std::make_shared<testing::CapturingHook::Log>();
  EventBus bus;
  bus.register_hook(std::make_unique<hooks::WebhookHook>(failing.url("/secret-path"), "json",
                                                         std::map<std::string, std::string>{}, 5),
                    {"webhook-500", {}});
  bus.register_hook(std::make_unique<hooks::WebhookHook>(silent.url("/secret-path"), "json",
                                                         std::map<std::string, std::string>{}, 0.5),
                    {"webhook-silent", {}});
  bus.register_hook(std::make_unique<testing::CapturingHook>(log), {"after", {}});
  bus.emit(Event(ProfilingStarted{"t", "r1"}));
  bus.emit(Event(ProfilingStarted{"t", "r2"}));
  EXPECT_EQ(bus.stats(0).failed, 2u);
  EXPECT_EQ(bus.stats(0).last_error, "webhook hook: the server answered HTTP 500");
  EXPECT_EQ(bus.stats(1).failed, 2u);
  EXPECT_NE(bus.stats(1).last_error.find("Timeout"), std::string::npos) << bus.stats(1).last_error;
  EXPECT_EQ(bus.stats(1).last_error.find("secret-path"), std::string::npos);
  EXPECT_EQ(bus.stats(0).last_error.find("127.0.0.1"), std::string::npos);
  EXPECT_EQ(log->events.size(), 2u);
  EXPECT_EQ(failing.requests().size(), 2u);
}

TEST(Webhook, NothingListeningIsAFailureWithoutTheUrl) {
  int port;
  {
    HttpServer gone;
    port = gone.port();
  }
  hooks::WebhookHook hook(fmt::format("http://127.0.0.1:{}/secret", port), "json", {}, 2);
  try {
    hook.handle_event(Event(ProfilingStarted{"t", "r"}));
    FAIL();
  } catch (const HookError& e) {
    EXPECT_EQ(std::string(e.what()).find("secret"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("connect"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace baselinr
