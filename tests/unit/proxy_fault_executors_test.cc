// The HTTP and TCP fault executors (proxy/http/fault_executor.h, proxy/tcp/fault_executor.h)
// on their own: which hook a plan reaches, and the per-chunk arithmetic the sessions act on.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "proxy/http/fault_executor.h"
#include "proxy/tcp/fault_executor.h"

namespace faultline::proxy {
namespace {

// Records the hooks an executor calls.
struct HttpHooks final : HttpFaultExecutor::Hooks {
  std::vector<std::string> calls;
  bool halted = false;
  bool grpc = false;
  void fault_delay_request(uint64_t ms) override { calls.push_back("delay " + std::to_string(ms)); }
  void fault_stall(uint64_t ms) override { calls.push_back("stall " + std::to_string(ms)); }
  void fault_delay_response(uint64_t ms) override {
    calls.push_back("delay_response " + std::to_string(ms));
  }
  void fault_delay_close(uint64_t ms) override {
    calls.push_back("delay_close " + std::to_string(ms));
  }
  void fault_respond(int status, std::string_view body, std::string_view headers,
                     std::string_view content_type) override {
    calls.push_back("respond " + std::to_string(status) + " " + std::string(body) + " " +
                    std::string(headers) +
                    (content_type == "text/plain" ? "" : "[" + std::string(content_type) + "]"));
  }
  bool request_is_grpc() const override { return grpc; }
  void fault_refuse(std::string_view why) override {
    calls.push_back("refuse " + std::string(why));
  }
  void fault_reset() override { calls.push_back("reset"); }
  void fault_forward() override { calls.push_back("forward"); }
  bool faults_halted() const override { return halted; }
};

using std::chrono::milliseconds;

// An abort with only an HTTP status answers a gRPC request trailers-only with the grpc-status
// Envoy maps that status to, the body (without its line break) as the message.
TEST(HttpFaultExecutor, AnHttpOnlyAbortOnAGrpcRequestMapsTheStatusAsEnvoy) {
  const std::pair<int, int> cases[] = {{503, 14}, {429, 14}, {502, 14}, {504, 14}, {404, 12},
                                       {401, 16}, {403, 7},  {400, 13}, {500, 2}};
  for (auto [status, grpc] : cases) {
    HttpHooks hooks;
    HttpFaultExecutor x(hooks);
    x.begin_request();
    faults::Plan& plan = x.fresh_plan();
    plan.terminal = faults::Terminal::kRespond;
    plan.respond.status = status;
    plan.respond.body = "fault filter abort\n";
    x.set_active(true);
    hooks.grpc = true;
    x.carry_out(0, 60000);
    EXPECT_EQ(hooks.calls,
              std::vector<std::string>{"respond 200  grpc-status: " + std::to_string(grpc) +
                                       "\r\ngrpc-message: fault filter "
                                       "abort\r\n[application/grpc]"})
        << status;
  }
}

// SPEC §8 over HTTP/1.1: a gRPC request gets grpc-status in the headers of an empty 200 (as
// Envoy answers); a plain request matched by the same abort gets the HTTP status and body.
TEST(HttpFaultExecutor, AGrpcAbortAnswersAGrpcRequestTrailersOnly) {
  HttpHooks hooks;
  HttpFaultExecutor x(hooks);
  x.begin_request();
  faults::Plan& plan = x.fresh_plan();
  plan.terminal = faults::Terminal::kRespond;
  plan.respond.status = 200;
  plan.respond.body = "down 100%\n";
  plan.respond.grpc_status = 14;
  plan.respond.grpc_message = "down 100%";
  x.set_active(true);
  hooks.grpc = true;
  x.carry_out(0, 60000);
  hooks.grpc = false;
  x.carry_out(0, 60000);
  EXPECT_EQ(hooks.calls,
            (std::vector<std::string>{
                "respond 200  grpc-status: 14\r\ngrpc-message: down 100%25\r\n[application/grpc]",
                "respond 200 down 100%\n "}));
}

TEST(HttpFaultExecutor, ALatencyThenAnAbortAnswersAfterTheDelay) {
  HttpHooks hooks;
  HttpFaultExecutor x(hooks);
  x.begin_request();
  faults::Plan& plan = x.fresh_plan();
  plan.request_delay = milliseconds(300);
  plan.terminal = faults::Terminal::kRespond;
  plan.respond.status = 503;
  plan.respond.body = "down";
  plan.respond.headers = {{"Retry-After", "1"}};
  plan.injected = "latency=300ms, abort=503";
  x.set_active(true);
  x.carry_out(0, 60000);
  x.carry_out(300, 60000);  // the session calls back after the delay
  EXPECT_EQ(hooks.calls,
            (std::vector<std::string>{"delay 300", "respond 503 down Retry-After: 1\r\n"}));
  EXPECT_EQ(x.injected(), "latency=300ms, abort=503");
  x.end();
  EXPECT_EQ(x.injected(), "");
}

TEST(HttpFaultExecutor, TerminalsReachTheirHooks) {
  struct Case {
    faults::Terminal terminal;
    faults::ResetPoint point;
    int64_t stall_ms;
    std::string want;
  };
  for (const Case& c :
       {Case{faults::Terminal::kReset, faults::ResetPoint::kRequest, 0, "reset"},
        Case{faults::Terminal::kStall, faults::ResetPoint::kRequest, 0,
             "stall 60000"},  // until the client leaves: the idle timeout
        Case{faults::Terminal::kStall, faults::ResetPoint::kRequest, 250, "stall 250"},
        Case{faults::Terminal::kNone, faults::ResetPoint::kRequest, 0, "forward"}}) {
    HttpHooks hooks;
    HttpFaultExecutor x(hooks);
    x.begin_request();
    faults::Plan& plan = x.fresh_plan();
    plan.terminal = c.terminal;
    plan.reset_point = c.point;
    plan.stall_for = milliseconds(c.stall_ms);
    x.set_active(true);
    x.carry_out(0, 60000);
    EXPECT_EQ(hooks.calls, std::vector<std::string>{c.want});
  }
}

TEST(HttpFaultExecutor, AMalformedTriggerIsRefusedBeforeAnythingElse) {
  HttpHooks hooks;
  HttpFaultExecutor x(hooks);
  x.begin_request();
  faults::Plan& plan = x.fresh_plan();
  plan.bad_request = "bad x-chaos-latency\n";
  plan.request_delay = milliseconds(100);
  x.set_active(true);
  x.carry_out(0, 60000);
  EXPECT_EQ(hooks.calls, std::vector<std::string>{"refuse bad x-chaos-latency\n"});
}

TEST(HttpFaultExecutor, AResetAfterTheHeadCountsFromTheHeadsLength) {
  HttpHooks hooks;
  HttpFaultExecutor x(hooks);
  x.begin_request();
  faults::Plan& plan = x.fresh_plan();
  plan.terminal = faults::Terminal::kReset;
  plan.reset_point = faults::ResetPoint::kResponse;
  plan.reset_after_bytes = 0;
  x.set_active(true);
  x.carry_out(0, 60000);
  EXPECT_EQ(hooks.calls, std::vector<std::string>{"forward"});
  EXPECT_FALSE(x.resets_response());  // not before the head went out
  x.response_head_sent(120);
  EXPECT_TRUE(x.resets_response());
  EXPECT_EQ(x.bytes_before_reset(120), 0u);
  EXPECT_TRUE(x.reset_due(120));
  x.release();  // kill switch
  EXPECT_FALSE(x.resets_response());
  EXPECT_FALSE(x.reset_due(500));
}

TEST(HttpFaultExecutor, AResetAfterBytesLetsThatManyThrough) {
  HttpHooks hooks;
  HttpFaultExecutor x(hooks);
  x.begin_request();
  faults::Plan& plan = x.fresh_plan();
  plan.terminal = faults::Terminal::kReset;
  plan.reset_point = faults::ResetPoint::kResponse;
  plan.reset_after_bytes = 1000;
  x.set_active(true);
  x.carry_out(0, 60000);
  x.response_head_sent(100);
  EXPECT_EQ(x.bytes_before_reset(100), 900u);
  EXPECT_FALSE(x.reset_due(999));
  EXPECT_TRUE(x.reset_due(1000));
}

TEST(HttpFaultExecutor, BandwidthAdmitsWhatTheBucketHolds) {
  HttpHooks hooks;
  HttpFaultExecutor x(hooks);
  x.begin_request();
  faults::Plan& plan = x.fresh_plan();
  plan.downstream_rate = 1000;  // a burst of 50 bytes
  x.set_active(true);
  x.carry_out(0, 60000);
  EXPECT_FALSE(x.throttled(HttpFaultExecutor::kUp));
  ASSERT_TRUE(x.throttled(HttpFaultExecutor::kDown));
  EXPECT_EQ(x.admit(HttpFaultExecutor::kDown, 200, 0), 50u);
  EXPECT_EQ(x.admit(HttpFaultExecutor::kDown, 200, 0), 0u);
  EXPECT_GE(x.wait_ms(HttpFaultExecutor::kDown, 200), 1u);
  x.end();
  EXPECT_FALSE(x.throttled(HttpFaultExecutor::kDown));
}

TEST(HttpFaultExecutor, ASlowCloseOutlivesItsExchangeButNotTheKillSwitch) {
  HttpHooks hooks;
  HttpFaultExecutor x(hooks);
  x.begin_request();
  x.fresh_plan().close_delay = milliseconds(400);
  x.set_active(true);
  x.carry_out(0, 60000);
  x.end();
  hooks.halted = true;
  EXPECT_FALSE(x.delay_close());
  hooks.halted = false;
  EXPECT_TRUE(x.delay_close());
  EXPECT_FALSE(x.delay_close());  // once
  EXPECT_EQ(hooks.calls, (std::vector<std::string>{"forward", "delay_close 400"}));
}

TEST(HttpFaultExecutor, AResponseDelayWaitsUnlessHalted) {
  HttpHooks hooks;
  HttpFaultExecutor x(hooks);
  x.begin_request();
  x.fresh_plan().response_delay = milliseconds(700);
  x.set_active(true);
  x.at_response_head();
  hooks.halted = true;
  x.at_response_head();
  EXPECT_EQ(hooks.calls, std::vector<std::string>{"delay_response 700"});
}

struct TcpHooks final : TcpFaultExecutor::Hooks {
  std::vector<std::string> calls;
  void fault_reset_at_connect() override { calls.push_back("reset"); }
  void fault_stall(uint64_t ms) override { calls.push_back("stall " + std::to_string(ms)); }
  void fault_delay_close(uint64_t ms) override {
    calls.push_back("delay_close " + std::to_string(ms));
  }
  void fault_close_after(uint64_t ms) override {
    calls.push_back("close_after " + std::to_string(ms));
  }
  void fault_cancel_close_after() override { calls.push_back("cancel_close_after"); }
  bool faults_halted() const override { return false; }
};

uint64_t never() {
  ADD_FAILURE() << "the clock is read only under a bandwidth limit";
  return 0;
}

TEST(TcpFaultExecutor, WithoutAPlanEveryChunkGoesWhole) {
  TcpHooks hooks;
  TcpFaultExecutor x(hooks);
  TcpFaultExecutor::Chunk c = x.on_chunk(1, 4096, false, 0, never);
  EXPECT_EQ(c.send, 4096u);
  EXPECT_FALSE(c.hold || c.reset || c.delay);
}

TEST(TcpFaultExecutor, AChunkDelayHoldsEachChunkOnce) {
  TcpHooks hooks;
  TcpFaultExecutor x(hooks);
  x.plan().downstream_chunk_delay = milliseconds(80);
  x.set_active(true);
  EXPECT_TRUE(x.carry_out_at_connect(0, 60000));
  TcpFaultExecutor::Chunk c = x.on_chunk(1, 100, false, 0, never);
  EXPECT_EQ(c.send, 0u);
  EXPECT_TRUE(c.hold && c.delay);
  EXPECT_EQ(c.wait_ms, 80u);
  c = x.on_chunk(1, 100, /*resumed=*/true, 0, never);
  EXPECT_EQ(c.send, 100u);
  EXPECT_FALSE(c.hold);
  c = x.on_chunk(0, 100, false, 0, never);  // the other direction is not delayed
  EXPECT_EQ(c.send, 100u);
}

TEST(TcpFaultExecutor, AResetAfterBytesCutsTheChunkThatReachesIt) {
  TcpHooks hooks;
  TcpFaultExecutor x(hooks);
  x.plan().terminal = faults::Terminal::kReset;
  x.plan().reset_point = faults::ResetPoint::kResponse;
  x.plan().reset_after_bytes = 150;
  x.set_active(true);
  EXPECT_TRUE(x.carry_out_at_connect(0, 60000));
  TcpFaultExecutor::Chunk c = x.on_chunk(1, 100, false, 0, never);
  EXPECT_EQ(c.send, 100u);
  EXPECT_FALSE(c.reset);
  c = x.on_chunk(1, 100, false, 100, never);
  EXPECT_EQ(c.send, 50u);
  EXPECT_TRUE(c.reset);
  c = x.on_chunk(0, 100, false, 150, never);  // client -> upstream is not counted
  EXPECT_FALSE(c.reset);
}

TEST(TcpFaultExecutor, ResetAndStallAtConnectTakeOver) {
  TcpHooks hooks;
  TcpFaultExecutor reset(hooks);
  reset.plan().terminal = faults::Terminal::kReset;
  reset.plan().reset_point = faults::ResetPoint::kConnect;
  reset.set_active(true);
  EXPECT_FALSE(reset.carry_out_at_connect(0, 60000));
  TcpFaultExecutor stall(hooks);
  stall.plan().terminal = faults::Terminal::kStall;
  stall.set_active(true);
  EXPECT_FALSE(stall.carry_out_at_connect(0, 60000));
  EXPECT_EQ(hooks.calls, (std::vector<std::string>{"reset", "stall 60000"}));
}

TEST(TcpFaultExecutor, TheKillSwitchKeepsTheAppliedFaultsForTheLog) {
  TcpHooks hooks;
  TcpFaultExecutor x(hooks);
  x.plan().upstream_rate = 1000;
  x.plan().close_delay = milliseconds(100);
  faults::AppliedFault applied;
  applied.kind = "bandwidth";
  x.plan().applied.push_back(applied);
  x.set_active(true);
  EXPECT_TRUE(x.carry_out_at_connect(0, 60000));
  x.release();
  EXPECT_FALSE(x.active());
  EXPECT_EQ(x.plan().applied.size(), 1u);
  EXPECT_EQ(x.on_chunk(0, 5000, false, 0, never).send, 5000u);  // no limit any more
  EXPECT_FALSE(x.delay_close());
}

// Toxiproxy's reset_peer: the first chunk of a marked direction is dropped and arms the reset;
// the other direction relays.
TEST(TcpFaultExecutor, AResetOnDataDropsTheFirstChunkAndArmsTheReset) {
  TcpHooks hooks;
  TcpFaultExecutor x(hooks);
  x.plan().terminal = faults::Terminal::kReset;
  x.plan().reset_point = faults::ResetPoint::kData;
  x.plan().downstream_reset_on_data = true;
  x.plan().reset_delay = milliseconds(500);
  x.set_active(true);
  EXPECT_TRUE(x.carry_out_at_connect(0, 60000));
  TcpFaultExecutor::Chunk up = x.on_chunk(0, 100, false, 0, never);
  EXPECT_EQ(up.send, 100u);
  EXPECT_FALSE(up.reset_later || up.reset);
  TcpFaultExecutor::Chunk down = x.on_chunk(1, 100, false, 0, never);
  EXPECT_EQ(down.send, 0u);
  EXPECT_TRUE(down.reset_later);
  EXPECT_EQ(down.wait_ms, 500u);
  EXPECT_FALSE(down.reset) << "not the reset after bytes of phase = response";
}

// A new plan for an open connection: a close_after starts from now and stops when it goes, a
// bandwidth limit starts, and a direction nothing holds any more may release its chunk.
TEST(TcpFaultExecutor, ReplanningAnOpenConnection) {
  TcpHooks hooks;
  TcpFaultExecutor x(hooks);
  faults::Plan slow;
  slow.downstream_chunk_delay = milliseconds(300);
  slow.blackhole_close_after = milliseconds(400);
  auto r = x.replan(std::move(slow), true, 1000);
  EXPECT_FALSE(r.release[1]);
  EXPECT_TRUE(r.release[0]);
  EXPECT_TRUE(x.on_chunk(1, 10, false, 0, never).delay);
  faults::Plan throttled;
  throttled.upstream_rate = 100;
  r = x.replan(std::move(throttled), true, 1000);
  EXPECT_TRUE(r.release[1]);
  EXPECT_FALSE(r.release[0]);
  EXPECT_EQ(x.on_chunk(1, 10, false, 0, never).send, 10u);
  EXPECT_LT(x.on_chunk(0, 5000, false, 0, [] { return uint64_t{1000}; }).send, 5000u);
  r = x.replan(faults::Plan(), false, 1000);
  EXPECT_TRUE(r.release[0] && r.release[1]);
  EXPECT_EQ(x.on_chunk(0, 5000, false, 0, never).send, 5000u);
  // Faults decided at accept do not reach a connection already open.
  faults::Plan at_accept;
  at_accept.terminal = faults::Terminal::kStall;
  x.replan(std::move(at_accept), true, 1000);
  EXPECT_EQ(x.on_chunk(1, 100, false, 0, never).send, 100u);
  EXPECT_EQ(hooks.calls, (std::vector<std::string>{"close_after 400", "cancel_close_after"}));
}

}  // namespace
}  // namespace faultline::proxy
