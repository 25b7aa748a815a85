// The Store contract (src/store/store.h), run unchanged on SQLite and PostgreSQL.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <latch>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "store/migrations.h"
#include "store/soci_includes.h"
#include "store/store.h"
#include "support/test_db.h"

namespace handoffd {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using testing::TestDatabase;

const TimePoint kT0 = FromUnixSeconds(1767261600);  // 2026-01-01T10:00:00Z

class StoreContract : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    db_ = std::make_unique<TestDatabase>(GetParam());
    store_ = db_->OpenMigrated(8);
  }
  void TearDown() override {
    store_.reset();
    db_.reset();
  }

  bool IsPostgres() const { return GetParam() == "postgresql"; }

  /// Runs fn in a transaction that must commit.
  void Tx(const std::function<Status(StoreTx&)>& fn) {
    Status st = store_->Transact(fn);
    ASSERT_TRUE(st.ok()) << st.ToString();
  }

  int64_t Contact(const std::string& key, const std::string& name = "") {
    int64_t id = 0;
    Tx([&](StoreTx& tx) -> Status {
      auto r = tx.UpsertContact("whatsapp", CustomerRef{key, key, "", name}, kT0);
      if (!r.ok()) return r.status();
      id = *r;
      return Status::Ok();
    });
    return id;
  }

  Result<Session> TryOpen(const std::string& phone, TimePoint created, TimePoint expires,
                          const std::string& name = "", const std::string& channel = "whatsapp") {
    const int64_t contact = Contact(phone, name);
    Result<Session> out = Status::Internal("not run");
    Status st = store_->Transact([&](StoreTx& tx) -> Status {
      NewSession ns;
      ns.channel = channel;
      ns.contact_id = contact;
      ns.phone_number = phone;
      ns.customer_name = name;
      ns.phone_number_id = "PNID1";
      ns.created_at = created;
      ns.expires_at = expires;
      ns.last_customer_message_at = created;
      out = tx.CreateSession(ns);
      return out.ok() ? Status::Ok() : out.status();
    });
    if (!st.ok() && out.ok()) return st;
    return out;
  }

  Session Open(const std::string& phone, TimePoint created = kT0,
               TimePoint expires = kT0 + hours(22), const std::string& name = "") {
    auto s = TryOpen(phone, created, expires, name);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? *s : Session{};
  }

  Agent NewAgent(const std::string& email, Role role = Role::kAgent,
                 const std::string& name = "Agent") {
    Agent a;
    a.email = email;
    a.name = name;
    a.role = role;
    a.max_chats = 3;
    a.password_hash = "$argon2id$fake";
    auto r = store_->CreateAgent(a);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : Agent{};
  }

  bool Assign(int64_t session, int64_t agent, TimePoint now = kT0 + minutes(1),
              bool reassign = false) {
    bool won = false;
    Tx([&](StoreTx& tx) -> Status {
      auto r = tx.AssignSession(session, agent, now, reassign);
      if (!r.ok()) return r.status();
      won = *r;
      return Status::Ok();
    });
    return won;
  }

  bool End(int64_t session, EndReason reason = EndReason::kAgent,
           TimePoint now = kT0 + minutes(5)) {
    bool ended = false;
    Tx([&](StoreTx& tx) -> Status {
      auto r = tx.EndSession(session, reason, now);
      if (!r.ok()) return r.status();
      ended = *r;
      return Status::Ok();
    });
    return ended;
  }

  Message Msg(int64_t contact, std::optional<int64_t> session, std::optional<std::string> wamid,
              TimePoint at = kT0) {
    Message m;
    m.contact_id = contact;
    m.session_id = session;
    m.sender_type = SenderType::kCustomer;
    m.sender_id = "15550001111";
    m.direction = Direction::kIn;
    m.type = "text";
    m.content = "hello";
    m.metadata = R"({"k":"v"})";
    m.channel_message_id = std::move(wamid);
    m.delivery_status = DeliveryStatus::kReceived;
    m.created_at = at;
    return m;
  }

  std::optional<Message> Insert(const Message& m) {
    std::optional<Message> out;
    Tx([&](StoreTx& tx) -> Status {
      auto r = tx.InsertMessage(m);
      if (!r.ok()) return r.status();
      out = *r;
      return Status::Ok();
    });
    return out;
  }

  /// An outbound agent message with a queued outbox item for it.
  std::pair<Message, int64_t> QueueOutbound(int64_t contact, int64_t session,
                                            TimePoint next_attempt = kT0) {
    Message m = Msg(contact, session, std::nullopt);
    m.sender_type = SenderType::kAgent;
    m.sender_id = "1";
    m.direction = Direction::kOut;
    m.delivery_status = DeliveryStatus::kQueued;
    std::optional<Message> stored;
    int64_t outbox_id = 0;
    Tx([&](StoreTx& tx) -> Status {
      auto r = tx.InsertMessage(m);
      if (!r.ok()) return r.status();
      stored = *r;
      OutboxItem item;
      item.message_id = (*r)->id;
      item.phone_number_id = "PNID1";
      item.recipient = "15550001111";
      item.payload = R"({"kind":"text","text":"hi"})";
      item.next_attempt_at = next_attempt;
      item.created_at = kT0;
      auto q = tx.Enqueue(item);
      if (!q.ok()) return q.status();
      outbox_id = *q;
      return Status::Ok();
    });
    return {stored.value_or(Message{}), outbox_id};
  }

  std::optional<Message> ApplyStatus(const std::string& wamid, DeliveryStatus status,
                                     std::optional<MessageError> error = std::nullopt) {
    std::optional<Message> out;
    Tx([&](StoreTx& tx) -> Status {
      auto r = tx.ApplyDeliveryStatus(wamid, status, error);
      if (!r.ok()) return r.status();
      out = *r;
      return Status::Ok();
    });
    return out;
  }

  Session Get(int64_t id) {
    auto s = store_->GetSession(id);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    EXPECT_TRUE(s.ok() && s->has_value());
    return s.ok() && s->has_value() ? **s : Session{};
  }

  /// Reads one text column straight from the database (for state the Store does not expose).
  std::string RawText(const std::string& sql, const std::string& key) {
    soci::session raw;
    if (IsPostgres()) {
      raw.open(soci::postgresql, SociPostgresConnectString(db_->url()));
    } else {
      raw.open(soci::sqlite3, "db=" + db_->url().substr(7));
    }
    std::string value;
    std::string k = key;
    raw << sql, soci::use(k), soci::into(value);
    return value;
  }

  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<Store> store_;
};

