#pragma once
// The explicit list of fault kinds (no static self-registration: static libraries drop it).
#include <cstddef>
#include <span>
#include <string_view>

#include "faults/kind.h"

namespace faultline::faults {

// Upper bound on catalogue size; per-kind counters are fixed arrays of this size.
inline constexpr size_t kMaxKinds = 16;

std::span<const FaultKind* const> catalog();
// nullptr for an unknown type.
const FaultKind* find_kind(std::string_view name);
// Index in catalog() of `name`; kMaxKinds when unknown.
size_t kind_index(std::string_view name);
std::string_view kind_name(size_t index);
// "latency, abort, reset, stall, bandwidth, slow_close, cpu" for error messages.
std::string known_kinds();

}  // namespace faultline::faults
