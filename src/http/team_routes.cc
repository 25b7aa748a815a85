// Teams and the supervisor overview (API.md "Teams and routing"): /api/teams and /api/overview.
#include <algorithm>
#include <map>

#include "http/http_internal.h"
#include "routing/team_rules.h"

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

Status NoRouting() { return Status::Unavailable("routing is not configured"); }

nlohmann::json TeamJson(const Team& t, const Opening& o) {
  nlohmann::json triggers = nlohmann::json::array();
  for (const TeamTrigger& trigger : t.triggers) triggers.push_back(TriggerSpec(trigger));
  return {{"id", t.id},
          {"name", t.name},
          {"slug", t.slug},
          {"trigger_ids", triggers},
          {"timezone", t.timezone},
          {"hours", t.hours},
          {"holidays", t.holidays},
          {"open_now", o.open_now},
          {"next_open",
           o.next_open ? nlohmann::json(FormatRfc3339(*o.next_open)) : nlohmann::json(nullptr)}};
}

/// Applies the TEAM fields present in `body` to `t`; kBadRequest on a wrong type.
Status ApplyTeamJson(const nlohmann::json& body, Team& t) {
  auto text = [&](const char* key, std::string& out) -> Status {
    if (!body.contains(key) || body[key].is_null()) return Status::Ok();
    if (!body[key].is_string()) return Status::BadRequest(std::string(key) + " must be a string");
    out = body[key].get<std::string>();
    return Status::Ok();
  };
  HANDOFFD_RETURN_IF_ERROR(text("name", t.name));
  HANDOFFD_RETURN_IF_ERROR(text("slug", t.slug));
  HANDOFFD_RETURN_IF_ERROR(text("timezone", t.timezone));
  HANDOFFD_RETURN_IF_ERROR(text("hours", t.hours));
  auto strings = [&](const char* key, std::vector<std::string>& out) -> Status {
    if (!body.contains(key) || body[key].is_null()) return Status::Ok();
    const auto& v = body[key];
    if (!v.is_array() || v.size() > 400 ||
        !std::all_of(v.begin(), v.end(), [](const auto& x) { return x.is_string(); })) {
      return Status::BadRequest(std::string(key) + " must be an array of strings");
    }
    out.clear();
    for (const auto& x : v) out.push_back(x.get<std::string>());
    return Status::Ok();
  };
  std::vector<std::string> triggers;
  bool has_triggers = body.contains("trigger_ids") && !body["trigger_ids"].is_null();
  HANDOFFD_RETURN_IF_ERROR(strings("trigger_ids", triggers));
  HANDOFFD_RETURN_IF_ERROR(strings("holidays", t.holidays));
  if (has_triggers) {
    t.triggers.clear();
    for (const std::string& spec : triggers) {
      HANDOFFD_ASSIGN_OR_RETURN(auto trigger, ParseTriggerSpec(spec));
      t.triggers.push_back(trigger);
    }
  }
  return NormalizeTeam(t);
}

Result<Team> FindTeam(Context& ctx, const std::string& id_text) {
  auto id = ParseInt(id_text);
  HANDOFFD_ASSIGN_OR_RETURN(auto teams, ctx.deps.store.ListTeams());
  for (Team& t : teams) {
    if (id && t.id == *id) return std::move(t);
  }
  return Status::NotFound("team " + id_text + " not found");
}

/// Milliseconds as seconds (like the report's), null for none.
nlohmann::json SecondsOrNull(const std::optional<int64_t>& ms) {
  if (!ms) return nullptr;
  return static_cast<double>(*ms) / 1000.0;
}

}  // namespace

