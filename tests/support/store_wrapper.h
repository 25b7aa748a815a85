// Store and StoreTx decorators that forward every call to a wrapped object (test-only), in the
// spirit of leveldb's EnvWrapper: subclass and override only what the test changes (see
// failing_store.h). A new Store method needs one forwarder here, and every wrapper gets it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "store/store.h"

namespace handoffd::testing {

class StoreTxWrapper : public StoreTx {
 public:
  explicit StoreTxWrapper(StoreTx& target) : target_(target) {}
  StoreTx& target() const { return target_; }

  Result<int64_t> UpsertContact(const std::string& channel, const CustomerRef& customer,
                                TimePoint now) override {
    return target_.UpsertContact(channel, customer, now);
  }
  Result<std::optional<Session>> FindOpenSession(const std::string& channel,
                                                 const std::string& customer_key) override {
    return target_.FindOpenSession(channel, customer_key);
  }
  Result<std::optional<Session>> LockSession(int64_t session_id) override {
    return target_.LockSession(session_id);
  }
  Result<Session> CreateSession(const NewSession& s) override { return target_.CreateSession(s); }
  Result<std::optional<Message>> InsertMessage(const Message& m) override {
    return target_.InsertMessage(m);
  }
  Result<AppendOutcome> AppendToOpenSession(const std::string& channel,
                                            const std::string& customer_key, const Message& m,
                                            std::optional<std::pair<TimePoint, TimePoint>> extend,
                                            const std::string& event_tail) override {
    return target_.AppendToOpenSession(channel, customer_key, m, extend, event_tail);
  }
  Result<std::vector<AppendOutcome>> AppendToOpenSessions(
      const std::vector<OpenSessionAppend>& items) override {
    return target_.AppendToOpenSessions(items);
  }
  Status AttachRecentMessages(int64_t contact_id, int64_t session_id, TimePoint since) override {
    return target_.AttachRecentMessages(contact_id, session_id, since);
  }
  Status ExtendSession(int64_t session_id, TimePoint last_customer_message_at,
                       TimePoint expires_at) override {
    return target_.ExtendSession(session_id, last_customer_message_at, expires_at);
  }
  Result<bool> AssignSession(int64_t session_id, int64_t agent_id, TimePoint now,
                             bool allow_reassign) override {
    return target_.AssignSession(session_id, agent_id, now, allow_reassign);
  }
  Result<bool> EndSession(int64_t session_id, EndReason reason, TimePoint now) override {
    return target_.EndSession(session_id, reason, now);
  }
  Result<int64_t> Enqueue(const OutboxItem& item) override { return target_.Enqueue(item); }
  Result<bool> ClaimWebhookKey(const std::string& key, TimePoint now) override {
    return target_.ClaimWebhookKey(key, now);
  }
  Result<std::optional<Message>> ApplyDeliveryStatus(
      const std::string& channel_message_id, DeliveryStatus status,
      const std::optional<MessageError>& error) override {
    return target_.ApplyDeliveryStatus(channel_message_id, status, error);
  }
  Result<std::optional<Agent>> GetAgent(int64_t agent_id) override {
    return target_.GetAgent(agent_id);
  }
  Result<int64_t> AppendEvent(const EventRecord& event) override {
    return target_.AppendEvent(event);
  }
  Result<std::optional<Agent>> SetAgentStatus(int64_t agent_id, AgentStatus status,
                                              TimePoint now) override {
    return target_.SetAgentStatus(agent_id, status, now);
  }
  Result<int64_t> SetReadPosition(int64_t agent_id, int64_t session_id, int64_t message_id,
                                  TimePoint now) override {
    return target_.SetReadPosition(agent_id, session_id, message_id, now);
  }
  Result<int> EndDueSessions(TimePoint now, int limit) override {
    return target_.EndDueSessions(now, limit);
  }
  Result<std::vector<EndedSession>> TakeExpiryNotices(int limit) override {
    return target_.TakeExpiryNotices(limit);
  }
  Result<std::vector<int64_t>> MarkWindowWarnings(TimePoint now, Duration lead,
                                                  int limit) override {
    return target_.MarkWindowWarnings(now, lead, limit);
  }
  Result<std::vector<Message>> InsertMessages(const std::vector<Message>& messages) override {
    return target_.InsertMessages(messages);
  }
  Status EnqueueMany(const std::vector<OutboxItem>& items) override {
    return target_.EnqueueMany(items);
  }
  Status AppendEvents(const std::vector<EventRecord>& events) override {
    return target_.AppendEvents(events);
  }
  Result<std::optional<Agent>> LockAgent(int64_t agent_id) override {
    return target_.LockAgent(agent_id);
  }
  Result<bool> IsTeamMember(int64_t team_id, int64_t agent_id) override {
    return target_.IsTeamMember(team_id, agent_id);
  }
  Result<std::optional<std::pair<int64_t, int>>> FindTrigger(const std::string& id) override {
    return target_.FindTrigger(id);
  }
  Result<std::optional<int64_t>> FindTeamBySlug(const std::string& slug) override {
    return target_.FindTeamBySlug(slug);
  }
  Result<bool> RequeueSession(int64_t session_id, int64_t team_id, TimePoint queue_order) override {
    return target_.RequeueSession(session_id, team_id, queue_order);
  }
  Status RecordDecline(int64_t session_id, int64_t agent_id, TimePoint now) override {
    return target_.RecordDecline(session_id, agent_id, now);
  }
  Status SetSessionPriority(int64_t session_id, int priority) override {
    return target_.SetSessionPriority(session_id, priority);
  }
  Result<bool> AgentReplied(int64_t session_id, TimePoint since) override {
    return target_.AgentReplied(session_id, since);
  }
  Result<RoutingState> LockRoutingState(TimePoint presence_cutoff, int per_team_limit) override {
    return target_.LockRoutingState(presence_cutoff, per_team_limit);
  }
  Result<std::vector<Session>> AssignSessions(const std::vector<PlannedAssignment>& plan,
                                              TimePoint now) override {
    return target_.AssignSessions(plan, now);
  }
  Result<std::vector<Session>> LockLeaseDue(TimePoint cutoff, int limit) override {
    return target_.LockLeaseDue(cutoff, limit);
  }
  Result<std::vector<std::pair<Session, std::optional<int64_t>>>> LockQueueNotices(
      bool updates, TimePoint told_before, int limit) override {
    return target_.LockQueueNotices(updates, told_before, limit);
  }
  Status MarkQueueTold(int64_t session_id, int64_t position, TimePoint now) override {
    return target_.MarkQueueTold(session_id, position, now);
  }
  Result<std::vector<int64_t>> AdvanceVisitorDelivery(int64_t session_id, int64_t up_to_message_id,
                                                      DeliveryStatus status) override {
    return target_.AdvanceVisitorDelivery(session_id, up_to_message_id, status);
  }
  Result<std::optional<Message>> GetMessage(int64_t id) override { return target_.GetMessage(id); }
  Result<bool> SetSessionLabels(int64_t session_id,
                                const std::vector<std::string>& labels) override {
    return target_.SetSessionLabels(session_id, labels);
  }
  Status MarkCsatAsked(int64_t session_id, TimePoint now) override {
    return target_.MarkCsatAsked(session_id, now);
  }
  Result<std::optional<Session>> FindCsatSession(const std::string& channel,
                                                 const std::string& customer_key,
                                                 TimePoint asked_since) override {
    return target_.FindCsatSession(channel, customer_key, asked_since);
  }
  Status SetCsatScore(int64_t session_id, int score, TimePoint now) override {
    return target_.SetCsatScore(session_id, score, now);
  }
  Status SetCsatComment(int64_t session_id, const std::string& comment) override {
    return target_.SetCsatComment(session_id, comment);
  }
  Result<int64_t> LockIntegrationCursor(const std::string& hook, int64_t initial,
                                        TimePoint now) override {
    return target_.LockIntegrationCursor(hook, initial, now);
  }
  Status SetIntegrationCursor(const std::string& hook, int64_t last_event_id,
                              TimePoint now) override {
    return target_.SetIntegrationCursor(hook, last_event_id, now);
  }
  Result<std::vector<EventRecord>> ListEventsInTx(int64_t after_id, int64_t up_to_id,
                                                  int limit) override {
    return target_.ListEventsInTx(after_id, up_to_id, limit);
  }

