// GET /widget/v1/events (API.md "Web chat"): the visitor's own Server-Sent Events, from the same
// lossless, replayable feed as the dashboard's (EventHub; Last-Event-ID or ?last_event_id=),
// filtered to the visitor: message.created (VMESSAGE from agent, bot or system; never internal
// notes), message.status, session.assigned (with the agent's name), session.ended,
// queue.position and agent.typing. A message.created written to the stream marks the message
// `delivered`. GET /widget/v1/poll is the long-polling fallback with the same events as JSON.
#include <memory>

#include "http/event_stream.h"
#include "http/widget_cors.h"

namespace handoffd::http {
namespace {

struct VisitorEvent {
  std::string type;
  nlohmann::json data;
  /// message.created of an outbound session message: mark delivered once written.
  std::optional<std::pair<int64_t, int64_t>> deliver;  // session id, message id
};

/// What visitor `key` receives of `e` (nullopt: nothing).
std::optional<VisitorEvent> ForVisitor(const EventRecord& e, const std::string& key) {
  if (e.visitor_key != key) return std::nullopt;
  const std::string& t = e.type;
  if (t != "message.created" && t != "message.status" && t != "session.assigned" &&
      t != "session.ended" && t != "queue.position" && t != "agent.typing") {
    return std::nullopt;
  }
  nlohmann::json data = nlohmann::json::parse(e.data, nullptr, false);
  if (!data.is_object()) return std::nullopt;
  VisitorEvent out;
  out.type = t;
  if (t == "message.created" || t == "message.status") {
    // The visitor's own messages are already on its screen.
    if (data.value("sender_type", "") == "customer") return std::nullopt;
    auto m = webchat::VisitorMessageFromJson(data);
    if (!m) return std::nullopt;
    if (t == "message.created" && data.value("direction", "") == "out" &&
        data.contains("session_id") && data["session_id"].is_number_integer()) {
      out.deliver.emplace(data["session_id"].get<int64_t>(), data.value("id", int64_t{0}));
    }
    out.data = std::move(*m);
  } else if (t == "session.assigned" || t == "session.ended") {
    out.data = webchat::VisitorSessionFromJson(data);
  } else {
    out.data = std::move(data);
  }
  return out;
}

int64_t StartCursor(Context& ctx, const httplib::Request& req) {
  const std::string last = req.has_header("Last-Event-ID") ? req.get_header_value("Last-Event-ID")
                                                           : req.get_param_value("last_event_id");
  auto parsed = ParseInt(last);
  return parsed && *parsed >= 0 ? *parsed : ctx.deps.events->HighWater();
}

}  // namespace

void RegisterWidgetEventRoutes(httplib::Server& server, Context& ctx) {
  server.Get("/widget/v1/events", [&ctx](const httplib::Request& req, httplib::Response& res) {
    auto visitor = AuthenticateVisitor(ctx, req, res);
    if (!visitor.ok()) return SendError(res, visitor.status());
    if (ctx.deps.events == nullptr) {
      return SendError(res, Status::Unavailable("the event feed is not running"));
    }
    // The connection model's reusable stream (event_stream.h), with a per-visitor cap.
    EventStreamSpec spec;
    spec.lease = ctx.stream_slots->Acquire("visitor:" + std::to_string(visitor->id));
    if (spec.lease == nullptr) {
      return SendError(res, Status::RateLimited("too many open event streams for this visitor", 5));
    }
    spec.hub = ctx.deps.events;
    spec.cursor = ResumeCursor(req, *ctx.deps.events);
    spec.heartbeat = ctx.options.heartbeat;
    const std::string key = VisitorKey(visitor->id);
    spec.visible = [key](const EventRecord& e) { return e.visitor_key == key; };
    // Outbound messages written to the stream become `delivered` once the socket took them.
    auto pending = std::make_shared<std::vector<std::pair<int64_t, int64_t>>>();
    spec.render =
        [key, pending](const EventRecord& e) -> std::optional<std::pair<std::string, std::string>> {
      auto v = ForVisitor(e, key);
      if (!v) return std::nullopt;
      if (v->deliver) pending->push_back(*v->deliver);
      return std::make_pair(v->type, v->data.dump());
    };
    spec.after_write = [&ctx, key, pending] {
      for (const auto& [session_id, message_id] : *pending) {
        (void)ctx.deps.webchat->Delivered(key, session_id, message_id);
      }
      pending->clear();
    };
    ServeEventStream(req, res, std::move(spec), ctx.stream_loop);
  });

  // Long polling: ?after=ID (or Last-Event-ID), waits up to ?timeout= seconds (default 25,
  // at most 30) for the visitor's next events.
  server.Get("/widget/v1/poll", [&ctx](const httplib::Request& req, httplib::Response& res) {
    auto visitor = AuthenticateVisitor(ctx, req, res);
    if (!visitor.ok()) return SendError(res, visitor.status());
    if (ctx.deps.events == nullptr) {
      return SendError(res, Status::Unavailable("the event feed is not running"));
    }
    const std::string key = VisitorKey(visitor->id);
    int64_t cursor = 0;
    if (req.has_param("after")) {
      auto after = ParseInt(req.get_param_value("after"));
      if (!after || *after < 0) return SendError(res, Status::BadRequest("after must be an id"));
      cursor = *after;
    } else {
      cursor = StartCursor(ctx, req);
    }
    int64_t timeout = 25;
    if (req.has_param("timeout")) {
      auto t = ParseInt(req.get_param_value("timeout"));
      if (!t || *t < 0 || *t > 30) return SendError(res, Status::BadRequest("timeout is 0-30"));
      timeout = *t;
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout);
    nlohmann::json events = nlohmann::json::array();
    std::vector<std::pair<int64_t, int64_t>> delivered;
    bool reset = false;
    while (true) {
      const auto left =
          std::chrono::duration_cast<Duration>(deadline - std::chrono::steady_clock::now());
      EventBatch batch = ctx.deps.events->Next(cursor, 200, std::max(Duration(0), left));
      if (batch.reset) {
        reset = true;
        cursor = ctx.deps.events->HighWater();
        break;
      }
      for (const EventRecord& e : batch.events) {
        cursor = e.id;
        auto v = ForVisitor(e, key);
        if (!v) continue;
        events.push_back({{"id", e.id}, {"event", v->type}, {"data", v->data}});
        if (v->deliver) delivered.push_back(*v->deliver);
      }
      if (!events.empty() || batch.stopping || std::chrono::steady_clock::now() >= deadline) break;
    }
    for (const auto& [session_id, message_id] : delivered) {
      (void)ctx.deps.webchat->Delivered(key, session_id, message_id);
    }
    SendJson(res, 200, {{"events", events}, {"last_event_id", cursor}, {"reset", reset}});
  });
}

}  // namespace handoffd::http
