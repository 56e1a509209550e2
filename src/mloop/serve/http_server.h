// The HTTP/1.1 transport of `mloop serve`: Boost.Beast on one shared Asio io_context run by N
// threads (chosen by measurement: bench/RESULTS.md, "HTTP library for serving"). Keep-alive
// connections, a read deadline per request (slow clients are cut off), a body limit (413),
// `Expect: 100-continue`, and a graceful drain: on SIGTERM/SIGINT or Shutdown() it stops
// accepting, answers health checks with 503, lets requests in flight finish (up to the drain
// time), closes idle connections and returns from Run().
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "mloop/serve/handler.h"

namespace mloop {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port (see HttpServer::port)
  int threads = 1;
  int64_t max_body_bytes = int64_t{6} << 20;
  int timeout_seconds = 60;
  int drain_seconds = 30;
  bool handle_signals = true;                   // SIGTERM and SIGINT start the drain
  std::function<void(const std::string&)> log;  // one line per event (start, drain); may be empty
};

class HttpServer {
 public:
  // Binds the listening socket: Unavailable when the address is taken or cannot be bound.
  HttpServer(HttpServerOptions options, Handler& handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const;
  // Serves on options.threads threads (the caller's among them) until the drain completes.
  void Run();
  // Starts the drain. Thread-safe; any thread, any time.
  void Shutdown();

  struct Impl;  // Asio and Beast stay out of this header (http_server.cpp)

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace mloop
