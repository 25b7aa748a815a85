// Login, logout and the current agent (API.md "Login").
#include <algorithm>

#include "auth/password.h"
#include "auth/token.h"
#include "http/http_internal.h"

namespace handoffd::http {
namespace {

constexpr size_t kMaxEmailBytes = 320;
constexpr size_t kMaxPasswordBytes = 4096;

}  // namespace

void RegisterAuthRoutes(httplib::Server& server, Context& ctx) {
  Post(
      server, ctx, "/api/auth/login",
      Timed(ctx, "api", [&ctx](const httplib::Request& req, httplib::Response& res) {
        auto body = ParseJsonBody(req);
        if (!body.ok()) return SendError(res, body.status());
        const auto& j = *body;
        if (!j.contains("email") || !j["email"].is_string() || !j.contains("password") ||
            !j["password"].is_string()) {
          return SendError(res, Status::BadRequest("email and password are required strings"));
        }
        std::string email = j["email"].get<std::string>();
        const std::string& password = j["password"].get_ref<const std::string&>();
        // RFC 5321 caps an address at 320 bytes; nothing longer is looked up or logged.
        if (email.size() > kMaxEmailBytes || password.size() > kMaxPasswordBytes) {
          return SendError(res, Status::BadRequest("email or password too long"));
        }
        std::transform(email.begin(), email.end(), email.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        // Abuse limits (issue 9 #3): locked addresses/accounts cost no hashing, and at most
        // auth.max_concurrent_hashes argon2id checks (~64 MiB each) run at once.
        LoginGuard& guard = *ctx.login_guard;
        if (Status locked = guard.Check(req.remote_addr, email); !locked.ok()) {
          ctx.deps.log.Warn("auth.login_limited", {{"email", email}, {"address", req.remote_addr}});
          return SendError(res, locked);
        }
        // A short wait absorbs a burst of honest logins; a flood gets 429.
        auto permit = guard.AcquireHashSlot(std::chrono::seconds(2));
        if (!permit.ok()) return SendError(res, permit.status());
        auto agent = ctx.deps.store.GetAgentByEmail(email);
        if (!agent.ok()) return SendError(res, agent.status());
        // An unknown email is checked against a dummy hash: it costs what a wrong password
        // costs, so timing does not reveal which emails exist.
        const bool verified = VerifyPasswordConstantCost(
            password, agent->has_value() ? &(*agent)->password_hash : nullptr);
        if (!verified) {
          guard.RecordFailure(req.remote_addr, email);
          ctx.deps.log.Warn("auth.login_failed", {{"email", email}, {"address", req.remote_addr}});
          return SendError(res, Status::Unauthorized("wrong email or password"));
        }
        guard.RecordSuccess(email);
        const std::string token = NewToken();
        const TimePoint now = ctx.deps.clock.Now();
        const TimePoint expires = now + ctx.options.token_ttl;
        Status st = ctx.deps.store.CreateToken(HashToken(token), (*agent)->id, now, expires);
        if (!st.ok()) return SendError(res, st);
        ctx.deps.log.Info("auth.login", {{"agent_id", (*agent)->id}});
        (void)ctx.deps.store.TouchAgent((*agent)->id, now);  // a login is a sign of life
        (*agent)->last_seen_at = now;
        if (ctx.options.online_on_login && (*agent)->status != AgentStatus::kOnline) {
          // Presence: a login makes the agent online, and every dashboard hears of it.
          Status online = ctx.deps.store.Transact([&](StoreTx& tx) -> Status {
            HANDOFFD_ASSIGN_OR_RETURN(auto a,
                                      tx.SetAgentStatus((*agent)->id, AgentStatus::kOnline, now));
            if (!a.has_value()) return Status::NotFound("agent not found");
            **agent = *a;
            return tx.AppendEvent(AgentEvent(WithPresence(*a, now), now)).status();
          });
          if (!online.ok()) return SendError(res, online);
          if (ctx.deps.events) ctx.deps.events->Notify();
        }
        // A login is a sign of life: an online agent may receive waiting sessions now.
        if ((*agent)->status == AgentStatus::kOnline && ctx.deps.nudge_routing) {
          ctx.deps.nudge_routing();
        }
        const auto max_age =
            std::chrono::duration_cast<std::chrono::seconds>(ctx.options.token_ttl).count();
        res.set_header("Set-Cookie", std::string(kTokenCookie) + "=" + token +
                                         "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" +
                                         std::to_string(max_age) +
                                         (ctx.options.secure_cookie ? "; Secure" : ""));
        SendJson(res, 200,
                 {{"token", token},
                  {"expires_at", FormatRfc3339(expires)},
                  {"agent", AgentJson(WithPresence(**agent, now))}});
      }));

  Post(server, ctx, "/api/auth/logout",
       Timed(ctx, "api", [&ctx](const httplib::Request& req, httplib::Response& res) {
         auto agent = Authenticate(ctx, req);
         if (!agent.ok()) return SendError(res, agent.status());
         Status st = ctx.deps.store.DeleteToken(HashToken(*RequestToken(req)));
         if (!st.ok()) return SendError(res, st);
         ctx.deps.log.Info("auth.logout", {{"agent_id", agent->id}});
         res.set_header("Set-Cookie", std::string(kTokenCookie) +
                                          "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
         res.status = 204;
       }));

  server.Get("/api/me",
             Timed(ctx, "api", [&ctx](const httplib::Request& req, httplib::Response& res) {
               auto agent = Authenticate(ctx, req);
               if (!agent.ok()) return SendError(res, agent.status());
               SendJson(res, 200, AgentJson(WithPresence(*agent, ctx.deps.clock.Now())));
             }));

  // The caller's read positions in open sessions and what is unread there:
  // {"positions":{"<session id>":<message id>},"unread":{"<session id>":<customer messages>}}.
  server.Get("/api/me/read-positions",
             Timed(ctx, "api", [&ctx](const httplib::Request& req, httplib::Response& res) {
               auto agent = Authenticate(ctx, req);
               if (!agent.ok()) return SendError(res, agent.status());
               auto positions = ctx.deps.store.ListReadPositions(agent->id);
               if (!positions.ok()) return SendError(res, positions.status());
               nlohmann::json out = nlohmann::json::object();
               for (const auto& [session, message] : *positions) {
                 out[std::to_string(session)] = message;
               }
               auto unread = ctx.deps.store.CountUnread(agent->id);
               if (!unread.ok()) return SendError(res, unread.status());
               nlohmann::json counts = nlohmann::json::object();
               for (const auto& [session, n] : *unread) counts[std::to_string(session)] = n;
               SendJson(res, 200, {{"positions", out}, {"unread", counts}});
             }));
}

}  // namespace handoffd::http
