#include "support/http_server.hpp"

#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/text.hpp"
#include "support/sockets.hpp"

namespace baselinr::testing {

HttpServer::HttpServer(int port) {
  listen_fd_ = listen_loopback(port, port_);
  thread_ = std::thread([this] { serve(); });
}

HttpServer::~HttpServer() {
  stop_ = true;
  thread_.join();
  std::vector<std::thread> connections;
  {
    std::lock_guard lock(mutex_);
    connections.swap(connections_);
  }
  for (auto& t : connections) t.join();
  close(listen_fd_);
}

std::string HttpServer::url(const std::string& path) const {
  return fmt::format("http://127.0.0.1:{}{}", port_, path);
}

void HttpServer::script(std::vector<HttpResponse> responses) {
  std::lock_guard lock(mutex_);
  for (auto& r : responses) script_.push_back(std::move(r));
}

std::vector<HttpRequest> HttpServer::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

std::vector<std::string> HttpServer::webhook_ids() const {
  std::vector<std::string> ids;
  for (const auto& r : requests()) {
    auto it = r.headers.find("webhook-id");
    ids.push_back(it == r.headers.end() ? std::string() : it->second);
  }
  return ids;
}

void HttpServer::serve() {
  while (!stop_) {
    int fd = accept_within_50ms(listen_fd_);
    if (fd < 0) continue;
    std::lock_guard lock(mutex_);
    connections_.emplace_back([this, fd] {
      handle(fd);
      close(fd);
    });
  }
}

void HttpServer::handle(int fd) {
  std::string data;
  char buf[8192];
  auto read_more = [&]() {
    for (int waited = 0; waited < 5000 && !stop_; waited += 50) {
      pollfd p{fd, POLLIN, 0};
      int ready = poll(&p, 1, 50);
      if (ready < 0) return false;
      if (ready == 0) continue;
      ssize_t n = read(fd, buf, sizeof buf);
      if (n <= 0) return false;
      data.append(buf, static_cast<std::size_t>(n));
      return true;
    }
    return false;
  };
  while (data.find("\r\n\r\n") == std::string::npos) {
    if (!read_more()) return;
  }
  HttpRequest req;
  const std::size_t head_end = data.find("\r\n\r\n");
  auto lines = split(data.substr(0, head_end), '\n');
  auto first = split(lines[0], ' ');
  req.method = first.size() > 0 ? first[0] : "";
  req.path = first.size() > 1 ? first[1] : "";
  std::size_t content_length = 0;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    std::string line = lines[i];
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = to_lower(line.substr(0, colon));
    std::string value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    req.headers[name] = value;
    if (name == "content-length") content_length = std::stoul(value);
  }
  while (data.size() < head_end + 4 + content_length) {
    if (!read_more()) break;
  }
  req.body = data.substr(head_end + 4, content_length);
  req.received = std::chrono::system_clock::now();
  HttpResponse response;
  {
    std::lock_guard lock(mutex_);
    requests_.push_back(req);
    if (!script_.empty()) {
      response = std::move(script_.front());
      script_.pop_front();
    } else {
      response.status = status_;
      response.hang = hang_;
      response.delay_ms = delay_ms_;
    }
  }
  auto wait = [&](std::chrono::steady_clock::time_point until) {
    // Holds the connection until then, the client leaving, or the server stopping.
    while (!stop_ && std::chrono::steady_clock::now() < until) {
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, 50) > 0 && read(fd, buf, sizeof buf) <= 0) return false;
    }
    return !stop_;
  };
  if (response.hang) {
    wait(std::chrono::steady_clock::now() + std::chrono::seconds(60));
    return;
  }
  if (response.delay_ms > 0 &&
      !wait(std::chrono::steady_clock::now() + std::chrono::milliseconds(response.delay_ms))) {
    return;
  }
  std::string body = response.body.empty()
                         ? (response.status >= 200 && response.status < 300 ? "ok" : "error")
                         : response.body;
  std::string extra;
  for (const auto& [k, v] : response.headers) extra += k + ": " + v + "\r\n";
  std::string resp = fmt::format(
      "HTTP/1.1 {} X\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n{}Connection: "
      "close\r\n\r\n{}",
      response.status, body.size(), extra, body);
  ssize_t ignored = send(fd, resp.data(), resp.size(), MSG_NOSIGNAL);
  (void)ignored;
}

}  // namespace baselinr::testing
