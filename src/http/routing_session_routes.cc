// Session routing actions (API.md "Teams and routing"): decline, transfer and priority.
#include "http/http_internal.h"

namespace handoffd::http {
namespace {

template <typename F>
httplib::Server::Handler Authed(Context& ctx, F f) {
  return Timed(ctx, "api", [&ctx, f](const httplib::Request& req, httplib::Response& res) {
    auto agent = Authenticate(ctx, req);
    if (!agent.ok()) return SendError(res, agent.status());
    f(req, res, *agent);
  });
}

/// An optional integer field of `body`; kBadRequest when present but not an integer.
Result<std::optional<int64_t>> OptionalInt(const nlohmann::json& body, const char* key) {
  if (!body.contains(key) || body[key].is_null()) return std::optional<int64_t>();
  if (!body[key].is_number_integer()) {
    return Status::BadRequest(std::string(key) + " must be an integer");
  }
  return std::optional<int64_t>(body[key].get<int64_t>());
}

}  // namespace

void RegisterRoutingSessionRoutes(httplib::Server& server, Context& ctx) {
  const std::string base = "/api/agent/sessions";

  Post(server, ctx, base + R"(/([^/]+)/decline)",
       Authed(ctx, [&ctx](const httplib::Request& req, httplib::Response& res, const Agent& agent) {
         if (!ctx.deps.routing) return SendError(res, Status::Unavailable("routing is off"));
         auto id = ParseInt(req.matches[1]);
         if (!id) return SendError(res, Status::NotFound("session not found"));
         auto s = ctx.deps.routing->Decline(*id, agent);
         if (!s.ok()) return SendError(res, s.status());
         ctx.deps.log.Info("session.declined", {{"session_id", s->id}, {"agent_id", agent.id}});
         SendJson(res, 200, SessionJson(*s));
       }));

  Post(server, ctx, base + R"(/([^/]+)/transfer)",
       Authed(ctx, [&ctx](const httplib::Request& req, httplib::Response& res, const Agent& agent) {
         if (!ctx.deps.routing) return SendError(res, Status::Unavailable("routing is off"));
         auto id = ParseInt(req.matches[1]);
         if (!id) return SendError(res, Status::NotFound("session not found"));
         auto body = ParseJsonBody(req);
         if (!body.ok()) return SendError(res, body.status());
         auto target = OptionalInt(*body, "agent_id");
         if (!target.ok()) return SendError(res, target.status());
         auto team = OptionalInt(*body, "team_id");
         if (!team.ok()) return SendError(res, team.status());
         std::string note;
         if (body->contains("note") && !(*body)["note"].is_null()) {
           if (!(*body)["note"].is_string()) {
             return SendError(res, Status::BadRequest("note must be a string"));
           }
           note = (*body)["note"].get<std::string>();
         }
         auto s = ctx.deps.routing->Transfer(*id, agent, *target, *team, note);
         if (!s.ok()) return SendError(res, s.status());
         ctx.deps.log.Info("session.transferred", {{"session_id", s->id},
                                                   {"agent_id", s->agent_id.value_or(0)},
                                                   {"team_id", s->team_id},
                                                   {"by", agent.id}});
         SendJson(res, 200, SessionJson(*s));
       }));

  Put(server, ctx, base + R"(/([^/]+)/priority)",
      Authed(ctx, [&ctx](const httplib::Request& req, httplib::Response& res, const Agent& agent) {
        if (!ctx.deps.routing) return SendError(res, Status::Unavailable("routing is off"));
        auto id = ParseInt(req.matches[1]);
        if (!id) return SendError(res, Status::NotFound("session not found"));
        auto body = ParseJsonBody(req);
        if (!body.ok()) return SendError(res, body.status());
        if (!body->contains("priority") || !(*body)["priority"].is_number_integer()) {
          return SendError(res, Status::BadRequest("priority must be an integer from 0 to 3"));
        }
        const int64_t p = (*body)["priority"].get<int64_t>();
        if (p < 0 || p > kMaxPriority) {
          return SendError(res, Status::BadRequest("priority must be an integer from 0 to 3"));
        }
        auto s = ctx.deps.routing->SetPriority(*id, agent, static_cast<int>(p));
        if (!s.ok()) return SendError(res, s.status());
        ctx.deps.log.Info("session.priority",
                          {{"session_id", s->id}, {"priority", p}, {"by", agent.id}});
        SendJson(res, 200, SessionJson(*s));
      }));
}

}  // namespace handoffd::http
