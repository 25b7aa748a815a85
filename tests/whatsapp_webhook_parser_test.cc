// The WhatsApp webhook parser: each kind of customer message, from the fixtures and by hand.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "channels/whatsapp/webhook_parser.h"
#include "support/webhook_parser_helpers.h"

namespace handoffd::whatsapp {
namespace {

using namespace parser_test;  // NOLINT(google-build-using-namespace): the fixtures' helpers
using nlohmann::json;

// ---- Fixtures ----------------------------------------------------------------------------

TEST(WhatsappWebhookParserTest, Fixture01Text) {
  InboundMessage m = OnlyMessage("01_text.json");
  ExpectFromAnna(m);
  EXPECT_EQ(m.channel_message_id,
            "wamid.HBgNNDkxNTExMjM0NTY3OBUCABIYFDc5Njc5MEFERENGOEQxREMwOTE1AA==");
  EXPECT_EQ(m.sent_at, FromUnixSeconds(1767261600));
  EXPECT_EQ(m.type, "text");
  EXPECT_EQ(m.content, "Hallo, ich habe eine Frage zu meiner Bestellung.");
  EXPECT_EQ(m.text, m.content);
  EXPECT_EQ(m.reply_id, "");
  EXPECT_TRUE(m.extends_window);
  EXPECT_TRUE(m.bot_answers);
  EXPECT_EQ(Meta(m), json::object());
}

TEST(WhatsappWebhookParserTest, Fixture02ButtonReplyAgentMode) {
  InboundMessage m = OnlyMessage("02_interactive_button_reply_agent_mode.json");
  ExpectFromAnna(m);
  EXPECT_EQ(m.channel_message_id,
            "wamid.HBgNNDkxNTExMjM0NTY3OBUCABIYFDA5QkNFNDE4ODcwRDI3OEI5MDYyAA==");
  EXPECT_EQ(m.sent_at, FromUnixSeconds(1767261660));
  EXPECT_EQ(m.type, "interactive");
  EXPECT_EQ(m.reply_id, "AGENT_MODE");
  EXPECT_EQ(m.content, "Talk to an agent");
  EXPECT_EQ(m.text, "");
  EXPECT_TRUE(m.extends_window);
  EXPECT_TRUE(m.bot_answers);
  json meta = Meta(m);
  EXPECT_EQ(meta["interactive_type"], "button_reply");
  EXPECT_EQ(meta["id"], "AGENT_MODE");
  EXPECT_EQ(meta["context"]["from"], "15550001111");
  EXPECT_EQ(meta["context"]["id"],
            "wamid.HBgNNDkxNTExMjM0NTY3OBUCABEYEjEwOTAzMUMwNTMxODg0OEJBNwA=");
}

TEST(WhatsappWebhookParserTest, Fixture03ButtonReplyOther) {
  InboundMessage m = OnlyMessage("03_interactive_button_reply_other.json");
  ExpectFromAnna(m);
  EXPECT_EQ(m.channel_message_id,
            "wamid.HBgNNDkxNTExMjM0NTY3OBUCABIYFDYyMjExQzE1N0FBOTYyM0Q5NkYwAA==");
  EXPECT_EQ(m.type, "interactive");
  EXPECT_EQ(m.reply_id, "ORDER_STATUS");
  EXPECT_EQ(m.content, "Order status");
  EXPECT_TRUE(m.bot_answers);
}

TEST(WhatsappWebhookParserTest, Fixture06ImageWithCaption) {
  InboundMessage m = OnlyMessage("06_image_with_caption.json");
  ExpectFromAnna(m);
  EXPECT_EQ(m.channel_message_id,
            "wamid.HBgNNDkxNTExMjM0NTY3OBUCABIYFDcxMDNCNDU2OUNGQzE1OTNGNTM4AA==");
  EXPECT_EQ(m.sent_at, FromUnixSeconds(1767261720));
  EXPECT_EQ(m.type, "image");
  EXPECT_EQ(m.content, U8(u8"Das Paket kam besch\u00e4digt an"));
  EXPECT_EQ(m.text, "");
  EXPECT_TRUE(m.extends_window);
  EXPECT_FALSE(m.bot_answers);
  json meta = Meta(m);
  EXPECT_EQ(meta["id"], "4353307371641654");
  EXPECT_EQ(meta["mime_type"], "image/jpeg");  // "\/" decoded
  EXPECT_EQ(meta["sha256"], "lM8GQ/6+cQZ7Y/ihbTSX6rb/01oNfp3zMWP5lJqSuXw=");
  EXPECT_EQ(meta["caption"], U8(u8"Das Paket kam besch\u00e4digt an"));
  EXPECT_EQ(meta["url"],
            "https://lookaside.fbsbx.com/whatsapp_business/attachments/"
            "?mid=4353307371641654&ext=1767265200&hash=ATu9x2Kq7LmZpR4sWv");
}

TEST(WhatsappWebhookParserTest, Fixture07Document) {
  InboundMessage m = OnlyMessage("07_document.json");
  ExpectFromAnna(m);
  EXPECT_EQ(m.type, "document");
  EXPECT_EQ(m.content, "Rechnung Januar");
  json meta = Meta(m);
  EXPECT_EQ(meta["id"], "5495034276083123");
  EXPECT_EQ(meta["filename"], "Rechnung_2026-01 (Kopie).pdf");
  EXPECT_EQ(meta["mime_type"], "application/pdf");
  EXPECT_EQ(meta["sha256"], "4jWtrGcPUOfnLBIXqGlSv8iai1XssX7uHsdJ9rSn4WE=");
  EXPECT_FALSE(meta.contains("url"));
}

TEST(WhatsappWebhookParserTest, Fixture08VoiceNote) {
  InboundMessage m = OnlyMessage("08_audio_voice.json");
  ExpectFromAnna(m);
  EXPECT_EQ(m.type, "audio");
  EXPECT_EQ(m.content, "");
  json meta = Meta(m);
  EXPECT_EQ(meta["id"], "7697531852079338");
  EXPECT_EQ(meta["mime_type"], "audio/ogg; codecs=opus");
  EXPECT_EQ(meta["voice"], true);
  EXPECT_FALSE(meta.contains("caption"));
}

TEST(WhatsappWebhookParserTest, Fixture09Video) {
  InboundMessage m = OnlyMessage("09_video.json");
  ExpectFromAnna(m);
  EXPECT_EQ(m.type, "video");
  EXPECT_EQ(m.content, "So sieht es aus");
  json meta = Meta(m);
  EXPECT_EQ(meta["id"], "4934346109569153");
  EXPECT_EQ(meta["mime_type"], "video/mp4");
  EXPECT_EQ(meta["sha256"], "kpitt6ypB6bLM3hqBpOaHH8CbWrE0aoJLJu43u8NpYY=");
}

TEST(WhatsappWebhookParserTest, Fixture10LocationVenue) {
  InboundMessage m = OnlyMessage("10_location_venue.json");
  ExpectFromAnna(m);
  EXPECT_EQ(m.type, "location");
  EXPECT_EQ(m.content, "Alexanderplatz");
  json meta = Meta(m);
  ASSERT_TRUE(meta["latitude"].is_number());
  EXPECT_DOUBLE_EQ(meta["latitude"].get<double>(), 52.520008);
  EXPECT_DOUBLE_EQ(meta["longitude"].get<double>(), 13.404954);
  EXPECT_EQ(meta["name"], "Alexanderplatz");
  EXPECT_EQ(meta["address"], "Alexanderplatz, 10178 Berlin, Germany");
  EXPECT_EQ(meta["url"], "https://maps.example.com/?q=52.520008,13.404954");
}

TEST(WhatsappWebhookParserTest, Fixture11LocationBarePin) {
  InboundMessage m = OnlyMessage("11_location_bare_pin.json");
  ExpectFromAnna(m);
  EXPECT_EQ(m.type, "location");
  EXPECT_EQ(m.content, "Location");
  json meta = Meta(m);
  EXPECT_DOUBLE_EQ(meta["latitude"].get<double>(), -23.55052);
  EXPECT_DOUBLE_EQ(meta["longitude"].get<double>(), -46.633308);
  EXPECT_FALSE(meta.contains("name"));
  EXPECT_FALSE(meta.contains("address"));
}

TEST(WhatsappWebhookParserTest, Fixture12ReactionDoesNotExtendWindow) {
  InboundMessage m = OnlyMessage("12_reaction.json");
  ExpectFromAnna(m);
  EXPECT_EQ(m.type, "reaction");
  EXPECT_EQ(m.content, U8(u8"\U0001F44D"));
  EXPECT_EQ(m.content, "\xF0\x9F\x91\x8D");
  EXPECT_FALSE(m.extends_window);
  EXPECT_FALSE(m.bot_answers);
  json meta = Meta(m);
  EXPECT_EQ(meta["message_id"], kAgentReplyWamid);
  EXPECT_EQ(meta["emoji"], "\xF0\x9F\x91\x8D");
  EXPECT_FALSE(meta.contains("removed"));
}

TEST(WhatsappWebhookParserTest, Fixture14Sticker) {
  InboundMessage m = OnlyMessage("14_sticker.json");
  ExpectFromAnna(m);
  EXPECT_EQ(m.type, "sticker");
  EXPECT_EQ(m.content, "");
  json meta = Meta(m);
  EXPECT_EQ(meta["id"], "9363194330438869");
  EXPECT_EQ(meta["mime_type"], "image/webp");
  EXPECT_EQ(meta["animated"], false);
}

TEST(WhatsappWebhookParserTest, Fixture15Contacts) {
  InboundMessage m = OnlyMessage("15_contacts.json");
  ExpectFromAnna(m);  // the sender's contacts[] entry, not the shared card
  EXPECT_EQ(m.type, "contacts");
  EXPECT_EQ(m.content, "Max Mustermann");
  json meta = Meta(m);
  ASSERT_TRUE(meta["contacts"].is_array());
  ASSERT_EQ(meta["contacts"].size(), 1u);
  const json& card = meta["contacts"][0];
  EXPECT_EQ(card["phones"].size(), 2u);
  EXPECT_EQ(card["phones"][0]["wa_id"], "4915198765432");
  EXPECT_FALSE(card["phones"][1].contains("wa_id"));
  EXPECT_EQ(card["emails"][0]["email"], "max@example.com");  // "\u0040" decoded
  EXPECT_EQ(card["org"]["company"], "Example GmbH");
}

TEST(WhatsappWebhookParserTest, Fixture16Unsupported) {
  InboundMessage m = OnlyMessage("16_unsupported_with_errors.json");
  ExpectFromAnna(m);
  EXPECT_EQ(m.type, "unsupported");
  EXPECT_EQ(m.content, "[unsupported: poll_creation]");
  EXPECT_TRUE(m.extends_window);  // customer activity
  EXPECT_FALSE(m.bot_answers);
  json meta = Meta(m);
  EXPECT_EQ(meta["unsupported_type"], "poll_creation");
  EXPECT_FALSE(meta.contains("wa_type"));
  ASSERT_EQ(meta["errors"].size(), 1u);
  EXPECT_EQ(meta["errors"][0]["code"], 131051);
  EXPECT_EQ(meta["errors"][0]["title"], "Message type unknown");
  EXPECT_EQ(meta["errors"][0]["details"], "Message type is currently not supported.");
}

TEST(WhatsappWebhookParserTest, Fixture17TextReplyWithContext) {
  InboundMessage m = OnlyMessage("17_text_reply_with_context.json");
  ExpectFromAnna(m);
  EXPECT_EQ(m.type, "text");
  EXPECT_EQ(m.text, "Danke, das hat geholfen!");
  json meta = Meta(m);
  EXPECT_EQ(meta["context"]["from"], "15550001111");
  EXPECT_EQ(meta["context"]["id"], kAgentReplyWamid);
}

TEST(WhatsappWebhookParserTest, Fixture20TwoMessagesInOrder) {
  InboundBatch b = ParseFixture("20_two_messages_one_change.json");
  ASSERT_EQ(b.messages.size(), 2u);
  EXPECT_TRUE(b.statuses.empty());
  EXPECT_TRUE(b.ignored.empty());
  ExpectFromAnna(b.messages[0]);
  ExpectFromAnna(b.messages[1]);
  EXPECT_EQ(b.messages[0].channel_message_id,
            "wamid.HBgNNDkxNTExMjM0NTY3OBUCABIYFEE2OTA1RUMzMTU0QTNFQzNGOThEAA==");
  EXPECT_EQ(b.messages[0].type, "text");
  EXPECT_EQ(b.messages[0].text, "Hier ist ein Foto vom Etikett:");
  EXPECT_EQ(b.messages[0].sent_at, FromUnixSeconds(1767261900));
  EXPECT_EQ(b.messages[1].channel_message_id,
            "wamid.HBgNNDkxNTExMjM0NTY3OBUCABIYFDI5MkVENzU4NDI1MjJFNEYwNkFCAA==");
  EXPECT_EQ(b.messages[1].type, "image");
  EXPECT_EQ(b.messages[1].content, "");
  EXPECT_EQ(Meta(b.messages[1])["id"], "1792346482726868");
  EXPECT_EQ(b.messages[1].sent_at, FromUnixSeconds(1767261901));
}

// ---- Hand-written cases ------------------------------------------------------------------

TEST(WhatsappWebhookParserTest, BsuidOnlyCustomerWithEmptyWaId) {
  std::string body = Wrap(
      R"([{"from":"","from_user_id":"US.13491208655302741918","id":"wamid.B1","timestamp":"1767261600","type":"text","text":{"body":"hi"}}])",
      R"([{"profile":{"name":"Bea","username":"@bea"},"wa_id":"","user_id":"US.13491208655302741918"}])");
  InboundBatch b = ParseOk(body);
  ASSERT_EQ(b.messages.size(), 1u);
  EXPECT_EQ(b.messages[0].customer.key, "US.13491208655302741918");
  EXPECT_EQ(b.messages[0].customer.wa_id, "");
  EXPECT_EQ(b.messages[0].customer.user_id, "US.13491208655302741918");
  EXPECT_EQ(b.messages[0].customer.name, "Bea");
}

TEST(WhatsappWebhookParserTest, BsuidOnlyCustomerWithAbsentWaId) {
  std::string body = Wrap(
      R"([{"from_user_id":"IN.2081978709342942","id":"wamid.B2","timestamp":"1767261600","type":"text","text":{"body":"hi"}}])",
      R"([{"profile":{"name":"Ravi"},"user_id":"IN.2081978709342942"}])");
  InboundBatch b = ParseOk(body);
  ASSERT_EQ(b.messages.size(), 1u);
  EXPECT_EQ(b.messages[0].customer.key, "IN.2081978709342942");
  EXPECT_EQ(b.messages[0].customer.wa_id, "");
  EXPECT_EQ(b.messages[0].customer.name, "Ravi");
}

TEST(WhatsappWebhookParserTest, PhoneAndBsuidBothKnownKeysOnWaId) {
  std::string body = Wrap(
      R"([{"from":"4915112345678","from_user_id":"US.1","id":"wamid.B3","timestamp":"1767261600","type":"text","text":{"body":"hi"}}])",
      R"([{"profile":{"name":"Anna"},"wa_id":"4915112345678","user_id":"US.1"}])");
  InboundBatch b = ParseOk(body);
  ASSERT_EQ(b.messages.size(), 1u);
  EXPECT_EQ(b.messages[0].customer.key, "4915112345678");
  EXPECT_EQ(b.messages[0].customer.user_id, "US.1");
}

TEST(WhatsappWebhookParserTest, ContactsMatchedByIdNotByIndex) {
  std::string body = Wrap(
      R"([{"from":"111","id":"wamid.C1","timestamp":"1767261600","type":"text","text":{"body":"a"}},)"
      R"({"from":"222","id":"wamid.C2","timestamp":"1767261601","type":"text","text":{"body":"b"}},)"
      R"({"from":"333","id":"wamid.C3","timestamp":"1767261602","type":"text","text":{"body":"c"}}])",
      R"([{"profile":{"name":"Two"},"wa_id":"222"},{"profile":{"name":"One"},"wa_id":"111"}])");
  InboundBatch b = ParseOk(body);
  ASSERT_EQ(b.messages.size(), 3u);
  EXPECT_EQ(b.messages[0].customer.name, "One");
  EXPECT_EQ(b.messages[1].customer.name, "Two");
  EXPECT_EQ(b.messages[2].customer.key, "333");
  EXPECT_EQ(b.messages[2].customer.name, "");  // no contact entry: no name, still accepted
}

TEST(WhatsappWebhookParserTest, TemplateQuickReplyButtonPayload) {
  std::string body = Wrap(
      R"([{"context":{"from":"15550001111","id":"wamid.TPL"},"from":"4915112345678","id":"wamid.BTN","timestamp":"1767261600","type":"button","button":{"payload":"AGENT_MODE","text":"Talk to an agent"}}])",
      kAnnaContact);
  InboundBatch b = ParseOk(body);
  ASSERT_EQ(b.messages.size(), 1u);
  const InboundMessage& m = b.messages[0];
  EXPECT_EQ(m.type, "button");
  EXPECT_EQ(m.reply_id, "AGENT_MODE");
  EXPECT_EQ(m.content, "Talk to an agent");
  EXPECT_TRUE(m.bot_answers);
  EXPECT_TRUE(m.extends_window);
  EXPECT_EQ(Meta(m)["payload"], "AGENT_MODE");
  EXPECT_EQ(Meta(m)["context"]["id"], "wamid.TPL");
}

TEST(WhatsappWebhookParserTest, ListReply) {
  std::string body = Wrap(
      R"([{"from":"4915112345678","id":"wamid.L1","timestamp":"1767261600","type":"interactive","interactive":{"type":"list_reply","list_reply":{"id":"AGENT_MODE","title":"Agent","description":"Talk to a human"}}}])",
      kAnnaContact);
  InboundBatch b = ParseOk(body);
  ASSERT_EQ(b.messages.size(), 1u);
  const InboundMessage& m = b.messages[0];
  EXPECT_EQ(m.type, "interactive");
  EXPECT_EQ(m.reply_id, "AGENT_MODE");
  EXPECT_EQ(m.content, "Agent");
  json meta = Meta(m);
  EXPECT_EQ(meta["interactive_type"], "list_reply");
  EXPECT_EQ(meta["description"], "Talk to a human");
}

TEST(WhatsappWebhookParserTest, FlowReply) {
  std::string body = Wrap(
      R"([{"from":"4915112345678","id":"wamid.F1","timestamp":"1767261600","type":"interactive","interactive":{"type":"nfm_reply","nfm_reply":{"name":"flow","body":"Sent","response_json":"{\"a\":1}"}}}])",
      kAnnaContact);
  InboundBatch b = ParseOk(body);
  ASSERT_EQ(b.messages.size(), 1u);
  EXPECT_EQ(b.messages[0].type, "interactive");
  EXPECT_EQ(b.messages[0].content, "[form reply]");
  EXPECT_EQ(b.messages[0].reply_id, "");
  EXPECT_EQ(Meta(b.messages[0])["response_json"], "{\"a\":1}");
}

