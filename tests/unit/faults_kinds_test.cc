// Every fault kind's parameter decoding: good tables compile to the right primitives, bad
// ones report an error at "<fault.path>.<key>" with the key's position.
#include <gtest/gtest.h>

#include "config/loader.h"
#include "faults/catalog.h"
#include "faults/experiment.h"
#include "faults/primitive.h"
#include "faults_fixtures.h"

namespace faultline::faults {
namespace {

using namespace testing;
using namespace std::chrono_literals;

struct Compiled {
  bool ok = false;
  CompiledExperiment experiment;
  config::Diagnostics diags;
  const config::Diagnostic* first() const {
    return diags.items().empty() ? nullptr : &diags.items().front();
  }
};

Compiled compile(config::FaultConfig f, config::Protocol protocol = config::Protocol::kHttp,
                 config::SafetyConfig safety = {}) {
  auto config = make_config({}, {listener("inbound", protocol)});
  config->safety = safety;
  Compiled out;
  out.ok = compile_experiment(experiment("e1", {std::move(f)}), *config, Source::kConfig,
                              out.experiment, out.diags);
  return out;
}

void expect_error(const Compiled& result, const std::string& path, const std::string& fragment) {
  ASSERT_FALSE(result.ok);
  ASSERT_NE(result.first(), nullptr);
  bool found = false;
  for (const auto& item : result.diags.items())
    found = found || (item.path == path && item.message.find(fragment) != std::string::npos);
  EXPECT_TRUE(found) << "no error at " << path << " containing '" << fragment
                     << "'; first: " << result.first()->path << ": " << result.first()->message;
}

TEST(FaultCatalog, ListsEveryKindInOrder) {
  EXPECT_EQ(known_kinds(),
            "latency, abort, reset, stall, bandwidth, slow_close, cpu, memory, blackhole, "
            "limit_data, slice, goaway, tls_handshake_delay, tls_abort");
  EXPECT_NE(find_kind("latency"), nullptr);
  EXPECT_EQ(find_kind("lag"), nullptr);
  EXPECT_EQ(kind_name(kind_index("stall")), "stall");
}

TEST(FaultCatalog, UnknownTypeNamesKnownTypes) {
  auto r = compile(fault("lag", {{"delay", str("1s")}}));
  expect_error(r, "experiments[0].faults[0].type", "unknown fault type \"lag\" (known: latency,");
}

TEST(FaultPercentage, DefaultsTo100AndIsBounded) {
  auto good = compile(fault("latency", {{"delay", str("1s")}}));
  ASSERT_TRUE(good.ok);
  EXPECT_DOUBLE_EQ(good.experiment.faults[0].percentage, 100.0);
  auto fraction = compile(fault("latency", {{"delay", str("1s")}, {"percentage", floating(12.5)}}));
  ASSERT_TRUE(fraction.ok);
  EXPECT_DOUBLE_EQ(fraction.experiment.faults[0].percentage, 12.5);
  expect_error(compile(fault("latency", {{"delay", str("1s")}, {"percentage", integer(101)}})),
               "experiments[0].faults[0].percentage", "0..100");
  expect_error(compile(fault("latency", {{"delay", str("1s")}, {"percentage", str("5")}})),
               "experiments[0].faults[0].percentage", "expected a number");
}

TEST(FaultParams, UnknownKeyIsAnErrorAtItsPosition) {
  auto r = compile(fault("latency", {{"delay", str("1s")}, {"dealy", str("2s", 14, 3)}}));
  expect_error(r, "experiments[0].faults[0].dealy", "unknown key for a latency fault");
  EXPECT_EQ(r.first()->pos.line, 14);
  EXPECT_EQ(r.first()->pos.column, 3);
}

TEST(LatencyKind, CompilesDelayJitterPhase) {
  auto r = compile(fault(
      "latency", {{"delay", str("500ms")}, {"jitter", str("100ms")}, {"phase", str("response")}}));
  ASSERT_TRUE(r.ok) << r.first()->message;
  const CompiledFault& f = r.experiment.faults[0];
  ASSERT_EQ(f.primitives.size(), 1u);
  EXPECT_EQ(f.primitives[0].op, Op::kDelay);
  EXPECT_EQ(f.primitives[0].amount, 500ms);
  EXPECT_EQ(f.primitives[0].jitter, 100ms);
  EXPECT_EQ(f.primitives[0].phase, Phase::kResponse);
  EXPECT_FALSE(f.terminal);
  EXPECT_EQ(f.annotation, "latency=500ms@e1");
}

TEST(LatencyKind, RejectsBadValues) {
  expect_error(compile(fault("latency", {})), "experiments[0].faults[0].delay", "missing key");
  auto bad = compile(fault("latency", {{"delay", str("soon", 11, 9)}}));
  expect_error(bad, "experiments[0].faults[0].delay", "expected a duration like \"250ms\"");
  EXPECT_EQ(bad.first()->pos.line, 11);
  expect_error(compile(fault("latency", {{"delay", integer(5)}})), "experiments[0].faults[0].delay",
               "got a ");
  expect_error(compile(fault("latency", {{"delay", str("1s")}, {"phase", str("later")}})),
               "experiments[0].faults[0].phase", "expected one of \"request\", \"response\"");
  expect_error(compile(fault("latency", {{"delay", str("1s")}, {"direction", str("up")}})),
               "experiments[0].faults[0].direction", "expected one of");
}

TEST(LatencyKind, SafetyCapIncludesJitter) {
  config::SafetyConfig safety;
  safety.max_delay = 2s;
  EXPECT_TRUE(
      compile(fault("latency", {{"delay", str("2s")}}), config::Protocol::kHttp, safety).ok);
  expect_error(compile(fault("latency", {{"delay", str("1500ms")}, {"jitter", str("600ms")}}),
                       config::Protocol::kHttp, safety),
               "experiments[0].faults[0].delay", "exceeds safety.max_delay (2s)");
}

// Issue 8 item 4: delay + jitter overflowed int64 and the wrapped sum passed the cap.
TEST(LatencyKind, HugeDelayPlusJitterIsRefusedNotWrapped) {
  expect_error(compile(fault("latency", {{"delay", str("2562047788015h")}})),
               "experiments[0].faults[0].delay", "(too large (at most 876600h, 100 years))");
  expect_error(compile(fault("latency", {{"delay", str("876600h")}, {"jitter", str("876600h")}})),
               "experiments[0].faults[0].delay",
               "delay + jitter 876600h exceeds safety.max_delay (30s)");
}

TEST(LatencyKind, PhaseIsHttpDirectionIsTcp) {
  expect_error(compile(fault("latency", {{"delay", str("1s")}, {"phase", str("request")}}),
                       config::Protocol::kTcp),
               "experiments[0].faults[0].phase", "use direction on tcp");
  expect_error(compile(fault("latency", {{"delay", str("1s")}, {"direction", str("upstream")}})),
               "experiments[0].faults[0].direction", "use phase on http");
  auto tcp = compile(fault("latency", {{"delay", str("1s")}, {"direction", str("upstream")}}),
                     config::Protocol::kTcp);
  ASSERT_TRUE(tcp.ok);
  EXPECT_EQ(tcp.experiment.faults[0].primitives[0].direction, Direction::kUpstream);
}

TEST(AbortKind, CompilesResponse) {
  auto r = compile(fault("abort", {{"status", integer(429)},
                                   {"body", str("slow down")},
                                   {"headers", table({{"retry-after", str("1")}})}}));
  ASSERT_TRUE(r.ok) << r.first()->message;
  const CompiledFault& f = r.experiment.faults[0];
  EXPECT_TRUE(f.terminal);
  ASSERT_EQ(f.primitives.size(), 1u);
  EXPECT_EQ(f.primitives[0].op, Op::kRespond);
  EXPECT_EQ(f.primitives[0].response->status, 429);
  EXPECT_EQ(f.primitives[0].response->body, "slow down");
  ASSERT_EQ(f.primitives[0].response->headers.size(), 1u);
  EXPECT_EQ(f.primitives[0].response->headers[0].first, "retry-after");
  EXPECT_EQ(f.annotation, "abort=429@e1");
}

TEST(AbortKind, DefaultsTo503) {
  auto r = compile(fault("abort", {}));
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.experiment.faults[0].primitives[0].response->status, 503);
}

TEST(AbortKind, RejectsBadValues) {
  expect_error(compile(fault("abort", {{"status", integer(99)}})),
               "experiments[0].faults[0].status", "expected an HTTP status 200..599, got 99");
  expect_error(compile(fault("abort", {{"status", integer(600)}})),
               "experiments[0].faults[0].status", "200..599");
  expect_error(compile(fault("abort", {{"status", str("503")}})), "experiments[0].faults[0].status",
               "expected an integer");
  expect_error(compile(fault("abort", {{"body", integer(1)}})), "experiments[0].faults[0].body",
               "expected a string");
  expect_error(compile(fault("abort", {{"headers", table({{"x-a", integer(1)}})}})),
               "experiments[0].faults[0].headers.x-a", "expected a string");
  expect_error(compile(fault("abort", {{"headers", table({{"bad name", str("1")}})}})),
               "experiments[0].faults[0].headers", "not a valid HTTP token");
  expect_error(compile(fault("abort", {{"headers", table({{"x-a", str("1\r\nx: y")}})}})),
               "experiments[0].faults[0].headers", "line break");
  expect_error(compile(fault("abort", {{"headers", table({{"Content-Length", str("1")}})}})),
               "experiments[0].faults[0].headers", "set by faultline");
}

TEST(AbortKind, GrpcStatusMessageAndAfterMessages) {
  auto r = compile(fault("abort", {{"grpc_status", integer(14)},
                                   {"grpc_message", str("down")},
                                   {"after_messages", integer(3)}}));
  ASSERT_TRUE(r.ok) << r.first()->message;
  const auto& response = *r.experiment.faults[0].primitives[0].response;
  EXPECT_EQ(response.grpc_status, 14);
  EXPECT_EQ(response.grpc_message, "down");
  EXPECT_EQ(response.after_messages, 3u);
  // SPEC §8: a non-gRPC request gets 200 with the message as body.
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "down\n");
  EXPECT_EQ(r.experiment.faults[0].annotation, "abort=grpc-14@e1");

