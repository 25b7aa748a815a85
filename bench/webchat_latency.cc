// webchat_latency: the web chat channel under load, against a running handoffd with a widget.
//
//   webchat_latency --url http://127.0.0.1:8080 --key WIDGET_KEY --email E --password P
//                   [--streams 1000] [--chats 20] [--replies 500] [--reply-rate 50]
//                   [--visitor-threads 8] [--visitor-seconds 10] [--watch-pid PID]
//
// 1. Creates --streams visitors (the daemon's webchat.visitors_per_minute must allow it) and opens
//    one visitor event stream (GET /widget/v1/events) each, one thread and httplib::Client each,
//    and waits for every ": connected".
// 2. --chats of them ask for a human; the agent (--email, a supervisor or an agent without a
//    capacity limit) accepts each.
// 3. The agent posts --replies replies round-robin over those chats at --reply-rate per second
//    (open loop). Latency = from just before the agent's POST to the arrival at the visitor's
//    stream of the message.created carrying that reply's unique text.
// 4. Visitor messages per second: --visitor-threads threads post visitor messages (each thread
//    its own visitors, bot phase) for --visitor-seconds, counting 201s (webchat.rate_limit must
//    allow it).
// Prints one JSON line on stdout (and the daemon's Threads/VmRSS when --watch-pid is given).

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "bench_common.h"

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

struct Args {
  std::string url, key, email, password;
  int streams = 1000, chats = 20, replies = 500, visitor_threads = 8, watch_pid = 0;
  double reply_rate = 50, visitor_seconds = 10;
};

std::unique_ptr<httplib::Client> Client(const std::string& url) {
  auto c = std::make_unique<httplib::Client>(url);
  c->set_keep_alive(true);
  c->set_tcp_nodelay(true);
  c->set_connection_timeout(5, 0);
  c->set_read_timeout(120, 0);
  return c;
}

std::pair<int, json> Post(httplib::Client& c, const std::string& path, const json& body,
                          const std::string& token) {
  httplib::Headers h = {{"Authorization", "Bearer " + token}};
  auto res = c.Post(path, h, body.dump(), "application/json");
  if (!res) return {-1, json()};
  return {res->status, json::parse(res->body, nullptr, false)};
}

struct Visitor {
  std::string token;
  std::atomic<bool> connected{false};
};

