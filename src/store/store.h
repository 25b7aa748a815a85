// The persistence seam. One interface, two implementations behind OpenStore(): SQLite (the
// embedded default, one instance) and PostgreSQL (production, several instances). Callers see
// sessions, messages and agents, never SQL. Every method is thread-safe; a Store owns a
// connection pool. Database failures come back as ErrorCode::kUnavailable; exceptions never
// escape.
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

/// A visitor to create (Store::CreateVisitor).
struct NewVisitor {
  std::string widget_key;
  std::string token_hash;  // auth/token.h HashToken of the visitor's bearer token
  std::string name;
  std::string email;
  TimePoint created_at{};
};

/// Filter of the session list routes. Unset fields do not filter. Dates are UTC instants;
/// created_at must be >= created_from and < created_before.
struct SessionQuery {
  std::optional<int64_t> agent_id;
  std::optional<SessionStatus> status;
  /// Substring of the phone number (ignoring "+", spaces and dashes), of the customer name or of
  /// any customer/agent/bot message text (both ignoring case and accents).
  std::optional<std::string> search;
  std::optional<TimePoint> created_from;
  std::optional<TimePoint> created_before;
  /// A normalized label (domain/labels.h) the session must carry.
  std::optional<std::string> label;
  int limit = 50;
  int offset = 0;
};

struct SessionPage {
  std::vector<Session> sessions;  // newest first
  int64_t total = 0;              // rows matching the filter, ignoring limit/offset
};

/// What Store::AppendToOpenSession did.
struct AppendOutcome {
  /// The customer's open session; nullopt when there is none (then nothing was written).
  std::optional<int64_t> session_id;
  /// The stored message; nullopt with a session when its channel_message_id was a duplicate.
  std::optional<int64_t> message_id;
};

/// A session ended by StoreTx::ExpireDueSessions: as it is stored now, and its status before.
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

/// One team's queue now (GET /metrics).
struct TeamQueueStats {
  int64_t team_id = 0;
  std::string slug;
  /// Waiting sessions of the team.
  int64_t waiting = 0;
  /// created_at of its oldest waiting session; nullopt when none waits.
  std::optional<TimePoint> oldest_created_at;
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
  /// nothing), applies `extend` and writes the message.created (and session.updated) events;
  /// without an open session it writes nothing. Group commit (router/group_commit.h) runs many
  /// of these in one transaction.
  virtual Result<AppendOutcome> AppendToOpenSession(
      const std::string& channel, const std::string& customer_key, const Message& m,
      std::optional<std::pair<TimePoint, TimePoint>> extend, const std::string& event_tail) = 0;
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

  /// Ends up to `limit` open sessions with expires_at <= now, earliest deadline first: status
  /// ended, end_reason expired and ended_at = the session's own expires_at. Rows another
  /// transaction holds locked are skipped (PostgreSQL; they are due again at the next sweep), and
  /// a session extended meanwhile (expires_at moved past `now`) is not ended. Returns the ended
  /// sessions in deadline order.
  virtual Result<std::vector<EndedSession>> ExpireDueSessions(TimePoint now, int limit) = 0;
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

/// Builds the event for a message changed by the outbox (called inside the store's transaction
/// with the updated message and its session, if any; nullopt: no event).
using MessageEventFn =
    std::function<std::optional<EventRecord>(const Message&, const std::optional<Session>&)>;

/// An inbound media download leased by Store::ClaimMediaFetches.
struct MediaFetch {
  int64_t message_id = 0;
  int attempts = 0;  // failed attempts so far
};

/// Held leadership of a named job (the expiry scheduler). On PostgreSQL a session-level advisory
/// lock on a dedicated connection: released when this object is destroyed or the process dies.
/// On SQLite always granted (one instance per database file).
class LeaderLock {
 public:
  virtual ~LeaderLock() = default;
  /// False once the connection holding the lock is lost.
  virtual bool StillHeld() = 0;
};

/// What a commit wrote, for Store::Announce and Store::Listen.
enum class Change {
  kEvents,  // rows in the events table (dashboards' feed)
  kOutbox,  // sends queued in the outbox
};

/// A subscription of Store::Listen: no callback runs once it is destroyed.
class Listening {
 public:
  virtual ~Listening() = default;
};

class Store {
 public:
  virtual ~Store() = default;

  /// "sqlite" or "postgresql".
  virtual std::string Dialect() const = 0;
  /// Applies pending migrations in version order, each in its own transaction, recording each in
  /// schema_migrations. Returns the versions applied now (empty when up to date).
  virtual Result<std::vector<std::string>> Migrate() = 0;
  /// kOk when the database answers a trivial query.
  virtual Status Ping() = 0;

