// Session expiry: the pure decisions, the sweep on both databases with a manual clock, restart
// catch-up, and one smoke test of the thread on the real clock.
#include "scheduler/expiry.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <limits>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>

#include "channels/whatsapp/webhook_builder.h"
#include "channels/whatsapp/webhook_parser.h"
#include "domain/json_views.h"
#include "scheduler/expiry_thread.h"
#include "support/failing_store.h"
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
  EXPECT_EQ(sweep_lines[1]["noticed"], 1);
  EXPECT_TRUE(sweep_lines[1]["ended_ms"].is_number_integer());
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

// Opens a waiting session for each customer, a minute apart, and assigns the second to an agent;
// returns the sessions in deadline order with the outbox emptied.
std::vector<Session> OpenStaggered(RouterHarness& h, const std::vector<std::string>& customers) {
  std::vector<Session> out;
  for (const std::string& who : customers) {
    EXPECT_TRUE(h.Button(who, "AGENT_MODE").ok());
    h.clock.Advance(minutes(1));
  }
  const Agent ana = h.AddAgent("Ana");
  for (size_t k = 0; k < customers.size(); ++k) {
    auto s = h.OpenSession(customers[k]);
    EXPECT_TRUE(s.has_value());
    if (!s) return out;
    if (k == 1) {
      EXPECT_TRUE(h.sessions->Assign(s->id, ana, std::nullopt).ok());
    }
    out.push_back(*h.OpenSession(customers[k]));
  }
  h.TakeOutbox();
  return out;
}

std::vector<EventRecord> AllEvents(RouterHarness& h) {
  auto events = h.store->ListEvents(0, std::numeric_limits<int64_t>::max(), 100000);
  EXPECT_TRUE(events.ok());
  return events.ok() ? *events : std::vector<EventRecord>{};
}

// Regression (issue 7, defect 6): every ended_at carried the sweep's start time.
TEST_P(ExpiryTest, EachSessionEndsAtItsOwnDeadline) {
  auto open = OpenStaggered(h, {"111111111", "222222222", "333333333"});
  ASSERT_EQ(open.size(), 3u);
  h.clock.Set(open.back().expires_at + hours(5));  // a sweep long after all fell due
  EXPECT_EQ(job.RunOnce().expired, 3);
  for (const Session& s : open) {
    auto ended = h.store->GetSession(s.id);
    ASSERT_TRUE(ended.ok() && ended->has_value());
    EXPECT_EQ((*ended)->status, SessionStatus::kEnded);
    EXPECT_EQ((*ended)->end_reason, EndReason::kExpired);
    EXPECT_EQ((*ended)->ended_at, s.expires_at) << "session " << s.id;
    const auto messages = h.Messages(s.id);
    ASSERT_GE(messages.size(), 2u);
    EXPECT_EQ(messages.back().created_at, s.expires_at);  // the expired text, at the deadline
  }
}

