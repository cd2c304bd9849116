#include "proxy/stress/cpu_stress.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>

namespace faultline::proxy {

namespace {
constexpr auto kPeriod = std::chrono::milliseconds(10);
}  // namespace

CpuStress::~CpuStress() {
  stop_all();
}

void CpuStress::set_target(double cores, double load_percent) {
  if (!(cores > 0) || !(load_percent > 0)) cores = load_percent = 0;
  load_percent = std::min(load_percent, 100.0);
  if (cores == cores_ && load_percent == load_) return;
  stop_all();
  cores_ = cores;
  load_ = load_percent;
  if (cores <= 0) return;
  const int threads = static_cast<int>(std::ceil(cores));
  // Work in core-equivalents spread evenly over the threads.
  const double duty = std::min(1.0, cores * load_percent / 100.0 / threads);
  stopping_.store(false);
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this, duty] { burn(duty); });
  workers_.store(threads, std::memory_order_relaxed);
}

void CpuStress::stop_all() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_.store(true);
  }
  wake_.notify_all();
  for (std::thread& thread : threads_) thread.join();
  threads_.clear();
  workers_.store(0, std::memory_order_relaxed);
  cores_ = load_ = 0;
}

void CpuStress::burn(double duty) {
  using Clock = std::chrono::steady_clock;
  const auto busy = std::chrono::duration_cast<Clock::duration>(kPeriod * duty);
  auto period_start = Clock::now();
  while (!stopping_.load(std::memory_order_relaxed)) {
    const auto busy_until = period_start + busy;
    volatile uint64_t sink = 0;
    while (Clock::now() < busy_until && !stopping_.load(std::memory_order_relaxed)) {
      for (int i = 0; i < 1000; ++i) sink = sink + static_cast<uint64_t>(i);
    }
    period_start += kPeriod;
    std::unique_lock<std::mutex> lock(mutex_);
    wake_.wait_until(lock, period_start, [this] { return stopping_.load(); });
    // After oversleeping (a loaded box) start a fresh period instead of catching up.
    if (Clock::now() > period_start + kPeriod) period_start = Clock::now();
  }
}

}  // namespace faultline::proxy
