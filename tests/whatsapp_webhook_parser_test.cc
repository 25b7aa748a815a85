#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "channels/whatsapp/webhook_parser.h"

namespace handoffd::whatsapp {
namespace {

using nlohmann::json;

constexpr char kPhoneId[] = "123456789012345";
constexpr char kAnna[] = "4915112345678";
// The outbound agent reply that 12, 17, 22 and 23-25 refer to.
constexpr char kAgentReplyWamid[] =
    "wamid.HBgNNDkxNTExMjM0NTY3OBUCABEYEjAwREFGNTFBNDE2NEEyNjhDNQA=";

std::string U8(const char8_t* s) { return std::string(reinterpret_cast<const char*>(s)); }

std::string Fixture(const std::string& name) {
  std::ifstream in(std::string(HANDOFFD_FIXTURES_DIR) + "/" + name, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

InboundBatch ParseOk(const std::string& body, const ParseOptions& options = {}) {
  auto r = ParseWebhook(body, options);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(r).value() : InboundBatch{};
}

InboundBatch ParseFixture(const std::string& name) {
  std::string body = Fixture(name);
  EXPECT_FALSE(body.empty()) << name;
  return ParseOk(body);
}

// The one message of a single-message fixture, from Anna, on business number A.
InboundMessage OnlyMessage(const std::string& name) {
  InboundBatch b = ParseFixture(name);
  EXPECT_EQ(b.messages.size(), 1u) << name;
  EXPECT_TRUE(b.statuses.empty()) << name;
  EXPECT_TRUE(b.ignored.empty()) << name;
  if (b.messages.size() != 1) return {};
  return b.messages[0];
}

StatusUpdate OnlyStatus(const std::string& name) {
  InboundBatch b = ParseFixture(name);
  EXPECT_TRUE(b.messages.empty()) << name;
  EXPECT_EQ(b.statuses.size(), 1u) << name;
  EXPECT_TRUE(b.ignored.empty()) << name;
  if (b.statuses.size() != 1) return {};
  return b.statuses[0];
}

json Meta(const InboundMessage& m) { return json::parse(m.metadata); }

void ExpectFromAnna(const InboundMessage& m) {
  EXPECT_EQ(m.channel, "whatsapp");
  EXPECT_EQ(m.phone_number_id, kPhoneId);
  EXPECT_EQ(m.customer.key, kAnna);
  EXPECT_EQ(m.customer.wa_id, kAnna);
  EXPECT_EQ(m.customer.user_id, "");
  EXPECT_EQ(m.customer.name, "Anna Schmidt");
}

// A messages-field webhook for business number A around `messages` (and optional contacts).
std::string Wrap(const std::string& messages, const std::string& contacts = "",
                 const std::string& phone_number_id = kPhoneId) {
  std::string value =
      R"({"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550001111","phone_number_id":")" +
      phone_number_id + "\"}";
  if (!contacts.empty()) value += ",\"contacts\":" + contacts;
  value += ",\"messages\":" + messages + "}";
  return R"({"object":"whatsapp_business_account","entry":[{"id":"109876543210987","changes":[{"value":)" +
         value + R"(,"field":"messages"}]}]})";
}

constexpr char kAnnaContact[] = R"([{"profile":{"name":"Anna Schmidt"},"wa_id":"4915112345678"}])";

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

TEST(WhatsappWebhookParserTest, Fixture22MessageAndStatusInTwoChanges) {
  InboundBatch b = ParseFixture("22_two_changes_message_and_status.json");
  ASSERT_EQ(b.messages.size(), 1u);
  ASSERT_EQ(b.statuses.size(), 1u);
  EXPECT_TRUE(b.ignored.empty());
  ExpectFromAnna(b.messages[0]);
  EXPECT_EQ(b.messages[0].text, "Gelesen, danke.");
  EXPECT_EQ(b.messages[0].channel_message_id,
            "wamid.HBgNNDkxNTExMjM0NTY3OBUCABIYFDYxNkI4NkNCMjJFNUMzNDUwNDk5AA==");
  const StatusUpdate& s = b.statuses[0];
  EXPECT_EQ(s.channel_message_id, kAgentReplyWamid);
  EXPECT_EQ(s.status, DeliveryStatus::kRead);
  EXPECT_EQ(s.at, FromUnixSeconds(1767261918));
  EXPECT_EQ(s.phone_number_id, kPhoneId);
  EXPECT_FALSE(s.error.has_value());
}

TEST(WhatsappWebhookParserTest, Fixture23To25DeliveryStatuses) {
  StatusUpdate sent = OnlyStatus("23_status_sent.json");
  EXPECT_EQ(sent.channel, "whatsapp");
  EXPECT_EQ(sent.phone_number_id, kPhoneId);
  EXPECT_EQ(sent.channel_message_id, kAgentReplyWamid);
  EXPECT_EQ(sent.status, DeliveryStatus::kSent);
  EXPECT_EQ(sent.at, FromUnixSeconds(1767261700));
  EXPECT_FALSE(sent.error.has_value());

  StatusUpdate delivered = OnlyStatus("24_status_delivered.json");
  EXPECT_EQ(delivered.channel_message_id, kAgentReplyWamid);
  EXPECT_EQ(delivered.status, DeliveryStatus::kDelivered);
  EXPECT_EQ(delivered.at, FromUnixSeconds(1767261702));

  StatusUpdate read = OnlyStatus("25_status_read.json");
  EXPECT_EQ(read.channel_message_id, kAgentReplyWamid);
  EXPECT_EQ(read.status, DeliveryStatus::kRead);
  EXPECT_EQ(read.at, FromUnixSeconds(1767261710));
}

TEST(WhatsappWebhookParserTest, Fixture27Failed131047) {
  StatusUpdate s = OnlyStatus("27_status_failed_131047.json");
  EXPECT_EQ(s.channel_message_id, "wamid.HBgNNDkxNTExMjM0NTY3OBUCABEYEjJDMkMzQTkzRjE1REZFQTZGMwA=");
  EXPECT_EQ(s.status, DeliveryStatus::kFailed);
  EXPECT_EQ(s.at, FromUnixSeconds(1767351600));
  ASSERT_TRUE(s.error.has_value());
  EXPECT_EQ(s.error->code, 131047);
  EXPECT_EQ(s.error->title, "Re-engagement message");
}

TEST(WhatsappWebhookParserTest, Fixture28Failed131026) {
  StatusUpdate s = OnlyStatus("28_status_failed_131026.json");
  EXPECT_EQ(s.channel_message_id, "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYEkY5MzkxNkI0QURENjZDMkEyRgA=");
  EXPECT_EQ(s.status, DeliveryStatus::kFailed);
  EXPECT_EQ(s.at, FromUnixSeconds(1767262000));
  ASSERT_TRUE(s.error.has_value());
  EXPECT_EQ(s.error->code, 131026);
  EXPECT_EQ(s.error->title, "Message undeliverable");
}

TEST(WhatsappWebhookParserTest, Fixture33UnicodeDecodedToExactUtf8) {
  InboundMessage m = OnlyMessage("33_text_unicode_emoji_rtl.json");
  EXPECT_EQ(m.customer.key, "971501234567");
  EXPECT_EQ(m.customer.name, U8(u8"\u0644\u064A\u0644\u0649 \u062D\u062F\u0627\u062F"));
  EXPECT_EQ(m.channel_message_id, "wamid.HBgMOTcxNTAxMjM0NTY3FQIAEhgUQ0NBNjI3NUY5NUM5M0M3MjA2NjAA");
  EXPECT_EQ(m.type, "text");
  const std::string expected = U8(
      u8"Hallo \U0001F44B\U0001F3FD! \u0645\u0631\u062D\u0628\u0627\u060C \u0623\u062D\u062A\u0627"
      u8"\u062C \u0645\u0633\u0627\u0639\u062F\u0629 \u0641\u064A \u0627\u0644\u0637\u0644\u0628 "
      u8"\u0631\u0642\u0645 \u0661\u0662\u0663 \u05E9\u05DC\u05D5\u05DD, \u05D4\u05D6\u05DE\u05E0"
      u8"\u05D4 1234 \u05DC\u05D0 \u05D4\u05D2\u05D9\u05E2\u05D4. Family \U0001F468\u200D\U0001F469"
      u8"\u200D\U0001F467\u200D\U0001F466 flag \U0001F1E7\U0001F1F7 keycap 1\uFE0F\u20E3 cafe"
      u8"\u0301 na\u00EFve \u65E5\u672C\u8A9E\u306E\u30C6\u30AD\u30B9\u30C8 RLM[\u200F] RLO["
      u8"\u202Egnirts desrever\u202C] ZWSP[\u200B] \u2764\uFE0F");
  EXPECT_EQ(m.text, expected);
  EXPECT_EQ(m.content, expected);
  EXPECT_EQ(m.text.size(), 279u);  // bytes; 169 code points
  // The surrogate pair \ud83d\udc4b\ud83c\udffd is one 4-byte sequence each, not CESU-8.
  EXPECT_EQ(m.text.substr(6, 8), "\xF0\x9F\x91\x8B\xF0\x9F\x8F\xBD");
  // The RLO override survives as is (U+202E); isolating it is the UI's job.
  EXPECT_NE(m.text.find("\xE2\x80\xAE"), std::string::npos);
}

TEST(WhatsappWebhookParserTest, Fixture40DuplicateParsesToTheSameMessage) {
  InboundMessage a = OnlyMessage("01_text.json");
  InboundMessage b = OnlyMessage("40_duplicate_of_01_text.json");
  EXPECT_EQ(a.channel_message_id, b.channel_message_id);
  EXPECT_EQ(a.text, b.text);
  EXPECT_EQ(a.sent_at, b.sent_at);
  EXPECT_EQ(a.customer.key, b.customer.key);
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

TEST(WhatsappWebhookParserTest, NonMessagesFieldIgnored) {
  std::string body =
      R"({"object":"whatsapp_business_account","entry":[{"id":"109876543210987","time":1767261600,"changes":[{"value":{"event":"APPROVED","message_template_id":12345,"message_template_name":"menu","message_template_language":"en_US","reason":"NONE"},"field":"message_template_status_update"}]}]})";
  InboundBatch b = ParseOk(body);
  EXPECT_TRUE(b.messages.empty());
  EXPECT_TRUE(b.statuses.empty());
  ASSERT_EQ(b.ignored.size(), 1u);
  EXPECT_EQ(b.ignored[0].reason, "field message_template_status_update");
}

TEST(WhatsappWebhookParserTest, MessagesFieldWithoutMetadataIgnored) {
  std::string body =
      R"({"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"value":{"messages":[{"from":"1","id":"wamid.X","timestamp":"1","type":"text","text":{"body":"x"}}]},"field":"messages"}]}]})";
  InboundBatch b = ParseOk(body);
  EXPECT_TRUE(b.messages.empty());
  ASSERT_EQ(b.ignored.size(), 1u);
  EXPECT_NE(b.ignored[0].reason.find("phone_number_id"), std::string::npos);
}

