#pragma once
// Per-second history of a listener's traffic (SPEC §11, GET /v1/timeseries), kept in memory:
// a ring of one-second buckets the control layer fills once a second from the summed
// per-worker SeriesCounters. Not on the request path: the sampler writes, the admin thread
// reads, under one mutex.
#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "proxy/series_stats.h"

namespace faultline::proxy {

// What one listener did during one second (or the longer gap when a tick came late).
struct SecondBucket {
  int64_t time = 0;  // unix seconds at the end of the interval
  uint64_t requests = 0;
  uint64_t errors_injected = 0;
  uint64_t errors_real = 0;
  uint64_t unfaulted_requests = 0;
  uint64_t unfaulted_errors = 0;
  std::array<uint32_t, LatencyBuckets::kCount + 1> latency{};
  std::array<uint32_t, LatencyBuckets::kCount + 1> unfaulted_latency{};
};

// `later - earlier`, stamped `time`. Counters never go backwards; a smaller value (a worker
// restarted its block) counts as 0.
SecondBucket bucket_between(const SeriesTotals& earlier, const SeriesTotals& later, int64_t time);

// The q-quantile (0 < q < 1) of a bucketed latency histogram in seconds, interpolated
// geometrically inside the bucket; nullopt when it holds no request.
std::optional<double> latency_quantile(std::span<const uint32_t> counts, double q);
std::optional<double> latency_quantile(std::span<const uint64_t> counts, double q);

// Fixed-capacity history of one listener, oldest first.
class SecondsRing {
 public:
  explicit SecondsRing(size_t capacity) : capacity_(capacity) {}
  void push(const SecondBucket& bucket);
  // Buckets with time > now - seconds (the last `seconds` seconds), oldest first.
  std::vector<SecondBucket> last(int64_t now, int64_t seconds) const;
  size_t size() const { return buckets_.size(); }
  size_t capacity() const { return capacity_; }

 private:
  size_t capacity_;
  std::deque<SecondBucket> buckets_;
};

// Every listener's ring, by name. Thread-safe.
class TimeseriesStore {
 public:
  // 11 minutes: a 10-minute window stays whole while its newest second is being written.
  static constexpr size_t kSeconds = 660;

  void push(const std::string& listener, const SecondBucket& bucket);
  // nullopt for a listener never sampled.
  std::optional<std::vector<SecondBucket>> last(const std::string& listener, int64_t now,
                                                int64_t seconds) const;
  std::vector<std::string> listeners() const;
  // Drops listeners that no longer exist (after a reload).
  void retain(const std::vector<std::string>& names);

 private:
  mutable std::mutex mutex_;
  std::map<std::string, SecondsRing> rings_;
};

}  // namespace faultline::proxy
