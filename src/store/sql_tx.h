// Internal to src/store: do not include from outside the store layer (it brings in SOCI).
//
// SqlTx: the StoreTx of a SqlStore transaction, running the catalogue's statements on the one
// leased connection that holds the transaction open. The first database error is remembered so
// that Store::Transact rolls back even when the callback ignores it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "store/connection_pool.h"
#include "store/sql_catalogue.h"
#include "store/sql_statement.h"
#include "store/store.h"

namespace handoffd::sqlstore {

class SqlTx final : public StoreTx {
 public:
  /// `conn` is leased from `pool` and already inside a transaction.
  SqlTx(const ConnectionPool& pool, Conn& conn, const Clock& clock);

  /// The first database error seen, if any (the transaction must then roll back).
  const std::optional<Status>& failure() const { return failure_; }

  Result<int64_t> UpsertContact(const std::string& channel, const CustomerRef& customer,
                                TimePoint now) override;
  Result<std::optional<Session>> FindOpenSession(const std::string& channel,
                                                 const std::string& customer_key) override;
  Result<std::optional<Session>> LockSession(int64_t session_id) override;
  Result<Session> CreateSession(const NewSession& s) override;
  Result<std::optional<Message>> InsertMessage(const Message& m) override;
  Result<AppendOutcome> AppendToOpenSession(const std::string& channel,
                                            const std::string& customer_key, const Message& m,
                                            std::optional<std::pair<TimePoint, TimePoint>> extend,
                                            const std::string& event_tail) override;
  Result<std::vector<AppendOutcome>> AppendToOpenSessions(
      const std::vector<OpenSessionAppend>& items) override;
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
  Result<int64_t> SetReadPosition(int64_t agent_id, int64_t session_id, int64_t message_id,
                                  TimePoint now) override;
  Result<int> EndDueSessions(TimePoint now, int limit) override;
  Result<std::vector<EndedSession>> TakeExpiryNotices(int limit) override;
  Result<std::vector<int64_t>> MarkWindowWarnings(TimePoint now, Duration lead, int limit) override;
  Result<std::vector<Message>> InsertMessages(const std::vector<Message>& messages) override;
  Result<std::vector<int64_t>> AdvanceVisitorDelivery(int64_t session_id, int64_t up_to_message_id,
                                                      DeliveryStatus status) override;
  Result<std::optional<Message>> GetMessage(int64_t id) override;
  Status EnqueueMany(const std::vector<OutboxItem>& items) override;
  Status AppendEvents(const std::vector<EventRecord>& events) override;
  // sql_tx_routing.cc
  Result<std::optional<Agent>> LockAgent(int64_t agent_id) override;
  Result<bool> IsTeamMember(int64_t team_id, int64_t agent_id) override;
  Result<std::optional<std::pair<int64_t, int>>> FindTrigger(const std::string& id) override;
  Result<std::optional<int64_t>> FindTeamBySlug(const std::string& slug) override;
  Result<bool> RequeueSession(int64_t session_id, int64_t team_id, TimePoint queue_order) override;
  Status RecordDecline(int64_t session_id, int64_t agent_id, TimePoint now) override;
  Status SetSessionPriority(int64_t session_id, int priority) override;
  Result<bool> AgentReplied(int64_t session_id, TimePoint since) override;
  Result<RoutingState> LockRoutingState(TimePoint presence_cutoff, int per_team_limit) override;
  Result<std::vector<Session>> AssignSessions(const std::vector<PlannedAssignment>& plan,
                                              TimePoint now) override;
  Result<std::vector<Session>> LockLeaseDue(TimePoint cutoff, int limit) override;
  Result<std::vector<std::pair<Session, std::optional<int64_t>>>> LockQueueNotices(
      bool updates, TimePoint told_before, int limit) override;
  Status MarkQueueTold(int64_t session_id, int64_t position, TimePoint now) override;
  Result<std::optional<Message>> FindIdempotentMessage(int64_t session_id,
                                                       const std::string& key) override;
  Status SetIdempotencyKey(int64_t message_id, const std::optional<std::string>& key) override;
  Result<std::optional<Message>> LastInboundMessage(int64_t session_id) override;
  Result<std::optional<Message>> UpdateMedia(int64_t message_id, const std::string& metadata,
                                             const std::string& state, int attempts,
                                             std::optional<TimePoint> next_at) override;
  Result<bool> SetSessionLabels(int64_t session_id,
                                const std::vector<std::string>& labels) override;
  Status MarkCsatAsked(int64_t session_id, TimePoint now) override;
  Result<std::optional<Session>> FindCsatSession(const std::string& channel,
                                                 const std::string& customer_key,
                                                 TimePoint asked_since) override;
  Status SetCsatScore(int64_t session_id, int score, TimePoint now) override;
  Status SetCsatComment(int64_t session_id, const std::string& comment) override;
  Result<int64_t> LockIntegrationCursor(const std::string& hook, int64_t initial,
                                        TimePoint now) override;
  Status SetIntegrationCursor(const std::string& hook, int64_t last_event_id,
                              TimePoint now) override;
  Result<std::vector<EventRecord>> ListEventsInTx(int64_t after_id, int64_t up_to_id,
                                                  int limit) override;

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

  const ConnectionPool& pool_;
  Conn& conn_;
  const Clock& clock_;
  std::optional<Status> failure_;
};

}  // namespace handoffd::sqlstore
