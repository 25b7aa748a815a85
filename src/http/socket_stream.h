// One accepted TCP connection as an httplib::Stream, with a deadline for the whole request head
// (issue 9 #2: a client sending one header line every 10 s is cut off). httplib reads a request
// head one byte at a time through read(); this stream buffers the socket (4 KiB) and watches the
// bytes handed out for the blank line that ends the head. From BeginHead() until that blank line,
// every wait is bounded by the head deadline as well as the read timeout; after it (the body, or
// an SSE response being written), only the read and write timeouts apply.
//
// Timeouts are kernel waits (poll) on the steady clock, like httplib's own socket timeouts. Used by
// one connection thread at a time; not thread-safe.
#pragma once

#include <httplib.h>

#include <chrono>
#include <string>

#include "common/clock.h"

namespace handoffd::http {

/// Address and port of one end of a connection.
struct Endpoint {
  std::string ip;
  int port = 0;
};

class SocketStream final : public httplib::Stream {
 public:
  /// Does not own `fd` (the server closes it).
  SocketStream(int fd, Endpoint peer, Endpoint local, Duration read_timeout,
               Duration write_timeout);

  /// True when a byte is buffered, or the socket becomes readable within the read timeout (and
  /// the head deadline, while a head is being read).
  bool is_readable() const override;
  /// True when the socket can take bytes within the write timeout.
  bool is_writable() const override;
  /// Up to `size` buffered bytes; -1 on end of stream, error, timeout or a passed head deadline.
  ssize_t read(char* ptr, size_t size) override;
  /// Writes what the socket takes now (at least one byte, after waiting for it to be writable);
  /// -1 on error or timeout.
  ssize_t write(const char* ptr, size_t size) override;
  void get_remote_ip_and_port(std::string& ip, int& port) const override;
  void get_local_ip_and_port(std::string& ip, int& port) const override;
  socket_t socket() const override { return fd_; }

  /// Waits up to `wait` for the first byte of a next request (keep-alive idle time).
  bool WaitForRequest(Duration wait) const;
  /// A request head starts now: it must be complete within `limit`.
  void BeginHead(Duration limit);
  /// The head deadline passed before the head was complete.
  bool head_timed_out() const;

 private:
  using Steady = std::chrono::steady_clock;
  // Milliseconds a wait may take now (read timeout, capped by the head deadline); 0 when passed.
  int ReadWaitMillis() const;
  void Consumed(const char* data, size_t n);  // tracks the blank line ending the head

  int fd_;
  Endpoint peer_;
  Endpoint local_;
  Duration read_timeout_;
  Duration write_timeout_;
  bool in_head_ = false;
  Steady::time_point head_deadline_{};
  size_t line_length_ = 0;  // bytes on the current head line, CR excluded
  char buffer_[4096];
  size_t begin_ = 0;
  size_t end_ = 0;
};

}  // namespace handoffd::http
