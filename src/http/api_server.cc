#include "http/api_server.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <vector>

#include "auth/token.h"
#include "common/json_body.h"
#include "http/connection_server.h"
#include "http/http_internal.h"
#include "http/widget_cors.h"

namespace handoffd {
namespace http {

namespace {

std::optional<std::string> BearerToken(const httplib::Request& req) {
  const std::string auth = req.get_header_value("Authorization");
  static const std::string kBearer = "Bearer ";
  if (auth.size() > kBearer.size() && auth.compare(0, kBearer.size(), kBearer) == 0) {
    return auth.substr(kBearer.size());
  }
  return std::nullopt;
}

std::optional<std::string> CookieToken(const httplib::Request& req) {
  const std::string cookies = req.get_header_value("Cookie");
  const std::string key = std::string(kTokenCookie) + "=";
  for (size_t pos = 0; pos < cookies.size();) {
    size_t end = cookies.find(';', pos);
    if (end == std::string::npos) end = cookies.size();
    std::string part = cookies.substr(pos, end - pos);
    const size_t b = part.find_first_not_of(' ');
    if (b != std::string::npos) part = part.substr(b);
    if (part.compare(0, key.size(), key) == 0 && part.size() > key.size()) {
      return part.substr(key.size());
    }
    pos = end + 1;
  }
  return std::nullopt;
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// "https://Support.example.com:8443/path" -> "https://support.example.com:8443".
std::string OriginOf(const std::string& url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string::npos) return Lower(url);
  const size_t path = url.find('/', scheme + 3);
  return Lower(path == std::string::npos ? url : url.substr(0, path));
}

}  // namespace

std::optional<std::string> RequestToken(const httplib::Request& req) {
  if (auto bearer = BearerToken(req)) return bearer;
  if (auto cookie = CookieToken(req)) return cookie;
  if (req.method == "GET" && req.path == "/api/events" && req.has_param("token")) {
    return req.get_param_value("token");
  }
  return std::nullopt;
}

std::optional<Status> CookieWriteRefusal(const Context& ctx, const httplib::Request& req) {
  if (req.method != "POST" && req.method != "PUT" && req.method != "PATCH" &&
      req.method != "DELETE") {
    return std::nullopt;
  }
  if (req.path.rfind("/api/", 0) != 0 || BearerToken(req) || !CookieToken(req)) {
    return std::nullopt;
  }
  // Same origin: the browser says so, or Origin names this server (server.public_url when set,
  // else the Host the request was sent to, under either scheme: a TLS proxy may sit in front).
  bool same_origin = Lower(req.get_header_value("Sec-Fetch-Site")) == "same-origin";
  const std::string origin = OriginOf(req.get_header_value("Origin"));
  if (!same_origin && !origin.empty() && origin != "null") {
    if (!ctx.options.public_url.empty()) {
      same_origin = origin == OriginOf(ctx.options.public_url);
    } else {
      const std::string host = Lower(req.get_header_value("Host"));
      same_origin = !host.empty() && (origin == "http://" + host || origin == "https://" + host);
    }
  }
  if (!same_origin) {
    return Status::Forbidden("cross-origin request refused (send a same-origin Origin header)");
  }
  // A body-less write (accept, end, logout) has nothing to mistype; any body must be JSON, which
  // a cross-site form cannot send without a CORS preflight.
  const bool has_body =
      req.has_header("Transfer-Encoding") ||
      (req.has_header("Content-Length") && req.get_header_value("Content-Length") != "0");
  if (has_body) {
    std::string type = Lower(req.get_header_value("Content-Type"));
    type = type.substr(0, type.find(';'));
    while (!type.empty() && type.back() == ' ') type.pop_back();
    const bool attachment = type == "multipart/form-data" && req.path.size() > 12 &&
                            req.path.compare(req.path.size() - 12, 12, "/attachments") == 0;
    if (type != "application/json" && !attachment) {
      return Status(ErrorCode::kUnsupportedMediaType,
                    "cookie-authenticated writes need Content-Type: application/json");
    }
  }
  return std::nullopt;
}

Result<Agent> Authenticate(Context& ctx, const httplib::Request& req) {
  auto token = RequestToken(req);
  if (!token) return Status::Unauthorized("login required");
  HANDOFFD_ASSIGN_OR_RETURN(
      auto agent, ctx.deps.store.FindAgentByToken(HashToken(*token), ctx.deps.clock.Now()));
  if (!agent.has_value()) return Status::Unauthorized("invalid or expired token");
  return *agent;
}

httplib::Server::HandlerWithContentReader BoundedBody(httplib::Server::Handler handler,
                                                      int64_t max_bytes) {
  const size_t limit = static_cast<size_t>(std::max<int64_t>(0, max_bytes));
  return [handler = std::move(handler), limit](const httplib::Request& req, httplib::Response& res,
                                               const httplib::ContentReader& reader) {
    if (req.is_multipart_form_data()) {
      res.set_header("Connection", "close");
      return SendError(res, Status(ErrorCode::kUnsupportedMediaType,
                                   "multipart bodies are not accepted on this route"));
    }
    std::string body;
    bool too_large = false;
    const bool read = reader([&](const char* data, size_t n) {
      if (n > limit - body.size()) {
        too_large = true;
        return false;  // stops reading: the rest is never buffered
      }
      body.append(data, n);
      return true;
    });
    if (too_large || res.status == 413) {
      res.set_header("Connection", "close");
      return SendError(res, Status(ErrorCode::kPayloadTooLarge, "request body too large"));
    }
    if (!read) {
      res.set_header("Connection", "close");
      return SendError(res, Status::BadRequest("malformed request body"));
    }
    httplib::Request with_body = req;
    with_body.body = std::move(body);
    handler(with_body, res);
  };
}

Result<nlohmann::json> ParseJsonBody(const httplib::Request& req) {
  return ParseJsonObjectBody(req.body);
}

std::optional<int64_t> ParseInt(const std::string& s) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  size_t i = s[0] == '-' ? 1 : 0;
  if (i == s.size()) return std::nullopt;
  for (size_t k = i; k < s.size(); ++k) {
    if (s[k] < '0' || s[k] > '9') return std::nullopt;
  }
  return std::stoll(s);
}

}  // namespace http