  auto both = compile(fault("abort", {{"status", integer(503)}, {"grpc_status", integer(8)}}));
  ASSERT_TRUE(both.ok);
  EXPECT_EQ(both.experiment.faults[0].primitives[0].response->status, 503);
  EXPECT_EQ(both.experiment.faults[0].primitives[0].response->grpc_status, 8);

  auto plain = compile(fault("abort", {}));
  EXPECT_EQ(plain.experiment.faults[0].primitives[0].response->grpc_status, -1);
}

TEST(ResetKind, Http2Codes) {
  auto r = compile(fault("reset", {{"code", str("enhance_your_calm")}}));
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.experiment.faults[0].primitives[0].code, H2Code::kEnhanceYourCalm);
  auto d = compile(fault("reset", {}));
  EXPECT_EQ(d.experiment.faults[0].primitives[0].code, H2Code::kInternalError);
}

TEST(GoawayKind, CodeAndGraceful) {
  auto r = compile(fault("goaway", {}));
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.experiment.faults[0].primitives[0].op, Op::kGoaway);
  EXPECT_EQ(r.experiment.faults[0].primitives[0].code, H2Code::kNoError);
  EXPECT_TRUE(r.experiment.faults[0].primitives[0].graceful);
  expect_error(compile(fault("goaway", {}), config::Protocol::kTcp),
               "experiments[0].faults[0].type", "HTTP/2 connections");
}

