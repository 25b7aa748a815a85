// The Store contract (src/store/store.h), run unchanged on SQLite and PostgreSQL: contacts,
// sessions, their state machine, queries and expiry.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <latch>
#include <map>
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
using testing::Ids;
using testing::kT0;
using StoreSessions = testing::StoreFixture;

TEST_P(StoreSessions, UpsertContactKeepsIdAndLastNonEmptyName) {
  const int64_t a = Contact("15550001111", "Ana");
  const int64_t b = Contact("15550001111", "");
  EXPECT_EQ(a, b);
  EXPECT_EQ(RawText("SELECT name FROM contacts WHERE customer_key = :k", "15550001111"), "Ana");
  EXPECT_EQ(Contact("15550001111", "Ana Maria"), a);
  EXPECT_EQ(RawText("SELECT name FROM contacts WHERE customer_key = :k", "15550001111"),
            "Ana Maria");
  EXPECT_NE(Contact("15550002222", "Bo"), a);
}

TEST_P(StoreSessions, CreateSessionReturnsWaitingSession) {
  auto s = TryOpen("15550001111", kT0, kT0 + hours(22), "Ana");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_GT(s->id, 0);
  EXPECT_EQ(s->status, SessionStatus::kWaiting);
  EXPECT_EQ(s->phone_number, "15550001111");

  Session got = Get(s->id);
  EXPECT_EQ(got.channel, "whatsapp");
  EXPECT_EQ(got.contact_id, s->contact_id);
  EXPECT_EQ(got.phone_number, "15550001111");
  EXPECT_EQ(got.customer_name, "Ana");
  EXPECT_EQ(got.phone_number_id, "PNID1");
  EXPECT_EQ(got.status, SessionStatus::kWaiting);
  EXPECT_EQ(got.agent_id, std::nullopt);
  EXPECT_EQ(got.agent_name, std::nullopt);
  EXPECT_EQ(got.created_at, kT0);
  EXPECT_EQ(got.assigned_at, std::nullopt);
  EXPECT_EQ(got.ended_at, std::nullopt);
  EXPECT_EQ(got.end_reason, std::nullopt);
  EXPECT_EQ(got.expires_at, kT0 + hours(22));
  EXPECT_EQ(got.last_customer_message_at, kT0);

  auto missing = store_->GetSession(s->id + 1000);
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
}

TEST_P(StoreSessions, SecondOpenSessionConflictsUntilTheFirstEnds) {
  Session first = Open("15550001111");
  auto second = TryOpen("15550001111", kT0 + seconds(1), kT0 + hours(23));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), ErrorCode::kConflict);

  // Other customers and other channels are unaffected.
  EXPECT_TRUE(TryOpen("15550002222", kT0, kT0 + hours(22)).ok());
  EXPECT_TRUE(TryOpen("15550001111", kT0, kT0 + hours(22), "", "webchat").ok());

  // Also conflicts while active.
  Agent agent = NewAgent("a@example.com");
  ASSERT_TRUE(Assign(first.id, agent.id));
  EXPECT_EQ(TryOpen("15550001111", kT0, kT0 + hours(22)).status().code(), ErrorCode::kConflict);

  ASSERT_TRUE(End(first.id));
  auto third = TryOpen("15550001111", kT0 + minutes(10), kT0 + hours(23));
  ASSERT_TRUE(third.ok()) << third.status().ToString();
  EXPECT_NE(third->id, first.id);
}

TEST_P(StoreSessions, ConflictDoesNotPoisonTheTransaction) {
  // PostgreSQL aborts a transaction on a failed statement; a conflict must not be one.
  Session first = Open("15550001111");
  const int64_t contact = first.contact_id;
  std::optional<int64_t> message_id;
  Tx([&](StoreTx& tx) -> Status {
    NewSession ns;
    ns.contact_id = contact;
    ns.phone_number = "15550001111";
    ns.created_at = kT0;
    ns.expires_at = kT0 + hours(1);
    auto again = tx.CreateSession(ns);
    EXPECT_EQ(again.status().code(), ErrorCode::kConflict);
    auto dup1 = tx.InsertMessage(Msg(contact, first.id, "wamid.X"));
    auto dup2 = tx.InsertMessage(Msg(contact, first.id, "wamid.X"));
    if (!dup1.ok()) return dup1.status();
    if (!dup2.ok()) return dup2.status();
    EXPECT_TRUE(dup1->has_value());
    EXPECT_FALSE(dup2->has_value());
    if (dup1->has_value()) message_id = (*dup1)->id;
    return Status::Ok();
  });
  ASSERT_TRUE(message_id.has_value());
  auto m = store_->GetMessage(*message_id);
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(m->has_value());
}

