// Group commit on the webhook path (router/group_commit.h), on both databases: concurrent
// webhooks share one transaction and each is answered only after it committed; a webhook whose
// write fails (a real database error, which aborts a PostgreSQL transaction) fails alone; a
// failed shared commit fails every webhook of the group and their redelivery stores each once.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "channels/whatsapp/webhook_builder.h"
#include "channels/whatsapp/webhook_parser.h"
#include "support/failing_store.h"
#include "support/router_harness.h"

namespace handoffd::testing {
namespace {

constexpr int kWebhooks = 6;

/// Waits until `done` holds (true) or 10 s pass (false).
bool Await(const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

class GroupCommitTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    for (int i = 0; i < kWebhooks; ++i) {
      ASSERT_TRUE(h.Button(Customer(i), "AGENT_MODE").ok());
      sessions.push_back(h.OpenSession(Customer(i))->id);
    }
    RouterOptions o = RouterHarness::DefaultRouterOptions();
    o.group_commit.max_batch = 64;
    o.group_commit.max_groups = 1;  // units queued behind a group wait for it
    router = std::make_unique<Router>(failing, h.clock, *h.log, h.metrics, o);
    messages_before = h.metrics.messages_in.load();
  }

  static std::string Customer(int i) { return "49151000000" + std::to_string(10 + i); }
  static std::string Wamid(int i) { return "wamid.group-commit-" + std::to_string(i); }

  static std::string Body(int i) {
    whatsapp::SimulatedMessage m;
    m.from = Customer(i);
    m.name = "Customer " + std::to_string(i);
    m.timestamp = 1'790'000'000;
    m.wamid = Wamid(i);
    m.text = "message " + std::to_string(i);
    return whatsapp::BuildMessageWebhook(m);
  }

  Status Deliver(int i) {
    const std::string body = Body(i);
    auto batch = whatsapp::ParseWebhook(body, {});
    if (!batch.ok()) return batch.status();
    return router->HandleBatch(*batch, body).status();
  }

  /// Customer messages with the test's wamid stored in customer i's session.
  int Stored(int i) {
    int n = 0;
    for (const Message& m : h.Messages(sessions[static_cast<size_t>(i)])) {
      if (m.channel_message_id == Wamid(i)) ++n;
    }
    return n;
  }

  /// Delivers webhook 0 first and holds its transaction until webhooks 1..n-1 are all queued
  /// behind it, so that those form one group. Returns each webhook's status; `visible[i]` is
  /// whether its message was readable from another connection when its call returned.
  std::vector<Status> DeliverHeldGroup(std::vector<bool>& visible) {
    std::atomic<int> calls{0};
    failing.on_transact = [&] {
      if (++calls == 1) {
        EXPECT_TRUE(Await([&] { return router->group_commit()->queued() == kWebhooks - 1; }));
      }
    };
    std::vector<Status> out(kWebhooks);
    visible.assign(kWebhooks, false);
    std::vector<std::thread> threads;
    auto run = [&](int i) {
      out[static_cast<size_t>(i)] = Deliver(i);
      visible[static_cast<size_t>(i)] = Stored(i) == 1;
    };
    threads.emplace_back(run, 0);
    EXPECT_TRUE(Await([&] { return calls.load() == 1; }));
    for (int i = 1; i < kWebhooks; ++i) threads.emplace_back(run, i);
    for (auto& t : threads) t.join();
    failing.on_transact = nullptr;
    return out;
  }