TEST(AbortKind, IsAnErrorOnTcpListeners) {
  expect_error(compile(fault("abort", {}), config::Protocol::kTcp), "experiments[0].faults[0].type",
               "abort applies to http listeners only");
}

TEST(ResetKind, PhasesAndDefaults) {
  auto request = compile(fault("reset", {}));
  ASSERT_TRUE(request.ok);
  EXPECT_EQ(request.experiment.faults[0].primitives[0].reset_point, ResetPoint::kRequest);
  EXPECT_FALSE(request.experiment.faults[0].at_connect);
  EXPECT_EQ(request.experiment.faults[0].annotation, "reset=request@e1");

  auto after = compile(fault("reset", {{"after_bytes", integer(1024)}}));
  ASSERT_TRUE(after.ok);
  EXPECT_EQ(after.experiment.faults[0].primitives[0].reset_point, ResetPoint::kResponse);
  EXPECT_EQ(after.experiment.faults[0].primitives[0].after_bytes, 1024u);

  auto connect = compile(fault("reset", {{"phase", str("connect")}}));
  ASSERT_TRUE(connect.ok);
  EXPECT_TRUE(connect.experiment.faults[0].at_connect);
  EXPECT_TRUE(connect.experiment.has_connect_faults);
  EXPECT_FALSE(connect.experiment.has_request_faults);

  auto tcp = compile(fault("reset", {}), config::Protocol::kTcp);
  ASSERT_TRUE(tcp.ok);
  EXPECT_EQ(tcp.experiment.faults[0].primitives[0].reset_point, ResetPoint::kConnect);
}

