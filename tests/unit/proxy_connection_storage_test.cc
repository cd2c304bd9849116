// What a new connection costs the allocator (issue 14): a worker reuses the memory of ended
// HTTP and TCP sessions and of their client transports (proxy/io/spare_blocks.h), keeping at
// most kSpareBlocks of each. Allocations are counted by replacing operator new in this binary.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "allocation_counter.h"
#include "proxy/http/session.h"
#include "proxy/io/transport.h"
#include "proxy/tcp/session.h"

namespace faultline::proxy {
namespace {

using allocation_counter::allocations;

// An ended object's block goes to the next one of its type, without an allocation, and at most
// T::kMax blocks are kept: the rest go back to malloc.
template <typename T, size_t kMax>
void expect_blocks_reused_up_to(size_t max) {
  EXPECT_EQ(kMax, max);
  void* first = T::operator new(sizeof(T));
  T::operator delete(first, sizeof(T));
  long before = allocations.load();
  void* second = T::operator new(sizeof(T));
  EXPECT_EQ(second, first);
  EXPECT_EQ(allocations.load() - before, 0);
  T::operator delete(second, sizeof(T));

  std::vector<void*> blocks;
  for (size_t i = 0; i < 2 * kMax; ++i) blocks.push_back(T::operator new(sizeof(T)));
  for (void* b : blocks) T::operator delete(b, sizeof(T));
  blocks.clear();
  blocks.reserve(2 * kMax);
  before = allocations.load();
  for (size_t i = 0; i < kMax; ++i) blocks.push_back(T::operator new(sizeof(T)));
  EXPECT_EQ(allocations.load() - before, 0);  // all kept ones reused
  blocks.push_back(T::operator new(sizeof(T)));
  EXPECT_EQ(allocations.load() - before, 1);  // no more were kept
  for (void* b : blocks) T::operator delete(b, sizeof(T));
}

TEST(ConnectionStorage, EndedHttpSessionsLeaveTheirBlocksForTheNextOnes) {
  expect_blocks_reused_up_to<HttpSession, HttpSession::kSpareBlocks>(16);
}

TEST(ConnectionStorage, EndedTcpSessionsLeaveTheirBlocksForTheNextOnes) {
  expect_blocks_reused_up_to<TcpSession, TcpSession::kSpareBlocks>(16);
}

TEST(ConnectionStorage, EndedClientTransportsLeaveTheirBlocksForTheNextOnes) {
  expect_blocks_reused_up_to<Transport, Transport::Spare::kMaxBlocks>(16);
}

TEST(ConnectionStorage, ABlockOfAnotherSizeIsNotKept) {
  // A derived class (none exists today) would come through with its own size.
  void* odd = HttpSession::operator new(sizeof(HttpSession) + 8);
  const size_t spare = HttpSession::Spare::spare_count();
  HttpSession::operator delete(odd, sizeof(HttpSession) + 8);
  EXPECT_EQ(HttpSession::Spare::spare_count(), spare);
}

}  // namespace
}  // namespace faultline::proxy
