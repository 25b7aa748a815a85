#include "auth/login_guard.h"

#include <algorithm>
#include <vector>

namespace handoffd {

LoginGuard::LoginGuard(const Clock& clock, LoginGuardOptions options)
    : clock_(clock), options_(options) {}

Status LoginGuard::Check(const std::string& address, const std::string& account) {
  const TimePoint now = clock_.Now();
  std::lock_guard<std::mutex> lock(mu_);
  const int seconds =
      std::max(SecondsLocked("a:" + address, now), SecondsLocked("u:" + account, now));
  if (seconds > 0) return Status::RateLimited("too many failed logins; try again later", seconds);
  return Status::Ok();
}

Result<LoginGuard::Permit> LoginGuard::AcquireHashSlot(std::chrono::milliseconds wait) {
  std::unique_lock<std::mutex> lock(hash_mu_);
  if (!hash_cv_.wait_for(lock, wait, [&] { return hashing_ < options_.max_concurrent_hashes; })) {
    return Status::RateLimited("too many logins at once; try again shortly", 1);
  }
  ++hashing_;
  return Permit(this);
}

void LoginGuard::ReleaseHashSlot() {
  {
    std::lock_guard<std::mutex> lock(hash_mu_);
    --hashing_;
  }
  hash_cv_.notify_one();
}

void LoginGuard::RecordFailure(const std::string& address, const std::string& account) {
  const TimePoint now = clock_.Now();
  std::lock_guard<std::mutex> lock(mu_);
  if (entries_.size() >= options_.max_keys) Prune(now);
  Fail("a:" + address, options_.failures_per_address, now);
  Fail("u:" + account, options_.failures_per_account, now);
}

void LoginGuard::RecordSuccess(const std::string& account) {
  std::lock_guard<std::mutex> lock(mu_);
  entries_.erase("u:" + account);
}

void LoginGuard::Fail(const std::string& key, int limit, TimePoint now) {
  Entry& e = entries_[key];
  while (!e.failures.empty() && e.failures.front() <= now - options_.window) e.failures.pop_front();
  // A key quiet for a whole max_lockout starts over: the delay grows only under sustained abuse.
  if (e.lockouts > 0 && now - e.last_failure > options_.max_lockout) e.lockouts = 0;
  e.last_failure = now;
  e.failures.push_back(now);
  if (static_cast<int>(e.failures.size()) < limit) return;
  Duration lockout = options_.window;
  for (int i = 0; i < e.lockouts && lockout < options_.max_lockout; ++i) lockout *= 2;
  lockout = std::min(lockout, options_.max_lockout);
  e.locked_until = now + lockout;
  e.failures.clear();
  ++e.lockouts;
}

int LoginGuard::SecondsLocked(const std::string& key, TimePoint now) const {
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.locked_until <= now) return 0;
  const auto ms = (it->second.locked_until - now).count();
  return static_cast<int>((ms + 999) / 1000);
}

void LoginGuard::Prune(TimePoint now) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    const Entry& e = it->second;
    const bool idle = e.locked_until <= now && now - e.last_failure > options_.window &&
                      (e.lockouts == 0 || now - e.last_failure > options_.max_lockout);
    it = idle ? entries_.erase(it) : std::next(it);
  }
  // Still full (a flood of distinct keys): forget the least recently failing half.
  if (entries_.size() >= options_.max_keys) {
    std::vector<std::pair<TimePoint, std::string>> by_age;
    by_age.reserve(entries_.size());
    for (const auto& [k, e] : entries_) by_age.emplace_back(e.last_failure, k);
    std::sort(by_age.begin(), by_age.end());
    for (size_t i = 0; i < by_age.size() / 2; ++i) entries_.erase(by_age[i].second);
  }
}

}  // namespace handoffd
