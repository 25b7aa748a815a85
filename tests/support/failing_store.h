// A Store decorator that fails chosen writes (test-only), in the spirit of leveldb's ErrorEnv:
// everything is forwarded to a real store, except that the Nth write inside transactions (and
// the webhook fast path, while `fail_fast_path` is set) returns kUnavailable as a lost database
// connection would. Tests then assert that nothing of the failed unit of work was committed.
#pragma once

#include <atomic>
#include <memory>

#include "store/store.h"

namespace handoffd::testing {

class FailingStore final : public Store {
 public:
  explicit FailingStore(Store& inner) : inner_(inner) {}

  /// Fail the `n`th transactional write from now on (1 = the next one); 0 = never.
  void FailNthWrite(int n) { countdown_ = n; }
  /// Make AppendToOpenSession fail (kUnavailable) while set.
  std::atomic<bool> fail_fast_path{false};
  /// Writes failed so far.
  int failures() const { return failures_; }

  /// Counts a write; kUnavailable when it is the one chosen to fail.
  Status CountWrite();

  std::string Dialect() const override { return inner_.Dialect(); }
  Result<std::vector<std::string>> Migrate() override { return inner_.Migrate(); }
  Status Ping() override { return inner_.Ping(); }
  Status Transact(const std::function<Status(StoreTx&)>& fn) override;
  Result<AppendOutcome> AppendToOpenSession(const std::string& channel,
                                            const std::string& customer_key, const Message& m,
                                            std::optional<std::pair<TimePoint, TimePoint>> extend,
                                            const std::string& event_tail) override;
  Result<std::optional<Session>> GetSession(int64_t id) override { return inner_.GetSession(id); }
  Result<std::vector<Session>> ListWaiting() override { return inner_.ListWaiting(); }
  Result<std::vector<Session>> ListActiveForAgent(int64_t a) override {
    return inner_.ListActiveForAgent(a);
  }
  Result<SessionPage> QuerySessions(const SessionQuery& q) override {
    return inner_.QuerySessions(q);
  }
  Result<std::map<std::string, int64_t>> CountSessionsByStatus() override {
    return inner_.CountSessionsByStatus();
  }
  Result<std::vector<Message>> ListMessages(int64_t s, int64_t after, int limit) override {
    return inner_.ListMessages(s, after, limit);
  }
  Result<std::optional<Message>> GetMessage(int64_t id) override { return inner_.GetMessage(id); }
  Result<Agent> CreateAgent(const Agent& a) override { return inner_.CreateAgent(a); }
  Result<std::optional<Agent>> GetAgent(int64_t id) override { return inner_.GetAgent(id); }
  Result<std::optional<Agent>> GetAgentByEmail(const std::string& e) override {
    return inner_.GetAgentByEmail(e);
  }
  Result<std::vector<Agent>> ListAgents() override { return inner_.ListAgents(); }
  Status CreateToken(const std::string& h, int64_t a, TimePoint c, TimePoint e) override {
    return inner_.CreateToken(h, a, c, e);
  }
  Result<std::optional<Agent>> FindAgentByToken(const std::string& h, TimePoint now) override {
    return inner_.FindAgentByToken(h, now);
  }
  Status DeleteToken(const std::string& h) override { return inner_.DeleteToken(h); }
  Result<std::vector<OutboxItem>> ClaimOutbox(TimePoint now, int limit, Duration lease) override {
    return inner_.ClaimOutbox(now, limit, lease);
  }
  Result<std::optional<TimePoint>> NextOutboxDue() override { return inner_.NextOutboxDue(); }
  Result<std::optional<Message>> CompleteOutbox(const OutboxItem& i, const std::string& id,
                                                const MessageEventFn& ev) override {
    return inner_.CompleteOutbox(i, id, ev);
  }
  Result<std::optional<Message>> FailOutbox(const OutboxItem& i, const MessageError& e,
                                            const MessageEventFn& ev) override {
    return inner_.FailOutbox(i, e, ev);
  }
  Result<std::vector<EventRecord>> ListEvents(int64_t after, int64_t upto, int limit) override {
    return inner_.ListEvents(after, upto, limit);
  }
  Result<std::pair<int64_t, int64_t>> EventIdRange() override { return inner_.EventIdRange(); }
  Result<int64_t> PruneEvents(TimePoint before) override { return inner_.PruneEvents(before); }
  Status TouchAgent(int64_t a, TimePoint now) override { return inner_.TouchAgent(a, now); }
  Status RetryOutbox(const OutboxItem& i, TimePoint next, const std::string& err) override {
    return inner_.RetryOutbox(i, next, err);
  }
  Result<std::vector<Session>> ListDueSessions(TimePoint now, int limit) override {
    return inner_.ListDueSessions(now, limit);
  }
  Result<std::optional<TimePoint>> NextExpiry() override { return inner_.NextExpiry(); }
  Result<std::unique_ptr<LeaderLock>> TryAcquireLeadership(const std::string& job) override {
    return inner_.TryAcquireLeadership(job);
  }
  Result<int64_t> Prune(TimePoint before, TimePoint now) override {
    return inner_.Prune(before, now);
  }

 private:
  Store& inner_;
  std::atomic<int> countdown_{0};
  std::atomic<int> failures_{0};
};

}  // namespace handoffd::testing