TEST(WhatsappWebhookParserTest, PhoneNumberIdFilter) {
  std::string body = Fixture("01_text.json");
  ParseOptions other;
  other.phone_number_ids = {"999999999999999"};
  InboundBatch ignored = ParseOk(body, other);
  EXPECT_TRUE(ignored.messages.empty());
  ASSERT_EQ(ignored.ignored.size(), 1u);
  EXPECT_EQ(ignored.ignored[0].reason, "phone_number_id 123456789012345 not configured");

  ParseOptions ours;
  ours.phone_number_ids = {"999999999999999", kPhoneId};
  EXPECT_EQ(ParseOk(body, ours).messages.size(), 1u);
  EXPECT_EQ(ParseOk(body, ParseOptions{}).messages.size(), 1u);  // empty list: all numbers
}

TEST(WhatsappWebhookParserTest, StatusesForUnknownNumberIgnoredToo) {
  ParseOptions other;
  other.phone_number_ids = {"999999999999999"};
  InboundBatch b = ParseOk(Fixture("27_status_failed_131047.json"), other);
  EXPECT_TRUE(b.statuses.empty());
  EXPECT_EQ(b.ignored.size(), 1u);
}

TEST(WhatsappWebhookParserTest, NotJsonIsBadRequest) {
  for (const char* body : {"", "not json", "{\"object\":", "{\"a\":1} trailing"}) {
    auto r = ParseWebhook(body, {});
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.status().code(), ErrorCode::kBadRequest) << body;
  }
}

