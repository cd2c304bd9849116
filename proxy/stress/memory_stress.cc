#include "proxy/stress/memory_stress.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>

namespace faultline::proxy {

namespace {
constexpr uint64_t kChunk = 4ULL << 20;  // 4 MiB: a ramp step, and a quick stop check
constexpr auto kTick = std::chrono::milliseconds(10);

uint64_t page_size() {
  static const uint64_t size = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  return size;
}
}  // namespace

MemoryStress::~MemoryStress() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  release_to(0);
}

void MemoryStress::apply(const faults::Demand& demand) {
  if (demand.idle()) return stop();
  set_target(static_cast<uint64_t>(demand.amount), demand.ramp);
}

void MemoryStress::set_target(uint64_t bytes, std::chrono::milliseconds ramp) {
  // Whole pages: chunks are, so a target inside a page would grow and release forever.
  bytes = (bytes + page_size() - 1) / page_size() * page_size();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (bytes == target_ && ramp == ramp_) return;
    // A new ramp starts from what is held now.
    ramp_from_ = std::min(bytes_.load(std::memory_order_relaxed), bytes);
    ramp_start_ = std::chrono::steady_clock::now();
    ramp_ = ramp;
    target_ = bytes;
  }
  if (bytes > 0 && !thread_.joinable()) thread_ = std::thread([this] { run(); });
  wake_.notify_all();
}

uint64_t MemoryStress::allowed_now() const {
  if (ramp_.count() <= 0 || target_ <= ramp_from_) return target_;
  const double elapsed =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - ramp_start_)
          .count();
  const double fraction = std::min(1.0, elapsed / static_cast<double>(ramp_.count()));
  return ramp_from_ + static_cast<uint64_t>(fraction * static_cast<double>(target_ - ramp_from_));
}

void MemoryStress::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    const uint64_t target = target_;
    const uint64_t allowed = allowed_now();
    const uint64_t held = bytes_.load(std::memory_order_relaxed);
    if (held > target) {
      lock.unlock();
      release_to(target);
      lock.lock();
      continue;
    }
    if (held < allowed) {
      // One chunk at a time, re-reading the target between chunks: a halt mid-ramp is seen
      // within one chunk's page touching (a few ms).
      lock.unlock();
      const bool grown = grow_one(allowed);
      lock.lock();
      if (grown) continue;
      wake_.wait_for(lock, std::chrono::milliseconds(100));  // out of memory: retry later
      continue;
    }
    if (held < target)
      wake_.wait_for(lock, kTick);  // ramping
    else
      wake_.wait(lock);  // holding: until the target changes
  }
}

bool MemoryStress::grow_one(uint64_t limit) {
  const uint64_t held = bytes_.load(std::memory_order_relaxed);
  uint64_t size = std::min(kChunk, limit - held);
  size = (size + page_size() - 1) / page_size() * page_size();
  void* address = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (address == MAP_FAILED) return false;
  // Touch every page so the kernel backs it: RSS grows, not just the address space.
  auto* bytes = static_cast<volatile unsigned char*>(address);
  for (uint64_t offset = 0; offset < size; offset += page_size()) bytes[offset] = 0x5a;
  chunks_.push_back({address, size});
  bytes_.fetch_add(size, std::memory_order_relaxed);
  return true;
}

void MemoryStress::release_to(uint64_t limit) {
  while (!chunks_.empty() && bytes_.load(std::memory_order_relaxed) > limit) {
    const Chunk chunk = chunks_.back();
    chunks_.pop_back();
    ::munmap(chunk.address, chunk.size);
    bytes_.fetch_sub(chunk.size, std::memory_order_relaxed);
  }
}

}  // namespace faultline::proxy
