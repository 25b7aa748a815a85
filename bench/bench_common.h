// Helpers shared by the benchmark programs in bench/ (webhook_load, event_latency): argument
// parsing, signed Meta-shaped webhooks, keep-alive clients, session opening, percentiles, and
// /proc readings of other processes (CPU ticks, Threads, VmRSS/VmHWM).
#pragma once

#include <dirent.h>
#include <httplib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "channels/whatsapp/signature.h"
#include "channels/whatsapp/webhook_builder.h"

namespace bench {

using SteadyClock = std::chrono::steady_clock;

inline constexpr char kWebhookPath[] = "/webhooks/whatsapp";

// "1500ms", "20s", "5m", or a bare number of seconds.
inline bool ParseSeconds(const std::string& text, double* out) {
  size_t pos = 0;
  double v = 0;
  try {
    v = std::stod(text, &pos);
  } catch (...) {
    return false;
  }
  std::string unit = text.substr(pos);
  if (unit.empty() || unit == "s") {
    *out = v;
  } else if (unit == "ms") {
    *out = v / 1000;
  } else if (unit == "m") {
    *out = v * 60;
  } else if (unit == "h") {
    *out = v * 3600;
  } else {
    return false;
  }
  return v >= 0;
}

struct Prepared {
  std::string body;
  std::string signature;
};

inline int64_t NowUnixSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline std::string CustomerWaId(int i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "49170%08d", i);
  return buf;
}

// 12 random hex digits: keeps each run's wamids unique (the daemon dedupes on them).
inline std::string RandomRunId() {
  std::mt19937_64 rng(std::random_device{}());
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%012llx",
                static_cast<unsigned long long>(rng() & 0xffffffffffffULL));
  return buf;
}

inline Prepared Sign(const std::string& secret, std::string body) {
  Prepared p;
  p.signature = handoffd::whatsapp::SignBody(secret, body);
  p.body = std::move(body);
  return p;
}

inline std::unique_ptr<httplib::Client> MakeClient(const std::string& url) {
  auto c = std::make_unique<httplib::Client>(url);
  c->set_keep_alive(true);
  c->set_tcp_nodelay(true);
  c->set_connection_timeout(5, 0);
  c->set_read_timeout(60, 0);
  c->set_write_timeout(60, 0);
  return c;
}

// Returns the HTTP status, or minus httplib's Error code for a transport failure.
inline int Send(httplib::Client& client, const Prepared& p) {
  httplib::Headers headers = {{"X-Hub-Signature-256", p.signature}};
  auto res = client.Post(kWebhookPath, headers, p.body, "application/json");
  return res ? res->status : -static_cast<int>(res.error());
}

// "200", or "transport_Read" etc. for Send()'s negative codes.
inline std::string StatusName(int status) {
  return status >= 0 ? std::to_string(status)
                     : "transport_" + httplib::to_string(static_cast<httplib::Error>(-status));
}

struct SessionTarget {
  std::string url;
  std::string secret;
  std::string phone_number_id;
  int customers = 0;
  int threads = 1;
  std::string run_id;
};

