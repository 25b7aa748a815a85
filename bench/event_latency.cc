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
#include <unistd.h>

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
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "bench_common.h"
#include "channels/whatsapp/webhook_builder.h"

namespace {

using bench::CpuWatch;
using bench::Percentile;
using bench::Prepared;
using bench::Round;
using bench::SteadyClock;
using std::chrono::duration;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;

struct Options {
  std::string url;
  // Where the dashboards connect (and log in); default: url. Another instance on the same
  // PostgreSQL measures cross-instance delivery (LISTEN/NOTIFY).
  std::string stream_url;
  std::string secret;
  std::string token;
  std::string email;
  std::string password;
  int dashboards = 50;
  double rate = 500;
  double duration_s = 20;
  bool duration_given = false;
  int customers = 200;
  int connections = 32;
  double warmup_s = 0;
  double grace_s = 5;
  int streams_only = 0;
  std::vector<int> steps;
  int watch_pid = 0;
  std::vector<CpuWatch> cpu;
  std::string phone_number_id = "123456789012345";
  std::string label;
};

[[noreturn]] void Usage(const std::string& error) {
  if (!error.empty()) std::cerr << "event_latency: " << error << "\n";
  std::cerr
      << "usage: event_latency --url http://HOST:PORT (--token T | --email E --password P)\n"
         "         latency mode:  --secret SECRET [--dashboards 50] [--rate 500] [--duration 20s]\n"
         "                        [--customers 200] [--connections 32] [--warmup 0s] [--grace 5s]\n"
         "         capacity mode: --streams-only N [--steps 100,250] [--watch-pid PID]\n"
         "                        [--duration 15s]\n"
         "         both:          [--cpu NAME=PID]... [--phone-number-id ID] [--label NAME]\n"
         "                        [--stream-url URL] (dashboards on another instance)\n";
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
    return static_cast<int>(n);
  };
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--url") {
      o.url = need(i);
    } else if (a == "--stream-url") {
      o.stream_url = need(i);
    } else if (a == "--secret") {
      o.secret = need(i);
    } else if (a == "--token") {
      o.token = need(i);
    } else if (a == "--email") {
      o.email = need(i);
    } else if (a == "--password") {
      o.password = need(i);
    } else if (a == "--dashboards") {
      o.dashboards = to_int(a, need(i));
    } else if (a == "--rate") {
      std::string v = need(i);
      char* end = nullptr;
      o.rate = std::strtod(v.c_str(), &end);
      if (*end != '\0' || o.rate <= 0) Usage("--rate: not a positive number: " + v);
    } else if (a == "--duration") {
      if (!bench::ParseSeconds(need(i), &o.duration_s)) Usage("--duration: bad duration");
      o.duration_given = true;
    } else if (a == "--customers") {
      o.customers = to_int(a, need(i));
    } else if (a == "--connections") {
      o.connections = to_int(a, need(i));
    } else if (a == "--warmup") {
      if (!bench::ParseSeconds(need(i), &o.warmup_s)) Usage("--warmup: bad duration");
    } else if (a == "--grace") {
      if (!bench::ParseSeconds(need(i), &o.grace_s)) Usage("--grace: bad duration");
    } else if (a == "--streams-only") {
      o.streams_only = to_int(a, need(i));
      if (o.streams_only < 1) Usage("--streams-only must be at least 1");
    } else if (a == "--steps") {
      std::stringstream list(need(i));
      std::string item;
      while (std::getline(list, item, ',')) {
        if (!item.empty()) o.steps.push_back(to_int("--steps", item));
      }
    } else if (a == "--watch-pid") {
      o.watch_pid = to_int(a, need(i));
    } else if (a == "--cpu") {
      CpuWatch w;
      if (!bench::ParseCpuWatch(need(i), &w)) Usage("--cpu: expected NAME=PID");
      o.cpu.push_back(w);
    } else if (a == "--phone-number-id") {
      o.phone_number_id = need(i);
    } else if (a == "--label") {
      o.label = need(i);
    } else if (a == "--help" || a == "-h") {
      Usage("");
    } else {
      Usage("unknown argument " + a);
    }
  }
  if (o.url.empty()) Usage("--url is required");
  if (o.stream_url.empty()) o.stream_url = o.url;
  if (o.token.empty() && (o.email.empty() || o.password.empty())) {
    Usage("--token, or --email and --password, are required");
  }
  if (o.streams_only == 0) {
    if (o.secret.empty()) Usage("--secret is required (latency mode)");
    if (o.dashboards < 1) Usage("--dashboards must be at least 1");
    if (o.connections < 1) Usage("--connections must be at least 1");
    if (o.customers < 1) Usage("--customers must be at least 1");
  }
  if (!o.duration_given && o.streams_only > 0) o.duration_s = 15;
  if (o.duration_s <= 0) Usage("--duration must be positive");
  return o;
}

// ---- time -----------------------------------------------------------------------------------

const SteadyClock::time_point g_epoch = SteadyClock::now();