 private:
  StoreTx& target_;
  Result<std::optional<Message>> FindIdempotentMessage(int64_t session_id,
                                                       const std::string& key) override {
    return target_.FindIdempotentMessage(session_id, key);
  }
  Status SetIdempotencyKey(int64_t message_id, const std::optional<std::string>& key) override {
    return target_.SetIdempotencyKey(message_id, key);
  }
  Result<std::optional<Message>> LastInboundMessage(int64_t session_id) override {
    return target_.LastInboundMessage(session_id);
  }
  Result<std::optional<Message>> UpdateMedia(int64_t message_id, const std::string& metadata,
                                             const std::string& state, int attempts,
                                             std::optional<TimePoint> next_at) override {
    return target_.UpdateMedia(message_id, metadata, state, attempts, next_at);
  }
};

class StoreWrapper : public Store {
 public:
  explicit StoreWrapper(Store& target) : target_(target) {}
  Store& target() const { return target_; }

  std::string Dialect() const override { return target_.Dialect(); }
  Result<std::vector<std::string>> Migrate() override { return target_.Migrate(); }
  Status Ping() override { return target_.Ping(); }
  Status Transact(const std::function<Status(StoreTx&)>& fn) override {
    return target_.Transact(fn);
  }
  Result<AppendOutcome> AppendToOpenSession(const std::string& channel,
                                            const std::string& customer_key, const Message& m,
                                            std::optional<std::pair<TimePoint, TimePoint>> extend,
                                            const std::string& event_tail) override {
    return target_.AppendToOpenSession(channel, customer_key, m, extend, event_tail);
  }

