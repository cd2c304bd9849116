#include "proxy/io/listen_socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>
#include <uv.h>

#include <cerrno>
#include <cstring>

namespace faultline::proxy {

Result<sockaddr_storage> resolve(const config::HostPort& hp, bool passive) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
  addrinfo* res = nullptr;
  std::string port = std::to_string(hp.port);
  std::string host = hp.host;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &res);
  if (rc != 0 || !res)
    return Result<sockaddr_storage>::failure(std::string("cannot resolve ") + hp.to_string() +
                                             ": " + gai_strerror(rc));
  sockaddr_storage out{};
  std::memcpy(&out, res->ai_addr, res->ai_addrlen);
  freeaddrinfo(res);
  return out;
}

static socklen_t addr_len(const sockaddr_storage& ss) {
  return ss.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
}

Result<std::vector<int>> bind_exclusive(const config::HostPort& hp, unsigned count, bool nodelay) {
  auto addr = resolve(hp, true);
  if (!addr) return Result<std::vector<int>>::failure(addr.error());
  sockaddr_storage ss = *addr;
  std::vector<int> fds;
  auto fail = [&](const char* what) {
    std::string msg =
        std::string("cannot ") + what + " " + hp.to_string() + ": " + uv_strerror(-errno);
    for (int fd : fds) ::close(fd);
    return Result<std::vector<int>>::failure(msg);
  };
  int fd = ::socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail("create socket for");
  fds.push_back(fd);
  // SO_REUSEADDR only lets us bind over connections in TIME_WAIT after a restart; it never
  // lets a second socket listen on the port. Deliberately no SO_REUSEPORT (see the header).
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (nodelay && setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)
    return fail("set TCP_NODELAY on");
  if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), addr_len(ss)) != 0) return fail("bind");
  if (::listen(fd, SOMAXCONN) != 0) return fail("listen on");
  for (unsigned i = 1; i < count; ++i) {
    int dup = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (dup < 0) return fail("duplicate the socket of");
    fds.push_back(dup);
  }
  return fds;
}

std::string format_address(const sockaddr* sa) {
  char host[INET6_ADDRSTRLEN] = {};
  if (sa->sa_family == AF_INET) {
    auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    in_addr a = in->sin_addr;
    if (a.s_addr == htonl(INADDR_ANY)) a.s_addr = htonl(INADDR_LOOPBACK);
    inet_ntop(AF_INET, &a, host, sizeof host);
    return std::string(host) + ":" + std::to_string(ntohs(in->sin_port));
  }
  auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
  in6_addr a = in6->sin6_addr;
  if (IN6_IS_ADDR_UNSPECIFIED(&a)) a = in6addr_loopback;
  inet_ntop(AF_INET6, &a, host, sizeof host);
  return "[" + std::string(host) + "]:" + std::to_string(ntohs(in6->sin6_port));
}

std::string bound_address(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return "?";
  return format_address(reinterpret_cast<sockaddr*>(&ss));
}

}  // namespace faultline::proxy
