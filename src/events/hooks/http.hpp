// HTTP POST for the webhook-style destinations (webhook, Slack, Teams, PagerDuty), with the
// retry decision of docs/EVENTS_AND_HOOKS.md: 2xx delivered; 408, 425, 429 and 5xx, timeouts and
// network errors retried (no earlier than a Retry-After in seconds or as an HTTP-date); 3xx (not
// followed), 400, 401, 403, 404, 405, 410, 413, 422 and other 4xx failed for good. Messages never
// contain the URL or a header value.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "events/hooks/destination.hpp"

namespace baselinr::hooks {

class HttpClient {
 public:
  HttpClient();
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // POSTs `body` to `url` with `headers` ("Name: value"). Returns when a 2xx answer came; throws
  // DeliveryError otherwise. `who` starts every message ("webhook hook").
  void post(const std::string& url, const std::vector<std::string>& headers,
            const std::string& body, const Deadline& deadline, std::string_view who);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Seconds to wait from a Retry-After value: delay-seconds ("120") or an HTTP-date ("Wed, 21 Oct
// 2026 07:28:00 GMT", 0 when in the past); nullopt when unreadable.
std::optional<double> parse_retry_after(std::string_view value,
                                        std::chrono::system_clock::time_point now);

// Whether an HTTP status is worth retrying (the table above).
bool retryable_status(long status);

// Base64 (standard alphabet, padded) and HMAC-SHA256, for Standard Webhooks signatures.
std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);
std::string hmac_sha256(std::string_view key, std::string_view message);

// Standard Webhooks headers for one message: webhook-id, webhook-timestamp and, with a secret
// (whsec_<base64 key> or any other text used as the key bytes), webhook-signature "v1,<base64>".
std::vector<std::string> standard_webhook_headers(const std::string& message_id,
                                                  std::int64_t unix_seconds,
                                                  const std::string& body,
                                                  const std::string& secret);

}  // namespace baselinr::hooks
