// The real-time feed on both databases: events written with their change, in order, replayed
// exactly after a reconnect or a restart, filtered by role, reset past the retention; and the
// SSE endpoint over real HTTP.
#include <gtest/gtest.h>
#include <httplib.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <thread>

#include "auth/token.h"
#include "events/event_hub.h"
#include "http/api_server.h"
#include "support/router_harness.h"

namespace handoffd::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr char kAnna[] = "4915112345678";

std::vector<std::string> Types(const std::vector<EventRecord>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e.type);
  return out;
}

class EventsTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { ASSERT_TRUE(hub->Start().ok()); }

  /// Everything after `cursor`, pumping first so nothing waits on the poll interval.
  EventBatch All(EventHub& h, int64_t cursor) {
    h.PumpOnce(std::chrono::steady_clock::now());
    return h.Next(cursor, 1000, milliseconds(0));
  }

  RouterHarness h{GetParam()};
  std::unique_ptr<EventHub> hub = std::make_unique<EventHub>(*h.store, *h.log);
};

TEST_P(EventsTest, ChangesAreFollowedByTheirEventsInOrder) {
  const int64_t start = hub->HighWater();
  ASSERT_TRUE(h.Button(kAnna, "AGENT_MODE").ok());
  Agent ana = h.AddAgent("Ana");
  const int64_t id = h.OpenSession(kAnna)->id;
  ASSERT_TRUE(h.sessions->Assign(id, ana, std::nullopt).ok());
  ASSERT_TRUE(h.Text(kAnna, "Hallo?").ok());  // the one-statement fast path writes its event too

  EventBatch b = All(*hub, start);
  ASSERT_FALSE(b.reset);
  EXPECT_EQ(Types(b.events),
            (std::vector<std::string>{"session.created", "message.created", "message.created",
                                      "session.assigned", "message.created", "message.created",
                                      "message.created", "session.extended"}));
  for (size_t i = 1; i < b.events.size(); ++i) EXPECT_GT(b.events[i].id, b.events[i - 1].id);
  auto created = nlohmann::json::parse(b.events[0].data);
  EXPECT_EQ(created["id"], id);
  EXPECT_EQ(created["status"], "waiting");
  auto assigned = nlohmann::json::parse(b.events[3].data);
  EXPECT_EQ(assigned["status"], "active");
  EXPECT_EQ(assigned["agent_name"], "Ana");
  auto text = nlohmann::json::parse(b.events[b.events.size() - 2].data);
  EXPECT_EQ(text["content"], "Hallo?");
  EXPECT_EQ(text["session_id"], id);
  EXPECT_TRUE(text["id"].is_number_integer());
  EXPECT_EQ(text["sender_type"], "customer");
  // The customer's message moved the expiry and the 24-hour window: every dashboard hears it.
  auto moved = nlohmann::json::parse(b.events.back().data);
  EXPECT_EQ(moved["session_id"], id);
  EXPECT_EQ(moved["last_customer_message_at"], text["sent_at"]);
  EXPECT_FALSE(moved["window_expires_at"].is_null());
}

TEST_P(EventsTest, AReconnectOrARestartReplaysExactlyWhatWasMissed) {
  const int64_t start = hub->HighWater();
  ASSERT_TRUE(h.Button(kAnna, "AGENT_MODE").ok());
  EventBatch first = All(*hub, start);
  ASSERT_EQ(first.events.size(), 3u);
  const int64_t seen = first.events[0].id;  // the client saw only the first one

  ASSERT_TRUE(h.Text(kAnna, "noch da?").ok());
  EventBatch missed = All(*hub, seen);
  ASSERT_EQ(missed.events.size(), 4u);
  EXPECT_EQ(missed.events[0].id, first.events[1].id);
  EXPECT_EQ(missed.events[2].type, "message.created");
  EXPECT_EQ(missed.events.back().type, "session.extended");

  // After a daemon restart: a new hub, resuming from the store.
  hub->Stop();
  EventHub restarted(*h.store, *h.log);
  ASSERT_TRUE(restarted.Start().ok());
  EventBatch replay = restarted.Next(seen, 1000, milliseconds(0));
  ASSERT_EQ(replay.events.size(), 4u);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(replay.events[i].id, missed.events[i].id);
  EXPECT_TRUE(restarted.Next(missed.events.back().id, 1000, milliseconds(0)).events.empty());
  restarted.Stop();
}

TEST_P(EventsTest, AgentsSeeWaitingSessionsAndTheirOwnSupervisorsEverything) {
  Agent ana = h.AddAgent("Ana");
  Agent bo = h.AddAgent("Bo");
  Agent sue = h.AddAgent("Sue", Role::kSupervisor);
  const int64_t start = hub->HighWater();
  ASSERT_TRUE(h.Button(kAnna, "AGENT_MODE").ok());
  const int64_t id = h.OpenSession(kAnna)->id;
  ASSERT_TRUE(h.sessions->Assign(id, ana, std::nullopt).ok());
  auto reply = h.sessions->Reply(id, ana, "privat");
  ASSERT_TRUE(reply.ok());

  EventBatch b = All(*hub, start);
  const EventRecord& created = b.events.front();
  const EventRecord& reply_event = b.events.back();
  ASSERT_EQ(created.type, "session.created");
  ASSERT_EQ(reply_event.type, "message.created");
  EXPECT_EQ(nlohmann::json::parse(reply_event.data)["content"], "privat");
  for (const Agent* a : {&ana, &bo, &sue}) EXPECT_TRUE(EventVisibleTo(created, *a)) << a->name;
  EXPECT_TRUE(EventVisibleTo(reply_event, ana));
  EXPECT_FALSE(EventVisibleTo(reply_event, bo));
  EXPECT_TRUE(EventVisibleTo(reply_event, sue));
  // Every agent learns that the waiting session was taken.
  auto assigned = std::find_if(b.events.begin(), b.events.end(),
                               [](const EventRecord& e) { return e.type == "session.assigned"; });
  ASSERT_NE(assigned, b.events.end());
  EXPECT_TRUE(EventVisibleTo(*assigned, bo));
}

