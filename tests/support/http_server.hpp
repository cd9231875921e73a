// A tiny HTTP/1.1 server on 127.0.0.1 for hook tests: records every request with the time the
// server received it, and answers as scripted: a list of responses used in order (status, extra
// headers such as Retry-After, a delay, or no answer at all), then the default status. Each
// connection is served on its own thread, so a request that is never answered does not hold up
// the next one.
#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace baselinr::testing {

struct HttpRequest {
  std::string method;
  std::string path;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::chrono::system_clock::time_point received;  // by the server's clock
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  // e.g. {"Retry-After", "2"}
  std::string body;
  bool hang = false;  // accept the request and never answer
  int delay_ms = 0;   // answer after this long
};

class HttpServer {
 public:
  // Listens on `port` (0: any free port).
  explicit HttpServer(int port = 0);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const { return port_; }
  std::string url(const std::string& path = "/hook") const;
  // The answer when no scripted response is left.
  void set_status(int status) { status_ = status; }
  void set_hang(bool hang) { hang_ = hang; }
  void set_delay_ms(int ms) { delay_ms_ = ms; }
  // Responses for the next requests, in order.
  void script(std::vector<HttpResponse> responses);
  std::vector<HttpRequest> requests() const;
  // The webhook-id header of every request, in arrival order.
  std::vector<std::string> webhook_ids() const;

 private:
  void serve();
  void handle(int fd);

  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<int> status_{200};
  std::atomic<bool> hang_{false};
  std::atomic<int> delay_ms_{0};
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::deque<HttpResponse> script_;
  std::vector<HttpRequest> requests_;
  std::vector<std::thread> connections_;
  std::thread thread_;
};

}  // namespace baselinr::testing
