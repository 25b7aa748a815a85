#include "http/stream_loop.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>

namespace handoffd::http {

namespace {

using Steady = std::chrono::steady_clock;
constexpr size_t kMaxPending = 1 << 20;  // bytes a stream may fall behind before it is closed

std::string Chunk(const std::string& text) {
  char size[32];
  std::snprintf(size, sizeof(size), "%zx\r\n", text.size());
  return size + text + "\r\n";
}

}  // namespace

struct StreamLoop::Stream {
  int fd = -1;
  EventStreamSpec spec;
  std::function<void()> release;
  std::string pending;  // chunk bytes the socket has not taken yet
  Steady::time_point next_heartbeat;
  bool checking = false;        // a keep_open check is queued or running
  std::atomic<int> verdict{0};  // 0 none, 1 keep open, 2 close
  bool want_out = false;        // EPOLLOUT registered
};

StreamLoop::StreamLoop() {
  epoll_ = epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = std::make_shared<int>(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = *wake_fd_;
  epoll_ctl(epoll_, EPOLL_CTL_ADD, *wake_fd_, &ev);
}

StreamLoop::~StreamLoop() {
  Stop();
  close(*wake_fd_);
  close(epoll_);
}

void StreamLoop::Start(EventHub* hub) {
  if (hub != nullptr) {
    hub->AddListener([weak = std::weak_ptr<int>(wake_fd_)] {
      if (auto fd = weak.lock()) {
        const uint64_t one = 1;
        (void)!write(*fd, &one, sizeof(one));
      }
    });
  }
  loop_ = std::thread([this] { Loop(); });
  checker_ = std::thread([this] { Check(); });
}

void StreamLoop::Stop() {
  if (stopping_.exchange(true)) return;
  Wake();
  {
    std::lock_guard lock(mu_);
    check_cv_.notify_all();
  }
  if (loop_.joinable()) loop_.join();
  if (checker_.joinable()) checker_.join();
}

void StreamLoop::Wake() {
  const uint64_t one = 1;
  (void)!write(*wake_fd_, &one, sizeof(one));
}

void StreamLoop::Expect(uint64_t connection_id, EventStreamSpec spec) {
  std::lock_guard lock(mu_);
  expected_[connection_id] = std::move(spec);
}

bool StreamLoop::Adopt(uint64_t connection_id, int fd, std::function<void()> release) {
  {
    std::lock_guard lock(mu_);
    auto it = expected_.find(connection_id);
    if (it == expected_.end()) return false;
    if (closed_) {
      expected_.erase(it);
      return false;
    }
    auto s = std::make_shared<Stream>();
    s->fd = fd;
    s->spec = std::move(it->second);
    s->release = std::move(release);
    expected_.erase(it);
    adopted_.push_back(std::move(s));
  }
  ++open_;
  Wake();
  return true;
}

void StreamLoop::Check() {
  std::unique_lock lock(mu_);
  while (true) {
    check_cv_.wait(lock, [this] { return stopping_ || !to_check_.empty(); });
    if (stopping_) return;
    std::vector<std::shared_ptr<Stream>> batch;
    batch.swap(to_check_);
    lock.unlock();
    for (auto& s : batch) {
      const bool keep = !s->spec.keep_open || s->spec.keep_open();
      s->verdict = keep ? 1 : 2;
      if (stopping_) break;
    }
    Wake();
    lock.lock();
  }
}

bool StreamLoop::Flush(Stream& s) {
  while (!s.pending.empty()) {
    const ssize_t n = ::send(s.fd, s.pending.data(), s.pending.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      s.pending.erase(0, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    return false;
  }
  const bool want_out = !s.pending.empty();
  if (want_out != s.want_out) {
    s.want_out = want_out;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP | (want_out ? EPOLLOUT : 0u);
    ev.data.fd = s.fd;
    epoll_ctl(epoll_, EPOLL_CTL_MOD, s.fd, &ev);
  }
  return true;
}

bool StreamLoop::Send(Stream& s, const std::string& text) {
  s.pending += Chunk(text);
  if (s.pending.size() > kMaxPending) return false;  // the client does not keep up
  return Flush(s);
}

// Runs the spec's after_write once a batch was handed to the socket; passes `ok` through.
bool StreamLoop::Written(Stream& s, bool ok) {
  if (ok && s.spec.after_write) s.spec.after_write();
  return ok;
}

// Writes what is new for `s`; false when the stream must end. Sets *more when the hub had more
// than one batch for it.
bool StreamLoop::Deliver(Stream& s, bool* more) {
  EventStreamSpec& spec = s.spec;
  EventBatch batch = spec.hub->Next(spec.cursor, 200, Duration(0));
  if (batch.stopping) return false;
  if (batch.reset) {
    spec.cursor = spec.hub->HighWater();
    return Send(s, kResetEvent);
  }
  if (batch.events.empty()) return true;
  if (batch.events.size() == 200) *more = true;
  std::string out;
  for (const EventRecord& e : batch.events) {
    spec.cursor = e.id;
    if (spec.visible && !spec.visible(e)) continue;
    out += FormatStreamEvent(spec, e);
  }
  return out.empty() || Written(s, Send(s, out));
}

void StreamLoop::Fanout(bool* more) {
  if (streams_.empty()) return;
  // The common case: most streams are at the same cursor (the last event fanned out). What is
  // new after it is read and formatted once; the other streams (resuming, or a batch behind)
  // read for themselves.
  EventHub& hub = *streams_.begin()->second->spec.hub;
  EventBatch common = hub.Next(fanned_, 200, Duration(0));
  if (common.stopping) {
    std::vector<int> all;
    for (auto& [fd, s] : streams_) all.push_back(fd);
    for (int fd : all) Close(fd, "gone");
    return;
  }
  std::vector<std::string> texts;
  texts.reserve(common.events.size());
  const EventStreamSpec as_stored;  // no render: the event as stored
  for (const EventRecord& e : common.events) {
    texts.push_back(FormatStreamEvent(as_stored, e));
  }
  const int64_t from = fanned_;
  if (!common.reset && !common.events.empty()) {
    fanned_ = common.events.back().id;
    if (common.events.size() == 200) *more = true;
  }
  std::vector<int> ended;
  for (auto& [fd, s] : streams_) {
    EventStreamSpec& spec = s->spec;
    bool ok = true;
    if (spec.cursor == from && &hub == spec.hub && !common.reset) {
      std::string out;
      for (size_t i = 0; i < common.events.size(); ++i) {
        if (!spec.visible || spec.visible(common.events[i])) {
          out += spec.render ? FormatStreamEvent(spec, common.events[i]) : texts[i];
        }
      }
      if (!common.events.empty()) spec.cursor = fanned_;
      ok = out.empty() || Written(*s, Send(*s, out));
    } else {
      ok = Deliver(*s, more);
    }
    if (!ok) ended.push_back(fd);
  }
  for (int fd : ended) Close(fd, "gone");
}

void StreamLoop::Close(int fd, const char* reason) {
  auto it = streams_.find(fd);
  if (it == streams_.end()) return;
  std::shared_ptr<Stream> s = it->second;
  streams_.erase(it);
  epoll_ctl(epoll_, EPOLL_CTL_DEL, fd, nullptr);
  ::shutdown(fd, SHUT_RDWR);
  ::close(fd);
  if (s->spec.on_end && std::string(reason) != "gone") s->spec.on_end(reason);
  s->spec.lease.reset();
  if (s->release) s->release();
  --open_;
}

void StreamLoop::Loop() {
  std::vector<epoll_event> events(1024);
  bool more = false;
  while (!stopping_) {
    const int n =
        epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), more ? 0 : 250);
    more = false;
    for (int k = 0; k < n; ++k) {
      const int fd = events[k].data.fd;
      if (fd == *wake_fd_) {
        uint64_t count;
        (void)!read(fd, &count, sizeof(count));
        continue;
      }
      auto it = streams_.find(fd);
      if (it == streams_.end()) continue;
      const uint32_t ev = events[k].events;
      bool gone = (ev & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0;
      if (!gone && (ev & EPOLLIN)) {  // a client has nothing to say on a stream: drain it
        char buf[1024];
        const ssize_t r = ::recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        gone = r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
      }
      if (!gone && (ev & EPOLLOUT)) gone = !Flush(*it->second);
      if (gone) Close(fd, "gone");
    }
    // Register streams handed over since the last turn.
    std::vector<std::shared_ptr<Stream>> adopted;
    {
      std::lock_guard lock(mu_);
      adopted.swap(adopted_);
    }
    const auto now = Steady::now();
    for (auto& s : adopted) {
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLRDHUP;
      ev.data.fd = s->fd;
      epoll_ctl(epoll_, EPOLL_CTL_ADD, s->fd, &ev);
      s->next_heartbeat = now + s->spec.heartbeat;
      if (streams_.empty()) fanned_ = s->spec.hub->HighWater();
      streams_[s->fd] = s;
    }
    Fanout(&more);
    // Heartbeats: due streams are checked off this thread, then pinged or ended here.
    std::vector<std::shared_ptr<Stream>> due;
    std::vector<std::pair<int, int>> verdicts;
    for (auto& [fd, s] : streams_) {
      if (const int v = s->verdict.exchange(0); v != 0) {
        s->checking = false;
        verdicts.emplace_back(fd, v);
      } else if (!s->checking && now >= s->next_heartbeat) {
        s->checking = true;
        s->next_heartbeat = now + s->spec.heartbeat;
        due.push_back(s);
      }
    }
    for (auto [fd, v] : verdicts) {
      Stream& s = *streams_[fd];
      if (v == 2) {
        s.pending += "0\r\n\r\n";  // the last chunk: the response is complete
        (void)Flush(s);
        Close(fd, "closed");
      } else if (!Send(s, ": ping\n\n")) {
        Close(fd, "gone");
      }
    }
    if (!due.empty()) {
      std::lock_guard lock(mu_);
      to_check_.insert(to_check_.end(), due.begin(), due.end());
      check_cv_.notify_one();
    }
  }
  // Stopping: every stream ends (the client reconnects to the next instance).
  std::vector<int> fds;
  for (auto& [fd, s] : streams_) fds.push_back(fd);
  for (int fd : fds) Close(fd, "stopping");
  std::lock_guard lock(mu_);
  closed_ = true;
  for (auto& s : adopted_) {
    ::shutdown(s->fd, SHUT_RDWR);
    ::close(s->fd);
    if (s->release) s->release();
    --open_;
  }
  adopted_.clear();
  expected_.clear();
}

}  // namespace handoffd::http
