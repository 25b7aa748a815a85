// Delivery under faults (issue 7): per-customer order across retries and instances, short
// renewed leases, claims given back on shutdown, attempts recorded before the call, the rate
// limiter on the injected clock, and pooled PostgreSQL connections that heal.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "channels/whatsapp/bot_forwarder.h"
#include "channels/whatsapp/graph_sender.h"
#include "outbox/outbox_payload.h"
#include "outbox/outbox_worker.h"
#include "support/fake_graph_server.h"
#include "support/manual_clock.h"
#include "support/test_db.h"

namespace handoffd::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr char kNumber[] = "123456789012345";

/// Waits (without sleeping a fixed time) until `cond` holds or `timeout` passes.
template <typename Cond>
bool WaitUntil(Cond cond, milliseconds timeout = seconds(20)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!cond()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

ScriptedResponse Accepted(int n, milliseconds delay = milliseconds(0)) {
  return {200,
          R"({"messaging_product":"whatsapp","messages":[{"id":"wamid.S)" + std::to_string(n) +
              R"("}]})",
          delay};
}

class OutboxDeliveryTest : public ::testing::TestWithParam<std::string> {
 protected:
  OutboxDeliveryTest() : db(GetParam()), store(db.OpenMigrated(8)) {
    log = Logger::CreateForStream("json", log_text);
  }

  /// Queues `text` for `recipient` (no stored message: the outbox alone).
  int64_t Queue(Store& s, const std::string& recipient, const std::string& text) {
    OutboxItem item;
    item.phone_number_id = kNumber;
    item.recipient = recipient;
    item.payload = EncodeOutboxPayload(OutboxPayload::Text(text));
    item.next_attempt_at = clock.Now();
    item.created_at = clock.Now();
    int64_t id = 0;
    Status st = s.Transact([&](StoreTx& tx) -> Status {
      HANDOFFD_ASSIGN_OR_RETURN(id, tx.Enqueue(item));
      return Status::Ok();
    });
    EXPECT_TRUE(st.ok()) << st.ToString();
    return id;
  }

  std::unique_ptr<OutboxWorker> Worker(Store& s, const Clock& c, OutboxOptions o = {}) {
    whatsapp::GraphSenderOptions g{graph.api_base(), "test-token", {seconds(1), seconds(5)}};
    return std::make_unique<OutboxWorker>(
        s, c, *log, metrics,
        [g] { return whatsapp::MakeGraphSender(g, MakeCurlHttpClient(g.http)); },
        [] { return whatsapp::MakeBotForwarder(MakeCurlHttpClient({}), "s"); }, o);
  }

  /// Texts each recipient received, in arrival order, from the requests at `from` onwards.
  std::map<std::string, std::vector<std::string>> Received(size_t from = 0) {
    std::map<std::string, std::vector<std::string>> out;
    auto requests = graph.Requests();
    for (size_t i = from; i < requests.size(); ++i) {
      auto body = nlohmann::json::parse(requests[i].body);
      out[body["to"].get<std::string>()].push_back(body["text"]["body"].get<std::string>());
    }
    return out;
  }

  size_t OutboxSize() {
    auto items = store->ListOutbox(0, 100000);
    EXPECT_TRUE(items.ok());
    return items.ok() ? items->size() : 0;
  }

  TestDatabase db;
  std::unique_ptr<Store> store;
  ManualClock clock;
  std::ostringstream log_text;
  std::shared_ptr<Logger> log;
  Metrics metrics;
  FakeGraphServer graph;
};

