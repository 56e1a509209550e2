#include "mloop/serve/http_server.h"

#include <sys/socket.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <csignal>
#include <ctime>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "mloop/core/error.h"
#include "mloop/version.h"

namespace mloop {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

// The Date header every response carries (RFC 9110 6.6.1), "Fri, 27 Nov 2026 16:45:01 GMT":
// formatted once a second per thread.
const std::string& HttpDate() {
  thread_local time_t formatted_at = -1;
  thread_local std::string text;
  const time_t now = std::time(nullptr);
  if (now != formatted_at) {
    struct tm utc;
    gmtime_r(&now, &utc);
    char buf[64];
    text.assign(buf, std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &utc));
    formatted_at = now;
  }
  return text;
}

// A request target in absolute form ("http://host:8080/ping", which RFC 9112 3.2.2 asks
// servers to accept, as proxies send it) as its path and query ("/ping").
std::string_view OriginForm(std::string_view target) {
  for (std::string_view scheme : {"http://", "https://"}) {
    if (target.size() > scheme.size() && target.substr(0, scheme.size()) == scheme) {
      const size_t slash = target.find('/', scheme.size());
      return slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
    }
  }
  return target;
}

class Session;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string_view View(beast::string_view s) {
  return {s.data(), s.size()};
}

}  // namespace

struct HttpServer::Impl {
  HttpServerOptions options;
  Handler& handler;
  asio::io_context ioc;
  tcp::acceptor acceptor;
  asio::signal_set signals;
  asio::steady_timer drain_timer;
  asio::steady_timer sweeper;  // once a second: connections past their read or write deadline
  std::atomic<bool> draining{false};
  std::mutex sessions_mu;
  std::set<std::shared_ptr<Session>> sessions;  // live connections, for the drain

  Impl(HttpServerOptions o, Handler& h)
      : options(std::move(o)),
        handler(h),
        ioc(std::max(1, options.threads)),
        acceptor(asio::make_strand(ioc)),
        signals(ioc),
        drain_timer(ioc),
        sweeper(ioc) {}

