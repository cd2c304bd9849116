// The order service's own tests for its dependency client, run through faultline: each
// test asks for one fault with x-chaos-* request headers and checks that the client turns
// it into the right behaviour (deadline, retry, error), not a hang or a wrong success.
//
// FAULTLINE_PROXY (default 127.0.0.1:15001) is a faultline listener with header triggers
// enabled in front of any HTTP service answering GET / with 200 (e.g. `faultline demo`).
// Without a reachable faultline the tests are skipped, unless FAULTLINE_REQUIRE=1 (CI),
// where that is a failure.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>

#include "order_client.h"

namespace {

using namespace std::chrono_literals;
using example::ClientOptions;
using example::Failure;
using example::OrderClient;
using Clock = std::chrono::steady_clock;

ClientOptions proxy_options() {
  ClientOptions options;
  const char* env = std::getenv("FAULTLINE_PROXY");
  const std::string proxy = env != nullptr && *env != '\0' ? env : "127.0.0.1:15001";
  options.host = proxy.substr(0, proxy.rfind(':'));
  options.port = std::stoi(proxy.substr(proxy.rfind(':') + 1));
  return options;
}

bool reachable(const ClientOptions& options) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(options.port));
  ::inet_pton(AF_INET, options.host.c_str(), &addr.sin_addr);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

class OrderClientChaos : public ::testing::Test {
 protected:
  void SetUp() override {
    options_ = proxy_options();
    if (reachable(options_)) return;
    const char* require = std::getenv("FAULTLINE_REQUIRE");
    if (require != nullptr && std::string(require) == "1")
      FAIL() << "no faultline listener at " << options_.host << ":" << options_.port;
    GTEST_SKIP() << "no faultline listener at " << options_.host << ":" << options_.port
                 << " (start `faultline demo`)";
  }
  ClientOptions options_;
};

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

TEST_F(OrderClientChaos, PassesThroughUntouchedWithoutHeaders) {
  const auto response = OrderClient(options_).get("/");
  EXPECT_EQ(response.failure, Failure::kNone);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.header("x-chaos-injected"), "");
}

TEST_F(OrderClientChaos, LatencyWithinTheDeadlineStillSucceeds) {
  options_.deadline = 2s;
  const auto start = Clock::now();
  const auto response = OrderClient(options_).get("/", {{"x-chaos-delay", "200ms"}});
  EXPECT_EQ(response.status, 200);
  EXPECT_GE(seconds_since(start), 0.2);
  EXPECT_NE(response.header("x-chaos-injected").find("latency=200ms@header"), std::string::npos);
}

TEST_F(OrderClientChaos, SlowDependencyHitsTheDeadlineInsteadOfHanging) {
  options_.deadline = 300ms;
  const auto start = Clock::now();
  const auto response = OrderClient(options_).get("/", {{"x-chaos-delay", "3s"}});
  EXPECT_EQ(response.failure, Failure::kTimeout) << to_string(response.failure);
  EXPECT_LT(seconds_since(start), 1.0);
}

TEST_F(OrderClientChaos, StalledDependencyHitsTheDeadline) {
  options_.deadline = 300ms;
  const auto response = OrderClient(options_).get("/", {{"x-chaos-stall", "3s"}});
  EXPECT_EQ(response.failure, Failure::kTimeout) << to_string(response.failure);
}

TEST_F(OrderClientChaos, PersistentUnavailabilityIsRetriedThenReported) {
  options_.max_attempts = 3;
  const auto start = Clock::now();
  const auto response = OrderClient(options_).get("/", {{"x-chaos-abort", "503"}});
  // Each attempt gets a complete 503 (the proxy closes right after it, as the request asked),
  // not a deadline that happens to look like one.
  EXPECT_EQ(response.failure, Failure::kNone) << to_string(response.failure);
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(response.attempts, 3);
  EXPECT_LT(seconds_since(start), 1.0);
}

TEST_F(OrderClientChaos, ClientErrorsAreNotRetried) {
  options_.max_attempts = 3;
  const auto start = Clock::now();
  const auto response = OrderClient(options_).get("/", {{"x-chaos-abort", "404"}});
  EXPECT_EQ(response.failure, Failure::kNone) << to_string(response.failure);
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(response.attempts, 1);
  EXPECT_LT(seconds_since(start), 0.5);
}

TEST_F(OrderClientChaos, IntermittentUnavailabilityIsHiddenByRetries) {
  // Each attempt fails with probability 1/2; 20 attempts all failing is a 1e-6 event.
  options_.max_attempts = 20;
  options_.retry_backoff = 1ms;
  const auto start = Clock::now();
  const auto response =
      OrderClient(options_).get("/", {{"x-chaos-abort", "503"}, {"x-chaos-percentage", "50"}});
  EXPECT_EQ(response.failure, Failure::kNone) << to_string(response.failure);
  EXPECT_EQ(response.status, 200) << "after " << response.attempts << " attempts";
  // Failed attempts end with the 503 itself, not with the 1 s per-attempt deadline.
  EXPECT_LT(seconds_since(start), 1.0 + 0.05 * response.attempts);
}

TEST_F(OrderClientChaos, ConnectionResetIsRetriedThenReported) {
  options_.max_attempts = 2;
  const auto response = OrderClient(options_).get("/", {{"x-chaos-reset", "request"}});
  EXPECT_EQ(response.failure, Failure::kReset) << to_string(response.failure);
  EXPECT_EQ(response.attempts, 2);
}

TEST_F(OrderClientChaos, ResponseCutAfterTheHeadIsNeverASuccess) {
  const auto response = OrderClient(options_).get("/", {{"x-chaos-reset", "response"}});
  EXPECT_NE(response.failure, Failure::kNone) << "status " << response.status;
}

}  // namespace
