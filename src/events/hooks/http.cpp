#include "events/hooks/http.hpp"

#include <curl/curl.h>
#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cctype>
#include <cmath>
#include <mutex>

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

struct Exchange {
  std::string body;  // the first bytes of the answer
  std::optional<std::string> retry_after;
  const Deadline* deadline = nullptr;
};

std::size_t keep_body(char* ptr, std::size_t size, std::size_t n, void* user) {
  auto* x = static_cast<Exchange*>(user);
  if (x->body.size() < 512) x->body.append(ptr, std::min(size * n, 512 - x->body.size()));
  return size * n;
}

std::size_t keep_header(char* ptr, std::size_t size, std::size_t n, void* user) {
  auto* x = static_cast<Exchange*>(user);
  std::string_view line(ptr, size * n);
  auto colon = line.find(':');
  if (colon != std::string_view::npos && to_lower(line.substr(0, colon)) == "retry-after") {
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && std::isspace(static_cast<unsigned char>(value.front()))) {
      value.remove_prefix(1);
    }
    while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back()))) {
      value.remove_suffix(1);
    }
    x->retry_after = std::string(value);
  }
  return size * n;
}

int check_deadline(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* x = static_cast<Exchange*>(user);
  return x->deadline->passed() ? 1 : 0;
}

// A short machine-readable answer ("invalid_payload", "no_text") helps; anything longer or
// freer might echo what we sent, so it is left out.
std::string answer_hint(const std::string& body) {
  std::string b = body;
  while (!b.empty() && std::isspace(static_cast<unsigned char>(b.back()))) b.pop_back();
  if (b.empty() || b.size() > 60) return {};
  for (char c : b) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.' &&
        c != ' ') {
      return {};
    }
  }
  return " (" + b + ")";
}

}  // namespace

struct HttpClient::Impl {
  std::unique_ptr<CURL, CurlDeleter> curl;
};

HttpClient::HttpClient() : impl_(std::make_unique<Impl>()) {
  global_init();
  impl_->curl.reset(curl_easy_init());
  if (!impl_->curl) throw HookError("cannot initialise libcurl");
}

HttpClient::~HttpClient() = default;

bool retryable_status(long status) {
  if (status == 408 || status == 425 || status == 429) return true;
  if (status >= 500) return true;
  if (status >= 300) return false;  // 3xx not followed; 4xx: the request is wrong
  return true;                      // 1xx and anything odd
}

void HttpClient::post(const std::string& url, const std::vector<std::string>& headers,
                      const std::string& body, const Deadline& deadline, std::string_view who) {
  CURL* c = impl_->curl.get();
  curl_easy_reset(c);
  curl_slist* list = nullptr;
  for (const auto& h : headers) list = curl_slist_append(list, h.c_str());
  std::unique_ptr<curl_slist, SlistDeleter> owned(list);
  Exchange x;
  x.deadline = &deadline;
  const long ms = std::max(1L, static_cast<long>(std::ceil(deadline.seconds_left() * 1000)));
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, owned.get());
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, ms);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, ms);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "baselinr");
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &keep_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &x);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &keep_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &x);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, &check_deadline);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &x);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) {
    // curl_easy_strerror never contains the URL; the error buffer might, so it is not used.
    switch (rc) {
      case CURLE_ABORTED_BY_CALLBACK:
      case CURLE_OPERATION_TIMEDOUT:
        throw DeliveryError(fmt::format("{}: Timeout was reached (no answer within timeout_seconds "
                                        "or before the end of the delivery budget)",
                                        who),
                            false);
      case CURLE_UNSUPPORTED_PROTOCOL:
      case CURLE_URL_MALFORMAT:
      case CURLE_PEER_FAILED_VERIFICATION:
      case CURLE_SSL_CERTPROBLEM:
      case CURLE_SSL_CACERT_BADFILE:
        throw DeliveryError(
            fmt::format("{}: {}; check the URL in the configuration", who, curl_easy_strerror(rc)),
            true);
      default:
        throw DeliveryError(fmt::format("{}: {}", who, curl_easy_strerror(rc)), false);
    }
  }
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  if (status >= 200 && status < 300) return;
  std::optional<double> wait;
  if (x.retry_after) wait = parse_retry_after(*x.retry_after, std::chrono::system_clock::now());
  // Slack and others explain a refused request in a word ("invalid_payload").
  const std::string hint = retryable_status(status) ? std::string() : answer_hint(x.body);
  if (status >= 300 && status < 400) {
    throw DeliveryError(fmt::format("{}: the server answered HTTP {}: redirects are not followed; "
                                    "update the URL to where it moved",
                                    who, status),
                        true);
  }
  if (!retryable_status(status)) {
    throw DeliveryError(fmt::format("{}: the server answered HTTP {}{}; not retried (fix the "
                                    "configuration or the payload)",
                                    who, status, hint),
                        true);
  }
  throw DeliveryError(fmt::format("{}: the server answered HTTP {}{}", who, status, hint), false,
                      wait);
}

std::optional<double> parse_retry_after(std::string_view value,
                                        std::chrono::system_clock::time_point now) {
  if (value.empty()) return std::nullopt;
  bool digits = true;
  for (char ch : value) digits = digits && std::isdigit(static_cast<unsigned char>(ch));
  if (digits) {
    if (value.size() > 9) return 1e9;
    return static_cast<double>(std::stol(std::string(value)));
  }
  const std::string text(value);
  time_t at = curl_getdate(text.c_str(), nullptr);
  if (at == -1) return std::nullopt;
  const double delta =
      static_cast<double>(at) - std::chrono::duration<double>(now.time_since_epoch()).count();
  return std::max(0.0, delta);
}

std::string base64_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out(3 * text.size() / 4 + 1, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  std::size_t size = static_cast<std::size_t>(n);
  // EVP_DecodeBlock counts the padding as zero bytes.
  if (!text.empty() && text.back() == '=') --size;
  if (text.size() > 1 && text[text.size() - 2] == '=') --size;
  out.resize(size);
  return out;
}

std::string hmac_sha256(std::string_view key, std::string_view message) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest,
            &size)) {
    throw HookError("HMAC-SHA256 is not available from OpenSSL");
  }
  return std::string(reinterpret_cast<const char*>(digest), size);
}

std::vector<std::string> standard_webhook_headers(const std::string& message_id,
                                                  std::int64_t unix_seconds,
                                                  const std::string& body,
                                                  const std::string& secret) {
  std::vector<std::string> headers = {"webhook-id: " + message_id,
                                      fmt::format("webhook-timestamp: {}", unix_seconds)};
  if (!secret.empty()) {
    std::string key = secret;
    if (secret.rfind("whsec_", 0) == 0) {
      auto decoded = base64_decode(secret.substr(6));
      if (!decoded)
        throw DeliveryError("webhook hook: secret: whsec_ must be followed by base64", true);
      key = *decoded;
    }
    const std::string signed_text = fmt::format("{}.{}.{}", message_id, unix_seconds, body);
    headers.push_back("webhook-signature: v1," + base64_encode(hmac_sha256(key, signed_text)));
  }
  return headers;
}

}  // namespace baselinr::hooks