// Valid JSON is acknowledged (200) even when it is not an object: only non-JSON is a 400.
TEST(WhatsappWebhookParserTest, NonObjectJsonIsIgnoredNotRejected) {
  for (const char* body :
       {"[]", "[{\"object\":\"whatsapp_business_account\"}]", "42", "\"s\"", "null", "true"}) {
    auto r = ParseWebhook(body, {});
    ASSERT_TRUE(r.ok()) << body;
    EXPECT_TRUE(r->messages.empty()) << body;
    ASSERT_EQ(r->ignored.size(), 1u) << body;
    EXPECT_EQ(r->ignored[0].reason, "webhook body is not a JSON object");
  }
}

TEST(WhatsappWebhookParserTest, OtherObjectAndEmptyObjectAreIgnoredNotErrors) {
  InboundBatch page = ParseOk(R"({"object":"page","entry":[]})");
  EXPECT_TRUE(page.messages.empty());
  ASSERT_EQ(page.ignored.size(), 1u);
  EXPECT_EQ(page.ignored[0].reason, "object page");

  InboundBatch empty = ParseOk("{}");
  EXPECT_TRUE(empty.messages.empty());
  EXPECT_EQ(empty.ignored.size(), 1u);
}

TEST(WhatsappWebhookParserTest, GarbageItemsBecomeIgnoredAndGoodOnesSurvive) {
  std::string messages =
      R"([42,"str",null,[],)"
      R"({"from":"4915112345678","timestamp":"1767261600","type":"text","text":{"body":"no id"}},)"
      R"({"from":"4915112345678","id":"wamid.NOTYPE","timestamp":"1767261600"},)"
      R"({"from":"4915112345678","id":"wamid.BADTS","timestamp":"yesterday","type":"text","text":{"body":"x"}},)"
      R"({"from":"4915112345678","id":"wamid.NOTS","type":"text","text":{"body":"x"}},)"
      R"({"id":"wamid.NOSENDER","timestamp":"1767261600","type":"text","text":{"body":"x"}},)"
      R"({"from":12345,"id":"wamid.NUMFROM","timestamp":"1767261600","type":"text","text":{"body":"x"}},)"
      R"({"from":"4915112345678","id":"wamid.WRONGSHAPES","timestamp":1767261600,"type":"text","text":"not an object"},)"
      R"({"from":"4915112345678","id":"wamid.IMG","timestamp":"1767261600","type":"image","image":[1,2]},)"
      R"({"from":"4915112345678","id":"wamid.LOC","timestamp":"1767261600","type":"location","location":{"latitude":"x"}},)"
      R"({"from":"4915112345678","id":"wamid.GOOD","timestamp":"1767261600","type":"text","text":{"body":"ok"}}])";
  std::string statuses =
      R"([{"status":"read","timestamp":"1"},)"
      R"({"id":"wamid.P","status":"played","timestamp":"1767261600"},)"
      R"({"id":"wamid.U","status":"deleted","timestamp":"1767261600"},)"
      R"({"id":"wamid.F","status":"failed","timestamp":"1767261600"},)"
      R"({"id":"wamid.F2","status":"failed","timestamp":"1767261600","errors":[{"code":"131047"}]},)"
      R"(7])";
  std::string body =
      R"({"object":"whatsapp_business_account","entry":["x",{"changes":null},{"changes":[1,{"field":"messages"},{"field":"messages","value":{"metadata":{"phone_number_id":"123456789012345"},"contacts":"nope","messages":)" +
      messages + R"(,"statuses":)" + statuses +
      R"(,"errors":[{"code":130429,"title":"Rate limit hit"}]}}]}]})";
  auto r = ParseWebhook(body, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const InboundBatch& b = *r;

  ASSERT_EQ(b.messages.size(), 4u);
  EXPECT_EQ(b.messages[0].channel_message_id, "wamid.WRONGSHAPES");  // numeric timestamp accepted
  EXPECT_EQ(b.messages[0].content, "");
  EXPECT_EQ(b.messages[1].channel_message_id, "wamid.IMG");
  EXPECT_EQ(b.messages[2].channel_message_id, "wamid.LOC");
  EXPECT_EQ(b.messages[2].content, "Location");
  EXPECT_EQ(b.messages[3].channel_message_id, "wamid.GOOD");
  EXPECT_EQ(b.messages[3].text, "ok");

  ASSERT_EQ(b.statuses.size(), 2u);
  EXPECT_EQ(b.statuses[0].channel_message_id, "wamid.F");
  ASSERT_TRUE(b.statuses[0].error.has_value());
  EXPECT_EQ(b.statuses[0].error->code, 0);
  EXPECT_EQ(b.statuses[1].error->code, 131047);  // code given as a string

  // "x", changes:null, 1, field-only change, 4 non-objects, no id, no type, bad timestamp,
  // no timestamp, no sender, numeric from, status without id, played, deleted, 7, value error.
  EXPECT_EQ(b.ignored.size(), 19u);
  bool saw_played = false;
  bool saw_rate_limit = false;
  for (const auto& i : b.ignored) {
    if (i.reason == "status played of wamid.P") saw_played = true;
    if (i.reason == "error 130429 Rate limit hit") saw_rate_limit = true;
  }
  EXPECT_TRUE(saw_played);
  EXPECT_TRUE(saw_rate_limit);
}

TEST(WhatsappWebhookParserTest, LoneSurrogatesBecomeReplacementCharacters) {
  // Regression: a text cut inside a surrogate pair made the whole POST a 400, which Meta
  // would redeliver for days.
  std::string body = Wrap(
      R"([{"from":"1","id":"wamid.LS","timestamp":"1767261600","type":"text","text":{"body":"a\ud83d|\ude00|\ude00\ud83d|\ud83d\ude00|\\ud83d"}}])");
  InboundBatch b = ParseOk(body);
  ASSERT_EQ(b.messages.size(), 1u);
  EXPECT_EQ(b.messages[0].text, U8(u8"a\uFFFD|\uFFFD|\uFFFD\uFFFD|\U0001F600|\\ud83d"));

  auto still_bad = ParseWebhook(R"({"a":"\ud83d",)", {});
  ASSERT_FALSE(still_bad.ok());
  EXPECT_EQ(still_bad.status().code(), ErrorCode::kBadRequest);
}

TEST(WhatsappWebhookParserTest, HugeTimestampRejectedNotOverflowed) {
  std::string body = Wrap(
      R"([{"from":"1","id":"wamid.T","timestamp":"99999999999999999999","type":"text","text":{"body":"x"}}])");
  InboundBatch b = ParseOk(body);
  EXPECT_TRUE(b.messages.empty());
  EXPECT_EQ(b.ignored.size(), 1u);
}

}  // namespace
}  // namespace handoffd::whatsapp
