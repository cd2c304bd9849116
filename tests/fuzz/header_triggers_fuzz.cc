// Fuzzes the x-chaos-* headers, compiled through the catalogue kinds, Envoy's fault headers
// (SPEC §10.1) and the sampling parsers with arbitrary header blocks: lines "name: value"
// separated by '\n'. Every input must compile or fail with a message, never crash; a failure
// message must name an x-chaos header and a compiled fault must respect the caps. Envoy's
// values are valid within their ranges or ignored, and percentages never exceed the caps.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "faults/envoy_headers.h"
#include "faults/header_triggers.h"
#include "faults/match.h"
#include "faults/sampling.h"

using namespace faultline::faults;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<HeaderView> headers;
  size_t start = 0;
  while (start <= input.size() && headers.size() < 64) {
    size_t end = input.find('\n', start);
    if (end == std::string_view::npos) end = input.size();
    const std::string_view line = input.substr(start, end - start);
    const size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
      std::string_view value = line.substr(colon + 1);
      headers.push_back({line.substr(0, colon), value});
    }
    start = end + 1;
  }
  const ChaosHeaders raw = scan_chaos_headers(headers);
  faultline::config::SafetyConfig safety;
  safety.max_delay = std::chrono::seconds(30);
  HeaderFaults faults;
  std::string error;
  if (!compile_header_faults(raw, safety, faults, error)) {
    if (error.rfind("x-chaos-", 0) != 0) std::abort();
  } else {
    // What a request can be held for must respect the cap: delay + jitter, the stall.
    int terminals = 0;
    for (const CompiledFault& fault : faults.faults) {
      terminals += fault.terminal ? 1 : 0;
      for (const Primitive& primitive : fault.primitives) {
        if (primitive.op == Op::kDelay &&
            faultline::config::saturating_add(primitive.amount, primitive.jitter) >
                safety.max_delay)
          std::abort();
        if (primitive.op == Op::kStall && primitive.amount > safety.max_delay) std::abort();
        if (primitive.op == Op::kRespond &&
            (primitive.response->status < 200 || primitive.response->status > 599))
          std::abort();
        if (primitive.op == Op::kThrottle && primitive.rate == 0) std::abort();
        if (primitive.op == Op::kReset && primitive.reset_point == ResetPoint::kConnect)
          std::abort();
      }
    }
    if (terminals > 1) std::abort();
    if (faults.percentage < 0 || faults.percentage > 100) std::abort();
  }
  EnvoyHeaderSettings envoy;
  envoy.abort_percentage = 30;
  envoy.delay_percentage = 100;
  envoy.throughput_percentage = 0.5;
  const EnvoyHeaders envoy_raw = scan_envoy_headers(headers, envoy.fault_prefix);
  const EnvoyFaultRequest asked = parse_envoy_headers(envoy_raw, envoy);
  if (asked.delay_ms && *asked.delay_ms == 0) std::abort();
  if (asked.http_status && (*asked.http_status < 200 || *asked.http_status > 599)) std::abort();
  if (asked.grpc_status && (*asked.grpc_status < 0 || *asked.grpc_status > 16)) std::abort();
  if (asked.kib_per_second && *asked.kib_per_second == 0) std::abort();
  if (!(asked.abort_percentage >= 0 && asked.abort_percentage <= envoy.abort_percentage) ||
      !(asked.delay_percentage >= 0 && asked.delay_percentage <= envoy.delay_percentage) ||
      !(asked.throughput_percentage >= 0 &&
        asked.throughput_percentage <= envoy.throughput_percentage))
    std::abort();
  if (asked.invalid > EnvoyHeaders::kFields) std::abort();
  for (const HeaderView& header : headers) {
    (void)is_envoy_fault_header(header.name, envoy.fault_prefix);
    (void)is_chaos_header(header.name);
    (void)trace_id_key(header.value);
    (void)glob_match(header.name, header.value);
  }
  (void)opted_in(headers, "checkout-latency");
  return 0;
}
