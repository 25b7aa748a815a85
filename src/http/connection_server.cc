#include "http/connection_server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <thread>

#include "http/socket_stream.h"

namespace handoffd::http {

namespace {

constexpr const char* kReservedHeader = "X-Handoffd-Reserved-Connection";

Endpoint ToEndpoint(const sockaddr_storage& addr) {
  Endpoint e;
  char host[INET6_ADDRSTRLEN] = {0};
  if (addr.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&addr);
    inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
    e.port = ntohs(in->sin_port);
  } else if (addr.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&addr);
    inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
    e.port = ntohs(in6->sin6_port);
  }
  e.ip = host;
  return e;
}

}  // namespace

struct ConnectionServer::Connection {
  int fd = -1;
  Endpoint peer;
  Endpoint local;
  ConnectionClass cls = ConnectionClass::kOrdinary;
};

ConnectionServer::ConnectionServer(ConnectionServerOptions options)
    : options_(options),
      limiter_(options.limits),
      pool_(options.min_threads, options.limits.max_connections + 16, options.worker_idle_timeout,
            options.worker_stack_bytes) {
  // Only for the Keep-Alive response header httplib writes; the loop in Serve() decides.
  set_keep_alive_max_count(options.keep_alive_max_requests);
  set_keep_alive_timeout(
      std::chrono::duration_cast<std::chrono::seconds>(options.keep_alive_timeout).count());
}

ConnectionServer::~ConnectionServer() {
  Stop();
  svr_sock_ = INVALID_SOCKET;
  pool_.Shutdown();
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

bool ConnectionServer::IsReservedRoute(const std::string& path) {
  return path == "/healthz" || path == "/readyz" || path.rfind("/webhooks/", 0) == 0;
}

bool ConnectionServer::IsReservedConnection(const httplib::Request& req) {
  return req.has_header(kReservedHeader);
}

Status ConnectionServer::Bind(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  const std::string where = host + ":" + service;
  if (getaddrinfo(host.c_str(), service.c_str(), &hints, &found) != 0 || found == nullptr) {
    return Status::Unavailable("cannot listen on " + where + ": bad address");
  }
  int fd = -1;
  for (addrinfo* ai = found; ai != nullptr && fd < 0; ai = ai->ai_next) {
    fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    // SO_REUSEADDR for quick restarts; not SO_REUSEPORT, which would let a second daemon bind
    // the same port silently.
    int yes = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    if (::bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
        ::listen(fd, options_.listen_backlog) != 0) {
      ::close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(found);
  if (fd < 0) return Status::Unavailable("cannot listen on " + where);
  sockaddr_storage local{};
  socklen_t len = sizeof(local);
  getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len);
  listen_fd_ = fd;
  port_ = ToEndpoint(local).port;
  svr_sock_ = fd;  // httplib ends chunked (SSE) responses once this is INVALID_SOCKET
  return Status::Ok();
}

void ConnectionServer::Refuse(int fd) {
  static const char kBusy[] =
      "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
      "Connection: close\r\nContent-Length: 67\r\n\r\n"
      "{\"error\":{\"code\":\"unavailable\",\"message\":\"too many connections\"}}";
  (void)::send(fd, kBusy, sizeof(kBusy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
  ::shutdown(fd, SHUT_RDWR);
  ::close(fd);
  ++refused_;
}

void ConnectionServer::Run() {
  while (!stopping_ && listen_fd_ >= 0) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 250) <= 0) continue;
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    const int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len, SOCK_CLOEXEC);
    if (fd < 0) {
      // Out of descriptors: give connections in progress a moment to close.
      if (errno == EMFILE || errno == ENFILE) std::this_thread::sleep_for(Duration(10));
      continue;
    }
    auto conn = std::make_shared<Connection>();
    conn->fd = fd;
    conn->peer = ToEndpoint(addr);
    conn->cls = limiter_.Admit(conn->peer.ip);
    if (conn->cls == ConnectionClass::kRefused) {
      Refuse(fd);
      continue;
    }
    sockaddr_storage local{};
    len = sizeof(local);
    getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len);
    conn->local = ToEndpoint(local);
    int yes = 1;  // else Nagle + delayed ACK add ~40 ms per kept-alive response
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof(yes));
    {
      std::lock_guard lock(mu_);
      open_fds_.insert(fd);
    }
    if (stopping_) ::shutdown(fd, SHUT_RD);  // Stop() ran between accept and registration
    pool_.Enqueue([this, conn] { Serve(conn); });
  }
  pool_.Shutdown();  // every connection has ended
}

void ConnectionServer::Serve(const std::shared_ptr<Connection>& conn) {
  const bool reserved = conn->cls == ConnectionClass::kReserved;
  SocketStream strm(conn->fd, conn->peer, conn->local, options_.read_timeout,
                    options_.write_timeout);
  const std::function<void(httplib::Request&)> mark = [reserved](httplib::Request& req) {
    req.headers.erase(kReservedHeader);  // only the server says so
    if (reserved) req.set_header(kReservedHeader, "1");
  };
  size_t left = reserved ? 1 : std::max<size_t>(1, options_.keep_alive_max_requests);
  while (left > 0 && !stopping_ && strm.WaitForRequest(options_.keep_alive_timeout)) {
    strm.BeginHead(reserved ? std::min(options_.head_timeout, options_.reserved_head_timeout)
                            : options_.head_timeout);
    bool closed = false;
    const bool ok = process_request(strm, left == 1 || stopping_, closed, mark);
    // A late head: httplib answers 400 to headers it could not finish reading; the connection
    // is closed either way.
    if (strm.head_timed_out()) {
      ++head_timeouts_;
      break;
    }
    if (!ok || closed) break;
    --left;
  }
  {
    std::lock_guard lock(mu_);
    open_fds_.erase(conn->fd);
  }
  ::shutdown(conn->fd, SHUT_RDWR);
  ::close(conn->fd);
  limiter_.Release(conn->peer.ip, conn->cls);
}

void ConnectionServer::Stop() {
  if (stopping_.exchange(true)) return;
  svr_sock_ = INVALID_SOCKET;
  if (listen_fd_ >= 0) ::shutdown(listen_fd_, SHUT_RDWR);
  std::lock_guard lock(mu_);
  for (int fd : open_fds_) ::shutdown(fd, SHUT_RD);
}

ConnectionStats ConnectionServer::stats() const {
  ConnectionStats s;
  s.open = limiter_.open();
  s.reserved = limiter_.open_reserved();
  s.threads = pool_.threads();
  s.idle_threads = pool_.idle();
  s.refused = refused_.load();
  s.head_timeouts = head_timeouts_.load();
  return s;
}

}  // namespace handoffd::http
