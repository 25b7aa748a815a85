// event_latency: measures how long a customer's message takes to reach open dashboards over the
// real-time feed (GET /api/events, Server-Sent Events) of a running handoffd, and how many
// streams the daemon holds.
//
//   event_latency --url http://127.0.0.1:8080 --secret S (--token T | --email E --password P)
//                 [--dashboards 50] [--rate 500] [--duration 20s] [--customers 200]
//                 [--connections 32] [--warmup 0s] [--grace 5s] [--cpu NAME=PID]...
//                 [--phone-number-id ID] [--label NAME]
//   event_latency --url ... (--token T | --email E --password P) --streams-only N
//                 [--steps 100,250] [--watch-pid PID] [--duration 15s] [--cpu NAME=PID]...
//
// Latency mode:
// 1. Logs in (unless --token) and opens --dashboards SSE streams, one thread and one
//    httplib::Client each, parsing the stream incrementally; waits until every stream has its
//    ": connected" preamble. The token should be a supervisor's (supervisors receive every event).
// 2. Opens a session for each of --customers customers (AGENT_MODE button webhooks), so the
//    measured texts join open sessions (the agent path), as webhook_load does.
// 3. Builds and signs every measured text webhook in advance (unique wamid each), then posts them
//    open loop at --rate msgs/s in total over --connections keep-alive connections (webhook i is
//    scheduled at t0 + i/rate). The time each 200 arrives is recorded.
// 4. Each dashboard records when the message.created event whose MESSAGE has
//    "channel_message_id" = that wamid arrived (the time the chunk carrying it was read).
//    Latency of a (webhook, dashboard) pair = arrival - 200-time; the event may beat the 200 by
//    a hair (the daemon publishes after the commit, before writing the response): such pairs
//    count as 0 and are counted in `negative_clamped`.
// 5. After the last webhook the dashboards get --grace (5 s) to catch up; a pair still without
//    its event then is a missed delivery. Only webhooks answered 200 form pairs.
//
// Capacity mode (--streams-only N): opens streams in steps (--steps, then N), samples the
// daemon's Threads / VmRSS / VmHWM (/proc/PID/status of --watch-pid) before opening any and once
// each step is connected, holds N streams for --duration and reports how many stayed connected.
//
// --cpu NAME=PID (repeatable) reports the CPU used by PID and its direct children (PostgreSQL's
// postmaster: its backends) over the measured window, in cores; always reported too: "bench"
// (this program), "all_processes" (every process's utime + stime) and "other" (all less the named
// ones: programs not watched, kernel threads; interrupt time is in none of them).
//
// Prints one JSON line on stdout and a human summary on stderr. Exit status 0 when the run
// happened (errors and misses are reported, not fatal), 2 on bad arguments, 1 when the daemon is
// unreachable, the login fails or no stream could be opened.

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench_common.h"
#include "channels/whatsapp/webhook_builder.h"
#include "cpu_report.h"
#include "event_latency_options.h"
#include "sse_streams.h"

