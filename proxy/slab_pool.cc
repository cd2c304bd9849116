#include "proxy/slab_pool.h"

#include <malloc.h>

#include <new>

namespace faultline::proxy {

SlabPool::~SlabPool() {
  while (free_) {
    Slab* next = free_->next_free;
    delete free_;
    free_ = next;
  }
}

Slab* SlabPool::acquire() {
  Slab* slab = free_;
  if (slab) {
    free_ = slab->next_free;
    --free_count_;
  } else {
    slab = new Slab;
  }
  slab->next_free = nullptr;
  slab->refs = 1;
  if (++live_count_ > peak_live_) peak_live_ = live_count_;
  return slab;
}

void SlabPool::give_back(Slab* slab) {
  --live_count_;
  if (peak_live_ >= kBurstSlabs && live_count_ <= kCalmSlabs) trim_pending_ = true;
  // Keep a bounded reserve so that an idle worker returns to a small footprint.
  if (free_count_ >= max_free_) {
    delete slab;
    return;
  }
  slab->next_free = free_;
  free_ = slab;
  ++free_count_;
}

void SlabPool::trim() {
  trim_pending_ = false;
  peak_live_ = live_count_;
  while (free_count_ > kCalmReserve) {
    Slab* next = free_->next_free;
    delete free_;
    free_ = next;
    --free_count_;
  }
#if defined(__GLIBC__)
  malloc_trim(0);  // every arena: the pages of freed slabs, sessions and write ops
#endif
}

}  // namespace faultline::proxy
