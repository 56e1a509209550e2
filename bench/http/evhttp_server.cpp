// libevent evhttp server for the HTTP library benchmark (see bench/http_servers.sh).
//
//   evhttp_server [--port P] [--threads N] [--mode reuseport|shared]
//
// N threads, each with its own event_base and evhttp. reuseport: each has its own SO_REUSEPORT
// listening socket (the kernel spreads connections); shared: all accept from one socket.
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include <csignal>
#include <thread>
#include <vector>

#include "common.h"
#include "fake_model.h"

namespace {

void on_invocations(evhttp_request* req, void*) {
  if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
    evhttp_send_error(req, 405, nullptr);
    return;
  }
  evbuffer* in = evhttp_request_get_input_buffer(req);
  const std::size_t len = evbuffer_get_length(in);
  const char* data = reinterpret_cast<const char*>(evbuffer_pullup(in, -1));
  char out[64];
  std::size_t n = 0;
  const int status = fake::invocations(std::string_view(data ? data : "", len), out, n);
  evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "text/csv");
  evbuffer_add(evhttp_request_get_output_buffer(req), out, n);
  evhttp_send_reply(req, status, status == 200 ? "OK" : "Bad Request", nullptr);
}

void on_ping(evhttp_request* req, void*) {
  evhttp_send_reply(req, 200, "OK", nullptr);
}

void run_loop(int fd) {
  event_base* base = event_base_new();
  evhttp* http = evhttp_new(base);
  evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD);
  evhttp_set_cb(http, "/invocations", on_invocations, nullptr);
  evhttp_set_cb(http, "/ping", on_ping, nullptr);
  if (evhttp_accept_socket(http, fd) != 0) {
    std::fprintf(stderr, "evhttp_accept_socket failed\n");
    std::exit(1);
  }
  event_base_dispatch(base);
  evhttp_free(http);
  event_base_free(base);
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  const bench::Options opt = bench::parse_options(argc, argv, "reuseport");
  if (opt.mode != "reuseport" && opt.mode != "shared") {
    std::fprintf(stderr, "evhttp_server: unknown --mode %s (reuseport or shared)\n",
                 opt.mode.c_str());
    return 2;
  }
  fake::model();
  const bool reuseport = opt.mode == "reuseport";
  const int shared_fd = reuseport ? -1 : bench::listen_socket(opt.port, false);
  std::vector<int> fds;
  for (int i = 0; i < opt.threads; ++i)
    fds.push_back(reuseport ? bench::listen_socket(opt.port, true) : shared_fd);
  std::vector<std::thread> threads;
  for (int i = 1; i < opt.threads; ++i) threads.emplace_back(run_loop, fds[i]);
  std::fprintf(stderr, "evhttp_server: port %d, %d event loops (%s)\n", opt.port, opt.threads,
               opt.mode.c_str());
  run_loop(fds[0]);
  for (auto& t : threads) t.join();
  return 0;
}
