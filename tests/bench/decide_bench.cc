// decide() cost on the pass-through path: no experiments, 1 and 100 non-matching
// experiments, and header triggers enabled but absent. Run: ./build/tests/bench_decide
#include <benchmark/benchmark.h>
#include <netinet/in.h>

#include <string>

#include "faults/decide.h"

namespace faultline::faults {
namespace {

// `shared_prefix`: every glob starts like the request path ("/api/items-N/*"), the worst case
// for the path index, which then walks the whole shared prefix.
config::ExperimentConfig non_matching(int i, bool shared_prefix) {
  config::ExperimentConfig e;
  e.name = "e" + std::to_string(i);
  e.match.paths = {(shared_prefix ? "/api/items-" : "/never/") + std::to_string(i) + "/*"};
  config::FaultConfig f;
  f.type = "latency";
  f.params.kind = config::Node::Kind::kTable;
  config::Node type, delay;
  type.kind = delay.kind = config::Node::Kind::kString;
  type.string = "latency";
  delay.string = "100ms";
  f.params.fields = {{"type", type}, {"delay", delay}};
  e.faults.push_back(f);
  return e;
}

std::shared_ptr<const Snapshot> snapshot_with(int experiments, bool triggers, bool shared_prefix) {
  auto config = std::make_shared<config::Config>();
  config::ListenerConfig listener;
  listener.name = "inbound";
  config->listeners.push_back(listener);
  config->header_triggers.enabled = triggers;
  for (int i = 0; i < experiments; ++i)
    config->experiments.push_back(non_matching(i, shared_prefix));
  config::Diagnostics diags;
  auto snapshot =
      build_snapshot(config, {}, nullptr, std::make_shared<RunState>(1), Clock::now(), diags);
  if (!snapshot) std::abort();
  return snapshot;
}

void run(benchmark::State& state, int experiments, bool triggers, bool shared_prefix = false) {
  const auto snapshot = snapshot_with(experiments, triggers, shared_prefix);
  const HeaderView headers[] = {
      {"host", "example.com"},
      {"user-agent", "bench/1.0"},
      {"accept", "*/*"},
      {"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}};
  sockaddr_in peer{};
  peer.sin_family = AF_INET;
  const RequestHead head{
      "GET", "/api/items?page=2", headers, reinterpret_cast<const sockaddr*>(&peer), 0, {}};
  Rng rng(1);
  const TimePoint now = Clock::now();
  for (auto _ : state) {
    Plan plan = decide(*snapshot, head, rng, now, 0);
    benchmark::DoNotOptimize(plan);
  }
}

void BM_DecideNoExperiments(benchmark::State& s) {
  run(s, 0, false);
}
void BM_DecideOneNonMatching(benchmark::State& s) {
  run(s, 1, false);
}
void BM_DecideHundredNonMatching(benchmark::State& s) {
  run(s, 100, false);
}
void BM_DecideHundredNonMatchingSharedPrefix(benchmark::State& s) {
  run(s, 100, false, true);
}
void BM_DecideTriggersEnabledAbsent(benchmark::State& s) {
  run(s, 0, true);
}
BENCHMARK(BM_DecideNoExperiments);
BENCHMARK(BM_DecideOneNonMatching);
BENCHMARK(BM_DecideHundredNonMatching);
BENCHMARK(BM_DecideHundredNonMatchingSharedPrefix);
BENCHMARK(BM_DecideTriggersEnabledAbsent);

}  // namespace
}  // namespace faultline::faults

BENCHMARK_MAIN();
