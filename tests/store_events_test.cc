// The Store contract (src/store/store.h), run unchanged on SQLite and PostgreSQL: the event log
// (AppendEvent, ListEvents, EventIdRange, PruneEvents), agents' signs of life (TouchAgent,
// SetAgentStatus) and the store's clock for the times it assigns itself.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "store/store.h"
#include "support/manual_clock.h"
#include "support/store_fixture.h"
#include "support/test_db.h"

namespace handoffd {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using testing::kT0;

EventRecord Event(const std::string& type, TimePoint at,
                  std::optional<int64_t> agent_id = std::nullopt) {
  EventRecord e;
  e.type = type;
  e.audience = agent_id ? EventAudience::kAgent : EventAudience::kAllAgents;
  e.agent_id = agent_id;
  e.data = R"({"type":")" + type + R"("})";
  e.created_at = at;
  return e;
}

std::vector<int64_t> EventIds(const std::vector<EventRecord>& events) {
  std::vector<int64_t> out;
  for (const EventRecord& e : events) out.push_back(e.id);
  return out;
}

class StoreEvents : public testing::StoreFixture {
 protected:
  int64_t Append(const EventRecord& e, Store* store = nullptr) {
    int64_t id = 0;
    Status st = (store ? *store : *store_).Transact([&](StoreTx& tx) -> Status {
      auto r = tx.AppendEvent(e);
      if (!r.ok()) return r.status();
      id = *r;
      return Status::Ok();
    });
    EXPECT_TRUE(st.ok()) << st.ToString();
    return id;
  }

  std::vector<EventRecord> List(int64_t after, int64_t up_to, int limit) {
    auto r = store_->ListEvents(after, up_to, limit);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::vector<EventRecord>{};
  }
};

TEST_P(StoreEvents, ListEventsReturnsTheRangeInIdOrderWithEveryField) {
  Agent agent = NewAgent("a@example.com");
  std::vector<int64_t> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(Append(Event("session.created", kT0 + seconds(i))));
  }
  const int64_t mine = Append(Event("agent.status", kT0 + seconds(9), agent.id));
  for (size_t k = 1; k < ids.size(); ++k) EXPECT_GT(ids[k], ids[k - 1]);
  EXPECT_GT(mine, ids.back());

  auto all = List(0, mine, 100);
  std::vector<int64_t> expected = ids;
  expected.push_back(mine);
  EXPECT_EQ(EventIds(all), expected);
  ASSERT_EQ(all.size(), 6u);
  EXPECT_EQ(all[0].type, "session.created");
  EXPECT_EQ(all[0].audience, EventAudience::kAllAgents);
  EXPECT_EQ(all[0].agent_id, std::nullopt);
  EXPECT_EQ(all[0].data, R"({"type":"session.created"})");
  EXPECT_EQ(all[0].created_at, kT0);
  EXPECT_EQ(all[5].type, "agent.status");
  EXPECT_EQ(all[5].audience, EventAudience::kAgent);
  EXPECT_EQ(all[5].agent_id, agent.id);
  EXPECT_EQ(all[5].created_at, kT0 + seconds(9));

  // after_id is exclusive, up_to_id inclusive.
  EXPECT_EQ(EventIds(List(ids[0], ids[3], 100)), (std::vector<int64_t>{ids[1], ids[2], ids[3]}));
  // The limit keeps the oldest.
  EXPECT_EQ(EventIds(List(ids[0], mine, 2)), (std::vector<int64_t>{ids[1], ids[2]}));
  // Empty ranges and limits.
  EXPECT_TRUE(List(ids[2], ids[2], 100).empty());
  EXPECT_TRUE(List(ids[3], ids[1], 100).empty());
  EXPECT_TRUE(List(0, mine, 0).empty());
  EXPECT_TRUE(List(0, mine, -1).empty());
  EXPECT_TRUE(List(mine, mine + 100, 100).empty());
}

TEST_P(StoreEvents, EventIdRangeSpansTheStoredEvents) {
  auto empty = store_->EventIdRange();
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_EQ(*empty, std::make_pair(int64_t{0}, int64_t{0}));

  const int64_t first = Append(Event("session.created", kT0));
  auto one = store_->EventIdRange();
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(*one, std::make_pair(first, first));

  Append(Event("session.assigned", kT0 + minutes(1)));
  const int64_t last = Append(Event("session.ended", kT0 + minutes(2)));
  EXPECT_EQ(*store_->EventIdRange(), std::make_pair(first, last));
}

TEST_P(StoreEvents, PruneEventsDeletesOnlyOlderEvents) {
  const int64_t old1 = Append(Event("session.created", kT0 - hours(48)));
  const int64_t old2 = Append(Event("session.created", kT0 - hours(25)));
  const int64_t edge = Append(Event("session.created", kT0 - hours(24)));
  const int64_t fresh = Append(Event("session.created", kT0));
  (void)old1;
  (void)old2;

  auto none = store_->PruneEvents(kT0 - hours(72));
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_EQ(*none, 0);

  auto removed = store_->PruneEvents(kT0 - hours(24));
  ASSERT_TRUE(removed.ok()) << removed.status().ToString();
  EXPECT_EQ(*removed, 2);  // created_at < before: the one at the cut-off stays
  EXPECT_EQ(EventIds(List(0, fresh, 100)), (std::vector<int64_t>{edge, fresh}));
  EXPECT_EQ(*store_->EventIdRange(), std::make_pair(edge, fresh));

  EXPECT_EQ(*store_->PruneEvents(kT0 + milliseconds(1)), 2);
  EXPECT_EQ(*store_->EventIdRange(), std::make_pair(int64_t{0}, int64_t{0}));
  // Ids are never reused after pruning.
  EXPECT_GT(Append(Event("session.created", kT0)), fresh);
}

