// One database transaction's operations (StoreTx, handed out by Store::Transact in store.h) and
// the records they take and give. Part of the persistence seam: include store/store.h.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "domain/agent.h"
#include "domain/canned_response.h"
#include "domain/event.h"
#include "domain/inbound.h"
#include "domain/message.h"
#include "domain/report.h"
#include "domain/routing_plan.h"
#include "domain/session.h"
#include "domain/team.h"
#include "domain/webchat.h"

namespace handoffd {

/// What a new session starts with. `status` is always waiting.
struct NewSession {
  std::string channel = "whatsapp";
  int64_t contact_id = 0;
  std::string phone_number;  // customer key
  std::string customer_name;
  std::string phone_number_id;
  TimePoint created_at{};
  TimePoint expires_at{};
  std::optional<TimePoint> last_customer_message_at;
  /// The team whose queue it joins; 0: the general team.
  int64_t team_id = 0;
  int priority = 0;  // 0 normal .. 3 urgent
  /// The customer is told their place in the queue (the router's handoffs); false for sessions
  /// started from the dashboard (nothing is sent).
  bool announce_queue = false;
};

/// A send waiting in the outbox. `payload` is channel-neutral JSON text written and read by
/// outbox/outbox_payload.h (text, buttons, or a webhook forwarded to the bot).
struct OutboxItem {
  int64_t id = 0;
  std::optional<int64_t> message_id;  // the message whose delivery this is; none for forwards
  std::string channel = "whatsapp";
  std::string phone_number_id;
  std::string recipient;  // customer key
  std::string payload;
  int attempts = 0;  // failed attempts so far
  TimePoint next_attempt_at{};
  TimePoint created_at{};
  /// Set when a send of this item began and its outcome was never recorded (the process died or
  /// lost its lease mid-send): the next send may be a duplicate.
  std::optional<TimePoint> attempted_at;
  /// Reserved for a worker until then (nullopt: free).
  std::optional<TimePoint> leased_until;
};

/// What Store::AppendToOpenSession did.
struct AppendOutcome {
  /// The customer's open session; nullopt when there is none (then nothing was written).
  std::optional<int64_t> session_id;
  /// The stored message; nullopt with a session when its channel_message_id was a duplicate.
  std::optional<int64_t> message_id;
};

/// One message for StoreTx::AppendToOpenSessions: the arguments of
/// StoreTx::AppendToOpenSession.
struct OpenSessionAppend {
  std::string channel;
  std::string customer_key;
  Message message;
  std::optional<std::pair<TimePoint, TimePoint>> extend;
  std::string event_tail;
};

/// A session ended by expiry (StoreTx::TakeExpiryNotices): as it is stored now, and its status
/// before it ended.
struct EndedSession {
  Session session;
  SessionStatus previous_status = SessionStatus::kWaiting;
};

/// What StoreTx::LockRoutingState read and locked for one auto-assignment pass.
struct RoutingState {
  /// Online agents (role agent: supervisors and admins pick their chats themselves) with a sign
  /// of life since the cutoff, locked (capacity is decided under these
  /// locks on every assignment path).
  std::vector<Agent> agents;
  /// The heads of the queues of teams with free capacity (locked; PostgreSQL skips rows other
  /// transactions hold), declines filled in.
  std::vector<QueuedSession> queue;
  /// Waiting sessions whose customer was never told their place (ids, at most the per-team
  /// limit, lowest first), read before the agents and the queues: a pass tells its queue texts
  /// only to these, so a session that opened after this read is left to the next pass (which
  /// may assign it) instead of being told "number 1 in line" just before it is assigned.
  std::set<int64_t> untold;
};

/// Operations inside one database transaction (see Store::Transact). Not thread-safe; valid only
/// inside the callback that received it.
class StoreTx {
 public:
  virtual ~StoreTx() = default;

