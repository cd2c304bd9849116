// The open-file budget (descriptor_budget.h) and the log-line limiter (log_limiter.h).
#include <gtest/gtest.h>

#include "proxy/control/descriptor_budget.h"
#include "proxy/io/log_limiter.h"

namespace faultline::proxy {
namespace {

using namespace std::chrono_literals;

config::Config two_listeners(uint32_t first_max, bool first_set) {
  config::Config c;
  config::ListenerConfig a;
  a.name = "a";
  a.max_connections = first_max;
  a.max_connections_set = first_set;
  config::ListenerConfig b;
  b.name = "b";  // left at the default
  c.listeners = {a, b};
  return c;
}

TEST(DescriptorBudget, DefaultsShareWhatExplicitLimitsAndTheReserveLeave) {
  auto c = two_listeners(100, true);
  const uint64_t reserve = reserved_descriptors(c, 2);
  const uint64_t limit = reserve + 2 * 100 + 2 * 50;
  auto notes = fit_default_max_connections(c, 2, limit);
  EXPECT_EQ(c.listeners[0].max_connections, 100u);  // written in the file: untouched
  EXPECT_EQ(c.listeners[1].max_connections, 50u);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("listener b: max_connections lowered from 10000 to 50"),
            std::string::npos)
      << notes[0];
  config::Diagnostics diags;
  check_descriptor_budget(c, 2, limit, diags);
  EXPECT_TRUE(diags.ok());
}

TEST(DescriptorBudget, DefaultsAreKeptWhenTheyFit) {
  auto c = two_listeners(10000, false);
  EXPECT_TRUE(fit_default_max_connections(c, 2, 1'000'000).empty());
  EXPECT_EQ(c.listeners[0].max_connections, 10000u);
  EXPECT_EQ(c.listeners[1].max_connections, 10000u);
}

TEST(DescriptorBudget, AnExplicitLimitThatDoesNotFitIsAnErrorNamingIt) {
  auto c = two_listeners(1000, true);
  config::Diagnostics diags;
  check_descriptor_budget(c, 2, 1024, diags);
  ASSERT_EQ(diags.items().size(), 1u);
  EXPECT_EQ(diags.items()[0].path, "listeners[0].max_connections");
  EXPECT_NE(diags.items()[0].message.find("limit is 1024"), std::string::npos);
}

TEST(LogLimiter, LetsABurstThroughThenCountsWhatItDrops) {
  LogLimiter limiter(10s, 2);
  auto t0 = LogLimiter::Clock::now();
  EXPECT_EQ(limiter.admit(t0), 0u);
  EXPECT_EQ(limiter.admit(t0 + 1ms), 0u);
  for (int i = 0; i < 1000; ++i) EXPECT_FALSE(limiter.admit(t0 + 2ms).has_value());
  // The next window's first line reports the thousand dropped.
  auto next = limiter.admit(t0 + 10s);
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(*next, 1000u);
  EXPECT_EQ(suppressed_note(*next), " (1000 similar messages suppressed)");
  EXPECT_EQ(limiter.admit(t0 + 10s + 1ms), 0u);
}

}  // namespace
}  // namespace faultline::proxy
