// decide(): matching, composition (SPEC §2), safety caps, dry_run, max_active, exclusions,
// expiry, pause, halt, carry-over across rebuilds, connection-level decisions, CPU target.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "faults/background.h"
#include "faults/sampling.h"
#include "faults/views.h"
#include "faults_fixtures.h"

namespace faultline::faults {
namespace {

using namespace testing;
using namespace std::chrono_literals;

config::FaultConfig latency(const char* delay, double percentage = 100) {
  return fault("latency", {{"delay", str(delay)}, {"percentage", floating(percentage)}});
}
config::FaultConfig abort_with(int status, double percentage = 100) {
  return fault("abort", {{"status", integer(status)}, {"percentage", floating(percentage)}});
}

ExperimentTotals totals(const Engine& engine, const char* name) {
  return engine.snapshot->find(name)->run->counters.sum();
}

TEST(Decide, EmptySnapshotGivesEmptyPlan) {
  Engine engine;
  ASSERT_TRUE(engine.build(make_config({}))) << engine.errors();
  Rng rng(1);
  Request request;
  const Plan plan = decide(*engine.snapshot, request.head(), rng, t0(), 0);
  EXPECT_TRUE(plan.empty());
  EXPECT_TRUE(plan.injected.empty());
}

TEST(Decide, MatchesPathsMethodsHeadersSources) {
  auto e = experiment("e1", {latency("100ms")});
  e.match.paths = {"/api/cart/*", "/api/checkout"};
  e.match.methods = {"POST"};
  e.match.headers = {{"x-user-tier", "beta"}, {"x-present", "*"}};
  e.match.sources = {*config::parse_cidr("10.0.0.0/8")};
  Engine engine;
  ASSERT_TRUE(engine.build(make_config({e}))) << engine.errors();
  Rng rng(1);

  Request good;
  good.method = "POST";
  good.path = "/api/cart/42?x=1";
  good.headers = {{"X-User-Tier", "beta"}, {"x-present", ""}};
  good.peer = ipv4("10.1.2.3");
  EXPECT_EQ(decide(*engine.snapshot, good.head(), rng, t0(), 0).request_delay, 100ms);

  auto miss = [&](auto mutate) {
    Request r = good;
    mutate(r);
    return decide(*engine.snapshot, r.head(), rng, t0(), 0).empty();
  };
  EXPECT_TRUE(miss([](Request& r) { r.method = "GET"; }));
  EXPECT_TRUE(miss([](Request& r) { r.path = "/api/other"; }));
  EXPECT_TRUE(miss([](Request& r) { r.path = "/api/checkout/more"; }));
  EXPECT_TRUE(miss([](Request& r) { r.headers = {{"x-user-tier", "gold"}, {"x-present", "1"}}; }));
  EXPECT_TRUE(miss([](Request& r) { r.headers = {{"x-user-tier", "beta"}}; }));
  EXPECT_TRUE(miss([](Request& r) { r.peer = ipv4("192.168.1.1"); }));
  EXPECT_FALSE(miss([](Request& r) { r.path = "/api/checkout?cart=1"; }));
  EXPECT_EQ(totals(engine, "e1").matched, 2u);
  EXPECT_EQ(totals(engine, "e1").injected[kind_index("latency")], 2u);
}

TEST(Decide, ListenerSelection) {
  auto e = experiment("e1", {latency("100ms")});
  e.listeners = {"second"};
  Engine engine;
  ASSERT_TRUE(engine.build(make_config({e}, {listener("first"), listener("second")})));
  Rng rng(1);
  Request r;
  EXPECT_TRUE(decide(*engine.snapshot, r.head(), rng, t0(), 0).empty());
  r.listener = 1;
  EXPECT_EQ(decide(*engine.snapshot, r.head(), rng, t0(), 0).request_delay, 100ms);
  r.listener = 7;  // out of range: nothing, no crash
  EXPECT_TRUE(decide(*engine.snapshot, r.head(), rng, t0(), 0).empty());
}

TEST(Decide, CompositionAcrossExperiments) {
  auto first = experiment(
      "first", {latency("100ms"), abort_with(503), fault("bandwidth", {{"rate", str("64KiB/s")}})});
  auto second = experiment("second", {latency("200ms"), abort_with(500),
                                      fault("bandwidth", {{"rate", str("16KiB/s")}})});
  Engine engine;
  ASSERT_TRUE(engine.build(make_config({first, second}))) << engine.errors();
  Rng rng(1);
  Request r;
  const Plan plan = decide(*engine.snapshot, r.head(), rng, t0(), 0);
  EXPECT_EQ(plan.request_delay, 300ms);          // latencies add
  EXPECT_EQ(plan.terminal, Terminal::kRespond);  // first terminal wins
  EXPECT_EQ(plan.respond.status, 503);
  // first's bandwidth comes after its abort, which ended first's list; second's abort is
  // dropped (a terminal already applies) but its bandwidth still applies.
  EXPECT_EQ(plan.downstream_rate, 16u * 1024);
  EXPECT_EQ(plan.injected,
            "latency=100ms@first, abort=503@first, latency=200ms@second, "
            "bandwidth=16KiB/s@second");
  EXPECT_EQ(totals(engine, "second").injected[kind_index("abort")], 0u);
  EXPECT_EQ(totals(engine, "second").injected[kind_index("bandwidth")], 1u);
}

TEST(Decide, LowestBandwidthWins) {
  auto first = experiment("first", {fault("bandwidth", {{"rate", str("16KiB/s")}})});
  auto second = experiment("second", {fault("bandwidth", {{"rate", str("64KiB/s")}})});
  Engine engine;
  ASSERT_TRUE(engine.build(make_config({first, second})));
  Rng rng(1);
  Request r;
  EXPECT_EQ(decide(*engine.snapshot, r.head(), rng, t0(), 0).downstream_rate, 16u * 1024);
}

TEST(Decide, AtMostOneTerminalWithinAnExperimentInWrittenOrder) {
  auto e = experiment(
      "e1", {fault("stall", {{"duration", str("1s")}}), abort_with(503), latency("100ms")});
  Engine engine;
  ASSERT_TRUE(engine.build(make_config({e})));
  Rng rng(1);
  Request r;
  const Plan plan = decide(*engine.snapshot, r.head(), rng, t0(), 0);
  EXPECT_EQ(plan.terminal, Terminal::kStall);
  EXPECT_EQ(plan.stall_for, 1s);
  EXPECT_EQ(plan.request_delay, 0ms);  // the stall ended the request
  EXPECT_EQ(totals(engine, "e1").injected[kind_index("abort")], 0u);
}

TEST(Decide, TotalDelayCappedAtMaxDelay) {
  auto config = make_config(
      {experiment("a", {latency("2s")}), experiment("b", {latency("2s")}),
       experiment("c", {fault("latency", {{"delay", str("2s")}, {"phase", str("response")}})})});
  config->safety.max_delay = 3s;
  Engine engine;
  ASSERT_TRUE(engine.build(config)) << engine.errors();
  Rng rng(1);
  Request r;
  const Plan plan = decide(*engine.snapshot, r.head(), rng, t0(), 0);
  EXPECT_EQ(plan.request_delay, 3s);
  EXPECT_EQ(plan.response_delay, 0s);
}

TEST(Decide, JitterStaysWithinBounds) {
  auto e = experiment("e1", {fault("latency", {{"delay", str("100ms")}, {"jitter", str("50ms")}})});
  Engine engine;
  ASSERT_TRUE(engine.build(make_config({e})));
  Rng rng(3);
  Request r;
  bool below = false, above = false;
  for (int i = 0; i < 1000; ++i) {
    const auto d = decide(*engine.snapshot, r.head(), rng, t0(), 0).request_delay;
    ASSERT_GE(d, 50ms);
    ASSERT_LE(d, 150ms);
    below = below || d < 90ms;
    above = above || d > 110ms;
  }
  EXPECT_TRUE(below && above);
}

TEST(Decide, PercentagesWithinStatisticalBounds) {
  auto e = experiment("e1", {abort_with(503, 50)});
  e.match.percentage = 20;
  Engine engine;
  ASSERT_TRUE(engine.build(make_config({e})));
  Rng rng(42);
  Request r;
  int aborted = 0;
  for (int i = 0; i < 10000; ++i)
    aborted += decide(*engine.snapshot, r.head(), rng, t0(), 0).terminal == Terminal::kRespond;
  // 10% expected: mean 1000, sd 30; +-5 sd.
  EXPECT_GT(aborted, 850);
  EXPECT_LT(aborted, 1150);
  const auto sum = totals(engine, "e1");
  EXPECT_GT(sum.matched, 1850u);  // 20% of 10000, sd 40
  EXPECT_LT(sum.matched, 2150u);
  EXPECT_EQ(sum.injected[kind_index("abort")], static_cast<uint64_t>(aborted));
}

TEST(Decide, SameSeedSameDecisions) {
  auto e = experiment("e1", {abort_with(503, 30)});
  Engine engine;
  ASSERT_TRUE(engine.build(make_config({e})));
  Request r;
  auto run = [&](uint64_t seed, unsigned worker) {
    Rng rng = Rng::for_worker(seed, worker);
    std::string bits;
    for (int i = 0; i < 200; ++i)
      bits += decide(*engine.snapshot, r.head(), rng, t0(), worker).empty() ? '0' : '1';
    return bits;
  };
  EXPECT_EQ(run(7, 0), run(7, 0));
  EXPECT_NE(run(7, 0), run(7, 1));
  EXPECT_NE(run(7, 0), run(8, 0));
}

TEST(Decide, TraceSamplingIsConsistentAndIndependentOfSeed) {
  auto e = experiment("e1", {abort_with(503)});
  e.match.percentage = 50;
  e.match.sample_by.kind = config::SampleBy::Kind::kTrace;
  Engine engine;
  ASSERT_TRUE(engine.build(make_config({e})));
  int sampled_traces = 0;
  for (int t = 0; t < 2000; ++t) {
    char trace[64];
    std::snprintf(trace, sizeof trace, "00-%016x%016x-00f067aa0ba902b7-01", t * 7919 + 1, t);
    Request r;
    r.headers = {{"traceparent", trace}};
    Rng a(1), b(999);
    const bool first = !decide(*engine.snapshot, r.head(), a, t0(), 0).empty();
    for (int i = 0; i < 5; ++i)
      ASSERT_EQ(first, !decide(*engine.snapshot, r.head(), b, t0(), 1).empty()) << trace;
    sampled_traces += first;
  }
  EXPECT_GT(sampled_traces, 850);  // 50% of 2000, sd 22
  EXPECT_LT(sampled_traces, 1150);
}

TEST(Decide, TraceSamplingFallsBackToRandomWithoutTraceparent) {
  auto e = experiment("e1", {abort_with(503)});
  e.match.percentage = 50;
  e.match.sample_by.kind = config::SampleBy::Kind::kTrace;
  Engine engine;
  ASSERT_TRUE(engine.build(make_config({e})));
  Rng rng(5);
  Request r;
  r.headers = {{"traceparent", "garbage"}};
  int hits = 0;
  for (int i = 0; i < 1000; ++i) hits += !decide(*engine.snapshot, r.head(), rng, t0(), 0).empty();
  EXPECT_GT(hits, 400);
  EXPECT_LT(hits, 600);
}

TEST(Decide, HeaderSamplingIsStickyAndMissingHeaderIsNotSampled) {
  auto e = experiment("e1", {abort_with(503)});
  e.match.percentage = 30;
  e.match.sample_by = {config::SampleBy::Kind::kHeader, "x-user"};
  Engine engine;
  ASSERT_TRUE(engine.build(make_config({e})));
  Rng rng(5);
  int users_hit = 0;
  for (int u = 0; u < 1000; ++u) {
    const std::string user = "user-" + std::to_string(u);
    Request r;
    r.headers = {{"X-User", user}};
    const bool first = !decide(*engine.snapshot, r.head(), rng, t0(), 0).empty();
    for (int i = 0; i < 3; ++i)
      ASSERT_EQ(first, !decide(*engine.snapshot, r.head(), rng, t0(), 0).empty());
    users_hit += first;
  }
  EXPECT_GT(users_hit, 230);  // 30% of 1000, sd 14.5
  EXPECT_LT(users_hit, 370);
  Request anonymous;
  for (int i = 0; i < 100; ++i)
    EXPECT_TRUE(decide(*engine.snapshot, anonymous.head(), rng, t0(), 0).empty());
}

TEST(Decide, KeyedSamplingIsMonotonicInPercentage) {
  // A user sampled at 10% is also sampled at 25%: raising the percentage widens the blast
  // radius instead of reshuffling it.
  for (int u = 0; u < 500; ++u) {
    const std::string user = "u" + std::to_string(u);
    const HeaderView headers[] = {{"x-user", user}};
    const SampleKey key = sample_key({config::SampleBy::Kind::kHeader, "x-user"}, headers);
    Rng rng(1);
    if (sampled(key, 10, 0, rng)) {
      EXPECT_TRUE(sampled(key, 25, 0, rng));
    }
  }
}

TEST(Decide, DryRunCountsButInjectsNothing) {
  auto e = experiment("e1", {latency("100ms"), abort_with(503)});
  e.dry_run = true;
  Engine engine;
  ASSERT_TRUE(engine.build(make_config({e})));
  Rng rng(1);
  Request r;
  for (int i = 0; i < 3; ++i) {
    const Plan plan = decide(*engine.snapshot, r.head(), rng, t0(), 0);
    EXPECT_TRUE(plan.empty());
    EXPECT_TRUE(plan.injected.empty());
  }
  const auto sum = totals(engine, "e1");
  EXPECT_EQ(sum.matched, 3u);
  EXPECT_EQ(sum.injected_total(), 0u);
  EXPECT_EQ(sum.dry_run[kind_index("latency")], 3u);
  EXPECT_EQ(sum.dry_run[kind_index("abort")], 3u);
}

TEST(Decide, MaxActiveCapsConcurrentFaultedRequests) {
  auto e = experiment("e1", {latency("100ms")});
  e.max_active = 2;
  Engine engine;
  ASSERT_TRUE(engine.build(make_config({e})));
  Rng rng(1);
  Request r;
  Plan a = decide(*engine.snapshot, r.head(), rng, t0(), 0);
  Plan b = decide(*engine.snapshot, r.head(), rng, t0(), 0);
  Plan c = decide(*engine.snapshot, r.head(), rng, t0(), 0);
  EXPECT_EQ(a.request_delay, 100ms);
  EXPECT_EQ(b.request_delay, 100ms);
  EXPECT_TRUE(c.empty());
  EXPECT_EQ(a.held_slots.size(), 1u);
  EXPECT_TRUE(c.held_slots.empty());
  release(*engine.snapshot, a);
  release(*engine.snapshot, a);  // idempotent
  EXPECT_TRUE(a.held_slots.empty());
  Plan d = decide(*engine.snapshot, r.head(), rng, t0(), 0);
  EXPECT_EQ(d.request_delay, 100ms);
  EXPECT_EQ(totals(engine, "e1").matched, 4u);
  EXPECT_EQ(totals(engine, "e1").injected_total(), 3u);
  release(*engine.snapshot, b);
  release(*engine.snapshot, d);
  EXPECT_EQ(engine.snapshot->find("e1")->run->active(), 0u);
}

TEST(Decide, ExcludedPathsAreNeverFaulted) {
  auto config = make_config({experiment("e1", {abort_with(503)})});
  config->safety.exclude_paths = {"/healthz", "/internal/*"};
  config->header_triggers.enabled = true;
  Engine engine;
  ASSERT_TRUE(engine.build(config));
  Rng rng(1);
  Request r;
  for (const char* path : {"/healthz", "/healthz?full=1", "/internal/", "/internal/a/b"}) {
    r.path = path;
    r.headers = {{"x-chaos-delay", "abc"}};
    EXPECT_TRUE(decide(*engine.snapshot, r.head(), rng, t0(), 0).empty()) << path;
  }
  r.headers.clear();
  r.path = "/healthzz";
  EXPECT_FALSE(decide(*engine.snapshot, r.head(), rng, t0(), 0).empty());
}

TEST(Decide, ExpiredAndPausedExperimentsInjectNothing) {
  auto e = experiment("e1", {abort_with(503)});
  e.duration = 10min;
  Engine engine;
  ASSERT_TRUE(engine.build(make_config({e})));
  Rng rng(1);
  Request r;
  EXPECT_FALSE(decide(*engine.snapshot, r.head(), rng, t0() + 9min, 0).empty());
  EXPECT_TRUE(decide(*engine.snapshot, r.head(), rng, t0() + 10min, 0).empty());
  auto views = experiment_views(*engine.snapshot, t0() + 11min);
  ASSERT_EQ(views.size(), 1u);
  EXPECT_EQ(views[0].status, ExperimentStatus::kExpired);

  ASSERT_TRUE(set_paused(*engine.snapshot, "e1", true));
  EXPECT_FALSE(set_paused(*engine.snapshot, "nope", true));
  EXPECT_TRUE(decide(*engine.snapshot, r.head(), rng, t0(), 0).empty());
  EXPECT_EQ(experiment_views(*engine.snapshot, t0())[0].status, ExperimentStatus::kPaused);
  ASSERT_TRUE(set_paused(*engine.snapshot, "e1", false));
  EXPECT_FALSE(decide(*engine.snapshot, r.head(), rng, t0(), 0).empty());
}

TEST(Decide, HaltedGivesEmptyPlansAndIgnoresHeaderTriggers) {
  auto config = make_config({experiment("e1", {abort_with(503)})});
  config->header_triggers.enabled = true;
  Engine engine;
  ASSERT_TRUE(engine.build(config));
  engine.run->set_halted(true);
  Rng rng(1);
  Request r;
  r.headers = {{"x-chaos-delay", "100"}};
  EXPECT_TRUE(decide(*engine.snapshot, r.head(), rng, t0(), 0).empty());
  r.headers = {{"x-chaos-delay", "bogus"}};
  EXPECT_TRUE(decide(*engine.snapshot, r.head(), rng, t0(), 0).empty());
  engine.run->set_halted(false);
  EXPECT_FALSE(decide(*engine.snapshot, r.head(), rng, t0(), 0).empty());
}

TEST(Snapshot, CountersPauseAndClockCarryOverByName) {
  auto e = experiment("e1", {abort_with(503)});
  e.duration = 10min;
  auto config = make_config({e});
  Engine engine;
  ASSERT_TRUE(engine.build(config, {}, t0()));
  Rng rng(1);
  Request r;
  (void)decide(*engine.snapshot, r.head(), rng, t0(), 0);
  set_paused(*engine.snapshot, "e1", true);

  // An API change (same config object): the config experiment keeps its clock.
  auto api = experiment("api1", {latency("10ms")}, "");
  ASSERT_TRUE(engine.build(config, {{api, 1}}, t0() + 5min)) << engine.errors();
  EXPECT_EQ(engine.snapshot->find("e1")->started_at, t0());
  EXPECT_EQ(totals(engine, "e1").matched, 1u);
  EXPECT_EQ(engine.snapshot->find("e1")->status(t0() + 5min), ExperimentStatus::kPaused);
  EXPECT_EQ(engine.snapshot->find("api1")->expires_at, t0() + 5min + 15min);  // default_duration

  // A reload (new config object): config experiments restart their clock, API ones keep it.
  ASSERT_TRUE(engine.build(make_config({e}), {{api, 1}}, t0() + 8min));
  EXPECT_EQ(engine.snapshot->find("e1")->started_at, t0() + 8min);
  EXPECT_EQ(engine.snapshot->find("api1")->started_at, t0() + 5min);
  EXPECT_EQ(totals(engine, "e1").matched, 1u);
  // A new API revision restarts that experiment's clock; counters stay.
  ASSERT_TRUE(engine.build(engine.snapshot->config, {{api, 2}}, t0() + 9min));
  EXPECT_EQ(engine.snapshot->find("api1")->started_at, t0() + 9min);
}

TEST(Snapshot, RejectsDuplicateNamesAndLongDurations) {
  auto e = experiment("e1", {latency("10ms")});
  Engine engine;
  ASSERT_TRUE(engine.build(make_config({e})));
  const auto before = engine.snapshot;
  auto clash = experiment("e1", {latency("10ms")}, "");
  EXPECT_FALSE(engine.build(make_config({e}), {{clash, 1}}));
  EXPECT_EQ(engine.snapshot, before);  // nothing published
  ASSERT_EQ(engine.diags.items().size(), 1u);
  EXPECT_EQ(engine.diags.items()[0].path, "name");

  auto longer = experiment("e2", {latency("10ms")});
  longer.duration = 5h;
  EXPECT_FALSE(engine.build(make_config({longer})));
  ASSERT_EQ(engine.diags.items().size(), 1u);
  EXPECT_EQ(engine.diags.items()[0].path, "experiments[0].duration");
  EXPECT_NE(engine.diags.items()[0].message.find("exceeds safety.max_duration (4h)"),
            std::string::npos);

  auto unbounded = experiment("e3", {latency("10ms")});
  ASSERT_TRUE(engine.build(make_config({unbounded}), {}, t0()));
  EXPECT_EQ(engine.snapshot->find("e3")->expires_at, t0() + 4h);  // max_duration
}

TEST(DecideConnect, TcpListenerGetsChunkDelaysResetAndThrottle) {
  auto e = experiment("db",
                      {fault("latency", {{"delay", str("20ms")}, {"direction", str("downstream")}}),
                       fault("bandwidth", {{"rate", str("1KiB/s")}, {"direction", str("both")}}),
                       fault("reset", {{"after_bytes", integer(100)}})});
  e.match.sources = {*config::parse_cidr("127.0.0.0/8")};
  Engine engine;
  ASSERT_TRUE(engine.build(make_config({e}, {listener("db", config::Protocol::kTcp)})))
      << engine.errors();
  Rng rng(1);
  const sockaddr_in local = ipv4("127.0.0.1"), remote = ipv4("8.8.8.8");
  Plan plan = decide_connect(*engine.snapshot, {reinterpret_cast<const sockaddr*>(&local), 0}, rng,
                             t0(), 0);
  EXPECT_EQ(plan.downstream_chunk_delay, 20ms);
  EXPECT_EQ(plan.upstream_chunk_delay, 0ms);
  EXPECT_EQ(plan.upstream_rate, 1024u);
  EXPECT_EQ(plan.downstream_rate, 1024u);
  EXPECT_EQ(plan.terminal, Terminal::kReset);
  EXPECT_EQ(plan.reset_point, ResetPoint::kResponse);
  EXPECT_EQ(plan.reset_after_bytes, 100u);
  EXPECT_TRUE(decide_connect(*engine.snapshot, {reinterpret_cast<const sockaddr*>(&remote), 0}, rng,
                             t0(), 0)
                  .empty());
  // TCP listeners never take per-request decisions.
  Request r;
  EXPECT_TRUE(decide(*engine.snapshot, r.head(), rng, t0(), 0).empty());
}

TEST(DecideConnect, HttpListenerOnlyConnectResets) {
  auto e = experiment(
      "e1",
      {fault("reset", {{"phase", str("connect")}, {"percentage", integer(100)}}), latency("10ms")});
  Engine engine;
  ASSERT_TRUE(engine.build(make_config({e})));
  Rng rng(1);
  const sockaddr_in peer = ipv4("127.0.0.1");
  const Plan at_accept =
      decide_connect(*engine.snapshot, {reinterpret_cast<const sockaddr*>(&peer), 0}, rng, t0(), 0);
  EXPECT_EQ(at_accept.terminal, Terminal::kReset);
  EXPECT_EQ(at_accept.reset_point, ResetPoint::kConnect);
  EXPECT_EQ(at_accept.request_delay, 0ms);
  Request r;
  const Plan per_request = decide(*engine.snapshot, r.head(), rng, t0(), 0);
  EXPECT_EQ(per_request.terminal, Terminal::kNone);
  EXPECT_EQ(per_request.request_delay, 10ms);
}

TEST(BackgroundDemand, SumsActiveCpuExperimentsWithinTheCap) {
  auto a = experiment("a", {fault("cpu", {{"cores", floating(0.5)}, {"load", integer(50)}})});
  auto b = experiment("b", {fault("cpu", {{"cores", integer(1)}, {"load", integer(100)}})});
  auto dry = experiment("dry", {fault("cpu", {{"cores", integer(1)}})});
  dry.dry_run = true;
  auto config = make_config({a, b, dry});
  config->safety.max_cpu_cores = 1;
  Engine engine;
  ASSERT_TRUE(engine.build(config)) << engine.errors();
  Demand target = background_demand(*engine.snapshot, "cpu", t0());
  EXPECT_DOUBLE_EQ(target.amount, 1.0);       // 1.5 cores requested, capped at 1
  EXPECT_DOUBLE_EQ(target.intensity, 100.0);  // 1.25 cores of work squeezed into 1
  EXPECT_TRUE(background_demand(*engine.snapshot, "memory", t0()).idle());  // no such load
  set_paused(*engine.snapshot, "b", true);
  target = background_demand(*engine.snapshot, "cpu", t0());
  EXPECT_DOUBLE_EQ(target.amount, 0.5);
  EXPECT_DOUBLE_EQ(target.intensity, 50.0);
  engine.run->set_halted(true);
  EXPECT_TRUE(background_demand(*engine.snapshot, "cpu", t0()).idle());
  engine.run->set_halted(false);
  EXPECT_TRUE(background_demand(*engine.snapshot, "cpu", t0() + 5h).idle());  // expired
  // CPU experiments take no per-request decisions.
  Rng rng(1);
  Request r;
  EXPECT_TRUE(decide(*engine.snapshot, r.head(), rng, t0(), 0).empty());
}

TEST(Counters, PerWorkerSlotsSumUp) {
  auto e = experiment("e1", {latency("1ms")});
  Engine engine;
  ASSERT_TRUE(engine.build(make_config({e})));
  Rng rng(1);
  Request r;
  for (unsigned w = 0; w < 2; ++w)
    for (int i = 0; i < 5; ++i) (void)decide(*engine.snapshot, r.head(), rng, t0(), w);
  auto views = experiment_views(*engine.snapshot, t0());
  EXPECT_EQ(views[0].counters.matched, 10u);
  EXPECT_EQ(views[0].counters.injected[kind_index("latency")], 10u);
}

}  // namespace
}  // namespace faultline::faults

