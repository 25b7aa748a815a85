// The HTTP server's connection layer: cpp-httplib parses requests and routes them, but handoffd
// owns the listening socket, the accept loop and each connection's life (issue 9 #2). Debian's
// libcpp-httplib 0.11 is a prebuilt library whose own loop gives no hook between accept() and
// the first read, so this class accepts, admits (ConnectionLimiter), and serves each admitted
// connection on a worker of a GrowingThreadPool by calling httplib's Server::process_request()
// over a SocketStream (head deadline) in a keep-alive loop.
//
// Connection model (docs/connections.md, BENCHMARKS.md "Connections"): one worker thread per open
// connection, SSE streams included; idle workers retire after `worker_idle_timeout`.
//
// Reserved connections (admitted beyond the ordinary capacity) serve one request, on the reserved
// routes only (IsReservedRoute); the pre-routing handler answers anything else 503 by checking
// IsReservedConnection(req). Routes are registered on this object as on any httplib::Server.
// Thread-safe: Stop() may be called from any thread.
#pragma once

#include <httplib.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "common/clock.h"
#include "common/result.h"
#include "http/connection_limiter.h"
#include "http/growing_thread_pool.h"

namespace handoffd::http {

struct ConnectionServerOptions {
  ConnectionLimits limits;
  /// The whole request head (request line and headers) must arrive within this
  /// (server.head_timeout).
  Duration head_timeout = std::chrono::seconds(10);
  /// The head deadline on reserved capacity (webhook senders and health checkers send promptly).
  Duration reserved_head_timeout = std::chrono::seconds(2);
  /// Each wait for body bytes, and for the socket to take response bytes.
  Duration read_timeout = std::chrono::seconds(30);
  Duration write_timeout = std::chrono::seconds(30);
  /// Idle time allowed between two requests on a kept-alive connection.
  Duration keep_alive_timeout = std::chrono::seconds(5);
  size_t keep_alive_max_requests = 10000;
  /// Workers kept even when idle (server.threads).
  size_t min_threads = 64;
  /// A worker above min_threads idle this long exits (server.worker_idle_timeout).
  Duration worker_idle_timeout = std::chrono::seconds(60);
  /// Worker stack size in bytes; 0: the system default (server.worker_stack_kb).
  size_t worker_stack_bytes = 0;
  int listen_backlog = 1024;
};

/// Counts for /metrics, tests and the benchmark.
struct ConnectionStats {
  size_t open = 0;      // admitted connections not yet closed
  size_t reserved = 0;  // of which on reserved capacity
  size_t threads = 0;   // workers alive
  size_t idle_threads = 0;
  uint64_t refused = 0;        // connections closed at accept (over the caps)
  uint64_t head_timeouts = 0;  // connections cut for a late request head
};

class ConnectionServer : public httplib::Server {
 public:
  explicit ConnectionServer(ConnectionServerOptions options);
  ~ConnectionServer() override;

  /// Listens on host:port (port 0: any free port). kUnavailable when it cannot.
  Status Bind(const std::string& host, int port);
  /// The bound port, after Bind().
  int port() const { return port_; }
  /// Accepts and serves until Stop(); returns once every connection has ended.
  void Run();
  /// Stops accepting, ends SSE streams and idle keep-alive waits (their read side is shut; a
  /// response being written completes). Idempotent; safe from any thread.
  void Stop();

  ConnectionStats stats() const;

  /// /healthz, /readyz and /webhooks/...: what reserved capacity serves.
  static bool IsReservedRoute(const std::string& path);
  /// The request arrived on a reserved connection (marked by the server, not the client).
  static bool IsReservedConnection(const httplib::Request& req);

 private:
  struct Connection;
  void Serve(const std::shared_ptr<Connection>& conn);
  void Refuse(int fd);

  const ConnectionServerOptions options_;
  ConnectionLimiter limiter_;
  GrowingThreadPool pool_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> refused_{0};
  std::atomic<uint64_t> head_timeouts_{0};
  mutable std::mutex mu_;
  std::set<int> open_fds_;  // for Stop()
};

}  // namespace handoffd::http
