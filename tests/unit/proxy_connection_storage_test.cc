// What a new connection costs the allocator (issue 14): a worker reuses the memory of ended
// HTTP and TCP sessions and of their client transports (proxy/io/spare_blocks.h), keeping at
// most kSpareBlocks of each, and a request or response head that fits a collector's inline
// arena allocates nothing. Allocations are counted by replacing operator new in this binary.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "allocation_counter.h"
#include "proxy/http/head.h"
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

void collect_head(HeadCollector& h,
                  const std::vector<std::pair<std::string, std::string>>& fields) {
  h.reset(64 * 1024);
  ASSERT_TRUE(h.add_target("/", 1));
  for (const auto& [name, value] : fields) {
    ASSERT_TRUE(h.add_field(name.data(), name.size()));
    ASSERT_TRUE(h.field_done());
    ASSERT_TRUE(h.add_value(value.data(), value.size()));
  }
}

TEST(ConnectionStorage, ASmallHeadAllocatesNothing) {
  HeadCollector h;
  // The benchmark's request: names, values and target are 52 bytes.
  const std::vector<std::pair<std::string, std::string>> fields = {
      {"Host", "127.0.0.1:18080"}, {"User-Agent", "wrk"}, {"Accept", "*/*"}};
  const long before = allocations.load();
  collect_head(h, fields);
  EXPECT_EQ(allocations.load() - before, 0);
  EXPECT_EQ(h.find("host"), "127.0.0.1:18080");
}

TEST(ConnectionStorage, AHeadPastTheInlineArenaMovesToTheHeapIntact) {
  HeadCollector h;
  std::vector<std::pair<std::string, std::string>> fields;
  for (int i = 0; i < 20; ++i)
    fields.emplace_back("x-field-" + std::to_string(i), std::string(40, 'a' + i));
  const long before = allocations.load();
  collect_head(h, fields);
  EXPECT_GE(allocations.load() - before, 1);
  ASSERT_EQ(h.count(), fields.size());
  for (size_t i = 0; i < fields.size(); ++i) {
    EXPECT_EQ(h.name(i), fields[i].first);
    EXPECT_EQ(h.value(i), fields[i].second);
  }
  EXPECT_EQ(h.target(), "/");
  // The next head on the connection reuses the grown arena.
  const long again = allocations.load();
  collect_head(h, fields);
  EXPECT_EQ(allocations.load() - again, 0);
  EXPECT_EQ(h.value(19), fields[19].second);
}

}  // namespace
}  // namespace faultline::proxy
