#pragma once
// Per-worker counters (SPEC §5). Each block has a single writer (its worker thread) and is
// read by the admin thread at scrape time: relaxed atomics, no read-modify-write.
#include <atomic>
#include <cstdint>
#include <iterator>

#include "proxy/io/transport.h"
#include "proxy/metrics_sample.h"
#include "proxy/series_stats.h"

namespace faultline::proxy {

using Counter = std::atomic<uint64_t>;
inline void bump(Counter& c, uint64_t n = 1) {
  c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}
inline uint64_t load(const Counter& c) {
  return c.load(std::memory_order_relaxed);
}

struct ListenerStats {
  static constexpr size_t kBuckets = std::size(MetricsSample::kDurationBuckets);
  static constexpr int kMaxCode = 600;
  static constexpr int kGrpcStatuses = 17;  // 0..16
  // [status][injected][http2]; status 0 = no HTTP response reached the client (code="000").
  Counter requests_by_code[kMaxCode][2][2] = {};
  Counter grpc_responses[kGrpcStatuses] = {};  // SPEC §8, by the grpc-status the client saw
  std::atomic<int64_t> h2_streams_active{0};
  Counter duration_buckets[kBuckets + 1] = {};  // last = +Inf
  Counter duration_count{0};
  Counter duration_sum_us{0};
  std::atomic<int64_t> connections_active{0};
  Counter upstream_errors_connect{0};
  Counter upstream_errors_timeout{0};
  Counter upstream_errors_reset{0};
  TransportCounters client_tls;    // handshakes with clients ([listeners.tls])
  TransportCounters upstream_tls;  // handshakes with the upstream ([listeners.upstream_tls])

  SeriesCounters series;  // GET /v1/timeseries and stop conditions

  // `faulted`: any fault was applied, whether or not it decided the outcome.
  void record(int status, bool injected, uint64_t duration_us, bool faulted = false,
              bool http2 = false) {
    if (status < 0 || status >= kMaxCode) status = 0;
    bump(requests_by_code[status][injected ? 1 : 0][http2 ? 1 : 0]);
    double seconds = static_cast<double>(duration_us) / 1e6;
    size_t b = 0;
    while (b < kBuckets && seconds > MetricsSample::kDurationBuckets[b]) ++b;
    bump(duration_buckets[b]);
    bump(duration_count);
    bump(duration_sum_us, duration_us);
    series.record(status, injected, faulted, duration_us);
  }
  void grpc_response(int grpc_status) {
    if (grpc_status >= 0 && grpc_status < kGrpcStatuses) bump(grpc_responses[grpc_status]);
  }
  void h2_stream_opened() {
    h2_streams_active.store(h2_streams_active.load(std::memory_order_relaxed) + 1,
                            std::memory_order_relaxed);
  }
  void h2_stream_closed() {
    h2_streams_active.store(h2_streams_active.load(std::memory_order_relaxed) - 1,
                            std::memory_order_relaxed);
  }
  void connection_opened() {
    connections_active.store(connections_active.load(std::memory_order_relaxed) + 1,
                             std::memory_order_relaxed);
  }
  void connection_closed() {
    connections_active.store(connections_active.load(std::memory_order_relaxed) - 1,
                             std::memory_order_relaxed);
  }
  // Adds this block into `out` (admin thread).
  void add_to(MetricsSample::Listener& out) const;
};

}  // namespace faultline::proxy
