#include "support/http_server.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>

#include "common/text.hpp"

namespace baselinr::testing {

HttpServer::HttpServer() {
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(listen_fd_, 16) != 0) {
    throw std::runtime_error("HttpServer: cannot listen");
  }
  socklen_t len = sizeof addr;
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { serve(); });
}

HttpServer::~HttpServer() {
  stop_ = true;
  thread_.join();
  close(listen_fd_);
}

std::string HttpServer::url(const std::string& path) const {
  return fmt::format("http://127.0.0.1:{}{}", port_, path);
}

std::vector<HttpRequest> HttpServer::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

void HttpServer::serve() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    handle(fd);
    close(fd);
  }
}

void HttpServer::handle(int fd) {
  std::string data;
  char buf[8192];
  auto read_more = [&]() {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 2000) <= 0) return false;
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) return false;
    data.append(buf, static_cast<std::size_t>(n));
    return true;
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
  {
    std::lock_guard lock(mutex_);
    requests_.push_back(req);
  }
  if (hang_) {
    // Never answer: hold the connection until the client gives up or the server stops.
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!stop_ && std::chrono::steady_clock::now() < until) {
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, 50) > 0 && read(fd, buf, sizeof buf) <= 0) break;
    }
    return;
  }
  std::string body = status_ >= 200 && status_ < 300 ? "ok" : "error";
  std::string resp = fmt::format(
      "HTTP/1.1 {} X\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: "
      "close\r\n\r\n{}",
      status_.load(), body.size(), body);
  ssize_t ignored = write(fd, resp.data(), resp.size());
  (void)ignored;
}

}  // namespace baselinr::testing
