// /api/agent/sessions/... (API.md "Agent sessions"): who may do what is decided here and in
// SessionService; every route needs a login.
#include <algorithm>

#include "domain/labels.h"
#include "http/http_internal.h"

namespace handoffd::http {
namespace {

using Handler = std::function<void(const httplib::Request&, httplib::Response&, const Agent&)>;

/// Authenticates, then runs `f` with the agent.
httplib::Server::Handler Authed(Context& ctx, Handler f) {
  return Timed(ctx, "api", [&ctx, f](const httplib::Request& req, httplib::Response& res) {
    auto agent = Authenticate(ctx, req);
    if (!agent.ok()) return SendError(res, agent.status());
    f(req, res, *agent);
  });
}

nlohmann::json SessionList(const std::vector<Session>& sessions) {
  nlohmann::json list = nlohmann::json::array();
  for (const Session& s : sessions) list.push_back(SessionJson(s));
  return list;
}

/// Reads an optional integer query parameter within [min, max]; kBadRequest names it.
Result<std::optional<int64_t>> IntParam(const httplib::Request& req, const char* name, int64_t min,
                                        int64_t max) {
  if (!req.has_param(name) || req.get_param_value(name).empty()) {
    return std::optional<int64_t>();
  }
  auto v = ParseInt(req.get_param_value(name));
  if (!v || *v < min || *v > max) {
    return Status::BadRequest(std::string(name) + " must be an integer from " +
                              std::to_string(min) + " to " + std::to_string(max));
  }
  return std::optional<int64_t>(*v);
}

/// The session if `agent` may read it (SessionService::Readable); unknown ids are 404.
Result<Session> VisibleSession(Context& ctx, const std::string& id_text, const Agent& agent) {
  auto id = ParseInt(id_text);
  if (!id) return Status::NotFound("session " + id_text + " not found");
  return ctx.deps.sessions.Readable(*id, agent);
}

void SendPage(httplib::Response& res, const SessionPage& page, int limit, int offset) {
  SendJson(res, 200,
           {{"sessions", SessionList(page.sessions)},
            {"total", page.total},
            {"limit", limit},
            {"offset", offset}});
}

}  // namespace

void RegisterSessionRoutes(httplib::Server& server, Context& ctx) {
  const std::string base = "/api/agent/sessions";

  Post(server, ctx, base + R"(/start/([^/]+))",
       Authed(ctx, [&ctx](const httplib::Request& req, httplib::Response& res, const Agent& agent) {
         auto s = ctx.deps.sessions.Start(req.matches[1], agent);
         if (!s.ok()) return SendError(res, s.status());
         ctx.deps.log.Info("session.started", {{"session_id", s->id}, {"agent_id", agent.id}});
         SendJson(res, 201, SessionJson(*s));
       }));

  server.Get(base + "/waiting", Authed(ctx, [&ctx](const httplib::Request& req,
                                                   httplib::Response& res, const Agent& agent) {
               auto team = IntParam(req, "team_id", 1, INT64_MAX / 2);
               if (!team.ok()) return SendError(res, team.status());
               auto list = ctx.deps.store.ListWaiting();
               if (!list.ok()) return SendError(res, list.status());
               // Agents see their teams' queues; supervisors and admins every queue.
               std::vector<Session> shown;
               for (Session& s : *list) {
                 if (*team && s.team_id != **team) continue;
                 if (!IsSupervisor(agent.role) &&
                     std::none_of(agent.teams.begin(), agent.teams.end(),
                                  [&](const TeamRef& t) { return t.id == s.team_id; })) {
                   continue;
                 }
                 shown.push_back(std::move(s));
               }
               SendJson(res, 200, {{"sessions", SessionList(shown)}});
             }));

  server.Get(
      base + R"(/my-chats/([^/]+))",
      Authed(ctx, [&ctx](const httplib::Request& req, httplib::Response& res, const Agent& agent) {
        auto id = ParseInt(req.matches[1]);
        if (!id) return SendError(res, Status::NotFound("agent not found"));
        if (*id != agent.id && !IsSupervisor(agent.role)) {
          return SendError(res, Status::Forbidden("agents may list only their own chats"));
        }
        auto list = ctx.deps.store.ListActiveForAgent(*id);
        if (!list.ok()) return SendError(res, list.status());
        SendJson(res, 200, {{"sessions", SessionList(*list)}});
      }));

  server.Get(base + "/all", Authed(ctx, [&ctx](const httplib::Request& req, httplib::Response& res,
                                               const Agent& agent) {
               if (!IsSupervisor(agent.role)) {
                 return SendError(res, Status::Forbidden("supervisors and admins only"));
               }
               auto limit = IntParam(req, "limit", 1, 200);
               if (!limit.ok()) return SendError(res, limit.status());
               auto offset = IntParam(req, "offset", 0, INT32_MAX);
               if (!offset.ok()) return SendError(res, offset.status());
               SessionQuery q;
               q.limit = static_cast<int>(limit->value_or(50));
               q.offset = static_cast<int>(offset->value_or(0));
               auto page = ctx.deps.store.QuerySessions(q);
               if (!page.ok()) return SendError(res, page.status());
               SendPage(res, *page, q.limit, q.offset);
             }));

  server.Get(
      base + "/history",
      Authed(ctx, [&ctx](const httplib::Request& req, httplib::Response& res, const Agent& agent) {
        SessionQuery q;
        auto limit = IntParam(req, "limit", 1, 200);
        if (!limit.ok()) return SendError(res, limit.status());
        auto offset = IntParam(req, "offset", 0, INT32_MAX);
        if (!offset.ok()) return SendError(res, offset.status());
        auto agent_id = IntParam(req, "agent_id", 1, INT64_MAX / 2);
        if (!agent_id.ok()) return SendError(res, agent_id.status());
        q.limit = static_cast<int>(limit->value_or(50));
        q.offset = static_cast<int>(offset->value_or(0));
        q.agent_id = *agent_id;
        if (!IsSupervisor(agent.role)) {
          // Agents see only sessions assigned to them; asking for another agent's
          // history therefore matches nothing.
          if (q.agent_id && *q.agent_id != agent.id) {
            return SendPage(res, SessionPage{}, q.limit, q.offset);
          }
          q.agent_id = agent.id;
        }
        const std::string status = req.get_param_value("status");
        if (!status.empty()) {
          q.status = ParseSessionStatus(status);
          if (!q.status) {
            return SendError(res, Status::BadRequest("status must be waiting, active or ended"));
          }
        }
        const std::string search = req.get_param_value("search");
        if (!search.empty()) q.search = search;
        const std::string label = req.get_param_value("label");
        if (!label.empty()) {
          q.label = NormalizeLabel(label);
          if (!q.label) {
            return SendError(res, Status::BadRequest("label must be 1-32 of a-z, 0-9, _ and -"));
          }
        }
        for (const char* name : {"start_date", "end_date"}) {
          const std::string v = req.get_param_value(name);
          if (v.empty()) continue;
          auto day = ParseDate(v);
          if (!day) {
            return SendError(res,
                             Status::BadRequest(std::string(name) + " must be a date YYYY-MM-DD"));
          }
          if (std::string(name) == "start_date") {
            q.created_from = *day;
          } else {
            q.created_before = *day + std::chrono::hours(24);  // inclusive end day
          }
        }
        auto page = ctx.deps.store.QuerySessions(q);
        if (!page.ok()) return SendError(res, page.status());
        SendPage(res, *page, q.limit, q.offset);
      }));

  server.Get(base + R"(/([^/]+))", Authed(ctx, [&ctx](const httplib::Request& req,
                                                      httplib::Response& res, const Agent& agent) {
               auto s = VisibleSession(ctx, req.matches[1], agent);
               if (!s.ok()) return SendError(res, s.status());
               SendJson(res, 200, SessionJson(*s));
             }));

  Post(server, ctx, base + R"(/([^/]+)/assign)",
       Authed(ctx, [&ctx](const httplib::Request& req, httplib::Response& res, const Agent& agent) {
         auto id = ParseInt(req.matches[1]);
         if (!id) return SendError(res, Status::NotFound("session not found"));
         auto body = ParseJsonBody(req);
         if (!body.ok()) return SendError(res, body.status());
         std::optional<int64_t> target;
         if (body->contains("agent_id") && !(*body)["agent_id"].is_null()) {
           if (!(*body)["agent_id"].is_number_integer()) {
             return SendError(res, Status::BadRequest("agent_id must be an integer"));
           }
           target = (*body)["agent_id"].get<int64_t>();
         }
         bool force = false;
         if (body->contains("force") && !(*body)["force"].is_null()) {
           if (!(*body)["force"].is_boolean()) {
             return SendError(res, Status::BadRequest("force must be a boolean"));
           }
           force = (*body)["force"].get<bool>();
         }
         auto s = ctx.deps.sessions.Assign(*id, agent, target, force);
         if (!s.ok()) return SendError(res, s.status());
         ++ctx.deps.metrics.assignments_manual;
         ctx.deps.log.Info(
             "session.assigned",
             {{"session_id", s->id}, {"agent_id", s->agent_id.value_or(0)}, {"by", agent.id}});
         SendJson(res, 200, SessionJson(*s));
       }));

  Post(server, ctx, base + R"(/([^/]+)/end)",
       Authed(ctx, [&ctx](const httplib::Request& req, httplib::Response& res, const Agent& agent) {
         auto id = ParseInt(req.matches[1]);
         if (!id) return SendError(res, Status::NotFound("session not found"));
         auto s = ctx.deps.sessions.End(*id, agent);
         if (!s.ok()) return SendError(res, s.status());
         ctx.deps.log.Info("session.ended",
                           {{"session_id", s->id},
                            {"end_reason", s->end_reason ? ToString(*s->end_reason) : ""},
                            {"by", agent.id}});
         SendJson(res, 200, SessionJson(*s));
       }));

  server.Get(
      base + R"(/([^/]+)/previous)",
      Authed(ctx, [&ctx](const httplib::Request& req, httplib::Response& res, const Agent& agent) {
        auto id = ParseInt(req.matches[1]);
        if (!id) return SendError(res, Status::NotFound("session not found"));
        auto list = ctx.deps.sessions.Previous(*id, agent);
        if (!list.ok()) return SendError(res, list.status());
        SendJson(res, 200, {{"sessions", SessionList(*list)}});
      }));

  Put(server, ctx, base + R"(/([^/]+)/read-position)",
      Authed(ctx, [&ctx](const httplib::Request& req, httplib::Response& res, const Agent& agent) {
        auto id = ParseInt(req.matches[1]);
        if (!id) return SendError(res, Status::NotFound("session not found"));
        auto body = ParseJsonBody(req);
        if (!body.ok()) return SendError(res, body.status());
        const auto& m = (*body)["message_id"];
        if (!m.is_number_integer()) {
          return SendError(res, Status::BadRequest("message_id must be an integer"));
        }
        Status st = ctx.deps.sessions.MarkRead(*id, agent, m.get<int64_t>());
        if (!st.ok()) return SendError(res, st);
        res.status = 204;
      }));

  server.Get(
      base + R"(/([^/]+)/messages)",
      Authed(ctx, [&ctx](const httplib::Request& req, httplib::Response& res, const Agent& agent) {
        auto s = VisibleSession(ctx, req.matches[1], agent);
        if (!s.ok()) return SendError(res, s.status());
        auto after = IntParam(req, "after_id", 0, INT64_MAX / 2);
        if (!after.ok()) return SendError(res, after.status());
        auto limit = IntParam(req, "limit", 1, 1000);
        if (!limit.ok()) return SendError(res, limit.status());
        auto list = ctx.deps.store.ListMessages(s->id, after->value_or(0),
                                                static_cast<int>(limit->value_or(500)));
        if (!list.ok()) return SendError(res, list.status());
        nlohmann::json out = nlohmann::json::array();
        for (const Message& m : *list) out.push_back(MessageJson(m));
        SendJson(res, 200, {{"messages", out}});
      }));

  Post(server, ctx, base + R"(/([^/]+)/messages)",
       Authed(ctx, [&ctx](const httplib::Request& req, httplib::Response& res, const Agent& agent) {
         auto id = ParseInt(req.matches[1]);
         if (!id) return SendError(res, Status::NotFound("session not found"));
         auto body = ParseJsonBody(req);
         if (!body.ok()) return SendError(res, body.status());
         if (!body->contains("content") || !(*body)["content"].is_string()) {
           return SendError(res, Status::BadRequest("content is required"));
         }
         if (ctx.deps.sends != nullptr) {
           SendOptions options;
           options.idempotency_key = req.get_header_value("Idempotency-Key");
           if (body->contains("reply_to") && !(*body)["reply_to"].is_null()) {
             if (!(*body)["reply_to"].is_number_integer()) {
               return SendError(res, Status::BadRequest("reply_to must be a message id"));
             }
             options.reply_to = (*body)["reply_to"].get<int64_t>();
           }
           auto out =
               ctx.deps.sends->Text(*id, agent, (*body)["content"].get<std::string>(), options);
           if (!out.ok()) return SendError(res, out.status());
           if (!out->repeated) {
             ctx.deps.log.Info(
                 "message.queued",
                 {{"session_id", *id}, {"message_id", out->message.id}, {"agent_id", agent.id}});
           }
           return SendJson(res, out->repeated ? 200 : 201, MessageJson(out->message));
         }
         auto m = ctx.deps.sessions.Reply(*id, agent, (*body)["content"].get<std::string>());
         if (!m.ok()) return SendError(res, m.status());
         ctx.deps.log.Info("message.queued",
                           {{"session_id", *id}, {"message_id", m->id}, {"agent_id", agent.id}});
         SendJson(res, 201, MessageJson(*m));
       }));
}

}  // namespace handoffd::http
