// The accept path's claims: a listener bound with `nodelay` hands out sockets that already have
// TCP_NODELAY (Linux copies it from the listening socket, so sessions skip a setsockopt), the
// Acceptor passes the peer address accept4() returned (so sessions skip a getpeername), and one
// readiness callback accepts at most what the owner allows per turn (1 on TLS listeners).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <cstring>
#include <string>
#include <vector>

#include "proxy/io/acceptor.h"
#include "proxy/io/listen_socket.h"

namespace faultline::proxy {
namespace {

spdlog::logger& test_log() {
  return *spdlog::default_logger();
}

struct RecordingOwner final : Acceptor::Owner {
  bool reserve_slot() override { return true; }
  void release_slot() override {}
  void accepted(int fd, const sockaddr_storage& from) override {
    accepted_fd = fd;
    peer = from;
    uv_stop(loop);
  }
  uv_loop_t* loop = nullptr;
  int accepted_fd = -1;
  sockaddr_storage peer{};
};

uint16_t port_of(int fd) {
  sockaddr_in sin{};
  socklen_t len = sizeof sin;
  EXPECT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&sin), &len), 0);
  return ntohs(sin.sin_port);
}

int connect_to(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port);
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin), 0) << strerror(errno);
  return fd;
}

int nodelay_of(int fd) {
  int value = -1;
  socklen_t len = sizeof value;
  EXPECT_EQ(getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &value, &len), 0);
  return value;
}

// Accepts one connection through an Acceptor on a listener bound with `nodelay`; returns the
// accepted socket's TCP_NODELAY and checks the peer address against the client's own.
int accept_one(bool nodelay) {
  auto fds = bind_exclusive(config::HostPort{"127.0.0.1", 0}, 1, nodelay);
  EXPECT_TRUE(fds.ok());
  uv_loop_t loop;
  uv_loop_init(&loop);
  RecordingOwner owner;
  owner.loop = &loop;
  Acceptor acceptor(owner, test_log, "test");
  EXPECT_EQ(acceptor.start(&loop, fds->front()), 0);
  int client = connect_to(port_of(fds->front()));
  uv_run(&loop, UV_RUN_DEFAULT);
  EXPECT_GE(owner.accepted_fd, 0);

  sockaddr_in mine{};
  socklen_t len = sizeof mine;
  EXPECT_EQ(getsockname(client, reinterpret_cast<sockaddr*>(&mine), &len), 0);
  const auto& seen = reinterpret_cast<const sockaddr_in&>(owner.peer);
  EXPECT_EQ(seen.sin_family, AF_INET);
  EXPECT_EQ(seen.sin_addr.s_addr, mine.sin_addr.s_addr);
  EXPECT_EQ(seen.sin_port, mine.sin_port) << "the peer address is the client's";

  int value = nodelay_of(owner.accepted_fd);
  ::close(owner.accepted_fd);
  ::close(client);
  acceptor.close();
  uv_run(&loop, UV_RUN_DEFAULT);
  EXPECT_EQ(uv_loop_close(&loop), 0);
  return value;
}

TEST(Acceptor, NodelayListenerHandsOutNodelaySocketsWithTheirPeerAddress) {
  EXPECT_EQ(accept_one(/*nodelay=*/true), 1);
}

TEST(Acceptor, PlainListenerLeavesNagleOn) {
  EXPECT_EQ(accept_one(/*nodelay=*/false), 0);
}

// Counts accepted connections; accepts_per_turn() as set.
struct CountingOwner final : Acceptor::Owner {
  bool reserve_slot() override { return true; }
  void release_slot() override {}
  void accepted(int fd, const sockaddr_storage&) override { fds.push_back(fd); }
  int accepts_per_turn() const override { return per_turn; }
  int per_turn = Acceptor::kBatch;
  std::vector<int> fds;
};

// With `clients` connections waiting in the backlog, how many each of the first loop iterations
// accepts, for an owner allowing `per_turn`.
std::vector<size_t> accepted_per_iteration(int per_turn, int clients, int iterations) {
  auto fds = bind_exclusive(config::HostPort{"127.0.0.1", 0}, 1, true);
  EXPECT_TRUE(fds.ok());
  uv_loop_t loop;
  uv_loop_init(&loop);
  CountingOwner owner;
  owner.per_turn = per_turn;
  Acceptor acceptor(owner, test_log, "test");
  EXPECT_EQ(acceptor.start(&loop, fds->front()), 0);
  std::vector<int> conns;
  // connect() returns once the kernel completed the handshake: all are queued before the loop
  // runs.
  for (int i = 0; i < clients; ++i) conns.push_back(connect_to(port_of(fds->front())));
  std::vector<size_t> seen;
  for (int i = 0; i < iterations; ++i) {
    uv_run(&loop, UV_RUN_NOWAIT);  // one iteration: the socket is readable, no waiting
    seen.push_back(owner.fds.size());
  }
  for (int fd : owner.fds) ::close(fd);
  for (int fd : conns) ::close(fd);
  acceptor.close();
  uv_run(&loop, UV_RUN_DEFAULT);
  EXPECT_EQ(uv_loop_close(&loop), 0);
  return seen;
}

TEST(Acceptor, TakesAtMostTheOwnersTurnPerIteration) {
  // One per turn (a TLS listener): the others stay in the backlog for the next iterations.
  EXPECT_EQ(accepted_per_iteration(1, 3, 3), (std::vector<size_t>{1, 2, 3}));
  // The default batch takes all three at once; a turn larger than kBatch is capped.
  EXPECT_EQ(accepted_per_iteration(Acceptor::kBatch, 3, 1), (std::vector<size_t>{3}));
  EXPECT_EQ(accepted_per_iteration(1000, Acceptor::kBatch + 4, 2),
            (std::vector<size_t>{Acceptor::kBatch, Acceptor::kBatch + 4}));
}

}  // namespace
}  // namespace faultline::proxy
