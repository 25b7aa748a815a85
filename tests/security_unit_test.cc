// Issue 9 (hardening): the attacks that need no daemon, each reproduced against the unit that
// now refuses it. The HTTP-level ones are in e2e_security_test.cc.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "auth/login_guard.h"
#include "channels/whatsapp/webhook_parser.h"
#include "common/json_depth.h"
#include "log/logger.h"
#include "support/manual_clock.h"

namespace handoffd::testing {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

std::string Nested(int depth) { return std::string(depth, '[') + std::string(depth, ']'); }

// A webhook body with one text message, `message` spliced into the message object.
std::string Webhook(const std::string& from, const std::string& wamid, const std::string& extra,
                    const std::string& name = "Anna") {
  nlohmann::json msg = {{"from", from},
                        {"id", wamid},
                        {"timestamp", "1767261600"},
                        {"type", "text"},
                        {"text", {{"body", "hi"}}}};
  std::string m = msg.dump();
  if (!extra.empty()) m = m.substr(0, m.size() - 1) + "," + extra + "}";
  nlohmann::json contact = {{"profile", {{"name", name}}}, {"wa_id", from}};
  return R"({"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"1","phone_number_id":"123456789012345"},"contacts":[)" +
         contact.dump() + R"(],"messages":[)" + m + "]}}]}]}";
}