TEST_P(EventsTest, ResumingFromBeforeTheRetentionGetsAReset) {
  const int64_t start = hub->HighWater();
  ASSERT_TRUE(h.Button(kAnna, "AGENT_MODE").ok());
  EventBatch b = All(*hub, start);
  ASSERT_EQ(b.events.size(), 3u);
  ASSERT_TRUE(h.store->PruneEvents(h.clock.Now() + seconds(1)).ok());
  EventHub restarted(*h.store, *h.log);  // nothing in memory: must ask the store
  ASSERT_TRUE(restarted.Start().ok());
  ASSERT_TRUE(h.Text(kAnna, "after the prune").ok());
  restarted.PumpOnce(std::chrono::steady_clock::now());
  EventBatch resumed = restarted.Next(b.events[0].id, 1000, milliseconds(0));
  EXPECT_TRUE(resumed.reset);
  EXPECT_TRUE(resumed.events.empty());
  restarted.Stop();
}

// The SSE endpoint over HTTP: the stream carries id/event/data, resumes with Last-Event-ID and
// ends at logout.
TEST_P(EventsTest, ServerSentEventsResumeAndEndAtLogout) {
  Agent sue = h.AddAgent("Sue", Role::kSupervisor);
  ApiServerOptions o;
  o.port = 0;
  o.threads = 2;
  o.heartbeat = milliseconds(200);
  ApiServer server(ApiDeps{*h.store,
                           *h.router,
                           *h.sessions,
                           h.clock,
                           *h.log,
                           h.metrics,
                           hub.get(),
                           nullptr,
                           {},
                           nullptr,
                           nullptr,
                           {}},
                   o);
  ASSERT_TRUE(server.Bind().ok());
  std::thread serving([&] { server.Run(); });
  const std::string token = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  ASSERT_TRUE(h.store
                  ->CreateToken(HashToken(token), sue.id, h.clock.Now(),
                                h.clock.Now() + std::chrono::hours(1))
                  .ok());
  const int64_t start = hub->HighWater();

  // Reads the stream until `want_events` events arrived (or it ends); `on_open` runs once the
  // server has sent its ": connected" preamble, so a test acts on an open stream, not on a guess.
  auto read_stream = [&](const std::string& last_event_id, size_t want_events,
                         const std::function<void()>& on_open = nullptr) {
    std::string text;
    bool opened = false;
    httplib::Client c("127.0.0.1", server.port());
    httplib::Headers headers = {{"Authorization", "Bearer " + token}};
    if (!last_event_id.empty()) headers.emplace("Last-Event-ID", last_event_id);
    c.set_read_timeout(5, 0);
    c.Get("/api/events", headers, [&](const char* data, size_t n) {
      text.append(data, n);
      if (!opened && text.find(": connected\n") != std::string::npos) {
        opened = true;
        if (on_open) on_open();
      }
      size_t events = 0;
      for (size_t p = text.find("\nevent: "); p != std::string::npos;
           p = text.find("\nevent: ", p + 1)) {
        ++events;
      }
      return events < want_events;  // stop once enough arrived
    });
    return text;
  };

  // The customer acts once the stream is open: its events arrive live.
  const std::string live = read_stream(std::to_string(start), 3, [&] {
    ASSERT_TRUE(h.Button(kAnna, "AGENT_MODE").ok());
    hub->Notify();
  });
  EXPECT_NE(live.find("event: session.created\ndata: {"), std::string::npos) << live;
  const size_t id_at = live.find("id: ");
  ASSERT_NE(id_at, std::string::npos);
  const int64_t first_id = std::stoll(live.substr(id_at + 4));

  const std::string resumed = read_stream(std::to_string(first_id), 2);
  EXPECT_EQ(resumed.find("session.created"), std::string::npos) << resumed;
  EXPECT_NE(resumed.find("id: " + std::to_string(first_id + 1) + "\nevent: message.created"),
            std::string::npos)
      << resumed;

  // Logout ends an open stream at its next heartbeat.
  std::chrono::steady_clock::time_point logged_out;
  read_stream("", 1000, [&] {
    ASSERT_TRUE(h.store->DeleteToken(HashToken(token)).ok());
    logged_out = std::chrono::steady_clock::now();
  });
  EXPECT_LT(std::chrono::steady_clock::now() - logged_out, seconds(3));

  hub->Stop();
  server.Stop();
  serving.join();
}

INSTANTIATE_TEST_SUITE_P(Db, EventsTest, ::testing::ValuesIn(TestDialects()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace handoffd::testing
