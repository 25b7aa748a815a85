// Group commit: many concurrent units of work (one webhook each) committed in ONE transaction,
// so that a burst of webhooks pays one commit (one WAL flush on PostgreSQL, one write lock and
// WAL append on SQLite) instead of one each.
//
// Protocol (leader/followers): a caller queues its unit; when fewer than `max_groups` groups are
// being committed it becomes a leader, optionally waits `window` for more units, takes up to
// `max_batch` queued units and runs them in one Store::Transact, in order of their keys (so that
// two groups lock the same rows in the same order). Every caller returns only after the transaction
// that ran its unit has committed or rolled back, so nothing is acknowledged before it is durable.
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
// Batched fast path: a unit may carry the customer message it would append to the customer's
// open session (Append). A group's appends then go to the database together first
// (StoreTx::AppendToOpenSessions: one statement on PostgreSQL), in key order; a unit whose
// append found the open session is done without running its work, the others run their work
// afterwards, in key order. Only the leading appends of each key are batched (a key's units
// after one without an append, e.g. an end keyword, run their work in order). When the batched
// statement fails, the group is run again without it (each unit's work, isolated as above).
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
#include <vector>

#include "common/result.h"
#include "store/store.h"

namespace handoffd {

/// Settings of GroupCommitter (config `database.group_commit_max`, `database.group_commit_groups`,
/// `database.group_commit_window_us`).
struct GroupCommitOptions {
  /// At most this many units share one transaction; 1 turns group commit off (the router then
  /// uses its one-statement autocommit fast path).
  int max_batch = 64;
  /// How long a leader waits for more units before it begins its transaction (0: it takes only
  /// what queued meanwhile). Ended early when max_batch units are queued.
  std::chrono::microseconds window{0};
  /// Groups committed at the same time (each on its own pooled connection). More than one lets
  /// the database work on several groups at once; units of one customer in two groups then
  /// wait for each other's row locks, taken in key order, so groups cannot deadlock on them.
  int max_groups = 2;
};

/// Counters since construction (for tests and metrics).
struct GroupCommitStats {
  int64_t transactions = 0;  // shared transactions begun (retries included)
  int64_t units = 0;         // units that finished (committed or failed)
  int64_t isolated = 0;      // units that failed inside a group and were run alone
  int64_t batched = 0;       // units done by a batched append (commits included)
};

class GroupCommitter {
 public:
  /// A unit's batched fast path: the message to append (`request`) and what the committed
  /// transaction appended (`outcome`; its session_id is set when the unit was done by it).
  struct Append {
    OpenSessionAppend request;
    AppendOutcome outcome;
  };

  /// `store` must outlive this object.
  GroupCommitter(Store& store, GroupCommitOptions options);

  /// Runs `work` in a transaction shared with other callers' concurrent work, and returns when
  /// that transaction has ended: OK when `work` returned OK and its transaction committed;
  /// `work`'s own error when it failed (then nothing it wrote was committed, and it was run
  /// alone once more to decide that); the transaction's error (kUnavailable) when BEGIN or
  /// COMMIT failed (nothing committed). `key` orders units inside a group (e.g. the customer).
  /// With `append` (nullable; must outlive the call): when the group's batched append finds the
  /// customer's open session, `work` is not run and append->outcome tells what was stored;
  /// otherwise append->outcome.session_id is empty and `work` ran.
  /// Blocks the calling thread; never call it from inside a transaction.
  Status Run(const std::string& key, const std::function<Status(StoreTx&)>& work,
             Append* append = nullptr);

  /// Units queued and not yet taken by a leader.
  size_t queued() const;
  GroupCommitStats stats() const;

 private:
  struct Unit {
    const std::string* key;
    const std::function<Status(StoreTx&)>* work;
    Append* append;
    Status status;
    bool done = false;
    std::condition_variable wake;  // done, or the head of the queue may lead
  };

  /// Runs `group` (sorted by key) until every unit has its status. Called without the lock.
  void Commit(std::vector<Unit*> group);
  /// One attempt of the shared transaction over `group` (its appends batched when `batch`);
  /// returns the index of the unit that failed (its error in `failure`), group.size() when none
  /// did (then `result` is the transaction's status), or kBatchFailed when the batched append
  /// did (its error in `failure`).
  size_t TryTogether(const std::vector<Unit*>& group, bool batch, Status& failure, Status& result);
  /// Runs the leading appends of each key of `group` in one StoreTx::AppendToOpenSessions.
  static Status AppendBatch(StoreTx& tx, const std::vector<Unit*>& group);
  static constexpr size_t kBatchFailed = static_cast<size_t>(-1);

  Store& store_;
  const GroupCommitOptions options_;
  mutable std::mutex mu_;
  std::condition_variable gather_;  // max_batch units are queued (ends a gathering window)
  std::deque<Unit*> queue_;
  int leaders_ = 0;  // groups being gathered or committed
  GroupCommitStats stats_;
};

}  // namespace handoffd
