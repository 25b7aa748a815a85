// The reusable Server-Sent Events stream over the EventHub (docs/connections.md): the dashboard's
// GET /api/events and the web chat visitor's GET /widget/v1/events differ only in who may open
// one, which events each sees, and what keeps it open. Each event is sent as
// "id: N / event: TYPE / data: JSON"; a client resuming with Last-Event-ID (or ?last_event_id=)
// receives exactly what it missed, or a `reset` event when that is older than the hub's
// retention. A heartbeat comment every `heartbeat` keeps proxies from closing the stream, and
// `keep_open` is asked again at each one (logout, token expiry). The stream ends when the hub or
// the server stops.
//
// Served by ConnectionServer, a stream is handed over to its StreamLoop once the response head
// and the first bytes are written, and the worker returns to the pool (docs/connections.md);
// elsewhere (no loop, or no connection id) it holds the worker for its life, as before.
#pragma once

#include <httplib.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "common/clock.h"
#include "domain/event.h"
#include "events/event_hub.h"
#include "events/stream_slots.h"

namespace handoffd::http {

class StreamLoop;

struct EventStreamSpec {
  /// Must outlive the stream.
  EventHub* hub = nullptr;
  /// Events with an id above this are sent (ResumeCursor).
  int64_t cursor = 0;
  /// Which events this client may see; null: all.
  std::function<bool(const EventRecord&)> visible;
  Duration heartbeat = std::chrono::seconds(15);
  /// Rewrites a visible event for this client as {type, data JSON} (the web chat visitor's
  /// VMESSAGE/VSESSION); nullopt skips it. Null: sent as stored.
  std::function<std::optional<std::pair<std::string, std::string>>(const EventRecord&)> render;
  /// Called after a batch of events reached the client (the socket took it). Optional.
  std::function<void()> after_write;
  /// Asked when the stream starts and at each heartbeat; false ends it. Null: always open.
  std::function<bool()> keep_open;
  /// Held until the stream ends (StreamSlots: the per-holder cap).
  std::unique_ptr<StreamSlots::Lease> lease;
  /// Called once when the stream ends of its own accord (`reason`: "closed" when keep_open said
  /// no, "stopping" when the hub stops). Optional.
  std::function<void(const std::string& reason)> on_end;
};

/// One event in Server-Sent Events framing as `spec`'s client sees it: the spec's `render` when
/// set ("" when it skips the event), else the event as stored (type and data JSON).
std::string FormatStreamEvent(const EventStreamSpec& spec, const EventRecord& e);

/// The event a client gets when its cursor fell out of the hub's retention.
inline constexpr char kResetEvent[] = "event: reset\ndata: {\"reason\":\"retention\"}\n\n";

/// The cursor a client resumes from: the Last-Event-ID header, else ?last_event_id=, when it is a
/// non-negative integer; else the hub's high water mark (only new events).
int64_t ResumeCursor(const httplib::Request& req, const EventHub& hub);

/// Answers `res` with the event stream `spec` describes (200 text/event-stream, chunked),
/// written by `loop` when it is not null and the request came through a ConnectionServer.
void ServeEventStream(const httplib::Request& req, httplib::Response& res, EventStreamSpec spec,
                      StreamLoop* loop);

}  // namespace handoffd::http
