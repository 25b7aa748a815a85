// The web chat channel (API.md "Web chat", PRODUCT.md "The web chat widget"): visitors, their
// messages through the same router as WhatsApp (one Router per widget, with the widget's bot and
// webchat.session_ttl), handoff, end, typing, presence, read receipts and offline messages.
// Visitors hold random bearer tokens stored hashed (auth/token.h). Thread-safe.
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "channels/webchat/rate_window.h"
#include "channels/webchat/visitor_json.h"
#include "common/clock.h"
#include "common/result.h"
#include "domain/agent.h"
#include "domain/webchat.h"
#include "log/logger.h"
#include "metrics/metrics.h"
#include "router/router.h"
#include "store/store.h"

namespace handoffd::webchat {

/// Longest visitor message, in code points (the WhatsApp text limit, kept for both channels).
inline constexpr size_t kMaxVisitorMessage = 4096;

struct WebchatOptions {
  std::vector<WebchatWidget> widgets;
  /// A session ends after this long without a visitor message (webchat.session_ttl).
  Duration session_ttl = std::chrono::hours(1);
  /// Visitor messages per minute per visitor (webchat.rate_limit).
  int rate_limit = 20;
  /// Visitors (and offline messages) created per minute per client address.
  int visitors_per_minute = 30;
  /// Texts, trigger id and commit callbacks shared with the WhatsApp router; each widget's router
  /// replaces the bot (forward URL, menu) and the session TTL.
  RouterOptions router;
  /// Called after a commit that wrote real-time events (typing, presence, delivery).
  std::function<void()> on_events;
};

/// A visitor's view of its conversation (GET /widget/v1/conversation).
struct VisitorConversation {
  std::optional<Session> session;  // the newest one, open or not
  QueueInfo queue;
  std::vector<Message> messages;  // its messages (or the bot phase's), oldest first
};

class WebchatService {
 public:
  WebchatService(Store& store, const Clock& clock, Logger& log, Metrics& metrics,
                 WebchatOptions options);
  ~WebchatService();

  /// The widget with `key`, or null.
  const WebchatWidget* FindWidget(const std::string& key) const;
  /// True when `origin` (an `Origin` header value) is allowed for `widget`.
  static bool OriginAllowed(const WebchatWidget& widget, const std::string& origin);
  /// True when some widget allows `origin` (CORS preflights name no widget).
  bool AnyWidgetAllows(const std::string& origin) const;

  /// Creates a visitor of `widget_key` and returns it with its token (shown once). kNotFound for
  /// an unknown key; kRateLimited beyond visitors_per_minute for `client_address`; kBadRequest
  /// for a name over 100 characters or a malformed email.
  Result<std::pair<Visitor, std::string>> CreateVisitor(const std::string& widget_key,
                                                        const std::string& name,
                                                        const std::string& email,
                                                        const std::string& client_address);
  /// The visitor holding `token`; kUnauthorized otherwise.
  Result<Visitor> Authenticate(const std::string& token);

  /// The newest session (with its messages) or, before any, the bot-phase messages.
  Result<VisitorConversation> Conversation(const Visitor& v);
  /// A visitor message, routed like a WhatsApp one (bot, open session, end keyword). kBadRequest
  /// when empty or over 4096 code points; kRateLimited beyond webchat.rate_limit per minute.
  Result<Message> PostMessage(const Visitor& v, const std::string& content);
  /// "Talk to a human": opens a waiting session. kConflict when one is open.
  Result<Session> Handoff(const Visitor& v);
  /// Ends the visitor's open session (end_reason customer). kConflict when none is open.
  Result<Session> End(const Visitor& v);
  /// The visitor is (not) typing: customer.typing to the session's agents (changes, and a
  /// repeated `true` at most every 2 s). No open session: nothing.
  Status Typing(const Visitor& v, bool typing);
  /// Presence `active`|`idle`|`offline` (else kBadRequest): customer.presence on a change.
  Status Presence(const Visitor& v, const std::string& state);
  /// The visitor read up to `message_id`: agent/system messages of its newest session up to it
  /// become `read` (message.status each).
  Status Read(const Visitor& v, int64_t message_id);
  /// The visitor's event stream took message `message_id` of `session_id`: it and the earlier
  /// outbound ones become `delivered`.
  Status Delivered(const std::string& visitor_key, int64_t session_id, int64_t message_id);
  /// An offline-form message. kBadRequest for a malformed email, an empty or over-long name or
  /// message; kRateLimited per client address.
  Result<OfflineMessage> LeaveOfflineMessage(const std::string& widget_key,
                                             std::optional<int64_t> visitor_id,
                                             const std::string& name, const std::string& email,
                                             const std::string& message,
                                             const std::string& client_address);
  /// An agent is (not) typing in web chat session `s`: agent.typing to its visitor (a repeated
  /// `true` at most every 2 s).
  Status AgentTyping(const Session& s, const Agent& agent, bool typing);
  /// Position in its team's queue and estimated wait of a waiting session (RoutingService::
  /// Standing), and whether its team answers now. Store reads: outside any transaction.
  QueueInfo Queue(const Session& s);
  /// Whether the widget's team answers now: its business hours (and, with
  /// routing.when_no_agents = after_hours, a member online); without routing, any agent online.
  bool OpenNow(const std::string& widget_key);

  /// Starts the queue watcher: after Nudge() (any committed event), at most every 300 ms, it
  /// sends queue.position to every waiting web chat visitor whose position changed.
  void Start();
  /// Stops the queue watcher (also done by the destructor).
  void Stop();
  /// Something changed (call after commits that wrote events); cheap, never blocks.
  void Nudge();
  /// One queue watcher pass (public for tests).
  void RefreshQueuePositions();

 private:
  Router& RouterFor(const std::string& widget_key);
  Result<std::optional<Session>> Newest(const Visitor& v);
  Status Publish(const std::vector<EventRecord>& events);
  InboundMessage Inbound(const Visitor& v, const std::string& type, const std::string& content);

  Store& store_;
  const Clock& clock_;
  Logger& log_;
  WebchatOptions options_;
  std::map<std::string, std::unique_ptr<Router>> routers_;  // by widget key
  RateWindow messages_limit_;
  RateWindow create_limit_;
  std::mutex mu_;
  struct Live {
    bool typing = false;
    TimePoint typing_sent{};
    std::string presence;
  };
  std::map<std::string, Live> visitors_live_;       // by visitor key
  std::map<int64_t, TimePoint> agent_typing_sent_;  // by session id
  // The queue watcher.
  void WatchLoop();
  std::mutex watch_mu_;
  std::condition_variable watch_cv_;
  bool nudged_ = false;
  bool stopping_ = false;
  std::thread watcher_;
  std::map<int64_t, int64_t> told_position_;  // session id -> position last sent (watcher only)
};

}  // namespace handoffd::webchat
