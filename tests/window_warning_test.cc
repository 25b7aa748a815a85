// The session.window warning 2 hours before the 24-hour window closes (issue 8 item 3): on both
// databases with a manual clock (exactly at the deadline, once per window, a new window after a
// customer message, nothing for a window that already closed, restart-safe), and once through
// the expiry thread on the real clock.
#include "scheduler/window_warning.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>

#include "domain/event.h"
#include "scheduler/expiry.h"
#include "scheduler/expiry_thread.h"
#include "support/router_harness.h"

namespace handoffd::testing {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;

RouterOptions LongSessions() {
  RouterOptions o = RouterHarness::DefaultRouterOptions();
  o.session_ttl = hours(30);  // the session outlives its window: only the window closes
  return o;
}

class WindowWarningTest : public ::testing::TestWithParam<std::string> {
 protected:
  /// The session.window events stored so far.
  std::vector<EventRecord> Warnings() {
    std::vector<EventRecord> out;
    auto events = h.store->ListEvents(0, std::numeric_limits<int64_t>::max(), 1000);
    EXPECT_TRUE(events.ok());
    if (!events.ok()) return out;
    for (const EventRecord& e : *events) {
      if (e.type == kSessionWindowEvent) out.push_back(e);
    }
    return out;
  }

  Session Open(const std::string& wa_id) {
    EXPECT_TRUE(h.Button(wa_id, "AGENT_MODE").ok());
    auto s = h.OpenSession(wa_id);
    EXPECT_TRUE(s && s->last_customer_message_at);
    return *s;
  }

  RouterHarness h{GetParam(), LongSessions()};
  int commits = 0;
  WindowWarningJob job{*h.store, h.clock, *h.log,
                       WindowWarningOptions{hours(2), 500, [this] { ++commits; }}};
};

TEST_P(WindowWarningTest, WarnsOnceExactlyTwoHoursBeforeTheWindowCloses) {
  const Session s = Open("4915112345678");
  const TimePoint closes = *s.last_customer_message_at + kServiceWindow;
  auto next = job.NextDue();
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(*next, std::optional<TimePoint>(closes - hours(2)));

  h.clock.Set(closes - hours(2) - milliseconds(1));
  EXPECT_EQ(*job.RunOnce(), 0);
  EXPECT_TRUE(Warnings().empty());

  h.clock.Set(closes - hours(2));
  EXPECT_EQ(*job.RunOnce(), 1);
  EXPECT_EQ(commits, 1);
  auto warnings = Warnings();
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(warnings[0].data),
            (nlohmann::json{{"session_id", s.id}, {"window_expires_at", FormatRfc3339(closes)}}));
  EXPECT_EQ(warnings[0].audience, EventAudience::kAllAgents);  // waiting: every agent sees it
  EXPECT_EQ(warnings[0].created_at, closes - hours(2));

  // Once per window: again later, or from a new job (a restart or another instance).
  h.clock.Advance(hours(1));
  EXPECT_EQ(*job.RunOnce(), 0);
  WindowWarningJob restarted(*h.store, h.clock, *h.log, {});
  EXPECT_EQ(*restarted.RunOnce(), 0);
  EXPECT_EQ(Warnings().size(), 1u);
  EXPECT_EQ(*job.NextDue(), std::nullopt);
}

TEST_P(WindowWarningTest, ACustomerMessageOpensANewWindowWarnedForAgain) {
  const Session s = Open("4915112345678");
  const TimePoint first_close = *s.last_customer_message_at + kServiceWindow;
  h.clock.Set(first_close - hours(2));
  EXPECT_EQ(*job.RunOnce(), 1);

  h.clock.Set(first_close - hours(1));
  ASSERT_TRUE(h.Text("4915112345678", "still there?").ok());
  const TimePoint second_close =
      *h.OpenSession("4915112345678")->last_customer_message_at + kServiceWindow;
  EXPECT_EQ(*job.NextDue(), std::optional<TimePoint>(second_close - hours(2)));
  h.clock.Set(second_close - hours(2) - milliseconds(1));
  EXPECT_EQ(*job.RunOnce(), 0);
  h.clock.Set(second_close - hours(2));
  EXPECT_EQ(*job.RunOnce(), 1);
  auto warnings = Warnings();
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(warnings[1].data)["window_expires_at"],
            FormatRfc3339(second_close));
}