// The set-based sweep writes exactly the rows of the per-session path (SessionService::Expire at
// each deadline): sessions, messages, outbox items and events with the same ids, audiences and
// data, on a waiting and an active session.
TEST_P(ExpiryTest, SetBasedSweepWritesTheRowsOfThePerSessionPath) {
  const std::vector<std::string> customers = {"111111111", "222222222", "333333333"};
  RouterHarness per_session(GetParam());
  auto a = OpenStaggered(per_session, customers);
  auto b = OpenStaggered(h, customers);
  ASSERT_EQ(a.size(), 3u);
  ASSERT_EQ(b.size(), 3u);
  // Rows written before expiry differ only in the random wamids of the simulated webhooks.
  const int64_t events_before = AllEvents(h).back().id;
  for (const Session& s : a) {
    auto outcome = per_session.sessions->Expire(s.id, s.expires_at);
    ASSERT_TRUE(outcome.ok() && outcome->expired && outcome->notified);
  }
  h.clock.Set(b.back().expires_at + minutes(30));
  SweepReport r = job.RunOnce();
  EXPECT_EQ(r.expired, 3);
  EXPECT_EQ(r.notified, 3);

  per_session.clock.Set(h.clock.Now());
  for (size_t k = 0; k < a.size(); ++k) {
    auto sa = per_session.store->GetSession(a[k].id);
    auto sb = h.store->GetSession(b[k].id);
    ASSERT_TRUE(sa.ok() && sa->has_value() && sb.ok() && sb->has_value());
    EXPECT_EQ(SessionJson(**sa), SessionJson(**sb));
    const auto ma = per_session.Messages(a[k].id);
    const auto mb = h.Messages(b[k].id);
    ASSERT_EQ(ma.size(), mb.size());
    ASSERT_GE(ma.size(), 2u);
    for (size_t m = ma.size() - 2; m < ma.size(); ++m) {  // the note and the expired text
      EXPECT_EQ(MessageJson(ma[m]), MessageJson(mb[m]));
    }
  }
  const auto oa = per_session.TakeOutbox();
  const auto ob = h.TakeOutbox();
  ASSERT_EQ(oa.size(), 3u);
  ASSERT_EQ(ob.size(), 3u);
  for (size_t k = 0; k < oa.size(); ++k) {
    EXPECT_EQ(oa[k].id, ob[k].id);
    EXPECT_EQ(oa[k].message_id, ob[k].message_id);
    EXPECT_EQ(oa[k].recipient, ob[k].recipient);
    EXPECT_EQ(oa[k].phone_number_id, ob[k].phone_number_id);
    EXPECT_EQ(oa[k].payload, ob[k].payload);
    EXPECT_EQ(oa[k].next_attempt_at, ob[k].next_attempt_at);
    EXPECT_EQ(oa[k].created_at, ob[k].created_at);
  }
  const auto ea = AllEvents(per_session);
  const auto eb = AllEvents(h);
  ASSERT_EQ(ea.size(), eb.size());
  int ended_events = 0;
  for (size_t k = 0; k < ea.size(); ++k) {
    if (ea[k].id <= events_before) continue;
    EXPECT_EQ(ea[k].id, eb[k].id);
    EXPECT_EQ(ea[k].type, eb[k].type);
    EXPECT_EQ(ea[k].audience, eb[k].audience) << ea[k].type << " " << ea[k].data;
    EXPECT_EQ(ea[k].agent_id, eb[k].agent_id);
    EXPECT_EQ(nlohmann::json::parse(ea[k].data), nlohmann::json::parse(eb[k].data));
    EXPECT_EQ(ea[k].created_at, eb[k].created_at);
    if (ea[k].type == "session.ended") ++ended_events;
  }
  EXPECT_EQ(ended_events, 3);
}

TEST_P(ExpiryTest, EndsBatchAfterBatchUntilNothingIsDue) {
  std::vector<std::string> customers;
  for (int k = 0; k < 7; ++k) customers.push_back("49151000000" + std::to_string(k));
  auto open = OpenStaggered(h, customers);
  ASSERT_EQ(open.size(), 7u);
  ExpiryJob small(*h.store, *h.sessions, h.clock, *h.log, h.metrics, /*batch_size=*/2);
  h.clock.Set(open.back().expires_at);
  SweepReport r = small.RunOnce();
  EXPECT_EQ(r.examined, 7);
  EXPECT_EQ(r.expired, 7);
  EXPECT_EQ(r.notified, 7);
  EXPECT_EQ(r.notification_failures, 0);
  EXPECT_EQ(h.TakeOutbox().size(), 7u);
  auto next = h.store->NextExpiry();
  ASSERT_TRUE(next.ok());
  EXPECT_FALSE(next->has_value());
}

int CountEvents(RouterHarness& h, const std::string& type) {
  int n = 0;
  for (const EventRecord& e : AllEvents(h)) n += e.type == type ? 1 : 0;
  return n;
}

