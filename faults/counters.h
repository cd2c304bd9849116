#pragma once
// Per-worker counters: each worker writes only its own cache-line-aligned slot with relaxed
// atomics (no read-modify-write, no sharing); the admin thread sums all slots at scrape time.
#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>

#include "faults/catalog.h"

namespace faultline::faults {

// Single-writer increment: cheaper than fetch_add and race-free as long as one thread owns
// the slot (the worker whose index selected it).
inline void bump(std::atomic<uint64_t>& counter) {
  counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

struct alignas(64) ExperimentCounterSlot {
  std::atomic<uint64_t> matched{0};
  std::array<std::atomic<uint64_t>, kMaxKinds> injected{};
  std::array<std::atomic<uint64_t>, kMaxKinds> dry_run{};  // would have been injected
};

// Sums, indexed by catalogue index (kind_name(i)).
struct ExperimentTotals {
  uint64_t matched = 0;
  std::array<uint64_t, kMaxKinds> injected{};
  std::array<uint64_t, kMaxKinds> dry_run{};
  uint64_t injected_total() const;
};

class ExperimentCounters {
 public:
  explicit ExperimentCounters(unsigned workers);
  // `worker` must be below the worker count given to RunState; larger indices wrap (and
  // may then lose increments, never corrupt memory).
  ExperimentCounterSlot& slot(unsigned worker) { return slots_[worker % workers_]; }
  ExperimentTotals sum() const;

 private:
  unsigned workers_;
  std::unique_ptr<ExperimentCounterSlot[]> slots_;
};

// Header-trigger counters (metrics source "header"; Envoy's headers have their own,
// source "envoy-header").
enum class RejectReason : uint8_t {
  kToken,              // x-chaos-token missing or wrong
  kSource,             // client outside triggers.headers.allow_from
  kInvalid,            // unparsable or out-of-bounds value (answered 400)
  kUnknownExperiment,  // x-chaos-experiment names no experiment (the rest still apply)
  kEnvoyInvalid,       // an Envoy fault header's value, ignored (SPEC §10.1; one per value)
};
inline constexpr size_t kRejectReasons = 5;
// "token", "source", "invalid", "unknown_experiment", "envoy_invalid"
std::string_view reject_reason_name(RejectReason reason);

struct alignas(64) HeaderCounterSlot {
  std::array<std::atomic<uint64_t>, kMaxKinds> injected{};
  std::array<std::atomic<uint64_t>, kRejectReasons> rejected{};
};

struct HeaderTotals {
  std::array<uint64_t, kMaxKinds> injected{};
  std::array<uint64_t, kRejectReasons> rejected{};
};

class HeaderCounters {
 public:
  explicit HeaderCounters(unsigned workers);
  HeaderCounterSlot& slot(unsigned worker) { return slots_[worker % workers_]; }
  HeaderTotals sum() const;

 private:
  unsigned workers_;
  std::unique_ptr<HeaderCounterSlot[]> slots_;
};

}  // namespace faultline::faults
