#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "channels/whatsapp/bot_forwarder.h"
#include "channels/whatsapp/graph_sender.h"
#include "channels/whatsapp/signature.h"
#include "support/fake_graph_server.h"

namespace handoffd::whatsapp {
namespace {

using handoffd::testing::FakeGraphServer;
using handoffd::testing::ScriptedResponse;
using Outcome = SendResult::Outcome;
using namespace std::chrono_literals;

constexpr char kPhoneId[] = "123456789012345";

OutboundMessage Text(const std::string& to, const std::string& text) {
  OutboundMessage m;
  m.phone_number_id = kPhoneId;
  m.to = to;
  m.text = text;
  return m;
}

class WhatsappGraphSenderTest : public ::testing::Test {
 protected:
  std::unique_ptr<ChannelSender> Sender(Duration total_timeout = Duration(5000),
                                        std::string api_base = "") {
    GraphSenderOptions o;
    o.api_base = api_base.empty() ? server_.api_base() : api_base;
    o.access_token = "EAAG-test-token";
    o.http.connect_timeout = Duration(1000);
    o.http.total_timeout = total_timeout;
    return MakeGraphSender(o, MakeCurlHttpClient(o.http));
  }

  FakeGraphServer server_;
};

TEST_F(WhatsappGraphSenderTest, TextRequestIsExact) {
  auto sender = Sender();
  SendResult r = sender->Send(Text("4915112345678", "Hallo / \xC3\xA4\xC3\xB6\xC3\xBC \"q\""), 0);
  ASSERT_EQ(r.outcome, Outcome::kSent) << (r.error ? r.error->title : "");
  EXPECT_EQ(r.channel_message_id, server_.WamidOf(0));
  EXPECT_FALSE(r.error.has_value());
  EXPECT_FALSE(r.timed_out);

  auto requests = server_.Requests();
  ASSERT_EQ(requests.size(), 1u);
  const auto& req = requests[0];
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.path, "/v21.0/123456789012345/messages");
  EXPECT_EQ(req.headers.at("authorization"), "Bearer EAAG-test-token");
  EXPECT_EQ(req.headers.at("content-type"), "application/json");
  EXPECT_EQ(req.headers.count("expect"), 0u);
  EXPECT_EQ(req.body,
            "{\"messaging_product\":\"whatsapp\",\"recipient_type\":\"individual\","
            "\"to\":\"+4915112345678\",\"type\":\"text\",\"text\":{\"body\":\"Hallo / "
            "\xC3\xA4\xC3\xB6\xC3\xBC \\\"q\\\"\",\"preview_url\":false}}");
}

TEST_F(WhatsappGraphSenderTest, ButtonsRequestIsExact) {
  OutboundMessage m = Text("4915112345678", "How can we help?");
  m.buttons = {{"ORDER_STATUS", "Order status"}, {"AGENT_MODE", "Talk to an agent"}};
  SendResult r = Sender()->Send(m, 0);
  ASSERT_EQ(r.outcome, Outcome::kSent);
  auto requests = server_.Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(
      requests[0].body,
      R"({"messaging_product":"whatsapp","recipient_type":"individual","to":"+4915112345678",)"
      R"("type":"interactive","interactive":{"type":"button","body":{"text":"How can we help?"},)"
      R"("action":{"buttons":[{"type":"reply","reply":{"id":"ORDER_STATUS","title":"Order status"}},)"
      R"({"type":"reply","reply":{"id":"AGENT_MODE","title":"Talk to an agent"}}]}}})");
}

TEST_F(WhatsappGraphSenderTest, RecipientFormat) {
  auto to_of = [](const std::string& to) {
    return nlohmann::json::parse(BuildSendBody(Text(to, "x")))["to"].get<std::string>();
  };
  EXPECT_EQ(to_of("4915112345678"), "+4915112345678");
  EXPECT_EQ(to_of("+4915112345678"), "+4915112345678");
  // Business-scoped user ids go as they are (facts §4a).
  EXPECT_EQ(to_of("US.13491208655302741918"), "US.13491208655302741918");
  EXPECT_EQ(to_of("IN.2081978709342942"), "IN.2081978709342942");

  SendResult r = Sender()->Send(Text("US.13491208655302741918", "hi"), 0);
  ASSERT_EQ(r.outcome, Outcome::kSent);
  auto body = nlohmann::json::parse(server_.Requests().at(0).body);
  EXPECT_EQ(body["to"], "US.13491208655302741918");
}

TEST_F(WhatsappGraphSenderTest, LimitsAreEnforcedOnCodePoints) {
  OutboundMessage m = Text("1", "body");
  m.buttons = {{"A",
                "\xC3\xA4"
                "bcdefghijklmnopqrstuvwxyz"},
               {"B", "b"},
               {"C", "c"},
               {"D", "d"}};
  auto body = nlohmann::json::parse(BuildSendBody(m));
  const auto& buttons = body["interactive"]["action"]["buttons"];
  ASSERT_EQ(buttons.size(), 3u);
  EXPECT_EQ(buttons[0]["reply"]["title"],
            "\xC3\xA4"
            "bcdefghijklmnopqrst");  // 20 code points

  std::string long_text(5000, 'x');
  auto text_body = nlohmann::json::parse(BuildSendBody(Text("1", long_text)));
  EXPECT_EQ(text_body["text"]["body"].get<std::string>().size(), 4096u);
}

TEST_F(WhatsappGraphSenderTest, ReengagementErrorIsPermanent) {
  server_.Enqueue(FakeGraphServer::MetaError(400, 131047, "Re-engagement message"));
  SendResult r = Sender()->Send(Text("4915112345678", "late reply"), 0);
  EXPECT_EQ(r.outcome, Outcome::kPermanent);
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->code, 131047);
  EXPECT_EQ(r.error->title, "Re-engagement message");  // "(#131047) " prefix dropped
  EXPECT_FALSE(r.timed_out);
  EXPECT_FALSE(r.retry_after.has_value());
  EXPECT_TRUE(r.channel_message_id.empty());
}

