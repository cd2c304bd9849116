// LazyTimer on a real libuv loop: the callback runs once, no earlier than the latest start()
// asked for, whichever order the starts came in; stop() means it never runs.
#include "proxy/io/lazy_timer.h"

#include <gtest/gtest.h>
#include <uv.h>

#include <chrono>
#include <vector>

namespace faultline::proxy {
namespace {

using Clock = std::chrono::steady_clock;

struct Fixture {
  uv_loop_t loop{};
  LazyTimer timer;
  Clock::time_point started = Clock::now();
  std::vector<long> fired_ms;  // when the callback ran, from `started`

  Fixture() {
    uv_loop_init(&loop);
    timer.init(&loop, this, [](uv_timer_t* t) {
      auto* f = static_cast<Fixture*>(t->data);
      f->fired_ms.push_back(static_cast<long>(
          std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - f->started)
              .count()));
    });
  }
  void run() { uv_run(&loop, UV_RUN_DEFAULT); }  // returns once the timer is idle
  ~Fixture() {
    uv_close(timer.handle(), nullptr);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
  }
};

TEST(LazyTimer, ALaterStartPostponesTheCallback) {
  Fixture f;
  f.timer.start(30);
  f.timer.start(150);  // recorded only: the libuv timer stays armed for 30 ms, then re-arms
  f.run();
  ASSERT_EQ(f.fired_ms.size(), 1u);
  EXPECT_GE(f.fired_ms[0], 149);
  EXPECT_LT(f.fired_ms[0], 2000);
}

TEST(LazyTimer, AnEarlierStartBringsTheCallbackForward) {
  Fixture f;
  f.timer.start(5000);
  f.timer.start(20);
  f.run();
  ASSERT_EQ(f.fired_ms.size(), 1u);
  EXPECT_GE(f.fired_ms[0], 19);
  EXPECT_LT(f.fired_ms[0], 2000) << "the 5 s arming was not replaced";
}

TEST(LazyTimer, StopMeansNeverAndPendingSaysSo) {
  Fixture f;
  f.timer.start(20);
  EXPECT_TRUE(f.timer.pending());
  f.timer.stop();
  EXPECT_FALSE(f.timer.pending());
  f.run();  // the libuv timer still fires once, into nothing
  EXPECT_TRUE(f.fired_ms.empty());
}

TEST(LazyTimer, RestartAfterStopAndFromTheCallback) {
  Fixture f;
  f.timer.start(10);
  f.timer.stop();
  f.timer.start(40);
  f.run();
  ASSERT_EQ(f.fired_ms.size(), 1u);
  EXPECT_GE(f.fired_ms[0], 39);
  // Started again after it ran: runs again.
  f.timer.start(10);
  f.run();
  EXPECT_EQ(f.fired_ms.size(), 2u);
}

TEST(LazyTimer, StartAtLeastHonoursRealTime) {
  Fixture f;
  uv_update_time(&f.loop);
  // The loop clock is now stale by what follows: a plain start would count from it.
  const auto busy_until = Clock::now() + std::chrono::milliseconds(30);
  while (Clock::now() < busy_until) {
  }
  const auto armed = Clock::now();
  f.timer.start_at_least(50);
  f.run();
  ASSERT_EQ(f.fired_ms.size(), 1u);
  const long since_armed =
      f.fired_ms[0] -
      static_cast<long>(
          std::chrono::duration_cast<std::chrono::milliseconds>(armed - f.started).count());
  EXPECT_GE(since_armed, 50);
}

}  // namespace
}  // namespace faultline::proxy
