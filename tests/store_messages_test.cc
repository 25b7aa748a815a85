// The Store contract (src/store/store.h), run unchanged on SQLite and PostgreSQL: messages,
// delivery statuses, webhook dedupe keys and the webhook fast path.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "store/store.h"
#include "support/store_fixture.h"
#include "support/test_db.h"

namespace handoffd {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using testing::kT0;
using StoreMessages = testing::StoreFixture;

TEST_P(StoreMessages, InsertMessageStoresEveryFieldAndDedupesByChannelId) {
  Session s = Open("15550001111");
  Message m = Msg(s.contact_id, s.id, "wamid.ONE", kT0 + seconds(3));
  m.type = "location";
  m.content = "Office";
  m.metadata = R"({"latitude":1.5,"longitude":2.5})";
  auto first = Insert(m);
  ASSERT_TRUE(first.has_value());
  EXPECT_GT(first->id, 0);

  auto stored = store_->GetMessage(first->id);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  const Message& got = **stored;
  EXPECT_EQ(got.session_id, s.id);
  EXPECT_EQ(got.contact_id, s.contact_id);
  EXPECT_EQ(got.sender_type, SenderType::kCustomer);
  EXPECT_EQ(got.sender_id, "15550001111");
  EXPECT_EQ(got.direction, Direction::kIn);
  EXPECT_EQ(got.type, "location");
  EXPECT_EQ(got.content, "Office");
  EXPECT_EQ(got.metadata, R"({"latitude":1.5,"longitude":2.5})");
  EXPECT_EQ(got.channel_message_id, "wamid.ONE");
  EXPECT_EQ(got.delivery_status, DeliveryStatus::kReceived);
  EXPECT_EQ(got.error, std::nullopt);
  EXPECT_EQ(got.created_at, kT0 + seconds(3));

  // A redelivery inserts nothing.
  EXPECT_EQ(Insert(m), std::nullopt);
  auto list = store_->ListMessages(s.id, 0, 100);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ(list->front().id, first->id);

  // Messages without a channel id never collide (nor do empty ones).
  EXPECT_TRUE(Insert(Msg(s.contact_id, s.id, std::nullopt)).has_value());
  EXPECT_TRUE(Insert(Msg(s.contact_id, s.id, std::nullopt)).has_value());
  EXPECT_TRUE(Insert(Msg(s.contact_id, s.id, "")).has_value());
  EXPECT_TRUE(Insert(Msg(s.contact_id, s.id, "")).has_value());
  list = store_->ListMessages(s.id, 0, 100);
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 5u);
}

TEST_P(StoreMessages, ListMessagesPagesOldestFirst) {
  Session s = Open("15550001111");
  std::vector<int64_t> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(Insert(Msg(s.contact_id, s.id, std::nullopt))->id);
  auto page = store_->ListMessages(s.id, ids[1], 2);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].id, ids[2]);
  EXPECT_EQ((*page)[1].id, ids[3]);
  auto rest = store_->ListMessages(s.id, ids[3], 100);
  ASSERT_TRUE(rest.ok());
  ASSERT_EQ(rest->size(), 1u);
  EXPECT_EQ(rest->front().id, ids[4]);
}

TEST_P(StoreMessages, AttachRecentMessagesTakesTheContactsRecentBotHistory) {
  const int64_t contact = Contact("15550001111");
  const int64_t other = Contact("15550002222");
  const auto old_msg = Insert(Msg(contact, std::nullopt, "wamid.old", kT0 - hours(30)));
  const auto edge = Insert(Msg(contact, std::nullopt, "wamid.edge", kT0 - hours(24)));
  const auto recent = Insert(Msg(contact, std::nullopt, "wamid.recent", kT0 - minutes(1)));
  const auto foreign = Insert(Msg(other, std::nullopt, "wamid.foreign", kT0 - minutes(1)));
  ASSERT_TRUE(old_msg && edge && recent && foreign);

  Session s = Open("15550001111");
  Tx([&](StoreTx& tx) { return tx.AttachRecentMessages(contact, s.id, kT0 - hours(24)); });

  auto list = store_->ListMessages(s.id, 0, 100);
  ASSERT_TRUE(list.ok());
  std::vector<int64_t> ids;
  for (const Message& m : *list) ids.push_back(m.id);
  EXPECT_EQ(ids, (std::vector<int64_t>{edge->id, recent->id}));
  EXPECT_EQ((*store_->GetMessage(old_msg->id))->session_id, std::nullopt);
  EXPECT_EQ((*store_->GetMessage(foreign->id))->session_id, std::nullopt);
}

