// Dashboard event streams for the benchmarks: GET /api/events (Server-Sent Events) read by one
// thread and one httplib::Client per stream, parsed incrementally, with the arrival time of each
// measured message.created event (the webhook's wamid is PREFIX + index). Used by event_latency.
#pragma once

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "bench_common.h"

namespace bench::sse {

using std::chrono::duration;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;

// ---- time -----------------------------------------------------------------------------------

inline const SteadyClock::time_point g_epoch = SteadyClock::now();

// Nanoseconds since the program started; never 0 (0 marks "not yet" in the arrival tables).
inline int64_t NowNs() {
  return std::max<int64_t>(
      1, std::chrono::duration_cast<nanoseconds>(SteadyClock::now() - g_epoch).count());
}
inline int64_t ToNs(SteadyClock::time_point t) {
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
inline void ParseEvents(Stream& s, int64_t now, const Matcher& m) {
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
inline void RunStream(Stream& s, const std::string& token, const Matcher& m,
                      const std::atomic<bool>& stop, std::atomic<int>& connected) {
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
  StreamSet(std::string url, std::string token, const Matcher& m)
      : url_(std::move(url)), token_(std::move(token)), matcher_(m) {}
  ~StreamSet() { StopAll(); }

  // Starts streams until `total` exist; `arrivals` sizes each one's arrival table.
  void Open(int total, size_t arrivals) {
    while (static_cast<int>(streams_.size()) < total) {
      auto s = std::make_unique<Stream>();
      s->index = static_cast<int>(streams_.size());
      s->client = MakeClient(url_);
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
  std::string url_;
  std::string token_;
  const Matcher& matcher_;
  std::vector<std::unique_ptr<Stream>> streams_;
  std::atomic<bool> stop_{false};
  std::atomic<int> connected_{0};
  bool stopped_ = false;
};

}  // namespace bench::sse
