#include "proxy/slab_pool.h"

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
  ++live_count_;
  return slab;
}

void SlabPool::give_back(Slab* slab) {
  --live_count_;
  // Keep a bounded reserve so that an idle worker returns to a small footprint.
  if (free_count_ >= max_free_) {
    delete slab;
    return;
  }
  slab->next_free = free_;
  free_ = slab;
  ++free_count_;
}

}  // namespace faultline::proxy
