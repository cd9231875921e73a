#include "support/smtp_server.hpp"

#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/text.hpp"
#include "support/sockets.hpp"

namespace baselinr::testing {

SmtpServer::SmtpServer() {
  listen_fd_ = listen_loopback(0, port_);
  thread_ = std::thread([this] { serve(); });
}

SmtpServer::~SmtpServer() {
  stop_ = true;
  thread_.join();
  close(listen_fd_);
}

std::string SmtpServer::url() const { return fmt::format("smtp://127.0.0.1:{}", port_); }

void SmtpServer::script_mail_replies(std::vector<std::string> replies) {
  std::lock_guard lock(mutex_);
  for (auto& r : replies) mail_replies_.push_back(std::move(r));
}

std::vector<SmtpMessage> SmtpServer::messages() const {
  std::lock_guard lock(mutex_);
  return messages_;
}

std::vector<std::string> SmtpServer::commands() const {
  std::lock_guard lock(mutex_);
  return commands_;
}

void SmtpServer::serve() {
  while (!stop_) {
    int fd = accept_within_50ms(listen_fd_);
    if (fd < 0) continue;
    session(fd);  // one client at a time is all the tests need
    close(fd);
  }
}

void SmtpServer::session(int fd) {
  std::string buffer;
  auto reply = [&](const std::string& line) {
    std::string out = line + "\r\n";
    ssize_t ignored = send(fd, out.data(), out.size(), MSG_NOSIGNAL);
    (void)ignored;
  };
  // The next line without its CRLF; false when the client left or the server stops.
  auto next_line = [&](std::string& line) {
    while (true) {
      auto pos = buffer.find("\r\n");
      if (pos != std::string::npos) {
        line = buffer.substr(0, pos);
        buffer.erase(0, pos + 2);
        return true;
      }
      pollfd p{fd, POLLIN, 0};
      int ready = poll(&p, 1, 50);
      if (stop_) return false;
      if (ready <= 0) continue;
      char chunk[4096];
      ssize_t n = read(fd, chunk, sizeof chunk);
      if (n <= 0) return false;
      buffer.append(chunk, static_cast<std::size_t>(n));
    }
  };
  reply("220 baselinr-test ESMTP");
  SmtpMessage current;
  std::string line;
  while (next_line(line)) {
    {
      std::lock_guard lock(mutex_);
      commands_.push_back(line);
    }
    const std::string verb = to_lower(line.substr(0, std::min<std::size_t>(line.size(), 4)));
    if (verb == "ehlo") {
      reply("250-baselinr-test");
      reply("250 8BITMIME");
    } else if (verb == "helo") {
      reply("250 baselinr-test");
    } else if (verb == "mail") {
      std::string answer = "250 OK";
      {
        std::lock_guard lock(mutex_);
        if (!mail_replies_.empty()) {
          answer = mail_replies_.front();
          mail_replies_.pop_front();
        }
      }
      current = {};
      auto lt = line.find('<'), gt = line.find('>');
      if (lt != std::string::npos && gt != std::string::npos) {
        current.from = line.substr(lt + 1, gt - lt - 1);
      }
      reply(answer);
    } else if (verb == "rcpt") {
      auto lt = line.find('<'), gt = line.find('>');
      if (lt != std::string::npos && gt != std::string::npos) {
        current.rcpt.push_back(line.substr(lt + 1, gt - lt - 1));
      }
      reply("250 OK");
    } else if (verb == "data") {
      reply("354 end with <CRLF>.<CRLF>");
      std::string data;
      std::string l;
      bool complete = false;
      while (next_line(l)) {
        if (l == ".") {
          complete = true;
          break;
        }
        if (!l.empty() && l[0] == '.') l.erase(0, 1);  // dot-unstuffing
        data += l + "\r\n";
      }
      if (!complete) return;
      current.data = std::move(data);
      {
        std::lock_guard lock(mutex_);
        messages_.push_back(current);
      }
      reply("250 OK queued");
    } else if (verb == "rset" || verb == "noop") {
      reply("250 OK");
    } else if (verb == "quit") {
      reply("221 bye");
      return;
    } else {
      reply("502 command not implemented");
    }
  }
}

}  // namespace baselinr::testing
