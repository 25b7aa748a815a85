// Change notices across instances (Store::Announce / Store::Listen): PostgreSQL LISTEN/NOTIFY
// between two stores on one database (two instances), the event hub woken by another instance's
// commit long before its poll, reconnection after the listening connection is cut; SQLite's
// in-process no-op.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <limits>
#include <map>
#include <mutex>
#include <sstream>

#include "events/event_hub.h"
#include "log/logger.h"
#include "store/store.h"
#include "support/test_db.h"

namespace handoffd::testing {
namespace {

using std::chrono::seconds;

/// Counts the changes a subscription reported; lets a test await a count.
class Recorder {
 public:
  std::function<void(Change)> Callback() {
    return [this](Change c) {
      std::lock_guard lock(mu_);
      ++counts_[c];
      cv_.notify_all();
    };
  }
  bool WaitFor(Change c, int n, std::chrono::milliseconds timeout = seconds(10)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return counts_[c] >= n; });
  }
  int Count(Change c) {
    std::lock_guard lock(mu_);
    return counts_[c];
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<Change, int> counts_;
};

class NotifyTest : public ::testing::Test {
 protected:
  TestDatabase db{"postgresql"};
  std::unique_ptr<Store> a = db.OpenMigrated(2);  // instance A
  std::unique_ptr<Store> b = db.OpenMigrated(2);  // instance B
};

// Regression (issue 7, defect 7): another instance's commits were seen only by polling (every
// 250 ms); now its announcement reaches a listener on the other store at once.
TEST_F(NotifyTest, AnInstanceHearsTheOthersAnnouncements) {
  Recorder heard;
  auto sub = b->Listen(heard.Callback());
  ASSERT_TRUE(sub.ok()) << sub.status().ToString();
  // Right after connecting, every kind is reported once (notices before LISTEN are lost).
  ASSERT_TRUE(heard.WaitFor(Change::kEvents, 1));
  ASSERT_TRUE(heard.WaitFor(Change::kOutbox, 1));

  a->Announce(Change::kEvents);
  EXPECT_TRUE(heard.WaitFor(Change::kEvents, 2));
  a->Announce(Change::kOutbox);
  EXPECT_TRUE(heard.WaitFor(Change::kOutbox, 2));
}

TEST_F(NotifyTest, OwnAnnouncementsAreNotReportedBack) {
  Recorder heard, heard_by_b;
  auto sub = a->Listen(heard.Callback());
  auto sub_b = b->Listen(heard_by_b.Callback());
  ASSERT_TRUE(sub.ok() && sub_b.ok());
  ASSERT_TRUE(heard.WaitFor(Change::kEvents, 1));
  ASSERT_TRUE(heard.WaitFor(Change::kOutbox, 1));
  ASSERT_TRUE(heard_by_b.WaitFor(Change::kEvents, 1));
  a->Announce(Change::kEvents);  // A's own: its writers woke A's waiters already
  ASSERT_TRUE(heard_by_b.WaitFor(Change::kEvents, 2));  // it was sent
  // B's notice comes after A's on A's listening connection: once it is heard, A's would have
  // been too.
  b->Announce(Change::kOutbox);
  ASSERT_TRUE(heard.WaitFor(Change::kOutbox, 2));
  EXPECT_EQ(heard.Count(Change::kEvents), 1);
}

TEST_F(NotifyTest, ListeningResumesAfterTheConnectionIsCut) {
  Recorder heard;
  auto sub = b->Listen(heard.Callback());
  ASSERT_TRUE(sub.ok());
  ASSERT_TRUE(heard.WaitFor(Change::kEvents, 1));
  db.TerminateOtherConnections();
  // Reconnected: every kind is reported again, then announcements arrive as before.
  ASSERT_TRUE(heard.WaitFor(Change::kEvents, 2));
  ASSERT_TRUE(heard.WaitFor(Change::kOutbox, 2));
  a->Announce(Change::kEvents);  // A's notifier connection was cut too: it reconnects
  EXPECT_TRUE(heard.WaitFor(Change::kEvents, 3, seconds(15)));
}

TEST_F(NotifyTest, NoCallbackAfterTheSubscriptionIsDropped) {
  Recorder dropped, kept;
  auto first = b->Listen(dropped.Callback());
  auto second = b->Listen(kept.Callback());
  ASSERT_TRUE(first.ok() && second.ok());
  ASSERT_TRUE(kept.WaitFor(Change::kEvents, 1));
  first->reset();
  const int before = dropped.Count(Change::kEvents);
  a->Announce(Change::kEvents);
  ASSERT_TRUE(kept.WaitFor(Change::kEvents, 2));
  EXPECT_EQ(dropped.Count(Change::kEvents), before);
}

// The event hub of instance B publishes an event instance A committed without waiting for its
// poll (set to an hour here): the daemon wires B's listener to its hub.
TEST_F(NotifyTest, EventHubIsWokenByTheOtherInstancesCommit) {
  std::ostringstream log_text;
  auto log = Logger::CreateForStream("json", log_text);
  EventHubOptions options;
  options.poll_interval = std::chrono::hours(1);
  EventHub hub(*b, *log, options);
  auto sub = b->Listen([&hub](Change c) {
    if (c == Change::kEvents) hub.Notify();
  });
  ASSERT_TRUE(sub.ok());
  ASSERT_TRUE(hub.Start().ok());
  const int64_t cursor = hub.HighWater();

  EventRecord e;
  e.type = "agent.status";
  e.audience = EventAudience::kAgent;
  e.agent_id = 1;
  e.data = "{\"id\":1}";
  ASSERT_TRUE(a->Transact([&](StoreTx& tx) -> Status {
                 auto id = tx.AppendEvent(e);
                 return id.ok() ? Status::Ok() : id.status();
               }).ok());
  const auto committed = std::chrono::steady_clock::now();
  a->Announce(Change::kEvents);
  EventBatch got = hub.Next(cursor, 10, seconds(10));
  const auto waited = std::chrono::steady_clock::now() - committed;
  ASSERT_EQ(got.events.size(), 1u);
  EXPECT_EQ(got.events[0].type, "agent.status");
  EXPECT_LT(waited, seconds(5));  // far below the hour-long poll
  hub.Stop();
}

TEST(NotifySqlite, ListeningIsInProcessOnly) {
  TestDatabase db("sqlite");
  auto store = db.OpenMigrated(2);
  Recorder heard;
  auto sub = store->Listen(heard.Callback());
  ASSERT_TRUE(sub.ok());
  store->Announce(Change::kEvents);  // nothing to tell: every writer is in this process
  EXPECT_EQ(heard.Count(Change::kEvents), 0);
}

}  // namespace
}  // namespace handoffd::testing
