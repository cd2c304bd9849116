// Fuzzes the x-chaos-* headers, compiled through the catalogue kinds, and the sampling parsers
// with arbitrary header blocks: lines "name: value" separated by '\n'. Every input must compile
// or fail with a message, never crash; a failure message must name an x-chaos header and a
// compiled fault must respect the caps.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

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
  for (const HeaderView& header : headers) {
    (void)is_chaos_header(header.name);
    (void)trace_id_key(header.value);
    (void)glob_match(header.name, header.value);
  }
  (void)opted_in(headers, "checkout-latency");
  return 0;
}
