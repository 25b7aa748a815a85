// Internal to src/http: the shared handler context and helpers. Included only by src/http/*.cc.
#pragma once

#include <httplib.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "auth/login_guard.h"
#include "domain/json_views.h"
#include "events/stream_slots.h"
#include "http/api_server.h"
#include "http/errors.h"
#include "router/agent_tools.h"

namespace handoffd::http {

class StreamLoop;

/// Cookie set at login and read on every dashboard request.
inline constexpr const char* kTokenCookie = "handoffd_token";

/// A registered POST route, kept so body-less POSTs can be dispatched early (api_server.cc).
struct PostRoute {
  std::regex pattern;
  httplib::Server::Handler handler;
};

struct Context {
  ApiDeps deps;
  ApiServerOptions options;
  std::vector<PostRoute> post_routes;
  std::unique_ptr<LoginGuard> login_guard;  // login abuse limits (auth_routes.cc)
  /// Open event streams per holder ("agent:ID"; web chat: "visitor:ID"), capped.
  std::unique_ptr<StreamSlots> stream_slots;
  /// Writes open event streams (ServeEventStream); null: streams hold their worker.
  StreamLoop* stream_loop = nullptr;
  std::unique_ptr<AgentTools> tools;  // notes, labels, transcripts (tools_routes.cc)
};

/// Wraps `handler` so the body is read by handoffd, not httplib: httplib 0.11 applies
/// set_payload_max_length to Content-Length bodies only and buffers a chunked body of any size
/// (issue 9 #1). The body is refused with 413 as soon as it passes `max_bytes` while it streams
/// in, and the connection is closed. Multipart bodies are refused (415): no route takes one.
httplib::Server::HandlerWithContentReader BoundedBody(httplib::Server::Handler handler,
                                                      int64_t max_bytes);

/// Registers a POST route (body bounded by server.max_body_bytes) with the server and in
/// ctx.post_routes.
inline void Post(httplib::Server& server, Context& ctx, const std::string& pattern,
                 httplib::Server::Handler handler) {
  ctx.post_routes.push_back({std::regex(pattern), handler});
  server.Post(pattern, BoundedBody(std::move(handler), ctx.options.max_body_bytes));
}

/// Registers a PUT route (body bounded by server.max_body_bytes).
inline void Put(httplib::Server& server, Context& ctx, const std::string& pattern,
                httplib::Server::Handler handler) {
  server.Put(pattern, BoundedBody(std::move(handler), ctx.options.max_body_bytes));
}

/// The login token of the request: "Authorization: Bearer T", the session cookie, or ?token=
/// (GET /api/events only: a token in a URL leaks into logs and history; issue 9 #5).
std::optional<std::string> RequestToken(const httplib::Request& req);

/// Why a cookie-authenticated write (POST/PUT/PATCH/DELETE on /api/*, no bearer header) is
/// refused: 403 without a same-origin `Origin` (or `Sec-Fetch-Site: same-origin`), 415 when it
/// has a body that is not `application/json`. nullopt: allowed (or not cookie-authenticated).
std::optional<Status> CookieWriteRefusal(const Context& ctx, const httplib::Request& req);
/// The authenticated agent, or kUnauthorized / kUnavailable.
Result<Agent> Authenticate(Context& ctx, const httplib::Request& req);

/// Parses a JSON object request body (an empty body is {}); kBadRequest otherwise.
Result<nlohmann::json> ParseJsonBody(const httplib::Request& req);

/// Parses a decimal int64 path/query value; nullopt unless it is all digits (optionally "-").
std::optional<int64_t> ParseInt(const std::string& s);

/// Wraps a handler so its duration lands in the request-latency histogram under `route`.
template <typename F>
httplib::Server::Handler Timed(Context& ctx, const char* route, F f) {
  return [&ctx, route, f](const httplib::Request& req, httplib::Response& res) {
    const auto start = std::chrono::steady_clock::now();
    f(req, res);
    ctx.deps.metrics.ObserveRequest(
        route, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  };
}

void RegisterWebhookRoutes(httplib::Server& server, Context& ctx);
void RegisterAuthRoutes(httplib::Server& server, Context& ctx);
void RegisterSessionRoutes(httplib::Server& server, Context& ctx);
void RegisterEventRoutes(httplib::Server& server, Context& ctx);
void RegisterAgentRoutes(httplib::Server& server, Context& ctx);
void RegisterDashboardRoutes(httplib::Server& server, Context& ctx);
void RegisterTeamRoutes(httplib::Server& server, Context& ctx);
void RegisterRoutingSessionRoutes(httplib::Server& server, Context& ctx);
void RegisterWhatsAppRoutes(httplib::Server& server, Context& ctx);
/// Notes, labels, transcripts and canned responses (tools_routes.cc); creates ctx.tools.
void RegisterToolRoutes(httplib::Server& server, Context& ctx);
/// GET /api/reports/summary (report_routes.cc).
void RegisterReportRoutes(httplib::Server& server, Context& ctx);

}  // namespace handoffd::http