  /// Runs `fn` in one transaction: commits when it returns OK, rolls back otherwise (and on any
  /// database error, which comes back as kUnavailable). On SQLite write transactions start with
  /// BEGIN IMMEDIATE so concurrent writers queue on the busy timeout instead of deadlocking.
  virtual Status Transact(const std::function<Status(StoreTx&)>& fn) = 0;

  /// The webhook's fast path, atomic on its own (one statement on PostgreSQL, one transaction on
  /// SQLite): if the customer has an open session, inserts `m` into it (session_id and
  /// contact_id taken from the session; a duplicate channel_message_id inserts nothing) and, for
  /// a new message with `extend` set, applies StoreTx::ExtendSession(extend->first,
  /// extend->second). Without an open session it writes nothing.
  /// When `event_tail` is non-empty a message.created event is written in the same statement:
  /// its data is `{"id":<message id>,"session_id":<session id>,` + event_tail (the rest of the
  /// MESSAGE object, ending in "}"); it is visible to every agent while the session waits, else
  /// to its assignee.
  virtual Result<AppendOutcome> AppendToOpenSession(
      const std::string& channel, const std::string& customer_key, const Message& m,
      std::optional<std::pair<TimePoint, TimePoint>> extend,
      const std::string& event_tail = "") = 0;

  // Sessions.
  virtual Result<std::optional<Session>> GetSession(int64_t id) = 0;
  /// `waiting` sessions, oldest first.
  virtual Result<std::vector<Session>> ListWaiting() = 0;
  /// The agent's `active` sessions, oldest assignment first.
  virtual Result<std::vector<Session>> ListActiveForAgent(int64_t agent_id) = 0;
  /// Filtered, newest first, paginated.
  virtual Result<SessionPage> QuerySessions(const SessionQuery& q) = 0;
  /// Number of sessions by status (for /metrics).
  virtual Result<std::map<std::string, int64_t>> CountSessionsByStatus() = 0;

  // Messages.
  /// Messages of the session with id > after_id, oldest first, at most `limit`.
  virtual Result<std::vector<Message>> ListMessages(int64_t session_id, int64_t after_id,
                                                    int limit) = 0;
  virtual Result<std::optional<Message>> GetMessage(int64_t id) = 0;

  // Agents and tokens.
  /// kConflict when the email (case-insensitive) exists. Returns the stored agent with its id.
  /// The agent joins the teams of `a.teams` (by id; unknown ids are kNotFound), or the general
  /// team when that list is empty.
  virtual Result<Agent> CreateAgent(const Agent& a) = 0;
  virtual Result<std::optional<Agent>> GetAgent(int64_t id) = 0;
  virtual Result<std::optional<Agent>> GetAgentByEmail(const std::string& email) = 0;
  virtual Result<std::vector<Agent>> ListAgents() = 0;
  /// Stores a login token by its SHA-256 hex hash (the token itself is never stored).
  virtual Status CreateToken(const std::string& token_hash, int64_t agent_id, TimePoint created_at,
                             TimePoint expires_at) = 0;
  /// The agent owning an unexpired token, or nullopt.
  virtual Result<std::optional<Agent>> FindAgentByToken(const std::string& token_hash,
                                                        TimePoint now) = 0;
  virtual Status DeleteToken(const std::string& token_hash) = 0;

  // Outbox.
  /// Leases up to `limit` items due at `now` to the caller until now + lease, so that no other
  /// worker (or instance) sends them meanwhile. Oldest first. Only the head (lowest id) of each
  /// (phone_number_id, recipient) queue is claimable: at most one item per customer is out at a
  /// time, and a later item never overtakes an earlier unsent one. Forwards (recipient "") are
  /// not ordered.
  virtual Result<std::vector<OutboxItem>> ClaimOutbox(TimePoint now, int limit, Duration lease) = 0;
  /// Earliest next_attempt_at of any item, or nullopt when the outbox is empty.
  virtual Result<std::optional<TimePoint>> NextOutboxDue() = 0;
  /// Send succeeded: removes the item; its message (if any) gets channel_message_id and `sent`
  /// (unless a status webhook already advanced it). Returns the updated message.
  virtual Result<std::optional<Message>> CompleteOutbox(const OutboxItem& item,
                                                        const std::string& channel_message_id,
                                                        const MessageEventFn& event = {}) = 0;
  /// Permanent failure: removes the item; its message becomes `failed` with the error.
  virtual Result<std::optional<Message>> FailOutbox(const OutboxItem& item,
                                                    const MessageError& error,
                                                    const MessageEventFn& event = {}) = 0;
  /// Retryable failure: attempts + 1 and the next try at `next_attempt_at`.
  virtual Status RetryOutbox(const OutboxItem& item, TimePoint next_attempt_at,
                             const std::string& last_error) = 0;
  /// Records that a send of `item` begins now (attempted_at) and renews its lease to
  /// `lease_until`, before the call leaves the process.
  virtual Status BeginOutboxAttempt(const OutboxItem& item, TimePoint now,
                                    TimePoint lease_until) = 0;
  /// Extends the leases of items this process holds to `lease_until` (released ones stay free).
  virtual Status RenewOutboxLeases(const std::vector<int64_t>& ids, TimePoint lease_until) = 0;
  /// Gives claimed items back unsent (clean shutdown): another worker may claim them at once.
  virtual Status ReleaseOutbox(const std::vector<int64_t>& ids) = 0;
  /// Items with id > after_id in id order, at most `limit` (inspection and tests).
  virtual Result<std::vector<OutboxItem>> ListOutbox(int64_t after_id, int limit) = 0;

