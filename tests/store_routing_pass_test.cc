// One auto-assignment pass on both databases, row by row: the events, messages and outbox items
// each assignment writes (the pass writes them set-based; these are the rows the per-session
// path wrote), and which waiting customers a pass tells their place.
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <utility>
#include <vector>

#include "outbox/outbox_payload.h"
#include "router/routing_service.h"
#include "support/manual_clock.h"
#include "support/store_fixture.h"
#include "support/store_wrapper.h"

namespace handoffd::testing {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

class StoreRoutingPass : public StoreFixture {
 protected:
  ManualClock clock{kT0};
  Metrics metrics;

  Agent Online(const std::string& email, int max_chats) {
    Agent a;
    a.email = email;
    a.name = email.substr(0, email.find('@'));
    a.role = Role::kAgent;
    a.max_chats = max_chats;
    a.password_hash = "$argon2id$fake";
    auto r = store_->CreateAgent(a);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    Tx([&](StoreTx& tx) {
      return tx.SetAgentStatus(r->id, AgentStatus::kOnline, clock.Now()).status();
    });
    return **store_->GetAgent(r->id);
  }
  // A session opened as the router opens one: its customer is to be told their place.
  int64_t OpenUntold(const std::string& phone, TimePoint created = kT0) {
    const int64_t contact = Contact(phone);
    int64_t id = 0;
    Tx([&](StoreTx& tx) -> Status {
      NewSession ns;
      ns.channel = "whatsapp";
      ns.contact_id = contact;
      ns.phone_number = phone;
      ns.phone_number_id = "PNID1";
      ns.created_at = created;
      ns.expires_at = created + std::chrono::hours(22);
      ns.last_customer_message_at = created;
      ns.announce_queue = true;
      HANDOFFD_ASSIGN_OR_RETURN(auto s, tx.CreateSession(ns));
      id = s.id;
      return Status::Ok();
    });
    return id;
  }
  int64_t LastEventId() { return store_->EventIdRange()->second; }
  int64_t LastOutboxId() {
    auto items = store_->ListOutbox(0, 100000);
    return items->empty() ? 0 : items->back().id;
  }
  static RoutingOptions Auto() {
    RoutingOptions o;
    o.auto_mode = true;
    return o;
  }
};

TEST_P(StoreRoutingPass, EachAssignmentWritesItsSessionEventNoteTextAndOutboxItemInOrder) {
  const Agent anna = Online("anna@x.com", 1);
  const Agent ben = Online("ben@x.com", 2);
  std::vector<int64_t> ids;
  for (int k = 0; k < 4; ++k) {
    ids.push_back(Open("491510000000" + std::to_string(k), kT0 - minutes(10 - k)).id);
  }
  // Told already: the pass only assigns.
  Tx([&](StoreTx& tx) -> Status {
    for (int64_t id : ids) HANDOFFD_RETURN_IF_ERROR(tx.MarkQueueTold(id, 1, kT0));
    return Status::Ok();
  });
  clock.Advance(seconds(30));
  const TimePoint at = clock.Now();
  const int64_t events_before = LastEventId();
  const int64_t outbox_before = LastOutboxId();
  RoutingService routing(*store_, clock, metrics, Auto());
  auto rep = routing.RunPass();
  ASSERT_TRUE(rep.ok()) << rep.status().ToString();
  ASSERT_EQ(rep->assigned, 3);
  EXPECT_EQ(rep->notices, 0);
  EXPECT_EQ(metrics.assignments_auto.load(), 3u);

  // The plan: oldest first to the least loaded (ties: never assigned, then lowest id).
  const std::vector<std::pair<int64_t, const Agent*>> plan = {
      {ids[0], &anna}, {ids[1], &ben}, {ids[2], &ben}};
  auto events = store_->ListEvents(events_before, INT64_MAX, 1000);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 9u);
  auto outbox = store_->ListOutbox(outbox_before, 100);
  ASSERT_EQ(outbox->size(), 3u);
  int64_t last_message = 0;
  for (size_t k = 0; k < plan.size(); ++k) {
    const auto& [id, agent] = plan[k];
    SCOPED_TRACE("session " + std::to_string(id));
    auto s = store_->GetSession(id);
    ASSERT_TRUE(s.ok() && s->has_value());
    EXPECT_EQ((*s)->status, SessionStatus::kActive);
    EXPECT_EQ((*s)->agent_id, agent->id);
    EXPECT_EQ((*s)->agent_name, agent->name);
    EXPECT_EQ((*s)->assigned_at, at);
    EXPECT_EQ((*s)->wait_ms, ToUnixMillis(at) - ToUnixMillis((*s)->created_at));
    EXPECT_EQ((*s)->team_name, "General");
    // session.assigned with the session as stored, to every agent (it was waiting).
    const EventRecord& assigned = (*events)[3 * k];
    const EventRecord want = SessionEvent("session.assigned", **s, true, at);
    EXPECT_EQ(assigned.type, "session.assigned");
    EXPECT_EQ(assigned.data, want.data);
    EXPECT_EQ(assigned.audience, want.audience);
    EXPECT_EQ(assigned.created_at, at);
    // The note, then the joined text: consecutive ids, each with its message.created event.
    auto messages = store_->ListMessages(id, 0, 100);
    ASSERT_EQ(messages->size(), 2u);
    const Message& note = (*messages)[0];
    const Message& text = (*messages)[1];
    EXPECT_GT(note.id, last_message);
    EXPECT_EQ(text.id, note.id + 1);
    last_message = text.id;
    EXPECT_EQ(note.content, "Assigned to " + agent->name + " (auto)");
    EXPECT_EQ(note.direction, Direction::kInternal);
    EXPECT_EQ(note.delivery_status, DeliveryStatus::kInternal);
    EXPECT_EQ(text.content, "You are now chatting with " + agent->name + ".");
    EXPECT_EQ(text.direction, Direction::kOut);
    EXPECT_EQ(text.sender_type, SenderType::kSystem);
    EXPECT_EQ(text.delivery_status, DeliveryStatus::kQueued);
    for (int j = 1; j <= 2; ++j) {
      const EventRecord& e = (*events)[3 * k + j];
      const EventRecord m = MessageEvent("message.created", j == 1 ? note : text, **s, at);
      EXPECT_EQ(e.type, "message.created");
      EXPECT_EQ(e.data, m.data);
      EXPECT_EQ(e.audience, m.audience);
      EXPECT_EQ(e.agent_id, agent->id);
    }
    const OutboxItem& item = (*outbox)[k];
    EXPECT_EQ(item.message_id, text.id);
    EXPECT_EQ(item.recipient, (*s)->phone_number);
    EXPECT_EQ(item.payload, EncodeOutboxPayload(OutboxPayload::Text(text.content)));
    EXPECT_EQ(item.next_attempt_at, at);
  }
  EXPECT_EQ(store_->GetSession(ids[3])->value().status, SessionStatus::kWaiting);
  EXPECT_EQ(store_->GetSession(ids[3])->value().queue_position, 1);
}

