// GET /api/events (API.md "Real-time events"): the dashboard's Server-Sent Events stream
// (http/event_stream.h), filtered to what the agent may see. The stream ends on logout or token
// expiry (checked at each heartbeat). One agent may hold server.max_streams_per_agent streams at
// once; beyond that the answer is 429 rate_limited with Retry-After.
#include "auth/token.h"
#include "http/event_stream.h"
#include "http/http_internal.h"

namespace handoffd::http {

void RegisterEventRoutes(httplib::Server& server, Context& ctx) {
  server.Get("/api/events", [&ctx](const httplib::Request& req, httplib::Response& res) {
    auto agent = Authenticate(ctx, req);
    if (!agent.ok()) return SendError(res, agent.status());
    if (ctx.deps.events == nullptr) {
      return SendError(res, Status::Unavailable("the event feed is not running"));
    }
    EventStreamSpec spec;
    spec.lease = ctx.stream_slots->Acquire("agent:" + std::to_string(agent->id));
    if (spec.lease == nullptr) {
      ctx.deps.log.Warn("events.stream_refused",
                        {{"agent_id", agent->id}, {"reason", "too many open streams"}});
      return SendError(res, Status::RateLimited("too many open event streams for this agent", 5));
    }
    spec.hub = ctx.deps.events;
    spec.cursor = ResumeCursor(req, *ctx.deps.events);
    spec.heartbeat = ctx.options.heartbeat;
    spec.visible = [viewer = *agent](const EventRecord& e) { return EventVisibleTo(e, viewer); };
    // Still logged in? (logout or expiry ends the stream); an open stream counts as activity.
    spec.keep_open = [&ctx, id = agent->id, token_hash = HashToken(*RequestToken(req))] {
      auto still = ctx.deps.store.FindAgentByToken(token_hash, ctx.deps.clock.Now());
      if (still.ok() && !still->has_value()) return false;
      (void)ctx.deps.store.TouchAgent(id, ctx.deps.clock.Now());
      return true;
    };
    spec.on_end = [&ctx, id = agent->id](const std::string& reason) {
      if (reason == "closed") {
        ctx.deps.log.Info("events.stream_closed", {{"agent_id", id}, {"reason", "logged out"}});
      }
    };
    ctx.deps.log.Info("events.stream_opened",
                      {{"agent_id", agent->id}, {"last_event_id", spec.cursor}});
    ServeEventStream(res, std::move(spec));
  });
}

}  // namespace handoffd::http
