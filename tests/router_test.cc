// The handoff state machine on both databases, driven by real webhook bodies and a manual clock.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "channels/whatsapp/webhook_builder.h"
#include "support/router_harness.h"

namespace handoffd::testing {
namespace {

using std::chrono::hours;
using std::chrono::seconds;

constexpr char kAnna[] = "4915112345678";

nlohmann::json Payload(const OutboxItem& item) { return nlohmann::json::parse(item.payload); }

class RouterTest : public ::testing::TestWithParam<std::string> {
 protected:
  RouterHarness h{GetParam()};
};

TEST_P(RouterTest, TextWithoutSessionIsAnsweredByTheMenu) {
  auto r = h.Deliver(ReadFixture("01_text.json"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->messages_stored, 1);
  EXPECT_EQ(r->bot_replies, 1);
  EXPECT_FALSE(h.OpenSession(kAnna).has_value());
  auto out = h.TakeOutbox();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].recipient, kAnna);
  EXPECT_EQ(out[0].phone_number_id, "123456789012345");
  auto p = Payload(out[0]);
  EXPECT_EQ(p["kind"], "buttons");
  EXPECT_EQ(p["text"], "How can we help?");
  EXPECT_EQ(p["buttons"][0]["id"], "AGENT_MODE");
  EXPECT_EQ(p["buttons"][0]["title"], "Talk to Expert");
}

TEST_P(RouterTest, RedeliveredWebhookHasNoEffect) {
  ASSERT_TRUE(h.Deliver(ReadFixture("01_text.json")).ok());
  auto again = h.Deliver(ReadFixture("40_duplicate_of_01_text.json"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->messages_stored, 0);
  EXPECT_EQ(again->duplicates, 1);
  EXPECT_EQ(again->bot_replies, 0);
  EXPECT_EQ(h.TakeOutbox().size(), 1u);  // one menu only
}

TEST_P(RouterTest, AgentModeOpensAWaitingSessionAndSaysConnecting) {
  ASSERT_TRUE(h.Deliver(ReadFixture("01_text.json")).ok());
  h.TakeOutbox();
  auto r = h.Deliver(ReadFixture("02_interactive_button_reply_agent_mode.json"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->sessions_opened, 1);

  auto waiting = h.store->ListWaiting();
  ASSERT_TRUE(waiting.ok());
  ASSERT_EQ(waiting->size(), 1u);
  const Session& s = (*waiting)[0];
  EXPECT_EQ(s.phone_number, kAnna);
  EXPECT_EQ(s.customer_name, "Anna Schmidt");
  EXPECT_EQ(s.status, SessionStatus::kWaiting);
  // 22 h after the tap's WhatsApp timestamp, not after its arrival.
  EXPECT_EQ(s.expires_at, FromUnixSeconds(1767261660) + hours(22));
  EXPECT_EQ(s.last_customer_message_at, FromUnixSeconds(1767261660));

  auto out = h.TakeOutbox();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(Payload(out[0])["kind"], "text");
  EXPECT_EQ(Payload(out[0])["text"], "Connecting you to an agent...");

  // The agent sees the bot history: the first text, the menu, the tap, a note, the connecting
  // text, in order.
  auto msgs = h.Messages(s.id);
  ASSERT_EQ(msgs.size(), 5u);
  EXPECT_EQ(msgs[0].content, "Hallo, ich habe eine Frage zu meiner Bestellung.");
  EXPECT_EQ(msgs[1].sender_type, SenderType::kBot);
  EXPECT_EQ(msgs[2].type, "interactive");
  EXPECT_EQ(msgs[3].sender_type, SenderType::kSystem);
  EXPECT_EQ(msgs[3].direction, Direction::kInternal);
  EXPECT_EQ(msgs[4].content, "Connecting you to an agent...");
  EXPECT_EQ(msgs[4].delivery_status, DeliveryStatus::kQueued);
}

TEST_P(RouterTest, OtherButtonGoesToTheBotNotToAnAgent) {
  auto r = h.Deliver(ReadFixture("03_interactive_button_reply_other.json"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->sessions_opened, 0);
  EXPECT_EQ(r->bot_replies, 1);
  EXPECT_FALSE(h.OpenSession(kAnna).has_value());
}

TEST_P(RouterTest, TemplateButtonPayloadAndTriggerKeywordOpenSessions) {
  RouterOptions o = RouterHarness::DefaultRouterOptions();
  o.trigger_keywords = {"human please"};
  RouterHarness k(GetParam(), o);
  ASSERT_TRUE(k.Text("111111111", "  Human PLEASE ").ok());
  EXPECT_TRUE(k.OpenSession("111111111").has_value());

  const std::string body =
      R"({"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550001111","phone_number_id":"123456789012345"},"contacts":[{"profile":{"name":"Joao"},"wa_id":"5511987654321"}],"messages":[{"from":"5511987654321","id":"wamid.TPL1","timestamp":"1767261600","type":"button","button":{"payload":"AGENT_MODE","text":"Talk to us"}}]}}]}]})";
  auto r = k.Deliver(body);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->sessions_opened, 1);
  // A title equal to the trigger never counts: only ids and payloads do.
  ASSERT_TRUE(k.Text("222222222", "AGENT_MODE").ok());
  EXPECT_FALSE(k.OpenSession("222222222").has_value());
}

TEST_P(RouterTest, CustomerMessagesJoinTheSessionAndSlideExpiry) {
  ASSERT_TRUE(h.Button(kAnna, "AGENT_MODE").ok());
  const TimePoint opened = h.clock.Now();
  h.clock.Advance(hours(3));
  ASSERT_TRUE(h.Text(kAnna, "still there?").ok());
  auto s = h.OpenSession(kAnna);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->expires_at, opened + hours(3) + hours(22));

  // A late, out-of-order message (sent before the last one) never shortens expiry.
  whatsapp::SimulatedMessage late;
  late.from = kAnna;
  late.timestamp = ToUnixMillis(opened + hours(1)) / 1000;
  late.text = "delayed";
  ASSERT_TRUE(h.Deliver(whatsapp::BuildMessageWebhook(late)).ok());
  EXPECT_EQ(h.OpenSession(kAnna)->expires_at, opened + hours(25));

  auto msgs = h.Messages(s->id);
  EXPECT_EQ(msgs.back().content, "delayed");
  EXPECT_EQ(msgs.back().sender_type, SenderType::kCustomer);
}

TEST_P(RouterTest, ReactionsJoinButNeverExtendExpiry) {
  ASSERT_TRUE(h.Button(kAnna, "AGENT_MODE").ok());
  const TimePoint before = h.OpenSession(kAnna)->expires_at;
  // 12_reaction.json is stamped 1767261760, later than the session's start.
  h.clock.Set(FromUnixSeconds(1767261000));
  ASSERT_TRUE(h.Button("999999999", "AGENT_MODE").ok());
  auto r = h.Deliver(ReadFixture("12_reaction.json"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->messages_stored, 1);
  EXPECT_EQ(r->bot_replies, 0);
  EXPECT_EQ(h.OpenSession(kAnna)->expires_at, before);
}

TEST_P(RouterTest, EndKeywordEndsTheSessionAndTellsTheCustomer) {
  ASSERT_TRUE(h.Button(kAnna, "AGENT_MODE").ok());
  const int64_t id = h.OpenSession(kAnna)->id;
  h.TakeOutbox();
  auto r = h.Text(kAnna, "  End Chat ");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->sessions_ended, 1);
  auto s = h.store->GetSession(id);
  ASSERT_TRUE(s.ok() && s->has_value());
  EXPECT_EQ((*s)->status, SessionStatus::kEnded);
  EXPECT_EQ((*s)->end_reason, EndReason::kCustomer);
  auto out = h.TakeOutbox();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(Payload(out[0])["text"], "This chat has ended.");
  // The next text goes to the bot again.
  auto next = h.Text(kAnna, "hello again");
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->bot_replies, 1);
}

TEST_P(RouterTest, AssignReplyAndTheLostRace) {
  Agent ana = h.AddAgent("Ana");
  Agent bo = h.AddAgent("Bo");
  ASSERT_TRUE(h.Button(kAnna, "AGENT_MODE").ok());
  const int64_t id = h.OpenSession(kAnna)->id;
  h.TakeOutbox();

  auto won = h.sessions->Assign(id, ana, std::nullopt);
  ASSERT_TRUE(won.ok()) << won.status().ToString();
  EXPECT_EQ(won->status, SessionStatus::kActive);
  EXPECT_EQ(won->agent_name, "Ana");
  auto lost = h.sessions->Assign(id, bo, std::nullopt);
  EXPECT_EQ(lost.status().code(), ErrorCode::kConflict);
  EXPECT_NE(lost.status().message().find("taken by Ana"), std::string::npos);
  EXPECT_EQ(h.sessions->Assign(id, bo, ana.id).status().code(), ErrorCode::kForbidden);

  auto out = h.TakeOutbox();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(Payload(out[0])["text"], "You are now chatting with Ana.");

  auto reply = h.sessions->Reply(id, ana, "Hallo Anna, wie kann ich helfen?");
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->delivery_status, DeliveryStatus::kQueued);
  EXPECT_EQ(reply->sender_type, SenderType::kAgent);
  EXPECT_EQ(reply->sender_id, std::to_string(ana.id));
  EXPECT_EQ(h.sessions->Reply(id, bo, "me too").status().code(), ErrorCode::kConflict);
  EXPECT_EQ(h.sessions->Reply(id, ana, "   ").status().code(), ErrorCode::kBadRequest);
  EXPECT_EQ(h.sessions->Reply(id, ana, std::string(4097, 'a')).status().code(),
            ErrorCode::kBadRequest);
  EXPECT_TRUE(h.sessions->Reply(id, ana, std::string(4096, 'a')).ok());