void RegisterTeamRoutes(httplib::Server& server, Context& ctx) {
  server.Get("/api/teams",
             Authed(ctx, [&ctx](const httplib::Request&, httplib::Response& res, const Agent&) {
               if (!ctx.deps.routing) return SendError(res, NoRouting());
               auto teams = ctx.deps.store.ListTeams();
               if (!teams.ok()) return SendError(res, teams.status());
               nlohmann::json list = nlohmann::json::array();
               for (const Team& t : *teams) {
                 list.push_back(TeamJson(t, ctx.deps.routing->OpeningNow(t)));
               }
               SendJson(res, 200, {{"teams", list}});
             }));

  Post(server, ctx, "/api/teams",
       Authed(ctx, [&ctx](const httplib::Request& req, httplib::Response& res, const Agent& agent) {
         if (agent.role != Role::kAdmin) return SendError(res, Status::Forbidden("admins only"));
         if (!ctx.deps.routing) return SendError(res, NoRouting());
         auto body = ParseJsonBody(req);
         if (!body.ok()) return SendError(res, body.status());
         Team t;
         Status valid = ApplyTeamJson(*body, t);
         if (!valid.ok()) return SendError(res, valid);
         auto created = ctx.deps.store.CreateTeam(t);
         if (!created.ok()) return SendError(res, created.status());
         ctx.deps.log.Info("team.created", {{"team_id", created->id}, {"by", agent.id}});
         SendJson(res, 201, TeamJson(*created, ctx.deps.routing->OpeningNow(*created)));
       }));

  Put(server, ctx, R"(/api/teams/([^/]+))",
      Authed(ctx, [&ctx](const httplib::Request& req, httplib::Response& res, const Agent& agent) {
        if (agent.role != Role::kAdmin) return SendError(res, Status::Forbidden("admins only"));
        if (!ctx.deps.routing) return SendError(res, NoRouting());
        auto team = FindTeam(ctx, req.matches[1]);
        if (!team.ok()) return SendError(res, team.status());
        auto body = ParseJsonBody(req);
        if (!body.ok()) return SendError(res, body.status());
        Status valid = ApplyTeamJson(*body, *team);
        if (!valid.ok()) return SendError(res, valid);
        auto updated = ctx.deps.store.UpdateTeam(*team);
        if (!updated.ok()) return SendError(res, updated.status());
        ctx.deps.log.Info("team.updated", {{"team_id", updated->id}, {"by", agent.id}});
        SendJson(res, 200, TeamJson(*updated, ctx.deps.routing->OpeningNow(*updated)));
      }));

  auto membership = [&ctx](bool member) {
    return Authed(ctx, [&ctx, member](const httplib::Request& req, httplib::Response& res,
                                      const Agent& agent) {
      if (!IsSupervisor(agent.role)) {
        return SendError(res, Status::Forbidden("supervisors and admins only"));
      }
      auto team = ParseInt(req.matches[1]);
      auto target = ParseInt(req.matches[2]);
      if (!team || !target) return SendError(res, Status::NotFound("team or agent not found"));
      Status st = ctx.deps.store.SetTeamMember(*team, *target, member);
      if (!st.ok()) return SendError(res, st);
      ctx.deps.log.Info(member ? "team.member_added" : "team.member_removed",
                        {{"team_id", *team}, {"agent_id", *target}, {"by", agent.id}});
      if (member && ctx.deps.nudge_routing) ctx.deps.nudge_routing();
      res.status = 204;
    });
  };
  const std::string members = R"(/api/teams/([^/]+)/members/([^/]+))";
  Put(server, ctx, members, membership(true));
  server.Delete(members, membership(false));

  server.Get(
      "/api/overview",
      Authed(ctx, [&ctx](const httplib::Request&, httplib::Response& res, const Agent& agent) {
        if (!IsSupervisor(agent.role)) {
          return SendError(res, Status::Forbidden("supervisors and admins only"));
        }
        if (!ctx.deps.routing) return SendError(res, NoRouting());
        auto teams = ctx.deps.store.ListTeams();
        if (!teams.ok()) return SendError(res, teams.status());
        auto agents = ctx.deps.store.ListAgents();
        if (!agents.ok()) return SendError(res, agents.status());
        auto waiting = ctx.deps.store.ListWaiting();
        if (!waiting.ok()) return SendError(res, waiting.status());
        const TimePoint now = ctx.deps.clock.Now();
        // Today (UTC) from the report query: times stored at the transitions, medians in SQL.
        ReportQuery today;
        today.group_by = ReportGroupBy::kDay;
        today.from = std::chrono::floor<std::chrono::days>(now);
        today.before = today.from + std::chrono::days(1);
        auto rows = ctx.deps.store.Report(today);
        if (!rows.ok()) return SendError(res, rows.status());
        const ReportRow day = rows->empty() ? ReportRow{} : rows->front();
        nlohmann::json list = nlohmann::json::array();
        for (const Team& t : *teams) {
          int64_t n = 0, longest = 0, online = 0, away = 0, offline = 0, active = 0, free = 0;
          for (const Session& s : *waiting) {
            if (s.team_id != t.id) continue;
            ++n;
            longest = std::max<int64_t>(
                longest,
                std::chrono::duration_cast<std::chrono::seconds>(now - s.created_at).count());
          }
          for (const Agent& raw : *agents) {
            const Agent a = WithPresence(raw, now);
            if (std::none_of(a.teams.begin(), a.teams.end(),
                             [&](const TeamRef& r) { return r.id == t.id; })) {
              continue;
            }
            if (a.status == AgentStatus::kOnline) {
              ++online;
              if (a.max_chats > 0) free += std::max(0, a.max_chats - a.active_chats);
            } else if (a.status == AgentStatus::kAway) {
              ++away;
            } else {
              ++offline;
            }
            active += a.active_chats;
          }
          const Opening o = ctx.deps.routing->OpeningNow(t);
          list.push_back({{"id", t.id},
                          {"name", t.name},
                          {"waiting", n},
                          {"longest_wait_seconds", longest},
                          {"agents_online", online},
                          {"agents_away", away},
                          {"agents_offline", offline},
                          {"active_chats", active},
                          {"free_capacity", free},
                          {"open_now", o.open_now},
                          {"next_open", o.next_open ? nlohmann::json(FormatRfc3339(*o.next_open))
                                                    : nlohmann::json(nullptr)}});
        }
        SendJson(
            res, 200,
            {{"teams", list},
             {"today",
              {{"sessions", day.sessions},
               {"assigned", day.assigned},
               {"missed", day.missed},
               {"median_wait_seconds", SecondsOrNull(day.median_wait_ms)},
               {"median_first_response_seconds", SecondsOrNull(day.median_first_response_ms)}}}});
      }));
}

}  // namespace handoffd::http
