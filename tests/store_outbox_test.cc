// The Store contract (src/store/store.h), run unchanged on SQLite and PostgreSQL: the outbox.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <latch>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "store/store.h"
#include "support/store_fixture.h"
#include "support/test_db.h"

namespace handoffd {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using testing::kT0;
using StoreOutbox = testing::StoreFixture;

TEST_P(StoreOutbox, OutboxClaimLeasesItemsOldestFirst) {
  Session s = Open("15550001111");
  // Three customers (one customer's queue gives out only its head: see below).
  auto [m1, o1] = QueueOutbound(s.contact_id, s.id, kT0 + seconds(2), "15550001112");
  auto [m2, o2] = QueueOutbound(s.contact_id, s.id, kT0 + seconds(1), "15550001111");
  auto [m3, o3] = QueueOutbound(s.contact_id, s.id, kT0 + minutes(10), "15550001113");

  auto next = store_->NextOutboxDue();
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(*next, kT0 + seconds(1));

  auto claimed = store_->ClaimOutbox(kT0 + seconds(5), 10, seconds(30));
  ASSERT_TRUE(claimed.ok()) << claimed.status().ToString();
  ASSERT_EQ(claimed->size(), 2u);
  EXPECT_EQ((*claimed)[0].id, o2);
  EXPECT_EQ((*claimed)[1].id, o1);
  EXPECT_EQ((*claimed)[0].message_id, m2.id);
  EXPECT_EQ((*claimed)[0].phone_number_id, "PNID1");
  EXPECT_EQ((*claimed)[0].recipient, "15550001111");
  EXPECT_EQ((*claimed)[0].payload, R"({"kind":"text","text":"hi"})");
  EXPECT_EQ((*claimed)[0].attempts, 0);
  EXPECT_EQ((*claimed)[0].next_attempt_at, kT0 + seconds(1));
  EXPECT_EQ((*claimed)[0].created_at, kT0);

  // Inside the lease nobody else gets them.
  auto again = store_->ClaimOutbox(kT0 + seconds(34), 10, seconds(30));
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->empty());
  // The next claimable moment is the end of the lease.
  EXPECT_EQ(*store_->NextOutboxDue(), kT0 + seconds(35));

  // Once the lease runs out they are claimable again; limit applies.
  auto after = store_->ClaimOutbox(kT0 + seconds(35), 1, seconds(30));
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->size(), 1u);
  EXPECT_EQ(after->front().id, o2);
  (void)o3;
  (void)m1;
  (void)m3;
}

// Bug: claims ordered by time and id only, so a customer's later item overtook an earlier one
// that was backing off, and two workers could send one customer's items at once.
TEST_P(StoreOutbox, OnlyTheHeadOfACustomersQueueIsClaimable) {
  Session s = Open("15550001111");
  auto [m1, o1] = QueueOutbound(s.contact_id, s.id, kT0 + seconds(2));
  auto [m2, o2] = QueueOutbound(s.contact_id, s.id, kT0 + seconds(1));    // due first, queued later
  auto [m3, o3] = QueueOutbound(s.contact_id, s.id, kT0, "15550009999");  // another customer
  auto claimed = store_->ClaimOutbox(kT0 + seconds(5), 10, seconds(30));
  ASSERT_TRUE(claimed.ok()) << claimed.status().ToString();
  ASSERT_EQ(claimed->size(), 2u);
  EXPECT_EQ((*claimed)[0].id, o3);
  EXPECT_EQ((*claimed)[1].id, o1);  // the head; o2 waits behind it
  ASSERT_TRUE(store_->CompleteOutbox((*claimed)[0], "wamid.3").ok());
  // While the head is leased, and while it backs off, the rest of its queue waits.
  EXPECT_TRUE(store_->ClaimOutbox(kT0 + seconds(6), 10, seconds(30))->empty());
  ASSERT_TRUE(store_->RetryOutbox((*claimed)[1], kT0 + minutes(1), "503").ok());
  EXPECT_TRUE(store_->ClaimOutbox(kT0 + seconds(7), 10, seconds(30))->empty());
  auto head_again = store_->ClaimOutbox(kT0 + minutes(1), 10, seconds(30));
  ASSERT_TRUE(head_again.ok() && head_again->size() == 1u);
  EXPECT_EQ(head_again->front().id, o1);
  // Once the head is done, the next one is.
  ASSERT_TRUE(store_->CompleteOutbox(head_again->front(), "wamid.1").ok());
  auto next = store_->ClaimOutbox(kT0 + minutes(1), 10, seconds(30));
  ASSERT_TRUE(next.ok() && next->size() == 1u);
  EXPECT_EQ(next->front().id, o2);
  // Released items are claimable at once.
  ASSERT_TRUE(store_->ReleaseOutbox({o2}).ok());
  auto released = store_->ClaimOutbox(kT0 + minutes(1), 10, seconds(30));
  ASSERT_TRUE(released.ok() && released->size() == 1u);
  EXPECT_EQ(released->front().id, o2);
  (void)m1;
  (void)m2;
  (void)m3;
}