TEST(WhatsappWebhookParserTest, UnknownTypeOrderBecomesUnsupported) {
  std::string body = Wrap(
      R"([{"from":"4915112345678","id":"wamid.O1","timestamp":"1767261600","type":"order","order":{"catalog_id":"42","product_items":[{"product_retailer_id":"sku1","quantity":"1"}]}}])",
      kAnnaContact);
  InboundBatch b = ParseOk(body);
  ASSERT_EQ(b.messages.size(), 1u);
  const InboundMessage& m = b.messages[0];
  EXPECT_EQ(m.type, "unsupported");
  EXPECT_EQ(m.content, "[unsupported: order]");
  EXPECT_FALSE(m.bot_answers);
  json meta = Meta(m);
  EXPECT_EQ(meta["wa_type"], "order");
  EXPECT_EQ(meta["wa_payload"]["catalog_id"], "42");
}

TEST(WhatsappWebhookParserTest, EditAndRevokeBecomeUnsupported) {
  std::string body = Wrap(
      R"([{"from":"4915112345678","id":"wamid.E1","timestamp":"1767261600","type":"edit","edit":{"original_message_id":"wamid.X","message":{"type":"text","text":{"body":"fixed"}}}},)"
      R"({"from":"4915112345678","id":"wamid.R1","timestamp":"1767261601","type":"revoke","revoke":{"original_message_id":"wamid.X"}}])",
      kAnnaContact);
  InboundBatch b = ParseOk(body);
  ASSERT_EQ(b.messages.size(), 2u);
  EXPECT_EQ(b.messages[0].type, "unsupported");
  EXPECT_EQ(Meta(b.messages[0])["wa_type"], "edit");
  EXPECT_EQ(b.messages[1].type, "unsupported");
  EXPECT_EQ(Meta(b.messages[1])["wa_type"], "revoke");
}

