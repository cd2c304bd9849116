// What an HTTP/2 stream costs the allocator (proxy/http2/): a header block of a usual size (up
// to 16 fields, 512 bytes) is two allocations, none with the buffers an ended list left; a worker
// reuses the blocks of ended streams, keeping at most H2Stream::kSpareBlocks of them; and nghttp2's
// blocks (Nghttp2Memory) are kept per size class, at most kKeep each, for the next ones.
// Allocations are counted by replacing operator new in this test binary.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "allocation_counter.h"
#include "proxy/http2/header_list.h"
#include "proxy/http2/nghttp2_memory.h"
#include "proxy/http2/stream.h"

namespace faultline::proxy {
namespace {

using allocation_counter::allocations;

TEST(H2HeaderList, KeepsFieldsInOrder) {
  HeaderList list;
  list.emplace_back(":status", "200");
  list.emplace_back("content-type", "application/grpc");
  list.emplace_back("x-empty", "");
  ASSERT_EQ(list.size(), 3u);
  std::vector<std::string> seen;
  for (const auto& [name, value] : list)
    seen.push_back(std::string(name) + "=" + std::string(value));
  EXPECT_EQ(seen,
            (std::vector<std::string>{":status=200", "content-type=application/grpc", "x-empty="}));
  list.clear();
  EXPECT_TRUE(list.empty());
  EXPECT_EQ(list.begin(), list.end());
}

const std::string kValue(20, 'v');  // past any short-string buffer

// 16 fields of 32 bytes: a usual block.
void fill(HeaderList& list) {
  const std::string& value = kValue;
  for (int i = 0; i < 16; ++i) list.emplace_back("x-field-name", value);
  EXPECT_EQ(list[15].second, value);
}

TEST(H2HeaderList, AUsualBlockIsTwoAllocationsOrNoneWithTheBuffersOfAnEndedList) {
  // More lists than are kept: the last one cannot have kept buffers.
  std::vector<HeaderList> lists(HeaderList::kSpareBuffers + 1);
  for (size_t i = 0; i < HeaderList::kSpareBuffers; ++i) fill(lists[i]);
  long before = allocations.load();
  fill(lists.back());
  EXPECT_EQ(allocations.load() - before, 2);
  lists.clear();  // their buffers are kept, up to kSpareBuffers
  before = allocations.load();
  {
    HeaderList next;
    fill(next);
  }
  EXPECT_EQ(allocations.load() - before, 0);
}

TEST(H2HeaderList, ABufferGrownForAnUnusualBlockIsNotKept) {
  {
    HeaderList big;
    big.emplace_back("x-large", std::string(64 * 1024, 'x'));
  }
  // Were the 64 KiB buffer kept, the next list would get it (the last one kept goes first) and
  // not grow when filled past 2 KiB.
  HeaderList next;
  next.emplace_back("a", "b");
  const long before = allocations.load();
  next.emplace_back("x-large", std::string(4 * HeaderList::kReserveBytes, 'x'));
  EXPECT_GE(allocations.load() - before, 2);  // the value's string, and the buffer's growth
}

TEST(H2StreamBlocks, AnEndedStreamsBlockGoesToTheNextStream) {
  void* first = H2Stream::operator new(sizeof(H2Stream));
  H2Stream::operator delete(first, sizeof(H2Stream));
  const long before = allocations.load();
  void* second = H2Stream::operator new(sizeof(H2Stream));
  EXPECT_EQ(second, first);
  EXPECT_EQ(allocations.load() - before, 0);
  H2Stream::operator delete(second, sizeof(H2Stream));
}

TEST(H2StreamBlocks, AtMostKSpareBlocksAreKept) {
  constexpr size_t kMany = 2 * H2Stream::kSpareBlocks;
  std::vector<void*> blocks;
  for (size_t i = 0; i < kMany; ++i) blocks.push_back(H2Stream::operator new(sizeof(H2Stream)));
  for (void* b : blocks) H2Stream::operator delete(b, sizeof(H2Stream));
  blocks.clear();
  blocks.reserve(kMany);
  const long before = allocations.load();
  for (size_t i = 0; i < H2Stream::kSpareBlocks; ++i)
    blocks.push_back(H2Stream::operator new(sizeof(H2Stream)));
  EXPECT_EQ(allocations.load() - before, 0);  // all kept ones reused
  blocks.push_back(H2Stream::operator new(sizeof(H2Stream)));
  EXPECT_EQ(allocations.load() - before, 1);  // no more were kept
  for (void* b : blocks) H2Stream::operator delete(b, sizeof(H2Stream));
}

TEST(H2Nghttp2Memory, AFreedBlockGoesToTheNextOfItsSizeClass) {
  nghttp2_mem* mem = Nghttp2Memory::get();
  void* a = mem->malloc(100, mem->mem_user_data);
  mem->free(a, mem->mem_user_data);
  EXPECT_EQ(mem->malloc(120, mem->mem_user_data), a);  // 100 and 120: the same 64-byte class
  void* other = mem->malloc(200, mem->mem_user_data);  // another class: not that block
  EXPECT_NE(other, a);
  mem->free(other, mem->mem_user_data);
  mem->free(a, mem->mem_user_data);
}

TEST(H2Nghttp2Memory, KeepsAtMostKKeepPerClassAndNoLargeBlocks) {
  nghttp2_mem* mem = Nghttp2Memory::get();
  const size_t before = Nghttp2Memory::kept();
  std::vector<void*> blocks;
  for (size_t i = 0; i < 2 * Nghttp2Memory::kKeep; ++i)
    blocks.push_back(mem->malloc(700, mem->mem_user_data));
  for (void* b : blocks) mem->free(b, mem->mem_user_data);
  EXPECT_LE(Nghttp2Memory::kept(), before + Nghttp2Memory::kKeep);
  EXPECT_GE(Nghttp2Memory::kept(), before + Nghttp2Memory::kKeep - 1);
  const size_t kept = Nghttp2Memory::kept();
  mem->free(mem->malloc(Nghttp2Memory::kLargest + 1, mem->mem_user_data), mem->mem_user_data);
  EXPECT_EQ(Nghttp2Memory::kept(), kept);
}

TEST(H2Nghttp2Memory, ReallocKeepsTheBytesAndCallocZeroes) {
  nghttp2_mem* mem = Nghttp2Memory::get();
  auto* p = static_cast<char*>(mem->malloc(10, mem->mem_user_data));
  std::memcpy(p, "0123456789", 10);
  p = static_cast<char*>(mem->realloc(p, 5000, mem->mem_user_data));
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(std::string(p, 10), "0123456789");
  mem->free(p, mem->mem_user_data);
  auto* z = static_cast<unsigned char*>(mem->calloc(3, 100, mem->mem_user_data));
  for (int i = 0; i < 300; ++i) ASSERT_EQ(z[i], 0) << i;
  mem->free(z, mem->mem_user_data);
}

}  // namespace
}  // namespace faultline::proxy
