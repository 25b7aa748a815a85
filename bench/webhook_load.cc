// webhook_load: drives POST /webhooks/whatsapp of a running handoffd with signed, Meta-shaped text
// webhooks and reports throughput and latency.
//
//   webhook_load --url http://127.0.0.1:8080 --secret S [--connections 32] [--duration 20s]
//                [--rate 0] [--customers 200] [--warmup [3s]] [--phone-number-id ID]
//                [--label NAME]
//
// 1. Opens a session for each of --customers customers (an AGENT_MODE button_reply each), so the
//    measured texts join open sessions (the agent path, not the bot path).
// 2. Optionally warms up (not measured).
// 3. Builds and signs every measured webhook in advance (unique wamid each), so building and
//    signing are not measured.
// 4. Each connection (one thread, one keep-alive httplib::Client) posts its webhooks:
//    --rate 0: closed loop, as fast as the daemon answers; latency = response - send.
//    --rate R: open loop, R msgs/s in total, each connection on a fixed schedule; latency is
//              measured from the *scheduled* send time, so a stalled daemon shows up in the tail
//              instead of silently lowering the offered load (no coordinated omission).
// Prints one JSON line on stdout and a human summary on stderr. Exit status 0 when the run
// happened (errors are reported, not fatal), 2 on bad arguments, 1 when the daemon is unreachable.

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench_common.h"
#include "channels/whatsapp/signature.h"
#include "channels/whatsapp/webhook_builder.h"

namespace {

using bench::CustomerWaId;
using bench::MakeClient;
using bench::NowUnixSeconds;
using bench::ParseSeconds;
using bench::Percentile;
using bench::Prepared;
using bench::Round;
using bench::Send;
using bench::StatusName;
using SteadyClock = std::chrono::steady_clock;
using std::chrono::duration;
using std::chrono::nanoseconds;

struct Options {
  std::string url;
  std::string secret;
  int connections = 32;
  double duration_s = 20;
  double rate = 0;  // msgs/s in total; 0 = as fast as possible
  int customers = 200;
  double warmup_s = 0;
  std::string phone_number_id = "123456789012345";
  std::string label;
  size_t max_prebuilt = 400000;  // closed loop without warm-up: messages prepared in advance
  int media_percent = 0;         // this share of the messages are images (with a media id)
};

[[noreturn]] void Usage(const std::string& error) {
  if (!error.empty()) std::cerr << "webhook_load: " << error << "\n";
  std::cerr << "usage: webhook_load --url http://HOST:PORT --secret SECRET [--connections N]\n"
               "         [--duration 20s] [--rate MSGS_PER_S (0 = max)] [--customers N]\n"
               "         [--warmup [DURATION]] [--phone-number-id ID] [--label NAME]\n"
               "         [--max-prebuilt N] [--media-percent 0-100]\n";
  std::exit(2);
}

Options ParseArgs(int argc, char** argv) {
  Options o;
  auto need = [&](int& i) -> std::string {
    if (i + 1 >= argc) Usage(std::string(argv[i]) + " needs a value");
    return argv[++i];
  };
  auto to_int = [](const std::string& flag, const std::string& v) {
    char* end = nullptr;
    long n = std::strtol(v.c_str(), &end, 10);
    if (v.empty() || *end != '\0' || n < 0) Usage(flag + ": not a number: " + v);
    return n;
  };
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--url") {
      o.url = need(i);
    } else if (a == "--secret") {
      o.secret = need(i);
    } else if (a == "--connections") {
      o.connections = static_cast<int>(to_int(a, need(i)));
    } else if (a == "--duration") {
      if (!ParseSeconds(need(i), &o.duration_s)) Usage("--duration: bad duration");
    } else if (a == "--rate") {
      std::string v = need(i);
      char* end = nullptr;
      o.rate = std::strtod(v.c_str(), &end);
      if (*end != '\0' || o.rate < 0) Usage("--rate: not a number: " + v);
    } else if (a == "--customers") {
      o.customers = static_cast<int>(to_int(a, need(i)));
    } else if (a == "--warmup") {
      o.warmup_s = 3;
      if (i + 1 < argc && std::string(argv[i + 1]).rfind("--", 0) != 0) {
        if (!ParseSeconds(argv[++i], &o.warmup_s)) Usage("--warmup: bad duration");
      }
    } else if (a.rfind("--warmup=", 0) == 0) {
      if (!ParseSeconds(a.substr(9), &o.warmup_s)) Usage("--warmup: bad duration");
    } else if (a == "--phone-number-id") {
      o.phone_number_id = need(i);
    } else if (a == "--label") {
      o.label = need(i);
    } else if (a == "--max-prebuilt") {
      o.max_prebuilt = static_cast<size_t>(to_int(a, need(i)));
    } else if (a == "--media-percent") {
      o.media_percent = to_int(a, need(i));
      if (o.media_percent < 0 || o.media_percent > 100) Usage("--media-percent: 0 to 100");
    } else if (a == "--help" || a == "-h") {
      Usage("");
    } else {
      Usage("unknown argument " + a);
    }
  }
  if (o.url.empty()) Usage("--url is required");
  if (o.secret.empty()) Usage("--secret is required");
  if (o.connections < 1) Usage("--connections must be at least 1");
  if (o.customers < 1) Usage("--customers must be at least 1");
  if (o.duration_s <= 0) Usage("--duration must be positive");
  return o;
}

