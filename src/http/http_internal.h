// Internal to src/http: the shared handler context and helpers. Included only by src/http/*.cc.
#pragma once

#include <httplib.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "domain/json_views.h"
#include "http/api_server.h"
#include "http/errors.h"

namespace handoffd::http {

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
};

/// Registers a POST route with the server and in ctx.post_routes.
inline void Post(httplib::Server& server, Context& ctx, const std::string& pattern,
                 httplib::Server::Handler handler) {
  ctx.post_routes.push_back({std::regex(pattern), handler});
  server.Post(pattern, std::move(handler));
}

/// The login token of the request: "Authorization: Bearer T", the session cookie, or ?token=.
std::optional<std::string> RequestToken(const httplib::Request& req);
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

}  // namespace handoffd::http
