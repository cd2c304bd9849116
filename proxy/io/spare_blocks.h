#pragma once
// Memory of ended objects of one type, kept per thread for the next one: a session or a stream
// is larger than glibc's per-thread cache of small blocks (1 KiB), so without this each one
// costs a trip through malloc's bins to allocate and another to free. An object type opts in
// with class-specific operator new and delete that call take() and give(); constructors and
// destructors run as before, only the memory is reused. At most kMax blocks wait per thread
// (the rest go back to malloc), and the thread's blocks are freed when it ends.
#include <cstddef>
#include <new>

namespace faultline::proxy {

template <typename T, size_t kMax>
class SpareBlocks {
 public:
  static constexpr size_t kMaxBlocks = kMax;
  static void* take(size_t size) {
    Store& s = store;
    if (size != sizeof(T) || s.count == 0) return ::operator new(size);
    return s.blocks[--s.count];
  }
  static void give(void* block, size_t size) {
    Store& s = store;
    if (size != sizeof(T) || s.count == kMax) {
      ::operator delete(block);
      return;
    }
    s.blocks[s.count++] = block;
  }
  static size_t spare_count() { return store.count; }  // this thread's (tests)

 private:
  struct Store {
    void* blocks[kMax];
    size_t count = 0;
    ~Store() {
      while (count > 0) ::operator delete(blocks[--count]);
    }
  };
  static thread_local Store store;
};

template <typename T, size_t kMax>
thread_local typename SpareBlocks<T, kMax>::Store SpareBlocks<T, kMax>::store;

}  // namespace faultline::proxy