TEST_F(WhatsappGraphSenderTest, ThroughputErrorIsRetryable) {
  server_.Enqueue(FakeGraphServer::MetaError(429, 130429, "Rate limit hit"));
  SendResult r = Sender()->Send(Text("4915112345678", "x"), 0);
  EXPECT_EQ(r.outcome, Outcome::kRetryable);
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->code, 130429);
  EXPECT_FALSE(r.retry_after.has_value());
}

TEST_F(WhatsappGraphSenderTest, PairRateLimitWaitsFourToTheAttempt) {
  auto sender = Sender();
  const Duration expected[] = {1s, 4s, 16s, 64s, 256s};
  for (int attempt = 0; attempt < 5; ++attempt) {
    server_.Enqueue(FakeGraphServer::MetaError(400, 131056, "Pair rate limit hit"));
    SendResult r = sender->Send(Text("4915112345678", "x"), attempt);
    EXPECT_EQ(r.outcome, Outcome::kRetryable);
    ASSERT_TRUE(r.retry_after.has_value());
    EXPECT_EQ(*r.retry_after, expected[attempt]) << "attempt " << attempt;
    EXPECT_EQ(r.error->code, 131056);
  }
  EXPECT_EQ(server_.Requests().size(), 5u);  // one keep-alive client, five requests
}

TEST_F(WhatsappGraphSenderTest, ServerErrorWithoutBodyIsRetryable) {
  server_.Enqueue(ScriptedResponse{500, "", 0ms});
  SendResult r = Sender()->Send(Text("4915112345678", "x"), 0);
  EXPECT_EQ(r.outcome, Outcome::kRetryable);
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->code, 500);
  EXPECT_FALSE(r.timed_out);
}

