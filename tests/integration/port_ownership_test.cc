// A port faultline listens on is faultline's alone (SPEC §7): a second faultline, or any
// socket with SO_REUSEPORT, cannot bind it and silently take a share of the connections,
// while the workers of one faultline still share it.
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>

#include "tests/integration/support.h"

namespace faultline::harness {
namespace {

// Binds a socket with SO_REUSEADDR and SO_REUSEPORT to 127.0.0.1:port (as a second server
// sharing the port would) and returns the bind errno (0: it bound, and would share the port).
int bind_with_reuseport(uint16_t port) {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  int one = 1;
  setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(fd.get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return errno;
  if (::listen(fd.get(), 16) != 0) return errno;
  return 0;
}

ConfigSpec two_workers(const std::string& upstream, const std::string& protocol = "http") {
  ConfigSpec spec;
  spec.workers = 2;
  ListenerSpec l;
  l.upstream = upstream;
  l.protocol = protocol;
  spec.listeners.push_back(l);
  return spec;
}

// Runs a second faultline with `spec` and expects exit 2 with `address` in its error.
void expect_second_run_refused(const ConfigSpec& spec, const std::string& address) {
  TempDir dir;
  auto file = dir.write("second.toml", config_toml(spec));
  auto r = run_faultline({"run", "--config", file}, Millis(8000));
  ASSERT_TRUE(r.status.has_value())
      << "a second faultline kept running on " << address << ", sharing the port";
  EXPECT_TRUE(r.status->exited && r.status->code == 2) << r.status->str() << "\n" << r.err;
  EXPECT_NE(r.err.find(address), std::string::npos) << "the error must name " << address << ":\n"
                                                    << r.err;
}

TEST(PortOwnership, ASecondFaultlineCannotJoinAListenerPort) {
  HttpUpstream up;
  START_PROXY(first, config_toml(two_workers(up.address())));
  const std::string address = first.listener("main").str();
  expect_second_run_refused(
      [&] {
        auto spec = two_workers(up.address());
        spec.listeners[0].listen = address;
        return spec;
      }(),
      address);
  // The first one still has the port to itself and serves.
  auto r = one_request(first.listener("main"), get_request("/", {{"Connection", "close"}}));
  EXPECT_EQ(r.status(), 200) << r;
}

TEST(PortOwnership, ASecondFaultlineCannotJoinATcpListenerPort) {
  TcpUpstream up(tcp_handlers::echo());
  START_PROXY(first, config_toml(two_workers(up.address(), "tcp")));
  const std::string address = first.listener("main").str();
  auto spec = two_workers(up.address(), "tcp");
  spec.listeners[0].listen = address;
  expect_second_run_refused(spec, address);
}

TEST(PortOwnership, ASecondFaultlineCannotJoinTheAdminPort) {
  HttpUpstream up;
  START_PROXY(first, config_toml(two_workers(up.address())));
  const std::string address = first.admin().str();
  auto spec = two_workers(up.address());
  spec.admin_listen = address;
  expect_second_run_refused(spec, address);
}

TEST(PortOwnership, AReuseportSocketCannotBindAnyOfItsPorts) {
  HttpUpstream up;
  START_PROXY(proxy, config_toml(two_workers(up.address())));
  EXPECT_EQ(bind_with_reuseport(proxy.listener("main").port), EADDRINUSE)
      << "a SO_REUSEPORT socket joined the listener's port";
  EXPECT_EQ(bind_with_reuseport(proxy.admin().port), EADDRINUSE)
      << "a SO_REUSEPORT socket joined the admin port";
}

// The workers share the one socket: many connections at once, all served.
TEST(PortOwnership, TwoWorkersServeConcurrentConnections) {
  HttpUpstream up;
  START_PROXY(proxy, config_toml(two_workers(up.address())));
  constexpr int kClients = 40;
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<RawClient>(proxy.listener("main")));
    ASSERT_TRUE(clients.back()->connected());
  }
  for (int round = 0; round < 3; ++round) {
    for (auto& c : clients) ASSERT_EQ(c->send(get_request("/")), IoStatus::kOk);
    for (auto& c : clients) {
      auto r = c->read_response();
      ASSERT_EQ(r.status(), 200) << r;
    }
  }
}

}  // namespace
}  // namespace faultline::harness