// Bug: each item had its own jittered next_attempt_at and claims ordered by time, so after an
// outage a customer's replies arrived as [4, 5, 8, 1, 9, 6, 7, 2, 3, 0].
TEST_P(OutboxDeliveryTest, OrderHoldsAcrossRetriesAfterAnOutage) {
  const int kCustomers = 4, kEach = 6;
  for (int i = 0; i < kEach; ++i) {
    for (int c = 0; c < kCustomers; ++c)
      Queue(*store, "4917000000" + std::to_string(c), std::to_string(i));
  }
  // The Graph API is down for the first 10 sends, then recovers.
  for (int k = 0; k < 10; ++k) {
    graph.Enqueue(FakeGraphServer::MetaError(503, 131016, "Service unavailable"));
  }
  OutboxOptions o;
  o.base_backoff = seconds(1);
  auto worker = Worker(*store, clock, o);
  for (int pass = 0; pass < 200 && OutboxSize() > 0; ++pass) {
    worker->RunOnce();
    clock.Advance(milliseconds(700));
  }
  ASSERT_EQ(OutboxSize(), 0u);
  const size_t failed = 10;
  auto received = Received(failed);
  ASSERT_EQ(received.size(), static_cast<size_t>(kCustomers));
  for (const auto& [to, texts] : received) {
    std::vector<std::string> expected;
    for (int i = 0; i < kEach; ++i) expected.push_back(std::to_string(i));
    EXPECT_EQ(texts, expected) << to;
  }
}

// Bug: with two instances on one database, 37 of 40 customers saw their agent's lines out of
// order: both claimed items of one customer and sent them in parallel.
TEST_P(OutboxDeliveryTest, TwoInstancesNeverInterleaveOneCustomer) {
  auto second = db.OpenMigrated(8);  // the other instance's own pool
  const int kCustomers = 10, kEach = 8;
  for (int i = 0; i < kEach; ++i) {
    for (int c = 0; c < kCustomers; ++c)
      Queue(*store, "4917100000" + std::to_string(c), std::to_string(i));
  }
  // Slow answers widen the window in which a second sender could overtake.
  for (int k = 0; k < kCustomers * kEach; ++k) graph.Enqueue(Accepted(k, milliseconds(3)));
  SystemClock real;
  OutboxOptions o;
  o.sender_threads = 4;
  o.poll_interval = milliseconds(20);
  auto a = Worker(*store, real, o);
  auto b = Worker(*second, real, o);
  a->Start();
  b->Start();
  EXPECT_EQ(graph.WaitForRequests(kCustomers * kEach, seconds(60)),
            static_cast<size_t>(kCustomers * kEach));
  a->Stop();
  b->Stop();
  auto received = Received();
  ASSERT_EQ(received.size(), static_cast<size_t>(kCustomers));
  for (const auto& [to, texts] : received) {
    std::vector<std::string> expected;
    for (int i = 0; i < kEach; ++i) expected.push_back(std::to_string(i));
    EXPECT_EQ(texts, expected) << to;
  }
  EXPECT_EQ(OutboxSize(), 0u);
}

// Bug: a clean shutdown left every claimed item leased for 5 minutes (164 of 176 replies waited
// about 290 s after a deploy).
TEST_P(OutboxDeliveryTest, StopGivesBackWhatItClaimedButDidNotSend) {
  for (int c = 0; c < 6; ++c) Queue(*store, "4917200000" + std::to_string(c), "hello");
  graph.Enqueue(Accepted(0, milliseconds(400)));  // the first send is slow
  SystemClock real;
  OutboxOptions o;
  o.sender_threads = 1;
  o.rate_limit_per_second = 1;  // one send, then the rest wait for tokens
  auto worker = Worker(*store, real, o);
  worker->Start();
  ASSERT_EQ(graph.WaitForRequests(1, seconds(10)), 1u);
  worker->Stop();
  EXPECT_EQ(worker->held(), 0u);
  EXPECT_EQ(graph.Requests().size(), 1u);  // nothing new started after Stop()
  // Another instance takes the rest at once (leases were 30 s): nothing is left leased.
  auto next = Worker(*store, real);
  EXPECT_EQ(next->RunOnce(), 5);
  EXPECT_EQ(OutboxSize(), 0u);
  EXPECT_NE(log_text.str().find("outbox.released"), std::string::npos);
}

