#include "http/socket_stream.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace handoffd::http {

namespace {

bool PollFor(int fd, short events, int millis) {
  pollfd p{fd, events, 0};
  while (true) {
    const int n = ::poll(&p, 1, millis);
    if (n < 0 && errno == EINTR) continue;
    return n > 0;  // readiness, or an error/hang-up the next read or write reports
  }
}

int Millis(Duration d) {
  return static_cast<int>(std::clamp<int64_t>(d.count(), 0, 24 * 3600 * 1000));
}

}  // namespace

SocketStream::SocketStream(int fd, Endpoint peer, Endpoint local, Duration read_timeout,
                           Duration write_timeout)
    : fd_(fd),
      peer_(std::move(peer)),
      local_(std::move(local)),
      read_timeout_(read_timeout),
      write_timeout_(write_timeout) {}

int SocketStream::ReadWaitMillis() const {
  Duration wait = read_timeout_;
  if (in_head_) {
    const auto left =
        std::chrono::duration_cast<Duration>(head_deadline_ - Steady::now()) + Duration(1);
    wait = std::min(wait, std::max(Duration(0), left));
  }
  return Millis(wait);
}

bool SocketStream::head_timed_out() const { return in_head_ && Steady::now() >= head_deadline_; }

bool SocketStream::is_readable() const {
  if (begin_ < end_) return true;
  if (head_timed_out()) return false;
  return PollFor(fd_, POLLIN, ReadWaitMillis());
}

bool SocketStream::is_writable() const {
  // A peer that has gone (or a server stopping, which shuts the read side) is not worth writing
  // to: an idle SSE stream ends at its next turn instead of after two failed heartbeats.
  pollfd p{fd_, POLLOUT | POLLRDHUP, 0};
  int n;
  do {
    n = ::poll(&p, 1, Millis(write_timeout_));
  } while (n < 0 && errno == EINTR);
  return n > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) == 0;
}

bool SocketStream::WaitForRequest(Duration wait) const {
  return begin_ < end_ || PollFor(fd_, POLLIN, Millis(wait));
}

void SocketStream::BeginHead(Duration limit) {
  in_head_ = true;
  head_deadline_ = Steady::now() + limit;
  line_length_ = 1;  // a blank line before the request line does not end the head
}

void SocketStream::Consumed(const char* data, size_t n) {
  for (size_t i = 0; i < n && in_head_; ++i) {
    if (data[i] == '\n') {
      if (line_length_ == 0) in_head_ = false;  // the blank line: the head is complete
      line_length_ = 0;
    } else if (data[i] != '\r') {
      ++line_length_;
    }
  }
}

ssize_t SocketStream::read(char* ptr, size_t size) {
  if (begin_ == end_) {
    if (!is_readable()) return -1;
    ssize_t n;
    do {
      n = ::recv(fd_, buffer_, sizeof(buffer_), 0);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) return -1;
    begin_ = 0;
    end_ = static_cast<size_t>(n);
  }
  const size_t n = std::min(size, end_ - begin_);
  std::memcpy(ptr, buffer_ + begin_, n);
  Consumed(buffer_ + begin_, n);
  begin_ += n;
  return static_cast<ssize_t>(n);
}

ssize_t SocketStream::write(const char* ptr, size_t size) {
  if (size == 0) return 0;
  while (true) {
    const ssize_t n = ::send(fd_, ptr, size, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0) return n;
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return -1;
    if (!is_writable()) return -1;
  }
}

void SocketStream::get_remote_ip_and_port(std::string& ip, int& port) const {
  ip = peer_.ip;
  port = peer_.port;
}

void SocketStream::get_local_ip_and_port(std::string& ip, int& port) const {
  ip = local_.ip;
  port = local_.port;
}

}  // namespace handoffd::http
