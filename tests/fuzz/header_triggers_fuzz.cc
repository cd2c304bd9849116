// Fuzzes the x-chaos-* header parsing and the sampling parsers with arbitrary header blocks:
// lines "name: value" separated by '\n'. Every input must parse or fail with a message,
// never crash, and a failure message must name an x-chaos header.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
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
  HeaderFaults faults;
  std::string error;
  if (!parse_header_faults(raw, std::chrono::seconds(30), faults, error)) {
    if (error.rfind("x-chaos-", 0) != 0) std::abort();
  } else {
    // delay + jitter is what a request can be held for; it must respect the cap.
    const auto zero = std::chrono::milliseconds{0};
    if (faultline::config::saturating_add(faults.delay.value_or(zero),
                                          faults.jitter.value_or(zero)) > std::chrono::seconds(30))
      std::abort();
    if (faults.stall && *faults.stall > std::chrono::seconds(30)) std::abort();
    if (faults.abort && (*faults.abort < 200 || *faults.abort > 599)) std::abort();
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