namespace {

http::ConnectionServerOptions ConnectionOptions(const ApiServerOptions& o) {
  http::ConnectionServerOptions c;
  c.limits.max_connections = static_cast<size_t>(std::max(1, o.max_connections));
  c.limits.max_per_address = static_cast<size_t>(std::max(1, o.max_connections_per_address));
  c.limits.reserved = static_cast<size_t>(std::max(0, o.reserved_connections));
  c.head_timeout = o.head_timeout;
  c.min_threads = static_cast<size_t>(std::max(1, o.threads));
  c.worker_idle_timeout = o.worker_idle_timeout;
  c.worker_stack_bytes = static_cast<size_t>(std::max(0, o.worker_stack_kb)) * 1024;
  return c;
}

}  // namespace

struct ApiServer::Impl {
  http::Context ctx;
  http::ConnectionServer server;
};

ApiServer::ApiServer(ApiDeps deps, ApiServerOptions options)
    : impl_(new Impl{http::Context{deps, options, {}, nullptr, nullptr, nullptr, nullptr},
                     http::ConnectionServer(ConnectionOptions(options))}) {
  auto& server = impl_->server;
  auto& ctx = impl_->ctx;
  ctx.stream_loop = &server.streams();
  server.streams().Start(ctx.deps.events);
  ctx.stream_slots = std::make_unique<StreamSlots>(
      static_cast<size_t>(std::max(1, ctx.options.max_streams_per_agent)));
  LoginGuardOptions guard;
  guard.max_concurrent_hashes = ctx.options.max_concurrent_hashes;
  guard.failures_per_account = ctx.options.login_failures_per_account;
  guard.failures_per_address = ctx.options.login_failures_per_address;
  guard.window = ctx.options.login_window;
  ctx.login_guard = std::make_unique<LoginGuard>(ctx.deps.clock, guard);
  // Attachments may be larger than other bodies (media.max_bytes); every other route is bounded
  // by max_body_bytes while its body streams in (BoundedBody).
  server.set_payload_max_length(static_cast<size_t>(
      std::max(ctx.options.max_body_bytes, ctx.options.media_max_bytes + (int64_t{1} << 20))));

  // Every error answer has the JSON error shape, including httplib's own (404 no route, 413).
  server.set_error_handler(
      httplib::Server::HandlerWithResponse([](const httplib::Request&, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        const ErrorCode code = http::ErrorCodeForHttpStatus(res.status);
        const char* message = code == ErrorCode::kPayloadTooLarge ? "request body too large"
                              : code == ErrorCode::kNotFound      ? "no such route"
                              : code == ErrorCode::kBadRequest    ? "malformed request"
                                                                  : "request failed";
        const int original = res.status;  // e.g. 414 stays 414, with the nearest code's body
        http::SendError(res, Status(code, message));
        res.status = original;
        return httplib::Server::HandlerResponse::Handled;
      }));
  server.set_exception_handler(
      [&ctx](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown";
        try {
          if (ep) std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        ctx.deps.log.Error("http.exception", {{"path", req.path}, {"error", what}});
        http::SendError(res, Status::Internal("internal error"));
      });
  server.set_pre_routing_handler([&ctx](const httplib::Request& req, httplib::Response& res) {
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("Cache-Control", "no-store");
    // Reserved capacity (admitted past the connection caps) serves webhooks and health only.
    if (http::ConnectionServer::IsReservedConnection(req) &&
        !http::ConnectionServer::IsReservedRoute(req.path)) {
      res.set_header("Retry-After", "1");
      http::SendError(res, Status::Unavailable("server busy: too many connections"));
      return httplib::Server::HandlerResponse::Handled;
    }
    // PostgreSQL cuts text at NUL where SQLite keeps it (issue 9 #7): no NUL in a path or query.
    bool has_nul = req.path.find('\0') != std::string::npos;
    for (const auto& [key, value] : req.params) {
      has_nul =
          has_nul || key.find('\0') != std::string::npos || value.find('\0') != std::string::npos;
    }
    if (has_nul) {
      http::SendError(res, Status::BadRequest("NUL characters are not accepted in URLs"));
      return httplib::Server::HandlerResponse::Handled;
    }
    // Refused before the body is read; the connection closes, so an unread body is not taken
    // for the next request.
    if (auto refusal = http::CookieWriteRefusal(ctx, req)) {
      res.set_header("Connection", "close");
      http::SendError(res, *refusal);
      return httplib::Server::HandlerResponse::Handled;
    }
    // Debian's cpp-httplib 0.11 reads a POST without Content-Length or chunking until the peer
    // closes (30 s). `curl -X POST` sends exactly that for an empty body, so such requests are
    // dispatched here, as empty-bodied, before httplib starts reading.
    if (req.method == "POST" && !req.has_header("Content-Length") &&
        !req.has_header("Transfer-Encoding")) {
      for (const http::PostRoute& route : ctx.post_routes) {
        httplib::Request copy = req;
        if (std::regex_match(copy.path, copy.matches, route.pattern)) {
          route.handler(copy, res);
          return httplib::Server::HandlerResponse::Handled;
        }
      }
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });

  server.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    http::SendJson(res, 200, {{"status", "ok"}});
  });
  server.Get("/readyz", [&ctx](const httplib::Request&, httplib::Response& res) {
    Status st = ctx.deps.store.Ping();
    if (st.ok()) {
      http::SendJson(res, 200, {{"status", "ready"}});
    } else {
      http::SendError(res, Status::Unavailable("database unavailable"));
    }
  });
  server.Get("/metrics", [&ctx](const httplib::Request&, httplib::Response& res) {
    auto counts = ctx.deps.store.CountSessionsByStatus();
    // Per-team queue gauges (issue 10): length and the oldest waiting session's wait.
    std::vector<TeamQueueGauge> queues;
    if (auto stats = ctx.deps.store.QueueStatsByTeam(); stats.ok()) {
      const TimePoint now = ctx.deps.clock.Now();
      for (const TeamQueueStats& q : *stats) {
        const double longest =
            q.oldest_created_at
                ? std::max(0.0, std::chrono::duration<double>(now - *q.oldest_created_at).count())
                : 0.0;
        queues.push_back({q.slug, q.waiting, longest});
      }
    }
    res.status = 200;
    res.set_content(
        ctx.deps.metrics.Render(counts.ok() ? *counts : std::map<std::string, int64_t>{}, queues),
        "text/plain; version=0.0.4");
  });
  http::RegisterWebhookRoutes(server, ctx);
  http::RegisterAuthRoutes(server, ctx);
  http::RegisterRoutingSessionRoutes(server, ctx);  // before /{id} of the session routes
  http::RegisterToolRoutes(server, ctx);  // before the session routes' broad /{id} pattern
  http::RegisterReportRoutes(server, ctx);
  http::RegisterWhatsAppRoutes(server, ctx);
  http::RegisterSessionRoutes(server, ctx);
  http::RegisterTeamRoutes(server, ctx);
  http::RegisterEventRoutes(server, ctx);
  http::RegisterAgentRoutes(server, ctx);
  http::RegisterWebchatAgentRoutes(server, ctx);
  http::RegisterWidgetRoutes(server, ctx);
  http::RegisterWidgetEventRoutes(server, ctx);
  http::RegisterWidgetAssetRoutes(server, ctx);
  http::RegisterDashboardRoutes(server, ctx);  // last: its patterns are the broadest
}

ApiServer::~ApiServer() { Stop(); }

Status ApiServer::Bind() {
  const auto& o = impl_->ctx.options;
  return impl_->server.Bind(o.host, o.port);
}

int ApiServer::port() const { return impl_->server.port(); }

void ApiServer::Run() { impl_->server.Run(); }

void ApiServer::Stop() {
  if (impl_) impl_->server.Stop();
}

}  // namespace handoffd