  void Accept();
  void Sweep();
  void StartDrain();
  void Remove(const std::shared_ptr<Session>& s) {
    std::lock_guard lock(sessions_mu);
    sessions.erase(s);
  }
  void Log(const std::string& line) const {
    if (options.log) options.log(line);
  }
};

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, HttpServer::Impl& server)
      : stream_(std::move(socket)), server_(server), fd_(stream_.native_handle()) {}

  void Start() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] { self->ReadHeader(); });
  }

  // Drain (any thread): a busy connection closes after its response, an idle one (no byte of a
  // next request read) within a second or two.
  // A connection that looks idle may have part of a request header in the kernel's buffer, not
  // yet read: it gets a second to finish it (the sweeper then ends it) rather than being cut now.
  // (Sequentially consistent with ArmDeadline: see there.)
  void Drain() {
    closing_.store(true);
    if (idle_.load()) deadline_ms_.store(NowMs() + 1000);
  }

  // The sweeper (any thread): ends a connection whose read or write is past its deadline.
  void CheckDeadline(int64_t now_ms) {
    const int64_t d = deadline_ms_.load(std::memory_order_relaxed);
    if (d > 0 && now_ms > d) Interrupt();
  }

 private:
  void ReadHeader() {
    if (closing_) return Close();
    parser_.emplace();
    parser_->body_limit(static_cast<uint64_t>(server_.options.max_body_bytes));
    parser_->header_limit(64 * 1024);
    idle_.store(buffer_.size() == 0);
    if (closing_.load() && idle_.load()) return Close();
    ArmDeadline();
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->OnHeader(ec); });
  }

  void OnHeader(beast::error_code ec) {
    idle_.store(false);
    if (ec) return OnReadError(ec);
    const auto& req = parser_->get();
    // RFC 9112 3.2: an HTTP/1.1 request without Host is answered 400.
    if (req.version() == 11 && req.find(http::field::host) == req.end()) {
      return Respond(400, ErrorJson("malformed HTTP request: HTTP/1.1 requires a Host header"),
                     true);
    }
    if (req.target().size() > kMaxTargetBytes) {
      return Respond(414, ErrorJson(TargetTooLong()), true);
    }
    if (parser_->is_done()) return Process();
    if (beast::iequals(req[http::field::expect], "100-continue")) {
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_,
                                                                     req.version());
      http::async_write(stream_, *cont,
                        [self = shared_from_this(), cont](beast::error_code ec, std::size_t) {
                          if (ec) return self->Close();
                          self->ReadBody();
                        });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       if (ec) return self->OnReadError(ec);
                       self->deadline_ms_.store(0, std::memory_order_relaxed);
                       self->Process();
                     });
  }

  void OnReadError(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      return Respond(413,
                     ErrorJson("the request body is larger than the limit of " +
                               std::to_string(server_.options.max_body_bytes) + " bytes"),
                     /*close=*/true);
    }
    if (ec == http::error::bad_version && WellFormedVersion()) {
      // "HTTP/2.0", "HTTP/1.2": a version, just not one served here (RFC 9110, 15.6.6).
      return Respond(505, ErrorJson("HTTP version not supported: mloop serves HTTP/1.0 and 1.1"),
                     true);
    }
    if (ec == http::error::header_limit) {
      // The request line not even parsed within the limit is a long URL (RFC 9110 15.5.15:
      // 414); else the header fields are too large (RFC 6585 5: 431).
      if (parser_->get().target().empty()) return Respond(414, ErrorJson(TargetTooLong()), true);
      return Respond(431, ErrorJson("the request's header fields are larger than 64 KiB"), true);
    }
    if (ec == http::error::bad_target || ec == http::error::bad_method ||
        ec == http::error::bad_version || ec == http::error::bad_field ||
        ec == http::error::bad_value || ec == http::error::bad_content_length ||
        ec == http::error::bad_chunk || ec == http::error::bad_line_ending ||
        ec == http::error::bad_obs_fold || ec == http::error::bad_transfer_encoding) {
      return Respond(400, ErrorJson(std::string("malformed HTTP request: ") + ec.message()), true);
    }
    Close();  // end of stream, timeout, drain, reset
  }

  static constexpr size_t kMaxTargetBytes = 8192;
  static std::string TargetTooLong() {
    return "the request target (URL) is longer than " + std::to_string(kMaxTargetBytes) + " bytes";
  }

  // Whether the unparsed request line ends in HTTP/<digit>.<digit>, as a valid version does.
  bool WellFormedVersion() const {
    const auto data = buffer_.data();
    std::string_view text(static_cast<const char*>(data.data()), data.size());
    const size_t eol = text.find("\r\n");
    if (eol == std::string_view::npos || eol < 9) return false;
    const std::string_view v = text.substr(eol - 8, 8);
    return v.substr(0, 5) == "HTTP/" && std::isdigit(static_cast<unsigned char>(v[5])) &&
           v[6] == '.' && std::isdigit(static_cast<unsigned char>(v[7])) && text[eol - 9] == ' ';
  }

  void Respond(int status, std::string body, bool close) {
    server_.handler.CountTransportAnswer(status);
    res_ = {};
    res_.version(11);
    res_.result(static_cast<unsigned>(status));
    res_.set(http::field::server, "mloop");
    res_.set(http::field::date, HttpDate());
    res_.set(http::field::content_type, "application/json");
    res_.body() = std::move(body);
    res_.keep_alive(false);
    res_.prepare_payload();
    Write(close);
  }

  // The first header that must appear once and appears more often, or null.
  static const char* RepeatedHeader(const http::request<http::string_body>& req) {
    static const char* const kOnce[] = {"Authorization",
                                        "Content-Type",
                                        "X-Amzn-SageMaker-Target-Model",
                                        "X-Amzn-SageMaker-Target-Variant",
                                        "X-Amzn-SageMaker-Custom-Attributes",
                                        "X-Amzn-SageMaker-Inference-Id"};
    for (const char* name : kOnce) {
      if (req.count(name) > 1) return name;
    }
    return nullptr;
  }

  void Process() {
    deadline_ms_.store(0, std::memory_order_relaxed);
    const auto& req = parser_->get();
    HttpRequest in;
    in.method = View(req.method_string());
    in.target = OriginForm(View(req.target()));
    in.body = req.body();
    in.content_type = View(req[http::field::content_type]);
    // Accept is a list (RFC 9110 12.5.1): several lines are one list, joined.
    std::string accept_lines;
    in.accept = View(req[http::field::accept]);
    if (req.count(http::field::accept) > 1) {
      for (auto it = req.find(http::field::accept);
           it != req.end() && it->name() == http::field::accept; ++it) {
        accept_lines += (accept_lines.empty() ? "" : ", ") + std::string(View(it->value()));
      }
      in.accept = accept_lines;
    }
    in.authorization = View(req[http::field::authorization]);
    in.target_model = View(req["X-Amzn-SageMaker-Target-Model"]);
    in.target_variant = View(req["X-Amzn-SageMaker-Target-Variant"]);
    in.custom_attributes = View(req["X-Amzn-SageMaker-Custom-Attributes"]);
    in.inference_id = View(req["X-Amzn-SageMaker-Inference-Id"]);
    HttpResponse out;
    bool handled = false;
    try {
      // A compressed body is not read as if it were plain text (RFC 9110 8.4: 415 for a content
      // coding the server does not take; RFC 9112 6.1: 501 for a transfer coding other than
      // chunked).
      const beast::string_view coding = req[http::field::content_encoding];
      const beast::string_view transfer = req[http::field::transfer_encoding];
      if (!coding.empty() && !beast::iequals(coding, "identity")) {
        out.status = 415;
        out.body = ErrorJson("Content-Encoding '" + std::string(coding) +
                             "' is not supported: send the body uncompressed");
        out.headers.emplace_back("Accept-Encoding", "identity");
      } else if (!transfer.empty() && !beast::iequals(transfer, "chunked")) {
        out.status = 501;
        out.body = ErrorJson("Transfer-Encoding '" + std::string(transfer) +
                             "' is not supported: only chunked");
      } else if (const char* twice = RepeatedHeader(req)) {
        // One credential, one route, one body format per request (no list fields, RFC 9110
        // 5.3): which of two would be meant? A proxy appending its own would misroute.
        out.status = 400;
        out.body =
            ErrorJson(std::string("the ") + twice + " header is given more than once: send one");
      } else {
        server_.handler.Handle(in, &out);
        handled = true;
      }
    } catch (const std::exception& e) {
      out = {};
      out.status = 500;
      out.body = ErrorJson(std::string("internal error: ") + e.what());
    }
    if (!handled) server_.handler.CountTransportAnswer(out.status);
    const bool close = !req.keep_alive() || closing_.load() || server_.draining.load();
    res_ = {};
    res_.version(req.version());
    res_.result(static_cast<unsigned>(out.status));
    res_.set(http::field::server, "mloop");
    res_.set(http::field::date, HttpDate());
    res_.set(http::field::content_type, out.content_type);
    for (auto& [name, value] : out.headers) res_.set(name, value);
    if (req.method() != http::verb::head) res_.body() = std::move(out.body);
    res_.keep_alive(!close);
    res_.prepare_payload();
    if (req.method() == http::verb::head) res_.content_length(out.body.size());
    Write(close);
  }

  void Write(bool close) {
    ArmDeadline();
    http::async_write(stream_, res_,
                      [self = shared_from_this(), close](beast::error_code ec, std::size_t) {
                        if (ec || close) return self->Close();
                        self->ReadHeader();
                      });
  }

  void Close() {
    {
      std::lock_guard lock(fd_mu_);
      if (closed_) return;
      closed_ = true;
      beast::error_code ec;
      stream_.shutdown(tcp::socket::shutdown_send, ec);
      stream_.close(ec);
    }
    server_.Remove(shared_from_this());
  }

  // Wakes the pending read or write with an error, from any thread: shutdown(2) on the
  // descriptor (the socket object itself belongs to the handler running the session).
  void Interrupt() {
    std::lock_guard lock(fd_mu_);
    if (!closed_) ::shutdown(fd_, SHUT_RDWR);
  }

  // Draining, a read gets a second at most (see Drain). `closing_` is checked after the store:
  // a drain that began meanwhile may have set its deadline just before this store replaced it
  // with the long one, which then held an idle keep-alive connection (and the server's exit)
  // for the whole timeout. Either this load sees the drain, or the drain's store comes later.
  void ArmDeadline() {
    const int64_t now = NowMs();
    const int64_t deadline = now + int64_t{1000} * server_.options.timeout_seconds;
    deadline_ms_.store(deadline);
    if (closing_.load()) deadline_ms_.store(std::min(deadline, now + 1000));
  }

  // No timer per read or write (they cost as much as the rest of a small request): a deadline
  // the server's sweeper checks once a second.
  tcp::socket stream_;
  HttpServer::Impl& server_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> res_;
  const int fd_;
  std::mutex fd_mu_;  // guards closing the descriptor against Interrupt
  bool closed_ = false;
  std::atomic<bool> idle_{true};
  std::atomic<bool> closing_{false};
  std::atomic<int64_t> deadline_ms_{0};
};

}  // namespace