TEST(WhatsappWebhookParserTest, ReactionRemovalWithoutEmoji) {
  std::string body = Wrap(
      R"([{"from":"4915112345678","id":"wamid.RR","timestamp":"1767261600","type":"reaction","reaction":{"message_id":"wamid.OUT"}}])",
      kAnnaContact);
  InboundBatch b = ParseOk(body);
  ASSERT_EQ(b.messages.size(), 1u);
  const InboundMessage& m = b.messages[0];
  EXPECT_EQ(m.type, "reaction");
  EXPECT_FALSE(m.extends_window);
  json meta = Meta(m);
  EXPECT_EQ(meta["message_id"], "wamid.OUT");
  EXPECT_EQ(meta["removed"], true);
  EXPECT_FALSE(meta.contains("emoji"));
}

TEST(WhatsappWebhookParserTest, SystemMessageDoesNotExtendWindow) {
  // No contacts[] for system messages; `from` is the old number.
  std::string body = Wrap(
      R"([{"from":"4915112345678","id":"wamid.S1","timestamp":"1767261600","type":"system","system":{"body":"User A changed from 4915112345678 to 4915199999999","wa_id":"4915199999999","type":"user_changed_number"}}])");
  InboundBatch b = ParseOk(body);
  ASSERT_EQ(b.messages.size(), 1u);
  const InboundMessage& m = b.messages[0];
  EXPECT_EQ(m.type, "system");
  EXPECT_EQ(m.customer.key, "4915112345678");
  EXPECT_EQ(m.content, "User A changed from 4915112345678 to 4915199999999");
  EXPECT_FALSE(m.extends_window);
  EXPECT_FALSE(m.bot_answers);
  EXPECT_EQ(Meta(m)["system_type"], "user_changed_number");
}

TEST(WhatsappWebhookParserTest, ForwardedContextAndMediaErrorsKept) {
  std::string body = Wrap(
      R"([{"context":{"forwarded":true},"from":"4915112345678","id":"wamid.M1","timestamp":"1767261600","type":"image","image":{"id":"9","mime_type":"image/jpeg"},"errors":[{"code":131052,"title":"Media download error","error_data":{"details":"Unable to download the media"}}]}])",
      kAnnaContact);
  InboundBatch b = ParseOk(body);
  ASSERT_EQ(b.messages.size(), 1u);
  json meta = Meta(b.messages[0]);
  EXPECT_EQ(meta["context"]["forwarded"], true);
  EXPECT_EQ(meta["errors"][0]["code"], 131052);
  EXPECT_EQ(meta["errors"][0]["title"], "Media download error");
}

}  // namespace
}  // namespace handoffd::whatsapp
