// End to end: a customer from the bot's menu to an agent. The menu and its dedupe, asking for an
// agent, the waiting queue, accepting (also two agents at once), the customer writing into the
// open session, and the customer ending the chat.
#include <gtest/gtest.h>

#include "support/e2e_fixture.h"

namespace handoffd::testing {
namespace {

class E2eHandoffTest : public E2eTest {};

// A customer text gets the built-in menu; AGENT_MODE opens a waiting session that an agent
// accepts; the customer's next text joins that session.
TEST_P(E2eHandoffTest, BotMenuThenHandoffToAnAgent) {
  ASSERT_NO_FATAL_FAILURE(StartDaemon(BaseOptions()));
  EXPECT_EQ(Get("/readyz").status, 200);

  // --- 1. A customer text: the built-in menu, exactly. ---
  const int64_t t1 = NowUnixSeconds();
  const std::string hi = TextWebhook(kAnna, "Anna", "Hi there", "wamid.ANNA.1", t1);
  ASSERT_NO_FATAL_FAILURE(Deliver(hi));
  auto to_anna = WaitForSentTo(kAnna, 1);
  ASSERT_EQ(to_anna.size(), 1u) << "the built-in menu was not sent";
  ExpectMenuSend(to_anna[0], kAnna);

  // --- 2. The same delivery again: 200 and no second menu. ---
  Reply dup = PostWebhook(hi);
  EXPECT_EQ(dup.status, 200) << dup.Describe();

  // --- 3. AGENT_MODE: a waiting session and "Connecting you to an agent...". ---
  const int64_t t2 = NowUnixSeconds();
  ASSERT_NO_FATAL_FAILURE(
      Deliver(ButtonWebhook(kAnna, "Anna", "AGENT_MODE", "Talk to Expert", "wamid.ANNA.2", t2)));
  to_anna = WaitForSentTo(kAnna, 3);
  ASSERT_EQ(to_anna.size(), 3u) << "expected exactly: menu, connecting, place (a duplicate menu?)";
  ExpectTextSend(to_anna[1], kAnna, kConnecting);
  ExpectTextSend(to_anna[2], kAnna, kQueuedFirst);

  auto [alice_id, bob_id, sam_id, alice, bob, sam] = AddTeam();
  ASSERT_FALSE(alice.token.empty());
  ASSERT_FALSE(bob.token.empty());
  ASSERT_FALSE(sam.token.empty());

  // --- 5. The waiting queue. ---
  json waiting = WaitingSessions(alice.token);
  ASSERT_EQ(waiting.size(), 1u) << waiting.dump();
  json session = waiting[0];
  ExpectHasKeys(session, kSessionKeys, "waiting session");
  EXPECT_EQ(Str(session, "channel"), "whatsapp");
  EXPECT_EQ(Str(session, "phone_number"), kAnna);
  EXPECT_EQ(Str(session, "customer_name"), "Anna");
  EXPECT_EQ(Str(session, "phone_number_id"), kPhoneNumberId);
  EXPECT_EQ(Str(session, "status"), "waiting");
  EXPECT_TRUE(session["agent_id"].is_null()) << session.dump();
  EXPECT_TRUE(session["agent_name"].is_null()) << session.dump();
  EXPECT_TRUE(session["assigned_at"].is_null()) << session.dump();
  EXPECT_TRUE(session["ended_at"].is_null()) << session.dump();
  EXPECT_TRUE(session["end_reason"].is_null()) << session.dump();
  EXPECT_TRUE(IsRfc3339Millis(session["created_at"])) << session.dump();
  EXPECT_EQ(session["expires_at"], Rfc3339((t2 + 22 * 3600) * 1000))
      << "expires_at = the trigger's WhatsApp timestamp + 22h";
  EXPECT_EQ(session["last_customer_message_at"], Rfc3339(t2 * 1000));
  {
    Reply one = Get(SessionPath(session), alice.token);
    ASSERT_EQ(one.status, 200) << one.Describe();
    EXPECT_EQ(one.j, session) << "GET /sessions/{id} and the waiting list disagree";
  }
  ExpectError(Get("/api/agent/sessions/999999999", alice.token), 404, "not_found",
              "unknown session");
  ExpectError(PostJson("/api/agent/sessions/999999999/assign", json::object(), alice.token), 404,
              "not_found", "assign an unknown session");

  // --- 6. Assign: active, "You are now chatting with Alice Agent." ---
  {
    Reply assign = PostJson(SessionPath(session) + "/assign", json::object(), alice.token);
    ASSERT_EQ(assign.status, 200) << assign.Describe();
    ExpectHasKeys(assign.j, kSessionKeys, "assigned session");
    EXPECT_EQ(Str(assign.j, "status"), "active");
    EXPECT_EQ(IdStr(At(assign.j, "agent_id")), alice_id);
    EXPECT_EQ(Str(assign.j, "agent_name"), "Alice Agent");
    EXPECT_TRUE(IsRfc3339Millis(At(assign.j, "assigned_at"))) << assign.Describe();
    EXPECT_EQ(IdStr(At(assign.j, "id")), IdStr(session["id"]));
  }
  to_anna = WaitForSentTo(kAnna, 4);
  ASSERT_EQ(to_anna.size(), 4u);
  ExpectTextSend(to_anna[3], kAnna, "You are now chatting with Alice Agent.");
  EXPECT_TRUE(WaitingSessions(alice.token).empty());
  ExpectError(PostJson(SessionPath(session) + "/assign", json::object(), bob.token), 409,
              "conflict", "an agent assigning an active session");
  ExpectError(Get("/api/agent/sessions/my-chats/" + alice_id, bob.token), 403, "forbidden",
              "an agent reading another agent's chats");
  {
    Reply mine = Get("/api/agent/sessions/my-chats/" + alice_id, alice.token);
    ASSERT_EQ(mine.status, 200) << mine.Describe();
    ASSERT_EQ(At(mine.j, "sessions").size(), 1u) << mine.Describe();
    EXPECT_EQ(IdStr(At(mine.j, "sessions")[0]["id"]), IdStr(session["id"]));
    Reply by_supervisor = Get("/api/agent/sessions/my-chats/" + alice_id, sam.token);
    EXPECT_EQ(by_supervisor.status, 200) << by_supervisor.Describe();
    Reply bobs = Get("/api/agent/sessions/my-chats/" + bob_id, bob.token);
    ASSERT_EQ(bobs.status, 200) << bobs.Describe();
    EXPECT_TRUE(At(bobs.j, "sessions").empty()) << bobs.Describe();
    Reply me = Get("/api/me", alice.token);
    EXPECT_EQ(At(me.j, "active_chats"), 1) << me.Describe();
  }

  // --- 7. The customer writes: the message joins the session. ---
  const int64_t t3 = NowUnixSeconds();
  ASSERT_NO_FATAL_FAILURE(
      Deliver(TextWebhook(kAnna, "Anna", "My order #1234 has not arrived", "wamid.ANNA.3", t3)));
  {
    json messages = Messages(session, alice.token);
    json found;
    for (const auto& m : messages) {
      ExpectHasKeys(m, kMessageKeys, "message");
      if (Str(m, "content") == "My order #1234 has not arrived") found = m;
    }
    ASSERT_TRUE(found.is_object()) << "customer text missing: " << messages.dump();
    EXPECT_EQ(Str(found, "sender_type"), "customer");
    EXPECT_EQ(Str(found, "direction"), "in");
    EXPECT_EQ(Str(found, "type"), "text");
    EXPECT_EQ(Str(found, "channel_message_id"), "wamid.ANNA.3");
    EXPECT_EQ(Str(found, "delivery_status"), "received");
    EXPECT_TRUE(found["error"].is_null());
    EXPECT_EQ(IdStr(found["session_id"]), IdStr(session["id"]));
    EXPECT_TRUE(found["metadata"].is_object()) << found.dump();
    bool has_system = false;
    for (const auto& m : messages) has_system |= Str(m, "sender_type") == "system";
    EXPECT_TRUE(has_system) << "transitions add system messages: " << messages.dump();
    json now_session = GetSession(session, alice.token);
    EXPECT_EQ(now_session["expires_at"], Rfc3339((t3 + 22 * 3600) * 1000))
        << "a customer message moves expires_at to its timestamp + 22h";
    EXPECT_EQ(now_session["last_customer_message_at"], Rfc3339(t3 * 1000));
  }
  EXPECT_EQ(SentTo(kAnna).size(), 4u) << "a text in an open session must not get the menu";

  Reply metrics = Get("/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_TRUE(Contains(metrics.body, "handoffd_webhooks_received_total")) << metrics.body;
}

// "End chat" from the customer ends the session; the bot answers the next text again.
TEST_P(E2eHandoffTest, CustomerEndsTheChat) {
  ASSERT_NO_FATAL_FAILURE(StartDaemon(BaseOptions()));
  auto [alice_id, bob_id, sam_id, alice, bob, sam] = AddTeam();
  ASSERT_FALSE(alice.token.empty());
  ASSERT_FALSE(bob.token.empty());
  ASSERT_FALSE(sam.token.empty());
  json session = AskForAnAgent(kAnna, "Anna", "wamid.ANNA.2", NowUnixSeconds(), alice.token);
  ASSERT_TRUE(session.is_object());
  ASSERT_NO_FATAL_FAILURE(Accept(session, alice, "Alice Agent"));
  // Sent so far: connecting, the place in the queue, joined.
  const size_t sent = SentTo(kAnna).size();
  ASSERT_EQ(sent, 3u);

  // --- 14. "End chat" from the customer (case and spaces ignored). ---
  ASSERT_NO_FATAL_FAILURE(
      Deliver(TextWebhook(kAnna, "Anna", "  END Chat ", "wamid.ANNA.4", NowUnixSeconds())));
  {
    json ended = GetSession(session, alice.token);
    EXPECT_EQ(Str(ended, "status"), "ended") << ended.dump();
    EXPECT_EQ(Str(ended, "end_reason"), "customer") << ended.dump();
    EXPECT_TRUE(IsRfc3339Millis(ended["ended_at"])) << ended.dump();
  }
  auto to_anna = WaitForSentTo(kAnna, sent + 1);
  ASSERT_EQ(to_anna.size(), sent + 1);
  ExpectTextSend(to_anna[sent], kAnna, kEnded);
  ExpectError(PostJson(SessionPath(session) + "/messages", {{"content", "hello?"}}, alice.token),
              409, "conflict", "a reply to an ended session");
  ExpectError(PostEmpty(SessionPath(session) + "/end", alice.token), 409, "conflict",
              "ending an ended session");
  {
    Reply mine = Get("/api/agent/sessions/my-chats/" + alice_id, alice.token);
    EXPECT_TRUE(At(mine.j, "sessions").empty()) << mine.Describe();
  }
  // Without an open session the bot answers again.
  ASSERT_NO_FATAL_FAILURE(
      Deliver(TextWebhook(kAnna, "Anna", "one more thing", "wamid.ANNA.5", NowUnixSeconds())));
  to_anna = WaitForSentTo(kAnna, sent + 2);
  ASSERT_EQ(to_anna.size(), sent + 2);
  ExpectMenuSend(to_anna[sent + 1], kAnna);
}

// Two agents accept the same waiting chat at once: exactly one wins.
TEST_P(E2eHandoffTest, TwoAgentsAcceptTheSameChatAtOnce) {
  ASSERT_NO_FATAL_FAILURE(StartDaemon(BaseOptions()));
  auto [alice_id, bob_id, sam_id, alice, bob, sam] = AddTeam();
  ASSERT_FALSE(alice.token.empty());
  ASSERT_FALSE(bob.token.empty());
  ASSERT_FALSE(sam.token.empty());
  ASSERT_NO_FATAL_FAILURE(Deliver(
      ButtonWebhook(kMia, "Mia", "AGENT_MODE", "Talk to Expert", "wamid.MIA.1", NowUnixSeconds())));
  json mia = FindWaiting(kMia, alice.token);
  ASSERT_TRUE(mia.is_object());
  Reply by_alice, by_bob;
  std::thread a(
      [&] { by_alice = PostJson(SessionPath(mia) + "/assign", json::object(), alice.token); });
  std::thread b(
      [&] { by_bob = PostJson(SessionPath(mia) + "/assign", json::object(), bob.token); });
  a.join();
  b.join();
  ASSERT_TRUE((by_alice.status == 200) != (by_bob.status == 200))
      << "exactly one accept wins: " << by_alice.Describe() << " / " << by_bob.Describe();
  const bool alice_won = by_alice.status == 200;
  ExpectError(alice_won ? by_bob : by_alice, 409, "conflict", "the losing accept");
  const Login& winner = alice_won ? alice : bob;
  json now_mia = GetSession(mia, sam.token);
  EXPECT_EQ(IdStr(At(now_mia, "agent_id")), winner.id) << now_mia.dump();
  Reply end = PostEmpty(SessionPath(mia) + "/end", winner.token);
  ASSERT_EQ(end.status, 200) << end.Describe();
  EXPECT_EQ(Str(end.j, "status"), "ended");
  EXPECT_EQ(Str(end.j, "end_reason"), "agent");
  auto to_mia = WaitForSentTo(kMia, 4);
  ASSERT_EQ(to_mia.size(), 4u) << "connecting, place, joined, ended";
  ExpectTextSend(to_mia[0], kMia, kConnecting);
  ExpectTextSend(to_mia[1], kMia, kQueuedFirst);
  ExpectTextSend(
      to_mia[2], kMia,
      std::string("You are now chatting with ") + (alice_won ? "Alice Agent" : "Bob Agent") + ".");
  ExpectTextSend(to_mia[3], kMia, kEnded);
}

HANDOFFD_E2E_INSTANTIATE(E2eHandoffTest);

}  // namespace
}  // namespace handoffd::testing
