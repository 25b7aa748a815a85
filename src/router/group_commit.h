// Group commit: many concurrent units of work (one webhook each) committed in ONE transaction,
// so that a burst of webhooks pays one commit (one WAL flush on PostgreSQL, one write lock and
// WAL append on SQLite) instead of one each.
//
// Protocol (leader/followers): a caller queues its unit; when no group is being committed it
// becomes the leader, optionally waits `window` for more units, takes up to `max_batch` queued
// units and runs them in one Store::Transact, in order of their keys (so that two groups lock
// the same rows in the same order). Every caller returns only after the transaction that ran
// its unit has committed or rolled back, so nothing is acknowledged before it is durable.
// Units queued while a group commits form the next group: under load the groups grow on their
// own, and an idle daemon commits a lone webhook at once (window 0).
//
// Failures: a unit that fails (its own error, or a database error in one of its statements,
// which aborts a PostgreSQL transaction) rolls the group back; the unit then runs alone in a
// transaction of its own (its result is its answer) and the others are run again together
// without it, so one failing message never fails the others. When the shared BEGIN or COMMIT
// fails, nothing was committed and every unit of the group gets that error (kUnavailable: the
// channel redelivers; units are idempotent, so the redelivery stores everything exactly once).
// Units may run more than once and must therefore reset their own outputs when they start.
//
// Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>

#include "common/result.h"
#include "store/store.h"

namespace handoffd {

/// Settings of GroupCommitter (config `database.group_commit_max`, `database.group_commit_window`).
struct GroupCommitOptions {
  /// At most this many units share one transaction; 1 turns group commit off (the router then
  /// uses its one-statement autocommit fast path).
  int max_batch = 64;
  /// How long a leader waits for more units before it begins its transaction (0: it takes only
  /// what queued meanwhile). Ended early when max_batch units are queued.
  std::chrono::microseconds window{0};
};

/// Counters since construction (for tests and metrics).
struct GroupCommitStats {
  int64_t transactions = 0;  // shared transactions begun (retries included)
  int64_t units = 0;         // units that finished (committed or failed)
  int64_t isolated = 0;      // units that failed inside a group and were run alone
};

class GroupCommitter {
 public:
  /// `store` must outlive this object.
  GroupCommitter(Store& store, GroupCommitOptions options);

  /// Runs `work` in a transaction shared with other callers' concurrent work, and returns when
  /// that transaction has ended: OK when `work` returned OK and its transaction committed;
  /// `work`'s own error when it failed (then nothing it wrote was committed, and it was run
  /// alone once more to decide that); the transaction's error (kUnavailable) when BEGIN or
  /// COMMIT failed (nothing committed). `key` orders units inside a group (e.g. the customer).
  /// Blocks the calling thread; never call it from inside a transaction.
  Status Run(const std::string& key, const std::function<Status(StoreTx&)>& work);

  /// Units queued and not yet taken by a leader.
  size_t queued() const;
  GroupCommitStats stats() const;

 private:
  struct Unit {
    const std::string* key;
    const std::function<Status(StoreTx&)>* work;
    Status status;
    bool done = false;
  };

  /// Runs `group` (sorted by key) until every unit has its status. Called without the lock.
  void Commit(std::vector<Unit*> group);
  /// One attempt of the shared transaction over `group`; returns the index of the unit that
  /// failed (its error in `failure`), or group.size() when none did (then `result` is the
  /// transaction's status).
  size_t TryTogether(const std::vector<Unit*>& group, Status& failure, Status& result);

  Store& store_;
  const GroupCommitOptions options_;
  mutable std::mutex mu_;
  std::condition_variable changed_;  // a group ended, or units were queued
  std::deque<Unit*> queue_;
  bool leading_ = false;  // a leader is gathering or committing a group
  GroupCommitStats stats_;
};

}  // namespace handoffd
