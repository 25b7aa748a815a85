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
#include "store/store_tx.h"

namespace handoffd {

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

/// One team's queue now (GET /metrics).
struct TeamQueueStats {
  int64_t team_id = 0;
  std::string slug;
  /// Waiting sessions of the team.
  int64_t waiting = 0;
  /// created_at of its oldest waiting session; nullopt when none waits.
  std::optional<TimePoint> oldest_created_at;
};

/// Builds the event for a message changed by the outbox (called inside the store's transaction
/// with the updated message and its session, if any, whose queue_position is left empty;
/// nullopt: no event).
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
  /// `waiting` sessions in queue order (priority high first, then queue_order, then id), each
  /// with its queue_position in its team (numbered in one pass: O(n log n) in waiting sessions).
  virtual Result<std::vector<Session>> ListWaiting() = 0;
  /// ListWaiting's sessions of one channel ("webchat", "whatsapp"), with the same positions (in
  /// their team's queue of every channel).
  virtual Result<std::vector<Session>> ListWaitingOn(const std::string& channel) = 0;
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