void HttpServer::Impl::Accept() {
  // Sessions run on the io_context's executor, no strand: a connection has one operation
  // pending at a time, so its handlers never run concurrently.
  acceptor.async_accept(ioc.get_executor(), [this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
    if (!ec) {
      socket.set_option(tcp::no_delay(true), ec);
      auto session = std::make_shared<Session>(std::move(socket), *this);
      {
        std::lock_guard lock(sessions_mu);
        sessions.insert(session);
      }
      session->Start();
    }
    Accept();
  });
}

void HttpServer::Impl::Sweep() {
  sweeper.expires_after(std::chrono::seconds(1));
  sweeper.async_wait([this](beast::error_code ec) {
    if (ec) return;
    const int64_t now = NowMs();
    {
      std::lock_guard lock(sessions_mu);
      for (const auto& s : sessions) s->CheckDeadline(now);
    }
    Sweep();
  });
}

void HttpServer::Impl::StartDrain() {
  if (draining.exchange(true)) return;
  Log("draining: no new connections; requests in flight finish (up to " +
      std::to_string(options.drain_seconds) + " s)");
  handler.SetDraining(true);
  asio::post(acceptor.get_executor(), [this] {
    beast::error_code ec;
    acceptor.close(ec);
  });
  signals.cancel();
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard lock(sessions_mu);
    live.assign(sessions.begin(), sessions.end());
  }
  for (auto& s : live) s->Drain();
  drain_timer.expires_after(std::chrono::seconds(options.drain_seconds));
  drain_timer.async_wait([this](beast::error_code ec) {
    if (ec) return;
    Log("drain time is over: closing the remaining connections");
    ioc.stop();
  });
  // Connections still open when the drain time is over are cut by the ioc.stop() above.
  // When the last connection closes, nothing but the timer is left: cancel it.
  auto poll = std::make_shared<asio::steady_timer>(ioc);
  auto check = std::make_shared<std::function<void()>>();
  *check = [this, poll, check] {
    bool empty;
    {
      std::lock_guard lock(sessions_mu);
      empty = sessions.empty();
    }
    if (empty) {
      drain_timer.cancel();
      sweeper.cancel();
      return;
    }
    poll->expires_after(std::chrono::milliseconds(20));
    poll->async_wait([check](beast::error_code ec) {
      if (!ec) (*check)();
    });
  };
  asio::post(ioc, [check] { (*check)(); });
}