// Bug: leases were 5 minutes and never renewed: a crashed instance's items waited 5 minutes, and
// a send slower than the lease could be claimed twice.
TEST_P(OutboxDeliveryTest, LeasesAreShortAndRenewedWhileHeld) {
  EXPECT_LE(OutboxOptions{}.lease, seconds(10));  // a crashed instance stalls a customer < 10 s
  const int64_t id = Queue(*store, "491730000000", "slow one");
  graph.Enqueue(Accepted(0, milliseconds(4000)));
  OutboxOptions o;
  o.lease = seconds(30);
  auto worker = Worker(*store, clock, o);
  worker->Start();
  ASSERT_EQ(graph.WaitForRequests(1, seconds(10)), 1u);  // the send is under way
  const TimePoint start = clock.Now();
  clock.Advance(seconds(25));
  worker->Notify();
  ASSERT_TRUE(WaitUntil([&] {
    auto items = store->ListOutbox(0, 10);
    return items.ok() &&
           (items->empty() || (items->front().leased_until &&
                               *items->front().leased_until >= start + seconds(25) + o.lease));
  }));
  clock.Advance(seconds(10));  // past the first lease, within the renewed one
  auto competitor = store->ClaimOutbox(clock.Now(), 10, seconds(30));
  ASSERT_TRUE(competitor.ok());
  for (const OutboxItem& item : *competitor) EXPECT_NE(item.id, id);
  worker->Stop();
}

// Bug: nothing recorded that a send had begun, so a kill -9 mid-send re-sent it silently.
TEST_P(OutboxDeliveryTest, AnAttemptIsRecordedBeforeTheCall) {
  Queue(*store, "491740000000", "maybe twice");
  auto claimed = store->ClaimOutbox(clock.Now(), 10, seconds(30));
  ASSERT_TRUE(claimed.ok() && claimed->size() == 1u);
  ASSERT_TRUE(
      store->BeginOutboxAttempt(claimed->front(), clock.Now(), clock.Now() + seconds(30)).ok());
  // ... and the process dies before recording the outcome.
  clock.Advance(seconds(31));
  auto worker = Worker(*store, clock);
  EXPECT_EQ(worker->RunOnce(), 1);
  EXPECT_EQ(metrics.send_unknown_outcome.load(), 1u);
  EXPECT_NE(log_text.str().find("unknown_outcome_since"), std::string::npos);
  // A recorded failure clears the mark: the next retry is not counted again.
  Queue(*store, "491740000001", "fails once");
  graph.Enqueue(FakeGraphServer::MetaError(503, 131016, "Service unavailable"));
  EXPECT_EQ(worker->RunOnce(), 1);
  clock.Advance(seconds(5));
  EXPECT_EQ(worker->RunOnce(), 1);
  EXPECT_EQ(metrics.send_unknown_outcome.load(), 1u);
}

// Bug: the rate limiter slept on the wall clock while reading the injected one, so with a manual
// clock more than 80 sends for one number never finished.
TEST_P(OutboxDeliveryTest, RateLimiterWaitsOnTheInjectedClock) {
  for (int c = 0; c < 100; ++c) Queue(*store, "4917500" + std::to_string(100 + c), "paced");
  const TimePoint start = clock.Now();
  auto worker = Worker(*store, clock);
  EXPECT_EQ(worker->RunOnce(), 100);
  EXPECT_GE(clock.Now() - start, milliseconds(240));  // 20 sends beyond the burst of 80
  EXPECT_EQ(graph.Requests().size(), 100u);
}

// Bug: after PostgreSQL restarted, pooled connections that had died answered 503 ("server closed
// the connection unexpectedly") until each had failed once.
TEST_P(OutboxDeliveryTest, PooledConnectionsHealAfterTheServerDropsThem) {
  if (GetParam() != "postgresql") GTEST_SKIP() << "PostgreSQL only";
  Queue(*store, "491760000000", "before");
  db.TerminateOtherConnections();
  // Every pooled connection (8) is dead now; each call must still succeed.
  for (int i = 0; i < 20; ++i) {
    auto items = store->ListOutbox(0, 10);
    ASSERT_TRUE(items.ok()) << i << ": " << items.status().ToString();
    EXPECT_EQ(items->size(), 1u);
  }
  EXPECT_TRUE(store->Ping().ok());
  db.TerminateOtherConnections();
  Queue(*store, "491760000000", "after");  // a transaction on a dead connection
  EXPECT_EQ(OutboxSize(), 2u);
}

INSTANTIATE_TEST_SUITE_P(Db, OutboxDeliveryTest, ::testing::ValuesIn(TestDialects()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace handoffd::testing
