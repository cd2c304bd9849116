#include "proxy/stats.h"

namespace faultline::proxy {

void ListenerStats::add_to(MetricsSample::Listener& out) const {
  for (int code = 0; code < kMaxCode; ++code) {
    for (int injected = 0; injected < 2; ++injected) {
      for (int http2 = 0; http2 < 2; ++http2) {
        uint64_t n = load(requests_by_code[code][injected][http2]);
        if (n == 0) continue;
        bool merged = false;
        for (auto& r : out.requests) {
          if (r.code == code && r.injected == (injected == 1) && r.http2 == (http2 == 1)) {
            r.count += n;
            merged = true;
            break;
          }
        }
        if (!merged) out.requests.push_back({code, injected == 1, n, http2 == 1});
      }
    }
  }
  for (int g = 0; g < kGrpcStatuses; ++g) out.grpc_responses[g] += load(grpc_responses[g]);
  out.h2_streams_active += h2_streams_active.load(std::memory_order_relaxed);
  for (size_t b = 0; b < kBuckets; ++b) out.duration_buckets[b] += load(duration_buckets[b]);
  out.duration_count += load(duration_count);
  out.duration_sum_seconds += static_cast<double>(load(duration_sum_us)) / 1e6;
  out.connections_active += connections_active.load(std::memory_order_relaxed);
  out.upstream_errors_connect += load(upstream_errors_connect);
  out.upstream_errors_timeout += load(upstream_errors_timeout);
  out.upstream_errors_reset += load(upstream_errors_reset);
  out.tls_handshakes_ok += load(client_tls.handshakes_ok);
  out.tls_handshakes_error += load(client_tls.handshakes_error);
  out.upstream_tls_handshakes_ok += load(upstream_tls.handshakes_ok);
  out.upstream_tls_handshakes_error += load(upstream_tls.handshakes_error);
  out.upstream_tls_resumed += load(upstream_tls.resumed);
}

}  // namespace faultline::proxy
