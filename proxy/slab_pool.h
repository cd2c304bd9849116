#pragma once
// Fixed-size, reference-counted read buffers from a per-worker free list. A read lands in a
// slab (alloc_cb); writes that forward parts of it hold a reference until their callback, so
// bodies are relayed without copying and memory is bounded by the number of slabs in flight.
#include <cstddef>
#include <cstdint>

namespace faultline::proxy {

struct Slab {
  static constexpr size_t kSize = 64 * 1024 - 64;  // a 64 KiB allocation with its header
  Slab* next_free = nullptr;
  uint32_t refs = 0;
  char data[kSize];

  static Slab* from_data(char* p) { return reinterpret_cast<Slab*>(p - offsetof(Slab, data)); }
};

class SlabPool {
 public:
  explicit SlabPool(size_t max_free = 32) : max_free_(max_free) {}
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

 private:
  void give_back(Slab* slab);
  Slab* free_ = nullptr;
  size_t free_count_ = 0;
  size_t live_count_ = 0;
  size_t max_free_;
};

}  // namespace faultline::proxy
