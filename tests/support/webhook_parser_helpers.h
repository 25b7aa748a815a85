// Helpers of the WhatsApp webhook parser tests: the fixtures (tests/fixtures/whatsapp inside this
// repository, HANDOFFD_FIXTURES_DIR), parsing with expectations, and hand-written webhooks around
// a `messages` array. gtest expectations fail the calling test.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "channels/whatsapp/webhook_parser.h"

namespace handoffd::whatsapp::parser_test {

using nlohmann::json;

inline constexpr char kPhoneId[] = "123456789012345";
inline constexpr char kAnna[] = "4915112345678";
// The outbound agent reply that 12, 17, 22 and 23-25 refer to.
inline constexpr char kAgentReplyWamid[] =
    "wamid.HBgNNDkxNTExMjM0NTY3OBUCABEYEjAwREFGNTFBNDE2NEEyNjhDNQA=";

inline std::string U8(const char8_t* s) { return std::string(reinterpret_cast<const char*>(s)); }

inline std::string Fixture(const std::string& name) {
  std::ifstream in(std::string(HANDOFFD_FIXTURES_DIR) + "/" + name, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline InboundBatch ParseOk(const std::string& body, const ParseOptions& options = {}) {
  auto r = ParseWebhook(body, options);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(r).value() : InboundBatch{};
}

inline InboundBatch ParseFixture(const std::string& name) {
  std::string body = Fixture(name);
  EXPECT_FALSE(body.empty()) << name;
  return ParseOk(body);
}

// The one message of a single-message fixture, from Anna, on business number A.
inline InboundMessage OnlyMessage(const std::string& name) {
  InboundBatch b = ParseFixture(name);
  EXPECT_EQ(b.messages.size(), 1u) << name;
  EXPECT_TRUE(b.statuses.empty()) << name;
  EXPECT_TRUE(b.ignored.empty()) << name;
  if (b.messages.size() != 1) return {};
  return b.messages[0];
}

inline StatusUpdate OnlyStatus(const std::string& name) {
  InboundBatch b = ParseFixture(name);
  EXPECT_TRUE(b.messages.empty()) << name;
  EXPECT_EQ(b.statuses.size(), 1u) << name;
  EXPECT_TRUE(b.ignored.empty()) << name;
  if (b.statuses.size() != 1) return {};
  return b.statuses[0];
}

inline json Meta(const InboundMessage& m) { return json::parse(m.metadata); }

inline void ExpectFromAnna(const InboundMessage& m) {
  EXPECT_EQ(m.channel, "whatsapp");
  EXPECT_EQ(m.phone_number_id, kPhoneId);
  EXPECT_EQ(m.customer.key, kAnna);
  EXPECT_EQ(m.customer.wa_id, kAnna);
  EXPECT_EQ(m.customer.user_id, "");
  EXPECT_EQ(m.customer.name, "Anna Schmidt");
}

// A messages-field webhook for business number A around `messages` (and optional contacts).
inline std::string Wrap(const std::string& messages, const std::string& contacts = "",
                        const std::string& phone_number_id = kPhoneId) {
  std::string value =
      R"({"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550001111","phone_number_id":")" +
      phone_number_id + "\"}";
  if (!contacts.empty()) value += ",\"contacts\":" + contacts;
  value += ",\"messages\":" + messages + "}";
  return R"({"object":"whatsapp_business_account","entry":[{"id":"109876543210987","changes":[{"value":)" +
         value + R"(,"field":"messages"}]}]})";
}

inline constexpr char kAnnaContact[] =
    R"([{"profile":{"name":"Anna Schmidt"},"wa_id":"4915112345678"}])";

}  // namespace handoffd::whatsapp::parser_test
