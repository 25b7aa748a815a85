// The fixture of the Store contract tests (test-only): every test of tests/store_*_test.cc runs
// unchanged on SQLite and PostgreSQL on a fresh, migrated database. Each file names its suite
// after this fixture and instantiates it on both dialects:
//   using StoreSessions = testing::StoreFixture;
//   TEST_P(StoreSessions, ...) {...}
//   HANDOFFD_STORE_CONTRACT_SUITE(StoreSessions);
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "store/store.h"
#include "support/test_db.h"

namespace handoffd::testing {

inline const TimePoint kT0 = FromUnixSeconds(1767261600);  // 2026-01-01T10:00:00Z

class StoreFixture : public ::testing::TestWithParam<std::string> {
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
               TimePoint expires = kT0 + std::chrono::hours(22), const std::string& name = "") {
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

  bool Assign(int64_t session, int64_t agent, TimePoint now = kT0 + std::chrono::minutes(1),
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
           TimePoint now = kT0 + std::chrono::minutes(5)) {
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
                                            TimePoint next_attempt = kT0,
                                            const std::string& recipient = "15550001111") {
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
      item.recipient = recipient;
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
    return db_->QueryText(sql, key);
  }

  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<Store> store_;
};

/// The ids of `sessions`, in order.
inline std::vector<int64_t> Ids(const std::vector<Session>& sessions) {
  std::vector<int64_t> out;
  for (const Session& s : sessions) out.push_back(s.id);
  return out;
}

}  // namespace handoffd::testing

/// Runs the TEST_Ps of `suite` (an alias of StoreFixture) on every test dialect.
#define HANDOFFD_STORE_CONTRACT_SUITE(suite)                               \
  INSTANTIATE_TEST_SUITE_P(                                                \
      Db, suite, ::testing::ValuesIn(::handoffd::testing::TestDialects()), \
      [](const ::testing::TestParamInfo<std::string>& info) { return info.param; })
