// End to end: webhook authentication and framing (verification handshake, signatures, size
// limit, non-JSON, ignored content), health and metrics endpoints.
#include <gtest/gtest.h>

#include "support/e2e_fixture.h"

namespace handoffd::testing {
namespace {

class E2eWebhookTest : public E2eTest {};

TEST_P(E2eWebhookTest, Rejections) {
  DaemonOptions o = BaseOptions();
  o.max_body_bytes = 2048;
  ASSERT_NO_FATAL_FAILURE(StartDaemon(o));

  Reply health = Get("/healthz");
  EXPECT_EQ(health.status, 200) << health.Describe();
  EXPECT_EQ(health.j, json({{"status", "ok"}})) << health.Describe();
  Reply ready = Get("/readyz");
  EXPECT_EQ(ready.status, 200) << ready.Describe();
  EXPECT_EQ(ready.j, json({{"status", "ready"}})) << ready.Describe();

  // Verification handshake (facts §1).
  Reply verify = Get(std::string("/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=") +
                     kVerifyToken + "&hub.challenge=1158201444");
  EXPECT_EQ(verify.status, 200) << verify.Describe();
  EXPECT_EQ(verify.body, "1158201444");
  EXPECT_EQ(verify.content_type.rfind("text/plain", 0), 0u) << verify.content_type;
  ExpectError(Get("/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=wrong"
                  "&hub.challenge=1158201444"),
              403, "forbidden", "verification with a wrong token");
  ExpectError(Get(std::string("/webhooks/whatsapp?hub.mode=unsubscribe&hub.verify_token=") +
                  kVerifyToken + "&hub.challenge=1158201444"),
              403, "forbidden", "verification with mode other than subscribe");

  // Unsigned, wrongly signed: 401, nothing stored, nothing sent.
  const std::string body = TextWebhook(kMia, "Mia", "hello", "wamid.REJECT1", NowUnixSeconds());
  ASSERT_LT(body.size(), 2048u);
  ExpectError(PostWebhookRaw(body, std::nullopt), 401, "unauthorized", "unsigned POST");
  std::string tampered = body;
  tampered[tampered.find("hello")] = 'j';
  ExpectError(PostWebhookRaw(tampered, whatsapp::SignBody(kSecret, body)), 401, "unauthorized",
              "body changed after signing");
  ExpectError(PostWebhookRaw(body, whatsapp::SignBody("another_secret", body)), 401, "unauthorized",
              "signed with another secret");
  std::string sig = whatsapp::SignBody(kSecret, body);
  ExpectError(PostWebhookRaw(body, sig.substr(7)), 401, "unauthorized",
              "signature without the sha256= prefix");

  // Over max_body_bytes: 413, even when correctly signed.
  const std::string big =
      TextWebhook(kMia, "Mia", std::string(2500, 'x'), "wamid.REJECT2", NowUnixSeconds());
  ASSERT_GT(big.size(), 2048u);
  ExpectError(PostWebhook(big), 413, "payload_too_large", "body over max_body_bytes");

  // Signed but not JSON: 400.
  ExpectError(PostWebhook("this is not json"), 400, "bad_request", "signed non-JSON body");

  // Validly signed content it ignores: 200.
  const std::string account_update =
      R"({"object":"whatsapp_business_account","entry":[{"id":"109876543210987","time":1767261600,)"
      R"("changes":[{"field":"account_update","value":{"phone_number":"15550001111",)"
      R"("event":"VERIFIED_ACCOUNT"}}]}]})";
  Reply ignored = PostWebhook(account_update);
  EXPECT_EQ(ignored.status, 200) << ignored.Describe();
  whatsapp::SimulatedMessage other_number;
  other_number.phone_number_id = "999999999999999";
  other_number.from = kLayla;
  other_number.name = "Layla";
  other_number.text = "to another number";
  other_number.timestamp = NowUnixSeconds();
  // phone_number_ids is empty (accept every number), so this one is processed: 200 as well.
  Reply other = PostWebhook(whatsapp::BuildMessageWebhook(other_number));
  EXPECT_EQ(other.status, 200) << other.Describe();

  // The rejected text never reached the router: a valid text from someone else gets its menu,
  // Mia gets nothing.
  Deliver(TextWebhook(kOliver, "Oliver", "hi", "wamid.REJECT3", NowUnixSeconds()));
  auto oliver = WaitForSentTo(kOliver, 1);
  ASSERT_EQ(oliver.size(), 1u);
  ExpectMenuSend(oliver[0], kOliver);
  EXPECT_TRUE(SentTo(kMia).empty()) << "a rejected webhook had an effect";

  // Metrics count webhooks.
  Reply metrics = Get("/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.content_type.rfind("text/plain", 0), 0u) << metrics.content_type;
  EXPECT_TRUE(Contains(metrics.body, "handoffd_webhooks_received_total")) << metrics.body;
}

HANDOFFD_E2E_INSTANTIATE(E2eWebhookTest);

}  // namespace
}  // namespace handoffd::testing
