// The agent's own status and the agent list (full for supervisors, without emails for agents).
#include "http/http_internal.h"

namespace handoffd::http {

void RegisterAgentRoutes(httplib::Server& server, Context& ctx) {
  Put(server, ctx, "/api/me/status",
      Timed(ctx, "api", [&ctx](const httplib::Request& req, httplib::Response& res) {
        auto agent = Authenticate(ctx, req);
        if (!agent.ok()) return SendError(res, agent.status());
        auto body = ParseJsonBody(req);
        if (!body.ok()) return SendError(res, body.status());
        auto status = body->contains("status") && (*body)["status"].is_string()
                          ? ParseAgentStatus((*body)["status"].get<std::string>())
                          : std::nullopt;
        if (!status) {
          return SendError(res, Status::BadRequest("status must be online, away or offline"));
        }
        const TimePoint now = ctx.deps.clock.Now();
        std::optional<Agent> updated;
        Status st = ctx.deps.store.Transact([&](StoreTx& tx) -> Status {
          auto a = tx.SetAgentStatus(agent->id, *status, now);
          if (!a.ok()) return a.status();
          if (!a->has_value()) return Status::NotFound("agent not found");
          updated = WithPresence(**a, now);
          auto e = tx.AppendEvent(AgentEvent(*updated, now));
          return e.ok() ? Status::Ok() : e.status();
        });
        if (!st.ok()) return SendError(res, st);
        if (ctx.deps.events) ctx.deps.events->Notify();
        if (*status == AgentStatus::kOnline && ctx.deps.nudge_routing) ctx.deps.nudge_routing();
        ctx.deps.log.Info("agent.status", {{"agent_id", agent->id}, {"status", ToString(*status)}});
        SendJson(res, 200, AgentJson(*updated));
      }));

  server.Get("/api/agents",
             Timed(ctx, "api", [&ctx](const httplib::Request& req, httplib::Response& res) {
               auto agent = Authenticate(ctx, req);
               if (!agent.ok()) return SendError(res, agent.status());
               // Every signed-in agent may read the list: the dashboard names message authors
               // and shows presence from it. Agents do not get the others' email addresses.
               const bool full = IsSupervisor(agent->role);
               auto agents = ctx.deps.store.ListAgents();
               if (!agents.ok()) return SendError(res, agents.status());
               const TimePoint now = ctx.deps.clock.Now();
               nlohmann::json list = nlohmann::json::array();
               for (const Agent& a : *agents) {
                 nlohmann::json j = AgentJson(WithPresence(a, now));
                 if (!full && a.id != agent->id) j.erase("email");
                 list.push_back(std::move(j));
               }
               SendJson(res, 200, {{"agents", list}});
             }));
}

}  // namespace handoffd::http