  Result<std::optional<Session>> GetSession(int64_t id) override { return target_.GetSession(id); }
  Result<std::vector<Session>> ListWaiting() override { return target_.ListWaiting(); }
  Result<std::vector<Session>> ListWaitingOn(const std::string& channel) override {
    return target_.ListWaitingOn(channel);
  }
  Result<std::vector<Session>> ListActiveForAgent(int64_t agent_id) override {
    return target_.ListActiveForAgent(agent_id);
  }
  Result<SessionPage> QuerySessions(const SessionQuery& q) override {
    return target_.QuerySessions(q);
  }
  Result<std::map<std::string, int64_t>> CountSessionsByStatus() override {
    return target_.CountSessionsByStatus();
  }

  Result<std::vector<Message>> ListMessages(int64_t session_id, int64_t after_id,
                                            int limit) override {
    return target_.ListMessages(session_id, after_id, limit);
  }
  Result<std::optional<Message>> GetMessage(int64_t id) override { return target_.GetMessage(id); }

  Result<Agent> CreateAgent(const Agent& a) override { return target_.CreateAgent(a); }
  Result<std::optional<Agent>> GetAgent(int64_t id) override { return target_.GetAgent(id); }
  Result<std::optional<Agent>> GetAgentByEmail(const std::string& email) override {
    return target_.GetAgentByEmail(email);
  }
  Result<std::vector<Agent>> ListAgents() override { return target_.ListAgents(); }
  Status CreateToken(const std::string& token_hash, int64_t agent_id, TimePoint created_at,
                     TimePoint expires_at) override {
    return target_.CreateToken(token_hash, agent_id, created_at, expires_at);
  }
  Result<std::optional<Agent>> FindAgentByToken(const std::string& token_hash,
                                                TimePoint now) override {
    return target_.FindAgentByToken(token_hash, now);
  }
  Status DeleteToken(const std::string& token_hash) override {
    return target_.DeleteToken(token_hash);
  }

  Result<std::vector<OutboxItem>> ClaimOutbox(TimePoint now, int limit, Duration lease) override {
    return target_.ClaimOutbox(now, limit, lease);
  }
  Result<std::optional<TimePoint>> NextOutboxDue() override { return target_.NextOutboxDue(); }
  Result<std::optional<Message>> CompleteOutbox(const OutboxItem& item,
                                                const std::string& channel_message_id,
                                                const MessageEventFn& event) override {
    return target_.CompleteOutbox(item, channel_message_id, event);
  }
  Result<std::optional<Message>> FailOutbox(const OutboxItem& item, const MessageError& error,
                                            const MessageEventFn& event) override {
    return target_.FailOutbox(item, error, event);
  }
  Status RetryOutbox(const OutboxItem& item, TimePoint next_attempt_at,
                     const std::string& last_error) override {
    return target_.RetryOutbox(item, next_attempt_at, last_error);
  }
  Status BeginOutboxAttempt(const OutboxItem& item, TimePoint now, TimePoint lease_until) override {
    return target_.BeginOutboxAttempt(item, now, lease_until);
  }
  Status RenewOutboxLeases(const std::vector<int64_t>& ids, TimePoint lease_until) override {
    return target_.RenewOutboxLeases(ids, lease_until);
  }
  Status ReleaseOutbox(const std::vector<int64_t>& ids) override {
    return target_.ReleaseOutbox(ids);
  }
  Result<std::vector<OutboxItem>> ListOutbox(int64_t after_id, int limit) override {
    return target_.ListOutbox(after_id, limit);
  }
  Result<std::vector<MediaFetch>> ClaimMediaFetches(TimePoint now, int limit,
                                                    Duration lease) override {
    return target_.ClaimMediaFetches(now, limit, lease);
  }