TEST_P(StoreOutbox, ConcurrentClaimsNeverShareAnItem) {
  Session s = Open("15550001111");
  constexpr int kItems = 40;
  for (int i = 0; i < kItems; ++i) {
    QueueOutbound(s.contact_id, s.id, kT0 + milliseconds(i), "1555000" + std::to_string(1000 + i));
  }
  constexpr int kWorkers = 4;
  std::vector<std::vector<int64_t>> got(kWorkers);
  std::latch start(kWorkers);
  std::vector<std::thread> threads;
  for (int w = 0; w < kWorkers; ++w) {
    threads.emplace_back([&, w] {
      start.arrive_and_wait();
      for (;;) {
        auto r = store_->ClaimOutbox(kT0 + seconds(1), 3, minutes(5));
        ASSERT_TRUE(r.ok()) << r.status().ToString();
        if (r->empty()) return;
        for (const OutboxItem& item : *r) got[w].push_back(item.id);
      }
    });
  }
  for (auto& t : threads) t.join();
  std::vector<int64_t> all;
  for (const auto& g : got) all.insert(all.end(), g.begin(), g.end());
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all.size(), static_cast<size_t>(kItems));
  EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end());
}

TEST_P(StoreOutbox, CompleteOutboxMarksTheMessageSentAndRemovesTheItem) {
  Session s = Open("15550001111");
  auto [msg, outbox_id] = QueueOutbound(s.contact_id, s.id);
  (void)outbox_id;
  auto claimed = store_->ClaimOutbox(kT0, 10, seconds(30));
  ASSERT_TRUE(claimed.ok() && claimed->size() == 1u);
  auto done = store_->CompleteOutbox(claimed->front(), "wamid.SENT");
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  ASSERT_TRUE(done->has_value());
  EXPECT_EQ((*done)->id, msg.id);
  EXPECT_EQ((*done)->channel_message_id, "wamid.SENT");
  EXPECT_EQ((*done)->delivery_status, DeliveryStatus::kSent);
  auto stored = store_->GetMessage(msg.id);
  EXPECT_EQ((*stored)->channel_message_id, "wamid.SENT");
  EXPECT_EQ((*stored)->delivery_status, DeliveryStatus::kSent);
  // Gone from the outbox, even once the lease is over.
  EXPECT_TRUE(store_->ClaimOutbox(kT0 + hours(1), 10, seconds(30))->empty());
  EXPECT_EQ(*store_->NextOutboxDue(), std::nullopt);

  // An item without a message (a bot forward) completes to nullopt.
  int64_t forward_id = 0;
  Tx([&](StoreTx& tx) -> Status {
    OutboxItem item;
    item.payload = R"({"kind":"forward","url":"http://bot","body":"{}"})";
    item.next_attempt_at = kT0;
    item.created_at = kT0;
    auto r = tx.Enqueue(item);
    if (!r.ok()) return r.status();
    forward_id = *r;
    return Status::Ok();
  });
  auto forward = store_->ClaimOutbox(kT0, 10, seconds(30));
  ASSERT_TRUE(forward.ok() && forward->size() == 1u);
  EXPECT_EQ(forward->front().id, forward_id);
  EXPECT_EQ(forward->front().message_id, std::nullopt);
  auto fdone = store_->CompleteOutbox(forward->front(), "");
  ASSERT_TRUE(fdone.ok());
  EXPECT_FALSE(fdone->has_value());
  EXPECT_EQ(*store_->NextOutboxDue(), std::nullopt);
}

TEST_P(StoreOutbox, FailOutboxMarksTheMessageFailed) {
  Session s = Open("15550001111");
  auto [msg, outbox_id] = QueueOutbound(s.contact_id, s.id);
  auto claimed = store_->ClaimOutbox(kT0, 10, seconds(30));
  ASSERT_TRUE(claimed.ok() && claimed->size() == 1u);
  auto failed = store_->FailOutbox(claimed->front(), MessageError{131047, "Re-engagement message"});
  ASSERT_TRUE(failed.ok()) << failed.status().ToString();
  ASSERT_TRUE(failed->has_value());
  EXPECT_EQ((*failed)->delivery_status, DeliveryStatus::kFailed);
  ASSERT_TRUE((*failed)->error.has_value());
  EXPECT_EQ((*failed)->error->code, 131047);
  EXPECT_EQ((*failed)->error->title, "Re-engagement message");
  EXPECT_EQ((*store_->GetMessage(msg.id))->delivery_status, DeliveryStatus::kFailed);
  EXPECT_EQ(*store_->NextOutboxDue(), std::nullopt);
  (void)outbox_id;
}

