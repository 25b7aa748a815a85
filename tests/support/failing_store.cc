#include "support/failing_store.h"

namespace handoffd::testing {
namespace {

/// Forwards to the real transaction, counting writes through the FailingStore.
class FailingTx final : public StoreTxWrapper {
 public:
  FailingTx(StoreTx& target, FailingStore& owner) : StoreTxWrapper(target), owner_(owner) {}

  Result<int64_t> UpsertContact(const std::string& c, const CustomerRef& r, TimePoint t) override {
    HANDOFFD_RETURN_IF_ERROR(owner_.CountWrite());
    return StoreTxWrapper::UpsertContact(c, r, t);
  }
  Result<AppendOutcome> AppendToOpenSession(const std::string& c, const std::string& k,
                                            const Message& m,
                                            std::optional<std::pair<TimePoint, TimePoint>> x,
                                            const std::string& tail) override {
    HANDOFFD_RETURN_IF_ERROR(owner_.FastPathFailure());
    if (!owner_.poison_wamid.empty() && m.channel_message_id == owner_.poison_wamid) {
      Message orphan = m;  // no such session or contact: the database refuses the row
      orphan.session_id = 987654321;
      orphan.contact_id = 987654321;
      auto inserted = StoreTxWrapper::InsertMessage(orphan);
      if (!inserted.ok()) return inserted.status();
      return Status::Internal("the poisoned message was stored");
    }
    return StoreTxWrapper::AppendToOpenSession(c, k, m, x, tail);
  }
  Result<std::vector<AppendOutcome>> AppendToOpenSessions(
      const std::vector<OpenSessionAppend>& items) override {
    // With a failure armed: one by one through AppendToOpenSession above (the poisoned item then
    // fails the batch with a real database error); else the real (multi-row) statement.
    if (owner_.fail_fast_path || !owner_.poison_wamid.empty()) {
      return StoreTx::AppendToOpenSessions(items);
    }
    return StoreTxWrapper::AppendToOpenSessions(items);
  }
  Result<Session> CreateSession(const NewSession& s) override {
    HANDOFFD_RETURN_IF_ERROR(owner_.CountWrite());
    return StoreTxWrapper::CreateSession(s);
  }
  Result<std::optional<Message>> InsertMessage(const Message& m) override {
    HANDOFFD_RETURN_IF_ERROR(owner_.CountWrite());
    return StoreTxWrapper::InsertMessage(m);
  }
  Status AttachRecentMessages(int64_t c, int64_t s, TimePoint t) override {
    HANDOFFD_RETURN_IF_ERROR(owner_.CountWrite());
    return StoreTxWrapper::AttachRecentMessages(c, s, t);
  }
  Status ExtendSession(int64_t s, TimePoint l, TimePoint e) override {
    HANDOFFD_RETURN_IF_ERROR(owner_.CountWrite());
    return StoreTxWrapper::ExtendSession(s, l, e);
  }
  Result<bool> AssignSession(int64_t s, int64_t a, TimePoint t, bool r) override {
    HANDOFFD_RETURN_IF_ERROR(owner_.CountWrite());
    return StoreTxWrapper::AssignSession(s, a, t, r);
  }
  Result<bool> EndSession(int64_t s, EndReason r, TimePoint t) override {
    HANDOFFD_RETURN_IF_ERROR(owner_.CountWrite());
    return StoreTxWrapper::EndSession(s, r, t);
  }
  Result<int64_t> Enqueue(const OutboxItem& i) override {
    HANDOFFD_RETURN_IF_ERROR(owner_.CountWrite());
    return StoreTxWrapper::Enqueue(i);
  }
  Result<bool> ClaimWebhookKey(const std::string& k, TimePoint t) override {
    HANDOFFD_RETURN_IF_ERROR(owner_.CountWrite());
    return StoreTxWrapper::ClaimWebhookKey(k, t);
  }
  Result<std::optional<Message>> ApplyDeliveryStatus(
      const std::string& id, DeliveryStatus s, const std::optional<MessageError>& e) override {
    HANDOFFD_RETURN_IF_ERROR(owner_.CountWrite());
    return StoreTxWrapper::ApplyDeliveryStatus(id, s, e);
  }
  Result<int64_t> AppendEvent(const EventRecord& e) override {
    HANDOFFD_RETURN_IF_ERROR(owner_.CountWrite());
    return StoreTxWrapper::AppendEvent(e);
  }
  Result<std::optional<Agent>> SetAgentStatus(int64_t a, AgentStatus s, TimePoint t) override {
    HANDOFFD_RETURN_IF_ERROR(owner_.CountWrite());
    return StoreTxWrapper::SetAgentStatus(a, s, t);
  }
  Result<int> EndDueSessions(TimePoint t, int n) override {
    HANDOFFD_RETURN_IF_ERROR(owner_.CountWrite());
    return StoreTxWrapper::EndDueSessions(t, n);
  }
  Result<std::vector<EndedSession>> TakeExpiryNotices(int n) override {
    HANDOFFD_RETURN_IF_ERROR(owner_.CountWrite());
    return StoreTxWrapper::TakeExpiryNotices(n);
  }
  Result<std::vector<Message>> InsertMessages(const std::vector<Message>& m) override {
    HANDOFFD_RETURN_IF_ERROR(owner_.CountWrite());
    return StoreTxWrapper::InsertMessages(m);
  }
  Status EnqueueMany(const std::vector<OutboxItem>& i) override {
    HANDOFFD_RETURN_IF_ERROR(owner_.CountWrite());
    return StoreTxWrapper::EnqueueMany(i);
  }
  Status AppendEvents(const std::vector<EventRecord>& e) override {
    HANDOFFD_RETURN_IF_ERROR(owner_.CountWrite());
    return StoreTxWrapper::AppendEvents(e);
  }