  /// Inserts or refreshes the customer (by channel + customer.key); keeps the last non-empty
  /// name. Returns the contact id.
  virtual Result<int64_t> UpsertContact(const std::string& channel, const CustomerRef& customer,
                                        TimePoint now) = 0;
  /// The customer's `waiting` or `active` session, if any.
  virtual Result<std::optional<Session>> FindOpenSession(const std::string& channel,
                                                         const std::string& customer_key) = 0;
  /// The session, locked against concurrent writers until the transaction ends.
  virtual Result<std::optional<Session>> LockSession(int64_t session_id) = 0;
  /// Opens a waiting session. kConflict when the customer already has an open one (the partial
  /// unique index decides, so concurrent opens cannot both succeed).
  virtual Result<Session> CreateSession(const NewSession& s) = 0;
  /// Inserts a message; the id is assigned (created_at of zero means "now" by the store's clock,
  /// StoreOptions::clock).
  /// An empty channel_message_id is stored as NULL. When channel_message_id is set and already
  /// stored, inserts nothing and returns nullopt: the database's unique index is the dedupe of
  /// inbound wamids. Never call Store methods from inside Transact: use only this object.
  virtual Result<std::optional<Message>> InsertMessage(const Message& m) = 0;
  /// Store::AppendToOpenSession (the webhook's fast path) inside this transaction: if the
  /// customer has an open session, inserts `m` into it (a duplicate channel_message_id inserts
  /// nothing), applies `extend` and writes the message.created (and session.extended) events;
  /// without an open session it writes nothing. Group commit (router/group_commit.h) runs many
  /// of these in one transaction.
  virtual Result<AppendOutcome> AppendToOpenSession(
      const std::string& channel, const std::string& customer_key, const Message& m,
      std::optional<std::pair<TimePoint, TimePoint>> extend, const std::string& event_tail) = 0;
  /// AppendToOpenSession for each item, in order, with the same rows, ids (ascending in item
  /// order) and events as calling it once per item; one failing item fails the call (roll back).
  /// PostgreSQL writes many items in one statement (group commit's fast path). This default
  /// calls AppendToOpenSession per item.
  virtual Result<std::vector<AppendOutcome>> AppendToOpenSessions(
      const std::vector<OpenSessionAppend>& items) {
    std::vector<AppendOutcome> out;
    out.reserve(items.size());
    for (const OpenSessionAppend& a : items) {
      auto one = AppendToOpenSession(a.channel, a.customer_key, a.message, a.extend, a.event_tail);
      if (!one.ok()) return one.status();
      out.push_back(*one);
    }
    return out;
  }
  /// Attaches the contact's session-less messages created at or after `since` to the session
  /// (the bot history an agent sees).
  virtual Status AttachRecentMessages(int64_t contact_id, int64_t session_id, TimePoint since) = 0;
  /// Records customer activity: last_customer_message_at and expires_at each become the later of
  /// their current value and the given one (a late message never shortens expiry).
  virtual Status ExtendSession(int64_t session_id, TimePoint last_customer_message_at,
                               TimePoint expires_at) = 0;
  /// Makes the session active with `agent_id`. Only from `waiting`, or also from `active` when
  /// `allow_reassign`. Returns false when the session was not in an allowed state (a lost race).
  virtual Result<bool> AssignSession(int64_t session_id, int64_t agent_id, TimePoint now,
                                     bool allow_reassign) = 0;
  /// AssignSession(id, agent, now, false) for every planned session at once (the auto-assignment
  /// pass: capacity was decided by the caller under LockRoutingState's agent locks, and the
  /// sessions are locked by it too). Returns the sessions that were still waiting and are now
  /// assigned, as stored now (as LockSession reads them), in plan order.
  virtual Result<std::vector<Session>> AssignSessions(const std::vector<PlannedAssignment>& plan,
                                                      TimePoint now) = 0;
  /// Ends an open session. Returns false if it was already ended.
  virtual Result<bool> EndSession(int64_t session_id, EndReason reason, TimePoint now) = 0;
  /// Queues a send; the worker picks it up at next_attempt_at. Returns the outbox id.
  virtual Result<int64_t> Enqueue(const OutboxItem& item) = 0;
  /// Records a processed webhook key (e.g. "status:<wamid>:read"). True the first time, false
  /// for a duplicate.
  virtual Result<bool> ClaimWebhookKey(const std::string& key, TimePoint now) = 0;
  /// Applies a delivery status to the outbound message with that channel id, monotonically
  /// (IsDeliveryAdvance). Returns the message when it changed, nullopt when unknown or stale.
  virtual Result<std::optional<Message>> ApplyDeliveryStatus(
      const std::string& channel_message_id, DeliveryStatus status,
      const std::optional<MessageError>& error) = 0;
  virtual Result<std::optional<Agent>> GetAgent(int64_t agent_id) = 0;
  /// Appends a real-time event (its id and, when zero, created_at are assigned). Returns the id.
  virtual Result<int64_t> AppendEvent(const EventRecord& event) = 0;
  /// Sets the agent's chosen status and last_seen_at; returns the updated agent (nullopt when
  /// unknown).
  virtual Result<std::optional<Agent>> SetAgentStatus(int64_t agent_id, AgentStatus status,
                                                      TimePoint now) = 0;
  /// Records that the agent has read the session up to `message_id`; the position only moves
  /// forward. Returns the stored position (the larger of the old and the new one).
  virtual Result<int64_t> SetReadPosition(int64_t agent_id, int64_t session_id, int64_t message_id,
                                          TimePoint now) = 0;