TEST_P(StoreOutbox, RetryOutboxCountsTheAttemptAndReschedules) {
  Session s = Open("15550001111");
  auto [msg, outbox_id] = QueueOutbound(s.contact_id, s.id);
  auto claimed = store_->ClaimOutbox(kT0, 10, minutes(5));
  ASSERT_TRUE(claimed.ok() && claimed->size() == 1u);
  ASSERT_TRUE(store_->RetryOutbox(claimed->front(), kT0 + seconds(8), "curl: timeout").ok());
  EXPECT_EQ(*store_->NextOutboxDue(), kT0 + seconds(8));  // the lease is released
  EXPECT_TRUE(store_->ClaimOutbox(kT0 + seconds(7), 10, minutes(5))->empty());
  auto again = store_->ClaimOutbox(kT0 + seconds(8), 10, minutes(5));
  ASSERT_TRUE(again.ok() && again->size() == 1u);
  EXPECT_EQ(again->front().id, outbox_id);
  EXPECT_EQ(again->front().attempts, 1);
  EXPECT_EQ(again->front().next_attempt_at, kT0 + seconds(8));
  EXPECT_EQ(RawText("SELECT last_error FROM outbox WHERE CAST(id AS TEXT) = :id",
                    std::to_string(outbox_id)),
            "curl: timeout");
  // The message stays queued meanwhile.
  EXPECT_EQ((*store_->GetMessage(msg.id))->delivery_status, DeliveryStatus::kQueued);
}

// Owner-checked leases: an instance that stalled longer than its lease (a GC pause, a frozen VM)
// must not take back, send or release an item another instance claimed meanwhile.
TEST_P(StoreOutbox, ARenewalAfterAStallDoesNotTakeBackAnItemAnotherInstanceClaimed) {
  Session s = Open("15550002221");
  auto [m, o] = QueueOutbound(s.contact_id, s.id, kT0, "15550002221");
  std::unique_ptr<Store> other = db_->OpenMigrated(2);  // a second instance, same database
  auto lease_of = [&]() -> std::optional<TimePoint> {
    auto items = store_->ListOutbox(o - 1, 1);
    EXPECT_TRUE(items.ok() && items->size() == 1u);
    return items.ok() && !items->empty() ? items->front().leased_until : std::nullopt;
  };

  auto mine = store_->ClaimOutbox(kT0, 10, seconds(30));
  ASSERT_TRUE(mine.ok());
  ASSERT_EQ(mine->size(), 1u);
  // This instance stalls past its lease; the other one claims the item.
  auto theirs = other->ClaimOutbox(kT0 + seconds(31), 10, seconds(30));
  ASSERT_TRUE(theirs.ok());
  ASSERT_EQ(theirs->size(), 1u);
  EXPECT_EQ(theirs->front().id, o);

  // The stalled instance wakes up and renews what it believes it holds: nothing changes.
  ASSERT_TRUE(store_->RenewOutboxLeases({o}, kT0 + seconds(90)).ok());
  EXPECT_EQ(lease_of(), kT0 + seconds(61));
  // Nor may it begin a send (the other instance sends) or give the item back.
  Status begun = store_->BeginOutboxAttempt(mine->front(), kT0 + seconds(40), kT0 + seconds(70));
  EXPECT_EQ(begun.code(), ErrorCode::kConflict) << begun.ToString();
  ASSERT_TRUE(store_->ReleaseOutbox({o}).ok());
  EXPECT_EQ(lease_of(), kT0 + seconds(61));
  auto items = store_->ListOutbox(o - 1, 1);
  ASSERT_TRUE(items.ok());
  EXPECT_FALSE(items->front().attempted_at.has_value());

  // The owner renews and sends as usual.
  ASSERT_TRUE(other->RenewOutboxLeases({o}, kT0 + seconds(100)).ok());
  EXPECT_EQ(lease_of(), kT0 + seconds(100));
  EXPECT_TRUE(
      other->BeginOutboxAttempt(theirs->front(), kT0 + seconds(41), kT0 + seconds(71)).ok());
  EXPECT_EQ(lease_of(), kT0 + seconds(71));
}

HANDOFFD_STORE_CONTRACT_SUITE(StoreOutbox);

}  // namespace
}  // namespace handoffd