  RouterHarness h{GetParam()};
  FailingStore failing{*h.store};
  std::vector<int64_t> sessions;
  std::unique_ptr<Router> router;
  uint64_t messages_before = 0;
};

TEST_P(GroupCommitTest, ConcurrentWebhooksShareOneCommitAndAreAnsweredAfterIt) {
  std::vector<bool> visible;
  const auto statuses = DeliverHeldGroup(visible);
  for (int i = 0; i < kWebhooks; ++i) {
    const Status& st = statuses[static_cast<size_t>(i)];
    EXPECT_TRUE(st.ok()) << i << ": " << st.ToString();
    EXPECT_TRUE(visible[static_cast<size_t>(i)]) << "webhook " << i << " answered before commit";
    EXPECT_EQ(Stored(i), 1);
  }
  // Webhook 0 alone, then the other five together.
  EXPECT_EQ(failing.transactions(), 2);
  const GroupCommitStats stats = router->group_commit()->stats();
  EXPECT_EQ(stats.transactions, 2);
  EXPECT_EQ(stats.units, kWebhooks);
  EXPECT_EQ(stats.isolated, 0);
  EXPECT_EQ(stats.batched, kWebhooks - 1);  // the five appended by one batched statement
  EXPECT_EQ(h.metrics.messages_in.load() - messages_before, static_cast<uint64_t>(kWebhooks));
}

TEST_P(GroupCommitTest, OneFailingWebhookDoesNotFailTheOthers) {
  failing.poison_wamid = Wamid(3);  // webhook 3's insert hits a foreign-key violation
  std::vector<bool> visible;
  const auto statuses = DeliverHeldGroup(visible);
  for (int i = 0; i < kWebhooks; ++i) {
    if (i == 3) {
      EXPECT_FALSE(statuses[3].ok());
      EXPECT_EQ(Stored(3), 0);
      continue;
    }
    const Status& st = statuses[static_cast<size_t>(i)];
    EXPECT_TRUE(st.ok()) << i << ": " << st.ToString();
    EXPECT_TRUE(visible[static_cast<size_t>(i)]);
    EXPECT_EQ(Stored(i), 1);
  }
  // 0 alone; the group of five fails on 3 in the batched append, and again unbatched; 3 alone
  // (fails again); the other four commit.
  EXPECT_EQ(router->group_commit()->stats().isolated, 1);
  EXPECT_EQ(failing.transactions(), 5);

  failing.poison_wamid.clear();  // Meta redelivers webhook 3
  EXPECT_TRUE(Deliver(3).ok());
  for (int i = 0; i < kWebhooks; ++i) EXPECT_EQ(Stored(i), 1) << i;
}

TEST_P(GroupCommitTest, AFailedSharedCommitFailsAllAndTheRedeliveryLosesNothing) {
  std::atomic<int> calls{0};
  // The group's COMMIT is lost (webhook 0's own transaction commits).
  auto statuses = [&] {
    std::vector<Status> out(kWebhooks);
    std::vector<std::thread> threads;
    failing.on_transact = [&] {
      if (++calls == 1) {
        EXPECT_TRUE(Await([&] { return router->group_commit()->queued() == kWebhooks - 1; }));
        failing.fail_commits = false;
      } else {
        failing.fail_commits = true;
      }
    };
    auto run = [&](int i) { out[static_cast<size_t>(i)] = Deliver(i); };
    threads.emplace_back(run, 0);
    EXPECT_TRUE(Await([&] { return calls.load() == 1; }));
    for (int i = 1; i < kWebhooks; ++i) threads.emplace_back(run, i);
    for (auto& t : threads) t.join();
    failing.on_transact = nullptr;
    failing.fail_commits = false;
    return out;
  }();
  EXPECT_TRUE(statuses[0].ok()) << statuses[0].ToString();
  EXPECT_EQ(Stored(0), 1);
  for (int i = 1; i < kWebhooks; ++i) {
    EXPECT_EQ(statuses[static_cast<size_t>(i)].code(), ErrorCode::kUnavailable) << i;
    EXPECT_EQ(Stored(i), 0) << i;
  }
  EXPECT_EQ(calls.load(), 2);  // one shared commit for webhooks 1..5, failed as a whole

  // Meta redelivers every webhook not answered 200 (and may redeliver 0 too): all stored once.
  for (int i = 0; i < kWebhooks; ++i) EXPECT_TRUE(Deliver(i).ok()) << i;
  for (int i = 0; i < kWebhooks; ++i) EXPECT_EQ(Stored(i), 1) << i;
  EXPECT_EQ(h.metrics.duplicates.load(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Db, GroupCommitTest, ::testing::ValuesIn(TestDialects()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace handoffd::testing