TEST_P(StoreMessages, DeliveryStatusOnlyMovesForward) {
  Session s = Open("15550001111");
  auto [msg, outbox_id] = QueueOutbound(s.contact_id, s.id);
  (void)outbox_id;
  auto claimed = store_->ClaimOutbox(kT0, 10, seconds(30));
  ASSERT_TRUE(claimed.ok() && claimed->size() == 1u);
  auto sent = store_->CompleteOutbox(claimed->front(), "wamid.OUT");
  ASSERT_TRUE(sent.ok() && sent->has_value());
  EXPECT_EQ((*sent)->delivery_status, DeliveryStatus::kSent);

  auto read = ApplyStatus("wamid.OUT", DeliveryStatus::kRead);
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->id, msg.id);
  EXPECT_EQ(read->delivery_status, DeliveryStatus::kRead);
  // delivered arriving after read is stale; sent too.
  EXPECT_EQ(ApplyStatus("wamid.OUT", DeliveryStatus::kDelivered), std::nullopt);
  EXPECT_EQ(ApplyStatus("wamid.OUT", DeliveryStatus::kSent), std::nullopt);
  EXPECT_EQ((*store_->GetMessage(msg.id))->delivery_status, DeliveryStatus::kRead);

  // failed is final and carries Meta's error.
  auto failed = ApplyStatus("wamid.OUT", DeliveryStatus::kFailed,
                            MessageError{131047, "Re-engagement message"});
  ASSERT_TRUE(failed.has_value());
  EXPECT_EQ(failed->delivery_status, DeliveryStatus::kFailed);
  ASSERT_TRUE(failed->error.has_value());
  EXPECT_EQ(failed->error->code, 131047);
  EXPECT_EQ(failed->error->title, "Re-engagement message");
  EXPECT_EQ(ApplyStatus("wamid.OUT", DeliveryStatus::kRead), std::nullopt);
  auto stored = store_->GetMessage(msg.id);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->delivery_status, DeliveryStatus::kFailed);
  ASSERT_TRUE((*stored)->error.has_value());
  EXPECT_EQ((*stored)->error->code, 131047);
  EXPECT_EQ((*stored)->error->title, "Re-engagement message");

  // Unknown ids and inbound messages are never touched.
  EXPECT_EQ(ApplyStatus("wamid.UNKNOWN", DeliveryStatus::kRead), std::nullopt);
  ASSERT_TRUE(Insert(Msg(s.contact_id, s.id, "wamid.IN")).has_value());
  EXPECT_EQ(ApplyStatus("wamid.IN", DeliveryStatus::kRead), std::nullopt);
}

TEST_P(StoreMessages, DeliveryStatusStepsInOrder) {
  Session s = Open("15550001111");
  auto [msg, outbox_id] = QueueOutbound(s.contact_id, s.id);
  (void)outbox_id;
  auto claimed = store_->ClaimOutbox(kT0, 10, seconds(30));
  ASSERT_TRUE(claimed.ok() && claimed->size() == 1u);
  ASSERT_TRUE(store_->CompleteOutbox(claimed->front(), "wamid.OUT").ok());
  EXPECT_EQ(ApplyStatus("wamid.OUT", DeliveryStatus::kSent), std::nullopt);  // already sent
  EXPECT_EQ(ApplyStatus("wamid.OUT", DeliveryStatus::kDelivered).value().delivery_status,
            DeliveryStatus::kDelivered);
  EXPECT_EQ(ApplyStatus("wamid.OUT", DeliveryStatus::kRead).value().delivery_status,
            DeliveryStatus::kRead);
  EXPECT_EQ((*store_->GetMessage(msg.id))->error, std::nullopt);
}