  Result<std::vector<Session>> ListDueSessions(TimePoint now, int limit) override {
    return target_.ListDueSessions(now, limit);
  }
  Result<std::optional<TimePoint>> NextExpiry() override { return target_.NextExpiry(); }
  Result<std::optional<TimePoint>> NextWindowWarning(TimePoint now, Duration lead) override {
    return target_.NextWindowWarning(now, lead);
  }
  Result<std::vector<Session>> ListCustomerSessions(int64_t contact_id, int64_t before_session_id,
                                                    int limit) override {
    return target_.ListCustomerSessions(contact_id, before_session_id, limit);
  }
  Result<std::map<int64_t, int64_t>> ListReadPositions(int64_t agent_id) override {
    return target_.ListReadPositions(agent_id);
  }
  Result<std::map<int64_t, int64_t>> CountUnread(int64_t agent_id) override {
    return target_.CountUnread(agent_id);
  }
  Result<std::unique_ptr<LeaderLock>> TryAcquireLeadership(const std::string& job) override {
    return target_.TryAcquireLeadership(job);
  }

  Result<std::vector<EventRecord>> ListEvents(int64_t after_id, int64_t up_to_id,
                                              int limit) override {
    return target_.ListEvents(after_id, up_to_id, limit);
  }
  Result<std::pair<int64_t, int64_t>> EventIdRange() override { return target_.EventIdRange(); }
  Result<int64_t> PruneEvents(TimePoint before) override { return target_.PruneEvents(before); }
  Result<std::vector<CannedResponse>> ListCannedResponses() override {
    return target_.ListCannedResponses();
  }
  Result<std::optional<CannedResponse>> GetCannedResponse(int64_t id) override {
    return target_.GetCannedResponse(id);
  }
  Result<CannedResponse> CreateCannedResponse(const CannedResponse& c) override {
    return target_.CreateCannedResponse(c);
  }
  Result<std::optional<CannedResponse>> UpdateCannedResponse(const CannedResponse& c) override {
    return target_.UpdateCannedResponse(c);
  }
  Result<bool> DeleteCannedResponse(int64_t id) override {
    return target_.DeleteCannedResponse(id);
  }
  Result<std::vector<ReportRow>> Report(const ReportQuery& q) override { return target_.Report(q); }
  Status TouchAgent(int64_t agent_id, TimePoint now) override {
    return target_.TouchAgent(agent_id, now);
  }

  void Announce(Change what) override { target_.Announce(what); }
  Result<std::unique_ptr<Listening>> Listen(std::function<void(Change)> on_change) override {
    return target_.Listen(std::move(on_change));
  }

  Result<int64_t> Prune(TimePoint before, TimePoint now) override {
    return target_.Prune(before, now);
  }
  Result<Team> CreateTeam(const Team& t) override { return target_.CreateTeam(t); }
  Result<Team> UpdateTeam(const Team& t) override { return target_.UpdateTeam(t); }
  Result<std::vector<Team>> ListTeams() override { return target_.ListTeams(); }
  Status SetTeamMember(int64_t team_id, int64_t agent_id, bool member) override {
    return target_.SetTeamMember(team_id, agent_id, member);
  }
  Result<std::vector<std::pair<int64_t, int64_t>>> ListTeamMembers() override {
    return target_.ListTeamMembers();
  }
  Result<std::vector<Duration>> RecentWaits(int64_t team_id, TimePoint since, int limit) override {
    return target_.RecentWaits(team_id, since, limit);
  }
  Result<std::vector<TeamQueueStats>> QueueStatsByTeam() override {
    return target_.QueueStatsByTeam();
  }
  Result<Visitor> CreateVisitor(const NewVisitor& v) override { return target_.CreateVisitor(v); }
  Result<std::optional<Visitor>> FindVisitorByToken(const std::string& token_hash) override {
    return target_.FindVisitorByToken(token_hash);
  }
  Result<std::vector<Message>> ListUnattachedMessages(int64_t contact_id, int limit) override {
    return target_.ListUnattachedMessages(contact_id, limit);
  }
  Result<OfflineMessage> CreateOfflineMessage(const OfflineMessage& m) override {
    return target_.CreateOfflineMessage(m);
  }
  Result<std::vector<OfflineMessage>> ListOfflineMessages(std::optional<bool> handled,
                                                          int64_t before_id, int limit) override {
    return target_.ListOfflineMessages(handled, before_id, limit);
  }
  Result<std::optional<OfflineMessage>> MarkOfflineMessageHandled(int64_t id, int64_t agent_id,
                                                                  TimePoint now) override {
    return target_.MarkOfflineMessageHandled(id, agent_id, now);
  }

 private:
  Store& target_;
};

}  // namespace handoffd::testing
