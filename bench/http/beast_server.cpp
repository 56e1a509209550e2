// Boost.Beast/Asio server for the HTTP library benchmark (see bench/http_servers.sh).
//
//   beast_server [--port P] [--threads N] [--mode shared|per-thread|pool]
//
// shared:     one io_context run by N threads, one acceptor.
// per-thread: N io_contexts, each run by one thread with its own SO_REUSEPORT acceptor (the
//             kernel spreads connections over them by a hash of the addresses).
// pool:       N io_contexts, each run by one thread; one acceptor hands connections round-robin.
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <csignal>
#include <memory>
#include <thread>
#include <vector>

#include "common.h"
#include "fake_model.h"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  explicit Session(tcp::socket socket) : socket_(std::move(socket)) {}

  void start() { read(); }
  tcp::socket::executor_type executor() { return socket_.get_executor(); }

 private:
  void read() {
    req_ = {};
    http::async_read(
        socket_, buffer_, req_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (ec) {
      socket_.shutdown(tcp::socket::shutdown_send, ec);
      return;
    }
    res_ = {};
    res_.version(req_.version());
    res_.keep_alive(req_.keep_alive());
    const beast::string_view target = req_.target();
    if (target == "/invocations") {
      if (req_.method() != http::verb::post) {
        res_.result(http::status::method_not_allowed);
      } else {
        char out[64];
        std::size_t n = 0;
        res_.result(fake::invocations(req_.body(), out, n));
        res_.set(http::field::content_type, "text/csv");
        res_.body().assign(out, n);
      }
    } else if (target == "/ping") {
      res_.result(http::status::ok);
    } else {
      res_.result(http::status::not_found);
    }
    res_.prepare_payload();
    http::async_write(socket_, res_,
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        if (ec) return;
                        if (!self->res_.keep_alive()) {
                          self->socket_.shutdown(tcp::socket::shutdown_send, ec);
                          return;
                        }
                        self->read();
                      });
  }

  tcp::socket socket_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> req_;
  http::response<http::string_body> res_;
};

void accept_loop(tcp::acceptor& acceptor) {
  acceptor.async_accept([&acceptor](beast::error_code ec, tcp::socket socket) {
    if (!ec) {
      socket.set_option(tcp::no_delay(true), ec);
      std::make_shared<Session>(std::move(socket))->start();
    }
    accept_loop(acceptor);
  });
}

// One acceptor hands the connections round-robin to the io_contexts of a pool.
void pool_accept_loop(tcp::acceptor& acceptor, std::vector<std::unique_ptr<asio::io_context>>& iocs,
                      std::size_t next) {
  acceptor.async_accept(iocs[next % iocs.size()]->get_executor(),
                        [&acceptor, &iocs, next](beast::error_code ec, tcp::socket socket) {
                          if (!ec) {
                            socket.set_option(tcp::no_delay(true), ec);
                            auto session = std::make_shared<Session>(std::move(socket));
                            // start the first read on the connection's own io_context
                            asio::post(session->executor(), [session] { session->start(); });
                          }
                          pool_accept_loop(acceptor, iocs, next + 1);
                        });
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  const bench::Options opt = bench::parse_options(argc, argv, "shared");
  fake::model();  // build the tables before the first request

  std::vector<std::thread> threads;
  if (opt.mode == "shared") {
    asio::io_context ioc(opt.threads);
    tcp::acceptor acceptor(ioc, tcp::v4(), bench::listen_socket(opt.port, false));
    accept_loop(acceptor);
    for (int i = 1; i < opt.threads; ++i) threads.emplace_back([&ioc] { ioc.run(); });
    std::fprintf(stderr, "beast_server: port %d, %d threads on one io_context\n", opt.port,
                 opt.threads);
    ioc.run();
    for (auto& t : threads) t.join();
  } else if (opt.mode == "per-thread") {
    std::vector<std::unique_ptr<asio::io_context>> iocs;
    std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
    for (int i = 0; i < opt.threads; ++i) {
      iocs.push_back(std::make_unique<asio::io_context>(1));
      acceptors.push_back(std::make_unique<tcp::acceptor>(*iocs.back(), tcp::v4(),
                                                          bench::listen_socket(opt.port, true)));
      accept_loop(*acceptors.back());
    }
    for (int i = 1; i < opt.threads; ++i) threads.emplace_back([&iocs, i] { iocs[i]->run(); });
    std::fprintf(stderr, "beast_server: port %d, %d threads with an io_context each\n", opt.port,
                 opt.threads);
    iocs[0]->run();
    for (auto& t : threads) t.join();
  } else if (opt.mode == "pool") {
    std::vector<std::unique_ptr<asio::io_context>> iocs;
    for (int i = 0; i < opt.threads; ++i) iocs.push_back(std::make_unique<asio::io_context>(1));
    tcp::acceptor acceptor(*iocs[0], tcp::v4(), bench::listen_socket(opt.port, false));
    pool_accept_loop(acceptor, iocs, 0);
    // an io_context with nothing to do returns from run(): keep the others' threads running
    std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
    for (auto& ioc : iocs) guards.push_back(asio::make_work_guard(*ioc));
    for (int i = 1; i < opt.threads; ++i) threads.emplace_back([&iocs, i] { iocs[i]->run(); });
    std::fprintf(stderr,
                 "beast_server: port %d, %d threads with an io_context each, one acceptor\n",
                 opt.port, opt.threads);
    iocs[0]->run();
    for (auto& t : threads) t.join();
  } else {
    std::fprintf(stderr, "beast_server: unknown --mode %s (shared, per-thread or pool)\n",
                 opt.mode.c_str());
    return 2;
  }
  return 0;
}
