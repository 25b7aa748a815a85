// Session expiry: the pure decisions, the sweep on both databases with a manual clock, restart
// catch-up, and one smoke test of the thread on the real clock.
#include "scheduler/expiry.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>

#include "channels/whatsapp/webhook_builder.h"
#include "channels/whatsapp/webhook_parser.h"
#include "scheduler/expiry_thread.h"
#include "support/router_harness.h"

namespace handoffd::testing {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;

TEST(ExpiryDecision, DueExactlyAtTheDeadline) {
  Session s;
  s.status = SessionStatus::kActive;
  s.expires_at = FromUnixSeconds(1000);
  EXPECT_FALSE(IsDue(s, FromUnixSeconds(1000) - milliseconds(1)));
  EXPECT_TRUE(IsDue(s, FromUnixSeconds(1000)));
  EXPECT_TRUE(IsDue(s, FromUnixSeconds(5000)));
  s.status = SessionStatus::kEnded;
  EXPECT_FALSE(IsDue(s, FromUnixSeconds(5000)));
}

TEST(ExpiryDecision, WakesAtTheEarlierOfDeadlineAndSweep) {
  const TimePoint now = FromUnixSeconds(100);
  EXPECT_EQ(NextWake(now, FromUnixSeconds(130), FromUnixSeconds(400)), FromUnixSeconds(130));
  EXPECT_EQ(NextWake(now, FromUnixSeconds(900), FromUnixSeconds(400)), FromUnixSeconds(400));
  EXPECT_EQ(NextWake(now, std::nullopt, FromUnixSeconds(400)), FromUnixSeconds(400));
  EXPECT_EQ(NextWake(now, FromUnixSeconds(50), FromUnixSeconds(400)), now);  // overdue: now
}

class ExpiryTest : public ::testing::TestWithParam<std::string> {
 protected:
  RouterHarness h{GetParam()};
  ExpiryJob job{*h.store, *h.sessions, h.clock, *h.log, h.metrics};
};

TEST_P(ExpiryTest, EndsTheSessionExactlyAtTheDeadlineAndTellsTheCustomer) {
  ASSERT_TRUE(h.Button("4915112345678", "AGENT_MODE").ok());
  auto s = h.OpenSession("4915112345678");
  ASSERT_TRUE(s);
  h.TakeOutbox();

  h.clock.Set(s->expires_at - milliseconds(1));
  SweepReport early = job.RunOnce();
  EXPECT_EQ(early.expired, 0);
  EXPECT_TRUE(h.OpenSession("4915112345678").has_value());

  h.clock.Set(s->expires_at);
  SweepReport r = job.RunOnce();
  EXPECT_EQ(r.examined, 1);
  EXPECT_EQ(r.expired, 1);
  EXPECT_EQ(r.notified, 1);
  EXPECT_EQ(r.notification_failures, 0);
  auto ended = h.store->GetSession(s->id);
  ASSERT_TRUE(ended.ok() && ended->has_value());
  EXPECT_EQ((*ended)->status, SessionStatus::kEnded);
  EXPECT_EQ((*ended)->end_reason, EndReason::kExpired);
  EXPECT_EQ((*ended)->ended_at, s->expires_at);
  auto out = h.TakeOutbox();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(out[0].payload)["text"], "Chat expired after 22 hours");

  // One JSON line per expired session and one per sweep.
  std::vector<nlohmann::json> expired_lines, sweep_lines;
  std::istringstream lines(h.log_text.str());
  for (std::string line; std::getline(lines, line);) {
    auto j = nlohmann::json::parse(line);
    if (j["event"] == "session.expired") expired_lines.push_back(j);
    if (j["event"] == "expiry.sweep") sweep_lines.push_back(j);
  }
  ASSERT_EQ(expired_lines.size(), 1u);
  EXPECT_EQ(expired_lines[0]["session_id"], s->id);
  EXPECT_EQ(expired_lines[0]["notified"], true);
  ASSERT_EQ(sweep_lines.size(), 2u);
  EXPECT_EQ(sweep_lines[1]["examined"], 1);
  EXPECT_EQ(sweep_lines[1]["expired"], 1);
  EXPECT_EQ(sweep_lines[1]["notified"], 1);
  EXPECT_EQ(sweep_lines[1]["notification_failures"], 0);
  EXPECT_TRUE(sweep_lines[1]["duration_ms"].is_number_integer());
}

