// Session actions taken by people (dashboard) and by the scheduler: start, assign, end, reply,
// expire. Each runs in one transaction and enforces the rules of API.md "Agent sessions".
// Thread-safe.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "domain/agent.h"
#include "domain/message.h"
#include "domain/session.h"
#include "metrics/metrics.h"
#include "store/store.h"

namespace handoffd {

struct SessionServiceOptions {
  Duration session_ttl = std::chrono::hours(22);
  /// Business number for sessions started from the dashboard (whatsapp.phone_number_id).
  std::string default_phone_number_id;
  std::string agent_joined_text = "You are now chatting with {agent_name}.";
  std::string ended_text;
  std::string expired_text;
  /// CSAT (csat.enabled): the rating question after an agent's or supervisor's end (csat.h).
  bool csat_enabled = false;
  std::string csat_question = "How would you rate this chat?";
  /// Called after a commit that queued outbox items.
  std::function<void()> on_outbox;
  /// Called after a commit that opened a session.
  std::function<void()> on_session_opened;
  /// Called after every commit (each writes real-time events).
  std::function<void()> on_events;
  /// Called after a commit that freed an agent's capacity (a chat ended): routing may assign.
  std::function<void()> on_capacity_freed;
  /// Wait and first-response histograms (null: not observed). Not owned.
  Metrics* metrics = nullptr;
};

/// Outcome of ending one due session.
struct ExpireOutcome {
  bool expired = false;   // false: no longer open or no longer due (extended meanwhile)
  bool notified = false;  // the expired text was queued to the customer
};

/// A session ended by expiry whose notice SessionService::NotifyExpired wrote.
struct ExpiredSession {
  Session session;        // as stored now: ended, ended_at = its expires_at
  bool notified = false;  // the expired text was queued to the customer
};

/// Inside a transaction holding `s` locked: kNotMember when `target` (an agent, not a
/// supervisor/admin) is outside the session's team; then locks the target's row and returns
/// kAtCapacity when it already holds max_chats active chats (unless `force`). Every path that
/// gives an agent a chat calls this (accept, assign, transfer; auto-assignment plans under the
/// same locks).
Status CheckCanTake(StoreTx& tx, const Session& s, const Agent& target, bool force);

class SessionService {
 public:
  SessionService(Store& store, const Clock& clock, SessionServiceOptions options);

  /// Opens a waiting session for `phone_number` (6-15 digits, else kBadRequest) with
  /// expires_at = now + TTL; nothing is sent. kConflict if the customer has an open session.
  Result<Session> Start(const std::string& phone_number, const Agent& actor);
  /// The session if `reader` may read it (and its messages): supervisors/admins any; agents
  /// waiting sessions, sessions assigned to them, and the earlier sessions of a customer whose
  /// open session they may read (a returning customer's previous conversations). kNotFound for
  /// an unknown session, kForbidden otherwise. Read-only: writes check their own rules.
  Result<Session> Readable(int64_t session_id, const Agent& reader);
  /// The earlier sessions of the customer of `session_id` (newest first, at most 20), when
  /// `reader` may read that session (same errors as Readable).
  Result<std::vector<Session>> Previous(int64_t session_id, const Agent& reader);
  /// Stores that `reader` has read `session_id` up to `message_id` (only ever forward) and tells
  /// the reader's other tabs and devices (event read.updated {"session_id","message_id"}, to that
  /// agent only). Same errors as Readable; kBadRequest for a message id below 1.
  Status MarkRead(int64_t session_id, const Agent& reader, int64_t message_id);

  /// Assigns the session to `agent_id` (default: the actor). Agents may assign only themselves
  /// (kForbidden); kConflict unless waiting, except that supervisors/admins may reassign an active
  /// one by naming `agent_id`; kNotFound for an unknown session or target agent. Of concurrent
  /// calls exactly one wins; the losers get kConflict "session N was taken by NAME". Queues the
  /// agent_joined text. kNotMember when the target is an agent outside the session's team;
  /// kAtCapacity when the target already holds max_chats active chats, unless `force` (only
  /// supervisors/admins may force: kForbidden otherwise).
  Result<Session> Assign(int64_t session_id, const Agent& actor, std::optional<int64_t> agent_id,
                         bool force = false);

  /// Ends the session (end_reason agent for its assigned agent, supervisor for a
  /// supervisor/admin); kForbidden for anyone else; kConflict if already ended.
  Result<Session> End(int64_t session_id, const Agent& actor);

  /// Queues an agent reply. kBadRequest when empty or over 4096 code points; kConflict unless the
  /// session is active and assigned to the actor (supervisor/admin: any active session).
  Result<Message> Reply(int64_t session_id, const Agent& actor, const std::string& content);

  /// Ends `session_id` with end_reason expired if it is still open and due at `now`, and queues
  /// the expired text.
  Result<ExpireOutcome> Expire(int64_t session_id, TimePoint now);

  /// Expiry, phase 1: ends up to `limit` sessions due at `now` (earliest deadline first), each at
  /// its own expires_at, in one transaction of one statement, and leaves their notices pending
  /// for NotifyExpired (persisted: a crash in between loses none). Sessions locked by a
  /// concurrent writer are left for the next sweep. Returns how many it ended.
  Result<int> EndDue(TimePoint now, int limit);

  /// Expiry, phase 2: for up to `limit` sessions ended by EndDue whose notice is pending
  /// (earliest deadline first), writes in one transaction of a few set-based statements the rows
  /// Expire() writes for one, each at the session's own expires_at: the session.ended event, the
  /// "Chat expired" note and its message.created, the expired text (if configured), its outbox
  /// item and its message.created. Returns those sessions.
  Result<std::vector<ExpiredSession>> NotifyExpired(int limit);

 private:
  Result<Session> Reload(int64_t session_id);
  void Committed(bool outbox);

  Store& store_;
  const Clock& clock_;
  SessionServiceOptions options_;
};

}  // namespace handoffd