  // Set-based writes (the expiry scheduler ends thousands of sessions per transaction). On
  // PostgreSQL each is one statement whatever the number of rows; on SQLite (in-process, no
  // round trips) the rows are written one by one inside the caller's transaction.

  /// Expiry, phase 1 (migration 0011): ends up to `limit` open sessions with expires_at <= now,
  /// earliest deadline first, in one statement: status ended, end_reason expired, ended_at = the
  /// session's own expires_at, handle_ms and missed, and marks each one's notice pending
  /// (agent_sessions.expiry_notice = its status before). Writes nothing else: TakeExpiryNotices
  /// hands the sessions to whoever writes their notes, texts and events. Rows another transaction
  /// holds locked are skipped (PostgreSQL; they are due again at the next sweep), and a session
  /// extended meanwhile (expires_at moved past `now`) is not ended. On PostgreSQL the
  /// transaction's commit then returns without waiting for its WAL flush (synchronous_commit
  /// off, local to it): nobody outside the database acts on these ends before the notices'
  /// transaction, whose flush covers them; a crash may forget the last ends, which the next
  /// sweep makes again. Returns how many it ended.
  virtual Result<int> EndDueSessions(TimePoint now, int limit) = 0;
  /// Expiry, phase 2: up to `limit` sessions whose notice EndDueSessions left pending, earliest
  /// deadline first, as stored now (ended) with their status before; clears their marker, so the
  /// caller writes each notice once when its transaction commits (and again after a rollback).
  /// PostgreSQL skips rows other transactions hold locked.
  virtual Result<std::vector<EndedSession>> TakeExpiryNotices(int limit) = 0;
  /// The session.window warning (PRODUCT.md "The 24-hour window"): marks up to `limit` open
  /// WhatsApp sessions whose window_expires_at (last_customer_message_at + kServiceWindow) is
  /// within `lead` after `now` (window_expires_at - lead <= now < window_expires_at) and not yet
  /// warned for that window (agent_sessions.window_warning_for), and returns their ids
  /// ascending. A new customer message moves the window, so each window is warned for once.
  /// PostgreSQL skips rows other transactions hold locked (they are due again next time).
  virtual Result<std::vector<int64_t>> MarkWindowWarnings(TimePoint now, Duration lead,
                                                          int limit) = 0;
  /// Inserts every message (none may carry a channel_message_id: no dedupe) and returns them
  /// with their ids, assigned in vector order. A zero created_at means "now".
  virtual Result<std::vector<Message>> InsertMessages(const std::vector<Message>& messages) = 0;
  /// Queues every item (ids assigned in vector order).
  virtual Status EnqueueMany(const std::vector<OutboxItem>& items) = 0;
  /// Appends every event (ids assigned in vector order; a zero created_at means "now").
  virtual Status AppendEvents(const std::vector<EventRecord>& events) = 0;

  // Teams and routing (issue 10).