  // A supervisor's plain Accept loses like anyone's; naming the agent transfers the session.
  Agent sup = h.AddAgent("Sue", Role::kSupervisor);
  EXPECT_EQ(h.sessions->Assign(id, sup, std::nullopt).status().code(), ErrorCode::kConflict);
  auto moved = h.sessions->Assign(id, sup, bo.id);
  ASSERT_TRUE(moved.ok()) << moved.status().ToString();
  EXPECT_EQ(moved->agent_id, bo.id);

  EXPECT_EQ(h.sessions->End(id, ana).status().code(), ErrorCode::kForbidden);
  auto ended = h.sessions->End(id, bo);
  ASSERT_TRUE(ended.ok());
  EXPECT_EQ(ended->end_reason, EndReason::kAgent);
  EXPECT_EQ(h.sessions->End(id, sup).status().code(), ErrorCode::kConflict);
}

TEST_P(RouterTest, StartFromDashboardSendsNothing) {
  Agent sup = h.AddAgent("Sue", Role::kSupervisor);
  auto s = h.sessions->Start("4915112345678", sup);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->status, SessionStatus::kWaiting);
  EXPECT_EQ(s->expires_at, h.clock.Now() + hours(22));
  EXPECT_TRUE(h.TakeOutbox().empty());
  EXPECT_EQ(h.sessions->Start("4915112345678", sup).status().code(), ErrorCode::kConflict);
  EXPECT_EQ(h.sessions->Start("12345", sup).status().code(), ErrorCode::kBadRequest);
  EXPECT_EQ(h.sessions->Start("49151x2345678", sup).status().code(), ErrorCode::kBadRequest);
}

