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

Status GroupCommitter::Run(const std::string& key, const std::function<Status(StoreTx&)>& work) {
  Unit unit{&key, &work, Status::Ok(), false};
  const size_t max_batch = static_cast<size_t>(std::max(1, options_.max_batch));
  std::unique_lock lock(mu_);
  queue_.push_back(&unit);
  if (leading_ && queue_.size() >= max_batch) changed_.notify_all();  // a full group: go now
  while (!unit.done) {
    if (leading_) {
      changed_.wait(lock);
      continue;
    }
    // Lead: gather, take a group, commit it, and wake its members.
    leading_ = true;
    if (options_.window.count() > 0 && queue_.size() < max_batch) {
      changed_.wait_for(lock, options_.window, [&] { return queue_.size() >= max_batch; });
    }
    const size_t n = std::min(queue_.size(), max_batch);
    std::vector<Unit*> group(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
    lock.unlock();
    Commit(std::move(group));
    lock.lock();
    leading_ = false;
    changed_.notify_all();
  }
  return unit.status;
}

size_t GroupCommitter::TryTogether(const std::vector<Unit*>& group, Status& failure,
                                   Status& result) {
  size_t failed = group.size();
  result = store_.Transact([&](StoreTx& tx) -> Status {
    failed = group.size();  // Transact may run this again on a fresh connection
    for (size_t i = 0; i < group.size(); ++i) {
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
  return failed;
}

void GroupCommitter::Commit(std::vector<Unit*> group) {
  std::stable_sort(group.begin(), group.end(),
                   [](const Unit* a, const Unit* b) { return *a->key < *b->key; });
  const std::vector<Unit*> all = group;
  int64_t transactions = 0;
  int64_t isolated = 0;
  while (!group.empty()) {
    Status failure;
    Status result;
    ++transactions;
    const size_t failed = TryTogether(group, failure, result);
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
    lone->status = TryTogether({lone}, lone_failure, lone_result) == 0 ? lone_failure : lone_result;
  }
  std::lock_guard lock(mu_);
  stats_.transactions += transactions;
  stats_.units += static_cast<int64_t>(all.size());
  stats_.isolated += isolated;
  for (Unit* u : all) u->done = true;
}

}  // namespace handoffd