  // Inbound media.
  /// Leases up to `limit` inbound media messages whose download is due at `now` (never tried,
  /// a retry due, or a lease that ran out) until now + lease (state fetching), oldest first.
  /// PostgreSQL skips rows other claimers hold locked.
  virtual Result<std::vector<MediaFetch>> ClaimMediaFetches(TimePoint now, int limit,
                                                            Duration lease) = 0;
  // Expiry.
  /// Open sessions with expires_at <= now, earliest first, at most `limit`.
  virtual Result<std::vector<Session>> ListDueSessions(TimePoint now, int limit) = 0;
  /// Earliest expires_at of any open session, or nullopt when none is open.
  virtual Result<std::optional<TimePoint>> NextExpiry() = 0;
  /// When the next session.window warning falls due (window_expires_at - lead) among the open
  /// WhatsApp sessions whose window is still open at `now` and not yet warned for; nullopt when
  /// none. May be before `now` (due at once).
  virtual Result<std::optional<TimePoint>> NextWindowWarning(TimePoint now, Duration lead) = 0;
  /// The customer's (contact's) sessions with id < before_session_id, newest first, at most
  /// `limit`: a returning customer's earlier conversations.
  virtual Result<std::vector<Session>> ListCustomerSessions(int64_t contact_id,
                                                            int64_t before_session_id,
                                                            int limit) = 0;
  /// The agent's read positions (session id -> last read message id) of open sessions.
  virtual Result<std::map<int64_t, int64_t>> ListReadPositions(int64_t agent_id) = 0;
  /// Session id -> number of customer messages after the agent's read position, for the open
  /// sessions that are the agent's concern (waiting, or active and assigned to it); sessions
  /// with nothing unread are absent. What a dashboard signing in on a new device shows unread.
  virtual Result<std::map<int64_t, int64_t>> CountUnread(int64_t agent_id) = 0;
  /// Tries to take leadership of `job`; nullptr when another instance holds it.
  virtual Result<std::unique_ptr<LeaderLock>> TryAcquireLeadership(const std::string& job) = 0;

  // Events.
  /// Events with after_id < id <= up_to_id, in id order, at most `limit`.
  virtual Result<std::vector<EventRecord>> ListEvents(int64_t after_id, int64_t up_to_id,
                                                      int limit) = 0;
  /// The smallest and largest stored event ids (0, 0 when there are none).
  virtual Result<std::pair<int64_t, int64_t>> EventIdRange() = 0;
  /// Deletes events created before `before`. Returns rows removed.
  virtual Result<int64_t> PruneEvents(TimePoint before) = 0;
  /// Records a sign of life of the agent (an open event stream) at `now`.
  virtual Status TouchAgent(int64_t agent_id, TimePoint now) = 0;

  // Change notices across instances (PostgreSQL LISTEN/NOTIFY). Waiters still poll as a
  // safety net: a notice can be lost (a restart, a dropped connection).
  /// Tells other instances' listeners that this instance committed rows of kind `what`. Never
  /// blocks and never fails: PostgreSQL NOTIFYs from a background connection of its own after
  /// the caller's commit, folding calls that arrive while one is in flight into the next one.
  /// SQLite: nothing (one instance per database; local waiters are woken by their writers).
  virtual void Announce(Change what) = 0;
  /// Calls `on_change` from a store thread when another instance announced a change (PostgreSQL:
  /// LISTEN on a dedicated connection, reconnected with back-off; after every (re)connect each
  /// kind is reported once, as notices sent meanwhile are lost). Callbacks must be quick (wake
  /// a thread) and must not destroy their own handle. SQLite: never called.
  virtual Result<std::unique_ptr<Listening>> Listen(std::function<void(Change)> on_change) = 0;