TEST(JsonDepthTest, CountsBracketsOutsideStringsOnly) {
  EXPECT_TRUE(JsonDepthWithin(Nested(64)));
  EXPECT_FALSE(JsonDepthWithin(Nested(65)));
  EXPECT_TRUE(JsonDepthWithin(
      R"({"a":"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["})"));
  EXPECT_TRUE(JsonDepthWithin(R"(["\"[[[[", "\\", {}])", 2));
  EXPECT_FALSE(JsonDepthWithin(R"(["\\", [[]]])", 2));
}

// Attack (issue 9 #4): a signed webhook whose `context` is nested 100,000 levels deep segfaulted
// the daemon.
TEST(WebhookHardeningTest, HundredThousandLevelsDeepIsBadRequestNotACrash) {
  const std::string body = Webhook("4915112345678", "wamid.deep", R"("context":)" + Nested(100000));
  auto batch = whatsapp::ParseWebhook(body, {});
  ASSERT_FALSE(batch.ok());
  EXPECT_EQ(batch.status().code(), ErrorCode::kBadRequest);
  EXPECT_NE(batch.status().message().find("nested deeper"), std::string::npos);
}

// Attack (issue 9 #6): a 1,000,000-digit wa_id and a 3 MB profile name were stored as sent.
TEST(WebhookHardeningTest, OversizedSenderIdIgnoredAndLongNameTruncated) {
  auto huge_id = whatsapp::ParseWebhook(Webhook(std::string(1000000, '4'), "wamid.big", ""), {});
  ASSERT_TRUE(huge_id.ok());
  EXPECT_TRUE(huge_id->messages.empty());
  ASSERT_EQ(huge_id->ignored.size(), 1u);
  EXPECT_NE(huge_id->ignored[0].reason.find("malformed sender id"), std::string::npos);

  auto not_digits = whatsapp::ParseWebhook(Webhook("49151abc", "wamid.abc", ""), {});
  ASSERT_TRUE(not_digits.ok());
  EXPECT_TRUE(not_digits->messages.empty());

  std::string name;
  for (int i = 0; i < 300000; ++i) name += "\xC3\xA9";  // "é" x 300,000 (600 kB)
  auto long_name = whatsapp::ParseWebhook(Webhook("4915112345678", "wamid.n", "", name), {});
  ASSERT_TRUE(long_name.ok());
  ASSERT_EQ(long_name->messages.size(), 1u);
  EXPECT_EQ(long_name->messages[0].customer.name.size(), 256u * 2);  // 256 code points, whole
}

// Attack (issue 9 #7): PostgreSQL cut "wamid.\0X" to "wamid.", collapsing distinct ids.
TEST(WebhookHardeningTest, NulInIdsRefusedAndStrippedFromText) {
  auto nul_id =
      whatsapp::ParseWebhook(Webhook("4915112345678", std::string("wamid.\0X", 8), ""), {});
  ASSERT_TRUE(nul_id.ok());
  EXPECT_TRUE(nul_id->messages.empty());
  ASSERT_EQ(nul_id->ignored.size(), 1u);
  EXPECT_NE(nul_id->ignored[0].reason.find("NUL"), std::string::npos);

  std::string body = Webhook("4915112345678", "wamid.t", "");
  const std::string hi = R"("body":"hi")";
  body.replace(body.find(hi), hi.size(), R"("body":"a\u0000b")");
  auto text = whatsapp::ParseWebhook(body, {});
  ASSERT_TRUE(text.ok());
  ASSERT_EQ(text->messages.size(), 1u);
  EXPECT_EQ(text->messages[0].text, "ab");
  EXPECT_EQ(text->messages[0].content, "ab");
}

// Attack (issue 9 #3): unbounded concurrent argon2id (64 MiB each) and unlimited guessing.
TEST(LoginGuardTest, LocksAfterTheLimitWithRetryAfterThatGrows) {
  ManualClock clock;
  LoginGuardOptions o;
  o.failures_per_account = 10;
  o.failures_per_address = 1000;
  LoginGuard guard(clock, o);
  for (int i = 0; i < 9; ++i) guard.RecordFailure("10.0.0.1", "anna@example.com");
  EXPECT_TRUE(guard.Check("10.0.0.1", "anna@example.com").ok());
  guard.RecordFailure("10.0.0.1", "anna@example.com");          // the 10th
  Status locked = guard.Check("10.0.0.2", "anna@example.com");  // any address: the account
  ASSERT_EQ(locked.code(), ErrorCode::kRateLimited);
  EXPECT_EQ(locked.retry_after_seconds(), 300);
  EXPECT_TRUE(guard.Check("10.0.0.2", "bob@example.com").ok());

  clock.Advance(minutes(5));
  EXPECT_TRUE(guard.Check("10.0.0.1", "anna@example.com").ok());
  for (int i = 0; i < 10; ++i) guard.RecordFailure("10.0.0.1", "anna@example.com");
  Status again = guard.Check("10.0.0.1", "anna@example.com");
  ASSERT_EQ(again.code(), ErrorCode::kRateLimited);
  EXPECT_EQ(again.retry_after_seconds(), 600);  // the second lockout doubles

  clock.Advance(minutes(10));
  guard.RecordSuccess("anna@example.com");
  for (int i = 0; i < 10; ++i) guard.RecordFailure("10.0.0.1", "anna@example.com");
  EXPECT_EQ(guard.Check("10.0.0.1", "anna@example.com").retry_after_seconds(), 300);
}

TEST(LoginGuardTest, AddressLimitCoversManyAccounts) {
  ManualClock clock;
  LoginGuardOptions o;
  o.failures_per_address = 5;
  LoginGuard guard(clock, o);
  for (int i = 0; i < 5; ++i) guard.RecordFailure("10.0.0.9", "user" + std::to_string(i));
  EXPECT_EQ(guard.Check("10.0.0.9", "someone@else").code(), ErrorCode::kRateLimited);
  EXPECT_TRUE(guard.Check("10.0.0.8", "someone@else").ok());
}

TEST(LoginGuardTest, ConcurrentHashesAreBounded) {
  ManualClock clock;
  LoginGuardOptions o;
  o.max_concurrent_hashes = 2;
  LoginGuard guard(clock, o);
  auto a = guard.AcquireHashSlot();
  auto b = guard.AcquireHashSlot();
  ASSERT_TRUE(a.ok() && b.ok());
  auto c = guard.AcquireHashSlot();
  ASSERT_EQ(c.status().code(), ErrorCode::kRateLimited);
  EXPECT_EQ(c.status().retry_after_seconds(), 1);
  { LoginGuard::Permit released = std::move(*a); }
  EXPECT_TRUE(guard.AcquireHashSlot().ok());
}

// Attack (issue 9 #6): a 4 MB email was logged in full on each failed login.
TEST(LoggerHardeningTest, LongFieldsAreTruncatedWithAMarker) {
  std::ostringstream out;
  auto log = Logger::CreateForStream("json", out);
  log->Warn("auth.login_failed",
            {{"email", std::string(4 << 20, 'x')}, {"nested", {{"v", std::string(2000, 'y')}}}});
  const std::string line = out.str();
  EXPECT_LT(line.size(), 4000u);
  EXPECT_NE(line.find("...[truncated 4193280 bytes]"), std::string::npos);
  EXPECT_NE(line.find("...[truncated 976 bytes]"), std::string::npos);
}

}  // namespace
}  // namespace handoffd::testing