TEST_P(StoreSessions, FindOpenSessionSeesWaitingAndActiveOnly) {
  auto find = [&](const std::string& key) {
    std::optional<Session> out;
    Tx([&](StoreTx& tx) -> Status {
      auto r = tx.FindOpenSession("whatsapp", key);
      if (!r.ok()) return r.status();
      out = *r;
      return Status::Ok();
    });
    return out;
  };
  EXPECT_EQ(find("15550001111"), std::nullopt);
  Session s = Open("15550001111", kT0, kT0 + hours(22), "Ana");
  auto waiting = find("15550001111");
  ASSERT_TRUE(waiting.has_value());
  EXPECT_EQ(waiting->id, s.id);
  EXPECT_EQ(waiting->status, SessionStatus::kWaiting);

  Agent agent = NewAgent("a@example.com", Role::kAgent, "Alice");
  ASSERT_TRUE(Assign(s.id, agent.id));
  auto active = find("15550001111");
  ASSERT_TRUE(active.has_value());
  EXPECT_EQ(active->status, SessionStatus::kActive);
  EXPECT_EQ(active->agent_name, "Alice");

  ASSERT_TRUE(End(s.id));
  EXPECT_EQ(find("15550001111"), std::nullopt);
}

TEST_P(StoreSessions, LockSessionReturnsTheSession) {
  Session s = Open("15550001111");
  Tx([&](StoreTx& tx) -> Status {
    auto locked = tx.LockSession(s.id);
    EXPECT_TRUE(locked.ok());
    EXPECT_TRUE(locked.ok() && locked->has_value() && (*locked)->id == s.id);
    auto missing = tx.LockSession(s.id + 1000);
    EXPECT_TRUE(missing.ok() && !missing->has_value());
    return Status::Ok();
  });
}

TEST_P(StoreSessions, ExtendSessionNeverShortens) {
  Session s = Open("15550001111", kT0, kT0 + hours(22));
  Tx([&](StoreTx& tx) { return tx.ExtendSession(s.id, kT0 + hours(1), kT0 + hours(23)); });
  Session got = Get(s.id);
  EXPECT_EQ(got.last_customer_message_at, kT0 + hours(1));
  EXPECT_EQ(got.expires_at, kT0 + hours(23));

  // A late, out-of-order message: nothing moves back.
  Tx([&](StoreTx& tx) {
    return tx.ExtendSession(s.id, kT0 + minutes(30), kT0 + hours(22) + minutes(30));
  });
  got = Get(s.id);
  EXPECT_EQ(got.last_customer_message_at, kT0 + hours(1));
  EXPECT_EQ(got.expires_at, kT0 + hours(23));

  // From no recorded activity at all.
  Session agent_started = Open("15550002222");
  Tx([&](StoreTx& tx) {
    return tx.ExtendSession(agent_started.id, kT0 + hours(2), kT0 + hours(24));
  });
  got = Get(agent_started.id);
  EXPECT_EQ(got.last_customer_message_at, kT0 + hours(2));
  EXPECT_EQ(got.expires_at, kT0 + hours(24));
}

