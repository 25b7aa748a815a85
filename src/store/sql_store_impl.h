// Internal to src/store: do not include from outside the store layer (it brings in SOCI).
//
// SqlStore: the Store (store.h) over SOCI, one implementation for SQLite and PostgreSQL, built
// by OpenStore(). Its methods are defined by concept in sql_store.cc (set-up, transactions, the
// webhook fast path, migrations, leadership, housekeeping), sql_store_sessions.cc (sessions,
// messages, expiry), sql_store_agents.cc (agents and tokens) and sql_store_outbox.cc (outbox
// and events).
//
// Every value is bound as a parameter; the fixed statements are in the catalogue
// (sql_catalogue.h), prepared once per pooled connection (connection_pool.h).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "store/connection_pool.h"
#include "store/pg_notify.h"
#include "store/store.h"

namespace handoffd::sqlstore {

class SqlStore final : public Store {
 public:
  /// `clock` must outlive the store.
  SqlStore(SqlDialect dialect, std::string connect_string, const StoreOptions& options,
           const Clock& clock);

  /// Opens every pooled connection.
  Status Connect() { return pool_.Connect(); }

  std::string Dialect() const override;
  Result<std::vector<std::string>> Migrate() override;
  Status Ping() override;
  Status Transact(const std::function<Status(StoreTx&)>& fn) override;
  Result<AppendOutcome> AppendToOpenSession(const std::string& channel,
                                            const std::string& customer_key, const Message& m,
                                            std::optional<std::pair<TimePoint, TimePoint>> extend,
                                            const std::string& event_tail) override;

  // sql_store_sessions.cc
  Result<std::optional<Session>> GetSession(int64_t id) override;
  Result<std::vector<Session>> ListWaiting() override;
  Result<std::vector<Session>> ListWaitingOn(const std::string& channel) override;
  Result<std::vector<Session>> ListActiveForAgent(int64_t agent_id) override;
  Result<SessionPage> QuerySessions(const SessionQuery& q) override;
  Result<std::map<std::string, int64_t>> CountSessionsByStatus() override;
  Result<std::vector<Message>> ListMessages(int64_t session_id, int64_t after_id,
                                            int limit) override;
  Result<std::optional<Message>> GetMessage(int64_t id) override;
  Result<std::vector<Session>> ListDueSessions(TimePoint now, int limit) override;
  Result<std::optional<TimePoint>> NextExpiry() override;
  Result<std::optional<TimePoint>> NextWindowWarning(TimePoint now, Duration lead) override;
  Result<std::vector<Session>> ListCustomerSessions(int64_t contact_id, int64_t before_session_id,
                                                    int limit) override;
  Result<std::map<int64_t, int64_t>> ListReadPositions(int64_t agent_id) override;
  Result<std::map<int64_t, int64_t>> CountUnread(int64_t agent_id) override;

  // sql_store_agents.cc
  Result<Agent> CreateAgent(const Agent& a) override;
  Result<std::optional<Agent>> GetAgent(int64_t id) override;
  Result<std::optional<Agent>> GetAgentByEmail(const std::string& email) override;
  Result<std::vector<Agent>> ListAgents() override;
  Status CreateToken(const std::string& token_hash, int64_t agent_id, TimePoint created_at,
                     TimePoint expires_at) override;
  Result<std::optional<Agent>> FindAgentByToken(const std::string& token_hash,
                                                TimePoint now) override;
  Status DeleteToken(const std::string& token_hash) override;
  Status TouchAgent(int64_t agent_id, TimePoint now) override;

