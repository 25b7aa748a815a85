// StoreTx::AppendToOpenSessions (group commit's batched fast path; one statement per run of
// distinct customers on PostgreSQL) against AppendToOpenSession called once per message: the
// same script on two fresh databases must leave exactly the same rows (messages, sessions,
// events, ids included) and give the same outcomes, on both dialects.
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
#include "support/store_fixture.h"
#include "support/test_db.h"

namespace handoffd {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using testing::kT0;
using testing::TestDatabase;
using StoreAppendMany = testing::StoreFixture;

using Rows = std::vector<std::vector<std::string>>;

/// Runs `fn` in a transaction of `store` that must commit.
void Tx(Store& store, const std::function<Status(StoreTx&)>& fn) {
  const Status st = store.Transact(fn);
  ASSERT_TRUE(st.ok()) << st.ToString();
}

int64_t OpenSession(Store& store, const std::string& phone) {
  int64_t id = 0;
  Tx(store, [&](StoreTx& tx) -> Status {
    HANDOFFD_ASSIGN_OR_RETURN(auto contact,
                              tx.UpsertContact("whatsapp", CustomerRef{phone, phone, "", ""}, kT0));
    NewSession ns;
    ns.channel = "whatsapp";
    ns.contact_id = contact;
    ns.phone_number = phone;
    ns.customer_name = "Customer " + phone;
    ns.phone_number_id = "PNID1";
    ns.created_at = kT0;
    ns.expires_at = kT0 + hours(22);
    ns.last_customer_message_at = kT0;
    HANDOFFD_ASSIGN_OR_RETURN(auto s, tx.CreateSession(ns));
    id = s.id;
    return Status::Ok();
  });
  return id;
}

OpenSessionAppend Item(const std::string& phone, const std::string& wamid, int minute, bool extend,
                       bool with_event = true) {
  OpenSessionAppend a;
  a.channel = "whatsapp";
  a.customer_key = phone;
  Message& m = a.message;
  m.sender_type = SenderType::kCustomer;
  m.sender_id = phone;
  m.direction = Direction::kIn;
  m.type = "text";
  m.content = "text " + wamid + " at " + std::to_string(minute);
  m.metadata = "{}";
  if (!wamid.empty()) m.channel_message_id = wamid;
  m.delivery_status = DeliveryStatus::kReceived;
  m.created_at = kT0 + minutes(minute);
  m.sent_at = kT0 + minutes(minute) - std::chrono::seconds(1);
  if (extend) a.extend = std::make_pair(*m.sent_at, *m.sent_at + hours(24));
  if (with_event) a.event_tail = R"("type":"text","content":")" + m.content + R"("})";
  return a;
}

/// The world both paths start from: five customers, four with an open session (one of them
/// assigned to an agent), one message already stored.
void Prepare(Store& store) {
  for (const char* phone : {"4915100000001", "4915100000002", "4915100000003", "4915100000005"}) {
    OpenSession(store, phone);
  }
  Agent a;
  a.email = "agent@example.com";
  a.name = "Agent A";
  a.role = Role::kAgent;
  a.max_chats = 3;
  a.password_hash = "$argon2id$fake";
  auto agent = store.CreateAgent(a);
  ASSERT_TRUE(agent.ok()) << agent.status().ToString();
  Tx(store, [&](StoreTx& tx) -> Status {
    HANDOFFD_ASSIGN_OR_RETURN(auto open, tx.FindOpenSession("whatsapp", "4915100000003"));
    if (!open) return Status::Internal("no session");
    return tx.AssignSession(open->id, agent->id, kT0 + minutes(1), false).status();
  });
  auto dup = store.AppendToOpenSession("whatsapp", "4915100000002",
                                       Item("4915100000002", "wamid.DUP", 2, false).message,
                                       std::nullopt, "");
  ASSERT_TRUE(dup.ok() && dup->message_id) << dup.status().ToString();
}

/// Every case of the batched statement: distinct customers in one statement, an assigned
/// session (event for its agent), a customer without a session, a duplicate wamid, a customer
/// twice (next statement), a message without a wamid (alone), no extension, no events, an older
/// message that must not shorten expiry, a wamid repeated inside the batch.
std::vector<OpenSessionAppend> Script() {
  return {
      Item("4915100000001", "wamid.A1", 10, true),
      Item("4915100000002", "wamid.DUP", 11, true),
      Item("4915100000003", "wamid.A3", 12, true),
      Item("4915100000004", "wamid.A4", 13, true),  // no open session
      Item("4915100000001", "wamid.A5", 14, true),
      Item("4915100000005", "wamid.A6", 15, false, false),
      Item("4915100000002", "", 16, true),
      Item("4915100000005", "wamid.A8", 17, true),
      Item("4915100000002", "wamid.A9", 3, true),   // older than the session's last message
      Item("4915100000003", "wamid.A8", 18, true),  // repeats item 8's wamid
      Item("4915100000001", "wamid.A11", 19, false),
  };
}

struct World {
  Rows messages;
  Rows sessions;
  Rows events;
  std::vector<AppendOutcome> outcomes;
};

World RunScript(const std::string& dialect, bool batched) {
  TestDatabase db(dialect);
  std::unique_ptr<Store> store = db.OpenMigrated(2);
  World w;
  Prepare(*store);
  const std::vector<OpenSessionAppend> script = Script();
  Tx(*store, [&](StoreTx& tx) -> Status {
    if (batched) {
      HANDOFFD_ASSIGN_OR_RETURN(w.outcomes, tx.AppendToOpenSessions(script));
      return Status::Ok();
    }
    for (const OpenSessionAppend& a : script) {
      HANDOFFD_ASSIGN_OR_RETURN(
          auto one,
          tx.AppendToOpenSession(a.channel, a.customer_key, a.message, a.extend, a.event_tail));
      w.outcomes.push_back(one);
    }
    return Status::Ok();
  });
  w.messages = db.QueryRows("SELECT * FROM agent_messages ORDER BY id");
  w.sessions = db.QueryRows("SELECT * FROM agent_sessions ORDER BY id");
  w.events = db.QueryRows("SELECT * FROM events ORDER BY id");
  return w;
}

TEST_P(StoreAppendMany, WritesExactlyWhatSingleAppendsWrite) {
  const World single = RunScript(GetParam(), false);
  const World batched = RunScript(GetParam(), true);
  ASSERT_EQ(single.outcomes.size(), Script().size());
  ASSERT_EQ(batched.outcomes.size(), single.outcomes.size());
  for (size_t i = 0; i < single.outcomes.size(); ++i) {
    EXPECT_EQ(batched.outcomes[i].session_id, single.outcomes[i].session_id) << i;
    EXPECT_EQ(batched.outcomes[i].message_id, single.outcomes[i].message_id) << i;
  }
  EXPECT_EQ(batched.messages, single.messages);
  EXPECT_EQ(batched.sessions, single.sessions);
  EXPECT_EQ(batched.events, single.events);

  // And the single path did what the script says.
  const auto& o = single.outcomes;
  EXPECT_TRUE(o[0].session_id && o[0].message_id);
  EXPECT_TRUE(o[1].session_id && !o[1].message_id);   // duplicate wamid
  EXPECT_TRUE(!o[3].session_id && !o[3].message_id);  // no open session
  EXPECT_TRUE(o[6].message_id);                       // no wamid
  EXPECT_TRUE(o[9].session_id && !o[9].message_id);   // wamid repeated in the batch
  EXPECT_LT(*o[0].message_id, *o[2].message_id);
  EXPECT_LT(*o[2].message_id, *o[4].message_id);
  EXPECT_EQ(single.messages.size(), 9u);  // 1 before + 8 stored
  int session_updates = 0;
  int for_agent = 0;
  for (const auto& row : single.events) {
    for (const auto& col : row) {
      if (col == "session.extended") ++session_updates;
      if (col == "agent") ++for_agent;
    }
  }
  EXPECT_EQ(session_updates, 6);  // items 1, 3, 5, 7, 8, 9 extended a session
  EXPECT_EQ(for_agent, 2);        // item 3's message.created and session.extended
}

HANDOFFD_STORE_CONTRACT_SUITE(StoreAppendMany);

}  // namespace
}  // namespace handoffd
