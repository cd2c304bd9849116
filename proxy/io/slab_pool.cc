#include "proxy/io/slab_pool.h"

#include <malloc.h>
#include <sys/mman.h>

#include <algorithm>
#include <new>

#if defined(__SANITIZE_ADDRESS__)
#define FAULTLINE_SLABS_FROM_HEAP 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FAULTLINE_SLABS_FROM_HEAP 1
#endif
#endif

namespace faultline::proxy {
namespace {

// Slabs are mapped one by one rather than taken from the heap: a slab freed after a burst
// goes straight back to the system instead of staying in an allocator arena (where 64 KiB
// chunks fragment and keep the RSS at its peak). The pool's free list makes the system call
// rare in steady state. Under AddressSanitizer the heap is used, so misuse is still caught.
constexpr size_t kMapBytes = (sizeof(Slab) + 4095) & ~size_t{4095};

Slab* new_slab() {
#ifdef FAULTLINE_SLABS_FROM_HEAP
  return new Slab;
#else
  void* mem = mmap(nullptr, kMapBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) throw std::bad_alloc();
  return new (mem) Slab;
#endif
}

void trim_heap() {
#if defined(__GLIBC__)
  malloc_trim(0);  // every arena: the pages of freed slabs, sessions and write ops
#endif
}

void delete_slab(Slab* slab) {
#ifdef FAULTLINE_SLABS_FROM_HEAP
  delete slab;
#else
  slab->~Slab();
  munmap(slab, kMapBytes);
#endif
}

}  // namespace

SlabPool::~SlabPool() {
  while (free_) {
    Slab* next = free_->next_free;
    delete_slab(free_);
    free_ = next;
  }
}

Slab* SlabPool::acquire() {
  Slab* slab = free_;
  if (slab) {
    free_ = slab->next_free;
    if (--free_count_ < low_free_) low_free_ = free_count_;
  } else {
    slab = new_slab();
    ++mapped_total_;
  }
  slab->next_free = nullptr;
  slab->refs = 1;
  if (++live_count_ > peak_live_) peak_live_ = live_count_;
  return slab;
}

void SlabPool::give_back(Slab* slab) {
  --live_count_;
  if (peak_live_ >= kBurstSlabs && live_count_ <= kCalmSlabs) trim_pending_ = true;
  // A bounded reserve; decay() and trim() take it down further once the load is gone.
  if (free_count_ >= max_free_) {
    delete_slab(slab);
    return;
  }
  slab->next_free = free_;
  free_ = slab;
  ++free_count_;
}

void SlabPool::free_spares_down_to(size_t keep) {
  while (free_count_ > keep) {
    Slab* next = free_->next_free;
    delete_slab(free_);
    free_ = next;
    --free_count_;
  }
  if (low_free_ > free_count_) low_free_ = free_count_;
}

size_t SlabPool::decay() {
  const size_t before = free_count_;
  const size_t unused = std::min(low_free_, free_count_);
  free_spares_down_to(std::max(kCalmReserve, free_count_ - unused));
  low_free_ = free_count_;
  // A load that went away: its sessions' heap pages go back too, as after a burst.
  if (before - free_count_ >= kDecayTrimSlabs) trim_heap();
  return before - free_count_;
}

void SlabPool::trim() {
  trim_pending_ = false;
  peak_live_ = live_count_;
  free_spares_down_to(kCalmReserve);
  trim_heap();
}

}  // namespace faultline::proxy
