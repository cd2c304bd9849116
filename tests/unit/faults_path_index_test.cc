// PathIndex: the trie that narrows many experiments to those whose path globs can match. It may
// only ever prune experiments that cannot match; decide() keeps experiment order.
#include <gtest/gtest.h>

#include <random>

#include "faults/match.h"
#include "faults/path_index.h"
#include "faults_fixtures.h"

namespace faultline::faults {
namespace {

using namespace testing;
using namespace std::chrono_literals;

std::vector<size_t> candidate_list(const PathIndex& index, std::string_view path) {
  uint64_t bits[PathIndex::kWords];
  index.candidates(path, bits);
  std::vector<size_t> out;
  for (size_t i = 0; i < index.words() * 64; ++i)
    if (bits[i / 64] >> (i % 64) & 1) out.push_back(i);
  return out;
}

TEST(PathIndex, CandidatesByLiteralPrefix) {
  PathIndex index({{"/api/orders/*"},        // 0
                   {"/api/cart"},            // 1
                   {},                       // 2: no globs, every path
                   {"*/admin"},              // 3: starts with '*', every path
                   {"/static/*", "/api/*"},  // 4: either prefix
                   {"/api/orders/*/items"}});
  // 5 shares the literal prefix "/api/orders/": a candidate, which the Matcher then rejects.
  EXPECT_EQ(candidate_list(index, "/api/orders/17"), (std::vector<size_t>{0, 2, 3, 4, 5}));
  EXPECT_EQ(candidate_list(index, "/api/orders/17/items"), (std::vector<size_t>{0, 2, 3, 4, 5}));
  EXPECT_EQ(candidate_list(index, "/api/cart"), (std::vector<size_t>{1, 2, 3, 4}));
  EXPECT_EQ(candidate_list(index, "/static/app.js"), (std::vector<size_t>{2, 3, 4}));
  EXPECT_EQ(candidate_list(index, "/api"), (std::vector<size_t>{2, 3})) << "path shorter";
  EXPECT_EQ(candidate_list(index, ""), (std::vector<size_t>{2, 3}));
  EXPECT_EQ(candidate_list(index, "/API/cart"), (std::vector<size_t>{2, 3})) << "case matters";
}

TEST(PathIndex, SpansSeveralWordsOfExperiments) {
  std::vector<std::vector<std::string>> globs;
  for (int i = 0; i < 150; ++i) globs.push_back({"/svc/" + std::to_string(i) + "/*"});
  PathIndex index(globs);
  ASSERT_EQ(index.words(), 3u);
  EXPECT_EQ(candidate_list(index, "/svc/7/x"), (std::vector<size_t>{7}));
  EXPECT_EQ(candidate_list(index, "/svc/70/x"), (std::vector<size_t>{70}));
  EXPECT_EQ(candidate_list(index, "/svc/149/x"), (std::vector<size_t>{149}));
  EXPECT_TRUE(candidate_list(index, "/svc/150/x").empty());
}

TEST(PathIndex, NeverPrunesAnExperimentWhoseGlobMatches) {
  // Random globs and paths over a small alphabet, so that matches are frequent.
  std::mt19937 gen(7);
  auto random_text = [&](const char* alphabet, size_t max_len) {
    std::string out;
    size_t len = gen() % (max_len + 1);
    for (size_t i = 0; i < len; ++i) out += alphabet[gen() % std::strlen(alphabet)];
    return out;
  };
  for (int round = 0; round < 200; ++round) {
    std::vector<std::vector<std::string>> globs(20);
    for (auto& list : globs) {
      size_t n = gen() % 3;
      for (size_t i = 0; i < n; ++i) list.push_back("/" + random_text("ab/*", 5));
    }
    PathIndex index(globs);
    for (int p = 0; p < 50; ++p) {
      std::string path = "/" + random_text("ab/", 7);
      uint64_t bits[PathIndex::kWords];
      index.candidates(path, bits);
      for (size_t e = 0; e < globs.size(); ++e) {
        bool can_match = globs[e].empty();
        for (const auto& glob : globs[e]) can_match = can_match || glob_match(glob, path);
        if (can_match) {
          EXPECT_TRUE(bits[e / 64] >> (e % 64) & 1)
              << "experiment " << e << " pruned for path " << path;
        }
      }
    }
  }
}

config::FaultConfig latency_of(const char* delay) {
  return fault("latency", {{"delay", str(delay)}});
}

TEST(PathIndex, DecideWithManyExperimentsKeepsOrderAndComposition) {
  // 40 experiments engage the index; the matching ones are spread across it.
  std::vector<config::ExperimentConfig> experiments;
  for (int i = 0; i < 40; ++i) {
    auto e = experiment("e" + std::to_string(i), {latency_of("1ms")});
    e.match.paths = {"/never/" + std::to_string(i) + "/*"};
    experiments.push_back(e);
  }
  auto orders = experiment("orders", {latency_of("100ms")});
  orders.match.paths = {"/api/orders/*"};
  auto everything = experiment("everything", {latency_of("20ms")});
  auto abort_orders = experiment("abort-orders", {fault("abort", {{"status", integer(503)}})});
  abort_orders.match.paths = {"/static/*", "/api/*"};
  auto abort_later = experiment("abort-later", {fault("abort", {{"status", integer(500)}})});
  abort_later.match.paths = {"/api/orders/*"};
  experiments.insert(experiments.begin() + 5, orders);
  experiments.insert(experiments.begin() + 20, everything);
  experiments.insert(experiments.begin() + 30, abort_orders);
  experiments.push_back(abort_later);
  Engine engine;
  ASSERT_TRUE(engine.build(make_config(experiments))) << engine.errors();
  ASSERT_TRUE(engine.snapshot->listeners[0].path_index.built());
  Rng rng(1);
  Request r;
  r.path = "/api/orders/42?x=1";
  Plan plan = decide(*engine.snapshot, r.head(), rng, t0(), 0);
  EXPECT_EQ(plan.request_delay, 120ms);
  EXPECT_EQ(plan.terminal, Terminal::kRespond);
  EXPECT_EQ(plan.respond.status, 503) << "the first terminal in experiment order wins";
  EXPECT_EQ(plan.injected, "latency=100ms@orders, latency=20ms@everything, abort=503@abort-orders");
  r.path = "/home";
  plan = decide(*engine.snapshot, r.head(), rng, t0(), 0);
  EXPECT_EQ(plan.request_delay, 20ms);
  EXPECT_EQ(plan.terminal, Terminal::kNone);
  r.path = "/never/33/x";
  plan = decide(*engine.snapshot, r.head(), rng, t0(), 0);
  EXPECT_EQ(plan.request_delay, 21ms);
}

}  // namespace
}  // namespace faultline::faults
