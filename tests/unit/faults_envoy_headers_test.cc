// Envoy's fault headers (SPEC §10.1): Envoy's parsing (first value, SimpleAtoi-like integers,
// invalid values ignored and counted), percentage numerators capped by the configuration,
// independent draws, the gates of [triggers.headers], composition with x-chaos-*, annotation.
#include <gtest/gtest.h>

#include <cmath>

#include "faults/catalog.h"
#include "faults/envoy_headers.h"
#include "faults/views.h"
#include "faults_fixtures.h"

namespace faultline::faults {
namespace {

using namespace testing;
using namespace std::chrono_literals;

std::shared_ptr<config::Config> envoy_config(std::vector<config::ExperimentConfig> e = {}) {
  auto config = make_config(std::move(e));
  config->envoy_headers.enabled = true;
  return config;
}

EnvoyFaultRequest parse(std::vector<HeaderView> headers, EnvoyHeaderSettings settings = {}) {
  return parse_envoy_headers(scan_envoy_headers(headers, settings.fault_prefix), settings);
}

uint64_t envoy_invalid(const Engine& engine) {
  return header_totals(*engine.run).rejected[static_cast<size_t>(RejectReason::kEnvoyInvalid)];
}

TEST(EnvoyHeaders, RecognisesThePrefixAnyCase) {
  EXPECT_TRUE(is_envoy_fault_header("x-envoy-fault-delay-request", "x-envoy-fault-"));
  EXPECT_TRUE(is_envoy_fault_header("X-Envoy-Fault-Anything", "x-envoy-fault-"));
  EXPECT_FALSE(is_envoy_fault_header("x-envoy-upstream-service-time", "x-envoy-fault-"));
  EXPECT_FALSE(is_envoy_fault_header("x-envoy-fault", "x-envoy-fault-"));
  const config::EnvoyHeadersConfig custom{true, "x-mesh", 100, 100, 100, true};
  EXPECT_EQ(envoy_header_settings(custom).fault_prefix, "x-mesh-fault-");
}

TEST(EnvoyHeaders, ParsesEveryHeader) {
  const EnvoyFaultRequest r = parse({{"X-Envoy-Fault-Delay-Request", "250"},
                                     {"x-envoy-fault-delay-request-percentage", "40"},
                                     {"x-envoy-fault-abort-request", " 503 "},
                                     {"x-envoy-fault-abort-request-percentage", "+25"},
                                     {"x-envoy-fault-abort-grpc-request", "14"},
                                     {"x-envoy-fault-throughput-response", "16"},
                                     {"x-envoy-fault-throughput-response-percentage", "75"}});
  EXPECT_EQ(r.delay_ms, 250u);
  EXPECT_EQ(r.delay_percentage, 40.0);
  EXPECT_EQ(r.http_status, 503);
  EXPECT_EQ(r.abort_percentage, 25.0);
  EXPECT_EQ(r.grpc_status, 14);
  EXPECT_EQ(r.kib_per_second, 16u);
  EXPECT_EQ(r.throughput_percentage, 75.0);
  EXPECT_EQ(r.invalid, 0u);
}

TEST(EnvoyHeaders, OnlyTheFirstValueCounts) {
  const EnvoyFaultRequest r =
      parse({{"x-envoy-fault-abort-request", "503"}, {"x-envoy-fault-abort-request", "418"}});
  EXPECT_EQ(r.http_status, 503);
  // A bad first value is not rescued by a good second one.
  const EnvoyFaultRequest bad =
      parse({{"x-envoy-fault-delay-request", "soon"}, {"x-envoy-fault-delay-request", "100"}});
  EXPECT_FALSE(bad.delay_ms);
  EXPECT_EQ(bad.invalid, 1u);
}

TEST(EnvoyHeaders, InvalidValuesAreIgnoredOneByOne) {
  for (const char* value : {"250ms", "1.5", "-5", "", "abc", "99999999999999999999999"}) {
    const EnvoyFaultRequest r = parse({{"x-envoy-fault-delay-request", value}});
    EXPECT_FALSE(r.delay_ms) << value;
    EXPECT_EQ(r.invalid, 1u) << value;
  }
  for (const char* status : {"199", "600", "0", "5xx"}) {
    const EnvoyFaultRequest r = parse({{"x-envoy-fault-abort-request", status}});
    EXPECT_FALSE(r.http_status) << status;
    EXPECT_EQ(r.invalid, 1u) << status;
  }
  EXPECT_FALSE(parse({{"x-envoy-fault-abort-grpc-request", "17"}}).grpc_status);
  EXPECT_FALSE(parse({{"x-envoy-fault-throughput-response", "0"}}).kib_per_second);
  EXPECT_EQ(parse({{"x-envoy-fault-throughput-response", "0"}}).invalid, 1u);
  // A delay of 0 is valid and means no delay.
  const EnvoyFaultRequest zero = parse({{"x-envoy-fault-delay-request", "0"}});
  EXPECT_FALSE(zero.delay_ms);
  EXPECT_EQ(zero.invalid, 0u);
  // An invalid percentage falls back to the configured one, and is counted.
  const EnvoyFaultRequest pct = parse(
      {{"x-envoy-fault-abort-request", "503"}, {"x-envoy-fault-abort-request-percentage", "half"}});
  EXPECT_EQ(pct.http_status, 503);
  EXPECT_EQ(pct.abort_percentage, 100.0);
  EXPECT_EQ(pct.invalid, 1u);
}

TEST(EnvoyHeaders, PercentageNumeratorIsCappedByTheConfiguredPercentage) {
  EnvoyHeaderSettings settings;
  settings.abort_percentage = 10;
  settings.delay_percentage = 12.5;
  const EnvoyFaultRequest r = parse({{"x-envoy-fault-abort-request", "503"},
                                     {"x-envoy-fault-abort-request-percentage", "80"},
                                     {"x-envoy-fault-delay-request", "5"},
                                     {"x-envoy-fault-delay-request-percentage", "3"}},
                                    settings);
  EXPECT_EQ(r.abort_percentage, 10.0);
  EXPECT_EQ(r.delay_percentage, 3.0);
  // Without a percentage header, the configured percentage applies.
  EXPECT_EQ(parse({{"x-envoy-fault-delay-request", "5"}}, settings).delay_percentage, 12.5);
}

TEST(EnvoyHeaders, DisabledByDefault) {
  Engine engine;
  ASSERT_TRUE(engine.build(make_config({})));
  Rng rng(1);
  Request r;
  r.headers = {{"x-envoy-fault-abort-request", "503"}};
  EXPECT_TRUE(decide(*engine.snapshot, r.head(), rng, t0(), 0).empty());
}

TEST(EnvoyHeaders, InjectAnnotateAndCountAsEnvoyHeader) {
  Engine engine;
  ASSERT_TRUE(engine.build(envoy_config()));
  Rng rng(1);
  Request r;
  r.headers = {{"x-envoy-fault-delay-request", "500"},
               {"x-envoy-fault-abort-request", "503"},
               {"x-envoy-fault-throughput-response", "2"}};
  const Plan plan = decide(*engine.snapshot, r.head(), rng, t0(), 0);
  EXPECT_EQ(plan.request_delay, 500ms);
  EXPECT_EQ(plan.terminal, Terminal::kRespond);
  EXPECT_EQ(plan.respond.status, 503);
  EXPECT_EQ(plan.respond.body, "fault filter abort");
  EXPECT_EQ(plan.downstream_rate, 2048u);
  EXPECT_EQ(plan.upstream_rate, 0u);
  EXPECT_EQ(plan.injected,
            "bandwidth=2KiB/s@envoy-header, latency=500ms@envoy-header, abort=503@envoy-header");
  ASSERT_EQ(plan.applied.size(), 3u);
  for (const AppliedFault& applied : plan.applied)
    EXPECT_EQ(applied.experiment, kEnvoyHeaderSource);
  const HeaderTotals envoy = envoy_header_totals(*engine.run);
  EXPECT_EQ(envoy.injected[kind_index("latency")], 1u);
  EXPECT_EQ(envoy.injected[kind_index("abort")], 1u);
  EXPECT_EQ(envoy.injected[kind_index("bandwidth")], 1u);
  EXPECT_EQ(header_totals(*engine.run).injected[kind_index("abort")], 0u);  // not "header"
}

TEST(EnvoyHeaders, InvalidValuesAreNotA400ButCounted) {
  Engine engine;
  ASSERT_TRUE(engine.build(envoy_config()));
  Rng rng(1);
  Request r;
  r.headers = {{"x-envoy-fault-abort-request", "700"},
               {"x-envoy-fault-delay-request", "soon"},
               {"x-envoy-fault-throughput-response", "2"}};
  const Plan plan = decide(*engine.snapshot, r.head(), rng, t0(), 0);
  EXPECT_TRUE(plan.bad_request.empty());
  EXPECT_EQ(plan.terminal, Terminal::kNone);
  EXPECT_EQ(plan.request_delay, 0ms);
  EXPECT_EQ(plan.downstream_rate, 2048u);  // the valid one still applies
  EXPECT_EQ(envoy_invalid(engine), 2u);
}

TEST(EnvoyHeaders, DelayIsCappedAtMaxDelay) {
  auto config = envoy_config();
  config->safety.max_delay = 2s;
  Engine engine;
  ASSERT_TRUE(engine.build(config));
  Rng rng(1);
  Request r;
  r.headers = {{"x-envoy-fault-delay-request", "600000"}};
  const Plan plan = decide(*engine.snapshot, r.head(), rng, t0(), 0);
  EXPECT_EQ(plan.request_delay, 2s);
  EXPECT_EQ(plan.injected, "latency=2s@envoy-header");
}

TEST(EnvoyHeaders, HttpAbortWinsOverGrpcAbort) {
  Engine engine;
  ASSERT_TRUE(engine.build(envoy_config()));
  Rng rng(1);
  Request r;
  r.headers = {{"x-envoy-fault-abort-grpc-request", "14"}, {"x-envoy-fault-abort-request", "429"}};
  const Plan plan = decide(*engine.snapshot, r.head(), rng, t0(), 0);
  EXPECT_EQ(plan.respond.status, 429);
  EXPECT_EQ(plan.respond.grpc_status, -1);
  EXPECT_EQ(plan.injected, "abort=429@envoy-header");
}

TEST(EnvoyHeaders, GrpcAbortIsA200WithTheGrpcStatus) {
  auto config = envoy_config();
  config->envoy_headers.abort_percentage = 0;  // the abort percentage governs it too
  Engine engine;
  ASSERT_TRUE(engine.build(envoy_config()));
  Rng rng(1);
  Request r;
  r.headers = {{"x-envoy-fault-abort-grpc-request", "14"}};
  const Plan plan = decide(*engine.snapshot, r.head(), rng, t0(), 0);
  EXPECT_EQ(plan.terminal, Terminal::kRespond);
  EXPECT_EQ(plan.respond.status, 200);
  EXPECT_EQ(plan.respond.grpc_status, 14);
  EXPECT_EQ(plan.respond.grpc_message, "fault filter abort");
  EXPECT_EQ(plan.respond.body, "fault filter abort");
  EXPECT_EQ(plan.injected, "abort=grpc-14@envoy-header");
  // An invalid HTTP status leaves the gRPC one.
  r.headers = {{"x-envoy-fault-abort-request", "99"}, {"x-envoy-fault-abort-grpc-request", "3"}};
  EXPECT_EQ(decide(*engine.snapshot, r.head(), rng, t0(), 0).respond.grpc_status, 3);
  EXPECT_EQ(envoy_invalid(engine), 1u);

  ASSERT_TRUE(engine.build(config));
  r.headers = {{"x-envoy-fault-abort-grpc-request", "14"}};
  EXPECT_TRUE(decide(*engine.snapshot, r.head(), rng, t0(), 0).empty());
}

TEST(EnvoyHeaders, TheGatesOfHeaderTriggersApply) {
  auto config = envoy_config();
  config->header_triggers.token = "s3cret";  // [triggers.headers] itself stays disabled
  Engine engine;
  ASSERT_TRUE(engine.build(config));
  Rng rng(1);
  Request r;
  r.headers = {{"x-envoy-fault-abort-request", "503"}};
  EXPECT_TRUE(decide(*engine.snapshot, r.head(), rng, t0(), 0).empty());
  EXPECT_EQ(header_totals(*engine.run).rejected[static_cast<size_t>(RejectReason::kToken)], 1u);
  r.headers.push_back({"x-chaos-token", "s3cret"});
  EXPECT_EQ(decide(*engine.snapshot, r.head(), rng, t0(), 0).respond.status, 503);

  auto outside = envoy_config();
  outside->header_triggers.allow_from = {*config::parse_cidr("10.0.0.0/8")};
  ASSERT_TRUE(engine.build(outside));
  r.headers = {{"x-envoy-fault-abort-request", "503"}};
  r.peer = ipv4("192.168.1.1");
  EXPECT_TRUE(decide(*engine.snapshot, r.head(), rng, t0(), 0).empty());
  EXPECT_EQ(header_totals(*engine.run).rejected[static_cast<size_t>(RejectReason::kSource)], 1u);
}

TEST(EnvoyHeaders, ExcludedPathsAndHaltApplyNothing) {
  Engine engine;
  ASSERT_TRUE(engine.build(envoy_config()));
  Rng rng(1);
  Request r;
  r.path = "/healthz";
  r.headers = {{"x-envoy-fault-abort-request", "503"}};
  EXPECT_TRUE(decide(*engine.snapshot, r.head(), rng, t0(), 0).empty());
  r.path = "/";
  engine.run->set_halted(true);
  EXPECT_TRUE(decide(*engine.snapshot, r.head(), rng, t0(), 0).empty());
}

TEST(EnvoyHeaders, ChaosTerminalWinsAndBothSourcesAnnotate) {
  auto config = envoy_config();
  config->header_triggers.enabled = true;
  Engine engine;
  ASSERT_TRUE(engine.build(config));
  Rng rng(1);
  Request r;
  r.headers = {{"x-chaos-abort", "500"},
               {"x-envoy-fault-abort-request", "503"},
               {"x-envoy-fault-delay-request", "20"}};
  const Plan plan = decide(*engine.snapshot, r.head(), rng, t0(), 0);
  EXPECT_EQ(plan.respond.status, 500);
  EXPECT_EQ(plan.request_delay, 20ms);
  EXPECT_EQ(plan.injected, "abort=500@header, latency=20ms@envoy-header");
}

// Binomial bounds: n draws at p, mean n*p, sd sqrt(n*p*(1-p)); +-5 sd never fails by chance
// in practice (p < 1e-6).
void expect_binomial(int hits, int n, double p, const char* what) {
  const double mean = n * p;
  const double sd = std::sqrt(n * p * (1 - p));
  EXPECT_GE(hits, mean - 5 * sd) << what;
  EXPECT_LE(hits, mean + 5 * sd) << what;
}

TEST(EnvoyHeaders, DelayAbortAndThroughputAreDrawnIndependently) {
  Engine engine;
  ASSERT_TRUE(engine.build(envoy_config()));
  Rng rng(7);
  Request r;
  r.headers = {{"x-envoy-fault-delay-request", "5"},
               {"x-envoy-fault-delay-request-percentage", "50"},
               {"x-envoy-fault-abort-request", "503"},
               {"x-envoy-fault-abort-request-percentage", "30"},
               {"x-envoy-fault-throughput-response", "1"},
               {"x-envoy-fault-throughput-response-percentage", "20"}};
  constexpr int n = 20000;
  int delays = 0, aborts = 0, throttles = 0, delay_and_abort = 0;
  for (int i = 0; i < n; ++i) {
    const Plan plan = decide(*engine.snapshot, r.head(), rng, t0(), 0);
    const bool delayed = plan.request_delay > 0ms;
    const bool aborted = plan.terminal == Terminal::kRespond;
    delays += delayed;
    aborts += aborted;
    throttles += plan.downstream_rate > 0;
    delay_and_abort += delayed && aborted;
  }
  expect_binomial(delays, n, 0.5, "delays");
  expect_binomial(aborts, n, 0.3, "aborts");
  expect_binomial(throttles, n, 0.2, "throttles");
  expect_binomial(delay_and_abort, n, 0.15, "delay and abort together (independent)");
}

}  // namespace
}  // namespace faultline::faults