TEST_P(StoreRoutingPass, AssignSessionsSkipsWhatIsNoLongerWaitingAndKeepsThePlanOrder) {
  const Agent anna = Online("anna@x.com", 0);
  const int64_t a = Open("4915100000001").id;
  const int64_t b = Open("4915100000002").id;
  const int64_t c = Open("4915100000003").id;
  ASSERT_TRUE(End(b));
  const TimePoint at = kT0 + minutes(2);
  std::vector<Session> assigned;
  Tx([&](StoreTx& tx) -> Status {
    HANDOFFD_ASSIGN_OR_RETURN(assigned,
                              tx.AssignSessions({{c, anna.id}, {b, anna.id}, {a, anna.id}}, at));
    return Status::Ok();
  });
  ASSERT_EQ(assigned.size(), 2u);
  EXPECT_EQ(assigned[0].id, c);  // plan order, not id order
  EXPECT_EQ(assigned[1].id, a);
  for (const Session& s : assigned) {
    EXPECT_EQ(s.status, SessionStatus::kActive);
    EXPECT_EQ(s.agent_id, anna.id);
    EXPECT_EQ(s.agent_name, "anna");
    EXPECT_EQ(s.assigned_at, at);
    EXPECT_EQ(s.wait_ms, 2 * 60 * 1000);
    EXPECT_FALSE(s.queue_position.has_value());
  }
  EXPECT_EQ(store_->GetSession(b)->value().status, SessionStatus::kEnded);
  Tx([&](StoreTx& tx) -> Status {
    HANDOFFD_ASSIGN_OR_RETURN(auto none, tx.AssignSessions({}, at));
    EXPECT_TRUE(none.empty());
    return Status::Ok();
  });
}