TEST_P(StoreMessages, ClaimWebhookKeyIsTrueOnlyTheFirstTime) {
  auto claim = [&](const std::string& key) {
    bool first = false;
    Tx([&](StoreTx& tx) -> Status {
      auto r = tx.ClaimWebhookKey(key, kT0);
      if (!r.ok()) return r.status();
      first = *r;
      return Status::Ok();
    });
    return first;
  };
  EXPECT_TRUE(claim("status:wamid.A:read"));
  EXPECT_FALSE(claim("status:wamid.A:read"));
  EXPECT_TRUE(claim("status:wamid.A:delivered"));
  // Twice within one transaction.
  Tx([&](StoreTx& tx) -> Status {
    EXPECT_TRUE(*tx.ClaimWebhookKey("k2", kT0));
    EXPECT_FALSE(*tx.ClaimWebhookKey("k2", kT0));
    return Status::Ok();
  });
}

// The webhook fast path: one atomic operation that joins an open session or writes nothing.
TEST_P(StoreMessages, AppendToOpenSessionJoinsExtendsAndDedupes) {
  // No open session: nothing is written.
  auto none = store_->AppendToOpenSession("whatsapp", "4915100000001",
                                          Msg(0, std::nullopt, "wamid.FAST0"), std::nullopt);
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_FALSE(none->session_id.has_value());
  EXPECT_FALSE(none->message_id.has_value());

  const Session s = Open("4915100000001");
  const TimePoint sent = kT0 + hours(2);
  auto first = store_->AppendToOpenSession("whatsapp", "4915100000001",
                                           Msg(0, std::nullopt, "wamid.FAST1", kT0 + hours(2)),
                                           std::make_pair(sent, sent + hours(22)));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->session_id, s.id);
  ASSERT_TRUE(first->message_id.has_value());
  auto stored = store_->GetMessage(*first->message_id);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->session_id, s.id);
  EXPECT_EQ((*stored)->contact_id, s.contact_id);
  EXPECT_EQ((*stored)->channel_message_id, "wamid.FAST1");
  EXPECT_EQ((*stored)->metadata, R"({"k":"v"})");
  auto after = store_->GetSession(s.id);
  ASSERT_TRUE(after.ok() && after->has_value());
  EXPECT_EQ((*after)->expires_at, sent + hours(22));
  EXPECT_EQ((*after)->last_customer_message_at, sent);

  // A duplicate wamid stores nothing and extends nothing.
  const TimePoint later = kT0 + hours(5);
  auto dup =
      store_->AppendToOpenSession("whatsapp", "4915100000001", Msg(0, std::nullopt, "wamid.FAST1"),
                                  std::make_pair(later, later + hours(22)));
  ASSERT_TRUE(dup.ok());
  EXPECT_EQ(dup->session_id, s.id);
  EXPECT_FALSE(dup->message_id.has_value());
  EXPECT_EQ((*store_->GetSession(s.id))->expires_at, sent + hours(22));

  // An older message never shortens; no extension requested (a reaction) changes nothing.
  const TimePoint older = kT0 + hours(1);
  ASSERT_TRUE(store_
                  ->AppendToOpenSession("whatsapp", "4915100000001",
                                        Msg(0, std::nullopt, "wamid.FAST2"),
                                        std::make_pair(older, older + hours(22)))
                  .ok());
  ASSERT_TRUE(store_
                  ->AppendToOpenSession("whatsapp", "4915100000001",
                                        Msg(0, std::nullopt, "wamid.FAST3"), std::nullopt)
                  .ok());
  EXPECT_EQ((*store_->GetSession(s.id))->expires_at, sent + hours(22));
  EXPECT_EQ((*store_->GetSession(s.id))->last_customer_message_at, sent);
  auto msgs = store_->ListMessages(s.id, 0, 100);
  ASSERT_TRUE(msgs.ok());
  EXPECT_EQ(msgs->size(), 3u);

  // After the session ends, the fast path finds nothing again.
  ASSERT_TRUE(End(s.id));
  auto ended = store_->AppendToOpenSession("whatsapp", "4915100000001",
                                           Msg(0, std::nullopt, "wamid.FAST4"), std::nullopt);
  ASSERT_TRUE(ended.ok());
  EXPECT_FALSE(ended->session_id.has_value());
}

HANDOFFD_STORE_CONTRACT_SUITE(StoreMessages);

}  // namespace
}  // namespace handoffd