TEST(ResetKind, RejectsBadValues) {
  expect_error(compile(fault("reset", {{"phase", str("midway")}})),
               "experiments[0].faults[0].phase", "expected one of \"connect\", \"request\"");
  expect_error(compile(fault("reset", {{"phase", str("request")}}), config::Protocol::kTcp),
               "experiments[0].faults[0].phase", "on tcp use \"connect\" or \"response\"");
  expect_error(compile(fault("reset", {{"phase", str("request")}, {"after_bytes", integer(5)}})),
               "experiments[0].faults[0].after_bytes", "phase = \"response\" only");
  expect_error(compile(fault("reset", {{"after_bytes", integer(-1)}})),
               "experiments[0].faults[0].after_bytes", ">= 0");
}

// phase = data (TCP): Toxiproxy's reset_peer, `delay` after a direction's first bytes.
TEST(ResetKind, PhaseDataOnTcp) {
  auto data = compile(
      fault("reset",
            {{"phase", str("data")}, {"delay", str("500ms")}, {"direction", str("upstream")}}),
      config::Protocol::kTcp);
  ASSERT_TRUE(data.ok);
  const Primitive& p = data.experiment.faults[0].primitives[0];
  EXPECT_EQ(p.reset_point, ResetPoint::kData);
  EXPECT_EQ(p.amount, std::chrono::milliseconds(500));
  EXPECT_EQ(p.direction, Direction::kUpstream);
  Rng rng(1);
  Plan plan;
  apply(p, config::Protocol::kTcp, rng, plan, "reset", "e1");
  EXPECT_TRUE(plan.upstream_reset_on_data);
  EXPECT_FALSE(plan.downstream_reset_on_data);
  EXPECT_EQ(plan.reset_delay, std::chrono::milliseconds(500));
  expect_error(compile(fault("reset", {{"phase", str("data")}})), "experiments[0].faults[0].phase",
               "applies to tcp listeners only");
  expect_error(compile(fault("reset", {{"delay", str("1s")}}), config::Protocol::kTcp),
               "experiments[0].faults[0].delay", "phase = \"data\" only");
}

TEST(StallKind, DurationAndZeroMeansUntilMaxDelay) {
  auto r = compile(fault("stall", {{"duration", str("5s")}}));
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.experiment.faults[0].primitives[0].op, Op::kStall);
  EXPECT_EQ(r.experiment.faults[0].primitives[0].amount, 5s);
  EXPECT_TRUE(r.experiment.faults[0].terminal);
  auto forever = compile(fault("stall", {}));
  ASSERT_TRUE(forever.ok);
  EXPECT_EQ(forever.experiment.faults[0].primitives[0].amount, 30s);  // safety.max_delay
  expect_error(compile(fault("stall", {{"duration", str("31s")}})),
               "experiments[0].faults[0].duration", "exceeds safety.max_delay (30s)");
  expect_error(compile(fault("stall", {{"duration", str("x")}})),
               "experiments[0].faults[0].duration", "expected a duration");
}

TEST(BandwidthKind, RateAndDirection) {
  auto r = compile(fault("bandwidth", {{"rate", str("16KiB/s")}}));
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.experiment.faults[0].primitives[0].op, Op::kThrottle);
  EXPECT_EQ(r.experiment.faults[0].primitives[0].rate, 16u * 1024);
  EXPECT_EQ(r.experiment.faults[0].primitives[0].direction, Direction::kDownstream);
  EXPECT_EQ(r.experiment.faults[0].annotation, "bandwidth=16KiB/s@e1");
  expect_error(compile(fault("bandwidth", {})), "experiments[0].faults[0].rate", "missing key");
  expect_error(compile(fault("bandwidth", {{"rate", str("fast")}})),
               "experiments[0].faults[0].rate", "expected a rate like \"16KiB/s\"");
  expect_error(compile(fault("bandwidth", {{"rate", str("0B/s")}})),
               "experiments[0].faults[0].rate", "above 0");
  expect_error(
      compile(fault("bandwidth", {{"rate", str("1KiB/s")}, {"direction", str("sideways")}})),
      "experiments[0].faults[0].direction", "expected one of");
}