 private:
  FailingStore& owner_;
};

}  // namespace

Status FailingStore::CountWrite() {
  int n = countdown_.load();
  if (n <= 0) return Status::Ok();
  if (countdown_.fetch_sub(1) == 1) {
    ++failures_;
    return Status::Unavailable("injected failure: database connection lost");
  }
  return Status::Ok();
}

Status FailingStore::Fail() {
  ++failures_;
  return Status::Unavailable("injected failure: database connection lost");
}

Status FailingStore::Transact(const std::function<Status(StoreTx&)>& fn) {
  ++transactions_;
  if (on_transact) on_transact();
  return StoreWrapper::Transact([&](StoreTx& tx) -> Status {
    FailingTx failing(tx, *this);
    Status st = fn(failing);
    if (st.ok() && fail_commits) return Fail();  // rolled back: as if COMMIT never got through
    return st;
  });
}

Result<AppendOutcome> FailingStore::AppendToOpenSession(
    const std::string& channel, const std::string& customer_key, const Message& m,
    std::optional<std::pair<TimePoint, TimePoint>> extend, const std::string& event_tail) {
  HANDOFFD_RETURN_IF_ERROR(FastPathFailure());
  return StoreWrapper::AppendToOpenSession(channel, customer_key, m, extend, event_tail);
}

Result<std::vector<std::string>> FailingStore::Migrate() {
  HANDOFFD_RETURN_IF_ERROR(CountStoreWrite());
  return StoreWrapper::Migrate();
}

Result<Agent> FailingStore::CreateAgent(const Agent& a) {
  HANDOFFD_RETURN_IF_ERROR(CountStoreWrite());
  return StoreWrapper::CreateAgent(a);
}

Status FailingStore::CreateToken(const std::string& token_hash, int64_t agent_id,
                                 TimePoint created_at, TimePoint expires_at) {
  HANDOFFD_RETURN_IF_ERROR(CountStoreWrite());
  return StoreWrapper::CreateToken(token_hash, agent_id, created_at, expires_at);
}

Status FailingStore::DeleteToken(const std::string& token_hash) {
  HANDOFFD_RETURN_IF_ERROR(CountStoreWrite());
  return StoreWrapper::DeleteToken(token_hash);
}

Result<std::vector<OutboxItem>> FailingStore::ClaimOutbox(TimePoint now, int limit,
                                                          Duration lease) {
  HANDOFFD_RETURN_IF_ERROR(CountStoreWrite());
  return StoreWrapper::ClaimOutbox(now, limit, lease);
}

Result<std::optional<Message>> FailingStore::CompleteOutbox(const OutboxItem& item,
                                                            const std::string& channel_message_id,
                                                            const MessageEventFn& event) {
  HANDOFFD_RETURN_IF_ERROR(CountStoreWrite());
  return StoreWrapper::CompleteOutbox(item, channel_message_id, event);
}

Result<std::optional<Message>> FailingStore::FailOutbox(const OutboxItem& item,
                                                        const MessageError& error,
                                                        const MessageEventFn& event) {
  HANDOFFD_RETURN_IF_ERROR(CountStoreWrite());
  return StoreWrapper::FailOutbox(item, error, event);
}

Status FailingStore::RetryOutbox(const OutboxItem& item, TimePoint next_attempt_at,
                                 const std::string& last_error) {
  HANDOFFD_RETURN_IF_ERROR(CountStoreWrite());
  return StoreWrapper::RetryOutbox(item, next_attempt_at, last_error);
}

Result<int64_t> FailingStore::PruneEvents(TimePoint before) {
  HANDOFFD_RETURN_IF_ERROR(CountStoreWrite());
  return StoreWrapper::PruneEvents(before);
}

Status FailingStore::TouchAgent(int64_t agent_id, TimePoint now) {
  HANDOFFD_RETURN_IF_ERROR(CountStoreWrite());
  return StoreWrapper::TouchAgent(agent_id, now);
}

Result<int64_t> FailingStore::Prune(TimePoint before, TimePoint now) {
  HANDOFFD_RETURN_IF_ERROR(CountStoreWrite());
  return StoreWrapper::Prune(before, now);
}

}  // namespace handoffd::testing
