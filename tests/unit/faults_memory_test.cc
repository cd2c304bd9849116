// The memory fault (SPEC §12): its parameters compile into a "memory" background load capped by
// safety.max_memory, and MemoryStress holds that many touched bytes (visible in this process's
// RSS), ramps up to them, and gives them back when the demand drops.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <thread>

#include "faults/experiment.h"
#include "faults_fixtures.h"
#include "proxy/stress/memory_stress.h"

namespace faultline::faults {
namespace {

using namespace testing;
using namespace std::chrono_literals;
constexpr uint64_t kMiB = 1ULL << 20;

struct MemoryCompiled {
  bool ok = false;
  CompiledExperiment experiment;
  config::Diagnostics diags;
};

MemoryCompiled compile_memory(config::FaultConfig f, config::SafetyConfig safety = {}) {
  auto config = make_config({}, {listener("inbound", config::Protocol::kHttp)});
  config->safety = safety;
  MemoryCompiled out;
  out.ok = compile_experiment(experiment("e1", {std::move(f)}), *config, Source::kConfig,
                              out.experiment, out.diags);
  return out;
}

void expect_error(const MemoryCompiled& r, const std::string& path, const std::string& fragment,
                  int line = 0) {
  ASSERT_FALSE(r.ok);
  ASSERT_FALSE(r.diags.items().empty());
  const auto& first = r.diags.items().front();
  EXPECT_EQ(first.path, path);
  EXPECT_NE(first.message.find(fragment), std::string::npos) << first.message;
  if (line) {
    EXPECT_EQ(first.pos.line, line);
  }
}

TEST(MemoryKind, CompilesSizeAndRampIntoABackgroundLoad) {
  auto r = compile_memory(fault("memory", {{"size", str("256MiB")}, {"ramp", str("30s")}}));
  ASSERT_TRUE(r.ok);
  const CompiledFault& f = r.experiment.faults[0];
  EXPECT_FALSE(f.per_request);
  ASSERT_TRUE(f.background);
  EXPECT_EQ(f.background->stress, "memory");
  EXPECT_DOUBLE_EQ(f.background->amount, 256.0 * kMiB);
  EXPECT_DOUBLE_EQ(f.background->cap, 512.0 * kMiB);  // safety.max_memory's default
  EXPECT_EQ(f.background->ramp, 30s);
  EXPECT_EQ(f.annotation, "memory=256MiB@e1");
  EXPECT_TRUE(r.experiment.has_background);
  EXPECT_FALSE(r.experiment.has_request_faults);
  auto no_ramp = compile_memory(fault("memory", {{"size", str("1MiB")}}));
  ASSERT_TRUE(no_ramp.ok);
  EXPECT_EQ(no_ramp.experiment.faults[0].background->ramp, 0ms);
}

TEST(MemoryKind, RejectsBadValuesAtTheirPosition) {
  expect_error(compile_memory(fault("memory", {})), "experiments[0].faults[0].size", "missing key");
  expect_error(compile_memory(fault("memory", {{"size", str("lots", 7, 8)}})),
               "experiments[0].faults[0].size", "expected a size like \"256MiB\"", 7);
  expect_error(compile_memory(fault("memory", {{"size", integer(5)}})),
               "experiments[0].faults[0].size", "expected a string");
  expect_error(compile_memory(fault("memory", {{"size", str("0")}})),
               "experiments[0].faults[0].size", "above 0");
  expect_error(compile_memory(fault("memory", {{"size", str("1MiB")}, {"ramp", str("soon")}})),
               "experiments[0].faults[0].ramp", "expected a duration");
  expect_error(compile_memory(fault("memory", {{"size", str("1MiB")}, {"percentage", integer(5)}})),
               "experiments[0].faults[0].percentage", "does not apply");
}

TEST(MemoryKind, SizeIsCappedBySafetyMaxMemory) {
  expect_error(compile_memory(fault("memory", {{"size", str("1GiB", 9, 1)}})),
               "experiments[0].faults[0].size", "size 1GiB exceeds safety.max_memory (512MiB)", 9);
  config::SafetyConfig safety;
  safety.max_memory = {2 * 1024 * kMiB};
  EXPECT_TRUE(compile_memory(fault("memory", {{"size", str("1GiB")}}), safety).ok);
}

long rss_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

template <typename Predicate>
bool within(std::chrono::milliseconds timeout, Predicate predicate) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return predicate();
}

// Under AddressSanitizer RSS also holds the shadow of the mapped range (one byte per eight),
// which ASan touches around mmap/munmap and keeps after munmap.
#if defined(__SANITIZE_ADDRESS__)
constexpr long kShadowKiBPerMiB = 128;
#else
constexpr long kShadowKiBPerMiB = 0;
#endif

TEST(MemoryStress, HoldsTheTargetInRssAndReleasesItOnStop) {
  proxy::MemoryStress stress;
  const long before = rss_kib();
  stress.set_target(64 * kMiB, 0ms);
  ASSERT_TRUE(within(5s, [&] { return stress.bytes() == 64 * kMiB; })) << stress.bytes();
  EXPECT_GE(rss_kib() - before, 60 * 1024) << "the pages were mapped but not touched";
  EXPECT_EQ(stress.workers(), 1);
  EXPECT_DOUBLE_EQ(stress.level(), 64.0 * kMiB);
  stress.stop();
  ASSERT_TRUE(within(2s, [&] { return stress.bytes() == 0; }));
  EXPECT_LT(rss_kib() - before, 8 * 1024 + 64 * kShadowKiBPerMiB)
      << "released memory still resident";
  EXPECT_EQ(stress.workers(), 0);
}

TEST(MemoryStress, RampsUpOverTheRampAndShrinksAtOnce) {
  proxy::MemoryStress stress;
  const auto start = std::chrono::steady_clock::now();
  stress.set_target(64 * kMiB, 1500ms);
  std::this_thread::sleep_for(300ms);
  // Not before 300 ms of a 1.5 s ramp: at most 300/1500 of it plus one chunk (4 MiB) -- unless
  // this thread overslept.
  const auto slept = std::chrono::steady_clock::now() - start;
  if (slept < 600ms) {
    EXPECT_LE(stress.bytes(), 64 * kMiB * 2 / 5 + 4 * kMiB) << "the ramp was skipped";
  }
  ASSERT_TRUE(within(6s, [&] { return stress.bytes() == 64 * kMiB; })) << stress.bytes();
  EXPECT_GE(std::chrono::steady_clock::now() - start, 1400ms) << "reached the size before the ramp";
  stress.set_target(16 * kMiB, 1500ms);  // lower: released now, the ramp does not apply
  ASSERT_TRUE(within(1s, [&] { return stress.bytes() <= 16 * kMiB; })) << stress.bytes();
  ASSERT_TRUE(within(2s, [&] { return stress.bytes() == 16 * kMiB; })) << stress.bytes();
}

TEST(MemoryStress, AnOddSizeSettlesOnWholePages) {
  proxy::MemoryStress stress;
  stress.set_target(1000001, 0ms);
  const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  const uint64_t expected = (1000001 + page - 1) / page * page;
  ASSERT_TRUE(within(2s, [&] { return stress.bytes() == expected; })) << stress.bytes();
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(stress.bytes(), expected);
}

TEST(MemoryStress, IdleDemandReleases) {
  proxy::MemoryStress stress;
  Demand demand;
  demand.amount = 8.0 * kMiB;
  demand.intensity = 100;
  stress.apply(demand);
  ASSERT_TRUE(within(2s, [&] { return stress.bytes() == 8 * kMiB; }));
  stress.apply(Demand{});
  ASSERT_TRUE(within(2s, [&] { return stress.bytes() == 0; }));
}

}  // namespace
}  // namespace faultline::faults
