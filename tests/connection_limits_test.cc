// Unit tests of the connection layer's bookkeeping (issue 9 #2): admission caps with reserved
// capacity, per-holder stream slots, and the worker pool releasing idle workers.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "events/stream_slots.h"
#include "http/connection_limiter.h"
#include "http/growing_thread_pool.h"

namespace handoffd {
namespace {

using http::ConnectionClass;
using http::ConnectionLimiter;
using http::ConnectionLimits;

TEST(ConnectionLimiterTest, PerAddressCapThenReserveShareThenRefused) {
  ConnectionLimiter limiter(ConnectionLimits{100, 2, 8});  // reserve share per address: 2
  EXPECT_EQ(limiter.Admit("10.0.0.1"), ConnectionClass::kOrdinary);
  EXPECT_EQ(limiter.Admit("10.0.0.1"), ConnectionClass::kOrdinary);
  EXPECT_EQ(limiter.Admit("10.0.0.1"), ConnectionClass::kReserved);
  EXPECT_EQ(limiter.Admit("10.0.0.1"), ConnectionClass::kReserved);
  EXPECT_EQ(limiter.Admit("10.0.0.1"), ConnectionClass::kRefused);
  EXPECT_EQ(limiter.Admit("10.0.0.2"), ConnectionClass::kOrdinary);  // another address is served
  EXPECT_EQ(limiter.open(), 5u);
  EXPECT_EQ(limiter.open_reserved(), 2u);
  limiter.Release("10.0.0.1", ConnectionClass::kOrdinary);
  EXPECT_EQ(limiter.Admit("10.0.0.1"), ConnectionClass::kOrdinary);
}

TEST(ConnectionLimiterTest, TotalCapKeepsTheReserve) {
  ConnectionLimiter limiter(ConnectionLimits{10, 1000, 4});  // 6 ordinary, 4 reserved, 1 each
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(limiter.Admit("10.0.0." + std::to_string(i)), ConnectionClass::kOrdinary);
  }
  EXPECT_EQ(limiter.Admit("10.0.1.1"), ConnectionClass::kReserved);
  EXPECT_EQ(limiter.Admit("10.0.1.1"), ConnectionClass::kRefused);  // its share of the reserve
  for (int i = 2; i <= 4; ++i) {
    EXPECT_EQ(limiter.Admit("10.0.1." + std::to_string(i)), ConnectionClass::kReserved);
  }
  EXPECT_EQ(limiter.Admit("10.0.1.9"), ConnectionClass::kRefused);  // all 10 in use
  EXPECT_EQ(limiter.open(), 10u);
  limiter.Release("10.0.1.2", ConnectionClass::kReserved);
  EXPECT_EQ(limiter.Admit("10.0.1.9"), ConnectionClass::kReserved);
}

TEST(StreamSlotsTest, CapPerKeyAndLeasesGiveBack) {
  StreamSlots slots(2);
  auto a = slots.Acquire("agent:1");
  auto b = slots.Acquire("agent:1");
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(slots.Acquire("agent:1"), nullptr);
  auto other = slots.Acquire("visitor:1");
  EXPECT_NE(other, nullptr);
  EXPECT_EQ(slots.Open("agent:1"), 2u);
  EXPECT_EQ(slots.Total(), 3u);
  a.reset();
  EXPECT_EQ(slots.Open("agent:1"), 1u);
  EXPECT_NE(slots.Acquire("agent:1"), nullptr);  // (released again at once)
  EXPECT_EQ(slots.Total(), 2u);
}

TEST(GrowingThreadPoolTest, GrowsPerBlockedJobAndReleasesIdleWorkers) {
  http::GrowingThreadPool pool(2, 100, std::chrono::milliseconds(100));
  EXPECT_EQ(pool.threads(), 2u);
  std::atomic<bool> release{false};
  std::atomic<int> started{0};
  for (int i = 0; i < 20; ++i) {
    pool.Enqueue([&] {
      ++started;
      while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    });
  }
  for (int i = 0; i < 2000 && started < 20; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(started.load(), 20);  // one worker per blocked job
  // One worker per blocked job (jobs queued before the first two workers wait may add one each).
  EXPECT_GE(pool.threads(), 20u);
  EXPECT_LE(pool.threads(), 22u);
  release = true;
  for (int i = 0; i < 400 && pool.threads() > 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(pool.threads(), 2u);  // back to the minimum
  pool.Shutdown();
  EXPECT_EQ(pool.threads(), 0u);
}

}  // namespace
}  // namespace handoffd