  // sql_store_outbox.cc
  Result<std::vector<OutboxItem>> ClaimOutbox(TimePoint now, int limit, Duration lease) override;
  Result<std::optional<TimePoint>> NextOutboxDue() override;
  Result<std::optional<Message>> CompleteOutbox(const OutboxItem& item,
                                                const std::string& channel_message_id,
                                                const MessageEventFn& event) override;
  Result<std::optional<Message>> FailOutbox(const OutboxItem& item, const MessageError& error,
                                            const MessageEventFn& event) override;
  Status RetryOutbox(const OutboxItem& item, TimePoint next_attempt_at,
                     const std::string& last_error) override;
  Status BeginOutboxAttempt(const OutboxItem& item, TimePoint now, TimePoint lease_until) override;
  Status RenewOutboxLeases(const std::vector<int64_t>& ids, TimePoint lease_until) override;
  Status ReleaseOutbox(const std::vector<int64_t>& ids) override;
  Result<std::vector<OutboxItem>> ListOutbox(int64_t after_id, int limit) override;
  Result<std::vector<MediaFetch>> ClaimMediaFetches(TimePoint now, int limit,
                                                    Duration lease) override;
  Result<std::vector<EventRecord>> ListEvents(int64_t after_id, int64_t up_to_id,
                                              int limit) override;
  Result<std::pair<int64_t, int64_t>> EventIdRange() override;
  Result<int64_t> PruneEvents(TimePoint before) override;
  Result<std::vector<CannedResponse>> ListCannedResponses() override;
  Result<std::optional<CannedResponse>> GetCannedResponse(int64_t id) override;
  Result<CannedResponse> CreateCannedResponse(const CannedResponse& c) override;
  Result<std::optional<CannedResponse>> UpdateCannedResponse(const CannedResponse& c) override;
  Result<bool> DeleteCannedResponse(int64_t id) override;
  Result<std::vector<ReportRow>> Report(const ReportQuery& q) override;

  // sql_store_teams.cc
  Result<Team> CreateTeam(const Team& t) override;
  Result<Team> UpdateTeam(const Team& t) override;
  Result<std::vector<Team>> ListTeams() override;
  Status SetTeamMember(int64_t team_id, int64_t agent_id, bool member) override;
  Result<std::vector<std::pair<int64_t, int64_t>>> ListTeamMembers() override;
  Result<std::vector<Duration>> RecentWaits(int64_t team_id, TimePoint since, int limit) override;
  Result<std::vector<TeamQueueStats>> QueueStatsByTeam() override;

  Result<std::unique_ptr<LeaderLock>> TryAcquireLeadership(const std::string& job) override;
  void Announce(Change what) override;
  Result<std::unique_ptr<Listening>> Listen(std::function<void(Change)> on_change) override;
  Result<int64_t> Prune(TimePoint before, TimePoint now) override;
  // sql_store_webchat.cc
  Result<Visitor> CreateVisitor(const NewVisitor& v) override;
  Result<std::optional<Visitor>> FindVisitorByToken(const std::string& token_hash) override;
  Result<std::vector<Message>> ListUnattachedMessages(int64_t contact_id, int limit) override;
  Result<OfflineMessage> CreateOfflineMessage(const OfflineMessage& m) override;
  Result<std::vector<OfflineMessage>> ListOfflineMessages(std::optional<bool> handled,
                                                          int64_t before_id, int limit) override;
  Result<std::optional<OfflineMessage>> MarkOfflineMessageHandled(int64_t id, int64_t agent_id,
                                                                  TimePoint now) override;

 private:
  Stmt& Get(Conn& c, Query q) const { return pool_.Get(c, q); }
  /// Writes t's trigger ids (after removing the old ones); kConflict when one is taken.
  Status WriteTriggers(Conn& c, const Team& t);
  /// Reads the updated message and writes its event, inside the caller's transaction.
  std::optional<Message> FinishOutbox(Conn& c, const OutboxItem& item, const MessageEventFn& event);

  const SqlDialect dialect_;
  const Clock& clock_;
  /// Identifies this store's outbox leases (outbox.lease_owner): random, one per SqlStore.
  const std::string lease_owner_;
  ConnectionPool pool_;
  // PostgreSQL only (pg_notify.h); the listener is made by the first Listen().
  std::unique_ptr<PgNotifier> notifier_;
  std::mutex listener_mu_;
  std::unique_ptr<PgListener> listener_;
};

}  // namespace handoffd::sqlstore
