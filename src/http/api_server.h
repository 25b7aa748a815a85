// The HTTP server: channel webhooks, health and metrics, login, and the dashboard's session API
// (API.md "HTTP"). cpp-httplib parses and routes; http/connection_server.h owns the connections
// (admission caps, request-head deadline, one worker per open connection). Every handler is
// thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "events/event_hub.h"
#include "log/logger.h"
#include "metrics/metrics.h"
#include "router/agent_sends.h"
#include "router/router.h"
#include "router/routing_service.h"
#include "router/session_service.h"
#include "store/store.h"

namespace handoffd {
namespace webchat {
class WebchatService;
}  // namespace webchat

struct ApiServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: pick a free port (see ApiServer::port())
  int64_t max_body_bytes = 4194304;
  /// Workers kept even when idle (server.threads); more start as connections arrive.
  int threads = 64;
  /// Connection limits (server.*; SECURITY.md, docs/connections.md).
  int max_connections = 12000;
  int max_connections_per_address = 512;
  int reserved_connections = 256;
  Duration head_timeout = std::chrono::seconds(10);
  Duration worker_idle_timeout = std::chrono::seconds(60);
  /// Worker stack size in KiB; 0: the system default (8 MiB virtual, touched pages only).
  int worker_stack_kb = 0;
  /// Event streams (GET /api/events) one agent may hold open at once.
  int max_streams_per_agent = 16;
  /// WhatsApp app secret for X-Hub-Signature-256; empty: every webhook POST is refused (401).
  std::string app_secret;
  /// Token for the GET verification handshake; empty: refused (403).
  std::string verify_token;
  /// Business numbers accepted; empty = all.
  std::vector<std::string> phone_number_ids;
  Duration token_ttl = std::chrono::hours(12);
  /// Interval of SSE heartbeat comments (and of re-checking the stream's login).
  Duration heartbeat = std::chrono::seconds(15);
  /// Serve the dashboard from this folder instead of the copy compiled into the binary
  /// (development); empty: the compiled-in copy.
  std::string dashboard_dir;
  /// Logging in sets the agent `online` (config agents.online_on_login).
  bool online_on_login = true;
  /// The session cookie carries `Secure` (config server.public_url is https://).
  bool secure_cookie = false;
  /// config server.public_url: its origin is the one cookie-authenticated writes must come from;
  /// empty: the request's own Host.
  std::string public_url;
  /// Login abuse limits (config auth.*; SECURITY.md).
  int max_concurrent_hashes = 4;
  int login_failures_per_account = 10;
  int login_failures_per_address = 50;
  Duration login_window = std::chrono::minutes(5);
  /// media.dir and media.max_bytes (attachments and GET /api/media).
  std::string media_dir = "var/media";
  int64_t media_max_bytes = 104857600;
};

/// What the handlers use. All references must outlive the server.
struct ApiDeps {
  Store& store;
  Router& router;
  SessionService& sessions;
  const Clock& clock;
  Logger& log;
  Metrics& metrics;
  /// The real-time feed behind GET /api/events; null: the route answers 503.
  EventHub* events;
  /// Teams and routing actions; null: those routes answer 503.
  RoutingService* routing = nullptr;
  /// Asks for a routing pass now (an agent came online or joined a team); may be empty.
  std::function<void()> nudge_routing;
  /// The web chat channel behind /widget/v1/...; null: those routes answer 404.
  webchat::WebchatService* webchat = nullptr;
  /// WhatsApp agent sends (templates, attachments, read, typing, reactions, Idempotency-Key);
  /// null: those routes are absent and replies go through SessionService::Reply.
  AgentSends* sends = nullptr;
  /// Called after a webhook was committed and answered (wakes the media fetcher).
  std::function<void()> on_webhook;
};

class ApiServer {
 public:
  ApiServer(ApiDeps deps, ApiServerOptions options);
  ~ApiServer();

  /// Binds the listening socket. kUnavailable when the address is in use or invalid.
  Status Bind();
  /// The bound port (after Bind()).
  int port() const;
  /// Serves until Stop() (blocks the calling thread).
  void Run();
  /// Stops accepting and returns from Run(); safe from any thread or a signal-handling thread.
  void Stop();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace handoffd
