// GET /api/events (API.md "Real-time events"): Server-Sent Events from the EventHub. Each event
// is sent as "id: N / event: TYPE / data: JSON"; a client resuming with Last-Event-ID (or
// ?last_event_id=) receives exactly what it missed, or a `reset` event when that is older than
// the retention. Heartbeat comments keep proxies from closing the stream; the stream ends on
// logout or token expiry (checked at each heartbeat) and when the daemon stops.
#include <memory>

#include "auth/token.h"
#include "http/http_internal.h"

namespace handoffd::http {
namespace {

struct StreamState {
  Agent agent;
  std::string token_hash;
  int64_t cursor = 0;
  bool started = false;
  std::chrono::steady_clock::time_point next_heartbeat;
};

bool Write(httplib::DataSink& sink, const std::string& text) {
  return sink.write(text.data(), text.size());
}

}  // namespace

void RegisterEventRoutes(httplib::Server& server, Context& ctx) {
  server.Get("/api/events", [&ctx](const httplib::Request& req, httplib::Response& res) {
    auto agent = Authenticate(ctx, req);
    if (!agent.ok()) return SendError(res, agent.status());
    if (ctx.deps.events == nullptr) {
      return SendError(res, Status::Unavailable("the event feed is not running"));
    }
    auto state = std::make_shared<StreamState>();
    state->agent = *agent;
    state->token_hash = HashToken(*RequestToken(req));
    const std::string last = req.has_header("Last-Event-ID") ? req.get_header_value("Last-Event-ID")
                                                             : req.get_param_value("last_event_id");
    auto parsed = ParseInt(last);
    state->cursor = parsed && *parsed >= 0 ? *parsed : ctx.deps.events->HighWater();
    ctx.deps.log.Info("events.stream_opened",
                      {{"agent_id", state->agent.id}, {"last_event_id", state->cursor}});

    res.set_header("Cache-Control", "no-cache");
    res.set_header("X-Accel-Buffering", "no");
    res.set_chunked_content_provider(
        "text/event-stream", [&ctx, state](size_t, httplib::DataSink& sink) -> bool {
          EventHub& hub = *ctx.deps.events;
          const auto now = std::chrono::steady_clock::now();
          if (!state->started) {
            state->started = true;
            state->next_heartbeat = now + ctx.options.heartbeat;
            (void)ctx.deps.store.TouchAgent(state->agent.id, ctx.deps.clock.Now());
            // Reconnect quickly after a restart; the comment flushes the headers at once.
            return Write(sink, "retry: 2000\n: connected\n\n");
          }
          const auto wait = std::max(
              Duration(0), std::chrono::duration_cast<Duration>(state->next_heartbeat - now));
          EventBatch batch = hub.Next(state->cursor, 200, wait);
          if (batch.stopping) {
            sink.done();
            return true;
          }
          if (batch.reset) {
            state->cursor = hub.HighWater();
            return Write(sink, "event: reset\ndata: {\"reason\":\"retention\"}\n\n");
          }
          std::string out;
          for (const EventRecord& e : batch.events) {
            state->cursor = e.id;
            if (!EventVisibleTo(e, state->agent)) continue;
            out +=
                "id: " + std::to_string(e.id) + "\nevent: " + e.type + "\ndata: " + e.data + "\n\n";
          }
          if (!out.empty()) return Write(sink, out);
          if (std::chrono::steady_clock::now() < state->next_heartbeat) return true;

          // Heartbeat: still logged in? (logout or expiry ends the stream)
          state->next_heartbeat = std::chrono::steady_clock::now() + ctx.options.heartbeat;
          auto still = ctx.deps.store.FindAgentByToken(state->token_hash, ctx.deps.clock.Now());
          if (still.ok() && !still->has_value()) {
            ctx.deps.log.Info("events.stream_closed",
                              {{"agent_id", state->agent.id}, {"reason", "logged out"}});
            sink.done();
            return true;
          }
          (void)ctx.deps.store.TouchAgent(state->agent.id, ctx.deps.clock.Now());
          return Write(sink, ": ping\n\n");
        });
  });
}

}  // namespace handoffd::http
