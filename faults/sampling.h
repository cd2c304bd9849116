#pragma once
// Percentage sampling. `random` draws from the worker's Rng. `trace` and `header:NAME` hash
// a key so that one trace (on every hop and replica: independent of runtime.seed) or one
// header value (a user) always gets the same decision for a given percentage; a key sampled
// at 10% is also sampled at 25%.
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "config/schema.h"
#include "faults/request.h"
#include "faults/rng.h"

namespace faultline::faults {

// The 128-bit trace-id of a W3C traceparent ("00-<32 hex>-<16 hex>-<2 hex>") hashed to 64
// bits; nullopt when the value is not a valid traceparent (or the trace-id is all zeros).
std::optional<uint64_t> trace_id_key(std::string_view traceparent);
// FNV-1a over the bytes, finalised with splitmix64 (stable across platforms and runs).
uint64_t hash_key(std::string_view bytes);

// The sampling key of one request for one experiment.
struct SampleKey {
  enum class Kind : uint8_t { kRandom, kKeyed, kMissing } kind = Kind::kRandom;
  uint64_t value = 0;
};

// trace: falls back to random without a valid traceparent (the request still takes part,
// just not consistently). header:NAME: a request without the header is not sampled (below
// 100%): it has no identity to be sticky to, and faulting it at random would break the
// "same user, same decision" promise for whoever sends the header later.
SampleKey sample_key(const config::SampleBy& by, std::span<const HeaderView> headers);

// `salt` distinguishes decisions of one request (0 for the experiment, fault index + 1 for
// each fault's own percentage) so they are independent yet each sticky.
bool sampled(const SampleKey& key, double percentage, uint64_t salt, Rng& rng);

}  // namespace faultline::faults
