// The Store contract for what the dashboard reads back about a customer (issue 13), on SQLite
// and PostgreSQL: history search, the customer's own send time, read positions, earlier
// sessions, and the session.extended event the webhook fast path writes.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "domain/json_views.h"
#include "store/store.h"
#include "support/store_fixture.h"
#include "support/test_db.h"

namespace handoffd {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using testing::kT0;
using StoreHistory = testing::StoreFixture;

std::vector<std::string> Found(Store& store, const std::string& search) {
  SessionQuery q;
  q.search = search;
  auto page = store.QuerySessions(q);
  EXPECT_TRUE(page.ok()) << page.status().ToString();
  std::vector<std::string> phones;
  if (page.ok()) {
    for (const Session& s : page->sessions) phones.push_back(s.phone_number);
    EXPECT_EQ(page->total, static_cast<int64_t>(phones.size()));
  }
  return phones;
}

using Phones = std::vector<std::string>;

// Bug: a number typed as the customer gives it ("+49 151-1234") found nothing.
TEST_P(StoreHistory, SearchMatchesPhoneNumbersTypedWithPlusSpacesAndDashes) {
  Open("4915112345678");
  Open("5511987654321");
  EXPECT_EQ(Found(*store_, "+49 151-1234"), Phones{"4915112345678"});
  EXPECT_EQ(Found(*store_, "5678"), Phones{"4915112345678"});
  EXPECT_EQ(Found(*store_, "+55 11 98765-4321"), Phones{"5511987654321"});
}

// Bug: "joao" did not find "João".
TEST_P(StoreHistory, SearchIgnoresAccentsAndCaseInNames) {
  Open("5511987654321", kT0, kT0 + hours(22), "Jo\xC3\xA3o Silva");  // João Silva
  Open("4915112345678", kT0, kT0 + hours(22), "Anna");
  EXPECT_EQ(Found(*store_, "joao"), Phones{"5511987654321"});
  EXPECT_EQ(Found(*store_, "JO\xC3\x83O"), Phones{"5511987654321"});  // JOÃO
  EXPECT_EQ(Found(*store_, "silva"), Phones{"5511987654321"});
  EXPECT_TRUE(Found(*store_, "joana").empty());
}

// Bug: search looked at phone and name only, never at what was said.
TEST_P(StoreHistory, SearchFindsMessageTextButNotInternalNotes) {
  const Session a = Open("4915112345678");
  const Session b = Open("5511987654321");
  Message said = Msg(a.contact_id, a.id, "wamid.S1");
  said.content = "Meine Bestellung 4711 ist versp\xC3\xA4tet";  // verspätet
  ASSERT_TRUE(Insert(said).has_value());
  Message note = Msg(b.contact_id, b.id, std::nullopt);
  note.sender_type = SenderType::kSystem;
  note.direction = Direction::kInternal;
  note.delivery_status = DeliveryStatus::kInternal;
  note.content = "Bestellung escalated";
  ASSERT_TRUE(Insert(note).has_value());

  EXPECT_EQ(Found(*store_, "BESTELLUNG 4711"), Phones{"4915112345678"});
  EXPECT_EQ(Found(*store_, "verspatet"), Phones{"4915112345678"});
  EXPECT_EQ(Found(*store_, "bestellung"), Phones{"4915112345678"});
  // LIKE wildcards typed by the agent match literally.
  EXPECT_TRUE(Found(*store_, "4_11").empty());
}

// Bug: after an outage every redelivered message showed "now": the customer's time was lost.
TEST_P(StoreHistory, SentAtKeepsTheCustomersTimeAndTheChannelsAcceptance) {
  const Session s = Open("4915112345678");
  Message in = Msg(s.contact_id, s.id, "wamid.T1", kT0 + hours(3));
  in.sent_at = kT0 + minutes(1);
  auto stored = Insert(in);
  ASSERT_TRUE(stored.has_value());
  auto read = store_->GetMessage(stored->id);
  ASSERT_TRUE(read.ok() && read->has_value());
  EXPECT_EQ((*read)->sent_at, kT0 + minutes(1));
  EXPECT_EQ((*read)->created_at, kT0 + hours(3));

  // The fast path keeps it too.
  Message fast = Msg(0, std::nullopt, "wamid.T2", kT0 + hours(4));
  fast.sent_at = kT0 + minutes(2);
  auto appended = store_->AppendToOpenSession("whatsapp", "4915112345678", fast, std::nullopt);
  ASSERT_TRUE(appended.ok() && appended->message_id.has_value());
  auto fast_read = store_->GetMessage(*appended->message_id);
  ASSERT_TRUE(fast_read.ok() && fast_read->has_value());
  EXPECT_EQ((*fast_read)->sent_at, kT0 + minutes(2));

  // Outbound: null until the channel accepts it, then when it did.
  auto [out, outbox_id] = QueueOutbound(s.contact_id, s.id);
  EXPECT_EQ(out.sent_at, std::nullopt);
  OutboxItem item;
  item.id = outbox_id;
  item.message_id = out.id;
  auto sent = store_->CompleteOutbox(item, "wamid.OUT1", {});
  ASSERT_TRUE(sent.ok() && sent->has_value()) << sent.status().ToString();
  EXPECT_TRUE((*sent)->sent_at.has_value());
}

// Bug: unread state lived in one browser tab; a second tab or device showed it all unread.
TEST_P(StoreHistory, ReadPositionsOnlyMoveForwardAndListOpenSessions) {
  const Agent ana = NewAgent("ana@example.com", Role::kAgent, "Ana");
  const Agent bo = NewAgent("bo@example.com", Role::kAgent, "Bo");
  const Session s = Open("4915112345678");
  const Session t = Open("5511987654321");
  auto set = [&](const Agent& a, int64_t session, int64_t message) {
    int64_t stored = 0;
    Tx([&](StoreTx& tx) -> Status {
      HANDOFFD_ASSIGN_OR_RETURN(stored, tx.SetReadPosition(a.id, session, message, kT0));
      return Status::Ok();
    });
    return stored;
  };
  EXPECT_EQ(set(ana, s.id, 10), 10);
  EXPECT_EQ(set(ana, s.id, 5), 10);  // a stale tab cannot move it back
  EXPECT_EQ(set(ana, s.id, 12), 12);
  EXPECT_EQ(set(ana, t.id, 3), 3);
  EXPECT_EQ(set(bo, s.id, 1), 1);

  auto positions = store_->ListReadPositions(ana.id);
  ASSERT_TRUE(positions.ok()) << positions.status().ToString();
  EXPECT_EQ(*positions, (std::map<int64_t, int64_t>{{s.id, 12}, {t.id, 3}}));
  ASSERT_TRUE(End(t.id));
  positions = store_->ListReadPositions(ana.id);
  ASSERT_TRUE(positions.ok());
  EXPECT_EQ(*positions, (std::map<int64_t, int64_t>{{s.id, 12}}));
}

// Bug: unread state built up only from live events, so a device signing in later showed none.
TEST_P(StoreHistory, CountUnreadCountsCustomerMessagesAfterTheReadPosition) {
  const Agent ana = NewAgent("ana@example.com", Role::kAgent, "Ana");
  const Agent bo = NewAgent("bo@example.com", Role::kAgent, "Bo");
  const Session mine = Open("4915112345678");
  const Session waiting = Open("5511987654321");
  const Session bos = Open("971501234567");
  ASSERT_TRUE(Assign(mine.id, ana.id));
  ASSERT_TRUE(Assign(bos.id, bo.id));
  std::vector<int64_t> ids;
  for (int i = 0; i < 3; ++i) {
    ids.push_back(Insert(Msg(mine.contact_id, mine.id, "wamid.M" + std::to_string(i)))->id);
  }
  auto [reply, outbox] = QueueOutbound(mine.contact_id, mine.id);  // the agent's own: not unread
  ASSERT_TRUE(Insert(Msg(waiting.contact_id, waiting.id, "wamid.W")).has_value());
  ASSERT_TRUE(Insert(Msg(bos.contact_id, bos.id, "wamid.B")).has_value());
  Tx([&](StoreTx& tx) -> Status {
    return tx.SetReadPosition(ana.id, mine.id, ids[0], kT0).status();
  });

  auto unread = store_->CountUnread(ana.id);
  ASSERT_TRUE(unread.ok()) << unread.status().ToString();
  EXPECT_EQ(*unread, (std::map<int64_t, int64_t>{{mine.id, 2}, {waiting.id, 1}}));
  Tx([&](StoreTx& tx) -> Status {
    return tx.SetReadPosition(ana.id, mine.id, reply.id, kT0).status();
  });
  unread = store_->CountUnread(ana.id);
  ASSERT_TRUE(unread.ok());
  EXPECT_EQ(*unread, (std::map<int64_t, int64_t>{{waiting.id, 1}}));
}

TEST_P(StoreHistory, ListCustomerSessionsGivesEarlierSessionsNewestFirst) {
  const Session first = Open("4915112345678");
  ASSERT_TRUE(End(first.id));
  const Session second = Open("4915112345678", kT0 + hours(1));
  ASSERT_TRUE(End(second.id, EndReason::kAgent, kT0 + hours(2)));
  const Session third = Open("4915112345678", kT0 + hours(3));
  Open("5511987654321");

  auto earlier = store_->ListCustomerSessions(third.contact_id, third.id, 20);
  ASSERT_TRUE(earlier.ok()) << earlier.status().ToString();
  ASSERT_EQ(earlier->size(), 2u);
  EXPECT_EQ((*earlier)[0].id, second.id);
  EXPECT_EQ((*earlier)[1].id, first.id);
  auto one = store_->ListCustomerSessions(third.contact_id, third.id, 1);
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].id, second.id);
}