TEST(SlowCloseKind, DelayCapped) {
  auto r = compile(fault("slow_close", {{"delay", str("2s")}}));
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.experiment.faults[0].primitives[0].op, Op::kDelayClose);
  EXPECT_EQ(r.experiment.faults[0].primitives[0].amount, 2s);
  expect_error(compile(fault("slow_close", {})), "experiments[0].faults[0].delay", "missing key");
  expect_error(compile(fault("slow_close", {{"delay", str("1h")}})),
               "experiments[0].faults[0].delay", "exceeds safety.max_delay");
}

TEST(CpuKind, CoresAndLoad) {
  config::SafetyConfig safety;
  safety.max_cpu_cores = 2;
  auto r = compile(fault("cpu", {{"cores", floating(1.5)}, {"load", integer(50)}}),
                   config::Protocol::kHttp, safety);
  ASSERT_TRUE(r.ok);
  EXPECT_FALSE(r.experiment.faults[0].per_request);
  ASSERT_TRUE(r.experiment.faults[0].background);
  EXPECT_EQ(r.experiment.faults[0].background->stress, "cpu");
  EXPECT_DOUBLE_EQ(r.experiment.faults[0].background->amount, 1.5);    // cores
  EXPECT_DOUBLE_EQ(r.experiment.faults[0].background->intensity, 50);  // load
  EXPECT_DOUBLE_EQ(r.experiment.faults[0].background->cap, 2);         // safety.max_cpu_cores
  EXPECT_TRUE(r.experiment.has_background);
  EXPECT_FALSE(r.experiment.has_request_faults);
  auto defaults = compile(fault("cpu", {}));
  ASSERT_TRUE(defaults.ok);
  ASSERT_TRUE(defaults.experiment.faults[0].background);
  EXPECT_DOUBLE_EQ(defaults.experiment.faults[0].background->amount, 1);
  EXPECT_DOUBLE_EQ(defaults.experiment.faults[0].background->intensity, 100);

  expect_error(compile(fault("cpu", {{"cores", integer(2)}})), "experiments[0].faults[0].cores",
               "exceeds safety.max_cpu_cores (1)");
  expect_error(compile(fault("cpu", {{"cores", integer(0)}})), "experiments[0].faults[0].cores",
               "above 0");
  expect_error(compile(fault("cpu", {{"load", integer(0)}})), "experiments[0].faults[0].load",
               "1..100");
  expect_error(compile(fault("cpu", {{"load", integer(101)}})), "experiments[0].faults[0].load",
               "1..100");
  expect_error(compile(fault("cpu", {{"percentage", integer(50)}})),
               "experiments[0].faults[0].percentage", "does not apply");
}

TEST(ExperimentCompile, TcpListenersRejectRequestMatchers) {
  auto config = make_config({}, {listener("db", config::Protocol::kTcp)});
  auto e = experiment("e1", {fault("latency", {{"delay", str("1s")}})});
  e.match.paths = {"/x"};
  e.trigger = config::Trigger::kHeader;
  CompiledExperiment out;
  config::Diagnostics diags;
  EXPECT_FALSE(compile_experiment(e, *config, Source::kConfig, out, diags));
  ASSERT_EQ(diags.items().size(), 2u);
  EXPECT_EQ(diags.items()[0].path, "experiments[0].match.paths");
  EXPECT_EQ(diags.items()[1].path, "experiments[0].trigger");
}

TEST(ExperimentCompile, UnknownListenerNamed) {
  auto config = make_config({});
  auto e = experiment("e1", {fault("latency", {{"delay", str("1s")}})});
  e.listeners = {"inbound", "outbound"};
  CompiledExperiment out;
  config::Diagnostics diags;
  EXPECT_FALSE(compile_experiment(e, *config, Source::kConfig, out, diags));
  ASSERT_EQ(diags.items().size(), 1u);
  EXPECT_EQ(diags.items()[0].path, "experiments[0].listeners[1]");
  EXPECT_NE(diags.items()[0].message.find("unknown listener \"outbound\""), std::string::npos);
}