// The text webhook `body` as an image message with a caption (Meta's shape, facts section 4):
// what a customer's photo looks like to the webhook path (the download starts after the 200).
std::string AsImage(const std::string& body, const std::string& wamid) {
  nlohmann::json j = nlohmann::json::parse(body);
  nlohmann::json& message = j["entry"][0]["changes"][0]["value"]["messages"][0];
  const std::string caption = message["text"]["body"];
  message.erase("text");
  message["type"] = "image";
  message["image"] = {{"caption", caption},
                      {"mime_type", "image/jpeg"},
                      {"sha256", "bench0000000000000000000000000000000000000000="},
                      {"id", "media." + wamid}};
  return j.dump();
}

// Builds webhooks for one connection: unique wamids, customers assigned round-robin so that each
// customer is (for customers >= connections) driven by a single connection.
class MessageFactory {
 public:
  MessageFactory(const Options& o, const std::string& run_id, int connection)
      : options_(o), run_id_(run_id), connection_(connection) {
    for (int i = connection; i < o.customers; i += o.connections) customers_.push_back(i);
    if (customers_.empty()) customers_.push_back(connection % o.customers);
  }

  Prepared Next(const std::string& phase) {
    handoffd::whatsapp::SimulatedMessage m;
    m.phone_number_id = options_.phone_number_id;
    int customer = customers_[seq_ % customers_.size()];
    m.from = CustomerWaId(customer);
    m.name = "Load Customer " + std::to_string(customer);
    m.wamid = "wamid.BENCH." + run_id_ + "." + phase + "." + std::to_string(connection_) + "." +
              std::to_string(seq_);
    m.timestamp = NowUnixSeconds();
    m.text = "Load test message " + std::to_string(seq_) + " from connection " +
             std::to_string(connection_) + ": where is my order?";
    const bool media = static_cast<int>(seq_ % 100) < options_.media_percent;
    ++seq_;
    Prepared p;
    p.body = handoffd::whatsapp::BuildMessageWebhook(m);
    if (media) p.body = AsImage(p.body, m.wamid);
    p.signature = handoffd::whatsapp::SignBody(options_.secret, p.body);
    return p;
  }

 private:
  const Options& options_;
  std::string run_id_;
  int connection_;
  std::vector<int> customers_;
  size_t seq_ = 0;
};

struct ConnectionResult {
  std::vector<int64_t> latencies_ns;
  std::map<int, int64_t> statuses;  // negative: transport error (see Send)
  int64_t errors = 0;
  int64_t generated_on_the_fly = 0;
  SteadyClock::time_point last_done{};
};

