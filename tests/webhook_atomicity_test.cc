// "Never acknowledge a webhook before what it carried is committed": the real HTTP server over a
// store that loses its connection mid-webhook answers 503 with nothing half-stored, and Meta's
// redelivery then stores everything exactly once.
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "channels/whatsapp/signature.h"
#include "http/api_server.h"
#include "support/failing_store.h"
#include "support/router_harness.h"

namespace handoffd::testing {
namespace {

constexpr char kSecret[] = "fixture_app_secret_0123456789abcdef";
constexpr char kAnna[] = "4915112345678";

class WebhookAtomicityTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(h.Button(kAnna, "AGENT_MODE").ok());
    session_id = h.OpenSession(kAnna)->id;
    router = std::make_unique<Router>(failing, h.clock, *h.log, h.metrics,
                                      RouterHarness::DefaultRouterOptions());
    sessions =
        std::make_unique<SessionService>(failing, h.clock, RouterHarness::DefaultSessionOptions());
    ApiServerOptions o;
    o.port = 0;
    o.threads = 4;
    o.app_secret = kSecret;
    server = std::make_unique<ApiServer>(ApiDeps{failing,
                                                 *router,
                                                 *sessions,
                                                 h.clock,
                                                 *h.log,
                                                 h.metrics,
                                                 nullptr,
                                                 nullptr,
                                                 {},
                                                 nullptr,
                                                 nullptr,
                                                 {}},
                                         o);
    ASSERT_TRUE(server->Bind().ok());
    thread = std::thread([this] { server->Run(); });
  }
  void TearDown() override {
    server->Stop();
    if (thread.joinable()) thread.join();
  }

  httplib::Result Post(const std::string& body) {
    httplib::Client c("127.0.0.1", server->port());
    return c.Post("/webhooks/whatsapp",
                  {{"X-Hub-Signature-256", whatsapp::SignBody(kSecret, body)}}, body,
                  "application/json");
  }

  /// Customer messages stored in Anna's session.
  std::vector<std::string> CustomerContents() {
    std::vector<std::string> out;
    for (const Message& m : h.Messages(session_id)) {
      if (m.sender_type == SenderType::kCustomer) out.push_back(m.type + ":" + m.content);
    }
    return out;
  }

  RouterHarness h{GetParam()};
  FailingStore failing{*h.store};
  int64_t session_id = 0;
  std::unique_ptr<Router> router;
  std::unique_ptr<SessionService> sessions;
  std::unique_ptr<ApiServer> server;
  std::thread thread;
};

TEST_P(WebhookAtomicityTest, AFailureMidBatchStoresNothingAndTheRedeliveryStoresAll) {
  const std::string body = ReadFixture("20_two_messages_one_change.json");
  const auto before = CustomerContents();
  failing.FailNthWrite(2);  // the first message goes in, the second write fails
  auto r = Post(body);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(nlohmann::json::parse(r->body)["error"]["code"], "unavailable");
  EXPECT_EQ(failing.failures(), 1);
  EXPECT_EQ(CustomerContents(), before);  // rolled back: not even the first message

  auto again = Post(body);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200);
  auto after = CustomerContents();
  ASSERT_EQ(after.size(), before.size() + 2);
  EXPECT_EQ(after[after.size() - 2], "text:Hier ist ein Foto vom Etikett:");
  EXPECT_EQ(after.back().rfind("image:", 0), 0u);
}

TEST_P(WebhookAtomicityTest, AFailedFastPathIsA503AndTheRedeliveryCountsOnce) {
  const std::string body = ReadFixture("01_text.json");
  failing.fail_fast_path = true;
  auto r = Post(body);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(CustomerContents().size(), 1u);  // only the AGENT_MODE tap

  failing.fail_fast_path = false;
  for (int i = 0; i < 2; ++i) {  // redelivered twice: stored once
    auto ok = Post(body);
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->status, 200);
  }
  auto contents = CustomerContents();
  ASSERT_EQ(contents.size(), 2u);
  EXPECT_EQ(contents[1], "text:Hallo, ich habe eine Frage zu meiner Bestellung.");
}

TEST_P(WebhookAtomicityTest, ConcurrentWebhooksWhoseCommitFailsAllGet503AndRedeliveryStoresEach) {
  constexpr int kPosts = 4;
  std::vector<std::string> bodies;
  for (int i = 0; i < kPosts; ++i) {
    std::string body = ReadFixture("01_text.json");
    const std::string wamid = "wamid.HBgNNDkxNTExMjM0NTY3OBUCABIYFDc5Njc5MEFERENGOEQxREMwOTE1AA==";
    const auto at = body.find(wamid);
    EXPECT_NE(at, std::string::npos);
    body.replace(at, wamid.size(), wamid + "commit" + std::to_string(i));
    bodies.push_back(body);
  }
  auto post_all = [&] {
    std::vector<int> codes(kPosts, 0);
    std::vector<std::thread> posts;
    for (int i = 0; i < kPosts; ++i) {
      posts.emplace_back([&, i] {
        auto r = Post(bodies[static_cast<size_t>(i)]);
        codes[static_cast<size_t>(i)] = r ? r->status : -1;
      });
    }
    for (auto& t : posts) t.join();
    return codes;
  };
  const auto before = CustomerContents().size();
  failing.fail_commits = true;  // every (shared) COMMIT is lost
  EXPECT_EQ(post_all(), std::vector<int>(kPosts, 503));
  EXPECT_EQ(CustomerContents().size(), before);

  failing.fail_commits = false;
  for (int round = 0; round < 2; ++round) {  // redelivered, and once more: stored once each
    EXPECT_EQ(post_all(), std::vector<int>(kPosts, 200));
  }
  EXPECT_EQ(CustomerContents().size(), before + kPosts);
}

INSTANTIATE_TEST_SUITE_P(Db, WebhookAtomicityTest, ::testing::ValuesIn(TestDialects()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace handoffd::testing