int Run(const Args& a) {
  auto admin = Client(a.url);
  auto login =
      admin->Post("/api/auth/login", json{{"email", a.email}, {"password", a.password}}.dump(),
                  "application/json");
  if (!login || login->status != 200) {
    std::fprintf(stderr, "login failed\n");
    return 1;
  }
  const std::string agent = json::parse(login->body)["token"];

  std::vector<std::unique_ptr<Visitor>> visitors;
  for (int i = 0; i < a.streams; ++i) {
    auto r =
        admin->Post("/widget/v1/visitors", json{{"widget_key", a.key}}.dump(), "application/json");
    if (!r || r->status != 201) {
      std::fprintf(stderr, "visitor %d: %d %s\n", i, r ? r->status : -1, r ? r->body.c_str() : "");
      return 1;
    }
    auto v = std::make_unique<Visitor>();
    v->token = json::parse(r->body)["visitor_token"];
    visitors.push_back(std::move(v));
  }

  // Arrivals of the replies' texts: text -> time.
  std::mutex mu;
  std::map<std::string, Clock::time_point> arrived;
  std::atomic<bool> stop{false};
  std::vector<std::thread> readers;
  for (auto& vp : visitors) {
    Visitor* v = vp.get();
    readers.emplace_back([&, v] {
      httplib::Client c(a.url);
      c.set_read_timeout(600, 0);
      std::string buf;
      c.Get("/widget/v1/events?token=" + v->token, [&](const char* d, size_t n) {
        buf.append(d, n);
        if (!v->connected && buf.find(": connected") != std::string::npos) v->connected = true;
        size_t pos;
        while ((pos = buf.find("bench-reply-")) != std::string::npos) {
          const size_t end = buf.find('"', pos);
          if (end == std::string::npos) break;
          const auto now = Clock::now();
          std::lock_guard lock(mu);
          arrived.emplace(buf.substr(pos, end - pos), now);
          buf.erase(0, end);
        }
        if (buf.size() > 65536) buf.erase(0, buf.size() - 1024);
        return !stop.load();
      });
    });
  }
  const auto connect_deadline = Clock::now() + std::chrono::seconds(120);
  while (Clock::now() < connect_deadline &&
         std::any_of(visitors.begin(), visitors.end(), [](auto& v) { return !v->connected; })) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const int connected = static_cast<int>(
      std::count_if(visitors.begin(), visitors.end(), [](auto& v) { return v->connected.load(); }));
  std::map<std::string, int64_t> status;
  if (a.watch_pid > 0) status = bench::ProcStatus(a.watch_pid);

  // Chats: handoff and accept.
  std::vector<int64_t> sessions;
  for (int i = 0; i < a.chats && i < a.streams; ++i) {
    auto [st, s] = Post(*admin, "/widget/v1/handoff", json::object(), visitors[i]->token);
    if (st != 201) continue;
    const int64_t id = s["id"];
    auto [ast, _] = Post(*admin, "/api/agent/sessions/" + std::to_string(id) + "/assign",
                         json::object(), agent);
    if (ast == 200) sessions.push_back(id);
  }
  if (sessions.empty()) {
    std::fprintf(stderr, "no chat could be opened\n");
    return 1;
  }

  // Replies, open loop.
  std::map<std::string, Clock::time_point> sent;
  const auto t0 = Clock::now();
  int reply_errors = 0;
  for (int i = 0; i < a.replies; ++i) {
    std::this_thread::sleep_until(
        t0 + std::chrono::microseconds(static_cast<int64_t>(i * 1e6 / a.reply_rate)));
    const std::string text = "bench-reply-" + std::to_string(i);
    const int64_t sid = sessions[i % sessions.size()];
    const auto at = Clock::now();
    auto [st, _] = Post(*admin, "/api/agent/sessions/" + std::to_string(sid) + "/messages",
                        json{{"content", text}}, agent);
    if (st == 201) {
      sent[text] = at;
    } else {
      ++reply_errors;
    }
  }
  std::this_thread::sleep_for(std::chrono::seconds(3));
  std::vector<int64_t> lat_us;
  int missed = 0;
  {
    std::lock_guard lock(mu);
    for (const auto& [text, at] : sent) {
      auto it = arrived.find(text);
      if (it == arrived.end()) {
        ++missed;
        continue;
      }
      lat_us.push_back(
          std::chrono::duration_cast<std::chrono::microseconds>(it->second - at).count());
    }
  }
  std::sort(lat_us.begin(), lat_us.end());

  // Visitor messages per second (bot phase), each thread with its own visitors.
  std::atomic<int64_t> ok{0}, failed{0};
  std::vector<std::thread> posters;
  const auto until =
      Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(a.visitor_seconds * 1000));
  for (int t = 0; t < a.visitor_threads; ++t) {
    posters.emplace_back([&, t] {
      auto c = Client(a.url);
      int k = 0;
      const int first = a.chats + t;
      while (Clock::now() < until) {
        const int idx = first + (k++ * a.visitor_threads) % std::max(1, a.streams - a.chats - t);
        const std::string& token = visitors[std::min<int>(idx, a.streams - 1)]->token;
        auto [st, _] = Post(*c, "/widget/v1/messages", json{{"content", "hello bench"}}, token);
        (st == 201 ? ok : failed)++;
      }
    });
  }
  for (auto& p : posters) p.join();
  stop = true;

  json out = {{"streams", a.streams},
              {"connected", connected},
              {"chats", sessions.size()},
              {"replies", sent.size()},
              {"reply_errors", reply_errors},
              {"missed", missed},
              {"p50_ms", bench::Round(bench::Percentile(lat_us, 0.5) * 1000.0, 2)},
              {"p90_ms", bench::Round(bench::Percentile(lat_us, 0.9) * 1000.0, 2)},
              {"p99_ms", bench::Round(bench::Percentile(lat_us, 0.99) * 1000.0, 2)},
              {"max_ms", lat_us.empty() ? 0.0 : bench::Round(lat_us.back() / 1000.0, 2)},
              {"visitor_messages_per_second", bench::Round(ok.load() / a.visitor_seconds, 1)},
              {"visitor_message_errors", failed.load()}};
  if (!status.empty()) {
    out["daemon_threads"] = status["Threads"];
    out["daemon_rss_kb"] = status["VmRSS"];
  }
  std::printf("%s\n", out.dump().c_str());
  std::fflush(stdout);
  std::_Exit(0);  // the reader threads are parked in blocking reads of their streams
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--url")
      a.url = v;
    else if (k == "--key")
      a.key = v;
    else if (k == "--email")
      a.email = v;
    else if (k == "--password")
      a.password = v;
    else if (k == "--streams")
      a.streams = std::stoi(v);
    else if (k == "--chats")
      a.chats = std::stoi(v);
    else if (k == "--replies")
      a.replies = std::stoi(v);
    else if (k == "--reply-rate")
      a.reply_rate = std::stod(v);
    else if (k == "--visitor-threads")
      a.visitor_threads = std::stoi(v);
    else if (k == "--visitor-seconds")
      a.visitor_seconds = std::stod(v);
    else if (k == "--watch-pid")
      a.watch_pid = std::stoi(v);
    else {
      std::fprintf(stderr, "unknown argument %s\n", k.c_str());
      return 2;
    }
  }
  if (a.url.empty() || a.key.empty() || a.email.empty() || a.streams < 1 || a.reply_rate <= 0) {
    std::fprintf(stderr, "usage: webchat_latency --url U --key K --email E --password P ...\n");
    return 2;
  }
  return Run(a);
}