TEST_F(WhatsappGraphSenderTest, ClientErrorWithoutMetaBodyIsPermanent) {
  server_.Enqueue(ScriptedResponse{404, "<html>not found</html>", 0ms});
  SendResult r = Sender()->Send(Text("4915112345678", "x"), 0);
  EXPECT_EQ(r.outcome, Outcome::kPermanent);
  EXPECT_EQ(r.error->code, 404);
}

TEST_F(WhatsappGraphSenderTest, SuccessWithoutMessageIdIsNotRetried) {
  server_.Enqueue(ScriptedResponse{200, R"({"messaging_product":"whatsapp"})", 0ms});
  SendResult r = Sender()->Send(Text("4915112345678", "x"), 0);
  EXPECT_EQ(r.outcome, Outcome::kPermanent);
  EXPECT_EQ(r.error->code, 0);
}

TEST_F(WhatsappGraphSenderTest, TimeoutIsRetryableAndFlagged) {
  server_.Enqueue(ScriptedResponse{200, R"({"messages":[{"id":"wamid.LATE"}]})", 2000ms});
  auto start = std::chrono::steady_clock::now();
  SendResult r = Sender(Duration(300))->Send(Text("4915112345678", "x"), 0);
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.outcome, Outcome::kRetryable);
  EXPECT_TRUE(r.timed_out);
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->code, 0);
  EXPECT_TRUE(r.channel_message_id.empty());
  EXPECT_LT(elapsed, 1500ms);
}

TEST_F(WhatsappGraphSenderTest, ConnectionRefusedIsRetryableNotTimeout) {
  // Port 1 on loopback has no listener: the connect is refused at once.
  SendResult r = Sender(Duration(2000), "http://127.0.0.1:1/v21.0")->Send(Text("1", "x"), 0);
  EXPECT_EQ(r.outcome, Outcome::kRetryable);
  EXPECT_FALSE(r.timed_out);
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->code, 0);
  EXPECT_FALSE(r.error->title.empty());
}

TEST_F(WhatsappGraphSenderTest, HttpClientReportsTransportErrorsWithoutThrowing) {
  auto client = MakeCurlHttpClient({});
  HttpResponse r = client->Post("http://127.0.0.1:1/x", {}, "{}");
  EXPECT_EQ(r.status, 0);
  EXPECT_FALSE(r.timed_out);
  EXPECT_FALSE(r.transport_error.empty());
  HttpResponse bad = client->Post("not a url at all", {}, "{}");
  EXPECT_EQ(bad.status, 0);
  EXPECT_FALSE(bad.transport_error.empty());
  // The same handle still works afterwards.
  HttpResponse ok = client->Post(server_.base_url() + "/hook", {{"X-A", "b"}}, "{}");
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "{}");
  EXPECT_TRUE(ok.transport_error.empty());
  EXPECT_EQ(server_.Requests().at(0).headers.at("x-a"), "b");
}

TEST(WhatsappGraphSenderClassifyTest, ClassifyMetaErrorTable) {
  for (int64_t code : {130429, 131056, 4, 80007, 131000, 131016, 2, 133004, 131057}) {
    EXPECT_EQ(ClassifyMetaError(code), Outcome::kRetryable) << code;
  }
  for (int64_t code :
       {131047, 131026, 131048, 131049, 131050, 1,      100,    190,    0,      368,
        131031, 130497, 131008, 131009, 131021, 131051, 131052, 131053, 131042, 131045,
        132000, 132001, 132015, 130472, 130403, 131064, 131062, 135000, 10,     200}) {
    EXPECT_EQ(ClassifyMetaError(code), Outcome::kPermanent) << code;
  }
}

