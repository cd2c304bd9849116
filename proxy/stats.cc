#include "proxy/stats.h"

namespace faultline::proxy {

void ListenerStats::add_to(admin::MetricsSample::Listener& out) const {
  for (int code = 0; code < kMaxCode; ++code) {
    uint64_t n = load(requests_by_code[code]);
    if (n == 0) continue;
    bool merged = false;
    for (auto& [c, count] : out.requests_by_code) {
      if (c == code) {
        count += n;
        merged = true;
        break;
      }
    }
    if (!merged) out.requests_by_code.emplace_back(code, n);
  }
  for (size_t b = 0; b < kBuckets; ++b) out.duration_buckets[b] += load(duration_buckets[b]);
  out.duration_count += load(duration_count);
  out.duration_sum_seconds += static_cast<double>(load(duration_sum_us)) / 1e6;
  out.connections_active += connections_active.load(std::memory_order_relaxed);
  out.upstream_errors_connect += load(upstream_errors_connect);
  out.upstream_errors_timeout += load(upstream_errors_timeout);
  out.upstream_errors_reset += load(upstream_errors_reset);
}

}  // namespace faultline::proxy
