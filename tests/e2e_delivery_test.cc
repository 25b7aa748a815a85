// End to end: an agent's replies through the Graph API. Queued then sent, reply validation and
// ownership, status webhooks (monotonic, never extending the expiry), Meta's permanent (131047)
// and retryable (130429) errors, and a failed status being final.
#include <gtest/gtest.h>

#include "support/e2e_fixture.h"

namespace handoffd::testing {
namespace {

class E2eDeliveryTest : public E2eTest {};

TEST_P(E2eDeliveryTest, AgentRepliesAndTheirDeliveryStatuses) {
  ASSERT_NO_FATAL_FAILURE(StartDaemon(BaseOptions()));
  auto [alice_id, bob_id, sam_id, alice, bob, sam] = AddTeam();
  ASSERT_FALSE(alice.token.empty());
  ASSERT_FALSE(bob.token.empty());
  ASSERT_FALSE(sam.token.empty());
  // The last customer message is the trigger at t3: expires_at is t3 + 22h from here on.
  const int64_t t3 = NowUnixSeconds();
  json session = AskForAnAgent(kAnna, "Anna", "wamid.ANNA.2", t3, alice.token);
  ASSERT_TRUE(session.is_object());
  ASSERT_NO_FATAL_FAILURE(Accept(session, alice, "Alice Agent"));
  // Sent so far: connecting, the place in the queue, joined.
  const size_t sent = SentTo(kAnna).size();
  ASSERT_EQ(sent, 3u);

  // --- 8. The agent replies: 201 queued, then sent through the Graph API. ---
  const std::string reply1 = "Hello Anna, I am looking at your order now.";
  Reply r1 = PostJson(SessionPath(session) + "/messages", {{"content", reply1}}, alice.token);
  ASSERT_EQ(r1.status, 201) << r1.Describe();
  ExpectHasKeys(r1.j, kMessageKeys, "agent message");
  EXPECT_EQ(Str(r1.j, "delivery_status"), "queued");
  EXPECT_EQ(Str(r1.j, "sender_type"), "agent");
  EXPECT_EQ(IdStr(At(r1.j, "sender_id")), alice_id);
  EXPECT_EQ(Str(r1.j, "direction"), "out");
  EXPECT_EQ(Str(r1.j, "type"), "text");
  EXPECT_EQ(Str(r1.j, "content"), reply1);
  EXPECT_TRUE(At(r1.j, "error").is_null()) << r1.Describe();
  auto to_anna = WaitForSentTo(kAnna, sent + 1);
  ASSERT_EQ(to_anna.size(), sent + 1);
  ExpectTextSend(to_anna[sent], kAnna, reply1);
  json m1 = WaitForDeliveryStatus(session, At(r1.j, "id"), "sent", alice.token);
  ASSERT_EQ(Str(m1, "delivery_status"), "sent") << m1.dump();
  const std::string wamid1 = gate_->WamidForText(reply1);
  ASSERT_FALSE(wamid1.empty());
  EXPECT_EQ(Str(m1, "channel_message_id"), wamid1);

  // Reply validation and ownership.
  ExpectError(PostJson(SessionPath(session) + "/messages", {{"content", ""}}, alice.token), 400,
              "bad_request", "empty reply");
  ExpectError(PostJson(SessionPath(session) + "/messages", {{"content", std::string(4097, 'a')}},
                       alice.token),
              400, "bad_request", "reply over 4096 characters");
  ExpectError(PostJson(SessionPath(session) + "/messages", {{"content", "me too"}}, bob.token), 409,
              "conflict", "reply by an agent the session is not assigned to");

  // --- 9. Status webhooks: delivered, read; a late 'sent' does not go backwards. ---
  ASSERT_NO_FATAL_FAILURE(Deliver(
      whatsapp::BuildStatusWebhook(kPhoneNumberId, wamid1, "delivered", kAnna, NowUnixSeconds())));
  EXPECT_EQ(Str(FindMessage(session, At(r1.j, "id"), alice.token), "delivery_status"), "delivered");
  ASSERT_NO_FATAL_FAILURE(Deliver(
      whatsapp::BuildStatusWebhook(kPhoneNumberId, wamid1, "read", kAnna, NowUnixSeconds())));
  EXPECT_EQ(Str(FindMessage(session, At(r1.j, "id"), alice.token), "delivery_status"), "read");
  ASSERT_NO_FATAL_FAILURE(Deliver(
      whatsapp::BuildStatusWebhook(kPhoneNumberId, wamid1, "sent", kAnna, NowUnixSeconds() - 5)));
  EXPECT_EQ(Str(FindMessage(session, At(r1.j, "id"), alice.token), "delivery_status"), "read")
      << "statuses are monotonic";
  EXPECT_EQ(GetSession(session, alice.token)["expires_at"], Rfc3339((t3 + 22 * 3600) * 1000))
      << "statuses never extend the expiry";

  // --- 10. Meta answers 131047: failed, with code and title, not retried. ---
  const std::string reply2 = "Are you still there?";
  fake_->Enqueue(FakeGraphServer::MetaError(400, 131047, "Re-engagement message"));
  Reply r2 = PostJson(SessionPath(session) + "/messages", {{"content", reply2}}, alice.token);
  ASSERT_EQ(r2.status, 201) << r2.Describe();
  json m2 = WaitForDeliveryStatus(session, At(r2.j, "id"), "failed", alice.token);
  ASSERT_EQ(Str(m2, "delivery_status"), "failed") << m2.dump();
  ASSERT_TRUE(m2["error"].is_object()) << m2.dump();
  EXPECT_EQ(m2["error"]["code"], 131047) << m2.dump();
  EXPECT_TRUE(m2["error"]["title"].is_string() &&
              Contains(m2["error"]["title"].get<std::string>(), "Re-engagement message"))
      << m2.dump();

  // --- 11. Meta answers 130429 (throughput), then accepts: retried, ends 'sent'. ---
  const std::string reply3 = "Your parcel left the warehouse today.";
  fake_->Enqueue(FakeGraphServer::MetaError(400, 130429, "Rate limit hit"));
  Reply r3 = PostJson(SessionPath(session) + "/messages", {{"content", reply3}}, alice.token);
  ASSERT_EQ(r3.status, 201) << r3.Describe();
  json m3 = WaitForDeliveryStatus(session, At(r3.j, "id"), "sent", alice.token, seconds(20));
  ASSERT_EQ(Str(m3, "delivery_status"), "sent") << m3.dump();
  EXPECT_EQ(CountTextSends(reply3), 2u) << "one throttled attempt, one retry";
  const std::string wamid3 = gate_->WamidForText(reply3);
  ASSERT_FALSE(wamid3.empty());
  EXPECT_EQ(Str(m3, "channel_message_id"), wamid3);
  EXPECT_TRUE(m3["error"].is_null()) << m3.dump();
  EXPECT_EQ(CountTextSends(reply2), 1u) << "131047 must not be retried";

  // --- 12. A failed status webhook (131047) for a sent message; failed is final. ---
  ASSERT_NO_FATAL_FAILURE(Deliver(whatsapp::BuildStatusWebhook(
      kPhoneNumberId, wamid3, "failed", kAnna, NowUnixSeconds(), 131047, "Re-engagement message")));
  m3 = FindMessage(session, At(r3.j, "id"), alice.token);
  EXPECT_EQ(Str(m3, "delivery_status"), "failed") << m3.dump();
  ASSERT_TRUE(m3["error"].is_object()) << m3.dump();
  EXPECT_EQ(m3["error"]["code"], 131047) << m3.dump();
  EXPECT_EQ(Str(m3["error"], "title"), "Re-engagement message") << m3.dump();
  ASSERT_NO_FATAL_FAILURE(Deliver(
      whatsapp::BuildStatusWebhook(kPhoneNumberId, wamid3, "read", kAnna, NowUnixSeconds())));
  EXPECT_EQ(Str(FindMessage(session, At(r3.j, "id"), alice.token), "delivery_status"), "failed")
      << "failed is final";
}

HANDOFFD_E2E_INSTANTIATE(E2eDeliveryTest);

}  // namespace
}  // namespace handoffd::testing