std::vector<int64_t> Ids(const std::vector<Session>& sessions) {
  std::vector<int64_t> out;
  for (const Session& s : sessions) out.push_back(s.id);
  return out;
}

TEST_P(StoreContract, DialectNamesTheBackend) { EXPECT_EQ(store_->Dialect(), GetParam()); }

TEST_P(StoreContract, PingAnswers) { EXPECT_TRUE(store_->Ping().ok()); }

TEST_P(StoreContract, MigrateAppliesEachVersionOnce) {
  TestDatabase fresh(GetParam());
  StoreOptions options;
  options.url = fresh.url();
  options.pool_size = 2;
  auto store = OpenStore(options);
  ASSERT_TRUE(store.ok()) << store.status().ToString();

  auto first = (*store)->Migrate();
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_FALSE(first->empty());
  EXPECT_EQ(first->front(), "0001_initial");
  EXPECT_TRUE(std::is_sorted(first->begin(), first->end()));

  auto second = (*store)->Migrate();
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_TRUE(second->empty());

  // Another instance on the same database finds nothing to do either.
  auto other = OpenStore(options);
  ASSERT_TRUE(other.ok());
  auto third = (*other)->Migrate();
  ASSERT_TRUE(third.ok()) << third.status().ToString();
  EXPECT_TRUE(third->empty());
}

TEST_P(StoreContract, ConcurrentMigratorsApplyEachVersionOnce) {
  TestDatabase fresh(GetParam());
  StoreOptions options;
  options.url = fresh.url();
  options.pool_size = 1;
  constexpr int kInstances = 4;
  std::vector<std::unique_ptr<Store>> stores;
  for (int i = 0; i < kInstances; ++i) {
    auto s = OpenStore(options);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    stores.push_back(std::move(*s));
  }
  std::vector<Result<std::vector<std::string>>> results(kInstances, Status::Internal("not run"));
  std::latch start(kInstances);
  std::vector<std::thread> threads;
  for (int i = 0; i < kInstances; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      results[i] = stores[i]->Migrate();
    });
  }
  for (auto& t : threads) t.join();
  size_t applied = 0;
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    applied += r->size();
  }
  // Every version of this dialect, each applied by exactly one of them.
  size_t versions = 0;
  for (const auto& m : EmbeddedMigrations()) versions += m.dialect == GetParam() ? 1 : 0;
  EXPECT_EQ(applied, versions);
}