// Runs the load for `seconds`; `prepared[c]` is consumed first, then messages are built on the fly.
std::vector<ConnectionResult> RunLoad(const Options& o, const std::string& run_id,
                                      const std::string& phase, double seconds,
                                      std::vector<std::vector<Prepared>>* prepared,
                                      SteadyClock::time_point* started) {
  const int n = o.connections;
  std::vector<ConnectionResult> results(n);
  std::vector<std::thread> threads;
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  SteadyClock::time_point t0;
  const auto run_for = std::chrono::duration_cast<nanoseconds>(duration<double>(seconds));

  for (int c = 0; c < n; ++c) {
    threads.emplace_back([&, c] {
      auto client = MakeClient(o.url);
      MessageFactory factory(o, run_id, c);
      std::vector<Prepared> empty;
      std::vector<Prepared>& mine = prepared != nullptr ? (*prepared)[c] : empty;
      ConnectionResult& r = results[c];
      // Open the keep-alive connection before the clock starts.
      client->Get("/healthz");
      ready++;
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      const auto end = t0 + run_for;
      size_t k = 0;
      nanoseconds interval{0};
      nanoseconds phase_offset{0};
      if (o.rate > 0) {
        interval = std::chrono::duration_cast<nanoseconds>(duration<double>(n / o.rate));
        phase_offset = std::chrono::duration_cast<nanoseconds>(duration<double>(c / o.rate));
      }
      while (true) {
        SteadyClock::time_point scheduled;
        if (o.rate > 0) {
          scheduled = t0 + phase_offset + interval * static_cast<int64_t>(k);
          if (scheduled >= end) break;
          std::this_thread::sleep_until(scheduled);
        } else {
          scheduled = SteadyClock::now();
          if (scheduled >= end) break;
        }
        Prepared fly;
        const Prepared* p;
        if (k < mine.size()) {
          p = &mine[k];
        } else {
          fly = factory.Next(phase + "x");
          ++r.generated_on_the_fly;
          p = &fly;
          if (o.rate == 0) scheduled = SteadyClock::now();  // do not count building
        }
        int status = Send(*client, *p);
        auto done = SteadyClock::now();
        r.latencies_ns.push_back(std::chrono::duration_cast<nanoseconds>(done - scheduled).count());
        r.statuses[status]++;
        if (status != 200) r.errors++;
        r.last_done = done;
        ++k;
      }
    });
  }
  while (ready.load() < n) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  t0 = SteadyClock::now() + std::chrono::milliseconds(20);
  if (started != nullptr) *started = t0;
  go.store(true, std::memory_order_release);
  for (auto& t : threads) t.join();
  return results;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = ParseArgs(argc, argv);
  const std::string run_id = bench::RandomRunId();

  {
    auto probe = MakeClient(o.url);
    auto res = probe->Get("/healthz");
    if (!res || res->status != 200) {
      std::cerr << "webhook_load: " << o.url << "/healthz is not answering 200\n";
      return 1;
    }
  }

  // 1. Sessions for every customer.
  auto setup_start = SteadyClock::now();
  std::map<int, int64_t> open_failures;  // status (negative: transport error) -> count
  int64_t opened = bench::OpenSessions(
      {o.url, o.secret, o.phone_number_id, o.customers, o.connections, run_id}, &open_failures);
  double setup_s = duration<double>(SteadyClock::now() - setup_start).count();
  std::cerr << "webhook_load: opened sessions for " << opened << "/" << o.customers
            << " customers in " << Round(setup_s, 2) << " s";
  for (auto [status, n] : open_failures) {
    std::cerr << "; " << n << " x " << StatusName(status);
  }
  std::cerr << "\n";

  // 2. Warm-up (closed or open loop like the real run, messages built on the fly).
  double warmup_rate = 0;
  if (o.warmup_s > 0) {
    SteadyClock::time_point t0;
    auto warm = RunLoad(o, run_id, "w", o.warmup_s, nullptr, &t0);
    int64_t n = 0;
    SteadyClock::time_point last = t0;
    for (const auto& r : warm) {
      n += static_cast<int64_t>(r.latencies_ns.size());
      last = std::max(last, r.last_done);
    }
    warmup_rate = n / std::max(1e-9, duration<double>(last - t0).count());
    std::cerr << "webhook_load: warm-up " << n << " messages, " << Round(warmup_rate, 1)
              << " msgs/s\n";
  }

  // 3. Prepare every measured message in advance (in parallel; not measured).
  size_t per_connection;
  if (o.rate > 0) {
    per_connection = static_cast<size_t>(std::ceil(o.rate / o.connections * o.duration_s)) + 16;
  } else if (warmup_rate > 0) {
    per_connection = static_cast<size_t>(warmup_rate * o.duration_s * 1.5 / o.connections) + 64;
  } else {
    per_connection = o.max_prebuilt / static_cast<size_t>(o.connections);
  }
  per_connection = std::min(per_connection, o.max_prebuilt / static_cast<size_t>(o.connections));
  std::vector<std::vector<Prepared>> prepared(o.connections);
  {
    auto t = SteadyClock::now();
    std::vector<std::thread> builders;
    const int n_builders = std::max(1u, std::thread::hardware_concurrency());
    for (int b = 0; b < n_builders; ++b) {
      builders.emplace_back([&, b] {
        for (int c = b; c < o.connections; c += n_builders) {
          MessageFactory factory(o, run_id, c);
          prepared[c].reserve(per_connection);
          for (size_t k = 0; k < per_connection; ++k) prepared[c].push_back(factory.Next("m"));
        }
      });
    }
    for (auto& b : builders) b.join();
    std::cerr << "webhook_load: prepared " << per_connection * o.connections
              << " signed webhooks in "
              << Round(duration<double>(SteadyClock::now() - t).count(), 2) << " s\n";
  }

  // 4. The measured run.
  SteadyClock::time_point t0;
  auto results = RunLoad(o, run_id, "m", o.duration_s, &prepared, &t0);

  std::vector<int64_t> all;
  std::map<int, int64_t> statuses;
  int64_t errors = 0, on_the_fly = 0;
  SteadyClock::time_point last = t0;
  for (auto& r : results) {
    all.insert(all.end(), r.latencies_ns.begin(), r.latencies_ns.end());
    for (auto [s, n] : r.statuses) statuses[s] += n;
    errors += r.errors;
    on_the_fly += r.generated_on_the_fly;
    last = std::max(last, r.last_done);
  }
  std::sort(all.begin(), all.end());
  const double elapsed = std::max(1e-9, duration<double>(last - t0).count());
  const int64_t total = static_cast<int64_t>(all.size());
  double mean_ms = 0;
  for (int64_t v : all) mean_ms += static_cast<double>(v) / 1e6;
  if (total > 0) mean_ms /= static_cast<double>(total);

  nlohmann::json open_json = nlohmann::json::object();
  for (auto [s, n] : open_failures) open_json[StatusName(s)] = n;
  nlohmann::json status_json = nlohmann::json::object();
  for (auto [s, n] : statuses) status_json[StatusName(s)] = n;
  nlohmann::json out = {
      {"label", o.label},
      {"url", o.url},
      {"connections", o.connections},
      {"mode", o.rate > 0 ? "open_loop" : "closed_loop"},
      {"rate_target", o.rate},
      {"duration_s", o.duration_s},
      {"elapsed_s", Round(elapsed, 3)},
      {"customers", o.customers},
      {"sessions_opened", opened},
      {"session_open_failures", open_json},
      {"total", total},
      {"errors", errors},
      {"msgs_per_s", Round(static_cast<double>(total) / elapsed, 1)},
      {"p50_ms", Round(Percentile(all, 0.50), 3)},
      {"p90_ms", Round(Percentile(all, 0.90), 3)},
      {"p99_ms", Round(Percentile(all, 0.99), 3)},
      {"p999_ms", Round(Percentile(all, 0.999), 3)},
      {"max_ms", Round(all.empty() ? 0 : static_cast<double>(all.back()) / 1e6, 3)},
      {"mean_ms", Round(mean_ms, 3)},
      {"statuses", status_json},
      {"built_during_run", on_the_fly},
  };
  std::cout << out.dump() << std::endl;

  std::ostringstream h;
  h << "webhook_load " << (o.label.empty() ? "" : o.label + " ") << o.url << ": " << o.connections
    << " connections, "
    << (o.rate > 0 ? "open loop at " + std::to_string(static_cast<int64_t>(o.rate)) + " msgs/s"
                   : std::string("closed loop (max)"))
    << ", " << Round(elapsed, 2) << " s\n"
    << "  total " << total << ", errors " << errors << " (non-200), " << out["msgs_per_s"]
    << " msgs/s\n"
    << "  latency ms: p50 " << out["p50_ms"] << "  p90 " << out["p90_ms"] << "  p99 "
    << out["p99_ms"] << "  p99.9 " << out["p999_ms"] << "  max " << out["max_ms"] << "  mean "
    << out["mean_ms"] << "\n";
  if (on_the_fly > 0) {
    h << "  note: " << on_the_fly
      << " messages were built during the run (pre-built pool exhausted)\n";
  }
  std::cerr << h.str();
  return 0;
}