TEST_P(WindowWarningTest, AnAssignedSessionWarnsItsAgentAndAClosedWindowIsNotWarned) {
  const Session a = Open("4915112345678");
  const Agent ana = h.AddAgent("Ana");
  ASSERT_TRUE(h.sessions->Assign(a.id, ana, std::nullopt).ok());
  h.clock.Advance(hours(3));
  const Session late = Open("4915187654321");  // its window closes 3 h after a's

  // Down for the whole last 2 hours of a's window: a's window has closed, nothing to warn;
  // late's is in its last 2 hours.
  h.clock.Set(*a.last_customer_message_at + kServiceWindow);
  EXPECT_EQ(*job.RunOnce(), 0);
  h.clock.Set(*late.last_customer_message_at + kServiceWindow - hours(2));
  EXPECT_EQ(*job.RunOnce(), 1);
  auto warnings = Warnings();
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(warnings[0].data)["session_id"], late.id);

  // An assigned session's warning goes to its agent.
  const Session b = Open("4915100000001");
  ASSERT_TRUE(h.sessions->Assign(b.id, ana, std::nullopt).ok());
  h.clock.Set(*b.last_customer_message_at + kServiceWindow - hours(2));
  EXPECT_EQ(*job.RunOnce(), 1);
  warnings = Warnings();
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_EQ(warnings[1].audience, EventAudience::kAgent);
  EXPECT_EQ(warnings[1].agent_id, std::optional<int64_t>(ana.id));
}

TEST_P(WindowWarningTest, BatchAfterBatchUntilNothingIsDue) {
  WindowWarningJob small(*h.store, h.clock, *h.log, WindowWarningOptions{hours(2), 2, {}});
  std::optional<Session> last;
  for (const char* who : {"111111111", "222222222", "333333333", "444444444", "555555555"}) {
    last = Open(who);
  }
  h.clock.Set(*last->last_customer_message_at + kServiceWindow - hours(2));
  EXPECT_EQ(*small.RunOnce(), 5);
  EXPECT_EQ(Warnings().size(), 5u);
}

TEST_P(WindowWarningTest, TheExpiryThreadWarnsAtTheDeadlineOnTheRealClock) {
  SystemClock real;
  std::mutex mu;
  std::condition_variable warned;
  int commits_seen = 0;
  // The lead is the whole window minus 1.5 s: due 1.5 s after the customer's message.
  WindowWarningOptions wo{kServiceWindow - milliseconds(1500), 500, [&] {
                            {
                              std::lock_guard lock(mu);
                              ++commits_seen;
                            }
                            warned.notify_all();
                          }};
  WindowWarningJob real_job(*h.store, real, *h.log, wo);
  ExpiryJob expiry(*h.store, *h.sessions, real, *h.log, h.metrics);
  ExpiryThreadOptions to{std::chrono::minutes(5), std::chrono::seconds(1), {}, &real_job};
  ExpiryThread thread(expiry, *h.store, real, *h.log, to);

  h.clock.Set(real.Now());
  const Session s = Open("4915112345678");
  const TimePoint due = *s.last_customer_message_at + milliseconds(1500);
  thread.Start();
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(warned.wait_for(lock, std::chrono::seconds(6), [&] { return commits_seen > 0; }))
        << "no warning within 6 s";
  }
  const TimePoint at = real.Now();
  thread.Stop();
  EXPECT_GE(at, due);
  EXPECT_LT(at - due, std::chrono::seconds(1));  // punctual within a second
  ASSERT_EQ(Warnings().size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Db, WindowWarningTest, ::testing::ValuesIn(TestDialects()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace handoffd::testing
