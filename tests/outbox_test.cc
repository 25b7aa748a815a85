// The outbox: sends through the real Graph sender to a local stand-in, records wamids and Meta's
// errors, retries with backoff, and loses nothing across a restart.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "channels/whatsapp/bot_forwarder.h"
#include "channels/whatsapp/graph_sender.h"
#include "outbox/outbox_worker.h"
#include "outbox/rate_limiter.h"
#include "support/fake_graph_server.h"
#include "support/router_harness.h"

namespace handoffd::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(Backoff, DoublesFromTheBaseUpToTheCapWithJitter) {
  OutboxOptions o;
  o.base_backoff = seconds(1);
  o.max_backoff = seconds(60);
  EXPECT_EQ(BackoffDelay(o, 0, 1.0), seconds(1));
  EXPECT_EQ(BackoffDelay(o, 3, 1.0), seconds(8));
  EXPECT_EQ(BackoffDelay(o, 10, 1.0), seconds(60));
  EXPECT_EQ(BackoffDelay(o, 3, 0.5), seconds(4));
  EXPECT_EQ(BackoffDelay(o, 3, 1.5), seconds(12));
  EXPECT_EQ(BackoffDelay(o, 3, 9.0), seconds(12));  // jitter clamped
}

TEST(RateLimit, TokenBucketPerBusinessNumber) {
  ManualClock clock;
  RateLimiter limiter(2, clock);
  const TimePoint t = FromUnixSeconds(100);
  EXPECT_EQ(limiter.TryAcquire("A", t), Duration::zero());
  EXPECT_EQ(limiter.TryAcquire("A", t), Duration::zero());
  EXPECT_EQ(limiter.TryAcquire("A", t), milliseconds(500));  // empty: one token per 500 ms
  EXPECT_EQ(limiter.TryAcquire("B", t), Duration::zero());   // other numbers unaffected
  EXPECT_EQ(limiter.TryAcquire("A", t + milliseconds(500)), Duration::zero());
}

class OutboxTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ana = h.AddAgent("Ana");
    ASSERT_TRUE(h.Button("4915112345678", "AGENT_MODE").ok());
    session_id = h.OpenSession("4915112345678")->id;
    ASSERT_TRUE(h.sessions->Assign(session_id, ana, std::nullopt).ok());
  }

  std::unique_ptr<OutboxWorker> Worker() {
    OutboxOptions o;
    o.base_backoff = seconds(1);
    whatsapp::GraphSenderOptions g{
        graph.api_base(), "test-token", {milliseconds(500), milliseconds(2000)}};
    return std::make_unique<OutboxWorker>(
        *h.store, h.clock, *h.log, h.metrics,
        [g] { return whatsapp::MakeGraphSender(g, MakeCurlHttpClient(g.http)); },
        [] { return whatsapp::MakeBotForwarder(MakeCurlHttpClient({}), "bot-secret"); }, o);
  }

  Message Get(int64_t id) {
    auto m = h.store->GetMessage(id);
    EXPECT_TRUE(m.ok() && m->has_value());
    return **m;
  }

  RouterHarness h{GetParam()};
  FakeGraphServer graph;
  Agent ana;
  int64_t session_id = 0;
};

TEST_P(OutboxTest, SendsInOrderAndStoresTheWamid) {
  auto worker = Worker();
  EXPECT_EQ(worker->RunOnce(), 2);  // "Connecting..." and "You are now chatting with Ana."
  auto reply = h.sessions->Reply(session_id, ana, "Wie kann ich helfen? \xF0\x9F\x98\x8A");
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(worker->RunOnce(), 1);

  auto requests = graph.Requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[2].path, "/v21.0/123456789012345/messages");
  EXPECT_EQ(requests[2].headers["authorization"], "Bearer test-token");
  auto body = nlohmann::json::parse(requests[2].body);
  EXPECT_EQ(body["to"], "+4915112345678");
  EXPECT_EQ(body["type"], "text");
  EXPECT_EQ(body["text"]["body"], "Wie kann ich helfen? \xF0\x9F\x98\x8A");
  EXPECT_EQ(nlohmann::json::parse(requests[0].body)["text"]["body"],
            "Connecting you to an agent...");

  Message m = Get(reply->id);
  EXPECT_EQ(m.delivery_status, DeliveryStatus::kSent);
  EXPECT_EQ(m.channel_message_id, graph.WamidOf(2));
  EXPECT_EQ(worker->RunOnce(), 0);  // nothing left
}

TEST_P(OutboxTest, PermanentFailureKeepsMetasCodeAndTitle) {
  auto worker = Worker();
  worker->RunOnce();
  graph.Enqueue(FakeGraphServer::MetaError(400, 131047, "Re-engagement message"));
  auto reply = h.sessions->Reply(session_id, ana, "too late");
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(worker->RunOnce(), 1);
  Message m = Get(reply->id);
  EXPECT_EQ(m.delivery_status, DeliveryStatus::kFailed);
  ASSERT_TRUE(m.error);
  EXPECT_EQ(m.error->code, 131047);
  EXPECT_NE(m.error->title.find("Re-engagement"), std::string::npos);
  h.clock.Advance(std::chrono::hours(1));
  EXPECT_EQ(worker->RunOnce(), 0);  // never retried
}