TEST(WhatsappGraphSenderDryRunTest, AlwaysSucceedsWithLocalIds) {
  auto sender = MakeDryRunSender();
  SendResult a = sender->Send(Text("4915112345678", "x"), 0);
  SendResult b = sender->Send(Text("4915112345678", "x"), 3);
  EXPECT_EQ(a.outcome, Outcome::kSent);
  EXPECT_EQ(b.outcome, Outcome::kSent);
  EXPECT_EQ(a.channel_message_id.rfind("dryrun.", 0), 0u);
  EXPECT_EQ(a.channel_message_id.size(), 7u + 32u);
  EXPECT_EQ(a.channel_message_id.find_first_not_of("0123456789abcdef", 7), std::string::npos);
  EXPECT_NE(a.channel_message_id, b.channel_message_id);
  EXPECT_FALSE(a.error.has_value());
}

// ---- ForwardToBot --------------------------------------------------------------------------

std::string Fixture(const std::string& name) {
  std::ifstream in(std::string(HANDOFFD_FIXTURES_DIR) + "/" + name, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST_F(WhatsappGraphSenderTest, ForwardToBotSendsRawBodyReSigned) {
  auto client = MakeCurlHttpClient({});
  std::string raw = Fixture("33_text_unicode_emoji_rtl.json");  // > 1 KiB, escaped unicode
  ASSERT_GT(raw.size(), 1024u);
  SendResult r =
      ForwardToBot(*client, server_.base_url() + "/bot/webhook", "bot-forward-secret", raw);
  EXPECT_EQ(r.outcome, Outcome::kSent);
  EXPECT_FALSE(r.error.has_value());

  auto requests = server_.Requests();
  ASSERT_EQ(requests.size(), 1u);
  const auto& req = requests[0];
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.path, "/bot/webhook");
  EXPECT_EQ(req.body, raw);  // byte-for-byte, never re-serialised
  EXPECT_EQ(req.headers.at("content-type"), "application/json");
  const std::string& sig = req.headers.at("x-hub-signature-256");
  EXPECT_TRUE(VerifySignature("bot-forward-secret", req.body, sig));
  EXPECT_FALSE(VerifySignature("fixture_app_secret_0123456789abcdef", req.body, sig));
  EXPECT_EQ(sig, SignBody("bot-forward-secret", raw));
}

TEST_F(WhatsappGraphSenderTest, ForwardToBotClassifiesAnswers) {
  auto client = MakeCurlHttpClient({});
  std::string url = server_.base_url() + "/bot";
  server_.Enqueue(ScriptedResponse{204, "", 0ms});
  server_.Enqueue(ScriptedResponse{422, R"({"error":"bad"})", 0ms});
  server_.Enqueue(ScriptedResponse{503, "", 0ms});

  EXPECT_EQ(ForwardToBot(*client, url, "s", "{}").outcome, Outcome::kSent);
  SendResult unprocessable = ForwardToBot(*client, url, "s", "{}");
  EXPECT_EQ(unprocessable.outcome, Outcome::kPermanent);
  EXPECT_EQ(unprocessable.error->code, 422);
  SendResult unavailable = ForwardToBot(*client, url, "s", "{}");
  EXPECT_EQ(unavailable.outcome, Outcome::kRetryable);
  EXPECT_EQ(unavailable.error->code, 503);

  SendResult refused = ForwardToBot(*client, "http://127.0.0.1:1/bot", "s", "{}");
  EXPECT_EQ(refused.outcome, Outcome::kRetryable);
  EXPECT_FALSE(refused.timed_out);
}

TEST_F(WhatsappGraphSenderTest, ForwardToBotTimeout) {
  HttpClientOptions fast;
  fast.total_timeout = Duration(300);
  auto client = MakeCurlHttpClient(fast);
  server_.Enqueue(ScriptedResponse{200, "{}", 2000ms});
  SendResult r = ForwardToBot(*client, server_.base_url() + "/bot", "s", "{}");
  EXPECT_EQ(r.outcome, Outcome::kRetryable);
  EXPECT_TRUE(r.timed_out);
}

}  // namespace
}  // namespace handoffd::whatsapp