// Bug: a customer's message moved expires_at and the 24-hour window, but open dashboards kept
// counting down the old values. The fast path (one SQL statement on PostgreSQL) writes
// session.extended; its data must be exactly json_views.cc's SessionTimersJson of the session
// as the API reads it afterwards.
TEST_P(StoreHistory, FastPathSessionExtendedCarriesTheSessionsNewTimers) {
  const Agent ana = NewAgent("ana@example.com", Role::kAgent, "Ana");
  const Session s = Open("4915112345678", kT0, kT0 + hours(22), "Anna");
  ASSERT_TRUE(Assign(s.id, ana.id));
  auto before = store_->EventIdRange();
  ASSERT_TRUE(before.ok());

  const TimePoint sent = kT0 + hours(2) + std::chrono::milliseconds(7);
  Message m = Msg(0, std::nullopt, "wamid.U1", kT0 + hours(2));
  m.sent_at = sent;
  auto appended = store_->AppendToOpenSession(
      "whatsapp", "4915112345678", m, std::make_pair(sent, sent + hours(22)), MessageJsonTail(m));
  ASSERT_TRUE(appended.ok() && appended->message_id.has_value());

  auto events = store_->ListEvents(before->second, INT64_MAX, 10);
  ASSERT_TRUE(events.ok()) << events.status().ToString();
  std::optional<EventRecord> extended;
  for (const EventRecord& e : *events) {
    EXPECT_NE(e.type, "session.updated");
    if (e.type == kSessionExtendedEvent) extended = e;
  }
  ASSERT_TRUE(extended.has_value());
  EXPECT_EQ(extended->audience, EventAudience::kAgent);
  EXPECT_EQ(extended->agent_id, ana.id);
  const Session now = Get(s.id);
  EXPECT_EQ(nlohmann::json::parse(extended->data), SessionTimersJson(now));
  EXPECT_EQ(SessionTimersJson(now)["window_expires_at"], "2026-01-02T12:00:00.007Z");
  EXPECT_EQ(SessionTimersJson(now)["expires_at"], "2026-01-02T10:00:00.007Z");
  EXPECT_EQ(SessionTimersJson(now)["session_id"], s.id);
}