// Two-phase expiry (issue 7, defect 6): a sweep that dies after ending the sessions and before
// writing their notices loses none: the sessions are ended at their own deadlines at once, and
// the next sweep (here a fresh job, as after a restart) writes each notice exactly once.
TEST_P(ExpiryTest, NoticesLeftByAnInterruptedSweepAreWrittenOnceByTheNext) {
  auto open = OpenStaggered(h, {"111111111", "222222222", "333333333"});
  ASSERT_EQ(open.size(), 3u);
  const int ended_before = CountEvents(h, "session.ended");
  h.clock.Set(open.back().expires_at);

  FailingStore failing(*h.store);
  SessionService failing_sessions(failing, h.clock, RouterHarness::DefaultSessionOptions());
  ExpiryJob interrupted(failing, failing_sessions, h.clock, *h.log, h.metrics);
  failing.FailNthWrite(2);  // 1: phase 1 ends the sessions; 2: phase 2 fails
  SweepReport first = interrupted.RunOnce();
  EXPECT_EQ(first.expired, 3);
  EXPECT_EQ(first.noticed, 0);
  EXPECT_EQ(first.notification_failures, 1);
  for (const Session& s : open) {
    auto ended = h.store->GetSession(s.id);
    ASSERT_TRUE(ended.ok() && ended->has_value());
    EXPECT_EQ((*ended)->status, SessionStatus::kEnded);
    EXPECT_EQ((*ended)->ended_at, s.expires_at);
    EXPECT_NE(h.Messages(s.id).back().content, "Chat expired");
  }
  EXPECT_TRUE(h.TakeOutbox().empty());
  EXPECT_EQ(CountEvents(h, "session.ended"), ended_before);

  ExpiryJob after_restart(*h.store, *h.sessions, h.clock, *h.log, h.metrics);
  SweepReport second = after_restart.RunOnce();
  EXPECT_EQ(second.expired, 0);
  EXPECT_EQ(second.noticed, 3);
  EXPECT_EQ(second.notified, 3);
  EXPECT_EQ(second.notification_failures, 0);
  EXPECT_EQ(h.TakeOutbox().size(), 3u);
  EXPECT_EQ(CountEvents(h, "session.ended"), ended_before + 3);
  for (const Session& s : open) {
    const auto messages = h.Messages(s.id);
    ASSERT_GE(messages.size(), 2u);
    EXPECT_EQ(messages[messages.size() - 2].content, "Chat expired");
    EXPECT_EQ(messages.back().created_at, s.expires_at);
  }
  SweepReport third = after_restart.RunOnce();
  EXPECT_EQ(third.noticed, 0);
  EXPECT_TRUE(h.TakeOutbox().empty());
}

// A long notice phase delays no end: a session falling due while the notices are written is
// ended (and noticed) by the same sweep, not the next one.
TEST_P(ExpiryTest, ASessionFallingDueWhileNoticesAreWrittenEndsInTheSameSweep) {
  auto open = OpenStaggered(h, {"111111111", "222222222", "333333333"});
  ASSERT_EQ(open.size(), 3u);
  h.clock.Set(open[1].expires_at);  // the first two are due, the third a minute later
  SessionServiceOptions so = RouterHarness::DefaultSessionOptions();
  // Each committed notice batch takes "a minute": the clock passes the third deadline.
  so.on_events = [&] { h.clock.Set(open[2].expires_at); };
  SessionService sessions(*h.store, h.clock, so);
  ExpiryJob one_at_a_time(*h.store, sessions, h.clock, *h.log, h.metrics, /*batch_size=*/1);
  SweepReport r = one_at_a_time.RunOnce();
  EXPECT_EQ(r.expired, 3);
  EXPECT_EQ(r.noticed, 3);
  EXPECT_EQ(r.notification_failures, 0);
  auto third = h.store->GetSession(open[2].id);
  ASSERT_TRUE(third.ok() && third->has_value());
  EXPECT_EQ((*third)->status, SessionStatus::kEnded);
  EXPECT_EQ((*third)->ended_at, open[2].expires_at);
  EXPECT_EQ(h.TakeOutbox().size(), 3u);
}