TEST_P(StoreSessions, AssignAndEndFollowTheStateMachine) {
  Session s = Open("15550001111");
  Agent alice = NewAgent("alice@example.com", Role::kAgent, "Alice");
  Agent bob = NewAgent("bob@example.com", Role::kAgent, "Bob");

  ASSERT_TRUE(Assign(s.id, alice.id, kT0 + minutes(1)));
  Session got = Get(s.id);
  EXPECT_EQ(got.status, SessionStatus::kActive);
  EXPECT_EQ(got.agent_id, alice.id);
  EXPECT_EQ(got.agent_name, "Alice");
  EXPECT_EQ(got.assigned_at, kT0 + minutes(1));

  // Only from waiting, unless reassigning.
  EXPECT_FALSE(Assign(s.id, bob.id, kT0 + minutes(2)));
  EXPECT_EQ(Get(s.id).agent_id, alice.id);
  EXPECT_TRUE(Assign(s.id, bob.id, kT0 + minutes(3), /*reassign=*/true));
  got = Get(s.id);
  EXPECT_EQ(got.agent_id, bob.id);
  EXPECT_EQ(got.agent_name, "Bob");
  EXPECT_EQ(got.assigned_at, kT0 + minutes(3));

  ASSERT_TRUE(End(s.id, EndReason::kSupervisor, kT0 + minutes(9)));
  got = Get(s.id);
  EXPECT_EQ(got.status, SessionStatus::kEnded);
  EXPECT_EQ(got.end_reason, EndReason::kSupervisor);
  EXPECT_EQ(got.ended_at, kT0 + minutes(9));
  EXPECT_EQ(got.agent_id, bob.id);

  EXPECT_FALSE(End(s.id, EndReason::kAgent));
  EXPECT_EQ(Get(s.id).end_reason, EndReason::kSupervisor);
  EXPECT_FALSE(Assign(s.id, alice.id, kT0 + minutes(10), /*reassign=*/true));
  EXPECT_EQ(Get(s.id).status, SessionStatus::kEnded);

  // waiting -> ended directly.
  Session other = Open("15550002222");
  EXPECT_TRUE(End(other.id, EndReason::kCustomer));
  EXPECT_EQ(Get(other.id).end_reason, EndReason::kCustomer);
  EXPECT_FALSE(Assign(other.id, alice.id));
}

TEST_P(StoreSessions, ConcurrentAssignHasExactlyOneWinner) {
  constexpr int kThreads = 8;
  constexpr int kRounds = 20;
  std::vector<Agent> agents;
  for (int i = 0; i < kThreads; ++i) {
    agents.push_back(NewAgent("agent" + std::to_string(i) + "@example.com", Role::kAgent,
                              "Agent " + std::to_string(i)));
  }
  for (int round = 0; round < kRounds; ++round) {
    Session s = Open("1555000" + std::to_string(1000 + round));
    std::vector<int> won(kThreads, 0);
    std::vector<Status> errors(kThreads);
    std::latch start(kThreads);
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        errors[i] = store_->Transact([&](StoreTx& tx) -> Status {
          auto r = tx.AssignSession(s.id, agents[i].id, kT0 + seconds(i), false);
          if (!r.ok()) return r.status();
          won[i] = *r ? 1 : 0;
          return Status::Ok();
        });
      });
    }
    for (auto& t : threads) t.join();
    for (const Status& st : errors) ASSERT_TRUE(st.ok()) << st.ToString();
    ASSERT_EQ(std::count(won.begin(), won.end(), 1), 1) << "round " << round;
    const int winner = static_cast<int>(std::find(won.begin(), won.end(), 1) - won.begin());
    Session got = Get(s.id);
    EXPECT_EQ(got.status, SessionStatus::kActive);
    EXPECT_EQ(got.agent_id, agents[winner].id) << "round " << round;
    EXPECT_EQ(got.assigned_at, kT0 + seconds(winner));
  }
}

TEST_P(StoreSessions, ConcurrentOpensForOneCustomerCreateOneSession) {
  constexpr int kThreads = 8;
  const int64_t contact = Contact("15550001111");
  std::atomic<int> created{0};
  std::atomic<int> conflicts{0};
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      Status st = store_->Transact([&](StoreTx& tx) -> Status {
        NewSession ns;
        ns.contact_id = contact;
        ns.phone_number = "15550001111";
        ns.created_at = kT0;
        ns.expires_at = kT0 + hours(22);
        auto r = tx.CreateSession(ns);
        return r.ok() ? Status::Ok() : r.status();
      });
      if (st.ok()) ++created;
      if (st.code() == ErrorCode::kConflict) ++conflicts;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(conflicts.load(), kThreads - 1);
}

