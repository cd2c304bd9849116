#pragma once
// A write request that lives in a per-worker free list and holds references to the slabs its
// buffers point into until libuv reports completion. Writes are coalesced: one WriteOp
// gathers every span produced while handling one read.
#include <uv.h>

#include <cstddef>

#include "proxy/io/slab_pool.h"

namespace faultline::proxy {

struct WriteOp {
  static constexpr unsigned kMaxBufs = 8;
  uv_write_t req;
  WriteOp* next_free = nullptr;
  unsigned nbufs = 0;
  unsigned nslabs = 0;
  size_t bytes = 0;
  uv_buf_t bufs[kMaxBufs];
  Slab* slabs[kMaxBufs];

  bool full() const { return nbufs == kMaxBufs; }
  // Adds a span of `slab` (taking a reference), merging with the previous buffer when
  // contiguous in the same slab.
  void add(SlabPool& pool, Slab* slab, const char* p, size_t n) {
    if (nbufs > 0 && slabs[nslabs - 1] == slab && bufs[nbufs - 1].base + bufs[nbufs - 1].len == p) {
      bufs[nbufs - 1].len += n;
      bytes += n;
      return;
    }
    bufs[nbufs++] = uv_buf_init(const_cast<char*>(p), static_cast<unsigned>(n));
    if (nslabs == 0 || slabs[nslabs - 1] != slab) {
      pool.ref(slab);
      slabs[nslabs++] = slab;
    }
    bytes += n;
  }
  void release(SlabPool& pool) {
    for (unsigned i = 0; i < nslabs; ++i) pool.unref(slabs[i]);
    nslabs = nbufs = 0;
    bytes = 0;
  }
};

class WriteOpPool {
 public:
  ~WriteOpPool() {
    while (free_) {
      WriteOp* next = free_->next_free;
      delete free_;
      free_ = next;
    }
  }
  WriteOp* acquire() {
    WriteOp* op = free_;
    if (op) {
      free_ = op->next_free;
      --free_count_;
    } else {
      op = new WriteOp;
    }
    op->next_free = nullptr;
    return op;
  }
  void give_back(WriteOp* op) {
    if (free_count_ >= 256) {
      delete op;
      return;
    }
    op->next_free = free_;
    free_ = op;
    ++free_count_;
  }

 private:
  WriteOp* free_ = nullptr;
  size_t free_count_ = 0;
};

}  // namespace faultline::proxy