TEST(ExperimentCompile, ConnectResetCannotUseRequestMatchers) {
  auto config = make_config({});
  auto e = experiment("e1", {fault("reset", {{"phase", str("connect")}})});
  e.match.methods = {"POST"};
  CompiledExperiment out;
  config::Diagnostics diags;
  EXPECT_FALSE(compile_experiment(e, *config, Source::kConfig, out, diags));
  ASSERT_EQ(diags.items().size(), 1u);
  EXPECT_EQ(diags.items()[0].path, "experiments[0].faults[0].phase");
}

TEST(ExperimentCompile, ApiPathsAreRelative) {
  auto config = make_config({});
  auto e = experiment("e1", {fault("latency", {{"delay", str("x")}})}, "");
  config::Diagnostics diags;
  EXPECT_FALSE(validate_api_experiment(*config, e, diags));
  ASSERT_EQ(diags.items().size(), 1u);
  EXPECT_EQ(diags.items()[0].path, "faults[0].delay");
}

}  // namespace
}  // namespace faultline::faults

namespace faultline::faults {
namespace {

// End to end with the real loader: `faultline check` prints FILE:LINE:COL for fault keys.
TEST(ValidateConfig, FaultErrorsCarryFilePositions) {
  const char* toml = R"([[listeners]]
name = "inbound"
listen = "127.0.0.1:15001"
upstream = "127.0.0.1:8080"

[[experiments]]
name = "checkout-latency"
[[experiments.faults]]
type = "latency"
delay = "soon"
[[experiments.faults]]
type = "teleport"
)";
  config::Diagnostics diags("faultline.toml");
  auto config = config::load_string(toml, "faultline.toml", diags);
  ASSERT_TRUE(config.has_value());
  ASSERT_TRUE(diags.ok());
  EXPECT_FALSE(validate_config(*config, diags));
  ASSERT_EQ(diags.items().size(), 2u);
  // The column is whatever the loader records for the key/value (config/'s choice).
  const std::string line = diags.items()[0].format();
  EXPECT_EQ(line.rfind("faultline.toml:10:", 0), 0u) << line;
  EXPECT_NE(line.find(": experiments[0].faults[0].delay: expected a duration like \"250ms\" or "
                      "\"2s\", got \"soon\""),
            std::string::npos)
      << line;
  EXPECT_EQ(diags.items()[1].path, "experiments[0].faults[1].type");
  EXPECT_EQ(diags.items()[1].pos.line, 12);
}

TEST(ValidateConfig, ValidFileBuildsASnapshot) {
  const char* toml = R"([[listeners]]
name = "inbound"
listen = "127.0.0.1:15001"
upstream = "127.0.0.1:8080"

[[experiments]]
name = "checkout-errors"
[experiments.match]
paths = ["/api/checkout"]
[[experiments.faults]]
type = "abort"
status = 503
headers = { "retry-after" = "1" }
percentage = 10.0
)";
  config::Diagnostics diags("faultline.toml");
  auto config = config::load_string(toml, "faultline.toml", diags);
  ASSERT_TRUE(config.has_value());
  auto shared = std::make_shared<const config::Config>(std::move(*config));
  auto snapshot =
      build_snapshot(shared, {}, nullptr, std::make_shared<RunState>(1), TimePoint{}, diags);
  ASSERT_NE(snapshot, nullptr);
  ASSERT_EQ(snapshot->experiments.size(), 1u);
  EXPECT_DOUBLE_EQ(snapshot->experiments[0].faults[0].percentage, 10.0);
}

TEST(BlackholeKind, DirectionAndCloseAfterOnTcpOnly) {
  auto r = compile(fault("blackhole", {{"close_after", str("2s")}}), config::Protocol::kTcp);
  ASSERT_TRUE(r.ok);
  const Primitive& p = r.experiment.faults[0].primitives[0];
  EXPECT_EQ(p.op, Op::kBlackhole);
  EXPECT_EQ(p.amount, 2s);
  EXPECT_EQ(p.direction, Direction::kBoth);
  EXPECT_EQ(r.experiment.faults[0].annotation, "blackhole=both@e1");
  auto never =
      compile(fault("blackhole", {{"direction", str("upstream")}}), config::Protocol::kTcp);
  ASSERT_TRUE(never.ok);
  EXPECT_EQ(never.experiment.faults[0].primitives[0].amount, 0s);
  EXPECT_EQ(never.experiment.faults[0].primitives[0].direction, Direction::kUpstream);
  expect_error(compile(fault("blackhole", {})), "experiments[0].faults[0].type",
               "tcp listeners only");
  expect_error(compile(fault("blackhole", {{"close_after", str("1h")}}), config::Protocol::kTcp),
               "experiments[0].faults[0].close_after", "exceeds safety.max_delay");
}

