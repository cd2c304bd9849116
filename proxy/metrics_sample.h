#pragma once
// Counters summed over the workers at scrape time (SPEC §5): plain data the data plane fills
// (proxy/stats.h) and the admin server renders (proxy/admin/metrics_text.h). No JSON here, so
// the data plane does not depend on the admin layer.
#include <cstdint>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

namespace faultline::proxy {

// Per-worker counters summed at scrape time (SPEC §5). Label values are interned strings.
struct MetricsSample {
  // Upper bounds in seconds of faultline_request_duration_seconds buckets (+Inf implied).
  static constexpr double kDurationBuckets[] = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                0.25,  0.5,   1,    2.5,   5,    10};
  struct Requests {
    int code = 0;           // HTTP status; 0 = no response reached the client ("000")
    bool injected = false;  // the outcome came from a fault (abort status, reset, stall)
    uint64_t count = 0;
    bool http2 = false;  // label protocol: "http2", else "http1" (SPEC §8)
  };
  struct Listener {
    std::string name;
    bool http = true;                // HTTP listeners count requests; TCP ones connections only
    std::vector<Requests> requests;  // any order, duplicates summed
    uint64_t duration_buckets[std::size(kDurationBuckets)] = {};  // non-cumulative counts
    uint64_t duration_count = 0;
    double duration_sum_seconds = 0;
    int64_t connections_active = 0;
    uint64_t upstream_errors_connect = 0;
    uint64_t upstream_errors_timeout = 0;
    uint64_t upstream_errors_reset = 0;
    // SPEC §9 (filled for listeners with [listeners.tls] / [listeners.upstream_tls]).
    bool tls = false;
    bool upstream_tls = false;
    int64_t tls_cert_expiry = 0;  // Unix time of the serving certificate's notAfter
    uint64_t tls_handshakes_ok = 0;
    uint64_t tls_handshakes_error = 0;
    uint64_t upstream_tls_handshakes_ok = 0;
    uint64_t upstream_tls_handshakes_error = 0;
    uint64_t upstream_tls_resumed = 0;
    // SPEC §8: responses by the grpc-status the client saw (0..16); open HTTP/2 streams.
    uint64_t grpc_responses[17] = {};
    int64_t h2_streams_active = 0;
  };
  struct Injected {
    std::string source;  // experiment name or "header"
    std::string fault;   // "latency", "abort", ...
    uint64_t count = 0;
  };
  struct Experiment {
    std::string name;
    uint64_t matched = 0;
    bool active = false;
  };
  std::vector<Listener> listeners;
  std::vector<Injected> injected;
  std::vector<Experiment> experiments;
  std::vector<std::pair<std::string, uint64_t>> header_triggers_rejected;  // reason -> count
  bool halted = false;
  std::vector<std::pair<std::string, uint64_t>> stop_conditions_triggered;  // name -> count
  int cpu_stress_workers = 0;
  uint64_t memory_stress_bytes = 0;
  uint64_t reloads_ok = 0;
  uint64_t reloads_error = 0;
};

}  // namespace faultline::proxy
