#pragma once
// Small helpers shared by the integration tests (header-only; each test is one binary).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "tests/harness/byte_pattern.h"
#include "tests/harness/config_text.h"
#include "tests/harness/http_upstream.h"
#include "tests/harness/proc_stats.h"
#include "tests/harness/proxy_process.h"
#include "tests/harness/raw_client.h"
#include "tests/harness/tcp_upstream.h"

namespace faultline::harness {

using namespace std::chrono_literals;

// The checkout (scripts and helpers the tests run), from ctest's environment.
inline std::string source_dir() {
  const char* dir = std::getenv("FAULTLINE_SOURCE_DIR");
  return dir ? dir : ".";
}

// Under AddressSanitizer the proxy's RSS is dominated by shadow memory and the allocator's
// quarantine (freed slabs are held back on purpose), so a memory bound says nothing about the
// proxy there. The Release run of the same suite (scripts/test.sh) enforces the bounds.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kRssBoundApplies = false;
#else
inline constexpr bool kRssBoundApplies = true;
#endif

// Starts the proxy or fails the current test with its stderr.
#define START_PROXY(var, ...)                          \
  ::faultline::harness::ProxyProcess var(__VA_ARGS__); \
  ASSERT_TRUE(var.ready()) << var.failure()

// One request on a fresh connection.
inline HttpResponse one_request(const Endpoint& to, const std::string& raw,
                                Millis timeout = Millis(10000)) {
  RawClient client(to);
  if (!client.connected()) {
    HttpResponse r;
    r.io = IoStatus::kError;
    r.err = client.connect_errno();
    return r;
  }
  return client.request(raw, timeout);
}

inline HttpResponse admin_get(const ProxyProcess& proxy, const std::string& path) {
  return one_request(proxy.admin(), get_request(path, {{"Connection", "close"}}));
}

// A 127.0.0.1 port with nothing listening: connecting to it is refused. The port stays bound
// (not listening) until the test process exits, so that no other bind(0) -- the proxy's own
// listeners, or another test running beside this one -- can be given it.
inline std::string closed_port_address() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ADD_FAILURE() << "cannot reserve a closed port: " << std::strerror(errno);
    return "127.0.0.1:1";
  }
  return "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));  // fd kept open on purpose
}

// Polls `predicate` every 10 ms until it holds or `timeout` passes.
template <typename Predicate>
bool eventually(Predicate predicate, Millis timeout = Millis(5000)) {
  auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(Millis(10));
  }
  return predicate();
}

inline long elapsed_ms(Clock::time_point since) {
  return static_cast<long>(std::chrono::duration_cast<Millis>(Clock::now() - since).count());
}

// A pattern of `n` bytes as one string (small and medium bodies).
inline std::string pattern_string(size_t n, uint64_t offset = 0) {
  std::string s(n, '\0');
  fill_pattern(offset, s.data(), n);
  return s;
}

}  // namespace faultline::harness

namespace faultline::harness {

// [triggers.headers] enabled, plus extra lines.
inline std::string header_triggers(const std::string& extra = "") {
  return "[triggers.headers]\nenabled = true\n" + extra + "\n";
}

// x-chaos-* and Envoy's fault headers on, and an experiment "down" that answers the requests
// `match` selects (one [experiments.match] line) with an abort of HTTP status 503 only.
inline std::string http_abort_triggers(const std::string& match) {
  return header_triggers("[triggers.envoy_headers]\nenabled = true") +
         "[[experiments]]\nname = \"down\"\n[experiments.match]\n" + match +
         "\n[[experiments.faults]]\ntype = \"abort\"\nstatus = 503\nbody = \"service down\"\n";
}

// True when this test binary was built with AddressSanitizer (then the proxy was too, and
// runs a few times slower): only generous upper time bounds may use it, never lower ones.
constexpr bool kSanitized =
#if defined(__SANITIZE_ADDRESS__)
    true;
#else
    false;
#endif

// Sends `count` copies of `request` pipelined in batches over one connection and returns
// each response's status, in order.
inline std::vector<int> pipelined_statuses(const Endpoint& to, const std::string& request,
                                           size_t count, size_t batch = 50) {
  std::vector<int> statuses;
  RawClient client(to);
  if (!client.connected()) return statuses;
  while (statuses.size() < count) {
    size_t n = std::min(batch, count - statuses.size());
    std::string burst;
    for (size_t i = 0; i < n; ++i) burst += request;
    if (client.send(burst, Millis(10000)) != IoStatus::kOk) return statuses;
    for (size_t i = 0; i < n; ++i) {
      auto r = client.read_response("GET", Millis(10000));
      if (!r.complete()) return statuses;
      statuses.push_back(r.status());
    }
  }
  return statuses;
}

}  // namespace faultline::harness
