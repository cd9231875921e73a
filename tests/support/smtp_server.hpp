// A tiny SMTP server on 127.0.0.1 for email hook tests: speaks enough of RFC 5321 for libcurl
// (EHLO/HELO, MAIL, RCPT, DATA with dot-unstuffing, RSET, NOOP, QUIT), offers no STARTTLS, and
// keeps every message it accepts. Replies to MAIL FROM can be scripted (e.g. 451 once).
#pragma once

#include <atomic>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace baselinr::testing {

struct SmtpMessage {
  std::string from;               // the MAIL FROM address
  std::vector<std::string> rcpt;  // RCPT TO addresses
  std::string data;               // the message as sent, dot-unstuffed, CRLF line ends
};

class SmtpServer {
 public:
  SmtpServer();
  ~SmtpServer();
  SmtpServer(const SmtpServer&) = delete;
  SmtpServer& operator=(const SmtpServer&) = delete;

  int port() const { return port_; }
  std::string url() const;  // smtp://127.0.0.1:PORT
  // Replies to the next MAIL FROM commands, in order ("451 try later"); then 250.
  void script_mail_replies(std::vector<std::string> replies);
  std::vector<SmtpMessage> messages() const;
  // Every command line received (for checking that nothing was sent).
  std::vector<std::string> commands() const;

 private:
  void serve();
  void session(int fd);

  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::deque<std::string> mail_replies_;
  std::vector<SmtpMessage> messages_;
  std::vector<std::string> commands_;
  std::thread thread_;
};

}  // namespace baselinr::testing
