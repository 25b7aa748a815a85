// The event loop that holds open event streams (docs/connections.md). A stream's request is
// served by a worker like any other (authentication, the response head, the first bytes); then
// the worker hands the socket over and returns to the pool, and this loop writes the stream:
// one thread with epoll for every stream, woken by the EventHub on each publication, plus one
// thread running the streams' periodic `keep_open` checks (they may touch the database).
//
// Each wake, every stream reads what is new for it from the hub (EventHub::Next without waiting,
// from memory), filters it, and writes it as HTTP/1.1 chunks without blocking; what the socket
// does not take waits in the stream's buffer (a stream more than 1 MiB behind is closed). Every
// `heartbeat` a stream is checked (keep_open) and sent ": ping". A stream ends when its client
// goes, when keep_open says no (a final empty chunk), or when the loop stops.
//
// Hand-over protocol (ConnectionServer): ServeEventStream calls Expect(connection id, spec) from
// the worker, inside the request; when the request returns, the server calls Adopt(id, fd, ...),
// which takes the socket if a stream was expected on that connection. Thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "events/event_hub.h"
#include "http/event_stream.h"

namespace handoffd::http {

class StreamLoop {
 public:
  StreamLoop();
  ~StreamLoop();
  StreamLoop(const StreamLoop&) = delete;
  StreamLoop& operator=(const StreamLoop&) = delete;

  /// Starts the loop and checker threads, listening to `hub` (may be null: no hub, no streams).
  void Start(EventHub* hub);
  /// Ends every stream (closing its socket) and joins the threads. Idempotent.
  void Stop();

  /// A stream will be handed over on connection `connection_id` once its request returns.
  void Expect(uint64_t connection_id, EventStreamSpec spec);
  /// Takes `fd` if a stream was expected on `connection_id` (true); `release` runs once the
  /// stream has ended and the socket is closed. False: nothing expected, the caller keeps `fd`.
  bool Adopt(uint64_t connection_id, int fd, std::function<void()> release);

  /// Streams held now.
  size_t open() const { return open_.load(); }

 private:
  struct Stream;
  void Loop();
  void Check();
  void Wake();
  void Fanout(bool* more);
  bool Deliver(Stream& s, bool* more);
  static bool Written(Stream& s, bool ok);
  bool Send(Stream& s, const std::string& text);
  bool Flush(Stream& s);
  void Close(int fd, const char* reason);

  int epoll_ = -1;
  std::shared_ptr<int> wake_fd_;  // eventfd; the hub's listener holds a weak reference
  std::atomic<bool> stopping_{false};
  std::atomic<size_t> open_{0};
  std::thread loop_;
  std::thread checker_;

  std::mutex mu_;        // guards the members below
  bool closed_ = false;  // the loop has ended: Adopt() takes nothing more
  std::map<uint64_t, EventStreamSpec> expected_;
  std::vector<std::shared_ptr<Stream>> adopted_;  // waiting for the loop to register them
  std::vector<std::shared_ptr<Stream>> to_check_;
  std::condition_variable check_cv_;

  std::map<int, std::shared_ptr<Stream>> streams_;  // loop thread only
  int64_t fanned_ = 0;  // the last event id sent to the streams at the common cursor (loop only)
};

}  // namespace handoffd::http
