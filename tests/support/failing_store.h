// A Store decorator that fails chosen writes (test-only), in the spirit of leveldb's ErrorEnv:
// everything is forwarded to a real store (StoreWrapper), except that the Nth write returns
// kUnavailable as a lost database connection would, and the webhook fast path fails while
// `fail_fast_path` is set. Writes are those inside transactions (StoreTx writes) and, when asked
// for, the Store's own writes outside them (CreateToken, CompleteOutbox, ...). Tests then assert
// that nothing of the failed unit of work was committed.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "store/store.h"
#include "support/store_wrapper.h"

namespace handoffd::testing {

class FailingStore final : public StoreWrapper {
 public:
  /// Which writes FailNthWrite counts.
  enum class Writes {
    kInTransactions,  // StoreTx writes inside Transact only
    kAll,             // also the Store's writes outside transactions
  };

  explicit FailingStore(Store& target) : StoreWrapper(target) {}

  /// Fail the `n`th write from now on (1 = the next one) among `writes`; 0 = never.
  void FailNthWrite(int n, Writes writes = Writes::kInTransactions) {
    count_all_ = writes == Writes::kAll;
    countdown_ = n;
  }
  /// Make AppendToOpenSession (Store's and StoreTx's) fail (kUnavailable) while set.
  std::atomic<bool> fail_fast_path{false};
  /// While set, every transaction runs its callback and then fails to commit (kUnavailable,
  /// rolled back) as when the connection is lost during COMMIT.
  std::atomic<bool> fail_commits{false};
  /// A message with this channel_message_id makes StoreTx::AppendToOpenSession fail with a real
  /// database error (a foreign-key violation, which aborts a PostgreSQL transaction).
  std::string poison_wamid;
  /// Called at the start of every Transact (before the transaction begins), e.g. to hold one.
  std::function<void()> on_transact;
  /// Transactions attempted so far (each Transact call, failed or not).
  int transactions() const { return transactions_; }
  /// Fail() while fail_fast_path is set, else OK.
  Status FastPathFailure() { return fail_fast_path ? Fail() : Status::Ok(); }
  /// Writes failed so far.
  int failures() const { return failures_; }

  /// Counts a transactional write; kUnavailable when it is the one chosen to fail.
  Status CountWrite();

  Status Transact(const std::function<Status(StoreTx&)>& fn) override;
  Result<AppendOutcome> AppendToOpenSession(const std::string& channel,
                                            const std::string& customer_key, const Message& m,
                                            std::optional<std::pair<TimePoint, TimePoint>> extend,
                                            const std::string& event_tail) override;

  // Writes outside transactions (counted with Writes::kAll).
  Result<std::vector<std::string>> Migrate() override;
  Result<Agent> CreateAgent(const Agent& a) override;
  Status CreateToken(const std::string& token_hash, int64_t agent_id, TimePoint created_at,
                     TimePoint expires_at) override;
  Status DeleteToken(const std::string& token_hash) override;
  Result<std::vector<OutboxItem>> ClaimOutbox(TimePoint now, int limit, Duration lease) override;
  Result<std::optional<Message>> CompleteOutbox(const OutboxItem& item,
                                                const std::string& channel_message_id,
                                                const MessageEventFn& event) override;
  Result<std::optional<Message>> FailOutbox(const OutboxItem& item, const MessageError& error,
                                            const MessageEventFn& event) override;
  Status RetryOutbox(const OutboxItem& item, TimePoint next_attempt_at,
                     const std::string& last_error) override;
  Result<int64_t> PruneEvents(TimePoint before) override;
  Status TouchAgent(int64_t agent_id, TimePoint now) override;
  Result<int64_t> Prune(TimePoint before, TimePoint now) override;

 private:
  /// Counts a write outside transactions when those are counted.
  Status CountStoreWrite() { return count_all_ ? CountWrite() : Status::Ok(); }
  /// kUnavailable, counted as a failure.
  Status Fail();

  std::atomic<int> countdown_{0};
  std::atomic<bool> count_all_{false};
  std::atomic<int> failures_{0};
  std::atomic<int> transactions_{0};
};

}  // namespace handoffd::testing
