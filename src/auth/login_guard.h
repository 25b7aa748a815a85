// Login abuse limits (issue 9 #3): how many argon2id verifications run at once (each takes
// ~64 MiB), and how many failed logins a client address and an account may have in a window
// before further attempts are refused with 429 for a growing time. Thread-safe; no globals: the
// HTTP server owns one. Times come from the injected Clock.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <string>

#include "common/clock.h"
#include "common/result.h"

namespace handoffd {

struct LoginGuardOptions {
  /// argon2id verifications at once (auth.max_concurrent_hashes); beyond: 429, Retry-After 1.
  int max_concurrent_hashes = 4;
  /// Failed logins per account in `window` before it is locked (auth.login_failures_per_account).
  int failures_per_account = 10;
  /// Failed logins per client address in `window` (auth.login_failures_per_address).
  int failures_per_address = 50;
  /// The failure-counting window (auth.login_window); also the first lockout.
  Duration window = std::chrono::minutes(5);
  /// Each further lockout of the same key doubles, up to this.
  Duration max_lockout = std::chrono::hours(1);
  /// Keys tracked at most; when full, idle keys are forgotten first, then the oldest.
  size_t max_keys = 100000;
};

class LoginGuard {
 public:
  LoginGuard(const Clock& clock, LoginGuardOptions options);

  /// A held hashing slot; releases it when destroyed.
  class Permit {
   public:
    Permit() = default;
    explicit Permit(LoginGuard* guard) : guard_(guard) {}
    Permit(Permit&& o) noexcept : guard_(o.guard_) { o.guard_ = nullptr; }
    Permit& operator=(Permit&&) = delete;
    Permit(const Permit&) = delete;
    ~Permit() {
      if (guard_ != nullptr) guard_->ReleaseHashSlot();
    }

   private:
    LoginGuard* guard_ = nullptr;
  };

  /// Ok when neither the address nor the account is locked; kRateLimited with the seconds until
  /// the later lock ends otherwise. Costs no hashing.
  Status Check(const std::string& address, const std::string& account);
  /// A hashing slot, waiting up to `wait` (real time) for one; kRateLimited (Retry-After 1)
  /// when max_concurrent_hashes stay busy that long.
  Result<Permit> AcquireHashSlot(std::chrono::milliseconds wait = std::chrono::milliseconds(0));
  /// Counts a failed login against both keys (and locks a key that reaches its limit).
  void RecordFailure(const std::string& address, const std::string& account);
  /// A successful login clears the account's failures and lockout history (not the address's).
  void RecordSuccess(const std::string& account);

 private:
  struct Entry {
    std::deque<TimePoint> failures;  // within the window
    int lockouts = 0;                // lockouts so far: the next one lasts window * 2^lockouts
    TimePoint locked_until{};
    TimePoint last_failure{};
  };
  void Fail(const std::string& key, int limit, TimePoint now);
  int SecondsLocked(const std::string& key, TimePoint now) const;
  void Prune(TimePoint now);
  void ReleaseHashSlot();

  const Clock& clock_;
  LoginGuardOptions options_;
  std::mutex hash_mu_;
  std::condition_variable hash_cv_;
  int hashing_ = 0;
  mutable std::mutex mu_;
  std::map<std::string, Entry> entries_;  // "a:" + address, "u:" + account
};

}  // namespace handoffd
