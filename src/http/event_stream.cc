#include "http/event_stream.h"

#include <algorithm>
#include <chrono>

namespace handoffd::http {

namespace {

struct StreamState {
  EventStreamSpec spec;
  bool started = false;
  std::chrono::steady_clock::time_point next_heartbeat;
};

bool Write(httplib::DataSink& sink, const std::string& text) {
  return sink.write(text.data(), text.size());
}

void End(StreamState& state, httplib::DataSink& sink, const char* reason) {
  if (state.spec.on_end) state.spec.on_end(reason);
  sink.done();
}

}  // namespace

int64_t ResumeCursor(const httplib::Request& req, const EventHub& hub) {
  const std::string last = req.has_header("Last-Event-ID") ? req.get_header_value("Last-Event-ID")
                                                           : req.get_param_value("last_event_id");
  if (!last.empty() && last.size() <= 18 &&
      std::all_of(last.begin(), last.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::stoll(last);
  }
  return hub.HighWater();
}

void ServeEventStream(httplib::Response& res, EventStreamSpec spec) {
  auto state = std::make_shared<StreamState>();
  state->spec = std::move(spec);
  res.set_header("Cache-Control", "no-cache");
  res.set_header("X-Accel-Buffering", "no");
  res.set_chunked_content_provider(
      "text/event-stream", [state](size_t, httplib::DataSink& sink) -> bool {
        EventStreamSpec& s = state->spec;
        EventHub& hub = *s.hub;
        const auto now = std::chrono::steady_clock::now();
        if (!state->started) {
          state->started = true;
          state->next_heartbeat = now + s.heartbeat;
          if (s.keep_open && !s.keep_open()) {
            End(*state, sink, "closed");
            return true;
          }
          // Reconnect quickly after a restart; the comment flushes the headers at once.
          return Write(sink, "retry: 2000\n: connected\n\n");
        }
        const auto wait = std::max(
            Duration(0), std::chrono::duration_cast<Duration>(state->next_heartbeat - now));
        EventBatch batch = hub.Next(s.cursor, 200, wait);
        if (batch.stopping) {
          End(*state, sink, "stopping");
          return true;
        }
        if (batch.reset) {
          s.cursor = hub.HighWater();
          return Write(sink, "event: reset\ndata: {\"reason\":\"retention\"}\n\n");
        }
        std::string out;
        for (const EventRecord& e : batch.events) {
          s.cursor = e.id;
          if (s.visible && !s.visible(e)) continue;
          out +=
              "id: " + std::to_string(e.id) + "\nevent: " + e.type + "\ndata: " + e.data + "\n\n";
        }
        if (!out.empty()) return Write(sink, out);
        if (std::chrono::steady_clock::now() < state->next_heartbeat) return true;
        state->next_heartbeat = std::chrono::steady_clock::now() + s.heartbeat;
        if (s.keep_open && !s.keep_open()) {
          End(*state, sink, "closed");
          return true;
        }
        return Write(sink, ": ping\n\n");
      });
}

}  // namespace handoffd::http