// Two sweeps at once (two instances, or a nudge during a sweep) end and notice each session
// once: PostgreSQL's sweeps skip each other's locked rows, SQLite's take turns.
TEST_P(ExpiryTest, ConcurrentSweepsNoticeEachSessionOnce) {
  std::vector<std::string> customers;
  for (int k = 0; k < 12; ++k) customers.push_back("49151000000" + std::to_string(k + 10));
  auto open = OpenStaggered(h, customers);
  ASSERT_EQ(open.size(), 12u);
  const int ended_before = CountEvents(h, "session.ended");
  h.clock.Set(open.back().expires_at);
  ExpiryJob a(*h.store, *h.sessions, h.clock, *h.log, h.metrics, /*batch_size=*/2);
  ExpiryJob b(*h.store, *h.sessions, h.clock, *h.log, h.metrics, /*batch_size=*/3);
  auto ra = std::async(std::launch::async, [&] { return a.RunOnce(); });
  auto rb = std::async(std::launch::async, [&] { return b.RunOnce(); });
  const SweepReport x = ra.get();
  const SweepReport y = rb.get();
  EXPECT_EQ(x.notification_failures + y.notification_failures, 0);
  EXPECT_EQ(x.expired + y.expired, 12);
  EXPECT_EQ(x.noticed + y.noticed, 12);
  EXPECT_EQ(h.TakeOutbox().size(), 12u);
  EXPECT_EQ(CountEvents(h, "session.ended"), ended_before + 12);
}

// A customer's message that moves expires_at while the sweep runs keeps the session open: on
// PostgreSQL the sweep skips the row the writer holds, on SQLite it waits for the write lock and
// then sees the new deadline. The other due session is ended either way.
TEST_P(ExpiryTest, ASessionExtendedDuringTheSweepIsNotEnded) {
  auto open = OpenStaggered(h, {"111111111", "222222222"});
  ASSERT_EQ(open.size(), 2u);
  const Session& extended = open[0];
  h.clock.Set(open.back().expires_at);
  const TimePoint new_deadline = h.clock.Now() + hours(22);

  std::promise<void> locked, go;
  std::shared_future<void> go_f = go.get_future().share();
  std::thread writer([&] {
    Status st = h.store->Transact([&](StoreTx& tx) -> Status {
      auto s = tx.LockSession(extended.id);
      if (!s.ok()) return s.status();
      HANDOFFD_RETURN_IF_ERROR(tx.ExtendSession(extended.id, h.clock.Now(), new_deadline));
      locked.set_value();
      go_f.wait();
      return Status::Ok();
    });
    EXPECT_TRUE(st.ok()) << st.ToString();
  });
  locked.get_future().wait();
  auto sweep = std::async(std::launch::async, [&] { return job.RunOnce(); });
  go.set_value();
  writer.join();
  SweepReport r = sweep.get();
  EXPECT_EQ(r.expired, 1);
  EXPECT_EQ(r.notification_failures, 0);
  auto s0 = h.store->GetSession(extended.id);
  ASSERT_TRUE(s0.ok() && s0->has_value());
  EXPECT_EQ((*s0)->status, SessionStatus::kWaiting);
  EXPECT_EQ((*s0)->expires_at, new_deadline);
  auto s1 = h.store->GetSession(open[1].id);
  ASSERT_TRUE(s1.ok() && s1->has_value());
  EXPECT_EQ((*s1)->status, SessionStatus::kEnded);
  EXPECT_EQ((*s1)->ended_at, open[1].expires_at);
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
