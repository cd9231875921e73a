#include "events/hooks/webhook_hook.hpp"

#include <curl/curl.h>
#include <fmt/format.h>

#include <mutex>
#include <nlohmann/json.hpp>

#include "baselinr/error.hpp"
#include "common/text.hpp"

namespace baselinr::hooks {
namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

std::size_t discard_body(char* /*ptr*/, std::size_t size, std::size_t n, void* /*user*/) {
  return size * n;
}

std::string num(const std::optional<double>& v) {
  if (!v) return "n/a";
  return fmt::format("{:.6g}", *v);
}

const char* severity_emoji(Severity s) {
  switch (s) {
    case Severity::kHigh:
      return ":rotating_light:";
    case Severity::kMedium:
      return ":warning:";
    case Severity::kLow:
      return ":information_source:";
    case Severity::kNone:
      break;
  }
  return ":grey_question:";
}

nlohmann::ordered_json field(const std::string& title, const std::string& value) {
  return {{"type", "mrkdwn"}, {"text", fmt::format("*{}*\n{}", title, value)}};
}

}  // namespace

std::string slack_message(const Event& event) {
  std::string text;
  nlohmann::ordered_json fields = nlohmann::ordered_json::array();
  if (const auto* d = event.get_if<DataDriftDetected>()) {
    std::string sev = to_lower(std::string(to_string(d->drift_severity)));
    std::string upper = sev;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    std::string change = d->change_percent ? fmt::format("{:+.1f}%", *d->change_percent) : "n/a";
    text = fmt::format("{} *{}* drift in `{}.{}`: {} {} → {} ({})",
                       severity_emoji(d->drift_severity), upper, d->table, d->column, d->metric,
                       num(d->baseline_value), num(d->current_value), change);
    fields.push_back(field("Table", d->table));
    fields.push_back(field("Column", d->column));
    fields.push_back(field("Metric", d->metric));
    fields.push_back(
        field("Baseline → Current", num(d->baseline_value) + " → " + num(d->current_value)));
    fields.push_back(field("Change", change));
    fields.push_back(field("Severity", sev));
  } else if (const auto* s = event.get_if<SchemaChangeDetected>()) {
    std::string types =
        s->change_type == "type_changed"
            ? fmt::format("{} → {}", s->old_type.value_or("?"), s->new_type.value_or("?"))
            : s->new_type.value_or(s->old_type.value_or(""));
    text = fmt::format(":triangular_ruler: Schema change in `{}`: {} `{}` ({})", s->table,
                       s->change_type, s->column, types);
    fields.push_back(field("Table", s->table));
    fields.push_back(field("Column", s->column));
    fields.push_back(field("Change", s->change_type));
    fields.push_back(field("Type", types));
  } else if (const auto* f = event.get_if<ProfilingFailed>()) {
    text = fmt::format(":x: Profiling failed for `{}`: {}", f->table, f->error);
    fields.push_back(field("Table", f->table));
    fields.push_back(field("Run", f->run_id));
  } else if (const auto* c = event.get_if<ProfilingCompleted>()) {
    text = fmt::format(":white_check_mark: Profiled `{}`: {} rows, {} columns in {:.2f}s", c->table,
                       c->row_count, c->column_count, c->duration_seconds);
    fields.push_back(field("Table", c->table));
    fields.push_back(field("Run", c->run_id));
  } else if (const auto* st = event.get_if<ProfilingStarted>()) {
    text = fmt::format(":hourglass_flowing_sand: Profiling started for `{}`", st->table);
    fields.push_back(field("Table", st->table));
    fields.push_back(field("Run", st->run_id));
  }
  nlohmann::ordered_json blocks = nlohmann::ordered_json::array();
  blocks.push_back({{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", text}}}});
  blocks.push_back({{"type", "section"}, {"fields", fields}});
  nlohmann::ordered_json context_text = {
      {"type", "mrkdwn"},
      {"text", fmt::format("baselinr {} · event {} · {}", event.event_type(), event.event_id(),
                           event.timestamp_iso())}};
  nlohmann::ordered_json context;
  context["type"] = "context";
  context["elements"] = nlohmann::ordered_json::array({context_text});
  blocks.push_back(std::move(context));
  nlohmann::ordered_json msg;
  msg["text"] = text;
  msg["blocks"] = std::move(blocks);
  return msg.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string webhook_body(const Event& event, const std::string& format) {
  return format == "slack" ? slack_message(event) : event.to_json();
}

struct WebhookHook::Impl {
  std::string url;
  std::string format;
  std::unique_ptr<curl_slist, SlistDeleter> headers;
  long timeout_ms;
  std::unique_ptr<CURL, CurlDeleter> curl;
};

WebhookHook::WebhookHook(std::string url, std::string format,
                         std::map<std::string, std::string> headers, double timeout_seconds)
    : impl_(std::make_unique<Impl>()) {
  global_init();
  impl_->url = std::move(url);
  impl_->format = std::move(format);
  impl_->timeout_ms = static_cast<long>(timeout_seconds * 1000);
  bool has_content_type = false;
  curl_slist* list = nullptr;
  for (const auto& [k, v] : headers) {
    if (to_lower(k) == "content-type") has_content_type = true;
    list = curl_slist_append(list, (k + ": " + v).c_str());
  }
  if (!has_content_type) list = curl_slist_append(list, "Content-Type: application/json");
  impl_->headers.reset(list);
  impl_->curl.reset(curl_easy_init());
  if (!impl_->curl) throw HookError("webhook hook: cannot initialise libcurl");
}

WebhookHook::~WebhookHook() = default;

void WebhookHook::handle_event(const Event& event) {
  const std::string body = webhook_body(event, impl_->format);
  CURL* c = impl_->curl.get();
  curl_easy_reset(c);
  curl_easy_setopt(c, CURLOPT_URL, impl_->url.c_str());
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, impl_->headers.get());
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, impl_->timeout_ms);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, impl_->timeout_ms);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "baselinr");
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &discard_body);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) {
    // curl_easy_strerror never contains the URL; the error buffer might, so it is not used.
    throw HookError(fmt::format("webhook hook: {}", curl_easy_strerror(rc)));
  }
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  if (status < 200 || status >= 300) {
    throw HookError(fmt::format("webhook hook: the server answered HTTP {}", status));
  }
}

}  // namespace baselinr::hooks