namespace {

using bench::CpuText;
using bench::Percentile;
using bench::Prepared;
using bench::ProcSample;
using bench::Round;
using bench::StartCpu;
using bench::SteadyClock;
using bench::StopCpu;
using bench::sse::kConnected;
using bench::sse::Matcher;
using bench::sse::NowNs;
using bench::sse::StreamSet;
using bench::sse::ToNs;
using event_latency::Options;
using event_latency::ParseArgs;
using event_latency::Usage;
using std::chrono::duration;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;

// ---- setup ----------------------------------------------------------------------------------

// POST /api/auth/login; empty on failure (printed).
std::string Login(const Options& o) {
  auto c = bench::MakeClient(o.stream_url);
  nlohmann::json body = {{"email", o.email}, {"password", o.password}};
  auto res = c->Post("/api/auth/login", body.dump(), "application/json");
  if (!res) {
    std::cerr << "event_latency: login: " << httplib::to_string(res.error()) << "\n";
    return "";
  }
  if (res->status != 200) {
    std::cerr << "event_latency: login answered " << res->status << ": " << res->body << "\n";
    return "";
  }
  auto j = nlohmann::json::parse(res->body, nullptr, false);
  if (j.is_discarded() || !j.contains("token") || !j["token"].is_string()) {
    std::cerr << "event_latency: login answer has no token: " << res->body << "\n";
    return "";
  }
  return j["token"].get<std::string>();
}

// ---- capacity mode --------------------------------------------------------------------------

int RunCapacity(Options& o, const std::string& token) {
  Matcher none;
  StreamSet set(o.stream_url, token, none);
  nlohmann::json samples = nlohmann::json::array();
  if (o.watch_pid > 0) samples.push_back(ProcSample(o.watch_pid, "before", 0));

  std::set<int> targets(o.steps.begin(), o.steps.end());
  targets.insert(o.streams_only);
  for (int target : targets) {
    if (target > o.streams_only || target <= 0) continue;
    auto t = SteadyClock::now();
    set.Open(target, 0);
    int connected = set.WaitSettled(30);
    const double took = duration<double>(SteadyClock::now() - t).count();
    std::this_thread::sleep_for(milliseconds(1000));  // let the daemon settle
    std::cerr << "event_latency: " << connected << "/" << target << " streams connected ("
              << Round(took, 2) << " s)";
    if (o.watch_pid > 0) {
      auto s = ProcSample(o.watch_pid, std::to_string(target), set.Connected());
      std::cerr << "; daemon threads " << s.value("threads", 0) << ", VmRSS "
                << s.value("vm_rss_mb", 0.0) << " MB, VmHWM " << s.value("vm_hwm_mb", 0.0) << " MB";
      samples.push_back(s);
    }
    std::cerr << "\n";
  }

  // Hold.
  StartCpu(o.cpu, true);
  const auto hold_start = SteadyClock::now();
  const auto hold_end =
      hold_start + std::chrono::duration_cast<nanoseconds>(duration<double>(o.duration_s));
  int min_connected = set.Connected();
  int64_t peak_threads = 0;
  double peak_rss_mb = 0;
  while (SteadyClock::now() < hold_end) {
    std::this_thread::sleep_until(
        std::min(hold_end, SteadyClock::now() + std::chrono::milliseconds(500)));
    min_connected = std::min(min_connected, set.Connected());
    if (o.watch_pid > 0) {
      auto st = bench::ProcStatus(o.watch_pid);
      peak_threads = std::max(peak_threads, st["Threads"]);
      peak_rss_mb = std::max(peak_rss_mb, static_cast<double>(st["VmRSS"]) / 1024.0);
    }
  }
  const double held = duration<double>(SteadyClock::now() - hold_start).count();
  nlohmann::json cpu = StopCpu(o.cpu, held);
  const int still = set.Connected();
  nlohmann::json end_sample;
  if (o.watch_pid > 0) {
    end_sample = ProcSample(o.watch_pid, "held", still);
    samples.push_back(end_sample);
  }
  auto failures = set.Failures();
  const int ever = set.EverConnected();
  set.StopAll();

  nlohmann::json failures_json = nlohmann::json::object();
  for (auto& [k, v] : failures) failures_json[k] = v;
  nlohmann::json out = {
      {"label", o.label},
      {"url", o.url},
      {"mode", "capacity"},
      {"streams_target", o.streams_only},
      {"connected", ever},
      {"still_connected", still},
      {"min_connected_during_hold", min_connected},
      {"held_s", Round(held, 2)},
      {"failures", failures_json},
      {"samples", samples},
      {"cpu_cores", cpu},
  };
  if (o.watch_pid > 0) {
    // Flat "streams:value" lists for scripts that read the JSON with sed.
    std::string threads_list, rss_list, hwm_list;
    for (const auto& s : samples) {
      if (s.value("gone", false) || s["label"] == "held") continue;
      const std::string at = (threads_list.empty() ? "" : " ") + s["streams"].dump() + ":";
      threads_list += at + s["threads"].dump();
      rss_list += at + s["vm_rss_mb"].dump();
      hwm_list += at + s["vm_hwm_mb"].dump();
    }
    out["threads_by_streams"] = threads_list;
    out["rss_mb_by_streams"] = rss_list;
    out["hwm_mb_by_streams"] = hwm_list;
    out["peak_threads"] = peak_threads;
    out["peak_rss_mb"] = Round(peak_rss_mb, 1);
    out["vm_hwm_mb"] = end_sample.value("vm_hwm_mb", 0.0);
  }
  std::cout << out.dump() << std::endl;

  std::ostringstream h;
  h << "event_latency capacity " << (o.label.empty() ? "" : o.label + " ") << o.url << ": " << ever
    << "/" << o.streams_only << " streams connected, " << still << " still connected after "
    << Round(held, 1) << " s (minimum during the hold " << min_connected << ")\n";
  for (auto& [k, v] : failures) h << "  failures: " << v << " x " << k << "\n";
  if (o.watch_pid > 0) {
    h << "  daemon (pid " << o.watch_pid << "): streams -> threads, VmRSS, VmHWM\n";
    for (const auto& s : samples) {
      h << "    " << s["label"].get<std::string>() << " (" << s["streams"]
        << " open): " << s.value("threads", 0) << " threads, " << s.value("vm_rss_mb", 0.0)
        << " MB, " << s.value("vm_hwm_mb", 0.0) << " MB\n";
    }
  }
  h << "  cpu during the hold: " << CpuText(cpu) << "\n";
  std::cerr << h.str();
  return ever > 0 ? 0 : 1;
}

// ---- latency mode ---------------------------------------------------------------------------

struct SendResult {
  std::vector<int64_t> done_ns;       // per webhook: when its answer arrived
  std::vector<int64_t> scheduled_ns;  // per webhook
  std::vector<int64_t> sent_ns;       // per webhook: when its POST actually started
  std::vector<int> status;            // per webhook (negative: transport error)
  SteadyClock::time_point t0;
  SteadyClock::time_point last_done;
};

// Posts msgs[i] at t0 + i/rate over `connections` keep-alive connections (connection c sends
// i = c, c + connections, ...), open loop.
SendResult SendAtRate(const Options& o, const std::vector<Prepared>& msgs,
                      const std::function<void()>& at_start) {
  const int n = o.connections;
  SendResult r;
  r.done_ns.assign(msgs.size(), 0);
  r.scheduled_ns.assign(msgs.size(), 0);
  r.sent_ns.assign(msgs.size(), 0);
  r.status.assign(msgs.size(), 0);
  std::vector<std::thread> threads;
  std::vector<SteadyClock::time_point> last(n);
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  SteadyClock::time_point t0;
  const duration<double> per_message(1.0 / o.rate);
  for (int c = 0; c < n; ++c) {
    threads.emplace_back([&, c] {
      auto client = bench::MakeClient(o.url);
      client->Get("/healthz");  // open the keep-alive connection before the clock starts
      ready++;
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      for (size_t i = static_cast<size_t>(c); i < msgs.size(); i += static_cast<size_t>(n)) {
        const auto scheduled =
            t0 + std::chrono::duration_cast<nanoseconds>(per_message * static_cast<double>(i));
        std::this_thread::sleep_until(scheduled);
        r.sent_ns[i] = NowNs();
        int status = bench::Send(*client, msgs[i]);
        const auto done = SteadyClock::now();
        r.scheduled_ns[i] = ToNs(scheduled);
        r.done_ns[i] = ToNs(done);
        r.status[i] = status;
        last[c] = done;
      }
    });
  }
  while (ready.load() < n) std::this_thread::sleep_for(milliseconds(1));
  t0 = SteadyClock::now() + milliseconds(20);
  r.t0 = t0;
  if (at_start) at_start();
  go.store(true, std::memory_order_release);
  for (auto& t : threads) t.join();
  r.last_done = t0;
  for (auto& l : last) r.last_done = std::max(r.last_done, l);
  return r;
}

// Webhook i: connection i % C, customer assigned as webhook_load does (each customer driven by
// one connection when customers >= connections).
std::vector<Prepared> BuildWebhooks(const Options& o, const std::string& prefix, size_t count) {
  std::vector<Prepared> msgs(count);
  std::vector<std::thread> builders;
  const int n_builders = std::max(1u, std::thread::hardware_concurrency());
  const int64_t now = bench::NowUnixSeconds();
  for (int b = 0; b < n_builders; ++b) {
    builders.emplace_back([&, b] {
      for (size_t i = static_cast<size_t>(b); i < count; i += static_cast<size_t>(n_builders)) {
        const int c = static_cast<int>(i % static_cast<size_t>(o.connections));
        const size_t k = i / static_cast<size_t>(o.connections);
        int customer;
        if (c < o.customers) {
          const int per = (o.customers - c + o.connections - 1) / o.connections;
          customer = c + static_cast<int>(k % static_cast<size_t>(per)) * o.connections;
        } else {
          customer = c % o.customers;
        }
        handoffd::whatsapp::SimulatedMessage m;
        m.phone_number_id = o.phone_number_id;
        m.from = bench::CustomerWaId(customer);
        m.name = "Load Customer " + std::to_string(customer);
        m.wamid = prefix + std::to_string(i);
        m.timestamp = now;
        m.text = "Event latency message " + std::to_string(i) + ": where is my order?";
        msgs[i] = bench::Sign(o.secret, handoffd::whatsapp::BuildMessageWebhook(m));
      }
    });
  }
  for (auto& b : builders) b.join();
  return msgs;
}

int RunLatency(Options& o, const std::string& token) {
  const std::string run_id = bench::RandomRunId();
  Matcher matcher;
  matcher.prefix = "wamid.BENCH." + run_id + ".m.";
  matcher.count = static_cast<size_t>(std::floor(o.rate * o.duration_s));
  if (matcher.count == 0) Usage("--rate x --duration gives no webhook");

  // 1. Dashboards.
  StreamSet set(o.stream_url, token, matcher);
  auto t = SteadyClock::now();
  set.Open(o.dashboards, matcher.count);
  int connected = set.WaitSettled(30);
  std::cerr << "event_latency: " << connected << "/" << o.dashboards << " dashboards connected in "
            << Round(duration<double>(SteadyClock::now() - t).count(), 2) << " s\n";
  if (connected == 0) {
    for (auto& [k, v] : set.Failures()) std::cerr << "  " << v << " x " << k << "\n";
    return 1;
  }

  // 2. Sessions.
  t = SteadyClock::now();
  std::map<int, int64_t> open_failures;
  const int64_t opened = bench::OpenSessions(
      {o.url, o.secret, o.phone_number_id, o.customers, o.connections, run_id}, &open_failures);
  std::cerr << "event_latency: opened sessions for " << opened << "/" << o.customers
            << " customers in " << Round(duration<double>(SteadyClock::now() - t).count(), 2)
            << " s";
  for (auto [status, n] : open_failures) {
    std::cerr << "; " << n << " x " << bench::StatusName(status);
  }
  std::cerr << "\n";

  // 3. Webhooks: warm-up (not measured), then the measured run.
  if (o.warmup_s > 0) {
    auto warm = BuildWebhooks(o, "wamid.BENCH." + run_id + ".w.",
                              static_cast<size_t>(std::ceil(o.rate * o.warmup_s)));
    SendAtRate(o, warm, nullptr);
    std::cerr << "event_latency: warm-up " << warm.size() << " webhooks\n";
  }
  t = SteadyClock::now();
  auto msgs = BuildWebhooks(o, matcher.prefix, matcher.count);
  std::cerr << "event_latency: prepared " << msgs.size() << " signed webhooks in "
            << Round(duration<double>(SteadyClock::now() - t).count(), 2) << " s\n";

  SendResult sent = SendAtRate(o, msgs, [&] { StartCpu(o.cpu, true); });
  const double elapsed = std::max(1e-9, duration<double>(sent.last_done - sent.t0).count());
  nlohmann::json cpu = StopCpu(o.cpu, elapsed);

  // 4. Grace: until every connected dashboard has every 200-answered webhook, at most grace_s.
  int64_t ok = 0;
  for (int s : sent.status) ok += s == 200 ? 1 : 0;
  const int connected_at_end = set.Connected();
  auto grace_start = SteadyClock::now();
  const auto grace_end =
      grace_start + std::chrono::duration_cast<nanoseconds>(duration<double>(o.grace_s));
  while (SteadyClock::now() < grace_end) {
    bool all = true;
    for (auto& s : set.streams()) {
      if (s->state.load() == kConnected && s->matched.load() < ok) all = false;
    }
    if (all) break;
    std::this_thread::sleep_for(milliseconds(10));
  }
  const double grace_used = duration<double>(SteadyClock::now() - grace_start).count();
  auto failures = set.Failures();
  set.StopAll();

  // 5. Pairs.
  std::vector<int64_t> pairs, fanout, webhook_latency, from_send;
  pairs.reserve(static_cast<size_t>(ok) * set.streams().size());
  int64_t missed = 0, negative = 0, duplicates = 0, events = 0, bytes = 0;
  std::map<int, int64_t> statuses;
  for (auto& s : set.streams()) {
    duplicates += s->duplicates;
    events += s->events;
    bytes += s->bytes;
  }
  for (size_t i = 0; i < msgs.size(); ++i) {
    statuses[sent.status[i]]++;
    webhook_latency.push_back(sent.done_ns[i] - sent.scheduled_ns[i]);
    if (sent.status[i] != 200) continue;
    int64_t slowest = 0;
    bool all = true;
    for (auto& s : set.streams()) {
      const int64_t arrived = s->arrival_ns[i];
      if (arrived == 0) {
        ++missed;
        all = false;
        continue;
      }
      int64_t lat = arrived - sent.done_ns[i];
      if (lat < 0) {
        ++negative;
        lat = 0;
      }
      pairs.push_back(lat);
      from_send.push_back(std::max<int64_t>(0, arrived - sent.sent_ns[i]));
      slowest = std::max(slowest, lat);
    }
    if (all) fanout.push_back(slowest);
  }
  std::sort(pairs.begin(), pairs.end());
  std::sort(fanout.begin(), fanout.end());
  std::sort(webhook_latency.begin(), webhook_latency.end());
  std::sort(from_send.begin(), from_send.end());
  double mean_ms = 0;
  for (int64_t v : pairs) mean_ms += static_cast<double>(v) / 1e6;
  if (!pairs.empty()) mean_ms /= static_cast<double>(pairs.size());
  const int64_t total = static_cast<int64_t>(msgs.size());

  nlohmann::json open_json = nlohmann::json::object();
  for (auto [s, n] : open_failures) open_json[bench::StatusName(s)] = n;
  nlohmann::json status_json = nlohmann::json::object();
  for (auto [s, n] : statuses) status_json[bench::StatusName(s)] = n;
  nlohmann::json failures_json = nlohmann::json::object();
  for (auto& [k, v] : failures) failures_json[k] = v;
  const int64_t expected = ok * static_cast<int64_t>(set.streams().size());
  nlohmann::json out = {
      {"label", o.label},
      {"url", o.url},
      {"mode", "latency"},
      {"dashboards", o.dashboards},
      {"dashboards_connected", connected},
      {"dashboards_connected_at_end", connected_at_end},
      {"stream_failures", failures_json},
      {"rate_target", o.rate},
      {"duration_s", o.duration_s},
      {"elapsed_s", Round(elapsed, 3)},
      {"connections", o.connections},
      {"customers", o.customers},
      {"sessions_opened", opened},
      {"session_open_failures", open_json},
      {"webhooks", total},
      {"webhooks_ok", ok},
      {"webhook_statuses", status_json},
      {"msgs_per_s", Round(static_cast<double>(total) / elapsed, 1)},
      {"pairs_expected", expected},
      {"delivered", static_cast<int64_t>(pairs.size())},
      {"missed", missed},
      {"negative_clamped", negative},
      {"duplicates", duplicates},
      {"events_received", events},
      {"stream_mb", Round(static_cast<double>(bytes) / 1e6, 2)},
      {"grace_used_s", Round(grace_used, 3)},
      {"p50_ms", Round(Percentile(pairs, 0.50), 3)},
      {"p90_ms", Round(Percentile(pairs, 0.90), 3)},
      {"p99_ms", Round(Percentile(pairs, 0.99), 3)},
      {"p999_ms", Round(Percentile(pairs, 0.999), 3)},
      {"max_ms", Round(pairs.empty() ? 0 : static_cast<double>(pairs.back()) / 1e6, 3)},
      {"mean_ms", Round(mean_ms, 3)},
      {"fanout_p50_ms", Round(Percentile(fanout, 0.50), 3)},
      {"fanout_p99_ms", Round(Percentile(fanout, 0.99), 3)},
      {"from_send_p50_ms", Round(Percentile(from_send, 0.50), 3)},
      {"from_send_p99_ms", Round(Percentile(from_send, 0.99), 3)},
      {"webhook_p50_ms", Round(Percentile(webhook_latency, 0.50), 3)},
      {"webhook_p99_ms", Round(Percentile(webhook_latency, 0.99), 3)},
      {"cpu_cores", cpu},
  };
  std::cout << out.dump() << std::endl;

  std::ostringstream h;
  h << "event_latency " << (o.label.empty() ? "" : o.label + " ") << o.url << ": " << o.dashboards
    << " dashboards, open loop at " << o.rate << " msgs/s over " << o.connections
    << " connections, " << Round(elapsed, 2) << " s\n"
    << "  webhooks " << total << " (" << ok << " answered 200), " << out["msgs_per_s"]
    << " msgs/s; 200 latency ms p50 " << out["webhook_p50_ms"] << " p99 " << out["webhook_p99_ms"]
    << "\n"
    << "  event latency ms (200 -> dashboard, " << pairs.size() << " pairs): p50 " << out["p50_ms"]
    << "  p90 " << out["p90_ms"] << "  p99 " << out["p99_ms"] << "  p99.9 " << out["p999_ms"]
    << "  max " << out["max_ms"] << "  mean " << out["mean_ms"] << "\n"
    << "  all dashboards reached ms (slowest dashboard per webhook): p50 " << out["fanout_p50_ms"]
    << "  p99 " << out["fanout_p99_ms"] << "\n"
    << "  from the POST's start instead of its 200 ms: p50 " << out["from_send_p50_ms"] << "  p99 "
    << out["from_send_p99_ms"] << "\n"
    << "  missed " << missed << " of " << expected << " pairs (grace " << o.grace_s << " s, used "
    << out["grace_used_s"] << " s); " << negative << " events beat their 200 (counted as 0); "
    << duplicates << " duplicates; " << connected_at_end << "/" << o.dashboards
    << " dashboards connected at the end\n"
    << "  cpu while sending: " << CpuText(cpu) << "\n";
  for (auto& [k, v] : failures) h << "  stream failures: " << v << " x " << k << "\n";
  std::cerr << h.str();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = ParseArgs(argc, argv);
  {
    auto probe = bench::MakeClient(o.url);
    auto res = probe->Get("/healthz");
    if (!res || res->status != 200) {
      std::cerr << "event_latency: " << o.url << "/healthz is not answering 200\n";
      return 1;
    }
  }
  std::string token = o.token;
  if (token.empty()) {
    token = Login(o);
    if (token.empty()) return 1;
  }
  return o.streams_only > 0 ? RunCapacity(o, token) : RunLatency(o, token);
}