TEST_P(RouterTest, StatusesApplyMonotonicallyAndFailuresKeepMetasError) {
  Agent ana = h.AddAgent("Ana");
  ASSERT_TRUE(h.Button(kAnna, "AGENT_MODE").ok());
  const int64_t id = h.OpenSession(kAnna)->id;
  ASSERT_TRUE(h.sessions->Assign(id, ana, std::nullopt).ok());
  h.TakeOutbox();
  auto reply = h.sessions->Reply(id, ana, "Ihre Bestellung ist unterwegs.");
  ASSERT_TRUE(reply.ok());
  auto out = h.TakeOutbox();
  ASSERT_EQ(out.size(), 1u);
  const std::string wamid = "wamid.HBgNNDkxNTExMjM0NTY3OBUCABEYEjAwREFGNTFBNDE2NEEyNjhDNQA=";
  ASSERT_TRUE(h.store->CompleteOutbox(out[0], wamid).ok());

  // read arrives before delivered (22_two_changes carries a read status for this wamid).
  auto r = h.Deliver(ReadFixture("22_two_changes_message_and_status.json"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->messages_stored, 1);
  EXPECT_EQ(r->statuses_applied, 1);
  ASSERT_TRUE(h.Deliver(whatsapp::BuildStatusWebhook("123456789012345", wamid, "delivered", kAnna,
                                                     1767261900))
                  .ok());
  auto m = h.store->GetMessage(reply->id);
  ASSERT_TRUE(m.ok() && m->has_value());
  EXPECT_EQ((*m)->delivery_status, DeliveryStatus::kRead);
  EXPECT_EQ((*m)->channel_message_id, wamid);

  // A second reply fails asynchronously with 131047 (27_status_failed_131047's wamid).
  auto late = h.sessions->Reply(id, ana, "Noch da?");
  ASSERT_TRUE(late.ok());
  auto out2 = h.TakeOutbox();
  ASSERT_EQ(out2.size(), 1u);
  ASSERT_TRUE(h.store
                  ->CompleteOutbox(out2[0],
                                   "wamid.HBgNNDkxNTExMjM0NTY3OBUCABEYEjJDMkMzQTkzRjE1REZFQTZGMwA=")
                  .ok());
  ASSERT_TRUE(h.Deliver(ReadFixture("27_status_failed_131047.json")).ok());
  auto failed = h.store->GetMessage(late->id);
  ASSERT_TRUE(failed.ok() && failed->has_value());
  EXPECT_EQ((*failed)->delivery_status, DeliveryStatus::kFailed);
  ASSERT_TRUE((*failed)->error.has_value());
  EXPECT_EQ((*failed)->error->code, 131047);
  EXPECT_EQ((*failed)->error->title, "Re-engagement message");
  // Redelivered status: acknowledged, no effect.
  auto dup = h.Deliver(ReadFixture("27_status_failed_131047.json"));
  ASSERT_TRUE(dup.ok());
  EXPECT_EQ(dup->duplicates, 1);
}

// Bug: a status for a wamid not stored yet was recorded as processed, so Meta's redelivery
// (after the send completed) was dropped as a duplicate.
TEST_P(RouterTest, AStatusThatCameTooEarlyAppliesWhenRedelivered) {
  Agent ana = h.AddAgent("Ana");
  ASSERT_TRUE(h.Button(kAnna, "AGENT_MODE").ok());
  const int64_t id = h.OpenSession(kAnna)->id;
  ASSERT_TRUE(h.sessions->Assign(id, ana, std::nullopt).ok());
  h.TakeOutbox();
  auto reply = h.sessions->Reply(id, ana, "early bird");
  ASSERT_TRUE(reply.ok());
  const std::string status = whatsapp::BuildStatusWebhook("123456789012345", "wamid.EARLY",
                                                          "delivered", kAnna, 1767261700);
  ASSERT_TRUE(h.Deliver(status).ok());  // the send has not stored its wamid yet
  auto out = h.TakeOutbox();
  ASSERT_EQ(out.size(), 1u);
  ASSERT_TRUE(h.store->CompleteOutbox(out[0], "wamid.EARLY").ok());
  auto again = h.Deliver(status);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->statuses_applied, 1);
  EXPECT_EQ((*h.store->GetMessage(reply->id))->delivery_status, DeliveryStatus::kDelivered);
}

