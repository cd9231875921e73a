#include "events/hooks/email_hook.hpp"

#include <curl/curl.h>
#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <ctime>
#include <mutex>

#include "baselinr/error.hpp"
#include "common/text.hpp"
#include "events/hooks/http.hpp"

namespace baselinr::hooks {
namespace {

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

struct Upload {
  const std::string* text;
  std::size_t offset = 0;
  const Deadline* deadline;
};

std::size_t read_message(char* buffer, std::size_t size, std::size_t n, void* user) {
  auto* u = static_cast<Upload*>(user);
  const std::size_t left = u->text->size() - u->offset;
  const std::size_t chunk = std::min(left, size * n);
  std::memcpy(buffer, u->text->data() + u->offset, chunk);
  u->offset += chunk;
  return chunk;
}

int check_deadline(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<Upload*>(user)->deadline->passed() ? 1 : 0;
}

std::string rfc5322_date(std::int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  static const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  return fmt::format("{}, {:02} {} {:04} {:02}:{:02}:{:02} +0000", kDays[tm.tm_wday], tm.tm_mday,
                     kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

// Only characters that cannot break a header line or an address.
std::string address(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c != '\r' && c != '\n') out.push_back(c);
  }
  return out;
}

}  // namespace

std::string encode_header(std::string_view text) {
  bool plain = true;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) plain = false;
  }
  if (plain) return std::string(text);
  // Encoded words of at most 45 bytes of UTF-8 (60 characters of base64), split between
  // characters, folded onto continuation lines.
  std::vector<std::string> words;
  std::size_t i = 0;
  while (i < text.size()) {
    std::string chunk = utf8_prefix(text.substr(i), 45);
    if (chunk.empty()) chunk = std::string(text.substr(i, 45));  // not UTF-8 at all
    i += chunk.size();
    for (char& c : chunk) {
      if (c == '\r' || c == '\n') c = ' ';
    }
    words.push_back("=?UTF-8?B?" + base64_encode(chunk) + "?=");
  }
  std::string out;
  for (std::size_t w = 0; w < words.size(); ++w) out += (w ? "\r\n " : "") + words[w];
  return out;
}

std::string email_text(const EmailOptions& options, const std::vector<Event>& events,
                       std::int64_t unix_seconds) {
  const EmailMessage m = email_message(events, options.max_findings);
  std::string to;
  for (const auto& a : options.to) to += (to.empty() ? "" : ", ") + address(a);
  std::string subject =
      options.subject_prefix.empty() ? m.subject : options.subject_prefix + " " + m.subject;
  std::string ids;
  for (const auto& e : events) ids += (ids.empty() ? "" : " ") + e.event_id();
  std::string text;
  text += "From: " + address(options.from) + "\r\n";
  text += "To: " + to + "\r\n";
  text += "Subject: " + encode_header(subject) + "\r\n";
  text += "Date: " + rfc5322_date(unix_seconds) + "\r\n";
  text += "Message-ID: <" + message_id(events) + "@baselinr>\r\n";
  text += "X-Baselinr-Event-Ids: " + ids + "\r\n";
  text += "MIME-Version: 1.0\r\n";
  text += "Content-Type: text/plain; charset=UTF-8\r\n";
  text += "Content-Transfer-Encoding: 8bit\r\n";
  text += "\r\n";
  text += m.body;
  return text;
}

EmailHook::EmailHook(EmailOptions options)
    : Destination(options.timeout_seconds), options_(std::move(options)) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

EmailHook::~EmailHook() = default;

void EmailHook::deliver(const std::vector<Event>& events, const Deadline& deadline) {
  if (events.empty()) return;
  if (events.size() > 1 && !options_.group_findings) {
    for (const auto& e : events) deliver({e}, deadline);
    return;
  }
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  const std::string text = email_text(options_, events, now);
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) throw DeliveryError("email hook: cannot initialise libcurl", false);
  CURL* c = curl.get();
  curl_slist* rcpt = nullptr;
  for (const auto& a : options_.to)
    rcpt = curl_slist_append(rcpt, ("<" + address(a) + ">").c_str());
  std::unique_ptr<curl_slist, SlistDeleter> recipients(rcpt);
  Upload upload{&text, 0, &deadline};
  const long ms = std::max(1L, static_cast<long>(std::ceil(deadline.seconds_left() * 1000)));
  const std::string from = "<" + address(options_.from) + ">";
  curl_easy_setopt(c, CURLOPT_URL, options_.smtp_url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  if (options_.smtp_url.rfind("smtp://", 0) == 0) {
    curl_easy_setopt(c, CURLOPT_USE_SSL,
                     static_cast<long>(options_.starttls ? CURLUSESSL_ALL : CURLUSESSL_NONE));
  }
  if (!options_.username.empty()) curl_easy_setopt(c, CURLOPT_USERNAME, options_.username.c_str());
  if (!options_.password.empty()) curl_easy_setopt(c, CURLOPT_PASSWORD, options_.password.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, recipients.get());
  curl_easy_setopt(c, CURLOPT_READFUNCTION, &read_message);
  curl_easy_setopt(c, CURLOPT_READDATA, &upload);
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(text.size()));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, ms);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, ms);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, &check_deadline);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &upload);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  const CURLcode rc = curl_easy_perform(c);
  if (rc == CURLE_OK) return;
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  const std::string why = code > 0
                              ? fmt::format("{} (server reply {})", curl_easy_strerror(rc), code)
                              : curl_easy_strerror(rc);
  switch (rc) {
    case CURLE_USE_SSL_FAILED:
      throw DeliveryError(
          "email hook: the server does not offer STARTTLS, and nothing is sent in clear text; "
          "use a server that does, smtps://, or set starttls: false for a trusted local relay",
          true);
    case CURLE_LOGIN_DENIED:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_PEER_FAILED_VERIFICATION:
      throw DeliveryError(fmt::format("email hook: {}; check the configuration", why), true);
    default:
      // SMTP 5xx replies are final (mailbox unknown, message refused); 4xx and network
      // failures are worth another try.
      throw DeliveryError(fmt::format("email hook: {}", why), code >= 500 && code < 600);
  }
}

}  // namespace baselinr::hooks