TEST_P(StoreContract, UpsertContactKeepsIdAndLastNonEmptyName) {
  const int64_t a = Contact("15550001111", "Ana");
  const int64_t b = Contact("15550001111", "");
  EXPECT_EQ(a, b);
  EXPECT_EQ(RawText("SELECT name FROM contacts WHERE customer_key = :k", "15550001111"), "Ana");
  EXPECT_EQ(Contact("15550001111", "Ana Maria"), a);
  EXPECT_EQ(RawText("SELECT name FROM contacts WHERE customer_key = :k", "15550001111"),
            "Ana Maria");
  EXPECT_NE(Contact("15550002222", "Bo"), a);
}

TEST_P(StoreContract, CreateSessionReturnsWaitingSession) {
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

TEST_P(StoreContract, SecondOpenSessionConflictsUntilTheFirstEnds) {
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

TEST_P(StoreContract, ConflictDoesNotPoisonTheTransaction) {
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

TEST_P(StoreContract, FindOpenSessionSeesWaitingAndActiveOnly) {
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

TEST_P(StoreContract, LockSessionReturnsTheSession) {
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

TEST_P(StoreContract, InsertMessageStoresEveryFieldAndDedupesByChannelId) {
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

TEST_P(StoreContract, ListMessagesPagesOldestFirst) {
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

TEST_P(StoreContract, AttachRecentMessagesTakesTheContactsRecentBotHistory) {
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

TEST_P(StoreContract, ExtendSessionNeverShortens) {
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

TEST_P(StoreContract, AssignAndEndFollowTheStateMachine) {
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

TEST_P(StoreContract, ConcurrentAssignHasExactlyOneWinner) {
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

TEST_P(StoreContract, ConcurrentOpensForOneCustomerCreateOneSession) {
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

TEST_P(StoreContract, DeliveryStatusOnlyMovesForward) {
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

TEST_P(StoreContract, DeliveryStatusStepsInOrder) {
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

TEST_P(StoreContract, ClaimWebhookKeyIsTrueOnlyTheFirstTime) {
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

TEST_P(StoreContract, QuerySessionsFiltersCountsAndPages) {
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

TEST_P(StoreContract, QuerySessionsTiesOnCreatedAtGoNewestIdFirst) {
  Session a = Open("15550000001", kT0);
  Session b = Open("15550000002", kT0);
  EXPECT_EQ(Ids(store_->QuerySessions({})->sessions), (std::vector<int64_t>{b.id, a.id}));
}

TEST_P(StoreContract, ListWaitingIsOldestFirstAndWaitingOnly) {
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

TEST_P(StoreContract, ListActiveForAgentIsOldestAssignmentFirst) {
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

TEST_P(StoreContract, CountSessionsByStatusCountsEveryStatus) {
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

TEST_P(StoreContract, AgentsAreUniqueByEmailCaseInsensitively) {
  Agent alice = NewAgent("Alice@Example.com", Role::kSupervisor, "Alice");
  EXPECT_GT(alice.id, 0);
  EXPECT_EQ(alice.email, "alice@example.com");
  EXPECT_EQ(alice.active_chats, 0);

  Agent dup;
  dup.email = "ALICE@example.COM";
  dup.name = "Impostor";
  auto conflict = store_->CreateAgent(dup);
  ASSERT_FALSE(conflict.ok());
  EXPECT_EQ(conflict.status().code(), ErrorCode::kConflict);

  auto got = store_->GetAgent(alice.id);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->email, "alice@example.com");
  EXPECT_EQ((*got)->name, "Alice");
  EXPECT_EQ((*got)->role, Role::kSupervisor);
  EXPECT_EQ((*got)->status, AgentStatus::kOffline);
  EXPECT_EQ((*got)->max_chats, 3);
  EXPECT_EQ((*got)->password_hash, "$argon2id$fake");

  auto by_email = store_->GetAgentByEmail("ALICE@EXAMPLE.COM");
  ASSERT_TRUE(by_email.ok() && by_email->has_value());
  EXPECT_EQ((*by_email)->id, alice.id);
  auto missing = store_->GetAgentByEmail("nobody@example.com");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
  auto missing_id = store_->GetAgent(alice.id + 100);
  ASSERT_TRUE(missing_id.ok());
  EXPECT_FALSE(missing_id->has_value());
}

TEST_P(StoreContract, AgentsCountTheirActiveChats) {
  Agent alice = NewAgent("alice@example.com", Role::kAgent, "Alice");
  Agent bob = NewAgent("bob@example.com", Role::kAdmin, "Bob");
  Session s1 = Open("15550000001");
  Session s2 = Open("15550000002");
  Session s3 = Open("15550000003");
  ASSERT_TRUE(Assign(s1.id, alice.id));
  ASSERT_TRUE(Assign(s2.id, alice.id));
  ASSERT_TRUE(Assign(s3.id, alice.id));
  ASSERT_TRUE(End(s3.id));  // ended chats do not count

  auto list = store_->ListAgents();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].id, alice.id);
  EXPECT_EQ((*list)[0].active_chats, 2);
  EXPECT_EQ((*list)[1].id, bob.id);
  EXPECT_EQ((*list)[1].role, Role::kAdmin);
  EXPECT_EQ((*list)[1].active_chats, 0);
  EXPECT_EQ((*store_->GetAgent(alice.id))->active_chats, 2);

  Tx([&](StoreTx& tx) -> Status {
    auto a = tx.GetAgent(alice.id);
    EXPECT_TRUE(a.ok() && a->has_value());
    if (a.ok() && a->has_value()) {
      EXPECT_EQ((*a)->active_chats, 2);
    }
    auto none = tx.GetAgent(alice.id + 100);
    EXPECT_TRUE(none.ok() && !none->has_value());
    return Status::Ok();
  });
}

TEST_P(StoreContract, TokensFindTheirAgentUntilExpiryOrDeletion) {
  Agent alice = NewAgent("alice@example.com", Role::kAgent, "Alice");
  ASSERT_TRUE(store_->CreateToken("hash-1", alice.id, kT0, kT0 + hours(12)).ok());
  ASSERT_TRUE(store_->CreateToken("hash-2", alice.id, kT0, kT0 + hours(12)).ok());

  auto found = store_->FindAgentByToken("hash-1", kT0 + hours(1));
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->id, alice.id);
  EXPECT_EQ((*found)->name, "Alice");

  // Expired at expires_at exactly.
  auto expired = store_->FindAgentByToken("hash-1", kT0 + hours(12));
  ASSERT_TRUE(expired.ok());
  EXPECT_FALSE(expired->has_value());
  auto unknown = store_->FindAgentByToken("hash-x", kT0);
  ASSERT_TRUE(unknown.ok());
  EXPECT_FALSE(unknown->has_value());

  ASSERT_TRUE(store_->DeleteToken("hash-1").ok());
  EXPECT_FALSE(store_->FindAgentByToken("hash-1", kT0)->has_value());
  EXPECT_TRUE(store_->FindAgentByToken("hash-2", kT0)->has_value());
  EXPECT_TRUE(store_->DeleteToken("hash-1").ok());  // idempotent
}

TEST_P(StoreContract, OutboxClaimLeasesItemsOldestFirst) {
  Session s = Open("15550001111");
  auto [m1, o1] = QueueOutbound(s.contact_id, s.id, kT0 + seconds(2));
  auto [m2, o2] = QueueOutbound(s.contact_id, s.id, kT0 + seconds(1));
  auto [m3, o3] = QueueOutbound(s.contact_id, s.id, kT0 + minutes(10));  // not due yet

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

TEST_P(StoreContract, ConcurrentClaimsNeverShareAnItem) {
  Session s = Open("15550001111");
  constexpr int kItems = 40;
  for (int i = 0; i < kItems; ++i) QueueOutbound(s.contact_id, s.id, kT0 + milliseconds(i));
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

TEST_P(StoreContract, CompleteOutboxMarksTheMessageSentAndRemovesTheItem) {
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

TEST_P(StoreContract, FailOutboxMarksTheMessageFailed) {
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

TEST_P(StoreContract, RetryOutboxCountsTheAttemptAndReschedules) {
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

TEST_P(StoreContract, DueSessionsIncludeTheExactDeadline) {
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

TEST_P(StoreContract, LeadershipIsExclusiveOnPostgresAndGrantedOnSqlite) {
  auto first = store_->TryAcquireLeadership("expiry");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_NE(*first, nullptr);
  EXPECT_TRUE((*first)->StillHeld());

  // Another instance on the same database.
  StoreOptions options;
  options.url = db_->url();
  options.pool_size = 1;
  auto other = OpenStore(options);
  ASSERT_TRUE(other.ok());
  auto second = (*other)->TryAcquireLeadership("expiry");
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  auto other_job = (*other)->TryAcquireLeadership("outbox");
  ASSERT_TRUE(other_job.ok());
  EXPECT_NE(*other_job, nullptr);
  if (IsPostgres()) {
    EXPECT_EQ(*second, nullptr);
    first->reset();  // released with its connection
    auto third = (*other)->TryAcquireLeadership("expiry");
    ASSERT_TRUE(third.ok()) << third.status().ToString();
    ASSERT_NE(*third, nullptr);
    EXPECT_TRUE((*third)->StillHeld());
  } else {
    ASSERT_NE(*second, nullptr);
    EXPECT_TRUE((*second)->StillHeld());
  }
}

TEST_P(StoreContract, PruneRemovesOldWebhookKeysAndExpiredTokens) {
  Tx([&](StoreTx& tx) -> Status {
    EXPECT_TRUE(*tx.ClaimWebhookKey("old", kT0 - hours(72)));
    EXPECT_TRUE(*tx.ClaimWebhookKey("new", kT0));
    return Status::Ok();
  });
  Agent alice = NewAgent("alice@example.com");
  ASSERT_TRUE(store_->CreateToken("expired", alice.id, kT0 - hours(13), kT0 - hours(1)).ok());
  ASSERT_TRUE(store_->CreateToken("at-now", alice.id, kT0 - hours(12), kT0).ok());
  ASSERT_TRUE(store_->CreateToken("live", alice.id, kT0, kT0 + hours(12)).ok());

  auto removed = store_->Prune(kT0 - hours(48), kT0);
  ASSERT_TRUE(removed.ok()) << removed.status().ToString();
  EXPECT_EQ(*removed, 3);
  Tx([&](StoreTx& tx) -> Status {
    EXPECT_TRUE(*tx.ClaimWebhookKey("old", kT0));   // forgotten
    EXPECT_FALSE(*tx.ClaimWebhookKey("new", kT0));  // kept
    return Status::Ok();
  });
  EXPECT_TRUE(store_->FindAgentByToken("live", kT0)->has_value());
  EXPECT_EQ(*store_->Prune(kT0 - hours(48), kT0), 0);
}

TEST_P(StoreContract, TransactRollsBackWhenTheCallbackFails) {
  const int64_t contact = Contact("15550001111");
  Status st = store_->Transact([&](StoreTx& tx) -> Status {
    NewSession ns;
    ns.contact_id = contact;
    ns.phone_number = "15550001111";
    ns.created_at = kT0;
    ns.expires_at = kT0 + hours(22);
    auto s = tx.CreateSession(ns);
    EXPECT_TRUE(s.ok());
    auto m = tx.InsertMessage(Msg(contact, std::nullopt, "wamid.ROLLED"));
    EXPECT_TRUE(m.ok() && m->has_value());
    EXPECT_TRUE(*tx.ClaimWebhookKey("rolled", kT0));
    return Status::NotFound("changed my mind");
  });
  EXPECT_EQ(st.code(), ErrorCode::kNotFound);
  EXPECT_EQ(st.message(), "changed my mind");

  EXPECT_TRUE(store_->ListWaiting()->empty());
  EXPECT_TRUE(Insert(Msg(contact, std::nullopt, "wamid.ROLLED")).has_value());  // not a duplicate
  Tx([&](StoreTx& tx) -> Status {
    EXPECT_TRUE(*tx.ClaimWebhookKey("rolled", kT0));
    return Status::Ok();
  });
}

TEST_P(StoreContract, DatabaseErrorInsideTransactionRollsBackEvenIfIgnored) {
  const int64_t contact = Contact("15550001111");
  Status st = store_->Transact([&](StoreTx& tx) -> Status {
    EXPECT_TRUE(*tx.ClaimWebhookKey("before-error", kT0));
    // A foreign-key violation: no such contact.
    auto bad = tx.InsertMessage(Msg(contact + 1000, std::nullopt, "wamid.BAD"));
    EXPECT_EQ(bad.status().code(), ErrorCode::kUnavailable);
    return Status::Ok();  // the callback ignores the error
  });
  EXPECT_EQ(st.code(), ErrorCode::kUnavailable);
  // Nothing was committed, and the connection is usable again.
  for (int i = 0; i < 10; ++i) {
    Tx([&](StoreTx& tx) -> Status {
      EXPECT_TRUE(*tx.ClaimWebhookKey("before-error-" + std::to_string(i), kT0));
      return Status::Ok();
    });
  }
  Tx([&](StoreTx& tx) -> Status {
    EXPECT_TRUE(*tx.ClaimWebhookKey("before-error", kT0));
    return Status::Ok();
  });
}

TEST_P(StoreContract, ExceptionInsideTransactionRollsBackAndIsInternal) {
  Status st = store_->Transact([&](StoreTx& tx) -> Status {
    EXPECT_TRUE(*tx.ClaimWebhookKey("thrown", kT0));
    throw std::runtime_error("bug in the caller");
  });
  EXPECT_EQ(st.code(), ErrorCode::kInternal);
  Tx([&](StoreTx& tx) -> Status {
    EXPECT_TRUE(*tx.ClaimWebhookKey("thrown", kT0));
    return Status::Ok();
  });
}

TEST_P(StoreContract, RecoversWhenItsConnectionsAreKilled) {
  auto leader = store_->TryAcquireLeadership("expiry");
  ASSERT_TRUE(leader.ok() && *leader != nullptr);
  Session s = Open("15550001111");
  if (IsPostgres()) {
    // What a server restart or a failover does to every connection of the pool.
    soci::session admin(soci::postgresql, SociPostgresConnectString(db_->url()));
    admin << "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity"
             " WHERE datname = current_database() AND pid <> pg_backend_pid()";
    EXPECT_FALSE((*leader)->StillHeld());
    EXPECT_FALSE((*leader)->StillHeld());
  } else {
    EXPECT_TRUE((*leader)->StillHeld());
  }
  // Each broken connection fails once with kUnavailable (never anything else), then reconnects.
  int failures = 0;
  for (int i = 0; i < 20; ++i) {
    auto got = store_->GetSession(s.id);
    if (!got.ok()) {
      EXPECT_EQ(got.status().code(), ErrorCode::kUnavailable);
      ++failures;
      continue;
    }
    ASSERT_TRUE(got->has_value());
    EXPECT_EQ((*got)->id, s.id);
  }
  EXPECT_LE(failures, 8);  // the pool size
  if (IsPostgres()) {
    EXPECT_GE(failures, 1);
  }
  for (int i = 0; i < 8; ++i) {
    auto got = store_->GetSession(s.id);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
  }
  for (int i = 0; i < 8; ++i) {
    EXPECT_TRUE(End(s.id) == (i == 0));
  }
  // Leadership can be taken again.
  leader->reset();
  auto again = store_->TryAcquireLeadership("expiry");
  ASSERT_TRUE(again.ok() && *again != nullptr);
  EXPECT_TRUE((*again)->StillHeld());
}

TEST_P(StoreContract, UnreachableDatabaseIsUnavailable) {
  StoreOptions options;
  if (IsPostgres()) {
    options.url = "postgresql://postgres@127.0.0.1:1/nothing?connect_timeout=2";
  } else {
    // The parent "directory" is a regular file.
    options.url = "sqlite:" + db_->url().substr(7) + "/nested/test.db";
  }
  auto store = OpenStore(options);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), ErrorCode::kUnavailable) << store.status().ToString();
}

TEST_P(StoreContract, UnknownUrlSchemeIsBadRequest) {
  StoreOptions options;
  options.url = "mysql://root@localhost/handoffd";
  auto store = OpenStore(options);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), ErrorCode::kBadRequest);
}

TEST_P(StoreContract, OpensEveryAcceptedUrlForm) {
  StoreOptions options;
  if (IsPostgres()) {
    // "postgres://" is the short scheme libpq accepts too.
    options.url = "postgres://" + db_->url().substr(std::string("postgresql://").size());
  } else {
    // A SQLite file in directories that do not exist yet.
    options.url = "sqlite:" + db_->url().substr(7, db_->url().size() - 7 - 8) + "/a/b/c.db";
  }
  auto store = OpenStore(options);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ASSERT_TRUE((*store)->Migrate().ok());
  EXPECT_TRUE((*store)->Ping().ok());
}

// Bug: SQLite's LOWER() folds ASCII only, so "élodie" did not find "Élodie Ñúñez".
TEST_P(StoreContract, HistorySearchIsCaseInsensitiveBeyondAscii) {
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

// The webhook fast path: one atomic operation that joins an open session or writes nothing.
TEST_P(StoreContract, AppendToOpenSessionJoinsExtendsAndDedupes) {
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

INSTANTIATE_TEST_SUITE_P(Db, StoreContract, ::testing::ValuesIn(testing::TestDialects()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

}  // namespace
}  // namespace handoffd
