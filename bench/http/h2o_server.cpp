// libh2o-evloop server for the HTTP library benchmark (see bench/http_servers.sh).
//
//   h2o_server [--port P] [--threads N] [--mode reuseport|shared]
//
// N threads, each with its own h2o_evloop and h2o_context sharing one h2o_globalconf_t, the way
// the h2o server itself runs. reuseport: one SO_REUSEPORT listening socket per loop; shared: all
// loops accept from one socket.
#define H2O_USE_LIBUV 0  // Debian's libh2o-evloop.pc does not say so; without it h2o.h means libuv
#include <h2o.h>

#include <csignal>
#include <thread>
#include <vector>

#include "common.h"
#include "fake_model.h"

namespace {

h2o_globalconf_t g_config;

bool is(const h2o_iovec_t& v, std::string_view s) {
  return v.len == s.size() && std::memcmp(v.base, s.data(), s.size()) == 0;
}

int on_req(h2o_handler_t*, h2o_req_t* req) {
  if (is(req->path_normalized, "/invocations")) {
    if (!is(req->method, "POST")) {
      h2o_send_error_generic(req, 405, "Method Not Allowed", "method not allowed\n", 0);
      return 0;
    }
    char* out = static_cast<char*>(h2o_mem_alloc_pool(&req->pool, 64));
    std::size_t n = 0;
    const int status = fake::invocations(
        std::string_view(req->entity.base ? req->entity.base : "", req->entity.len), out, n);
    req->res.status = status;
    req->res.reason = status == 200 ? "OK" : "Bad Request";
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, nullptr,
                   H2O_STRLIT("text/csv"));
    req->res.content_length = n;  // else h2o sends it chunked
    h2o_send_inline(req, out, n);
    return 0;
  }
  if (is(req->path_normalized, "/ping")) {
    req->res.status = 200;
    req->res.reason = "OK";
    req->res.content_length = 0;
    h2o_send_inline(req, "", 0);
    return 0;
  }
  return -1;  // h2o answers 404
}

struct Loop {
  h2o_context_t ctx{};
  h2o_accept_ctx_t accept_ctx{};
};

void on_accept(h2o_socket_t* listener, const char* err) {
  if (err != nullptr) return;
  auto* loop = static_cast<Loop*>(listener->data);
  // accept everything that is pending (with a shared socket another loop may have taken it)
  for (int i = 0; i < 16; ++i) {
    h2o_socket_t* sock = h2o_evloop_socket_accept(listener);
    if (sock == nullptr) return;
    h2o_accept(&loop->accept_ctx, sock);
  }
}

void run_loop(int fd) {
  Loop loop;
  h2o_context_init(&loop.ctx, h2o_evloop_create(), &g_config);
  loop.accept_ctx.ctx = &loop.ctx;
  loop.accept_ctx.hosts = g_config.hosts;
  h2o_socket_t* listener = h2o_evloop_socket_create(loop.ctx.loop, fd, H2O_SOCKET_FLAG_DONT_READ);
  listener->data = &loop;
  h2o_socket_read_start(listener, on_accept);
  while (h2o_evloop_run(loop.ctx.loop, INT32_MAX) == 0) {
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  const bench::Options opt = bench::parse_options(argc, argv, "reuseport");
  if (opt.mode != "reuseport" && opt.mode != "shared") {
    std::fprintf(stderr, "h2o_server: unknown --mode %s (reuseport or shared)\n", opt.mode.c_str());
    return 2;
  }
  fake::model();
  h2o_config_init(&g_config);
  h2o_hostconf_t* host =
      h2o_config_register_host(&g_config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
  h2o_pathconf_t* path = h2o_config_register_path(host, "/", 0);
  h2o_create_handler(path, sizeof(h2o_handler_t))->on_req = on_req;

  const bool reuseport = opt.mode == "reuseport";
  const int shared_fd = reuseport ? -1 : bench::listen_socket(opt.port, false);
  std::vector<int> fds;
  for (int i = 0; i < opt.threads; ++i)
    fds.push_back(reuseport ? bench::listen_socket(opt.port, true) : shared_fd);
  std::vector<std::thread> threads;
  for (int i = 1; i < opt.threads; ++i) threads.emplace_back(run_loop, fds[i]);
  std::fprintf(stderr, "h2o_server: port %d, %d event loops (%s), h2o %s\n", opt.port, opt.threads,
               opt.mode.c_str(), H2O_VERSION);
  run_loop(fds[0]);
  for (auto& t : threads) t.join();
  return 0;
}
