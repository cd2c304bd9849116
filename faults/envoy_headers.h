#pragma once
// Envoy's fault headers (SPEC §10.1), with Envoy's semantics rather than x-chaos-*'s, so that
// test suites written against Envoy's fault filter run unchanged:
//   PREFIX-fault-delay-request        milliseconds       PREFIX-fault-delay-request-percentage
//   PREFIX-fault-abort-request        HTTP 200..599      PREFIX-fault-abort-request-percentage
//   PREFIX-fault-abort-grpc-request   gRPC 0..16         (shares the abort percentage)
//   PREFIX-fault-throughput-response  KiB/s, >= 1 PREFIX-fault-throughput-response-percentage
// Only the first value of each header counts. An invalid value is ignored (the fault, or the
// header's percentage, is as if not sent) and counted, never answered with a 400: Envoy's
// clients expect the request to go through, and a test suite cannot tell a 400 from an
// injected abort. A percentage header is a numerator out of 100, capped by the configured
// percentage. Delay, abort and throughput are drawn independently; an abort follows the delay.
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "config/schema.h"
#include "faults/plan.h"
#include "faults/request.h"
#include "faults/rng.h"

namespace faultline::faults {

struct Snapshot;

// [triggers.envoy_headers] as a worker uses it.
struct EnvoyHeaderSettings {
  bool enabled = false;
  std::string fault_prefix = "x-envoy-fault-";  // PREFIX + "-fault-", lower case
  bool strip = true;
  double abort_percentage = 100.0;
  double delay_percentage = 100.0;
  double throughput_percentage = 100.0;
};
EnvoyHeaderSettings envoy_header_settings(const config::EnvoyHeadersConfig& config);

// True for every header the fault filter reads, "PREFIX-fault-*" (any case). `fault_prefix`
// is EnvoyHeaderSettings::fault_prefix.
bool is_envoy_fault_header(std::string_view name, std::string_view fault_prefix);

// The raw values of one request (first occurrence of each), unvalidated.
struct EnvoyHeaders {
  enum Field : uint8_t {
    kDelay,
    kDelayPercentage,
    kAbort,
    kAbortPercentage,
    kGrpcAbort,
    kThroughput,
    kThroughputPercentage,
    kFields,
  };
  std::array<std::string_view, kFields> values{};
  uint8_t present = 0;

  bool has(Field field) const { return (present & (1u << field)) != 0; }
  // A fault header (not only a percentage) was sent.
  bool any_fault() const {
    return has(kDelay) || has(kAbort) || has(kGrpcAbort) || has(kThroughput);
  }
};
EnvoyHeaders scan_envoy_headers(std::span<const HeaderView> headers, std::string_view fault_prefix);

// What one request asks for, read with Envoy's rules; absent or invalid values are nullopt,
// and each invalid value (a percentage included) counts once in `invalid`.
struct EnvoyFaultRequest {
  std::optional<uint64_t> delay_ms;        // > 0; a delay of 0 is no delay
  std::optional<int> http_status;          // 200..599
  std::optional<int> grpc_status;          // 0..16
  std::optional<uint64_t> kib_per_second;  // >= 1
  // Each fault's chance in percent: the header's numerator capped by the configured one.
  double delay_percentage = 100.0;
  double abort_percentage = 100.0;
  double throughput_percentage = 100.0;
  unsigned invalid = 0;
};
EnvoyFaultRequest parse_envoy_headers(const EnvoyHeaders& raw, const EnvoyHeaderSettings& settings);

// decide()'s Envoy step, after the gates of [triggers.headers] let the request through and
// after x-chaos-* (whose terminal fault, if any, wins): counts invalid values, draws delay,
// abort and throughput independently and folds what was drawn into `plan` with the source
// kEnvoyHeaderSource.
void apply_envoy_headers(const Snapshot& snapshot, const EnvoyHeaders& raw, Rng& rng,
                         unsigned worker, Plan& plan);

}  // namespace faultline::faults
