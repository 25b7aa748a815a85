#include "http/event_stream.h"

#include <algorithm>
#include <chrono>

#include "http/connection_server.h"
#include "http/stream_loop.h"

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

std::string FormatStreamEvent(const EventStreamSpec& spec, const EventRecord& e) {
  const auto frame = [&e](const std::string& type, const std::string& data) {
    return "id: " + std::to_string(e.id) + "\nevent: " + type + "\ndata: " + data + "\n\n";
  };
  if (!spec.render) return frame(e.type, e.data);
  auto r = spec.render(e);
  return r ? frame(r->first, r->second) : std::string();
}

int64_t ResumeCursor(const httplib::Request& req, const EventHub& hub) {
  const std::string last = req.has_header("Last-Event-ID") ? req.get_header_value("Last-Event-ID")
                                                           : req.get_param_value("last_event_id");
  if (!last.empty() && last.size() <= 18 &&
      std::all_of(last.begin(), last.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::stoll(last);
  }
  return hub.HighWater();
}

void ServeEventStream(const httplib::Request& req, httplib::Response& res, EventStreamSpec spec,
                      StreamLoop* loop) {
  auto state = std::make_shared<StreamState>();
  state->spec = std::move(spec);
  res.set_header("Cache-Control", "no-cache");
  res.set_header("X-Accel-Buffering", "no");
  const uint64_t connection = ConnectionServer::ConnectionId(req);
  if (loop != nullptr && connection != 0) {
    res.set_chunked_content_provider(
        "text/event-stream", [state, loop, connection](size_t, httplib::DataSink& sink) {
          if (state->spec.keep_open && !state->spec.keep_open()) {
            End(*state, sink, "closed");
            return true;
          }
          // Reconnect quickly after a restart; the comment flushes the headers at once.
          if (!Write(sink, "retry: 2000\n: connected\n\n")) return false;
          loop->Expect(connection, std::move(state->spec));
          return false;  // httplib stops here; the server hands the socket to the loop
        });
    return;
  }
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
          return Write(sink, kResetEvent);
        }
        std::string out;
        for (const EventRecord& e : batch.events) {
          s.cursor = e.id;
          if (s.visible && !s.visible(e)) continue;
          out += FormatStreamEvent(s, e);
        }
        if (!out.empty()) {
          if (!Write(sink, out)) return false;
          if (s.after_write) s.after_write();
          return true;
        }
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