// Nanoseconds since the program started; never 0 (0 marks "not yet" in the arrival tables).
int64_t NowNs() {
  return std::max<int64_t>(
      1, std::chrono::duration_cast<nanoseconds>(SteadyClock::now() - g_epoch).count());
}
int64_t ToNs(SteadyClock::time_point t) {
  return std::chrono::duration_cast<nanoseconds>(t - g_epoch).count();
}

// ---- the event streams ----------------------------------------------------------------------

// Maps a message.created event to the measured webhook it reports: the wamids are
// PREFIX + index, so the index is parsed back instead of looked up.
struct Matcher {
  std::string prefix;  // "wamid.BENCH.<run>.m."
  size_t count = 0;    // measured webhooks

  // Index of the measured webhook whose wamid is the MESSAGE's channel_message_id, or -1.
  int64_t Match(std::string_view data) const {
    static constexpr std::string_view kKey = "\"channel_message_id\":\"";
    size_t at = data.find(kKey);
    if (at == std::string_view::npos) return -1;
    std::string_view value = data.substr(at + kKey.size());
    if (value.substr(0, prefix.size()) != prefix) return -1;
    value.remove_prefix(prefix.size());
    int64_t index = 0;
    size_t digits = 0;
    while (digits < value.size() && value[digits] >= '0' && value[digits] <= '9') {
      index = index * 10 + (value[digits] - '0');
      ++digits;
    }
    if (digits == 0 || digits >= value.size() || value[digits] != '"') return -1;
    return static_cast<size_t>(index) < count ? index : -1;
  }
};

enum StreamState : int { kConnecting = 0, kConnected = 1, kEnded = 2 };

struct Stream {
  int index = 0;
  std::unique_ptr<httplib::Client> client;
  std::thread thread;
  std::atomic<int> state{kConnecting};
  std::atomic<bool> was_connected{false};
  int http_status = 0;
  std::string end_reason;  // after kEnded: "eof", "http_401", "transport_Read", ...
  std::string buffer;      // unparsed stream text
  int64_t events = 0;      // every event (id/event/data block)
  int64_t bytes = 0;
  std::atomic<int64_t> matched{0};  // measured webhooks whose event arrived (first time)
  int64_t duplicates = 0;
  std::vector<int64_t> arrival_ns;  // per measured webhook; 0 = not (yet) arrived
};

// Parses the complete events in s.buffer (SSE: blocks separated by a blank line; "event:",
// "data:" and "id:" fields, ":" comments) and records the measured message.created ones.
void ParseEvents(Stream& s, int64_t now, const Matcher& m) {
  size_t pos = 0;
  std::string data;
  while (true) {
    size_t end = s.buffer.find("\n\n", pos);
    if (end == std::string::npos) break;
    std::string_view block(s.buffer.data() + pos, end - pos);
    pos = end + 2;
    std::string_view event;
    data.clear();
    bool any_field = false;
    while (!block.empty()) {
      size_t nl = block.find('\n');
      std::string_view line = block.substr(0, nl);
      block = nl == std::string_view::npos ? std::string_view() : block.substr(nl + 1);
      if (line.empty() || line[0] == ':') continue;  // comment (": connected", ": ping")
      size_t colon = line.find(':');
      std::string_view field = line.substr(0, colon);
      std::string_view value =
          colon == std::string_view::npos ? std::string_view() : line.substr(colon + 1);
      if (!value.empty() && value[0] == ' ') value.remove_prefix(1);
      if (field == "event") {
        event = value;
        any_field = true;
      } else if (field == "data") {
        if (!data.empty()) data += '\n';
        data.append(value);
        any_field = true;
      } else if (field == "id") {
        any_field = true;
      }
    }
    if (!any_field) continue;
    ++s.events;
    if (event != "message.created" || s.arrival_ns.empty()) continue;
    int64_t i = m.Match(data);
    if (i < 0) continue;
    if (s.arrival_ns[i] == 0) {
      s.arrival_ns[i] = now;
      s.matched.fetch_add(1, std::memory_order_relaxed);
    } else {
      ++s.duplicates;
    }
  }
  if (pos > 0) s.buffer.erase(0, pos);
}

// The stream thread: reads GET /api/events until the daemon ends it, it fails, or `stop`.
void RunStream(Stream& s, const std::string& token, const Matcher& m, const std::atomic<bool>& stop,
               std::atomic<int>& connected) {
  httplib::Headers headers = {{"Authorization", "Bearer " + token},
                              {"Accept", "text/event-stream"}};
  auto res = s.client->Get(
      "/api/events", headers,
      [&](const httplib::Response& r) {
        s.http_status = r.status;
        return r.status == 200;
      },
      [&](const char* data, size_t n) {
        const int64_t now = NowNs();
        if (!s.was_connected.exchange(true)) {
          s.state = kConnected;
          connected++;
        }
        s.bytes += static_cast<int64_t>(n);
        s.buffer.append(data, n);
        ParseEvents(s, now, m);
        return !stop.load(std::memory_order_relaxed);
      });
  if (s.http_status != 0 && s.http_status != 200) {
    s.end_reason = "http_" + std::to_string(s.http_status);
  } else if (res) {
    s.end_reason = "eof";
  } else if (stop.load()) {
    s.end_reason = "stopped";
  } else {
    s.end_reason = "transport_" + httplib::to_string(res.error());
  }
  if (s.was_connected) connected--;
  s.state = kEnded;
}

