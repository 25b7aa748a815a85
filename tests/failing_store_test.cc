// tests/support/failing_store.h: it fails the chosen write, inside and outside transactions,
// and forwards everything else (StoreWrapper).
#include "support/failing_store.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "support/store_fixture.h"

namespace handoffd {
namespace {

using std::chrono::hours;
using testing::FailingStore;
using testing::kT0;
using FailingStoreTest = testing::StoreFixture;

TEST_P(FailingStoreTest, ForwardsEverythingUntilAFailureIsChosen) {
  FailingStore failing(*store_);
  EXPECT_EQ(failing.Dialect(), GetParam());
  EXPECT_TRUE(failing.Ping().ok());
  Agent a = NewAgent("a@example.com");
  ASSERT_TRUE(failing.CreateToken("t1", a.id, kT0, kT0 + hours(1)).ok());
  auto found = failing.FindAgentByToken("t1", kT0);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->id, a.id);
  EXPECT_EQ(failing.failures(), 0);
}

TEST_P(FailingStoreTest, FailsTheNthTransactionalWriteOnly) {
  FailingStore failing(*store_);
  failing.FailNthWrite(1);
  // Writes outside transactions are not counted by default.
  Agent a = NewAgent("a@example.com");
  ASSERT_TRUE(failing.CreateToken("t1", a.id, kT0, kT0 + hours(1)).ok());
  Status st = failing.Transact([&](StoreTx& tx) -> Status {
    auto claimed = tx.ClaimWebhookKey("k1", kT0);
    EXPECT_EQ(claimed.status().code(), ErrorCode::kUnavailable);
    return claimed.status();
  });
  EXPECT_EQ(st.code(), ErrorCode::kUnavailable);
  EXPECT_EQ(failing.failures(), 1);
  // Only once.
  Tx([&](StoreTx& tx) -> Status {
    EXPECT_TRUE(*tx.ClaimWebhookKey("k1", kT0));
    return Status::Ok();
  });
}

TEST_P(FailingStoreTest, CanFailWritesOutsideTransactions) {
  FailingStore failing(*store_);
  Agent a = NewAgent("a@example.com");
  failing.FailNthWrite(2, FailingStore::Writes::kAll);
  ASSERT_TRUE(failing.CreateToken("t1", a.id, kT0, kT0 + hours(1)).ok());
  Status st = failing.CreateToken("t2", a.id, kT0, kT0 + hours(1));
  EXPECT_EQ(st.code(), ErrorCode::kUnavailable);
  EXPECT_EQ(failing.failures(), 1);
  EXPECT_TRUE(store_->FindAgentByToken("t1", kT0)->has_value());
  EXPECT_FALSE(store_->FindAgentByToken("t2", kT0)->has_value());  // never written

  // CompleteOutbox fails as a whole: the item stays queued.
  Session s = Open("15550001111");
  OutboxItem item;
  item.recipient = "15550001111";
  item.payload = R"({"kind":"text","text":"hi"})";
  item.next_attempt_at = kT0;
  item.created_at = kT0;
  Tx([&](StoreTx& tx) -> Status {
    auto id = tx.Enqueue(item);
    if (!id.ok()) return id.status();
    item.id = *id;
    return Status::Ok();
  });
  failing.FailNthWrite(1, FailingStore::Writes::kAll);
  auto done = failing.CompleteOutbox(item, "wamid.X", {});
  EXPECT_EQ(done.status().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(*store_->NextOutboxDue(), kT0);
  (void)s;
}

HANDOFFD_STORE_CONTRACT_SUITE(FailingStoreTest);

}  // namespace
}  // namespace handoffd