TEST_P(RouterTest, EveryFixtureIsAcceptedAndNothingIsDropped) {
  ASSERT_TRUE(h.Button(kAnna, "AGENT_MODE").ok());
  int stored = 0;
  for (const char* f :
       {"06_image_with_caption.json", "07_document.json", "08_audio_voice.json", "09_video.json",
        "10_location_venue.json", "11_location_bare_pin.json", "14_sticker.json",
        "15_contacts.json", "16_unsupported_with_errors.json", "17_text_reply_with_context.json",
        "20_two_messages_one_change.json", "23_status_sent.json", "24_status_delivered.json",
        "25_status_read.json", "28_status_failed_131026.json", "33_text_unicode_emoji_rtl.json"}) {
    auto r = h.Deliver(ReadFixture(f));
    ASSERT_TRUE(r.ok()) << f << ": " << r.status().ToString();
    stored += r->messages_stored;
  }
  EXPECT_EQ(stored, 13);  // ten single messages, two in file 20, and Layla's text in 33
  auto msgs = h.Messages(h.OpenSession(kAnna)->id);
  std::vector<std::string> types;
  for (const auto& m : msgs) {
    if (m.sender_type == SenderType::kCustomer) types.push_back(m.type);
  }
  EXPECT_NE(std::find(types.begin(), types.end(), "unsupported"), types.end());
  EXPECT_NE(std::find(types.begin(), types.end(), "location"), types.end());
  EXPECT_NE(std::find(types.begin(), types.end(), "contacts"), types.end());
}

TEST_P(RouterTest, BotForwardingQueuesTheOriginalBody) {
  RouterOptions o = RouterHarness::DefaultRouterOptions();
  o.bot_forward_url = "http://127.0.0.1:9/bot";
  RouterHarness f(GetParam(), o);
  const std::string body = ReadFixture("01_text.json");
  auto r = f.Deliver(body);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->bot_replies, 0);
  auto out = f.TakeOutbox();
  ASSERT_EQ(out.size(), 1u);
  auto p = Payload(out[0]);
  EXPECT_EQ(p["kind"], "forward");
  EXPECT_EQ(p["url"], "http://127.0.0.1:9/bot");
  EXPECT_EQ(p["body"], body);
}

INSTANTIATE_TEST_SUITE_P(Db, RouterTest, ::testing::ValuesIn(TestDialects()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace handoffd::testing