class StreamSet {
 public:
  StreamSet(const Options& o, std::string token, const Matcher& m)
      : options_(o), token_(std::move(token)), matcher_(m) {}
  ~StreamSet() { StopAll(); }

  // Starts streams until `total` exist; `arrivals` sizes each one's arrival table.
  void Open(int total, size_t arrivals) {
    while (static_cast<int>(streams_.size()) < total) {
      auto s = std::make_unique<Stream>();
      s->index = static_cast<int>(streams_.size());
      s->client = bench::MakeClient(options_.stream_url);
      s->client->set_keep_alive(false);
      s->client->set_read_timeout(60, 0);  // > the daemon's 15 s heartbeat
      s->arrival_ns.assign(arrivals, 0);
      Stream* raw = s.get();
      streams_.push_back(std::move(s));
      raw->thread =
          std::thread([this, raw] { RunStream(*raw, token_, matcher_, stop_, connected_); });
    }
  }

  // Waits until every stream is connected or ended, at most `timeout`; returns connected now.
  int WaitSettled(double timeout_s) {
    const auto until = SteadyClock::now() + duration<double>(timeout_s);
    while (SteadyClock::now() < until) {
      int settled = 0;
      for (auto& s : streams_) settled += s->state.load() != kConnecting ? 1 : 0;
      if (settled == static_cast<int>(streams_.size())) break;
      std::this_thread::sleep_for(milliseconds(20));
    }
    return connected_.load();
  }

  void StopAll() {
    if (stopped_) return;
    stopped_ = true;
    stop_ = true;
    for (auto& s : streams_) s->client->stop();  // shuts the socket: the blocked read returns
    for (auto& s : streams_) {
      if (s->thread.joinable()) s->thread.join();
    }
  }

  int Connected() const { return connected_.load(); }
  int EverConnected() const {
    int n = 0;
    for (auto& s : streams_) n += s->was_connected ? 1 : 0;
    return n;
  }
  // Streams that ended while not stopped by us, and ones that never connected: reason -> count.
  std::map<std::string, int> Failures() const {
    std::map<std::string, int> out;
    for (auto& s : streams_) {
      if (s->state.load() == kEnded && s->end_reason != "stopped") {
        out[(s->was_connected ? "lost_" : "refused_") + s->end_reason]++;
      } else if (s->state.load() == kConnecting) {
        out["never_connected"]++;
      }
    }
    return out;
  }
  std::vector<std::unique_ptr<Stream>>& streams() { return streams_; }

 private:
  const Options& options_;
  std::string token_;
  const Matcher& matcher_;
  std::vector<std::unique_ptr<Stream>> streams_;
  std::atomic<bool> stop_{false};
  std::atomic<int> connected_{0};
  bool stopped_ = false;
};

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

nlohmann::json ProcSample(int pid, const std::string& label, int streams) {
  auto st = bench::ProcStatus(pid);
  nlohmann::json j = {{"label", label}, {"streams", streams}};
  if (st.empty()) {
    j["gone"] = true;
    return j;
  }
  j["threads"] = st["Threads"];
  j["vm_rss_mb"] = Round(static_cast<double>(st["VmRSS"]) / 1024.0, 1);
  j["vm_hwm_mb"] = Round(static_cast<double>(st["VmHWM"]) / 1024.0, 1);
  return j;
}

// The watched processes, the bench itself ("bench"), every process ("all_processes") and what was
// spent outside the named ones ("other": programs not watched, kernel threads).
void StartCpu(std::vector<CpuWatch>& cpu, bool add_self_and_all) {
  if (add_self_and_all) {
    CpuWatch self;
    self.name = "bench";
    self.pid = static_cast<int>(getpid());
    self.tree = false;
    CpuWatch all;
    all.name = "all_processes";
    all.all_processes = true;
    cpu.push_back(self);
    cpu.push_back(all);
  }
  for (auto& w : cpu) w.Start();
}
nlohmann::json StopCpu(std::vector<CpuWatch>& cpu, double seconds) {
  nlohmann::json j = nlohmann::json::object();
  double watched = 0, all = -1;
  for (auto& w : cpu) {
    w.Stop();
    const double cores = w.Cores(seconds);
    j[w.name] = Round(cores, 3);
    if (w.all_processes) {
      all = cores;
    } else if (cores > 0) {
      watched += cores;
    }
  }
  if (all >= 0) j["other"] = Round(std::max(0.0, all - watched), 3);
  return j;
}

std::string CpuText(const nlohmann::json& cpu) {
  std::ostringstream out;
  bool first = true;
  for (auto it = cpu.begin(); it != cpu.end(); ++it) {
    out << (first ? "" : ", ") << it.key() << " " << it.value() << " cores";
    first = false;
  }
  return out.str();
}

// ---- capacity mode --------------------------------------------------------------------------

int RunCapacity(Options& o, const std::string& token) {
  Matcher none;
  StreamSet set(o, token, none);
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
  StreamSet set(o, token, matcher);
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