// Opens a session per customer (an AGENT_MODE button_reply each), spread over `threads`
// connections. Returns how many got 200; other statuses are counted in `failures`.
inline int64_t OpenSessions(const SessionTarget& t, std::map<int, int64_t>* failures) {
  std::atomic<int> next{0};
  std::atomic<int64_t> ok{0};
  std::mutex mu;
  std::vector<std::thread> threads;
  const int n_threads = std::max(1, std::min(t.threads, t.customers));
  for (int k = 0; k < n_threads; ++k) {
    threads.emplace_back([&] {
      auto client = MakeClient(t.url);
      for (int i = next++; i < t.customers; i = next++) {
        handoffd::whatsapp::SimulatedMessage m;
        m.phone_number_id = t.phone_number_id;
        m.from = CustomerWaId(i);
        m.name = "Load Customer " + std::to_string(i);
        m.wamid = "wamid.BENCH." + t.run_id + ".open." + std::to_string(i);
        m.timestamp = NowUnixSeconds();
        m.button_id = "AGENT_MODE";
        m.button_title = "Talk to Expert";
        int status = Send(*client, Sign(t.secret, handoffd::whatsapp::BuildMessageWebhook(m)));
        if (status == 200) {
          ok++;
        } else {
          std::lock_guard<std::mutex> lock(mu);
          (*failures)[status]++;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  return ok;
}

// Nearest-rank percentile of sorted nanosecond values, in milliseconds.
inline double Percentile(const std::vector<int64_t>& sorted, double q) {
  if (sorted.empty()) return 0;
  size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  if (rank == 0) rank = 1;
  return static_cast<double>(sorted[std::min(rank, sorted.size()) - 1]) / 1e6;
}

inline double Round(double v, int digits) {
  double f = std::pow(10.0, digits);
  return std::round(v * f) / f;
}

// ---- /proc readings -------------------------------------------------------------------------

// The fields of /proc/PID/stat after the command name (field 2, which may hold spaces), so the
// first one is field 3 (state); nullopt when the process is gone.
inline std::optional<std::istringstream> StatFieldsAfterName(int pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(f, text)) return std::nullopt;
  size_t close = text.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  return std::istringstream(text.substr(close + 2));
}

// utime + stime of one process (all its threads), in clock ticks; -1 when it is gone.
inline int64_t ProcessCpuTicks(int pid) {
  auto rest = StatFieldsAfterName(pid);
  if (!rest) return -1;
  std::string field;
  int64_t utime = 0, stime = 0;
  for (int i = 3; *rest >> field; ++i) {
    if (i == 14) utime = std::atoll(field.c_str());
    if (i == 15) {
      stime = std::atoll(field.c_str());
      break;
    }
  }
  return utime + stime;
}

inline int ParentPid(int pid) {
  auto rest = StatFieldsAfterName(pid);
  if (!rest) return -1;
  std::string state;
  int ppid = -1;
  *rest >> state >> ppid;
  return ppid;
}

// CPU ticks of `pid` plus those of its direct children alive now (PostgreSQL's backends are
// children of the postmaster). Children that exited since an earlier reading are not counted.
inline int64_t TreeCpuTicks(int pid) {
  int64_t total = ProcessCpuTicks(pid);
  if (total < 0) return -1;
  if (DIR* d = opendir("/proc")) {
    while (dirent* e = readdir(d)) {
      char* end = nullptr;
      long child = std::strtol(e->d_name, &end, 10);
      if (end == e->d_name || *end != '\0' || child == pid) continue;
      if (ParentPid(static_cast<int>(child)) == pid) {
        int64_t t = ProcessCpuTicks(static_cast<int>(child));
        if (t > 0) total += t;
      }
    }
    closedir(d);
  }
  return total;
}

inline double TicksToSeconds(int64_t ticks) {
  static const long hz = sysconf(_SC_CLK_TCK);
  return static_cast<double>(ticks) / static_cast<double>(hz > 0 ? hz : 100);
}

// Fields of /proc/PID/status as numbers ("Threads" as is, "VmRSS"/"VmHWM" in kB); empty when the
// process is gone.
inline std::map<std::string, int64_t> ProcStatus(int pid) {
  std::map<std::string, int64_t> out;
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line)) {
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string key = line.substr(0, colon);
    if (key == "Threads" || key == "VmRSS" || key == "VmHWM") {
      out[key] = std::atoll(line.c_str() + colon + 1);
    }
  }
  return out;
}

// utime + stime of every process alive now, by pid. (The per-process counters, not /proc/stat's
// machine-wide ones: on this machine's kernel those are tick-sampled and miss most of a bursty
// load that sleeps between messages, reading a fraction of what the processes report.)
inline std::map<int, int64_t> AllProcessTicks() {
  std::map<int, int64_t> out;
  if (DIR* d = opendir("/proc")) {
    while (dirent* e = readdir(d)) {
      char* end = nullptr;
      long pid = std::strtol(e->d_name, &end, 10);
      if (end == e->d_name || *end != '\0') continue;
      int64_t t = ProcessCpuTicks(static_cast<int>(pid));
      if (t >= 0) out[static_cast<int>(pid)] = t;
    }
    closedir(d);
  }
  return out;
}

// A named process whose CPU is sampled over the measured window (--cpu NAME=PID).
struct CpuWatch {
  std::string name;
  int pid = 0;
  bool tree = true;  // include direct children
  int64_t start_ticks = -1;
  int64_t end_ticks = -1;
  // Every process instead of `pid`: the sum of each one's ticks since Start() (processes that
  // started meanwhile count whole; ones that exited meanwhile are missed).
  bool all_processes = false;
  std::map<int, int64_t> start_all;
  int64_t Read() const { return tree ? TreeCpuTicks(pid) : ProcessCpuTicks(pid); }
  void Start() {
    if (all_processes) {
      start_all = AllProcessTicks();
      start_ticks = 0;
    } else {
      start_ticks = Read();
    }
  }
  void Stop() {
    if (!all_processes) {
      end_ticks = Read();
      return;
    }
    end_ticks = 0;
    for (auto [p, t] : AllProcessTicks()) {
      auto it = start_all.find(p);
      end_ticks += it == start_all.end() ? t : std::max<int64_t>(0, t - it->second);
    }
  }
  // Cores used on average over `seconds` (1.0 = one core busy); -1 when unknown.
  double Cores(double seconds) const {
    if (start_ticks < 0 || end_ticks < 0 || seconds <= 0) return -1;
    return TicksToSeconds(end_ticks - start_ticks) / seconds;
  }
};

// "NAME=PID"
inline bool ParseCpuWatch(const std::string& text, CpuWatch* out) {
  size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0) return false;
  char* end = nullptr;
  long pid = std::strtol(text.c_str() + eq + 1, &end, 10);
  if (*end != '\0' || pid <= 0) return false;
  out->name = text.substr(0, eq);
  out->pid = static_cast<int>(pid);
  return true;
}

}  // namespace bench