  // Teams (sql_store_teams.cc).
  /// Creates the team with its trigger ids; kConflict when the slug or a trigger id is taken.
  virtual Result<Team> CreateTeam(const Team& t) = 0;
  /// Replaces every field of team t.id (trigger ids included); kNotFound for an unknown id,
  /// kConflict as CreateTeam.
  virtual Result<Team> UpdateTeam(const Team& t) = 0;
  /// Every team, by id.
  virtual Result<std::vector<Team>> ListTeams() = 0;
  /// Adds (`member`) or removes a membership; kNotFound for an unknown team or agent.
  virtual Status SetTeamMember(int64_t team_id, int64_t agent_id, bool member) = 0;
  /// Every membership as (team_id, agent_id), by team then agent.
  virtual Result<std::vector<std::pair<int64_t, int64_t>>> ListTeamMembers() = 0;
  /// The waits (assigned_at - created_at) of the team's sessions assigned at or after `since`,
  /// most recent first, at most `limit`: the history queue estimates come from.
  virtual Result<std::vector<Duration>> RecentWaits(int64_t team_id, TimePoint since,
                                                    int limit) = 0;
  /// Every team (by id) with its waiting sessions' count and oldest created_at.
  virtual Result<std::vector<TeamQueueStats>> QueueStatsByTeam() = 0;
  // Web chat (API.md "Web chat").
  /// Creates a visitor and its contact (channel webchat, customer key VisitorKey(id)).
  /// kConflict if the token hash exists.
  virtual Result<Visitor> CreateVisitor(const NewVisitor& v) = 0;
  /// The visitor whose token hashes to `token_hash`, if any.
  virtual Result<std::optional<Visitor>> FindVisitorByToken(const std::string& token_hash) = 0;
  /// A contact's messages not attached to any session (the bot phase), newest `limit`, returned
  /// oldest first.
  virtual Result<std::vector<Message>> ListUnattachedMessages(int64_t contact_id, int limit) = 0;
  /// Stores an offline-form message; returns it with its id.
  virtual Result<OfflineMessage> CreateOfflineMessage(const OfflineMessage& m) = 0;
  /// Offline messages, newest first, ids below `before_id`; `handled` filters when set.
  virtual Result<std::vector<OfflineMessage>> ListOfflineMessages(std::optional<bool> handled,
                                                                  int64_t before_id, int limit) = 0;
  /// Marks one handled by `agent_id` (idempotent: a handled one keeps its first marker).
  /// nullopt for an unknown id.
  virtual Result<std::optional<OfflineMessage>> MarkOfflineMessageHandled(int64_t id,
                                                                          int64_t agent_id,
                                                                          TimePoint now) = 0;
  // Canned responses (API.md "Agent tools and reports").
  /// Every canned response, by shortcut.
  virtual Result<std::vector<CannedResponse>> ListCannedResponses() = 0;
  virtual Result<std::optional<CannedResponse>> GetCannedResponse(int64_t id) = 0;
  /// Stores a new one (id assigned). kConflict when the shortcut is taken.
  virtual Result<CannedResponse> CreateCannedResponse(const CannedResponse& c) = 0;
  /// Replaces shortcut and content and sets updated_at. nullopt for an unknown id; kConflict when
  /// the shortcut belongs to another.
  virtual Result<std::optional<CannedResponse>> UpdateCannedResponse(const CannedResponse& c) = 0;
  /// False for an unknown id.
  virtual Result<bool> DeleteCannedResponse(int64_t id) = 0;

  // Reports.
  /// One row per group, ordered by key (sessions without an agent/team first), computed in SQL
  /// from the per-session times stored at the transitions.
  virtual Result<std::vector<ReportRow>> Report(const ReportQuery& q) = 0;

  // Housekeeping.
  /// Deletes processed webhook keys older than `before` and expired tokens. Returns rows removed.
  virtual Result<int64_t> Prune(TimePoint before, TimePoint now) = 0;
};

/// Connection settings, from config `database.*`.
struct StoreOptions {
  /// "sqlite:PATH" or "postgresql://user:pass@host:port/db" (libpq URI; "?host=/dir" allowed).
  std::string url = "sqlite:var/handoffd.db";
  int pool_size = 8;
  /// SQLite busy timeout.
  Duration busy_timeout{5000};
  /// The store's time source, for the timestamps it assigns itself (a zero created_at of a
  /// message or event, an agent's created_at, a migration's applied_at). Required, not owned:
  /// the caller keeps it (normally a SystemClock) alive as long as the store.
  const Clock* clock = nullptr;
};

/// Connects (filling the pool). For SQLite creates the parent directory, enables WAL mode,
/// foreign keys and the busy timeout on every connection. kBadRequest for an unknown URL scheme
/// or a missing clock, kUnavailable when the database cannot be reached.
Result<std::unique_ptr<Store>> OpenStore(const StoreOptions& options);

}  // namespace handoffd
