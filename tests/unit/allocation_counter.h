#pragma once
// Counts the allocations of a test binary: replaces the global operator new and delete. Include
// it in one file of a binary of its own (the replacement applies to the whole program).
#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

namespace allocation_counter {
inline std::atomic<long> allocations{0};  // calls to the global operator new so far
}  // namespace allocation_counter

// GCC sees free() on memory from operator new once these inline into each other; here that is
// the point (both sides are ours and use malloc/free).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

void* operator new(std::size_t size) {
  allocation_counter::allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
// Arrays too: libstdc++'s operator new[] calls operator new, but a sanitizer runtime replaces
// new[] itself, and the count would miss arrays in the sanitizer build.
void* operator new[](std::size_t size) {
  return operator new(size);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}
