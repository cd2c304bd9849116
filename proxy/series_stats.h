#pragma once
// Counters behind GET /v1/timeseries and the stop conditions (SPEC §11). Like stats.h: one
// writer per block (its worker), relaxed atomics, summed by the control layer once a second.
// Latency goes into log-scale buckets fine enough (25 % apart) for p50/p99 per second.
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace faultline::proxy {

struct LatencyBuckets {
  static constexpr size_t kCount = 64;  // finite buckets; index kCount is the overflow
  static constexpr double kFirstUpperUs = 50;
  static constexpr double kFactor = 1.25;
  // Upper bounds in microseconds: 50 us, 62.5 us, ... about 63 s.
  static constexpr std::array<double, kCount> kUpperUs = [] {
    std::array<double, kCount> bounds{};
    double bound = kFirstUpperUs;
    for (size_t i = 0; i < kCount; ++i, bound *= kFactor) bounds[i] = bound;
    return bounds;
  }();
  // The bucket a duration falls in (upper bound inclusive); kCount past the last bound.
  static size_t index(uint64_t duration_us) {
    size_t lo = 0, hi = kCount;  // binary search: first bound >= duration
    const double d = static_cast<double>(duration_us);
    while (lo < hi) {
      const size_t mid = (lo + hi) / 2;
      if (kUpperUs[mid] < d)
        lo = mid + 1;
      else
        hi = mid;
    }
    return lo;
  }
};

// Totals since start, summed over workers (plain data).
struct SeriesTotals {
  uint64_t requests = 0;
  uint64_t errors_injected = 0;  // the outcome came from a fault (abort, reset, stall)
  uint64_t errors_real = 0;      // not injected, and 5xx or no response at all ("000")
  std::array<uint64_t, LatencyBuckets::kCount + 1> latency{};
  // Requests no fault touched: what stop conditions watch (the users an experiment did not
  // mean to touch).
  uint64_t unfaulted_requests = 0;
  uint64_t unfaulted_errors = 0;
  std::array<uint64_t, LatencyBuckets::kCount + 1> unfaulted_latency{};
};

// A real error, as the time series and stop conditions count it.
inline bool is_real_error(int status, bool injected) {
  return !injected && (status == 0 || status >= 500);
}

struct SeriesCounters {
  using Counter = std::atomic<uint64_t>;
  Counter requests{0};
  Counter errors_injected{0};
  Counter errors_real{0};
  Counter latency[LatencyBuckets::kCount + 1] = {};
  Counter unfaulted_requests{0};
  Counter unfaulted_errors{0};
  Counter unfaulted_latency[LatencyBuckets::kCount + 1] = {};

  // `faulted`: any fault was applied to the request (latency included), not only one that
  // decided its outcome.
  void record(int status, bool injected, bool faulted, uint64_t duration_us) {
    const size_t bucket = LatencyBuckets::index(duration_us);
    const bool real_error = is_real_error(status, injected);
    bump(requests);
    if (injected) bump(errors_injected);
    if (real_error) bump(errors_real);
    bump(latency[bucket]);
    if (faulted) return;
    bump(unfaulted_requests);
    if (real_error) bump(unfaulted_errors);
    bump(unfaulted_latency[bucket]);
  }
  void add_to(SeriesTotals& out) const {
    out.requests += load(requests);
    out.errors_injected += load(errors_injected);
    out.errors_real += load(errors_real);
    out.unfaulted_requests += load(unfaulted_requests);
    out.unfaulted_errors += load(unfaulted_errors);
    for (size_t i = 0; i <= LatencyBuckets::kCount; ++i) {
      out.latency[i] += load(latency[i]);
      out.unfaulted_latency[i] += load(unfaulted_latency[i]);
    }
  }

 private:
  static void bump(Counter& c) {
    c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
  static uint64_t load(const Counter& c) { return c.load(std::memory_order_relaxed); }
};

}  // namespace faultline::proxy
