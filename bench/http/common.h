// Command line and listening socket shared by the servers in bench/http/.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

namespace bench {

struct Options {
  int port = 8080;
  int threads = 2;
  std::string mode;  // server-specific variant, e.g. beast's "shared" or "per-thread"
};

inline Options parse_options(int argc, char** argv, const char* default_mode) {
  Options o;
  o.mode = default_mode;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", argv[i]);
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--port") {
      o.port = std::atoi(value());
    } else if (a == "--threads") {
      o.threads = std::atoi(value());
    } else if (a == "--mode") {
      o.mode = value();
    } else {
      std::fprintf(stderr, "usage: %s [--port P] [--threads N] [--mode M]\n", argv[0]);
      std::exit(2);
    }
  }
  if (o.threads < 1) o.threads = 1;
  return o;
}

// A non-blocking TCP socket listening on 127.0.0.1:port. With reuseport, several such sockets
// (one per event loop) share the port and the kernel spreads new connections over them.
inline int listen_socket(int port, bool reuseport) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    std::perror("socket");
    std::exit(1);
  }
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (reuseport) ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 4096) != 0) {
    std::perror("bind/listen");
    std::exit(1);
  }
  return fd;
}

}  // namespace bench
