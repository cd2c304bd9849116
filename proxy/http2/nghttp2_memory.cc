#include "proxy/http2/nghttp2_memory.h"

#include <cstdlib>
#include <cstring>
#include <vector>

namespace faultline::proxy {

namespace {

constexpr size_t kClasses = Nghttp2Memory::kLargest / Nghttp2Memory::kClassSize;

// In front of every block: its usable size (16 bytes, so the block keeps malloc's alignment).
struct alignas(16) Header {
  size_t size;
};

size_t class_of(size_t size) {
  return (size + Nghttp2Memory::kClassSize - 1) / Nghttp2Memory::kClassSize - 1;
}

struct Kept {
  std::vector<void*> blocks[kClasses];
  ~Kept() {
    for (auto& list : blocks)
      for (void* b : list) std::free(static_cast<Header*>(b) - 1);
  }
};
thread_local Kept kept_blocks;

void* allocate(size_t size, void*) {
  if (size == 0) size = 1;
  if (size <= Nghttp2Memory::kLargest) {
    const size_t c = class_of(size);
    auto& list = kept_blocks.blocks[c];
    if (!list.empty()) {
      void* b = list.back();
      list.pop_back();
      return b;
    }
    size = (c + 1) * Nghttp2Memory::kClassSize;
  }
  auto* h = static_cast<Header*>(std::malloc(sizeof(Header) + size));
  if (h == nullptr) return nullptr;
  h->size = size;
  return h + 1;
}

void release(void* p, void*) {
  if (p == nullptr) return;
  Header* h = static_cast<Header*>(p) - 1;
  if (h->size <= Nghttp2Memory::kLargest) {
    auto& list = kept_blocks.blocks[class_of(h->size)];
    if (list.size() < Nghttp2Memory::kKeep) {
      if (list.capacity() == 0) list.reserve(Nghttp2Memory::kKeep);
      list.push_back(p);
      return;
    }
  }
  std::free(h);
}

void* allocate_zeroed(size_t n, size_t size, void* user) {
  if (size != 0 && n > static_cast<size_t>(-1) / size) return nullptr;
  void* p = allocate(n * size, user);
  if (p) std::memset(p, 0, n * size);
  return p;
}

void* reallocate(void* p, size_t size, void* user) {
  if (p == nullptr) return allocate(size, user);
  if (size == 0) {
    release(p, user);
    return nullptr;
  }
  const size_t have = (static_cast<Header*>(p) - 1)->size;
  if (size <= have) return p;
  void* q = allocate(size, user);
  if (q == nullptr) return nullptr;
  std::memcpy(q, p, have);
  release(p, user);
  return q;
}

nghttp2_mem memory{nullptr, allocate, release, allocate_zeroed, reallocate};

}  // namespace

nghttp2_mem* Nghttp2Memory::get() {
  return &memory;
}

size_t Nghttp2Memory::kept() {
  size_t n = 0;
  for (const auto& list : kept_blocks.blocks) n += list.size();
  return n;
}

}  // namespace faultline::proxy