HttpServer::HttpServer(HttpServerOptions options, Handler& handler)
    : impl_(std::make_unique<Impl>(std::move(options), handler)) {
  Impl& m = *impl_;
  beast::error_code ec;
  const auto address = asio::ip::make_address(
      m.options.host == "localhost" ? std::string("127.0.0.1") : m.options.host, ec);
  if (ec) {
    throw InvalidArgument("cannot listen on '" + m.options.host + "': not an IP address (" +
                          ec.message() + ")");
  }
  const tcp::endpoint endpoint(address, static_cast<unsigned short>(m.options.port));
  m.acceptor.open(endpoint.protocol(), ec);
  if (!ec) m.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) m.acceptor.bind(endpoint, ec);
  if (!ec) m.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    throw Error(ErrorCode::kUnavailable,
                "cannot listen on " + m.options.host + ":" + std::to_string(m.options.port) + ": " +
                    ec.message(),
                ec == asio::error::address_in_use ? "another server uses the port: pick one "
                                                    "with --port"
                                                  : "");
  }
}

HttpServer::~HttpServer() = default;

int HttpServer::port() const {
  return impl_->acceptor.local_endpoint().port();
}

void HttpServer::Run() {
  Impl& m = *impl_;
  std::signal(SIGPIPE, SIG_IGN);
  if (m.options.handle_signals) {
    m.signals.add(SIGTERM);
    m.signals.add(SIGINT);
    m.signals.async_wait([&m](beast::error_code ec, int signal) {
      if (ec) return;
      m.Log(std::string("received ") + (signal == SIGTERM ? "SIGTERM" : "SIGINT"));
      m.StartDrain();
    });
  }
  m.Accept();
  m.Sweep();
  std::vector<std::thread> threads;
  for (int i = 1; i < m.options.threads; ++i) threads.emplace_back([&m] { m.ioc.run(); });
  m.ioc.run();
  for (auto& t : threads) t.join();
}

void HttpServer::Shutdown() {
  asio::post(impl_->ioc, [this] { impl_->StartDrain(); });
}

}  // namespace mloop
