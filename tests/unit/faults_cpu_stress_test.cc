// CpuStress burns the requested share of CPU and stops within the halt budget.
#include <gtest/gtest.h>
#include <time.h>

#include <chrono>
#include <thread>

#include "proxy/stress/cpu_stress.h"

namespace faultline::proxy {
namespace {

double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec / 1e9;
}

TEST(CpuStress, StartsBurnsAndStopsQuickly) {
  CpuStress stress;
  EXPECT_EQ(stress.workers(), 0);
  const double cpu_before = process_cpu_seconds();
  stress.set_target(1, 50);
  EXPECT_EQ(stress.workers(), 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  const double burned = process_cpu_seconds() - cpu_before;
  // 50% of one core for 0.4 s is 0.2 s; a shared 2-core box may starve us, so the lower
  // bound is loose and the upper bound generous.
  EXPECT_GT(burned, 0.05);
  EXPECT_LT(burned, 0.45);

  const auto stop_start = std::chrono::steady_clock::now();
  stress.set_target(0, 0);
  const auto stop_took = std::chrono::steady_clock::now() - stop_start;
  EXPECT_EQ(stress.workers(), 0);
  EXPECT_LT(stop_took, std::chrono::milliseconds(100));
  const double idle_before = process_cpu_seconds();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_LT(process_cpu_seconds() - idle_before, 0.02);
}

TEST(CpuStress, FractionalCoresSpreadOverThreads) {
  CpuStress stress;
  stress.set_target(1.5, 20);
  EXPECT_EQ(stress.workers(), 2);
  stress.set_target(1.5, 20);  // unchanged: no restart
  EXPECT_EQ(stress.workers(), 2);
  stress.set_target(0.5, 100);
  EXPECT_EQ(stress.workers(), 1);
}

TEST(CpuStress, DestructorStops) {
  auto stress = std::make_unique<CpuStress>();
  stress->set_target(1, 100);
  const auto start = std::chrono::steady_clock::now();
  stress.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(100));
}

}  // namespace
}  // namespace faultline::proxy
