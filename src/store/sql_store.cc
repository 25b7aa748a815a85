// The SQL Store (store.h) over SOCI, one implementation for SQLite and PostgreSQL. The dialects
// differ only in row locking (FOR UPDATE, SKIP LOCKED), how a write transaction starts (SQLite:
// BEGIN IMMEDIATE) and leadership (PostgreSQL advisory locks).
//
// Every value is bound as a parameter. Each pooled connection keeps a cache of its prepared
// statements (PostgreSQL: server-side prepared statements, SQLite: sqlite3_stmt), so the hot path
// (FindOpenSession + InsertMessage + ExtendSession) costs one round trip per statement. A
// connection that saw an error drops its cache, is rolled back and, if it no longer answers,
// reconnected before it goes back to the pool.
#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>
#include <utility>
#include <vector>

#include "store/migrations.h"
#include "store/soci_includes.h"
#include "store/store.h"
#include "store/unicode_lower.h"

namespace handoffd {
namespace {

enum class SqlDialect { kSqlite, kPostgres };

const char* DialectName(SqlDialect d) { return d == SqlDialect::kSqlite ? "sqlite" : "postgresql"; }

/// A stored value that the domain cannot represent (an unknown enum string): a bug or a foreign
/// write, reported as kInternal.
class DataError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// How long a caller waits for a free pooled connection before getting kUnavailable.
constexpr int kLeaseTimeoutMs = 30000;

/// 64-bit FNV-1a: a stable advisory-lock key for a name (same on every instance and build).
int64_t LockKey(std::string_view name) {
  uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : name) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return static_cast<int64_t>(h);
}

std::string AsciiLower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

/// Escapes LIKE wildcards so that user text matches literally (with ESCAPE '\').
std::string EscapeLike(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  for (char c : s) {
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Statements with owned, address-stable buffers, so that one prepared statement can be executed
// again and again with new values.

/// One parameter or result column. Kind 'i' uses `i`, kind 't' uses `s`; `ind` says NULL.
struct Cell {
  long long i = 0;
  std::string s;
  soci::indicator ind = soci::i_ok;
};

class Stmt {
 public:
  /// `params` and `cols` give the kind of each placeholder (in order of appearance) and of each
  /// result column: 'i' integer, 't' text. Every placeholder has a distinct name.
  Stmt(soci::session& sql, const std::string& query, std::string_view params, std::string_view cols,
       bool repeatable)
      : param_kinds_(params), params_(params.size()), cols_(cols.size()), st_(sql) {
    for (size_t k = 0; k < cols.size(); ++k) {
      if (cols[k] == 'i') {
        st_.exchange(soci::into(cols_[k].i, cols_[k].ind));
      } else {
        st_.exchange(soci::into(cols_[k].s, cols_[k].ind));
      }
    }
    for (size_t k = 0; k < params.size(); ++k) {
      if (params[k] == 'i') {
        st_.exchange(soci::use(params_[k].i, params_[k].ind));
      } else {
        st_.exchange(soci::use(params_[k].s, params_[k].ind));
      }
    }
    st_.alloc();
    st_.prepare(query,
                repeatable ? soci::details::st_repeatable_query : soci::details::st_one_time_query);
    st_.define_and_bind();
  }

  Stmt& Int(int64_t v) {
    Cell& c = Next('i');
    c.i = v;
    c.ind = soci::i_ok;
    return *this;
  }
  Stmt& OptInt(std::optional<int64_t> v) {
    Cell& c = Next('i');
    c.i = v.value_or(0);
    c.ind = v ? soci::i_ok : soci::i_null;
    return *this;
  }
  Stmt& Time(TimePoint t) { return Int(ToUnixMillis(t)); }
  Stmt& OptTime(std::optional<TimePoint> t) {
    return OptInt(t ? std::optional<int64_t>(ToUnixMillis(*t)) : std::nullopt);
  }
  Stmt& Text(std::string_view v) {
    Cell& c = Next('t');
    c.s.assign(v);
    c.ind = soci::i_ok;
    return *this;
  }
  Stmt& OptText(const std::optional<std::string>& v) {
    Cell& c = Next('t');
    c.s = v.value_or(std::string());
    c.ind = v ? soci::i_ok : soci::i_null;
    return *this;
  }

  /// Executes with the values set since the last Run(). True when a first row was fetched.
  bool Run() {
    if (next_ != params_.size()) throw std::logic_error("statement parameter count mismatch");
    next_ = 0;
    has_row_ = st_.execute(true);
    return has_row_;
  }
  /// Moves to the next row; false at the end.
  bool Fetch() {
    has_row_ = st_.fetch();
    return has_row_;
  }
  /// Runs the statement to completion (SQLite keeps a statement "in progress" until then).
  void Drain() {
    while (has_row_) Fetch();
  }
  /// Run() + Drain(); true when there was at least one row.
  bool RunAll() {
    const bool any = Run();
    Drain();
    return any;
  }
  long long Affected() { return st_.get_affected_rows(); }

  const std::vector<Cell>& row() const { return cols_; }

 private:
  Cell& Next(char kind) {
    if (next_ >= params_.size() || param_kinds_[next_] != kind) {
      throw std::logic_error("statement parameter kind mismatch");
    }
    return params_[next_++];
  }

  std::string param_kinds_;
  std::vector<Cell> params_;  // never resized: SOCI holds their addresses
  std::vector<Cell> cols_;
  size_t next_ = 0;
  bool has_row_ = false;
  soci::statement st_;
};

/// Reads the current row column by column.
class RowReader {
 public:
  explicit RowReader(const std::vector<Cell>& row) : row_(row) {}
  bool IsNull() const { return row_.at(k_).ind == soci::i_null; }
  int64_t Int() { return row_.at(k_++).i; }
  std::optional<int64_t> OptInt() {
    const Cell& c = row_.at(k_++);
    if (c.ind == soci::i_null) return std::nullopt;
    return c.i;
  }
  TimePoint Time() { return FromUnixMillis(Int()); }
  std::optional<TimePoint> OptTime() {
    auto v = OptInt();
    if (!v) return std::nullopt;
    return FromUnixMillis(*v);
  }
  std::string Text() {
    const Cell& c = row_.at(k_++);
    return c.ind == soci::i_null ? std::string() : c.s;
  }
  std::optional<std::string> OptText() {
    const Cell& c = row_.at(k_++);
    if (c.ind == soci::i_null) return std::nullopt;
    return c.s;
  }

 private:
  const std::vector<Cell>& row_;
  size_t k_ = 0;
};

template <typename T>
T Require(std::optional<T> v, std::string_view what, std::string_view stored) {
  if (!v) {
    throw DataError("unexpected stored " + std::string(what) + " '" + std::string(stored) + "'");
  }
  return *v;
}

// ---------------------------------------------------------------------------------------------
// Columns and row mapping.

struct Col {
  const char* expr;
  char kind;
};

constexpr Col kSessionCols[] = {
    {"s.id", 'i'},           {"s.channel", 't'},       {"s.contact_id", 'i'},
    {"s.phone_number", 't'}, {"s.customer_name", 't'}, {"s.phone_number_id", 't'},
    {"s.status", 't'},       {"s.agent_id", 'i'},      {"a.name", 't'},
    {"s.created_at", 'i'},   {"s.assigned_at", 'i'},   {"s.ended_at", 'i'},
    {"s.end_reason", 't'},   {"s.expires_at", 'i'},    {"s.last_customer_message_at", 'i'},
};

constexpr Col kMessageCols[] = {
    {"id", 'i'},
    {"session_id", 'i'},
    {"contact_id", 'i'},
    {"sender_type", 't'},
    {"sender_id", 't'},
    {"direction", 't'},
    {"type", 't'},
    {"content", 't'},
    {"metadata", 't'},
    {"channel_message_id", 't'},
    {"delivery_status", 't'},
    {"error_code", 'i'},
    {"error_title", 't'},
    {"created_at", 'i'},
};

constexpr Col kAgentCols[] = {
    {"a.id", 'i'},
    {"a.email", 't'},
    {"a.name", 't'},
    {"a.role", 't'},
    {"a.status", 't'},
    {"a.max_chats", 'i'},
    {"a.password_hash", 't'},
    {"(SELECT COUNT(*) FROM agent_sessions c WHERE c.agent_id = a.id AND c.status = 'active')",
     'i'},
    {"a.last_seen_at", 'i'},
};

constexpr Col kOutboxCols[] = {
    {"id", 'i'},         {"message_id", 'i'}, {"channel", 't'},  {"phone_number_id", 't'},
    {"recipient", 't'},  {"payload", 't'},    {"attempts", 'i'}, {"next_attempt_at", 'i'},
    {"created_at", 'i'},
};

template <size_t N>
std::string SelectList(const Col (&cols)[N]) {
  std::string out;
  for (size_t k = 0; k < N; ++k) {
    if (k > 0) out += ", ";
    out += cols[k].expr;
  }
  return out;
}

template <size_t N>
std::string Kinds(const Col (&cols)[N]) {
  std::string out;
  for (const Col& c : cols) out += c.kind;
  return out;
}

Session ReadSession(const std::vector<Cell>& row) {
  RowReader r(row);
  Session s;
  s.id = r.Int();
  s.channel = r.Text();
  s.contact_id = r.Int();
  s.phone_number = r.Text();
  s.customer_name = r.Text();
  s.phone_number_id = r.Text();
  const std::string status = r.Text();
  s.status = Require(ParseSessionStatus(status), "session status", status);
  s.agent_id = r.OptInt();
  s.agent_name = r.OptText();
  s.created_at = r.Time();
  s.assigned_at = r.OptTime();
  s.ended_at = r.OptTime();
  if (auto reason = r.OptText()) {
    s.end_reason = Require(ParseEndReason(*reason), "end reason", *reason);
  }
  s.expires_at = r.Time();
  s.last_customer_message_at = r.OptTime();
  return s;
}

Message ReadMessage(const std::vector<Cell>& row) {
  RowReader r(row);
  Message m;
  m.id = r.Int();
  m.session_id = r.OptInt();
  m.contact_id = r.Int();
  const std::string sender = r.Text();
  m.sender_type = Require(ParseSenderType(sender), "sender type", sender);
  m.sender_id = r.Text();
  const std::string direction = r.Text();
  m.direction = Require(ParseDirection(direction), "direction", direction);
  m.type = r.Text();
  m.content = r.Text();
  m.metadata = r.Text();
  m.channel_message_id = r.OptText();
  const std::string delivery = r.Text();
  m.delivery_status = Require(ParseDeliveryStatus(delivery), "delivery status", delivery);
  const std::optional<int64_t> code = r.OptInt();
  std::string title = r.Text();
  if (code) m.error = MessageError{*code, std::move(title)};
  m.created_at = r.Time();
  return m;
}

Agent ReadAgent(const std::vector<Cell>& row) {
  RowReader r(row);
  Agent a;
  a.id = r.Int();
  a.email = r.Text();
  a.name = r.Text();
  const std::string role = r.Text();
  a.role = Require(ParseRole(role), "role", role);
  const std::string status = r.Text();
  a.status = Require(ParseAgentStatus(status), "agent status", status);
  a.max_chats = static_cast<int>(r.Int());
  a.password_hash = r.Text();
  a.active_chats = static_cast<int>(r.Int());
  a.last_seen_at = r.OptTime();
  return a;
}

EventRecord ReadEvent(const std::vector<Cell>& row) {
  RowReader r(row);
  EventRecord e;
  e.id = r.Int();
  e.type = r.Text();
  const std::string audience = r.Text();
  e.audience = Require(ParseEventAudience(audience), "event audience", audience);
  e.agent_id = r.OptInt();
  e.data = r.Text();
  e.created_at = r.Time();
  return e;
}

OutboxItem ReadOutbox(const std::vector<Cell>& row) {
  RowReader r(row);
  OutboxItem o;
  o.id = r.Int();
  o.message_id = r.OptInt();
  o.channel = r.Text();
  o.phone_number_id = r.Text();
  o.recipient = r.Text();
  o.payload = r.Text();
  o.attempts = static_cast<int>(r.Int());
  o.next_attempt_at = r.Time();
  o.created_at = r.Time();
  return o;
}

// ---------------------------------------------------------------------------------------------
// The statement catalogue: every fixed query, built once per dialect.

enum Query : size_t {
  kBegin,
  kCommit,
  kRollback,
  kPing,
  kFindOpenSession,
  kLockSession,
  kGetSession,
  kCreateSession,
  kUpsertContact,
  kInsertMessage,
  kAttachRecentMessages,
  kExtendSession,
  kAppendToOpenSession,
  kAssignSession,
  kReassignSession,
  kEndSession,
  kEnqueue,
  kClaimWebhookKey,
  kLockMessageByChannelId,
  kSetDeliveryStatus,
  kSetDeliveryFailed,
  kGetAgent,
  kGetAgentByEmail,
  kListAgents,
  kCreateAgent,
  kCreateToken,
  kFindAgentByToken,
  kDeleteToken,
  kListWaiting,
  kListActiveForAgent,
  kCountSessionsByStatus,
  kListMessages,
  kGetMessage,
  kClaimOutbox,
  kNextOutboxDue,
  kMarkSent,
  kMarkFailed,
  kDeleteOutbox,
  kRetryOutbox,
  kListDueSessions,
  kNextExpiry,
  kPruneWebhookKeys,
  kPruneTokens,
  kAppendEvent,
  kSetAgentStatus,
  kTouchAgent,
  kListEvents,
  kEventIdRange,
  kPruneEvents,
  kQueryCount,
};

struct QuerySpec {
  std::string sql;
  std::string params;
  std::string cols;
  /// Server-side prepared (PostgreSQL) when true; transaction control runs as a simple query.
  bool repeatable = true;
};

using Catalogue = std::array<QuerySpec, kQueryCount>;

Catalogue BuildCatalogue(SqlDialect d) {
  const bool pg = d == SqlDialect::kPostgres;
  const std::string session_select =
      "SELECT " + SelectList(kSessionCols) +
      " FROM agent_sessions s LEFT JOIN agents a ON a.id = s.agent_id";
  const std::string session_kinds = Kinds(kSessionCols);
  const std::string message_select = "SELECT " + SelectList(kMessageCols) + " FROM agent_messages";
  const std::string message_kinds = Kinds(kMessageCols);
  const std::string agent_select = "SELECT " + SelectList(kAgentCols);
  const std::string agent_kinds = Kinds(kAgentCols);
  const std::string outbox_kinds = Kinds(kOutboxCols);

  Catalogue c;
  c[kBegin] = {pg ? "BEGIN" : "BEGIN IMMEDIATE", "", "", false};
  c[kCommit] = {"COMMIT", "", "", false};
  c[kRollback] = {"ROLLBACK", "", "", false};
  c[kPing] = {"SELECT 1", "", "i"};
  c[kFindOpenSession] = {session_select +
                             " WHERE s.channel = :channel AND s.phone_number = :phone"
                             " AND s.status IN ('waiting', 'active')",
                         "tt", session_kinds};
  c[kLockSession] = {session_select + " WHERE s.id = :id" + (pg ? " FOR UPDATE OF s" : ""), "i",
                     session_kinds};
  c[kGetSession] = {session_select + " WHERE s.id = :id", "i", session_kinds};
  c[kCreateSession] = {
      "INSERT INTO agent_sessions (channel, contact_id, phone_number, customer_name,"
      " phone_number_id, status, created_at, expires_at, last_customer_message_at)"
      " VALUES (:channel, :contact, :phone, :name, :pnid, 'waiting', :created, :expires, :last)"
      " ON CONFLICT (channel, phone_number) WHERE status IN ('waiting', 'active') DO NOTHING"
      " RETURNING id",
      "titttiii", "i"};
  c[kUpsertContact] = {
      "INSERT INTO contacts (channel, customer_key, wa_id, user_id, name, created_at, updated_at)"
      " VALUES (:channel, :key, :wa_id, :user_id, :name, :created, :updated)"
      " ON CONFLICT (channel, customer_key) DO UPDATE SET"
      " wa_id = CASE WHEN excluded.wa_id <> '' THEN excluded.wa_id ELSE contacts.wa_id END,"
      " user_id = CASE WHEN excluded.user_id <> '' THEN excluded.user_id"
      " ELSE contacts.user_id END,"
      " name = CASE WHEN excluded.name <> '' THEN excluded.name ELSE contacts.name END,"
      " updated_at = excluded.updated_at"
      " RETURNING id",
      "tttttii", "i"};
  c[kInsertMessage] = {
      "INSERT INTO agent_messages (session_id, contact_id, sender_type, sender_id, direction,"
      " type, content, metadata, channel_message_id, delivery_status, error_code, error_title,"
      " created_at) VALUES (:session, :contact, :sender_type, :sender_id, :direction, :type,"
      " :content, :metadata, :wamid, :delivery, :error_code, :error_title, :created)"
      " ON CONFLICT (channel_message_id) WHERE direction = 'in' DO NOTHING RETURNING id",
      "iittttttttiti", "i"};
  c[kAttachRecentMessages] = {
      "UPDATE agent_messages SET session_id = :session"
      " WHERE contact_id = :contact AND session_id IS NULL AND created_at >= :since",
      "iii", ""};
  c[kExtendSession] = {
      "UPDATE agent_sessions SET"
      " last_customer_message_at = CASE WHEN last_customer_message_at IS NULL"
      " OR last_customer_message_at < :last1 THEN :last2 ELSE last_customer_message_at END,"
      " expires_at = CASE WHEN expires_at < :exp1 THEN :exp2 ELSE expires_at END"
      " WHERE id = :id",
      "iiiii", ""};
  // PostgreSQL only (SQLite has no data-modifying CTEs; it runs the three statements in one
  // transaction instead): find, insert and extend in one round trip, in autocommit.
  c[kAppendToOpenSession] = {
      "WITH s AS (SELECT id, contact_id, status, agent_id FROM agent_sessions"
      " WHERE channel = :channel AND phone_number = :phone AND status IN ('waiting', 'active')"
      " FOR UPDATE),"
      " m AS (INSERT INTO agent_messages (session_id, contact_id, sender_type, sender_id,"
      " direction, type, content, metadata, channel_message_id, delivery_status, created_at)"
      " SELECT s.id, s.contact_id, :sender_type, :sender_id, :direction, :type, :content,"
      " :metadata, :wamid, :delivery, :created FROM s"
      " ON CONFLICT (channel_message_id) WHERE direction = 'in' DO NOTHING"
      " RETURNING id, session_id),"
      " u AS (UPDATE agent_sessions a SET"
      " last_customer_message_at = CASE WHEN a.last_customer_message_at IS NULL"
      " OR a.last_customer_message_at < :last1 THEN :last2 ELSE a.last_customer_message_at END,"
      " expires_at = CASE WHEN a.expires_at < :exp1 THEN :exp2 ELSE a.expires_at END"
      " FROM m WHERE a.id = m.session_id AND :extend = 1 RETURNING a.id),"
      " e AS (INSERT INTO events (type, audience, agent_id, data, created_at)"
      " SELECT 'message.created',"
      " CASE WHEN s.status = 'waiting' OR s.agent_id IS NULL THEN 'all' ELSE 'agent' END,"
      " CASE WHEN s.status = 'waiting' THEN NULL ELSE s.agent_id END,"
      " '{\"id\":' || m.id || ',\"session_id\":' || m.session_id || ',' || :tail, :ecreated"
      " FROM m JOIN s ON s.id = m.session_id WHERE :with_event = 1 RETURNING id)"
      " SELECT COALESCE((SELECT id FROM s), 0), COALESCE((SELECT id FROM m), 0),"
      " (SELECT COUNT(*) FROM u) + (SELECT COUNT(*) FROM e)",
      "ttttttttttiiiiiitii", "iii"};
  c[kAssignSession] = {
      "UPDATE agent_sessions SET status = 'active', agent_id = :agent, assigned_at = :now"
      " WHERE id = :id AND status = 'waiting'",
      "iii", ""};
  c[kReassignSession] = {
      "UPDATE agent_sessions SET status = 'active', agent_id = :agent, assigned_at = :now"
      " WHERE id = :id AND status IN ('waiting', 'active')",
      "iii", ""};
  c[kEndSession] = {
      "UPDATE agent_sessions SET status = 'ended', ended_at = :now, end_reason = :reason"
      " WHERE id = :id AND status IN ('waiting', 'active')",
      "iti", ""};
  c[kEnqueue] = {
      "INSERT INTO outbox (message_id, channel, phone_number_id, recipient, payload, attempts,"
      " next_attempt_at, created_at) VALUES (:message, :channel, :pnid, :recipient, :payload,"
      " :attempts, :next, :created) RETURNING id",
      "ittttiii", "i"};
  c[kClaimWebhookKey] = {
      "INSERT INTO processed_webhook_ids (key, created_at) VALUES (:key, :now)"
      " ON CONFLICT (key) DO NOTHING RETURNING created_at",
      "ti", "i"};
  c[kLockMessageByChannelId] = {
      message_select + " WHERE channel_message_id = :wamid AND direction = 'out'" +
          std::string(" ORDER BY id DESC LIMIT 1") + (pg ? " FOR UPDATE" : ""),
      "t", message_kinds};
  c[kSetDeliveryStatus] = {"UPDATE agent_messages SET delivery_status = :status WHERE id = :id",
                           "ti", ""};
  c[kSetDeliveryFailed] = {
      "UPDATE agent_messages SET delivery_status = 'failed', error_code = :code,"
      " error_title = :title WHERE id = :id",
      "iti", ""};
  c[kGetAgent] = {agent_select + " FROM agents a WHERE a.id = :id", "i", agent_kinds};
  c[kGetAgentByEmail] = {agent_select + " FROM agents a WHERE a.email = :email", "t", agent_kinds};
  c[kListAgents] = {agent_select + " FROM agents a ORDER BY a.id", "", agent_kinds};
  c[kCreateAgent] = {
      "INSERT INTO agents (email, name, role, status, max_chats, password_hash, created_at)"
      " VALUES (:email, :name, :role, :status, :max_chats, :hash, :created)"
      " ON CONFLICT (email) DO NOTHING RETURNING id",
      "ttttiti", "i"};
  c[kCreateToken] = {
      "INSERT INTO auth_tokens (token_hash, agent_id, created_at, expires_at)"
      " VALUES (:hash, :agent, :created, :expires)",
      "tiii", ""};
  c[kFindAgentByToken] = {agent_select +
                              " FROM auth_tokens t JOIN agents a ON a.id = t.agent_id"
                              " WHERE t.token_hash = :hash AND t.expires_at > :now",
                          "ti", agent_kinds};
  c[kDeleteToken] = {"DELETE FROM auth_tokens WHERE token_hash = :hash", "t", ""};
  c[kListWaiting] = {session_select + " WHERE s.status = 'waiting' ORDER BY s.created_at, s.id", "",
                     session_kinds};
  c[kListActiveForAgent] = {session_select +
                                " WHERE s.agent_id = :agent AND s.status = 'active'"
                                " ORDER BY s.assigned_at, s.id",
                            "i", session_kinds};
  c[kCountSessionsByStatus] = {"SELECT status, COUNT(*) FROM agent_sessions GROUP BY status", "",
                               "ti"};
  c[kListMessages] = {
      message_select + " WHERE session_id = :session AND id > :after ORDER BY id LIMIT :limit",
      "iii", message_kinds};
  c[kGetMessage] = {message_select + " WHERE id = :id", "i", message_kinds};
  c[kClaimOutbox] = {
      "UPDATE outbox SET leased_until = :lease WHERE id IN (SELECT id FROM outbox"
      " WHERE next_attempt_at <= :now1 AND (leased_until IS NULL OR leased_until <= :now2)"
      " ORDER BY next_attempt_at, id LIMIT :limit" +
          std::string(pg ? " FOR UPDATE SKIP LOCKED" : "") + ") RETURNING " +
          SelectList(kOutboxCols),
      "iiii", outbox_kinds};
  // The earliest time an item becomes claimable: a leased item only once its lease runs out.
  c[kNextOutboxDue] = {
      "SELECT MIN(CASE WHEN leased_until IS NOT NULL AND leased_until > next_attempt_at"
      " THEN leased_until ELSE next_attempt_at END) FROM outbox",
      "", "i"};
  c[kMarkSent] = {
      "UPDATE agent_messages SET channel_message_id = :wamid, delivery_status ="
      " CASE WHEN delivery_status = 'queued' THEN 'sent' ELSE delivery_status END WHERE id = :id",
      "ti", ""};
  c[kMarkFailed] = {
      "UPDATE agent_messages SET delivery_status = 'failed', error_code = :code,"
      " error_title = :title WHERE id = :id AND delivery_status <> 'failed'",
      "iti", ""};
  c[kDeleteOutbox] = {"DELETE FROM outbox WHERE id = :id", "i", ""};
  c[kRetryOutbox] = {
      "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = :next, leased_until = NULL,"
      " last_error = :error WHERE id = :id",
      "iti", ""};
  c[kListDueSessions] = {session_select +
                             " WHERE s.status IN ('waiting', 'active') AND s.expires_at <= :now"
                             " ORDER BY s.expires_at, s.id LIMIT :limit",
                         "ii", session_kinds};
  c[kNextExpiry] = {
      "SELECT MIN(expires_at) FROM agent_sessions WHERE status IN ('waiting', 'active')", "", "i"};
  c[kPruneWebhookKeys] = {"DELETE FROM processed_webhook_ids WHERE created_at < :before", "i", ""};
  c[kPruneTokens] = {"DELETE FROM auth_tokens WHERE expires_at <= :now", "i", ""};
  c[kAppendEvent] = {
      "INSERT INTO events (type, audience, agent_id, data, created_at)"
      " VALUES (:type, :audience, :agent, :data, :created) RETURNING id",
      "ttiti", "i"};
  c[kSetAgentStatus] = {"UPDATE agents SET status = :status, last_seen_at = :now WHERE id = :id",
                        "tii", ""};
  c[kTouchAgent] = {"UPDATE agents SET last_seen_at = :now WHERE id = :id", "ii", ""};
  c[kListEvents] = {
      "SELECT id, type, audience, agent_id, data, created_at FROM events"
      " WHERE id > :after AND id <= :upto ORDER BY id LIMIT :n",
      "iii", "ittiti"};
  c[kEventIdRange] = {"SELECT COALESCE(MIN(id), 0), COALESCE(MAX(id), 0) FROM events", "", "ii"};
  c[kPruneEvents] = {"DELETE FROM events WHERE created_at < :before", "i", ""};
  return c;
}

// ---------------------------------------------------------------------------------------------
// Connections.

/// One pooled connection and its prepared statements. Used by one thread at a time (the lease).
struct Conn {
  soci::session* sql = nullptr;
  std::array<std::unique_ptr<Stmt>, kQueryCount> cache;
  /// Set when a statement failed: the connection is checked before it is reused.
  bool suspect = false;

  Stmt& Get(const Catalogue& catalogue, Query q) {
    std::unique_ptr<Stmt>& s = cache[q];
    if (!s) {
      const QuerySpec& spec = catalogue[q];
      s = std::make_unique<Stmt>(*sql, spec.sql, spec.params, spec.cols, spec.repeatable);
    }
    return *s;
  }
};

/// Maps an exception from SOCI or the standard library to a Status.
Status StatusFromCurrentException() {
  try {
    throw;
  } catch (const DataError& e) {
    return Status::Internal(e.what());
  } catch (const std::exception& e) {
    return Status::Unavailable(e.what());
  } catch (...) {
    return Status::Unavailable("unknown database error");
  }
}

class SqlStore;

class SqlTx final : public StoreTx {
 public:
  SqlTx(const SqlStore& store, Conn& conn);

  /// The first database error seen, if any (the transaction must then roll back).
  const std::optional<Status>& failure() const { return failure_; }

  Result<int64_t> UpsertContact(const std::string& channel, const CustomerRef& customer,
                                TimePoint now) override;
  Result<std::optional<Session>> FindOpenSession(const std::string& channel,
                                                 const std::string& customer_key) override;
  Result<std::optional<Session>> LockSession(int64_t session_id) override;
  Result<Session> CreateSession(const NewSession& s) override;
  Result<std::optional<Message>> InsertMessage(const Message& m) override;
  Status AttachRecentMessages(int64_t contact_id, int64_t session_id, TimePoint since) override;
  Status ExtendSession(int64_t session_id, TimePoint last_customer_message_at,
                       TimePoint expires_at) override;
  Result<bool> AssignSession(int64_t session_id, int64_t agent_id, TimePoint now,
                             bool allow_reassign) override;
  Result<bool> EndSession(int64_t session_id, EndReason reason, TimePoint now) override;
  Result<int64_t> Enqueue(const OutboxItem& item) override;
  Result<bool> ClaimWebhookKey(const std::string& key, TimePoint now) override;
  Result<std::optional<Message>> ApplyDeliveryStatus(
      const std::string& channel_message_id, DeliveryStatus status,
      const std::optional<MessageError>& error) override;
  Result<std::optional<Agent>> GetAgent(int64_t agent_id) override;
  Result<int64_t> AppendEvent(const EventRecord& event) override;
  Result<std::optional<Agent>> SetAgentStatus(int64_t agent_id, AgentStatus status,
                                              TimePoint now) override;

 private:
  /// Runs `fn`, turning an exception into a Status and remembering it as the failure.
  template <typename Fn>
  auto Guard(Fn&& fn) -> decltype(fn()) {
    try {
      return fn();
    } catch (...) {
      Status st = StatusFromCurrentException();
      conn_.suspect = true;
      if (!failure_) failure_ = st;
      return st;
    }
  }
  Stmt& Get(Query q);

  const SqlStore& store_;
  Conn& conn_;
  std::optional<Status> failure_;
};

// Shared by SqlTx and SqlStore: the statements behind the StoreTx operations, on a connection
// already inside a transaction.
namespace ops {

std::optional<Session> OneSession(Stmt& st) {
  std::optional<Session> out;
  if (st.Run()) out = ReadSession(st.row());
  st.Drain();
  return out;
}

std::vector<Session> AllSessions(Stmt& st) {
  std::vector<Session> out;
  for (bool row = st.Run(); row; row = st.Fetch()) out.push_back(ReadSession(st.row()));
  return out;
}

std::optional<Message> OneMessage(Stmt& st) {
  std::optional<Message> out;
  if (st.Run()) out = ReadMessage(st.row());
  st.Drain();
  return out;
}

std::optional<Agent> OneAgent(Stmt& st) {
  std::optional<Agent> out;
  if (st.Run()) out = ReadAgent(st.row());
  st.Drain();
  return out;
}

/// Binds an event to the kAppendEvent statement.
Stmt& BindEvent(Stmt& st, const EventRecord& e) {
  return st.Text(e.type)
      .Text(ToString(e.audience))
      .OptInt(e.agent_id)
      .Text(e.data)
      .Time(e.created_at == TimePoint{} ? SystemClock().Now() : e.created_at);
}

/// Runs an INSERT ... RETURNING of one integer; nullopt when no row came back (conflict).
std::optional<int64_t> ReturnedId(Stmt& st) {
  std::optional<int64_t> out;
  if (st.Run()) out = st.row().at(0).i;
  st.Drain();
  return out;
}

}  // namespace ops

class PgLeaderLock final : public LeaderLock {
 public:
  PgLeaderLock(std::unique_ptr<soci::session> sql, int64_t key) : sql_(std::move(sql)), key_(key) {}
  ~PgLeaderLock() override {
    try {
      long long key = key_;
      int released = 0;
      *sql_ << "SELECT CASE WHEN pg_advisory_unlock(:key) THEN 1 ELSE 0 END", soci::use(key),
          soci::into(released);
    } catch (...) {
      // The connection is gone, and the lock with it.
    }
    try {
      sql_->close();
    } catch (...) {
    }
  }

  bool StillHeld() override {
    std::lock_guard<std::mutex> lock(mu_);
    if (lost_) return false;
    try {
      int one = 0;
      *sql_ << "SELECT 1", soci::into(one);
      if (one == 1) return true;
    } catch (...) {
    }
    lost_ = true;
    return false;
  }

 private:
  std::mutex mu_;
  std::unique_ptr<soci::session> sql_;
  const int64_t key_;
  bool lost_ = false;
};

class SqliteLeaderLock final : public LeaderLock {
 public:
  bool StillHeld() override { return true; }
};

class SqlStore final : public Store {
 public:
  SqlStore(SqlDialect dialect, std::string connect_string, const StoreOptions& options)
      : dialect_(dialect),
        connect_string_(std::move(connect_string)),
        options_(options),
        catalogue_(BuildCatalogue(dialect)),
        pool_size_(static_cast<size_t>(std::max(1, options.pool_size))),
        pool_(pool_size_),
        conns_(pool_size_) {}

  ~SqlStore() override {
    // Prepared statements go before their sessions.
    for (Conn& c : conns_) {
      for (auto& s : c.cache) s.reset();
    }
  }

  /// Opens every pooled connection.
  Status Connect() {
    try {
      for (size_t i = 0; i < pool_size_; ++i) {
        soci::session& sql = pool_.at(i);
        OpenSession(sql);
        conns_[i].sql = &sql;
      }
    } catch (...) {
      Status st = StatusFromCurrentException();
      return Status::Unavailable("cannot connect to the " + std::string(DialectName(dialect_)) +
                                 " database: " + st.message());
    }
    return Status::Ok();
  }

  Stmt& Get(Conn& c, Query q) const { return c.Get(catalogue_, q); }

  std::string Dialect() const override { return DialectName(dialect_); }

  Result<std::vector<std::string>> Migrate() override;
  Status Ping() override {
    return WithConn([&](Conn& c) -> Status {
      Get(c, kPing).RunAll();
      return Status::Ok();
    });
  }

  Status Transact(const std::function<Status(StoreTx&)>& fn) override;

  Result<AppendOutcome> AppendToOpenSession(const std::string& channel,
                                            const std::string& customer_key, const Message& m,
                                            std::optional<std::pair<TimePoint, TimePoint>> extend,
                                            const std::string& event_tail) override;

  Result<std::optional<Session>> GetSession(int64_t id) override {
    return WithConn([&](Conn& c) -> Result<std::optional<Session>> {
      return ops::OneSession(Get(c, kGetSession).Int(id));
    });
  }
  Result<std::vector<Session>> ListWaiting() override {
    return WithConn([&](Conn& c) -> Result<std::vector<Session>> {
      return ops::AllSessions(Get(c, kListWaiting));
    });
  }
  Result<std::vector<Session>> ListActiveForAgent(int64_t agent_id) override {
    return WithConn([&](Conn& c) -> Result<std::vector<Session>> {
      return ops::AllSessions(Get(c, kListActiveForAgent).Int(agent_id));
    });
  }
  Result<SessionPage> QuerySessions(const SessionQuery& q) override;
  Result<std::map<std::string, int64_t>> CountSessionsByStatus() override {
    return WithConn([&](Conn& c) -> Result<std::map<std::string, int64_t>> {
      std::map<std::string, int64_t> out;
      for (SessionStatus s :
           {SessionStatus::kWaiting, SessionStatus::kActive, SessionStatus::kEnded}) {
        out[ToString(s)] = 0;
      }
      Stmt& st = Get(c, kCountSessionsByStatus);
      for (bool row = st.Run(); row; row = st.Fetch()) {
        RowReader r(st.row());
        std::string status = r.Text();
        out[status] = r.Int();
      }
      return out;
    });
  }

  Result<std::vector<Message>> ListMessages(int64_t session_id, int64_t after_id,
                                            int limit) override {
    return WithConn([&](Conn& c) -> Result<std::vector<Message>> {
      std::vector<Message> out;
      Stmt& st = Get(c, kListMessages).Int(session_id).Int(after_id).Int(std::max(0, limit));
      for (bool row = st.Run(); row; row = st.Fetch()) out.push_back(ReadMessage(st.row()));
      return out;
    });
  }
  Result<std::optional<Message>> GetMessage(int64_t id) override {
    return WithConn([&](Conn& c) -> Result<std::optional<Message>> {
      return ops::OneMessage(Get(c, kGetMessage).Int(id));
    });
  }

  Result<Agent> CreateAgent(const Agent& a) override {
    return WithConn([&](Conn& c) -> Result<Agent> {
      Agent out = a;
      out.email = AsciiLower(a.email);
      out.active_chats = 0;
      auto id = ops::ReturnedId(Get(c, kCreateAgent)
                                    .Text(out.email)
                                    .Text(out.name)
                                    .Text(ToString(out.role))
                                    .Text(ToString(out.status))
                                    .Int(int64_t{out.max_chats})
                                    .Text(out.password_hash)
                                    .Time(SystemClock().Now()));
      if (!id) return Status::Conflict("an agent with email " + out.email + " already exists");
      out.id = *id;
      return out;
    });
  }
  Result<std::optional<Agent>> GetAgent(int64_t id) override {
    return WithConn([&](Conn& c) -> Result<std::optional<Agent>> {
      return ops::OneAgent(Get(c, kGetAgent).Int(id));
    });
  }
  Result<std::optional<Agent>> GetAgentByEmail(const std::string& email) override {
    return WithConn([&](Conn& c) -> Result<std::optional<Agent>> {
      return ops::OneAgent(Get(c, kGetAgentByEmail).Text(AsciiLower(email)));
    });
  }
  Result<std::vector<Agent>> ListAgents() override {
    return WithConn([&](Conn& c) -> Result<std::vector<Agent>> {
      std::vector<Agent> out;
      Stmt& st = Get(c, kListAgents);
      for (bool row = st.Run(); row; row = st.Fetch()) out.push_back(ReadAgent(st.row()));
      return out;
    });
  }
  Status CreateToken(const std::string& token_hash, int64_t agent_id, TimePoint created_at,
                     TimePoint expires_at) override {
    return WithConn([&](Conn& c) -> Status {
      Get(c, kCreateToken)
          .Text(token_hash)
          .Int(agent_id)
          .Time(created_at)
          .Time(expires_at)
          .RunAll();
      return Status::Ok();
    });
  }
  Result<std::optional<Agent>> FindAgentByToken(const std::string& token_hash,
                                                TimePoint now) override {
    return WithConn([&](Conn& c) -> Result<std::optional<Agent>> {
      return ops::OneAgent(Get(c, kFindAgentByToken).Text(token_hash).Time(now));
    });
  }
  Status DeleteToken(const std::string& token_hash) override {
    return WithConn([&](Conn& c) -> Status {
      Get(c, kDeleteToken).Text(token_hash).RunAll();
      return Status::Ok();
    });
  }

  Result<std::vector<OutboxItem>> ClaimOutbox(TimePoint now, int limit, Duration lease) override;
  Result<std::optional<TimePoint>> NextOutboxDue() override {
    return WithConn([&](Conn& c) -> Result<std::optional<TimePoint>> {
      return MinTime(Get(c, kNextOutboxDue));
    });
  }
  Result<std::optional<Message>> CompleteOutbox(const OutboxItem& item,
                                                const std::string& channel_message_id,
                                                const MessageEventFn& event) override {
    return InTx([&](Conn& c) -> Result<std::optional<Message>> {
      if (item.message_id) {
        Get(c, kMarkSent).Text(channel_message_id).Int(*item.message_id).RunAll();
      }
      Get(c, kDeleteOutbox).Int(item.id).RunAll();
      return FinishOutbox(c, item, event);
    });
  }
  Result<std::optional<Message>> FailOutbox(const OutboxItem& item, const MessageError& error,
                                            const MessageEventFn& event) override {
    return InTx([&](Conn& c) -> Result<std::optional<Message>> {
      if (item.message_id) {
        Get(c, kMarkFailed).Int(error.code).Text(error.title).Int(*item.message_id).RunAll();
      }
      Get(c, kDeleteOutbox).Int(item.id).RunAll();
      return FinishOutbox(c, item, event);
    });
  }
  /// Reads the updated message and writes its event, inside the caller's transaction.
  std::optional<Message> FinishOutbox(Conn& c, const OutboxItem& item,
                                      const MessageEventFn& event) {
    if (!item.message_id) return std::nullopt;
    std::optional<Message> m = ops::OneMessage(Get(c, kGetMessage).Int(*item.message_id));
    if (m && event) {
      std::optional<Session> session;
      if (m->session_id) session = ops::OneSession(Get(c, kGetSession).Int(*m->session_id));
      if (std::optional<EventRecord> e = event(*m, session)) {
        ops::ReturnedId(ops::BindEvent(Get(c, kAppendEvent), *e));
      }
    }
    return m;
  }

  Result<std::vector<EventRecord>> ListEvents(int64_t after_id, int64_t up_to_id,
                                              int limit) override {
    return WithConn([&](Conn& c) -> Result<std::vector<EventRecord>> {
      std::vector<EventRecord> out;
      Stmt& st = Get(c, kListEvents).Int(after_id).Int(up_to_id).Int(int64_t{std::max(0, limit)});
      for (bool row = st.Run(); row; row = st.Fetch()) out.push_back(ReadEvent(st.row()));
      return out;
    });
  }
  Result<std::pair<int64_t, int64_t>> EventIdRange() override {
    return WithConn([&](Conn& c) -> Result<std::pair<int64_t, int64_t>> {
      Stmt& st = Get(c, kEventIdRange);
      std::pair<int64_t, int64_t> out{0, 0};
      if (st.Run()) out = {st.row().at(0).i, st.row().at(1).i};
      st.Drain();
      return out;
    });
  }
  Result<int64_t> PruneEvents(TimePoint before) override {
    return WithConn([&](Conn& c) -> Result<int64_t> {
      Stmt& st = Get(c, kPruneEvents).Time(before);
      st.RunAll();
      return static_cast<int64_t>(st.Affected());
    });
  }
  Status TouchAgent(int64_t agent_id, TimePoint now) override {
    return WithConn([&](Conn& c) -> Status {
      Get(c, kTouchAgent).Time(now).Int(agent_id).RunAll();
      return Status::Ok();
    });
  }
  Status RetryOutbox(const OutboxItem& item, TimePoint next_attempt_at,
                     const std::string& last_error) override {
    return WithConn([&](Conn& c) -> Status {
      Get(c, kRetryOutbox).Time(next_attempt_at).Text(last_error).Int(item.id).RunAll();
      return Status::Ok();
    });
  }

  Result<std::vector<Session>> ListDueSessions(TimePoint now, int limit) override {
    return WithConn([&](Conn& c) -> Result<std::vector<Session>> {
      return ops::AllSessions(Get(c, kListDueSessions).Time(now).Int(int64_t{std::max(0, limit)}));
    });
  }
  Result<std::optional<TimePoint>> NextExpiry() override {
    return WithConn(
        [&](Conn& c) -> Result<std::optional<TimePoint>> { return MinTime(Get(c, kNextExpiry)); });
  }
  Result<std::unique_ptr<LeaderLock>> TryAcquireLeadership(const std::string& job) override;

  Result<int64_t> Prune(TimePoint before, TimePoint now) override {
    return WithConn([&](Conn& c) -> Result<int64_t> {
      Stmt& keys = Get(c, kPruneWebhookKeys).Time(before);
      keys.RunAll();
      int64_t removed = keys.Affected();
      Stmt& tokens = Get(c, kPruneTokens).Time(now);
      tokens.RunAll();
      removed += tokens.Affected();
      return removed;
    });
  }

 private:
  /// Opens `sql` and applies the per-connection settings.
  void OpenSession(soci::session& sql) const {
    sql.open(dialect_ == SqlDialect::kSqlite
                 ? static_cast<const soci::backend_factory&>(soci::sqlite3)
                 : soci::postgresql,
             connect_string_);
    InitSession(sql);
  }

  /// Per-connection settings after every (re)connect.
  void InitSession(soci::session& sql) const {
    if (dialect_ == SqlDialect::kSqlite) {
      InitSqlite(sql);
    } else {
      QuietNotices(sql);
    }
  }

  /// libpq prints server notices ("relation already exists, skipping") to stderr by default;
  /// the daemon's stderr carries JSON logs, and none of these notices is actionable.
  static void QuietNotices(soci::session& sql) {
    auto* backend = static_cast<soci::postgresql_session_backend*>(sql.get_backend());
    PQsetNoticeProcessor(
        backend->conn_, [](void*, const char*) {}, nullptr);
  }

  void InitSqlite(soci::session& sql) const {
    // PRAGMA values cannot be bound; this one is our own integer.
    sql << "PRAGMA busy_timeout = " + std::to_string(options_.busy_timeout.count());
    std::string mode;
    sql << "PRAGMA journal_mode = WAL", soci::into(mode);
    sql << "PRAGMA foreign_keys = ON";
    sql << "PRAGMA synchronous = NORMAL";
    // SQLite's LOWER() folds ASCII only; history search must be case-insensitive for every name.
    auto* backend = static_cast<soci::sqlite3_session_backend*>(sql.get_backend());
    sqlite_api::sqlite3_create_function_v2(backend->conn_, "lower", 1,
                                           SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr,
                                           &SqliteLower, nullptr, nullptr, nullptr);
  }

  static void SqliteLower(sqlite_api::sqlite3_context* ctx, int, sqlite_api::sqlite3_value** argv) {
    if (sqlite_api::sqlite3_value_type(argv[0]) == SQLITE_NULL) {
      sqlite_api::sqlite3_result_null(ctx);
      return;
    }
    const auto* text = sqlite_api::sqlite3_value_text(argv[0]);
    const int bytes = sqlite_api::sqlite3_value_bytes(argv[0]);
    const std::string lowered = LowerUtf8(
        std::string_view(reinterpret_cast<const char*>(text), static_cast<size_t>(bytes)));
    sqlite_api::sqlite3_result_text(ctx, lowered.data(), static_cast<int>(lowered.size()),
                                    reinterpret_cast<sqlite_api::sqlite3_destructor_type>(
                                        static_cast<intptr_t>(-1)));  // SQLITE_TRANSIENT
  }

  /// Leases a connection, runs fn(conn) and maps exceptions to a Status. A connection that saw an
  /// error is repaired before it goes back to the pool.
  template <typename Fn>
  auto WithConn(Fn&& fn) -> decltype(fn(std::declval<Conn&>())) {
    size_t pos = 0;
    if (!pool_.try_lease(pos, kLeaseTimeoutMs)) {
      return Status::Unavailable("no free database connection");
    }
    struct GiveBack {
      SqlStore* self;
      size_t pos;
      ~GiveBack() {
        Conn& c = self->conns_[pos];
        if (c.suspect) self->Repair(c, pos);
        self->pool_.give_back(pos);
      }
    } give_back{this, pos};
    Conn& c = conns_[pos];
    try {
      return fn(c);
    } catch (...) {
      c.suspect = true;
      return StatusFromCurrentException();
    }
  }

  /// fn(conn) inside a transaction of its own: committed when fn returns OK.
  template <typename Fn>
  auto InTx(Fn&& fn) -> decltype(fn(std::declval<Conn&>())) {
    return WithConn([&](Conn& c) -> decltype(fn(c)) {
      Get(c, kBegin).RunAll();
      auto r = fn(c);
      if (r.ok()) {
        Get(c, kCommit).RunAll();
      } else {
        Rollback(c);
      }
      return r;
    });
  }

  /// Rolls back the open transaction; a failure leaves it to Repair() and keeps the caller's
  /// status.
  void Rollback(Conn& c) const {
    try {
      Get(c, kRollback).RunAll();
    } catch (...) {
      c.suspect = true;
    }
  }

  /// Rolls back whatever is left open, drops the prepared statements and reconnects when the
  /// connection no longer answers. Never throws.
  void Repair(Conn& c, size_t pos) {
    c.suspect = false;
    soci::session& sql = pool_.at(pos);
    try {
      sql << "ROLLBACK";
    } catch (...) {
      // No transaction was open, or the connection is gone.
    }
    for (auto& s : c.cache) s.reset();
    try {
      int one = 0;
      sql << "SELECT 1", soci::into(one);
      return;
    } catch (...) {
    }
    try {
      sql.reconnect();
      InitSession(sql);
    } catch (...) {
      c.suspect = true;  // try again next time
    }
  }

  static std::optional<TimePoint> MinTime(Stmt& st) {
    std::optional<TimePoint> out;
    if (st.Run()) out = RowReader(st.row()).OptTime();
    st.Drain();
    return out;
  }

  const SqlDialect dialect_;
  const std::string connect_string_;
  const StoreOptions options_;
  const Catalogue catalogue_;
  const size_t pool_size_;
  soci::connection_pool pool_;
  std::vector<Conn> conns_;
};

// ---------------------------------------------------------------------------------------------
// SqlTx.

SqlTx::SqlTx(const SqlStore& store, Conn& conn) : store_(store), conn_(conn) {}

Stmt& SqlTx::Get(Query q) { return store_.Get(conn_, q); }

Result<int64_t> SqlTx::UpsertContact(const std::string& channel, const CustomerRef& customer,
                                     TimePoint now) {
  return Guard([&]() -> Result<int64_t> {
    auto id = ops::ReturnedId(Get(kUpsertContact)
                                  .Text(channel)
                                  .Text(customer.key)
                                  .Text(customer.wa_id)
                                  .Text(customer.user_id)
                                  .Text(customer.name)
                                  .Time(now)
                                  .Time(now));
    if (!id) throw std::runtime_error("contact upsert returned no id");
    return *id;
  });
}

Result<std::optional<Session>> SqlTx::FindOpenSession(const std::string& channel,
                                                      const std::string& customer_key) {
  return Guard([&]() -> Result<std::optional<Session>> {
    return ops::OneSession(Get(kFindOpenSession).Text(channel).Text(customer_key));
  });
}

Result<std::optional<Session>> SqlTx::LockSession(int64_t session_id) {
  return Guard([&]() -> Result<std::optional<Session>> {
    return ops::OneSession(Get(kLockSession).Int(session_id));
  });
}

Result<Session> SqlTx::CreateSession(const NewSession& n) {
  return Guard([&]() -> Result<Session> {
    auto id = ops::ReturnedId(Get(kCreateSession)
                                  .Text(n.channel)
                                  .Int(n.contact_id)
                                  .Text(n.phone_number)
                                  .Text(n.customer_name)
                                  .Text(n.phone_number_id)
                                  .Time(n.created_at)
                                  .Time(n.expires_at)
                                  .OptTime(n.last_customer_message_at));
    if (!id) {
      return Status::Conflict("customer " + n.phone_number + " already has an open " + n.channel +
                              " session");
    }
    Session s;
    s.id = *id;
    s.channel = n.channel;
    s.contact_id = n.contact_id;
    s.phone_number = n.phone_number;
    s.customer_name = n.customer_name;
    s.phone_number_id = n.phone_number_id;
    s.status = SessionStatus::kWaiting;
    s.created_at = n.created_at;
    s.expires_at = n.expires_at;
    s.last_customer_message_at = n.last_customer_message_at;
    return s;
  });
}

Result<std::optional<Message>> SqlTx::InsertMessage(const Message& m) {
  return Guard([&]() -> Result<std::optional<Message>> {
    Message out = m;
    // An empty channel id means none: it must not collide with other empty ones.
    if (out.channel_message_id && out.channel_message_id->empty()) out.channel_message_id.reset();
    if (out.created_at == TimePoint{}) out.created_at = SystemClock().Now();
    std::optional<int64_t> code;
    std::optional<std::string> title;
    if (out.error) {
      code = out.error->code;
      title = out.error->title;
    }
    auto id = ops::ReturnedId(Get(kInsertMessage)
                                  .OptInt(out.session_id)
                                  .Int(out.contact_id)
                                  .Text(ToString(out.sender_type))
                                  .Text(out.sender_id)
                                  .Text(ToString(out.direction))
                                  .Text(out.type)
                                  .Text(out.content)
                                  .Text(out.metadata)
                                  .OptText(out.channel_message_id)
                                  .Text(ToString(out.delivery_status))
                                  .OptInt(code)
                                  .OptText(title)
                                  .Time(out.created_at));
    if (!id) return std::optional<Message>();
    out.id = *id;
    return std::optional<Message>(std::move(out));
  });
}

Status SqlTx::AttachRecentMessages(int64_t contact_id, int64_t session_id, TimePoint since) {
  return Guard([&]() -> Status {
    Get(kAttachRecentMessages).Int(session_id).Int(contact_id).Time(since).RunAll();
    return Status::Ok();
  });
}

Status SqlTx::ExtendSession(int64_t session_id, TimePoint last_customer_message_at,
                            TimePoint expires_at) {
  return Guard([&]() -> Status {
    Stmt& st = Get(kExtendSession)
                   .Time(last_customer_message_at)
                   .Time(last_customer_message_at)
                   .Time(expires_at)
                   .Time(expires_at)
                   .Int(session_id);
    st.RunAll();
    if (st.Affected() == 0) {
      return Status::NotFound("session " + std::to_string(session_id) + " not found");
    }
    return Status::Ok();
  });
}

Result<bool> SqlTx::AssignSession(int64_t session_id, int64_t agent_id, TimePoint now,
                                  bool allow_reassign) {
  return Guard([&]() -> Result<bool> {
    Stmt& st = Get(allow_reassign ? kReassignSession : kAssignSession)
                   .Int(agent_id)
                   .Time(now)
                   .Int(session_id);
    st.RunAll();
    return st.Affected() == 1;
  });
}

Result<bool> SqlTx::EndSession(int64_t session_id, EndReason reason, TimePoint now) {
  return Guard([&]() -> Result<bool> {
    Stmt& st = Get(kEndSession).Time(now).Text(ToString(reason)).Int(session_id);
    st.RunAll();
    return st.Affected() == 1;
  });
}

Result<int64_t> SqlTx::Enqueue(const OutboxItem& item) {
  return Guard([&]() -> Result<int64_t> {
    auto id = ops::ReturnedId(Get(kEnqueue)
                                  .OptInt(item.message_id)
                                  .Text(item.channel)
                                  .Text(item.phone_number_id)
                                  .Text(item.recipient)
                                  .Text(item.payload)
                                  .Int(int64_t{item.attempts})
                                  .Time(item.next_attempt_at)
                                  .Time(item.created_at));
    if (!id) throw std::runtime_error("outbox insert returned no id");
    return *id;
  });
}

Result<bool> SqlTx::ClaimWebhookKey(const std::string& key, TimePoint now) {
  return Guard([&]() -> Result<bool> {
    return ops::ReturnedId(Get(kClaimWebhookKey).Text(key).Time(now)).has_value();
  });
}

Result<std::optional<Message>> SqlTx::ApplyDeliveryStatus(
    const std::string& channel_message_id, DeliveryStatus status,
    const std::optional<MessageError>& error) {
  return Guard([&]() -> Result<std::optional<Message>> {
    std::optional<Message> m =
        ops::OneMessage(Get(kLockMessageByChannelId).Text(channel_message_id));
    if (!m || !IsDeliveryAdvance(m->delivery_status, status)) return std::optional<Message>();
    if (status == DeliveryStatus::kFailed) {
      std::optional<int64_t> code;
      std::optional<std::string> title;
      if (error) {
        code = error->code;
        title = error->title;
      }
      Get(kSetDeliveryFailed).OptInt(code).OptText(title).Int(m->id).RunAll();
      m->error = error;
    } else {
      Get(kSetDeliveryStatus).Text(ToString(status)).Int(m->id).RunAll();
    }
    m->delivery_status = status;
    return m;
  });
}

Result<std::optional<Agent>> SqlTx::GetAgent(int64_t agent_id) {
  return Guard([&]() -> Result<std::optional<Agent>> {
    return ops::OneAgent(Get(kGetAgent).Int(agent_id));
  });
}

Result<int64_t> SqlTx::AppendEvent(const EventRecord& e) {
  return Guard([&]() -> Result<int64_t> {
    auto id = ops::ReturnedId(ops::BindEvent(Get(kAppendEvent), e));
    if (!id) return Status::Internal("event insert returned no id");
    return *id;
  });
}

Result<std::optional<Agent>> SqlTx::SetAgentStatus(int64_t agent_id, AgentStatus status,
                                                   TimePoint now) {
  return Guard([&]() -> Result<std::optional<Agent>> {
    Get(kSetAgentStatus).Text(ToString(status)).Time(now).Int(agent_id).RunAll();
    return ops::OneAgent(Get(kGetAgent).Int(agent_id));
  });
}

// ---------------------------------------------------------------------------------------------
// SqlStore.

Result<AppendOutcome> SqlStore::AppendToOpenSession(
    const std::string& channel, const std::string& customer_key, const Message& m,
    std::optional<std::pair<TimePoint, TimePoint>> extend, const std::string& event_tail) {
  if (dialect_ != SqlDialect::kPostgres) {
    AppendOutcome out;
    Status st = Transact([&](StoreTx& tx) -> Status {
      auto open = tx.FindOpenSession(channel, customer_key);
      if (!open.ok()) return open.status();
      if (!open->has_value()) return Status::Ok();
      out.session_id = (*open)->id;
      Message row = m;
      row.session_id = (*open)->id;
      row.contact_id = (*open)->contact_id;
      auto inserted = tx.InsertMessage(row);
      if (!inserted.ok()) return inserted.status();
      if (!inserted->has_value()) return Status::Ok();
      out.message_id = (*inserted)->id;
      if (extend) {
        HANDOFFD_RETURN_IF_ERROR(tx.ExtendSession((*open)->id, extend->first, extend->second));
      }
      if (event_tail.empty()) return Status::Ok();
      const Session& s = **open;
      EventRecord e;
      e.type = "message.created";
      SetSessionAudience(e, s, false);
      e.data = "{\"id\":" + std::to_string(*out.message_id) +
               ",\"session_id\":" + std::to_string(s.id) + "," + event_tail;
      e.created_at = row.created_at;
      auto appended = tx.AppendEvent(e);
      return appended.ok() ? Status::Ok() : appended.status();
    });
    if (!st.ok()) return st;
    return out;
  }
  return WithConn([&](Conn& c) -> Result<AppendOutcome> {
    std::optional<std::string> wamid = m.channel_message_id;
    if (wamid && wamid->empty()) wamid.reset();
    const TimePoint created = m.created_at == TimePoint{} ? SystemClock().Now() : m.created_at;
    const TimePoint last = extend ? extend->first : TimePoint{};
    const TimePoint expires = extend ? extend->second : TimePoint{};
    Stmt& st = Get(c, kAppendToOpenSession)
                   .Text(channel)
                   .Text(customer_key)
                   .Text(ToString(m.sender_type))
                   .Text(m.sender_id)
                   .Text(ToString(m.direction))
                   .Text(m.type)
                   .Text(m.content)
                   .Text(m.metadata)
                   .OptText(wamid)
                   .Text(ToString(m.delivery_status))
                   .Time(created)
                   .Time(last)
                   .Time(last)
                   .Time(expires)
                   .Time(expires)
                   .Int(extend ? 1 : 0)
                   .Text(event_tail)
                   .Time(created)
                   .Int(event_tail.empty() ? 0 : 1);
    AppendOutcome out;
    if (st.Run()) {
      const auto& row = st.row();
      if (row.at(0).i != 0) out.session_id = row.at(0).i;
      if (row.at(1).i != 0) out.message_id = row.at(1).i;
    }
    st.Drain();
    return out;
  });
}

Status SqlStore::Transact(const std::function<Status(StoreTx&)>& fn) {
  return WithConn([&](Conn& c) -> Status {
    Get(c, kBegin).RunAll();
    SqlTx tx(*this, c);
    Status st;
    try {
      st = fn(tx);
    } catch (const std::exception& e) {
      st = Status::Internal(std::string("exception inside a transaction: ") + e.what());
    } catch (...) {
      st = Status::Internal("exception inside a transaction");
    }
    if (st.ok() && tx.failure()) st = *tx.failure();
    if (!st.ok()) {
      Rollback(c);
      return st;
    }
    Get(c, kCommit).RunAll();
    return Status::Ok();
  });
}

Result<SessionPage> SqlStore::QuerySessions(const SessionQuery& q) {
  return WithConn([&](Conn& c) -> Result<SessionPage> {
    // The WHERE clause is assembled from fixed fragments; every value is a bound parameter.
    std::string where = " WHERE 1 = 1";
    std::string kinds;
    if (q.agent_id) {
      where += " AND s.agent_id = :agent";
      kinds += 'i';
    }
    if (q.status) {
      where += " AND s.status = :status";
      kinds += 't';
    }
    std::string pattern;
    if (q.search) {
      pattern = "%" + EscapeLike(*q.search) + "%";
      where +=
          " AND (LOWER(s.phone_number) LIKE LOWER(:search1) ESCAPE '\\'"
          " OR LOWER(s.customer_name) LIKE LOWER(:search2) ESCAPE '\\')";
      kinds += "tt";
    }
    if (q.created_from) {
      where += " AND s.created_at >= :from";
      kinds += 'i';
    }
    if (q.created_before) {
      where += " AND s.created_at < :before";
      kinds += 'i';
    }
    auto bind = [&](Stmt& st) {
      if (q.agent_id) st.Int(*q.agent_id);
      if (q.status) st.Text(ToString(*q.status));
      if (q.search) st.Text(pattern).Text(pattern);
      if (q.created_from) st.Time(*q.created_from);
      if (q.created_before) st.Time(*q.created_before);
    };

    SessionPage page;
    {
      Stmt count(*c.sql, "SELECT COUNT(*) FROM agent_sessions s" + where, kinds, "i", false);
      bind(count);
      if (count.Run()) page.total = count.row().at(0).i;
      count.Drain();
    }
    Stmt list(*c.sql,
              "SELECT " + SelectList(kSessionCols) +
                  " FROM agent_sessions s LEFT JOIN agents a ON a.id = s.agent_id" + where +
                  " ORDER BY s.created_at DESC, s.id DESC LIMIT :limit OFFSET :offset",
              kinds + "ii", Kinds(kSessionCols), false);
    bind(list);
    list.Int(int64_t{std::max(0, q.limit)}).Int(int64_t{std::max(0, q.offset)});
    page.sessions = ops::AllSessions(list);
    return page;
  });
}

Result<std::vector<OutboxItem>> SqlStore::ClaimOutbox(TimePoint now, int limit, Duration lease) {
  auto claim = [&](Conn& c) -> Result<std::vector<OutboxItem>> {
    std::vector<OutboxItem> out;
    Stmt& st =
        Get(c, kClaimOutbox).Time(now + lease).Time(now).Time(now).Int(int64_t{std::max(0, limit)});
    for (bool row = st.Run(); row; row = st.Fetch()) out.push_back(ReadOutbox(st.row()));
    // RETURNING gives no order.
    std::sort(out.begin(), out.end(), [](const OutboxItem& a, const OutboxItem& b) {
      return std::tie(a.next_attempt_at, a.id) < std::tie(b.next_attempt_at, b.id);
    });
    return out;
  };
  // PostgreSQL: one statement, SKIP LOCKED keeps concurrent claimers apart. SQLite: the write
  // lock of BEGIN IMMEDIATE does.
  if (dialect_ == SqlDialect::kPostgres) return WithConn(claim);
  return InTx(claim);
}

Result<std::unique_ptr<LeaderLock>> SqlStore::TryAcquireLeadership(const std::string& job) {
  if (dialect_ == SqlDialect::kSqlite) {
    return std::unique_ptr<LeaderLock>(std::make_unique<SqliteLeaderLock>());
  }
  try {
    auto sql = std::make_unique<soci::session>(soci::postgresql, connect_string_);
    QuietNotices(*sql);
    long long key = LockKey("handoffd:leader:" + job);
    int got = 0;
    *sql << "SELECT CASE WHEN pg_try_advisory_lock(:key) THEN 1 ELSE 0 END", soci::use(key),
        soci::into(got);
    if (got != 1) return std::unique_ptr<LeaderLock>();
    return std::unique_ptr<LeaderLock>(std::make_unique<PgLeaderLock>(std::move(sql), key));
  } catch (...) {
    return StatusFromCurrentException();
  }
}

/// The statements of a migration file: split at ";" ending a line; "--" comment lines dropped.
std::vector<std::string> SplitStatements(const std::string& sql) {
  std::vector<std::string> out;
  std::string current;
  size_t start = 0;
  while (start <= sql.size()) {
    size_t end = sql.find('\n', start);
    if (end == std::string::npos) end = sql.size();
    std::string line = sql.substr(start, end - start);
    start = end + 1;
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
    const size_t first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line.compare(first, 2, "--") == 0) continue;
    const bool last = line.back() == ';';
    if (last) line.pop_back();
    if (!current.empty()) current += '\n';
    current += line;
    if (last) {
      out.push_back(std::move(current));
      current.clear();
    }
  }
  if (current.find_first_not_of(" \t\n") != std::string::npos) out.push_back(std::move(current));
  return out;
}

Result<std::vector<std::string>> SqlStore::Migrate() {
  return WithConn([&](Conn& c) -> Result<std::vector<std::string>> {
    soci::session& sql = *c.sql;
    const bool pg = dialect_ == SqlDialect::kPostgres;
    long long lock_key = LockKey("handoffd:migrate");
    // Two instances starting together: the advisory lock serialises them on PostgreSQL, the
    // write lock of BEGIN IMMEDIATE on SQLite.
    auto begin = [&] {
      Get(c, kBegin).RunAll();
      if (pg) sql << "SELECT pg_advisory_xact_lock(:key)", soci::use(lock_key);
    };
    begin();
    sql << "CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY,"
           " applied_at BIGINT NOT NULL)";
    Get(c, kCommit).RunAll();

    std::vector<std::string> applied;
    for (const EmbeddedMigration& m : EmbeddedMigrations()) {
      if (m.dialect != DialectName(dialect_)) continue;
      begin();
      long long done = 0;
      std::string version = m.version;
      sql << "SELECT COUNT(*) FROM schema_migrations WHERE version = :version", soci::use(version),
          soci::into(done);
      if (done == 0) {
        for (const std::string& statement : SplitStatements(m.sql)) sql << statement;
        long long now = ToUnixMillis(SystemClock().Now());
        sql << "INSERT INTO schema_migrations (version, applied_at) VALUES (:version, :now)",
            soci::use(version), soci::use(now);
        applied.push_back(m.version);
      }
      Get(c, kCommit).RunAll();
    }
    return applied;
  });
}

}  // namespace

Result<std::unique_ptr<Store>> OpenStore(const StoreOptions& options) {
  const std::string& url = options.url;
  SqlDialect dialect;
  std::string connect;
  if (url.rfind("sqlite:", 0) == 0) {
    dialect = SqlDialect::kSqlite;
    const std::string path = url.substr(7);
    if (path.empty()) return Status::BadRequest("database url 'sqlite:' needs a file path");
    if (path.find('"') != std::string::npos) {
      return Status::BadRequest("database path must not contain '\"'");
    }
    const std::filesystem::path parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) {
      std::error_code ec;
      std::filesystem::create_directories(parent, ec);
      if (ec) {
        return Status::Unavailable("cannot create database directory " + parent.string() + ": " +
                                   ec.message());
      }
    }
    const auto seconds =
        std::max<int64_t>(1, std::chrono::ceil<std::chrono::seconds>(options.busy_timeout).count());
    const bool quote = path.find_first_of(" \t") != std::string::npos;
    connect = "db=" + (quote ? "\"" + path + "\"" : path) + " timeout=" + std::to_string(seconds);
  } else if (url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0) {
    dialect = SqlDialect::kPostgres;
    if (url.find_first_of(" \t\n") != std::string::npos) {
      return Status::BadRequest("a PostgreSQL URI cannot contain spaces (percent-encode them)");
    }
    connect = SociPostgresConnectString(url);
  } else {
    return Status::BadRequest("unsupported database url (want sqlite:PATH or postgresql://...)");
  }
  auto store = std::make_unique<SqlStore>(dialect, connect, options);
  Status st = store->Connect();
  if (!st.ok()) return st;
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace handoffd