TEST_P(ExpiryTest, ACustomerMessageSlidesTheDeadline) {
  ASSERT_TRUE(h.Button("4915112345678", "AGENT_MODE").ok());
  const TimePoint first_deadline = h.OpenSession("4915112345678")->expires_at;
  h.clock.Advance(hours(21));
  ASSERT_TRUE(h.Text("4915112345678", "one more question").ok());
  h.clock.Set(first_deadline);
  EXPECT_EQ(job.RunOnce().expired, 0);
  h.clock.Advance(hours(21));
  EXPECT_EQ(job.RunOnce().expired, 1);
}

TEST_P(ExpiryTest, ARestartCatchesUpOnEverythingThatFellDue) {
  for (const char* who : {"111111111", "222222222", "333333333"}) {
    ASSERT_TRUE(h.Button(who, "AGENT_MODE").ok());
  }
  h.clock.Advance(hours(48));  // the daemon was down for two days
  // A fresh job over the same database, as after a restart.
  ExpiryJob after_restart(*h.store, *h.sessions, h.clock, *h.log, h.metrics);
  SweepReport r = after_restart.RunOnce();
  EXPECT_EQ(r.expired, 3);
  auto next = h.store->NextExpiry();
  ASSERT_TRUE(next.ok());
  EXPECT_FALSE(next->has_value());
  EXPECT_EQ(after_restart.RunOnce().expired, 0);
}

TEST_P(ExpiryTest, ThreadExpiresPunctuallyOnTheRealClock) {
  SystemClock real;
  RouterOptions ro = RouterHarness::DefaultRouterOptions();
  ro.session_ttl = milliseconds(1500);
  Router router(*h.store, real, *h.log, h.metrics, ro);
  // The service reports each committed change (here: the expiry): the test waits on that, not on
  // a polling interval.
  std::mutex mu;
  std::condition_variable changed;
  int changes = 0;
  SessionServiceOptions so = RouterHarness::DefaultSessionOptions();
  so.on_events = [&] {
    {
      std::lock_guard lock(mu);
      ++changes;
    }
    changed.notify_all();
  };
  SessionService sessions(*h.store, real, so);
  ExpiryJob real_job(*h.store, sessions, real, *h.log, h.metrics);
  ExpiryThread thread(real_job, *h.store, real, *h.log, {minutes(5), std::chrono::seconds(1), {}});
  thread.Start();

  // WhatsApp timestamps have whole seconds: the session expires 1.5 s after this second began.
  whatsapp::SimulatedMessage m;
  m.from = "4915112345678";
  m.button_id = "AGENT_MODE";
  m.timestamp = ToUnixMillis(real.Now()) / 1000;
  auto batch_body = whatsapp::BuildMessageWebhook(m);
  auto batch = whatsapp::ParseWebhook(batch_body, {});
  ASSERT_TRUE(batch.ok());
  ASSERT_TRUE(router.HandleBatch(*batch, batch_body).ok());
  thread.Nudge();
  const int64_t id = h.OpenSession("4915112345678")->id;
  const TimePoint deadline = FromUnixSeconds(m.timestamp) + milliseconds(1500);

  std::optional<Session> s;
  {
    std::unique_lock lock(mu);
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(6);
    int seen = -1;
    while (!s && std::chrono::steady_clock::now() < give_up) {
      if (seen == changes) {
        changed.wait_until(lock, give_up, [&] { return changes != seen; });
        continue;
      }
      seen = changes;
      auto got = h.store->GetSession(id);
      ASSERT_TRUE(got.ok());
      if ((*got)->status == SessionStatus::kEnded) s = **got;
    }
  }
  thread.Stop();
  ASSERT_TRUE(s) << "not expired within 6 s";
  EXPECT_EQ(s->end_reason, EndReason::kExpired);
  EXPECT_GE(*s->ended_at, deadline);
  EXPECT_LT(*s->ended_at - deadline, std::chrono::seconds(1));  // punctual within a second
}

INSTANTIATE_TEST_SUITE_P(Db, ExpiryTest, ::testing::ValuesIn(TestDialects()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace handoffd::testing
