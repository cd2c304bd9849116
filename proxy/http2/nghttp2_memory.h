#pragma once
// The allocator nghttp2 uses for the HTTP/2 sessions of a worker thread. nghttp2 allocates and
// frees about ten small blocks per stream (streams, queued frames, header fields); glibc's
// per-thread cache keeps only seven blocks of a size, so at tens of streams in flight most of
// them went through malloc's bins. This one keeps up to kKeep freed blocks per 64-byte size
// class (up to 1 KiB) per thread for the next allocations; larger blocks go to malloc.
#include <nghttp2/nghttp2.h>

#include <cstddef>

namespace faultline::proxy {

struct Nghttp2Memory {
  static constexpr size_t kClassSize = 64;
  static constexpr size_t kLargest = 1024;  // larger blocks are not kept
  static constexpr size_t kKeep = 64;       // freed blocks kept per size class and thread
  static nghttp2_mem* get();                // the same for every thread; each keeps its own
  static size_t kept();                     // blocks the calling thread keeps (tests)
};

}  // namespace faultline::proxy