  /// The agent, locked until the transaction ends (PostgreSQL FOR UPDATE; SQLite holds the write
  /// lock), with active_chats counted under the lock: every path that adds an active chat to an
  /// agent calls this first, so max_chats holds across concurrent transactions and instances.
  virtual Result<std::optional<Agent>> LockAgent(int64_t agent_id) = 0;
  virtual Result<bool> IsTeamMember(int64_t team_id, int64_t agent_id) = 0;
  /// The team claiming trigger id `id` and the priority its sessions open with, if any.
  virtual Result<std::optional<std::pair<int64_t, int>>> FindTrigger(const std::string& id) = 0;
  /// The id of the team with that slug, if any (whatsapp.numbers[].team, a widget's team).
  virtual Result<std::optional<int64_t>> FindTeamBySlug(const std::string& slug) = 0;
  /// Puts an open session back in a queue: waiting, no agent, team `team_id`, sorted by
  /// `queue_order` within its priority (TimePoint{}: the front). False when it had ended.
  virtual Result<bool> RequeueSession(int64_t session_id, int64_t team_id,
                                      TimePoint queue_order) = 0;
  /// The session is not offered to the agent again (a decline or an expired claim lease).
  virtual Status RecordDecline(int64_t session_id, int64_t agent_id, TimePoint now) = 0;
  virtual Status SetSessionPriority(int64_t session_id, int priority) = 0;
  /// Whether an agent message of the session was stored at or after `since`.
  virtual Result<bool> AgentReplied(int64_t session_id, TimePoint since) = 0;
  /// Locks what one auto-assignment pass needs (RoutingState): online agents seen at or after
  /// `presence_cutoff`, then for each team with free capacity the head of its queue (at most
  /// that capacity, and at most `per_team_limit`).
  virtual Result<RoutingState> LockRoutingState(TimePoint presence_cutoff, int per_team_limit) = 0;
  /// Active sessions assigned at or before `cutoff` without an agent message since, oldest
  /// assignment first, at most `limit`, locked (PostgreSQL skips locked rows).
  virtual Result<std::vector<Session>> LockLeaseDue(TimePoint cutoff, int limit) = 0;
  /// Waiting sessions (locked, by id, at most `limit`) whose customer was never told their
  /// place, or, with `updates`, was last told a place above 1 before `told_before`; each with
  /// the place last told (nullopt: never).
  virtual Result<std::vector<std::pair<Session, std::optional<int64_t>>>> LockQueueNotices(
      bool updates, TimePoint told_before, int limit) = 0;
  /// Records that the customer was told `position` at `now`.
  virtual Status MarkQueueTold(int64_t session_id, int64_t position, TimePoint now) = 0;
  /// Web chat: moves the outbound messages of `session_id` with id <= `up_to_message_id` to
  /// `status` (kDelivered or kRead) where that is an advance; returns their ids, ascending.
  virtual Result<std::vector<int64_t>> AdvanceVisitorDelivery(int64_t session_id,
                                                              int64_t up_to_message_id,
                                                              DeliveryStatus status) = 0;
  /// The message `id` as the transaction sees it.
  virtual Result<std::optional<Message>> GetMessage(int64_t id) = 0;
  // WhatsApp media and idempotent sends (API.md "WhatsApp: window, templates, media").
  /// The message of `session_id` stored with this Idempotency-Key, if any.
  virtual Result<std::optional<Message>> FindIdempotentMessage(int64_t session_id,
                                                               const std::string& key) = 0;
  /// Stores (or, with nullopt, clears) the Idempotency-Key of a message. Unique per session (an
  /// index): callers hold the session lock and look the key up first.
  virtual Status SetIdempotencyKey(int64_t message_id, const std::optional<std::string>& key) = 0;
  /// The session's latest inbound (customer) message, if any.
  virtual Result<std::optional<Message>> LastInboundMessage(int64_t session_id) = 0;
  /// Writes an inbound media message's download state: its metadata (JSON object text), the
  /// fetcher's state (fetching|retry|ready|failed), attempts so far and when it is due again
  /// (retry) or its lease ends (fetching). Returns the updated message (nullopt when unknown).
  virtual Result<std::optional<Message>> UpdateMedia(int64_t message_id,
                                                     const std::string& metadata,
                                                     const std::string& state, int attempts,
                                                     std::optional<TimePoint> next_at) = 0;
  // Agent tools and reports (issue 12).
  /// Replaces the session's labels (normalized, domain/labels.h). False for an unknown session.
  virtual Result<bool> SetSessionLabels(int64_t session_id,
                                        const std::vector<std::string>& labels) = 0;
  /// Records that the CSAT rating was asked now (the eligible end of the session).
  virtual Status MarkCsatAsked(int64_t session_id, TimePoint now) = 0;
  /// The customer's newest ended session whose CSAT was asked at or after `asked_since`, locked
  /// against concurrent writers; nullopt when none.
  virtual Result<std::optional<Session>> FindCsatSession(const std::string& channel,
                                                         const std::string& customer_key,
                                                         TimePoint asked_since) = 0;
  /// Stores the rating (1-3) and when it came; a later answer replaces an earlier one.
  virtual Status SetCsatScore(int64_t session_id, int score, TimePoint now) = 0;
  /// Stores the comment that followed the rating.
  virtual Status SetCsatComment(int64_t session_id, const std::string& comment) = 0;
  /// Integration relay: the last event id queued for `hook`, locked until the transaction ends
  /// (created at `initial` when the hook is new). Events with id > it are still to be queued.
  virtual Result<int64_t> LockIntegrationCursor(const std::string& hook, int64_t initial,
                                                TimePoint now) = 0;
  virtual Status SetIntegrationCursor(const std::string& hook, int64_t last_event_id,
                                      TimePoint now) = 0;
  /// Events with after_id < id <= up_to_id in id order, at most `limit` (the relay's read).
  virtual Result<std::vector<EventRecord>> ListEventsInTx(int64_t after_id, int64_t up_to_id,
                                                          int limit) = 0;
};

}  // namespace handoffd
