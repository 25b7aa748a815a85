#include "support/failing_store.h"

namespace handoffd::testing {
namespace {

/// Forwards to the real transaction, counting writes through the FailingStore.
class FailingTx final : public StoreTx {
 public:
  FailingTx(StoreTx& inner, FailingStore& owner) : inner_(inner), owner_(owner) {}

  Result<int64_t> UpsertContact(const std::string& c, const CustomerRef& r, TimePoint t) override {
    HANDOFFD_RETURN_IF_ERROR(owner_.CountWrite());
    return inner_.UpsertContact(c, r, t);
  }
  Result<std::optional<Session>> FindOpenSession(const std::string& c,
                                                 const std::string& k) override {
    return inner_.FindOpenSession(c, k);
  }
  Result<std::optional<Session>> LockSession(int64_t id) override { return inner_.LockSession(id); }
  Result<Session> CreateSession(const NewSession& s) override {
    HANDOFFD_RETURN_IF_ERROR(owner_.CountWrite());
    return inner_.CreateSession(s);
  }
  Result<std::optional<Message>> InsertMessage(const Message& m) override {
    HANDOFFD_RETURN_IF_ERROR(owner_.CountWrite());
    return inner_.InsertMessage(m);
  }
  Status AttachRecentMessages(int64_t c, int64_t s, TimePoint t) override {
    HANDOFFD_RETURN_IF_ERROR(owner_.CountWrite());
    return inner_.AttachRecentMessages(c, s, t);
  }
  Status ExtendSession(int64_t s, TimePoint l, TimePoint e) override {
    HANDOFFD_RETURN_IF_ERROR(owner_.CountWrite());
    return inner_.ExtendSession(s, l, e);
  }
  Result<bool> AssignSession(int64_t s, int64_t a, TimePoint t, bool r) override {
    HANDOFFD_RETURN_IF_ERROR(owner_.CountWrite());
    return inner_.AssignSession(s, a, t, r);
  }
  Result<bool> EndSession(int64_t s, EndReason r, TimePoint t) override {
    HANDOFFD_RETURN_IF_ERROR(owner_.CountWrite());
    return inner_.EndSession(s, r, t);
  }
  Result<int64_t> Enqueue(const OutboxItem& i) override {
    HANDOFFD_RETURN_IF_ERROR(owner_.CountWrite());
    return inner_.Enqueue(i);
  }
  Result<bool> ClaimWebhookKey(const std::string& k, TimePoint t) override {
    HANDOFFD_RETURN_IF_ERROR(owner_.CountWrite());
    return inner_.ClaimWebhookKey(k, t);
  }
  Result<std::optional<Message>> ApplyDeliveryStatus(
      const std::string& id, DeliveryStatus s, const std::optional<MessageError>& e) override {
    HANDOFFD_RETURN_IF_ERROR(owner_.CountWrite());
    return inner_.ApplyDeliveryStatus(id, s, e);
  }
  Result<std::optional<Agent>> GetAgent(int64_t id) override { return inner_.GetAgent(id); }
  Result<int64_t> AppendEvent(const EventRecord& e) override {
    HANDOFFD_RETURN_IF_ERROR(owner_.CountWrite());
    return inner_.AppendEvent(e);
  }
  Result<std::optional<Agent>> SetAgentStatus(int64_t a, AgentStatus s, TimePoint t) override {
    HANDOFFD_RETURN_IF_ERROR(owner_.CountWrite());
    return inner_.SetAgentStatus(a, s, t);
  }

 private:
  StoreTx& inner_;
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

Status FailingStore::Transact(const std::function<Status(StoreTx&)>& fn) {
  return inner_.Transact([&](StoreTx& tx) -> Status {
    FailingTx failing(tx, *this);
    return fn(failing);
  });
}

Result<AppendOutcome> FailingStore::AppendToOpenSession(
    const std::string& channel, const std::string& customer_key, const Message& m,
    std::optional<std::pair<TimePoint, TimePoint>> extend, const std::string& event_tail) {
  if (fail_fast_path) {
    ++failures_;
    return Status::Unavailable("injected failure: database connection lost");
  }
  return inner_.AppendToOpenSession(channel, customer_key, m, extend, event_tail);
}

}  // namespace handoffd::testing