namespace faultline::faults {
namespace {

// Workers decide concurrently on one snapshot while the admin side pauses, sums counters and
// toggles max_active slots: every increment lands (single writer per slot) and no slot leaks.
TEST(Concurrency, WorkersAndAdminShareOneSnapshot) {
  auto e = testing::experiment("e1", {testing::fault("latency", {{"delay", testing::str("1ms")}})});
  e.max_active = 1000;
  testing::Engine engine;
  ASSERT_TRUE(engine.build(testing::make_config({e})));
  constexpr int kPerWorker = 20000;
  std::atomic<bool> done{false};
  std::thread admin([&] {
    while (!done.load()) {
      (void)experiment_views(*engine.snapshot, testing::t0());
      std::this_thread::yield();
    }
  });
  std::vector<std::thread> workers;
  for (unsigned w = 0; w < 2; ++w) {
    workers.emplace_back([&, w] {
      Rng rng(w + 1);
      testing::Request r;
      for (int i = 0; i < kPerWorker; ++i) {
        Plan plan = decide(*engine.snapshot, r.head(), rng, testing::t0(), w);
        release(*engine.snapshot, plan);
      }
    });
  }
  for (auto& t : workers) t.join();
  done = true;
  admin.join();
  const auto sum = engine.snapshot->find("e1")->run->counters.sum();
  EXPECT_EQ(sum.matched, 2u * kPerWorker);
  EXPECT_EQ(sum.injected[kind_index("latency")], 2u * kPerWorker);
  EXPECT_EQ(engine.snapshot->find("e1")->run->active(), 0u);
}

}  // namespace
}  // namespace faultline::faults
