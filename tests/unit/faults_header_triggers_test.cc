// Header triggers (SPEC §3): parsing through the catalogue kinds, every 400 message, gating by
// token and allow_from, x-chaos-percentage, opt-in experiments, annotation, counters.
#include <gtest/gtest.h>

#include "faults/catalog.h"
#include "faults/header_triggers.h"
#include "faults/views.h"
#include "faults_fixtures.h"

namespace faultline::faults {
namespace {

using namespace testing;
using namespace std::chrono_literals;

std::shared_ptr<config::Config> triggers_config(std::vector<config::ExperimentConfig> e = {}) {
  auto config = make_config(std::move(e));
  config->header_triggers.enabled = true;
  return config;
}

config::SafetyConfig safety(config::Duration max_delay = 30s) {
  config::SafetyConfig out;
  out.max_delay = max_delay;
  return out;
}

bool compile_headers(std::vector<HeaderView> headers, HeaderFaults& faults, std::string& error) {
  return compile_header_faults(scan_chaos_headers(headers), safety(), faults, error);
}

std::string bad_request(std::vector<HeaderView> headers, config::Duration max_delay = 30s) {
  const ChaosHeaders raw = scan_chaos_headers(headers);
  HeaderFaults faults;
  std::string error;
  if (compile_header_faults(raw, safety(max_delay), faults, error)) return "";
  return error;
}

// The one primitive the header fault of `kind` compiled to.
const Primitive& primitive_of(const HeaderFaults& faults, std::string_view kind) {
  for (const CompiledFault& fault : faults.faults)
    if (kind_name(fault.kind) == kind && fault.primitives.size() == 1) return fault.primitives[0];
  ADD_FAILURE() << "no " << kind << " fault";
  static const Primitive none;
  return none;
}

TEST(ChaosHeaders, IsChaosHeader) {
  EXPECT_TRUE(is_chaos_header("x-chaos-delay"));
  EXPECT_TRUE(is_chaos_header("X-Chaos-Anything"));
  EXPECT_FALSE(is_chaos_header("x-chaos"));
  EXPECT_FALSE(is_chaos_header("x-chaotic"));
  EXPECT_FALSE(is_chaos_header("traceparent"));
}

TEST(ChaosHeaders, ParsesEveryValue) {
  const std::vector<HeaderView> headers = {
      {"X-Chaos-Delay", "250"},       {"x-chaos-jitter", "10ms"}, {"x-chaos-bandwidth", "16KiB/s"},
      {"x-chaos-percentage", "12.5"}, {"x-chaos-abort", " 429 "}, {"x-chaos-unknown", "?"}};
  HeaderFaults faults;
  std::string error;
  ASSERT_TRUE(compile_headers(headers, faults, error)) << error;
  ASSERT_EQ(faults.faults.size(), 3u);  // latency, bandwidth, then the terminal abort
  EXPECT_EQ(primitive_of(faults, "latency").amount, 250ms);
  EXPECT_EQ(primitive_of(faults, "latency").jitter, 10ms);
  EXPECT_EQ(primitive_of(faults, "bandwidth").rate, 16u * 1024);
  EXPECT_DOUBLE_EQ(faults.percentage, 12.5);
  ASSERT_TRUE(primitive_of(faults, "abort").response);
  EXPECT_EQ(primitive_of(faults, "abort").response->status, 429);
  EXPECT_EQ(primitive_of(faults, "abort").response->body,
            "fault injected by faultline (x-chaos-abort)\n");
  EXPECT_EQ(faults.faults.back().annotation, "abort=429@header");
  HeaderFaults reset;
  ASSERT_TRUE(compile_headers({{"x-chaos-reset", "Response"}}, reset, error)) << error;
  EXPECT_EQ(primitive_of(reset, "reset").reset_point, ResetPoint::kResponse);
  EXPECT_EQ(primitive_of(reset, "reset").after_bytes, 0u);
  // Headers narrow the kind's choices: phase "connect" is decided at accept, not per request.
  EXPECT_EQ(bad_request({{"x-chaos-reset", "connect"}}),
            "x-chaos-reset: expected \"request\" or \"response\", got \"connect\"");
}

// A header fault is compiled by its kind: the kind's defaults apply (stall 0 = max_delay,
// jitter alone is a delay of 0 plus jitter) and its annotation names the source "header".
TEST(ChaosHeaders, CompiledByTheCatalogueKinds) {
  HeaderFaults stall;
  std::string error;
  ASSERT_TRUE(compile_headers({{"x-chaos-stall", "0"}}, stall, error)) << error;
  ASSERT_EQ(stall.faults.size(), 1u);
  EXPECT_EQ(stall.faults[0].kind, kind_index("stall"));
  EXPECT_TRUE(stall.faults[0].terminal);
  EXPECT_EQ(primitive_of(stall, "stall").amount, 30s);
  EXPECT_EQ(stall.faults[0].annotation, "stall=30s@header");
  HeaderFaults jitter;
  ASSERT_TRUE(compile_headers({{"x-chaos-jitter", "40"}}, jitter, error)) << error;
  EXPECT_EQ(primitive_of(jitter, "latency").amount, 0ms);
  EXPECT_EQ(primitive_of(jitter, "latency").jitter, 40ms);
  EXPECT_EQ(bad_request({{"x-chaos-jitter", "40s"}}),
            "x-chaos-delay: 0s plus x-chaos-jitter 40s exceeds safety.max_delay (30s)");
  HeaderFaults bandwidth;
  ASSERT_TRUE(compile_headers({{"x-chaos-bandwidth", "1KiB/s"}}, bandwidth, error)) << error;
  EXPECT_EQ(primitive_of(bandwidth, "bandwidth").direction, Direction::kDownstream);
  EXPECT_EQ(bandwidth.faults[0].annotation, "bandwidth=1KiB/s@header");
}

TEST(ChaosHeaders, EveryErrorNamesTheHeaderAndTheExpectedForm) {
  EXPECT_EQ(bad_request({{"x-chaos-delay", "abc"}}),
            "x-chaos-delay: expected a duration like \"250ms\" or milliseconds, got \"abc\"");
  EXPECT_EQ(bad_request({{"x-chaos-jitter", "-5"}}),
            "x-chaos-jitter: expected a duration like \"100ms\" or milliseconds, got \"-5\"");
  EXPECT_EQ(bad_request({{"x-chaos-stall", "forever"}}),
            "x-chaos-stall: expected a duration like \"5s\" or milliseconds, got \"forever\"");
  EXPECT_EQ(bad_request({{"x-chaos-abort", "abc"}}),
            "x-chaos-abort: expected an HTTP status 200..599, got \"abc\"");
  EXPECT_EQ(bad_request({{"x-chaos-abort", "199"}}),
            "x-chaos-abort: expected an HTTP status 200..599, got \"199\"");
  EXPECT_EQ(bad_request({{"x-chaos-abort", "600"}}),
            "x-chaos-abort: expected an HTTP status 200..599, got \"600\"");
  EXPECT_EQ(bad_request({{"x-chaos-abort", "503x"}}),
            "x-chaos-abort: expected an HTTP status 200..599, got \"503x\"");
  EXPECT_EQ(bad_request({{"x-chaos-reset", "now"}}),
            "x-chaos-reset: expected \"request\" or \"response\", got \"now\"");
  EXPECT_EQ(bad_request({{"x-chaos-bandwidth", "fast"}}),
            "x-chaos-bandwidth: expected a rate above 0 like \"16KiB/s\", got \"fast\"");
  EXPECT_EQ(bad_request({{"x-chaos-bandwidth", "0B/s"}}),
            "x-chaos-bandwidth: expected a rate above 0 like \"16KiB/s\", got \"0B/s\"");
  EXPECT_EQ(bad_request({{"x-chaos-percentage", "101"}}),
            "x-chaos-percentage: expected a number 0..100, got \"101\"");
  EXPECT_EQ(bad_request({{"x-chaos-percentage", "half"}}),
            "x-chaos-percentage: expected a number 0..100, got \"half\"");
  EXPECT_EQ(bad_request({{"x-chaos-percentage", "nan"}}),
            "x-chaos-percentage: expected a number 0..100, got \"nan\"");
  EXPECT_EQ(bad_request({{"x-chaos-delay", "31s"}}),
            "x-chaos-delay: 31s exceeds safety.max_delay (30s)");
  EXPECT_EQ(bad_request({{"x-chaos-delay", "25s"}, {"x-chaos-jitter", "10s"}}),
            "x-chaos-delay: 25s plus x-chaos-jitter 10s exceeds safety.max_delay (30s)");
  EXPECT_EQ(bad_request({{"x-chaos-stall", "1m"}}),
            "x-chaos-stall: 1m exceeds safety.max_delay (30s)");
  EXPECT_EQ(bad_request({{"x-chaos-abort", "503"}, {"x-chaos-stall", "1s"}}),
            "x-chaos-abort, x-chaos-reset, x-chaos-stall: each ends the request; send only one");
  EXPECT_EQ(bad_request({{"x-chaos-delay", std::string(100, 'z')}}),
            "x-chaos-delay: expected a duration like \"250ms\" or milliseconds, got \"" +
                std::string(64, 'z') + "...\"");
}

// Issue 8 item 4: the fuzzer found delay + jitter wrapping around int64 under UBSan and the
// sum slipping under safety.max_delay (a request held for the whole max_delay instead of 400).
TEST(ChaosHeaders, HugeDelayPlusJitterIsRefusedNotWrapped) {
  EXPECT_EQ(bad_request({{"x-chaos-delay", "9223372036854775000"}, {"x-chaos-jitter", "1000"}}),
            "x-chaos-delay: expected a duration like \"250ms\" or milliseconds, got "
            "\"9223372036854775000\"");
  EXPECT_EQ(bad_request({{"x-chaos-delay", "876600h"}, {"x-chaos-jitter", "876600h"}}),
            "x-chaos-delay: 876600h plus x-chaos-jitter 876600h exceeds safety.max_delay (30s)");
  EXPECT_EQ(bad_request({{"x-chaos-delay", "20s"}, {"x-chaos-jitter", "20s"}}),
            "x-chaos-delay: 20s plus x-chaos-jitter 20s exceeds safety.max_delay (30s)");
  EXPECT_EQ(bad_request({{"x-chaos-jitter", "9223372036854775807"}}),
            "x-chaos-jitter: expected a duration like \"100ms\" or milliseconds, got "
            "\"9223372036854775807\"");
  EXPECT_EQ(bad_request({{"x-chaos-delay", "10s"}, {"x-chaos-jitter", "20s"}}), "");
}

TEST(ChaosHeaders, BandwidthUnitsAreCaseInsensitiveForBinaryUnits) {
  HeaderFaults faults;
  std::string error;
  ASSERT_TRUE(compile_headers({{"x-chaos-bandwidth", "10kib/s"}}, faults, error)) << error;
  EXPECT_EQ(primitive_of(faults, "bandwidth").rate, 10u * 1024);
  EXPECT_EQ(bad_request({{"x-chaos-bandwidth", "10kb/s"}}),
            "x-chaos-bandwidth: expected a rate above 0 like \"16KiB/s\", got \"10kb/s\" "
            "(unknown unit \"kb\" (a lowercase \"b\" means bits; use B, KiB, MiB, GiB, KB, MB "
            "or GB for bytes))");
}

TEST(ChaosHeaders, OptInListAndTokenCompare) {
  const std::vector<HeaderView> headers = {{"x-chaos-experiment", "a, beta-test ,c"},
                                           {"X-Chaos-Experiment", "d"}};
  EXPECT_TRUE(opted_in(headers, "beta-test"));
  EXPECT_TRUE(opted_in(headers, "d"));
  EXPECT_FALSE(opted_in(headers, "beta"));
  EXPECT_TRUE(token_equals("s3cret", "s3cret"));
  EXPECT_FALSE(token_equals("s3cre", "s3cret"));
  EXPECT_FALSE(token_equals("s3cret!", "s3cret"));
  EXPECT_FALSE(token_equals("", "s3cret"));
}

TEST(HeaderTriggers, DisabledByDefault) {
  Engine engine;
  ASSERT_TRUE(engine.build(make_config({})));
  Rng rng(1);
  Request r;
  r.headers = {{"x-chaos-delay", "100"}};
  EXPECT_TRUE(decide(*engine.snapshot, r.head(), rng, t0(), 0).empty());
}

TEST(HeaderTriggers, InjectAndAnnotate) {
  Engine engine;
  ASSERT_TRUE(engine.build(triggers_config()));
  Rng rng(1);
  Request r;
  r.headers = {
      {"x-chaos-delay", "500ms"}, {"x-chaos-abort", "503"}, {"x-chaos-bandwidth", "1KiB/s"}};
  const Plan plan = decide(*engine.snapshot, r.head(), rng, t0(), 0);
  EXPECT_EQ(plan.request_delay, 500ms);
  EXPECT_EQ(plan.terminal, Terminal::kRespond);
  EXPECT_EQ(plan.respond.status, 503);
  EXPECT_EQ(plan.downstream_rate, 1024u);
  EXPECT_EQ(plan.injected, "latency=500ms@header, bandwidth=1KiB/s@header, abort=503@header");
  const HeaderTotals totals = header_totals(*engine.run);
  EXPECT_EQ(totals.injected[kind_index("latency")], 1u);
  EXPECT_EQ(totals.injected[kind_index("abort")], 1u);

  r.headers = {{"x-chaos-reset", "request"}};
  const Plan reset = decide(*engine.snapshot, r.head(), rng, t0(), 0);
  EXPECT_EQ(reset.terminal, Terminal::kReset);
  EXPECT_EQ(reset.reset_point, ResetPoint::kRequest);
  r.headers = {{"x-chaos-stall", "2s"}};
  const Plan stall = decide(*engine.snapshot, r.head(), rng, t0(), 0);
  EXPECT_EQ(stall.terminal, Terminal::kStall);
  EXPECT_EQ(stall.stall_for, 2s);
  EXPECT_EQ(stall.injected, "stall=2s@header");
}

TEST(HeaderTriggers, AnnotationOffLeavesInjectedEmpty) {
  auto config = triggers_config();
  config->header_triggers.annotate = false;
  Engine engine;
  ASSERT_TRUE(engine.build(config));
  Rng rng(1);
  Request r;
  r.headers = {{"x-chaos-delay", "5"}};
  const Plan plan = decide(*engine.snapshot, r.head(), rng, t0(), 0);
  EXPECT_EQ(plan.request_delay, 5ms);
  EXPECT_TRUE(plan.injected.empty());
}

TEST(HeaderTriggers, BadValueIsABadRequestAndCounted) {
  Engine engine;
  ASSERT_TRUE(engine.build(triggers_config({experiment("e1", {fault("abort", {})})})));
  Rng rng(1);
  Request r;
  r.headers = {{"x-chaos-delay", "abc"}};
  const Plan plan = decide(*engine.snapshot, r.head(), rng, t0(), 0);
  EXPECT_EQ(plan.bad_request,
            "x-chaos-delay: expected a duration like \"250ms\" or milliseconds, got \"abc\"");
  EXPECT_EQ(plan.terminal, Terminal::kNone);  // experiments are not consulted
  EXPECT_FALSE(plan.empty());
  EXPECT_EQ(header_totals(*engine.run).rejected[static_cast<size_t>(RejectReason::kInvalid)], 1u);
}

TEST(HeaderTriggers, WrongOrMissingTokenIsIgnoredAndCounted) {
  auto config = triggers_config();
  config->header_triggers.token = "s3cret";
  Engine engine;
  ASSERT_TRUE(engine.build(config));
  Rng rng(1);
  Request r;
  r.headers = {{"x-chaos-delay", "100"}};
  EXPECT_TRUE(decide(*engine.snapshot, r.head(), rng, t0(), 0).empty());
  r.headers = {{"x-chaos-delay", "100"}, {"x-chaos-token", "guess"}};
  EXPECT_TRUE(decide(*engine.snapshot, r.head(), rng, t0(), 0).empty());
  r.headers = {{"x-chaos-delay", "bogus"}, {"x-chaos-token", "guess"}};  // ignored, not 400
  EXPECT_TRUE(decide(*engine.snapshot, r.head(), rng, t0(), 0).empty());
  EXPECT_EQ(header_totals(*engine.run).rejected[static_cast<size_t>(RejectReason::kToken)], 3u);
  r.headers = {{"x-chaos-delay", "100"}, {"X-Chaos-Token", "s3cret"}};
  EXPECT_EQ(decide(*engine.snapshot, r.head(), rng, t0(), 0).request_delay, 100ms);
  Request plain;  // no chaos headers: nothing to reject
  (void)decide(*engine.snapshot, plain.head(), rng, t0(), 0);
  EXPECT_EQ(header_totals(*engine.run).rejected[static_cast<size_t>(RejectReason::kToken)], 3u);
}

TEST(HeaderTriggers, ClientsOutsideAllowFromAreIgnoredAndCounted) {
  auto config = triggers_config();
  config->header_triggers.allow_from = {*config::parse_cidr("10.0.0.0/8")};
  Engine engine;
  ASSERT_TRUE(engine.build(config));
  Rng rng(1);
  Request r;
  r.headers = {{"x-chaos-abort", "500"}};
  r.peer = ipv4("192.168.0.1");
  EXPECT_TRUE(decide(*engine.snapshot, r.head(), rng, t0(), 0).empty());
  EXPECT_EQ(header_totals(*engine.run).rejected[static_cast<size_t>(RejectReason::kSource)], 1u);
  r.peer = ipv4("10.9.9.9");
  EXPECT_EQ(decide(*engine.snapshot, r.head(), rng, t0(), 0).respond.status, 500);
}

TEST(HeaderTriggers, PercentageHeaderSamples) {
  Engine engine;
  ASSERT_TRUE(engine.build(triggers_config()));
  Rng rng(9);
  Request r;
  r.headers = {{"x-chaos-abort", "500"}, {"x-chaos-percentage", "25"}};
  int hits = 0;
  for (int i = 0; i < 10000; ++i)
    hits += decide(*engine.snapshot, r.head(), rng, t0(), 0).terminal == Terminal::kRespond;
  EXPECT_GT(hits, 2300);  // sd 43
  EXPECT_LT(hits, 2700);
  r.headers = {{"x-chaos-abort", "500"}, {"x-chaos-percentage", "0"}};
  EXPECT_TRUE(decide(*engine.snapshot, r.head(), rng, t0(), 0).empty());
}

TEST(HeaderTriggers, HeaderTriggeredExperimentsNeedTheOptIn) {
  auto e = experiment("beta", {fault("latency", {{"delay", str("50ms")}})});
  e.trigger = config::Trigger::kHeader;
  auto config = triggers_config({e});
  config->header_triggers.token = "t";
  Engine engine;
  ASSERT_TRUE(engine.build(config));
  Rng rng(1);
  Request r;
  EXPECT_TRUE(decide(*engine.snapshot, r.head(), rng, t0(), 0).empty());
  r.headers = {{"x-chaos-experiment", "alpha,beta"}};  // no token: ignored
  EXPECT_TRUE(decide(*engine.snapshot, r.head(), rng, t0(), 0).empty());
  r.headers = {{"x-chaos-experiment", "alpha,beta"}, {"x-chaos-token", "t"}};
  const Plan plan = decide(*engine.snapshot, r.head(), rng, t0(), 0);
  EXPECT_EQ(plan.request_delay, 50ms);
  EXPECT_EQ(plan.injected, "latency=50ms@beta");
}

TEST(HeaderTriggers, HeaderFaultsComeFirstAndTheirTerminalWins) {
  Engine engine;
  ASSERT_TRUE(engine.build(
      triggers_config({experiment("checkout-errors", {
                                                         fault("abort", {{"status", integer(503)}}),
                                                     })})));
  Rng rng(1);
  Request r;
  r.headers = {{"x-chaos-delay", "500ms"}, {"x-chaos-reset", "response"}};
  const Plan plan = decide(*engine.snapshot, r.head(), rng, t0(), 0);
  EXPECT_EQ(plan.terminal, Terminal::kReset);
  EXPECT_EQ(plan.injected, "latency=500ms@header, reset=response@header");
  r.headers = {{"x-chaos-delay", "500ms"}};
  EXPECT_EQ(decide(*engine.snapshot, r.head(), rng, t0(), 0).injected,
            "latency=500ms@header, abort=503@checkout-errors");
}

}  // namespace
}  // namespace faultline::faults
