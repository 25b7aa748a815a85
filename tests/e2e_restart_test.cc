// End to end: a restart. A reply queued while the Graph API is down is delivered exactly once
// after the daemon restarts; login tokens survive; nothing sent before is sent again.
#include <gtest/gtest.h>

#include "support/e2e_fixture.h"

namespace handoffd::testing {
namespace {

class E2eRestartTest : public E2eTest {};

TEST_P(E2eRestartTest, AReplyQueuedWhileTheGraphApiIsDownIsDeliveredAfterARestart) {
  ASSERT_NO_FATAL_FAILURE(StartDaemon(BaseOptions()));
  const Login alice = [&] {
    AddAgent("alice@example.com", "Alice Agent", "agent", "alice-pass-1", 5);
    return LogIn("alice@example.com", "alice-pass-1");
  }();
  ASSERT_FALSE(alice.token.empty());
  // Something delivered before the restart, to another customer.
  ASSERT_NO_FATAL_FAILURE(
      Deliver(TextWebhook(kAnna, "Anna", "Hi there", "wamid.ANNA.1", NowUnixSeconds())));
  ASSERT_EQ(WaitForSentTo(kAnna, 1).size(), 1u) << "the built-in menu was not sent";

  ASSERT_NO_FATAL_FAILURE(Deliver(ButtonWebhook(
      kJoao, "Jo\xc3\xa3o", "AGENT_MODE", "Talk to Expert", "wamid.JOAO.1", NowUnixSeconds())));
  auto to_joao = WaitForSentTo(kJoao, 2);
  ASSERT_EQ(to_joao.size(), 2u);
  ExpectTextSend(to_joao[0], kJoao, kConnecting);
  ExpectTextSend(to_joao[1], kJoao, kQueuedFirst);
  json joao = FindWaiting(kJoao, alice.token);
  ASSERT_TRUE(joao.is_object());
  EXPECT_EQ(Str(joao, "customer_name"), "Jo\xc3\xa3o") << "non-ASCII names decode to UTF-8";
  ASSERT_EQ(PostJson(SessionPath(joao) + "/assign", json::object(), alice.token).status, 200);
  to_joao = WaitForSentTo(kJoao, 3);
  ASSERT_EQ(to_joao.size(), 3u);
  ExpectTextSend(to_joao[2], kJoao, "You are now chatting with Alice Agent.");

  gate_->set_healthy(false);
  const int refused_before = gate_->refused();
  const std::string refund = "Your refund is on its way.";
  Reply queued = PostJson(SessionPath(joao) + "/messages", {{"content", refund}}, alice.token);
  ASSERT_EQ(queued.status, 201) << queued.Describe();
  EXPECT_TRUE(Eventually([&] { return gate_->refused() > refused_before; }, seconds(10)))
      << "the daemon never tried to send while the Graph API was down";
  EXPECT_EQ(Str(FindMessage(joao, At(queued.j, "id"), alice.token), "delivery_status"), "queued")
      << "a 5xx is retryable: the message stays queued";
  StopResult stopped = daemon_->Stop();
  EXPECT_TRUE(stopped.graceful) << "SIGTERM must stop the daemon promptly";
  EXPECT_EQ(stopped.exit_code, 0) << "signal " << stopped.term_signal;
  gate_->set_healthy(true);
  std::string error;
  ASSERT_TRUE(daemon_->Start(seconds(20), &error)) << error;

  {
    Reply me = Get("/api/me", alice.token);
    EXPECT_EQ(me.status, 200) << "login tokens survive a restart: " << me.Describe();
  }
  json refund_message =
      WaitForDeliveryStatus(joao, At(queued.j, "id"), "sent", alice.token, seconds(20));
  EXPECT_EQ(Str(refund_message, "delivery_status"), "sent") << refund_message.dump();
  EXPECT_EQ(CountTextSends(refund), 1u) << "delivered exactly once";
  EXPECT_EQ(Str(refund_message, "channel_message_id"), gate_->WamidForText(refund));
  to_joao = SentTo(kJoao);
  ASSERT_EQ(to_joao.size(), 4u);
  ExpectTextSend(to_joao[3], kJoao, refund);

  // Nothing duplicated to Anna.
  EXPECT_EQ(SentTo(kAnna).size(), 1u);
}

HANDOFFD_E2E_INSTANTIATE(E2eRestartTest);

}  // namespace
}  // namespace handoffd::testing
