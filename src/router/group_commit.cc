#include "router/group_commit.h"

#include <algorithm>
#include <exception>
#include <utility>
#include <vector>

namespace handoffd {

GroupCommitter::GroupCommitter(Store& store, GroupCommitOptions options)
    : store_(store), options_(options) {}

size_t GroupCommitter::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

GroupCommitStats GroupCommitter::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

Status GroupCommitter::Run(const std::string& key, const std::function<Status(StoreTx&)>& work,
                           Append* append) {
  Unit unit{&key, &work, append, Status::Ok(), false, {}};
  const size_t max_batch = static_cast<size_t>(std::max(1, options_.max_batch));
  const int max_groups = std::max(1, options_.max_groups);
  std::unique_lock lock(mu_);
  queue_.push_back(&unit);
  if (leaders_ > 0 && queue_.size() >= max_batch) gather_.notify_all();  // a full group: go now
  while (!unit.done) {
    if (leaders_ >= max_groups || queue_.empty()) {
      // Woken when our unit is done, or as the queue's head when a leader's place frees.
      unit.wake.wait(lock);
      continue;
    }
    // Lead: gather, take a group (ours may already be in another one), commit it.
    ++leaders_;
    if (options_.window.count() > 0 && queue_.size() < max_batch) {
      gather_.wait_for(lock, options_.window, [&] { return queue_.size() >= max_batch; });
    }
    const size_t n = std::min(queue_.size(), max_batch);
    std::vector<Unit*> group(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
    lock.unlock();
    if (!group.empty()) Commit(std::move(group));  // wakes the group's units
    lock.lock();
    --leaders_;
    // Only the queue's head is woken to lead the next group (not every waiting caller).
    if (!queue_.empty()) queue_.front()->wake.notify_one();
  }
  return unit.status;
}

Status GroupCommitter::AppendBatch(StoreTx& tx, const std::vector<Unit*>& group) {
  std::vector<Unit*> batched;
  std::vector<OpenSessionAppend> requests;
  // The group is sorted by key: a key's units are adjacent. Its leading appends are batched.
  bool key_open = false;
  for (size_t i = 0; i < group.size(); ++i) {
    if (i == 0 || *group[i]->key != *group[i - 1]->key) key_open = true;
    if (group[i]->append == nullptr) key_open = false;
    if (!key_open) continue;
    batched.push_back(group[i]);
    requests.push_back(group[i]->append->request);
  }
  if (batched.size() < 2) return Status::Ok();  // a lone append runs in its unit's work
  HANDOFFD_ASSIGN_OR_RETURN(auto outcomes, tx.AppendToOpenSessions(requests));
  if (outcomes.size() != batched.size()) return Status::Internal("batched append lost outcomes");
  for (size_t i = 0; i < batched.size(); ++i) batched[i]->append->outcome = outcomes[i];
  return Status::Ok();
}

size_t GroupCommitter::TryTogether(const std::vector<Unit*>& group, bool batch, Status& failure,
                                   Status& result) {
  size_t failed = group.size();
  result = store_.Transact([&](StoreTx& tx) -> Status {
    failed = group.size();  // Transact may run this again on a fresh connection
    for (Unit* u : group) {
      if (u->append != nullptr) u->append->outcome = AppendOutcome{};
    }
    if (batch) {
      Status st;
      try {
        st = AppendBatch(tx, group);
      } catch (const std::exception& e) {
        st = Status::Internal(std::string("exception in a batched append: ") + e.what());
      }
      if (!st.ok()) {
        failed = kBatchFailed;
        failure = st;
        return st;
      }
    }
    for (size_t i = 0; i < group.size(); ++i) {
      if (group[i]->append != nullptr && group[i]->append->outcome.session_id) continue;
      Status st;
      try {
        st = (*group[i]->work)(tx);
      } catch (const std::exception& e) {
        st = Status::Internal(std::string("exception in a grouped unit: ") + e.what());
      } catch (...) {
        st = Status::Internal("exception in a grouped unit");
      }
      if (!st.ok()) {
        failed = i;
        failure = st;
        return st;
      }
    }
    return Status::Ok();
  });
  if (!result.ok()) {
    // Nothing was committed: no unit was done by the batch.
    for (Unit* u : group) {
      if (u->append != nullptr) u->append->outcome = AppendOutcome{};
    }
  }
  return failed;
}

void GroupCommitter::Commit(std::vector<Unit*> group) {
  std::stable_sort(group.begin(), group.end(),
                   [](const Unit* a, const Unit* b) { return *a->key < *b->key; });
  const std::vector<Unit*> all = group;
  int64_t transactions = 0;
  int64_t isolated = 0;
  bool batch = true;
  while (!group.empty()) {
    Status failure;
    Status result;
    ++transactions;
    const size_t failed = TryTogether(group, batch, failure, result);
    if (failed == kBatchFailed) {
      batch = false;  // the group again, each unit on its own work (and isolated if need be)
      continue;
    }
    if (failed == group.size()) {
      // Committed (result OK), or BEGIN/COMMIT failed and nothing was committed: all alike.
      for (Unit* u : group) u->status = result;
      break;
    }
    // One unit failed and the group was rolled back. Alone, its error is its answer; in a group,
    // it runs once more alone (the failure may have come from its company, e.g. a deadlock) and
    // the others go again together without it.
    Unit* lone = group[failed];
    group.erase(group.begin() + static_cast<std::ptrdiff_t>(failed));
    if (group.empty()) {
      lone->status = failure;
      break;
    }
    ++isolated;
    ++transactions;
    Status lone_failure;
    Status lone_result;
    lone->status =
        TryTogether({lone}, false, lone_failure, lone_result) == 0 ? lone_failure : lone_result;
  }
  std::lock_guard lock(mu_);
  stats_.transactions += transactions;
  stats_.units += static_cast<int64_t>(all.size());
  stats_.isolated += isolated;
  for (Unit* u : all) {
    if (u->status.ok() && u->append != nullptr && u->append->outcome.session_id) ++stats_.batched;
  }
  for (Unit* u : all) {
    u->done = true;
    u->wake.notify_one();  // under the lock: the unit (on its caller's stack) is still alive
  }
}

}  // namespace handoffd