TEST_P(StoreEvents, TouchAgentRecordsASignOfLife) {
  Agent agent = NewAgent("a@example.com");
  EXPECT_EQ(agent.last_seen_at, std::nullopt);
  ASSERT_TRUE(store_->TouchAgent(agent.id, kT0 + seconds(15)).ok());
  auto got = store_->GetAgent(agent.id);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->last_seen_at, kT0 + seconds(15));
  EXPECT_EQ((*got)->status, agent.status);  // the chosen status is unchanged

  ASSERT_TRUE(store_->TouchAgent(agent.id, kT0 + seconds(30)).ok());
  EXPECT_EQ((*store_->GetAgent(agent.id))->last_seen_at, kT0 + seconds(30));
  // An unknown agent is not an error.
  EXPECT_TRUE(store_->TouchAgent(agent.id + 1000, kT0).ok());
}

TEST_P(StoreEvents, SetAgentStatusReturnsTheUpdatedAgent) {
  Agent agent = NewAgent("a@example.com", Role::kAgent, "Alice");
  std::optional<Agent> updated;
  std::optional<Agent> unknown = Agent{};
  Tx([&](StoreTx& tx) -> Status {
    auto r = tx.SetAgentStatus(agent.id, AgentStatus::kAway, kT0 + minutes(3));
    if (!r.ok()) return r.status();
    updated = *r;
    auto u = tx.SetAgentStatus(agent.id + 1000, AgentStatus::kOnline, kT0);
    if (!u.ok()) return u.status();
    unknown = *u;
    return Status::Ok();
  });
  ASSERT_TRUE(updated.has_value());
  EXPECT_EQ(updated->id, agent.id);
  EXPECT_EQ(updated->name, "Alice");
  EXPECT_EQ(updated->status, AgentStatus::kAway);
  EXPECT_EQ(updated->last_seen_at, kT0 + minutes(3));
  EXPECT_EQ(unknown, std::nullopt);

  auto stored = store_->GetAgent(agent.id);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->status, AgentStatus::kAway);
  EXPECT_EQ((*stored)->last_seen_at, kT0 + minutes(3));

  // Rolled back with its transaction.
  Status st = store_->Transact([&](StoreTx& tx) -> Status {
    EXPECT_TRUE(tx.SetAgentStatus(agent.id, AgentStatus::kOnline, kT0 + minutes(4)).ok());
    return Status::Conflict("changed my mind");
  });
  EXPECT_EQ(st.code(), ErrorCode::kConflict);
  EXPECT_EQ((*store_->GetAgent(agent.id))->status, AgentStatus::kAway);
}

// Times the store assigns itself come from StoreOptions::clock, never from the wall clock.
TEST_P(StoreEvents, ZeroCreatedAtMeansNowByTheStoresClock) {
  testing::ManualClock clock(kT0 + hours(3));
  StoreOptions options = db_->Options(2);
  options.clock = &clock;
  auto opened = OpenStore(options);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  Store& store = **opened;

  const int64_t event_id = Append(Event("session.created", TimePoint{}), &store);
  auto events = store.ListEvents(0, event_id, 10);
  ASSERT_TRUE(events.ok() && events->size() == 1u);
  EXPECT_EQ(events->front().created_at, kT0 + hours(3));

  Session s = Open("15550001111");
  clock.Advance(minutes(1));
  Message m;
  m.contact_id = s.contact_id;
  m.session_id = s.id;
  m.sender_type = SenderType::kCustomer;
  m.sender_id = "15550001111";
  m.direction = Direction::kIn;
  m.type = "text";
  m.content = "hello";
  m.delivery_status = DeliveryStatus::kReceived;
  std::optional<Message> inserted;
  ASSERT_TRUE(store
                  .Transact([&](StoreTx& tx) -> Status {
                    auto r = tx.InsertMessage(m);
                    if (!r.ok()) return r.status();
                    inserted = *r;
                    return Status::Ok();
                  })
                  .ok());
  ASSERT_TRUE(inserted.has_value());
  EXPECT_EQ(inserted->created_at, kT0 + hours(3) + minutes(1));
  EXPECT_EQ((*store.GetMessage(inserted->id))->created_at, kT0 + hours(3) + minutes(1));

  // The webhook fast path too (one statement on PostgreSQL, a transaction on SQLite).
  clock.Advance(minutes(1));
  m.channel_message_id = "wamid.CLOCK";
  auto appended =
      store.AppendToOpenSession("whatsapp", "15550001111", m, std::nullopt, R"("text":"hello"})");
  ASSERT_TRUE(appended.ok()) << appended.status().ToString();
  ASSERT_TRUE(appended->message_id.has_value());
  EXPECT_EQ((*store.GetMessage(*appended->message_id))->created_at, kT0 + hours(3) + minutes(2));
  auto range = store.EventIdRange();
  ASSERT_TRUE(range.ok());
  auto last = store.ListEvents(range->second - 1, range->second, 1);
  ASSERT_TRUE(last.ok() && last->size() == 1u);
  EXPECT_EQ(last->front().type, "message.created");
  EXPECT_EQ(last->front().created_at, kT0 + hours(3) + minutes(2));
}

TEST(StoreOptionsTest, OpenStoreWantsAClock) {
  StoreOptions options;
  options.url = "sqlite:/nonexistent-dir-never-created/x.db";
  options.clock = nullptr;
  auto store = OpenStore(options);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), ErrorCode::kBadRequest);
}

HANDOFFD_STORE_CONTRACT_SUITE(StoreEvents);

}  // namespace
}  // namespace handoffd