TEST(LimitDataKind, BytesRequiredAndPositive) {
  auto r = compile(fault("limit_data", {{"bytes", integer(500)}}), config::Protocol::kTcp);
  ASSERT_TRUE(r.ok);
  const Primitive& p = r.experiment.faults[0].primitives[0];
  EXPECT_EQ(p.op, Op::kLimitData);
  EXPECT_EQ(p.after_bytes, 500u);
  EXPECT_EQ(p.direction, Direction::kDownstream);
  expect_error(compile(fault("limit_data", {}), config::Protocol::kTcp),
               "experiments[0].faults[0].bytes", "missing key");
  expect_error(compile(fault("limit_data", {{"bytes", integer(0)}}), config::Protocol::kTcp),
               "experiments[0].faults[0].bytes", ">= 1");
  expect_error(compile(fault("limit_data", {{"bytes", integer(5)}})),
               "experiments[0].faults[0].type", "tcp listeners only");
}

TEST(SliceKind, SizesAndDelay) {
  auto r = compile(fault("slice", {{"average_size", integer(64)},
                                   {"size_variation", integer(16)},
                                   {"delay", str("5ms")}}),
                   config::Protocol::kTcp);
  ASSERT_TRUE(r.ok);
  const Primitive& p = r.experiment.faults[0].primitives[0];
  EXPECT_EQ(p.op, Op::kSlice);
  EXPECT_EQ(p.after_bytes, 64u);
  EXPECT_EQ(p.size_variation, 16u);
  EXPECT_EQ(p.amount, 5ms);
  expect_error(compile(fault("slice", {}), config::Protocol::kTcp),
               "experiments[0].faults[0].average_size", "missing key");
  expect_error(
      compile(fault("slice", {{"average_size", integer(8)}, {"size_variation", integer(8)}}),
              config::Protocol::kTcp),
      "experiments[0].faults[0].size_variation", "below average_size");
}

TEST(TcpStreamPrimitives, FoldIntoThePlan) {
  Rng rng(1);
  Plan plan;
  Primitive hole;
  hole.op = Op::kBlackhole;
  hole.direction = Direction::kDownstream;
  hole.amount = 3s;
  apply(hole, config::Protocol::kTcp, rng, plan, "blackhole", "e1");
  Primitive hole2 = hole;
  hole2.amount = 1s;
  apply(hole2, config::Protocol::kTcp, rng, plan, "blackhole", "e2");
  EXPECT_FALSE(plan.upstream_blackhole);
  EXPECT_TRUE(plan.downstream_blackhole);
  EXPECT_EQ(plan.blackhole_close_after, 1s) << "the earliest close wins";
  Primitive limit;
  limit.op = Op::kLimitData;
  limit.direction = Direction::kBoth;
  limit.after_bytes = 100;
  apply(limit, config::Protocol::kTcp, rng, plan, "limit_data", "e1");
  limit.after_bytes = 50;
  limit.direction = Direction::kUpstream;
  apply(limit, config::Protocol::kTcp, rng, plan, "limit_data", "e2");
  EXPECT_EQ(plan.upstream_limit, 50u);
  EXPECT_EQ(plan.downstream_limit, 100u);
  Primitive slice;
  slice.op = Op::kSlice;
  slice.direction = Direction::kDownstream;
  slice.after_bytes = 10;
  slice.amount = 2ms;
  apply(slice, config::Protocol::kTcp, rng, plan, "slice", "e1");
  EXPECT_EQ(plan.downstream_slice.average, 10u);
  EXPECT_EQ(plan.upstream_slice.average, 0u);
  EXPECT_FALSE(plan.empty());
  EXPECT_TRUE(Plan{}.empty());
}

}  // namespace
}  // namespace faultline::faults
