#pragma once
// Memory stress for `memory` faults (SPEC §12): one thread off the event loops maps and
// touches (writes every page of) chunks until it holds the "memory" Demand's amount in bytes,
// growing linearly over the demand's ramp, and unmaps them as soon as the demand drops (pause,
// halt, expiry). mmap/munmap directly rather than malloc, so released memory leaves the
// process's RSS at once instead of staying in the allocator's free lists.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "proxy/stress/background_stress.h"

namespace faultline::proxy {

class MemoryStress final : public BackgroundStress {
 public:
  MemoryStress() = default;
  ~MemoryStress() override;  // releases everything and joins the thread
  MemoryStress(const MemoryStress&) = delete;
  MemoryStress& operator=(const MemoryStress&) = delete;

  // Hold `bytes`, reached over `ramp` (0: as fast as the pages can be touched). A lower target
  // is released immediately. Call from one thread (the runtime); returns without waiting.
  void set_target(uint64_t bytes, std::chrono::milliseconds ramp);
  // Bytes mapped and touched now (gauge faultline_memory_stress_bytes); any thread.
  uint64_t bytes() const { return bytes_.load(std::memory_order_relaxed); }

  std::string_view name() const override { return "memory"; }
  void apply(const faults::Demand& demand) override;
  void stop() override { set_target(0, std::chrono::milliseconds{0}); }
  int workers() const override { return bytes() > 0 ? 1 : 0; }
  double level() const override { return static_cast<double>(bytes()); }

 private:
  struct Chunk {
    void* address;
    size_t size;
  };
  void run();
  // How many bytes the ramp allows now; called with mutex_ held.
  uint64_t allowed_now() const;
  bool grow_one(uint64_t limit);  // maps and touches one chunk up to `limit`; false on failure
  void release_to(uint64_t limit);

  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mutex_
  // The target and its ramp, guarded by mutex_: the ramp runs from ramp_from_ bytes at
  // ramp_start_ to target_ bytes at ramp_start_ + ramp_.
  uint64_t target_ = 0;
  uint64_t ramp_from_ = 0;
  std::chrono::steady_clock::time_point ramp_start_{};
  std::chrono::milliseconds ramp_{0};
  std::vector<Chunk> chunks_;  // the thread's
  std::atomic<uint64_t> bytes_{0};
};

}  // namespace faultline::proxy