// Runs `hook` once, right after the first transaction it is given commits: in a pass without a
// lease timeout, between the assignment step and the queue texts.
class AfterFirstTransaction : public StoreWrapper {
 public:
  AfterFirstTransaction(Store& target, std::function<void()> hook)
      : StoreWrapper(target), hook_(std::move(hook)) {}
  Status Transact(const std::function<Status(StoreTx&)>& fn) override {
    Status st = target().Transact(fn);
    if (hook_) std::exchange(hook_, nullptr)();
    return st;
  }

 private:
  std::function<void()> hook_;
};

TEST_P(StoreRoutingPass, ASessionOpenedAfterTheAssignmentStepIsLeftToTheNextPassNotToldItsPlace) {
  const Agent anna = Online("anna@x.com", 2);
  int64_t late = 0;
  AfterFirstTransaction store(*store_, [&] { late = OpenUntold("4915100000009"); });
  RoutingService routing(store, clock, metrics, Auto());
  auto first = routing.RunPass();
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_NE(late, 0);
  EXPECT_EQ(first->assigned, 0);
  EXPECT_EQ(first->notices, 0);  // it opened after the queue was read: not "number 1 in line"
  EXPECT_TRUE(store_->ListMessages(late, 0, 10)->empty());
  // The pass its opening nudges assigns it, and nobody tells its customer a place.
  auto second = routing.RunPass();
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->assigned, 1);
  EXPECT_EQ(second->notices, 0);
  auto messages = store_->ListMessages(late, 0, 10);
  ASSERT_EQ(messages->size(), 2u);
  EXPECT_EQ((*messages)[1].content, "You are now chatting with anna.");
  // A session the pass saw but could not assign is told its place by that same pass.
  const int64_t taken = OpenUntold("4915100000010", kT0 + seconds(1));
  const int64_t queued = OpenUntold("4915100000011", kT0 + seconds(2));
  auto third = routing.RunPass();
  ASSERT_TRUE(third.ok()) << third.status().ToString();
  EXPECT_EQ(third->assigned, 1);
  EXPECT_EQ(third->notices, 1);
  EXPECT_EQ(store_->GetSession(taken)->value().agent_id, anna.id);
  messages = store_->ListMessages(queued, 0, 10);
  ASSERT_EQ(messages->size(), 1u);
  EXPECT_EQ((*messages)[0].content.rfind("You are number 1 in line.", 0), 0u)
      << (*messages)[0].content;
}

TEST_P(StoreRoutingPass, QueueStatsCountEachTeamsWaitingSessionsAndTheOldest) {
  Team billing;
  billing.name = "Billing";
  billing.slug = "billing";
  ASSERT_TRUE(store_->CreateTeam(billing).ok());
  Open("4915100000001", kT0 - minutes(5));
  Open("4915100000002", kT0 - minutes(2));
  const int64_t gone = Open("4915100000003", kT0 - minutes(9)).id;
  ASSERT_TRUE(End(gone));
  auto stats = store_->QueueStatsByTeam();
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  ASSERT_EQ(stats->size(), 2u);
  EXPECT_EQ((*stats)[0].slug, "general");
  EXPECT_EQ((*stats)[0].waiting, 2);
  EXPECT_EQ((*stats)[0].oldest_created_at, kT0 - minutes(5));
  EXPECT_EQ((*stats)[1].slug, "billing");
  EXPECT_EQ((*stats)[1].waiting, 0);
  EXPECT_FALSE((*stats)[1].oldest_created_at.has_value());
}

HANDOFFD_STORE_CONTRACT_SUITE(StoreRoutingPass);

}  // namespace
}  // namespace handoffd::testing
