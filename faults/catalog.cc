#include "faults/catalog.h"

#include <string>

namespace faultline::faults {

// Defined in faults/kinds/*.cc.
extern const FaultKind kLatencyKind;
extern const FaultKind kAbortKind;
extern const FaultKind kResetKind;
extern const FaultKind kStallKind;
extern const FaultKind kBandwidthKind;
extern const FaultKind kSlowCloseKind;
extern const FaultKind kCpuKind;
extern const FaultKind kMemoryKind;
extern const FaultKind kBlackholeKind;
extern const FaultKind kLimitDataKind;
extern const FaultKind kSliceKind;
extern const FaultKind kGoawayKind;

namespace {
// Order is the counters' index order; append new kinds at the end.
const FaultKind* const kCatalog[] = {
    &kLatencyKind, &kAbortKind,  &kResetKind,     &kStallKind,     &kBandwidthKind, &kSlowCloseKind,
    &kCpuKind,     &kMemoryKind, &kBlackholeKind, &kLimitDataKind, &kSliceKind,     &kGoawayKind,
};
static_assert(std::size(kCatalog) <= kMaxKinds, "raise kMaxKinds");
}  // namespace

std::span<const FaultKind* const> catalog() {
  return kCatalog;
}

const FaultKind* find_kind(std::string_view name) {
  const size_t index = kind_index(name);
  return index < std::size(kCatalog) ? kCatalog[index] : nullptr;
}

size_t kind_index(std::string_view name) {
  for (size_t i = 0; i < std::size(kCatalog); ++i)
    if (kCatalog[i]->name == name) return i;
  return kMaxKinds;
}

std::string_view kind_name(size_t index) {
  return index < std::size(kCatalog) ? kCatalog[index]->name : std::string_view{};
}

std::string known_kinds() {
  std::string out;
  for (const FaultKind* kind : kCatalog) {
    if (!out.empty()) out += ", ";
    out += kind->name;
  }
  return out;
}

}  // namespace faultline::faults
