// Integration webhook delivery rate (issue 12): appends N events spread over S sessions to the
// events feed, then runs the real relay (events -> outbox) and the real outbox worker (4 sender
// threads, curl, HMAC-signed POSTs) against a local HTTP receiver on loopback that answers 200,
// and times until the receiver has every event. Checks per-session order and signatures.
//
//   integration_delivery --database URL [--events 20000] [--sessions 200]
//
// URL is a database.url (sqlite:PATH or postgresql://...), migrated here; it should be fresh.
// Prints one JSON line.
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "channels/http_client.h"
#include "channels/whatsapp/bot_forwarder.h"
#include "channels/whatsapp/signature.h"
#include "common/clock.h"
#include "log/logger.h"
#include "metrics/metrics.h"
#include "outbox/integration_relay.h"
#include "outbox/outbox_worker.h"
#include "store/store.h"

namespace {

constexpr char kSecret[] = "bench-secret";

class NoSender final : public handoffd::ChannelSender {
 public:
  handoffd::SendResult Send(const handoffd::OutboundMessage&, int) override {
    handoffd::SendResult r;
    r.outcome = handoffd::SendResult::Outcome::kPermanent;
    return r;
  }
};

}  // namespace

int main(int argc, char** argv) {
  using namespace handoffd;
  std::string database;
  long long events = 20000;
  long long sessions = 200;
  for (int k = 1; k + 1 < argc; k += 2) {
    const std::string a = argv[k];
    if (a == "--database") database = argv[k + 1];
    if (a == "--events") events = std::stoll(argv[k + 1]);
    if (a == "--sessions") sessions = std::stoll(argv[k + 1]);
  }
  if (database.empty() || events < 1 || sessions < 1) {
    std::cerr << "usage: integration_delivery --database URL [--events N] [--sessions N]\n";
    return 2;
  }
  SystemClock clock;
  StoreOptions so;
  so.url = database;
  so.clock = &clock;
  auto store = OpenStore(so);
  if (!store.ok() || !(*store)->Migrate().ok()) {
    std::cerr << "integration_delivery: cannot open or migrate the database\n";
    return 1;
  }

  // The receiver: records arrival order per session; checks each signature.
  std::mutex mu;
  std::map<int64_t, int64_t> last_of_session;
  std::atomic<long long> received{0}, out_of_order{0}, bad_signature{0};
  httplib::Server receiver;
  receiver.Post("/hook", [&](const httplib::Request& req, httplib::Response& res) {
    if (req.get_header_value("X-Handoffd-Signature") != whatsapp::SignBody(kSecret, req.body)) {
      ++bad_signature;
    }
    auto e = nlohmann::json::parse(req.body, nullptr, false);
    const int64_t id = e.value("id", int64_t{0});
    const int64_t session = e["data"].value("session_id", int64_t{0});
    {
      std::lock_guard lock(mu);
      if (id <= last_of_session[session]) ++out_of_order;
      last_of_session[session] = id;
    }
    ++received;
    res.status = 200;
  });
  const int port = receiver.bind_to_any_port("127.0.0.1");
  std::thread server([&] { receiver.listen_after_bind(); });
  while (!receiver.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/hook";

  // The feed: message.created-shaped events, round-robin over the sessions.
  std::vector<EventRecord> batch;
  for (long long k = 0; k < events; ++k) {
    EventRecord e;
    e.type = "message.created";
    e.audience = EventAudience::kAllAgents;
    e.data =
        nlohmann::json{{"id", k + 1}, {"session_id", 1 + k % sessions}, {"content", "hi"}}.dump();
    batch.push_back(std::move(e));
    if (batch.size() == 1000 || k + 1 == events) {
      Status st = (*store)->Transact([&](StoreTx& tx) { return tx.AppendEvents(batch); });
      if (!st.ok()) {
        std::cerr << "integration_delivery: seeding: " << st.ToString() << "\n";
        return 1;
      }
      batch.clear();
    }
  }

  auto log = Logger::Create("json", "warn");
  Metrics metrics;
  OutboxOptions oo;
  OutboxWorker worker(
      **store, clock, *log, metrics, [] { return std::make_unique<NoSender>(); },
      [&] {
        return whatsapp::MakeBotForwarder(MakeCurlHttpClient({}), "",
                                          std::map<std::string, std::string>{{url, kSecret}});
      },
      oo);
  IntegrationRelayOptions ro;
  ro.hooks.push_back({url, {"*"}});
  ro.on_outbox = [&worker] { worker.Notify(); };
  IntegrationRelay relay(**store, clock, *log, ro);  // no Start(): no high-water, all events

  const auto t0 = std::chrono::steady_clock::now();
  worker.Start();
  long long queued = 0;
  while (queued < events) {
    auto n = relay.RunOnce();
    if (!n.ok()) {
      std::cerr << "integration_delivery: relay: " << n.status().ToString() << "\n";
      return 1;
    }
    queued += *n;
    if (*n == 0) break;
  }
  const double relay_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const auto deadline = t0 + std::chrono::minutes(10);
  while (received.load() < events && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const double total_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  worker.Stop();
  receiver.stop();
  server.join();
  std::printf(
      "{\"dialect\":\"%s\",\"events\":%lld,\"sessions\":%lld,\"queued\":%lld,"
      "\"received\":%lld,\"out_of_order\":%lld,\"bad_signature\":%lld,\"relay_seconds\":%.2f,"
      "\"seconds\":%.2f,\"events_per_s\":%.0f}\n",
      (*store)->Dialect().c_str(), events, sessions, queued, received.load(), out_of_order.load(),
      bad_signature.load(), relay_s, total_s, static_cast<double>(received.load()) / total_s);
  return received.load() == events && out_of_order.load() == 0 && bad_signature.load() == 0 ? 0 : 1;
}
