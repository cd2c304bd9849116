// Faults that end a request on HTTP listeners: abort, reset (each phase, seen by the
// client's kernel as ECONNRESET), stall (zero bytes, then close) and slow_close.
#include "tests/integration/support.h"

namespace faultline::harness {
namespace {

std::string experiment(const std::string& name, const std::string& fault_lines,
                       const std::string& match_lines = "") {
  std::string out = "\n[[experiments]]\nname = \"" + name + "\"\n";
  if (!match_lines.empty()) out += "[experiments.match]\n" + match_lines + "\n";
  return out + "[[experiments.faults]]\n" + fault_lines + "\n";
}

TEST(FaultTerminal, AbortAnswersWithTheConfiguredResponse) {
  HttpUpstream up;
  START_PROXY(proxy, http_config(up.address(), "",
                                 experiment("errors",
                                            "type = \"abort\"\nstatus = 503\n"
                                            "body = \"injected by faultline\"\n"
                                            "headers = { \"retry-after\" = \"7\" }",
                                            "paths = [\"/fail\"]")));
  RawClient client(proxy.listener("main"));
  auto r = client.request(get_request("/fail"));
  ASSERT_TRUE(r.complete()) << r;
  EXPECT_EQ(r.status(), 503);
  EXPECT_EQ(r.body, "injected by faultline");
  ASSERT_NE(r.head.find("retry-after"), nullptr);
  EXPECT_EQ(*r.head.find("retry-after"), "7");
  ASSERT_NE(r.head.find("x-chaos-injected"), nullptr);
  EXPECT_NE(r.head.find("x-chaos-injected")->find("abort=503@errors"), std::string::npos);
  // The connection stays usable and other paths pass.
  auto ok = client.request(get_request("/fine"));
  EXPECT_EQ(ok.status(), 200) << ok;
  EXPECT_EQ(up.requests_seen(), 1u) << "an aborted request reached the upstream";
}

TEST(FaultTerminal, HeaderAbortAnswersWithThatStatus) {
  HttpUpstream up;
  START_PROXY(proxy, http_config(up.address(), "", header_triggers()));
  auto r = one_request(proxy.listener("main"), get_request("/x", {{"x-chaos-abort", "418"}}));
  ASSERT_TRUE(r.complete()) << r;
  EXPECT_EQ(r.status(), 418);
  ASSERT_NE(r.head.find("x-chaos-injected"), nullptr);
  EXPECT_NE(r.head.find("x-chaos-injected")->find("abort=418@header"), std::string::npos);
  EXPECT_EQ(up.requests_seen(), 0u);
}

TEST(FaultTerminal, ResetAtConnect) {
  HttpUpstream up;
  START_PROXY(proxy, http_config(up.address(), "",
                                 experiment("rst", "type = \"reset\"\nphase = \"connect\"")));
  RawClient client(proxy.listener("main"));
  ASSERT_TRUE(client.connected());
  client.send(get_request("/"));
  auto r = client.read_response("GET", 5s);
  EXPECT_EQ(r.io, IoStatus::kReset) << r;
  EXPECT_EQ(up.connections_accepted(), 0u);
}

TEST(FaultTerminal, ResetInsteadOfForwarding) {
  HttpUpstream up;
  START_PROXY(proxy, http_config(up.address(), "", header_triggers()));
  RawClient client(proxy.listener("main"));
  auto r = client.request(get_request("/r", {{"x-chaos-reset", "request"}}), 5s);
  EXPECT_EQ(r.io, IoStatus::kReset) << r;
  EXPECT_EQ(r.status(), 0) << "bytes of a response arrived before the reset";
  EXPECT_EQ(up.requests_seen(), 0u);
}

TEST(FaultTerminal, ResetAfterTheResponseHead) {
  HttpUpstream up;
  up.route("/big", handlers::stream(1u << 20));
  START_PROXY(proxy, http_config(up.address(), "", header_triggers()));
  RawClient client(proxy.listener("main"));
  auto r = client.request(get_request("/big", {{"x-chaos-reset", "response"}}), 5s);
  EXPECT_EQ(r.io, IoStatus::kReset) << r;
  EXPECT_EQ(r.status(), 200) << "the response head should arrive before the reset";
  EXPECT_LT(r.body_bytes, 1u << 20);
}

TEST(FaultTerminal, ResetAfterBytesOfTheResponse) {
  HttpUpstream up;
  up.route("/big", handlers::stream(1u << 20));
  START_PROXY(proxy, http_config(up.address(), "",
                                 experiment("cut",
                                            "type = \"reset\"\nphase = \"response\"\n"
                                            "after_bytes = 10000")));
  RawClient client(proxy.listener("main"));
  auto r = client.request(get_request("/big"), 5s);
  EXPECT_EQ(r.io, IoStatus::kReset) << r;
  EXPECT_EQ(r.status(), 200);
  EXPECT_LE(r.body_bytes, 10000u);
  EXPECT_GT(r.body_bytes, 9000u) << "reset came well before after_bytes";
}

TEST(FaultTerminal, StallHoldsThenClosesWithZeroBytes) {
  HttpUpstream up;
  START_PROXY(proxy, http_config(up.address(), "", header_triggers()));
  RawClient client(proxy.listener("main"));
  client.send(get_request("/s", {{"x-chaos-stall", "600ms"}}));
  auto d = client.read_until_close(5s);
  EXPECT_NE(d.io, IoStatus::kTimeout) << "stalled connection never closed";
  EXPECT_TRUE(d.bytes.empty()) << "a stall sent " << d.bytes.size() << " bytes";
  EXPECT_GE(d.elapsed.count(), 600);
  EXPECT_LT(d.elapsed.count(), 3000);
  EXPECT_EQ(up.requests_seen(), 0u);
}

TEST(FaultTerminal, StallWithoutDurationHoldsUntilTheClientLeaves) {
  HttpUpstream up;
  START_PROXY(proxy, http_config(up.address(), "",
                                 experiment("hold", "type = \"stall\"\nduration = \"0s\"")));
  RawClient client(proxy.listener("main"));
  client.send(get_request("/s"));
  EXPECT_EQ(client.wait_for_activity(1500ms), IoStatus::kTimeout)
      << "stall with duration 0 answered or closed on its own";
  EXPECT_EQ(up.requests_seen(), 0u);
}

TEST(FaultTerminal, FirstTerminalFaultInExperimentOrderWins) {
  HttpUpstream up;
  START_PROXY(proxy, http_config(up.address(), "",
                                 experiment("first", "type = \"abort\"\nstatus = 502") +
                                     experiment("second", "type = \"abort\"\nstatus = 504")));
  auto r = one_request(proxy.listener("main"), get_request("/"));
  ASSERT_TRUE(r.complete()) << r;
  EXPECT_EQ(r.status(), 502);
}

}  // namespace
}  // namespace faultline::harness