TEST_P(StoreSessions, QuerySessionsFiltersCountsAndPages) {
  Agent alice = NewAgent("alice@example.com", Role::kAgent, "Alice");
  Agent bob = NewAgent("bob@example.com", Role::kAgent, "Bob");
  // Newest last; one per customer.
  Session s1 = Open("15550000001", kT0, kT0 + hours(22), "Ana Souza");
  Session s2 = Open("15550000002", kT0 + hours(1), kT0 + hours(23), "JOÃO 100% real");
  Session s3 = Open("15550000003", kT0 + hours(24), kT0 + hours(46), "ana_b");
  Session s4 = Open("15550000004", kT0 + hours(48), kT0 + hours(70), "Zed");
  ASSERT_TRUE(Assign(s1.id, alice.id));
  ASSERT_TRUE(Assign(s2.id, bob.id));
  ASSERT_TRUE(Assign(s3.id, alice.id));
  ASSERT_TRUE(End(s3.id));

  auto query = [&](SessionQuery q) {
    auto r = store_->QuerySessions(q);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : SessionPage{};
  };

  SessionPage all = query({});
  EXPECT_EQ(all.total, 4);
  EXPECT_EQ(Ids(all.sessions), (std::vector<int64_t>{s4.id, s3.id, s2.id, s1.id}));

  SessionQuery by_agent;
  by_agent.agent_id = alice.id;
  SessionPage p = query(by_agent);
  EXPECT_EQ(p.total, 2);
  EXPECT_EQ(Ids(p.sessions), (std::vector<int64_t>{s3.id, s1.id}));
  EXPECT_EQ(p.sessions[0].agent_name, "Alice");

  SessionQuery by_status;
  by_status.status = SessionStatus::kActive;
  EXPECT_EQ(Ids(query(by_status).sessions), (std::vector<int64_t>{s2.id, s1.id}));
  by_status.status = SessionStatus::kWaiting;
  EXPECT_EQ(Ids(query(by_status).sessions), (std::vector<int64_t>{s4.id}));
  by_status.agent_id = alice.id;
  by_status.status = SessionStatus::kEnded;
  EXPECT_EQ(Ids(query(by_status).sessions), (std::vector<int64_t>{s3.id}));

  SessionQuery search;
  search.search = "ANA";  // case-insensitive on the name
  EXPECT_EQ(Ids(query(search).sessions), (std::vector<int64_t>{s3.id, s1.id}));
  search.search = "0000002";  // substring of the phone number
  EXPECT_EQ(Ids(query(search).sessions), (std::vector<int64_t>{s2.id}));
  search.search = "100%";  // '%' is literal
  EXPECT_EQ(Ids(query(search).sessions), (std::vector<int64_t>{s2.id}));
  search.search = "%";
  EXPECT_EQ(Ids(query(search).sessions), (std::vector<int64_t>{s2.id}));
  search.search = "a_b";  // '_' is literal
  EXPECT_EQ(Ids(query(search).sessions), (std::vector<int64_t>{s3.id}));
  search.search = "a\\b";
  EXPECT_TRUE(query(search).sessions.empty());
  search.search = "nobody";
  SessionPage none = query(search);
  EXPECT_EQ(none.total, 0);
  EXPECT_TRUE(none.sessions.empty());

  SessionQuery range;  // [from, before)
  range.created_from = kT0 + hours(1);
  range.created_before = kT0 + hours(48);
  EXPECT_EQ(Ids(query(range).sessions), (std::vector<int64_t>{s3.id, s2.id}));
  range.created_from = kT0 + hours(1) + milliseconds(1);
  EXPECT_EQ(Ids(query(range).sessions), (std::vector<int64_t>{s3.id}));

  SessionQuery page;
  page.limit = 2;
  page.offset = 1;
  SessionPage p2 = query(page);
  EXPECT_EQ(p2.total, 4);
  EXPECT_EQ(Ids(p2.sessions), (std::vector<int64_t>{s3.id, s2.id}));
  page.offset = 4;
  SessionPage past = query(page);
  EXPECT_EQ(past.total, 4);
  EXPECT_TRUE(past.sessions.empty());
}

TEST_P(StoreSessions, QuerySessionsTiesOnCreatedAtGoNewestIdFirst) {
  Session a = Open("15550000001", kT0);
  Session b = Open("15550000002", kT0);
  EXPECT_EQ(Ids(store_->QuerySessions({})->sessions), (std::vector<int64_t>{b.id, a.id}));
}

TEST_P(StoreSessions, ListWaitingIsOldestFirstAndWaitingOnly) {
  Session late = Open("15550000001", kT0 + minutes(2));
  Session early = Open("15550000002", kT0);
  Session middle = Open("15550000003", kT0 + minutes(1));
  Session taken = Open("15550000004", kT0 - minutes(1));
  Agent alice = NewAgent("alice@example.com");
  ASSERT_TRUE(Assign(taken.id, alice.id));
  Session gone = Open("15550000005", kT0 - minutes(2));
  ASSERT_TRUE(End(gone.id));

  auto waiting = store_->ListWaiting();
  ASSERT_TRUE(waiting.ok());
  EXPECT_EQ(Ids(*waiting), (std::vector<int64_t>{early.id, middle.id, late.id}));
}

