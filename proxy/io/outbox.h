#pragma once
// The write side of one stream (a Transport): spans are staged into a WriteOp and flushed as one
// uv_write (coalesced), and the memory pinned by what is queued but not yet written is counted
// so that the reader of the other side can be paused above a high-water mark.
#include <uv.h>

#include "proxy/io/transport.h"
#include "proxy/io/write_op.h"

namespace faultline::proxy {

struct Outbox {
  // The high-water mark counts the slabs a queued write pins, not its bytes: a slow reader
  // fed by an upstream that sends small pieces would otherwise pin a whole 64 KiB slab per
  // few bytes. Above kHighWater the other side stops reading (so at most one more read, of at
  // most two slabs, lands on top); it resumes once at most one slab is pinned (kLowWater).
  static constexpr size_t kHighWater = 96 * 1024;
  static constexpr size_t kLowWater = 64 * 1024;

  WriteOp* staging = nullptr;
  size_t queued = 0;       // bytes handed to uv_write and not yet completed
  size_t pinned = 0;       // slab memory those writes hold (sizeof(Slab) per slab per op)
  unsigned in_flight = 0;  // WriteOps handed to uv_write

  bool idle() const { return in_flight == 0 && staging == nullptr; }
  bool above_high_water() const { return pinned > kHighWater; }
  bool below_low_water() const { return pinned < kLowWater; }

  void add(WriteOpPool& ops, SlabPool& slabs, Slab* slab, const char* p, size_t n) {
    if (!staging) {
      staging = ops.acquire();
      staging->nbufs = staging->nslabs = 0;
      staging->bytes = 0;
    }
    staging->add(slabs, slab, p, n);
  }
  bool must_flush() const { return staging && staging->full(); }
  // Hands the staged op to the kernel: with nothing queued it tries a synchronous write first
  // (no write request, no poll-set change); what the socket does not take is queued with
  // uv_write. Returns a libuv error (the op is then released).
  int flush(Transport& stream, void* data, uv_write_cb cb, WriteOpPool& ops, SlabPool& slabs) {
    WriteOp* op = staging;
    if (!op) return 0;
    staging = nullptr;
    unsigned first = 0;
    if (in_flight == 0) {
      // On UV_EAGAIN the same bytes go to write() below (a TLS layer may hold them already).
      int n = stream.try_write(op->bufs, op->nbufs);
      if (n < 0 && n != UV_EAGAIN) {
        op->release(slabs);
        ops.give_back(op);
        return n;
      }
      size_t written = n > 0 ? static_cast<size_t>(n) : 0;
      if (written == op->bytes) {
        op->release(slabs);
        ops.give_back(op);
        return 0;
      }
      // Skip what was written; the rest goes through uv_write.
      while (written >= op->bufs[first].len) written -= op->bufs[first++].len;
      op->bufs[first].base += written;
      op->bufs[first].len -= static_cast<unsigned>(written);
      size_t left = 0;
      for (unsigned i = first; i < op->nbufs; ++i) left += op->bufs[i].len;
      op->bytes = left;
    }
    op->req.data = data;
    int rc = stream.write(&op->req, op->bufs + first, op->nbufs - first, cb);
    if (rc != 0) {
      op->release(slabs);
      ops.give_back(op);
      return rc;
    }
    queued += op->bytes;
    pinned += op->nslabs * sizeof(Slab);
    ++in_flight;
    return 0;
  }
  // Completion bookkeeping for a WriteOp; call from the write callback.
  void completed(WriteOp* op, WriteOpPool& ops, SlabPool& slabs) {
    queued -= op->bytes;
    pinned -= op->nslabs * sizeof(Slab);
    --in_flight;
    op->release(slabs);
    ops.give_back(op);
  }
  void discard(WriteOpPool& ops, SlabPool& slabs) {
    if (staging) {
      staging->release(slabs);
      ops.give_back(staging);
      staging = nullptr;
    }
  }
};

}  // namespace faultline::proxy