// The audience rule has one definition (domain/event.cc SetSessionAudience); the PostgreSQL
// statement of the fast path restates it in SQL. Both must agree, waiting and assigned.
TEST_P(StoreHistory, FastPathEventAudiencesFollowSetSessionAudience) {
  const Agent ana = NewAgent("ana@example.com", Role::kAgent, "Ana");
  const Session waiting = Open("4915112345678");
  const Session assigned = Open("5511987654321");
  ASSERT_TRUE(Assign(assigned.id, ana.id));
  for (const Session& s : {waiting, assigned}) {
    auto before = store_->EventIdRange();
    ASSERT_TRUE(before.ok());
    const TimePoint sent = kT0 + hours(1);
    Message m = Msg(0, std::nullopt, "wamid.A" + std::to_string(s.id), sent);
    auto appended = store_->AppendToOpenSession(
        "whatsapp", s.phone_number, m, std::make_pair(sent, sent + hours(22)), MessageJsonTail(m));
    ASSERT_TRUE(appended.ok() && appended->message_id.has_value());
    EventRecord expected;
    SetSessionAudience(expected, Get(s.id), false);
    auto events = store_->ListEvents(before->second, INT64_MAX, 10);
    ASSERT_TRUE(events.ok());
    ASSERT_EQ(events->size(), 2u);
    for (const EventRecord& e : *events) {
      EXPECT_EQ(e.audience, expected.audience) << e.type << " of session " << s.id;
      EXPECT_EQ(e.agent_id, expected.agent_id) << e.type << " of session " << s.id;
    }
  }
}

HANDOFFD_STORE_CONTRACT_SUITE(StoreHistory);

}  // namespace
}  // namespace handoffd
