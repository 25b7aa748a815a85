// The reusable Server-Sent Events stream over the EventHub (docs/connections.md): the dashboard's
// GET /api/events and the web chat visitor's GET /widget/v1/events differ only in who may open
// one, which events each sees, and what keeps it open. Each event is sent as
// "id: N / event: TYPE / data: JSON"; a client resuming with Last-Event-ID (or ?last_event_id=)
// receives exactly what it missed, or a `reset` event when that is older than the hub's
// retention. A heartbeat comment every `heartbeat` keeps proxies from closing the stream, and
// `keep_open` is asked again at each one (logout, token expiry). The stream ends when the hub or
// the server stops. Each open stream holds one server worker (ConnectionServer) and its lease.
#pragma once

#include <httplib.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/clock.h"
#include "domain/event.h"
#include "events/event_hub.h"
#include "events/stream_slots.h"

namespace handoffd::http {

struct EventStreamSpec {
  /// Must outlive the stream.
  EventHub* hub = nullptr;
  /// Events with an id above this are sent (ResumeCursor).
  int64_t cursor = 0;
  /// Which events this client may see; null: all.
  std::function<bool(const EventRecord&)> visible;
  Duration heartbeat = std::chrono::seconds(15);
  /// Asked when the stream starts and at each heartbeat; false ends it. Null: always open.
  std::function<bool()> keep_open;
  /// Held until the stream ends (StreamSlots: the per-holder cap).
  std::unique_ptr<StreamSlots::Lease> lease;
  /// Called once when the stream ends of its own accord (`reason`: "closed" when keep_open said
  /// no, "stopping" when the hub stops). Optional.
  std::function<void(const std::string& reason)> on_end;
};

/// The cursor a client resumes from: the Last-Event-ID header, else ?last_event_id=, when it is a
/// non-negative integer; else the hub's high water mark (only new events).
int64_t ResumeCursor(const httplib::Request& req, const EventHub& hub);

/// Answers `res` with the event stream `spec` describes (200 text/event-stream, chunked).
void ServeEventStream(httplib::Response& res, EventStreamSpec spec);

}  // namespace handoffd::http
