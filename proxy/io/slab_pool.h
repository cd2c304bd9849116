#pragma once
// Fixed-size, reference-counted read buffers from a per-worker free list. A read lands in a
// slab (alloc_cb); writes that forward parts of it hold a reference until their callback, so
// bodies are relayed without copying and memory is bounded by the number of slabs in flight.
#include <cassert>
#include <cstddef>
#include <cstdint>

namespace faultline::proxy {

struct Slab {
  static constexpr size_t kSize = 64 * 1024 - 64;  // a 64 KiB allocation with its header
  Slab* next_free = nullptr;
  uint32_t refs = 0;
  char data[kSize];
};

// After a burst (many slabs live at once, e.g. slow readers holding full queues) the memory
// goes back to the system once the burst is over: spare slabs beyond a small reserve are
// freed and the allocator returns free pages (malloc_trim), so the RSS of an idle proxy does
// not stay at its peak.
//
// Below a burst, spares are kept up to max_free so that a steady load (say 50 keep-alive
// connections whose reads come and go) reuses the same slabs instead of mapping and unmapping
// one per request; decay(), called about once a second, frees the spares that no acquire()
// needed during the whole interval, so a load that went away gives its memory back too.
class SlabPool {
 public:
  static constexpr size_t kBurstSlabs = 64;  // live slabs that make a burst (4 MiB)
  static constexpr size_t kCalmSlabs = 8;    // the burst is over at or below this many
  static constexpr size_t kCalmReserve = 8;  // spare slabs kept after a burst or a decay
  static constexpr uint64_t kDecayIntervalMs = 1000;
  static constexpr size_t kDecayTrimSlabs = 16;  // a decay freeing this many also trims the heap

  explicit SlabPool(size_t max_free = kBurstSlabs) : max_free_(max_free) {}
  ~SlabPool();
  SlabPool(const SlabPool&) = delete;
  SlabPool& operator=(const SlabPool&) = delete;

  Slab* acquire();  // refs == 1
  void ref(Slab* slab) { ++slab->refs; }
  void unref(Slab* slab) {
    if (--slab->refs == 0) give_back(slab);
  }

  size_t free_count() const { return free_count_; }
  size_t live_count() const { return live_count_; }
  size_t mapped_total() const { return mapped_total_; }  // slabs ever created
  bool trim_pending() const { return trim_pending_; }

  // Spares beyond the calm reserve that decay() may free: the owner then schedules a decay.
  bool decay_wanted() const { return free_count_ > kCalmReserve; }
  // Starts an interval at whose end decay() frees the spares no acquire() took meanwhile.
  void start_decay_interval() { low_free_ = free_count_; }
  // Frees the spares no acquire() took since the interval began (never below the reserve), and
  // begins the next interval. Returns how many it freed.
  size_t decay();

  // Call where objects freed after a burst are already gone (the worker's reaper): returns the
  // memory of a finished burst to the system. Costs a flag test otherwise.
  void maybe_trim() {
    if (trim_pending_) trim();
  }

 private:
  void give_back(Slab* slab);
  void trim();
  void free_spares_down_to(size_t keep);
  Slab* free_ = nullptr;
  size_t free_count_ = 0;
  size_t live_count_ = 0;
  size_t peak_live_ = 0;  // since the last trim
  size_t low_free_ = 0;   // fewest spares since the last decay: these were not needed
  size_t mapped_total_ = 0;
  bool trim_pending_ = false;
  size_t max_free_;
};

// The slab one stream's next read lands in. libuv calls alloc_cb and then read_cb for the same
// stream in pairs, so the slab is remembered at allocation and taken back at the read: who owns
// a buffer is never recovered from a data pointer (which breaks once the pointer moved on).
class ReadSlot {
 public:
  ReadSlot() = default;
  ReadSlot(const ReadSlot&) = delete;
  ReadSlot& operator=(const ReadSlot&) = delete;
  ~ReadSlot() { assert(slab_ == nullptr); }

  // For alloc_cb: a fresh slab (refs == 1) owned by this slot until take().
  Slab* fill(SlabPool& pool) {
    if (!slab_) slab_ = pool.acquire();
    return slab_;
  }
  // For read_cb: hands the reference to the caller (null if nothing was allocated).
  Slab* take() {
    Slab* slab = slab_;
    slab_ = nullptr;
    return slab;
  }
  void release(SlabPool& pool) {
    if (slab_) pool.unref(slab_);
    slab_ = nullptr;
  }

 private:
  Slab* slab_ = nullptr;
};

}  // namespace faultline::proxy