TEST_P(OutboxTest, ThroughputErrorsAreRetriedWithBackoff) {
  auto worker = Worker();
  worker->RunOnce();
  graph.Enqueue(FakeGraphServer::MetaError(400, 130429, "Rate limit hit"));
  graph.Enqueue(FakeGraphServer::MetaError(503, 131016, "Service unavailable"));
  auto reply = h.sessions->Reply(session_id, ana, "retry me");
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(worker->RunOnce(), 1);
  EXPECT_EQ(Get(reply->id).delivery_status, DeliveryStatus::kQueued);
  EXPECT_EQ(worker->RunOnce(), 0);  // not due yet: backing off
  h.clock.Advance(seconds(2));      // first retry within 0.5-1.5 s
  EXPECT_EQ(worker->RunOnce(), 1);
  EXPECT_EQ(Get(reply->id).delivery_status, DeliveryStatus::kQueued);
  h.clock.Advance(seconds(4));  // second retry within 1-3 s
  EXPECT_EQ(worker->RunOnce(), 1);
  Message m = Get(reply->id);
  EXPECT_EQ(m.delivery_status, DeliveryStatus::kSent);
  EXPECT_EQ(graph.Requests().size(), 5u);
  EXPECT_EQ(h.metrics.send_retries.load(), 2u);
}

TEST_P(OutboxTest, NothingQueuedIsLostAcrossARestart) {
  auto reply = h.sessions->Reply(session_id, ana, "survives restarts");
  ASSERT_TRUE(reply.ok());
  {
    // A worker that claims but dies before sending (its lease is never completed). It holds
    // the customer's head, which holds the two behind it.
    auto items = h.store->ClaimOutbox(h.clock.Now(), 100, std::chrono::seconds(30));
    ASSERT_TRUE(items.ok());
    EXPECT_EQ(items->size(), 1u);
  }
  auto worker = Worker();
  EXPECT_EQ(worker->RunOnce(), 0);  // still leased to the dead worker
  h.clock.Advance(std::chrono::seconds(31));
  EXPECT_EQ(worker->RunOnce(), 3);
  EXPECT_EQ(Get(reply->id).delivery_status, DeliveryStatus::kSent);
}

// Bug: outbound wamids shared the inbound unique index, so a channel answering with a wamid
// already stored left the message queued and re-sent it after the lease.
TEST_P(OutboxTest, ARepeatedOutboundWamidStillCompletesTheSend) {
  auto worker = Worker();
  worker->RunOnce();
  const std::string fixed = R"({"messaging_product":"whatsapp","messages":[{"id":"wamid.SAME"}]})";
  graph.Enqueue({200, fixed, milliseconds(0)});
  graph.Enqueue({200, fixed, milliseconds(0)});
  auto a = h.sessions->Reply(session_id, ana, "first");
  auto b = h.sessions->Reply(session_id, ana, "second");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(worker->RunOnce(), 2);
  EXPECT_EQ(Get(a->id).delivery_status, DeliveryStatus::kSent);
  EXPECT_EQ(Get(b->id).delivery_status, DeliveryStatus::kSent);
  h.clock.Advance(std::chrono::minutes(10));
  EXPECT_EQ(worker->RunOnce(), 0);  // nothing left to re-send
}

// Bug: an HTTP 5xx carrying a non-throughput Meta code (1: unknown) was marked failed at once.
TEST_P(OutboxTest, ServerErrorsAreRetriedWhateverTheCode) {
  auto worker = Worker();
  worker->RunOnce();
  graph.Enqueue(FakeGraphServer::MetaError(500, 1, "An unknown error occurred"));
  auto reply = h.sessions->Reply(session_id, ana, "retry on 500");
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(worker->RunOnce(), 1);
  EXPECT_EQ(Get(reply->id).delivery_status, DeliveryStatus::kQueued);
  h.clock.Advance(seconds(2));
  EXPECT_EQ(worker->RunOnce(), 1);
  EXPECT_EQ(Get(reply->id).delivery_status, DeliveryStatus::kSent);
}

TEST_P(OutboxTest, ThreadedWorkerSendsAfterNotify) {
  SystemClock real;
  OutboxOptions o;
  whatsapp::GraphSenderOptions g{graph.api_base(), "test-token", {}};
  OutboxWorker worker(
      *h.store, real, *h.log, h.metrics,
      [g] { return whatsapp::MakeGraphSender(g, MakeCurlHttpClient(g.http)); },
      [] { return whatsapp::MakeBotForwarder(MakeCurlHttpClient({}), "bot-secret"); }, o);
  worker.Start();
  worker.Notify();
  EXPECT_EQ(graph.WaitForRequests(2, seconds(5)), 2u);
  worker.Stop();
}

INSTANTIATE_TEST_SUITE_P(Db, OutboxTest, ::testing::ValuesIn(TestDialects()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace handoffd::testing
