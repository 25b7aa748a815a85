// The agent side of web chat (API.md "Web chat"): the agent's typing reaches the visitor, and
// the offline messages left through widgets are listed and marked handled (any agent).
#include "http/widget_cors.h"
#include "router/agent_sends.h"

namespace handoffd::http {
namespace {

nlohmann::json OfflineJson(const OfflineMessage& m) {
  return {{"id", m.id},
          {"widget_key", m.widget_key},
          {"visitor_id", m.visitor_id ? nlohmann::json(*m.visitor_id) : nlohmann::json(nullptr)},
          {"name", m.name},
          {"email", m.email},
          {"message", m.message},
          {"created_at", FormatRfc3339(m.created_at)},
          {"handled", m.handled_at.has_value()},
          {"handled_at",
           m.handled_at ? nlohmann::json(FormatRfc3339(*m.handled_at)) : nlohmann::json(nullptr)},
          {"handled_by", m.handled_by ? nlohmann::json(*m.handled_by) : nlohmann::json(nullptr)}};
}

}  // namespace

void RegisterWebchatAgentRoutes(httplib::Server& server, Context& ctx) {
  // {"typing": bool} (default true; the body may be empty). Web chat: agent.typing to the visitor
  // (a repeated true at most every 2 s). WhatsApp: the typing indicator through AgentSends.
  Post(server, ctx, R"(/api/agent/sessions/(\d+)/typing)",
       Timed(ctx, "api", [&ctx](const httplib::Request& req, httplib::Response& res) {
         auto agent = Authenticate(ctx, req);
         if (!agent.ok()) return SendError(res, agent.status());
         auto id = ParseInt(req.matches[1]);
         if (!id) return SendError(res, Status::NotFound("no such session"));
         bool typing = true;  // an empty body means "typing"
         if (!req.body.empty()) {
           auto body = ParseJsonBody(req);
           if (!body.ok()) return SendError(res, body.status());
           if (body->contains("typing")) {
             if (!(*body)["typing"].is_boolean()) {
               return SendError(res, Status::BadRequest("typing must be true or false"));
             }
             typing = (*body)["typing"].get<bool>();
           }
         }
         auto session = ctx.deps.sessions.Readable(*id, *agent);
         if (!session.ok()) return SendError(res, session.status());
         if (session->channel != kWebchatChannel) {
           // WhatsApp: the typing indicator (AgentSends: at most once per 20 s per session).
           if (typing && ctx.deps.sends != nullptr) {
             if (Status st = ctx.deps.sends->Typing(*id, *agent); !st.ok()) {
               return SendError(res, st);
             }
           }
         } else if (ctx.deps.webchat != nullptr && session->status == SessionStatus::kActive) {
           if (Status st = ctx.deps.webchat->AgentTyping(*session, *agent, typing); !st.ok()) {
             return SendError(res, st);
           }
         }
         res.status = 204;
       }));

  // ?handled=false|true (default: all), ?before_id=, ?limit= (default 100, at most 500).
  server.Get("/api/offline-messages",
             Timed(ctx, "api", [&ctx](const httplib::Request& req, httplib::Response& res) {
               auto agent = Authenticate(ctx, req);
               if (!agent.ok()) return SendError(res, agent.status());
               std::optional<bool> handled;
               if (req.has_param("handled")) {
                 const std::string h = req.get_param_value("handled");
                 if (h != "true" && h != "false") {
                   return SendError(res, Status::BadRequest("handled must be true or false"));
                 }
                 handled = h == "true";
               }
               int64_t before = std::numeric_limits<int64_t>::max();
               if (req.has_param("before_id")) {
                 auto b = ParseInt(req.get_param_value("before_id"));
                 if (!b || *b < 1) return SendError(res, Status::BadRequest("bad before_id"));
                 before = *b;
               }
               int64_t limit = 100;
               if (req.has_param("limit")) {
                 auto l = ParseInt(req.get_param_value("limit"));
                 if (!l || *l < 1 || *l > 500) {
                   return SendError(res, Status::BadRequest("limit must be 1-500"));
                 }
                 limit = *l;
               }
               auto list =
                   ctx.deps.store.ListOfflineMessages(handled, before, static_cast<int>(limit));
               if (!list.ok()) return SendError(res, list.status());
               nlohmann::json out = nlohmann::json::array();
               for (const auto& m : *list) out.push_back(OfflineJson(m));
               SendJson(res, 200, {{"offline_messages", out}});
             }));

  Post(server, ctx, R"(/api/offline-messages/(\d+)/handled)",
       Timed(ctx, "api", [&ctx](const httplib::Request& req, httplib::Response& res) {
         auto agent = Authenticate(ctx, req);
         if (!agent.ok()) return SendError(res, agent.status());
         auto id = ParseInt(req.matches[1]);
         if (!id) return SendError(res, Status::NotFound("no such offline message"));
         auto m = ctx.deps.store.MarkOfflineMessageHandled(*id, agent->id, ctx.deps.clock.Now());
         if (!m.ok()) return SendError(res, m.status());
         if (!m->has_value()) return SendError(res, Status::NotFound("no such offline message"));
         SendJson(res, 200, OfflineJson(**m));
       }));
}

}  // namespace handoffd::http