TEST_P(StoreSessions, ListActiveForAgentIsOldestAssignmentFirst) {
  Agent alice = NewAgent("alice@example.com");
  Agent bob = NewAgent("bob@example.com");
  Session s1 = Open("15550000001");
  Session s2 = Open("15550000002");
  Session s3 = Open("15550000003");
  Session s4 = Open("15550000004");
  ASSERT_TRUE(Assign(s1.id, alice.id, kT0 + minutes(5)));
  ASSERT_TRUE(Assign(s2.id, alice.id, kT0 + minutes(1)));
  ASSERT_TRUE(Assign(s3.id, bob.id, kT0 + minutes(2)));
  ASSERT_TRUE(Assign(s4.id, alice.id, kT0 + minutes(3)));
  ASSERT_TRUE(End(s4.id));

  auto mine = store_->ListActiveForAgent(alice.id);
  ASSERT_TRUE(mine.ok());
  EXPECT_EQ(Ids(*mine), (std::vector<int64_t>{s2.id, s1.id}));
  auto none = store_->ListActiveForAgent(alice.id + bob.id + 100);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST_P(StoreSessions, CountSessionsByStatusCountsEveryStatus) {
  auto empty = store_->CountSessionsByStatus();
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, (std::map<std::string, int64_t>{{"active", 0}, {"ended", 0}, {"waiting", 0}}));
  Agent alice = NewAgent("alice@example.com");
  Session s1 = Open("15550000001");
  Open("15550000002");
  Session s3 = Open("15550000003");
  ASSERT_TRUE(Assign(s1.id, alice.id));
  ASSERT_TRUE(End(s3.id));
  Open("15550000004");
  auto counts = store_->CountSessionsByStatus();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(*counts, (std::map<std::string, int64_t>{{"active", 1}, {"ended", 1}, {"waiting", 2}}));
}

TEST_P(StoreSessions, DueSessionsIncludeTheExactDeadline) {
  const TimePoint deadline = kT0 + hours(22);
  Session a = Open("15550000001", kT0, deadline);
  Session b = Open("15550000002", kT0, deadline + milliseconds(1));
  Session c = Open("15550000003", kT0, deadline - minutes(1));
  Session ended = Open("15550000004", kT0, deadline - hours(1));
  ASSERT_TRUE(End(ended.id));

  auto next = store_->NextExpiry();
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(*next, deadline - minutes(1));

  auto before = store_->ListDueSessions(deadline - milliseconds(1), 100);
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(Ids(*before), (std::vector<int64_t>{c.id}));
  auto at = store_->ListDueSessions(deadline, 100);
  ASSERT_TRUE(at.ok());
  EXPECT_EQ(Ids(*at), (std::vector<int64_t>{c.id, a.id}));
  auto limited = store_->ListDueSessions(deadline + hours(1), 2);
  ASSERT_TRUE(limited.ok());
  EXPECT_EQ(Ids(*limited), (std::vector<int64_t>{c.id, a.id}));
  EXPECT_EQ(Ids(*store_->ListDueSessions(deadline + hours(1), 100)),
            (std::vector<int64_t>{c.id, a.id, b.id}));

  ASSERT_TRUE(End(c.id, EndReason::kExpired));
  ASSERT_TRUE(End(a.id, EndReason::kExpired));
  ASSERT_TRUE(End(b.id, EndReason::kExpired));
  auto none = store_->NextExpiry();
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, std::nullopt);
}

// Bug: SQLite's LOWER() folds ASCII only, so "élodie" did not find "Élodie Ñúñez".
TEST_P(StoreSessions, HistorySearchIsCaseInsensitiveBeyondAscii) {
  Open("33600000001", kT0, kT0 + hours(22),
       "\xC3\x89lodie \xC3\x91\xC3\xBA\xC3\xB1"
       "ez");
  Open("33600000002", kT0, kT0 + hours(22), "Bob");
  for (const char* search : {"\xC3\xA9lodie",
                             "\xC3\xB1\xC3\xBA\xC3\xB1"
                             "EZ",
                             "\xC3\x89"
                             "LODIE"}) {
    SessionQuery q;
    q.search = search;
    auto page = store_->QuerySessions(q);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    ASSERT_EQ(page->total, 1) << search;
    EXPECT_EQ(page->sessions[0].phone_number, "33600000001");
  }
}

HANDOFFD_STORE_CONTRACT_SUITE(StoreSessions);

}  // namespace
}  // namespace handoffd
