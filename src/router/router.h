// The handoff state machine for inbound channel events (PRODUCT.md "Routing an inbound customer
// message"). Knows sessions, nothing of WhatsApp JSON or SQL. Thread-safe (stateless between
// calls; the Store serialises what must be serialised).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "domain/inbound.h"
#include "domain/reply_button.h"
#include "log/logger.h"
#include "metrics/metrics.h"
#include "router/group_commit.h"
#include "router/routing_service.h"
#include "store/store.h"

namespace handoffd {

struct RouterOptions {
  std::string trigger_id = "AGENT_MODE";
  /// Texts that open a session (compared trimmed, case-insensitively). Empty by default.
  std::vector<std::string> trigger_keywords;
  /// Texts that end an open session (default "end chat").
  std::vector<std::string> end_keywords = {"end chat"};
  /// Business number (phone_number_id) -> slug of the team its new sessions queue in
  /// (whatsapp.numbers[].team). A team's own trigger id still wins; an unknown slug (or no entry)
  /// queues in the default team `general`.
  std::map<std::string, std::string> number_teams;
  /// expires_at = customer message timestamp + session_ttl.
  Duration session_ttl = std::chrono::hours(22);
  std::string connecting_text = "Connecting you to an agent...";
  std::string ended_text;
  /// Non-empty: messages for the bot are forwarded there (outbox kind "forward") instead of
  /// being answered with the menu.
  std::string bot_forward_url;
  std::string menu_body;
  std::vector<ReplyButton> menu_buttons;
  /// CSAT (csat.enabled, router/csat.h): ask after a customer's end; take answers and comments.
  bool csat_enabled = false;
  std::string csat_question = "How would you rate this chat?";
  /// Sent after a rating; empty: nothing.
  std::string csat_thanks;
  /// Bot-phase messages at most this old are attached to a session when it opens.
  Duration bot_history = std::chrono::hours(24);
  /// Called after a commit that queued outbox items (wakes the sender).
  std::function<void()> on_outbox;
  /// Called after a commit that opened a session (wakes the expiry scheduler).
  std::function<void()> on_session_opened;
  /// Called after a commit that wrote real-time events (wakes the event hub).
  std::function<void()> on_events;
  /// Teams and routing; when set and not in auto mode, a customer whose session opens is told
  /// their place in the queue in the same transaction as the connecting text (auto mode: the
  /// routing pass tells those it could not assign at once). Not owned.
  RoutingService* routing = nullptr;
  /// Concurrent webhooks share one transaction (router/group_commit.h); max_batch 1: each
  /// webhook commits on its own.
  GroupCommitOptions group_commit;
};

/// What a handled batch did (for the webhook's log line and tests).
struct RouteReport {
  int messages_stored = 0;
  int duplicates = 0;
  int statuses_applied = 0;
  int sessions_opened = 0;
  int sessions_ended = 0;
  int bot_replies = 0;
  /// Ids of the customer messages stored (not duplicates), in order.
  std::vector<int64_t> message_ids;
};

class Router {
 public:
  Router(Store& store, const Clock& clock, Logger& log, Metrics& metrics, RouterOptions options);

  /// Handles everything one webhook carried, in order, in ONE transaction. `raw_body` is the
  /// webhook as received (forwarded to the bot unchanged). On kUnavailable nothing was committed
  /// and the channel should redeliver (HTTP 503).
  /// With group commit, concurrent calls share one transaction: each returns only after the
  /// shared commit, and a call that fails does not fail the others (router/group_commit.h).
  Result<RouteReport> HandleBatch(const InboundBatch& batch, const std::string& raw_body);

  /// The bot's answer to a forwarded webhook (`forwarded`, as parsed): with a handoff request
  /// (ParseBotHandoff), opens a session for that customer as a trigger would, in the named team
  /// (else the number's team, else general) with the given priority, from the customer's last
  /// message in `forwarded`. Returns the new session's id; nullopt when the answer asks nothing
  /// or the customer already has an open session. kBadRequest for a malformed request or a
  /// wa_id without a message in `forwarded`; kNotFound for an unknown team. Thread-safe.
  Result<std::optional<int64_t>> HandOffFromBot(const InboundBatch& forwarded,
                                                const std::string& answer);

  /// The group committer; nullptr when group commit is off. For tests and metrics.
  const GroupCommitter* group_commit() const { return group_.get(); }

 private:
  /// What one batch wrote, gathered inside the transaction and acted on after its commit.
  struct Outcome {
    RouteReport report;
    bool forward = false;  // the raw webhook was queued for the bot
    std::vector<nlohmann::json> logs;
  };

  /// Everything `batch` carried, inside `tx`; resets `out` first (it may run again). With
  /// `append_first`, a batch of one message that is not an end keyword first tries the fast
  /// path (StoreTx::AppendToOpenSession).
  Status Route(StoreTx& tx, const InboundBatch& batch, const std::string& raw_body, TimePoint now,
               bool append_first, const std::optional<QueueContext>& queue, Outcome& out);
  /// After the commit: metrics, log lines and the wake-up callbacks.
  void Finish(const InboundBatch& batch, const Outcome& out);
  /// The batch is one message that is not an end keyword (the fast path's case).
  bool FastPathApplies(const InboundBatch& batch) const;
  /// The fast path's arguments for that one message.
  std::optional<std::pair<TimePoint, TimePoint>> Extension(const InboundMessage& m) const;
  /// Records a fast-path append that found an open session.
  static void RecordAppend(const InboundMessage& m, const AppendOutcome& appended, Outcome& out);
  Status HandleMessage(StoreTx& tx, const InboundMessage& m, TimePoint now, RouteReport& report,
                       bool& forward, std::vector<nlohmann::json>& logs,
                       const std::optional<QueueContext>& queue);
  /// Opens a waiting session for `m`'s customer (contact `contact_id`) in team `team_id` (else
  /// the number's team, else general) with `priority` and the system note `note`: the bot-phase
  /// messages attached, session.created, the connecting text, and (manual mode, `queue`) the
  /// customer's place. kUnavailable when a concurrent webhook opened one first.
  Result<Session> OpenSession(StoreTx& tx, const InboundMessage& m, int64_t contact_id,
                              std::optional<int64_t> team_id, int priority, const std::string& note,
                              TimePoint now, RouteReport& report, std::vector<nlohmann::json>& logs,
                              const std::optional<QueueContext>& queue);
  Status HandleStatus(StoreTx& tx, const StatusUpdate& s, TimePoint now, RouteReport& report,
                      std::vector<nlohmann::json>& logs);
  Message CustomerMessage(const InboundMessage& m, TimePoint now) const;
  /// The ended session whose CSAT `m` answers (a CSAT_n button) or comments on (a text within
  /// kCsatCommentWindow after the answer); nullopt when it is neither or CSAT is off.
  Result<std::optional<Session>> CsatTarget(StoreTx& tx, const InboundMessage& m, TimePoint now);
  /// Stores the answer or comment `m` (already stored as `stored`) on `s`.
  Status ApplyCsat(StoreTx& tx, const InboundMessage& m, const Session& s, TimePoint now);
  bool IsTrigger(const InboundMessage& m) const;
  bool IsEndKeyword(const InboundMessage& m) const;

  Store& store_;
  const Clock& clock_;
  Logger& log_;
  Metrics& metrics_;
  RouterOptions options_;
  std::unique_ptr<GroupCommitter> group_;  // null when group commit is off
};

}  // namespace handoffd
