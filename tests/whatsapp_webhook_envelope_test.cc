// The WhatsApp webhook parser: statuses, several messages or changes in one webhook, encodings,
// duplicates, the envelope (other fields, other numbers) and malformed input.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "channels/whatsapp/webhook_parser.h"
#include "support/webhook_parser_helpers.h"

namespace handoffd::whatsapp {
namespace {

using namespace parser_test;  // NOLINT(google-build-using-namespace): the fixtures' helpers
using nlohmann::json;

// ---- Statuses, batches and the envelope ---------------------------------------------------

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
