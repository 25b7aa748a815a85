#include "store/leader_lock.h"

#include <mutex>
#include <utility>

#include "store/connection_pool.h"
#include "store/soci_includes.h"
#include "store/sql_statement.h"

namespace handoffd::sqlstore {
namespace {

class PgLeaderLock final : public LeaderLock {
 public:
  PgLeaderLock(std::unique_ptr<soci::session> sql, int64_t key) : sql_(std::move(sql)), key_(key) {}
  ~PgLeaderLock() override {
    try {
      long long key = key_;
      int released = 0;
      *sql_ << "SELECT CASE WHEN pg_advisory_unlock(:key) THEN 1 ELSE 0 END", soci::use(key),
          soci::into(released);
    } catch (...) {
      // The connection is gone, and the lock with it.
    }
    try {
      sql_->close();
    } catch (...) {
    }
  }

  bool StillHeld() override {
    std::lock_guard<std::mutex> lock(mu_);
    if (lost_) return false;
    try {
      int one = 0;
      *sql_ << "SELECT 1", soci::into(one);
      if (one == 1) return true;
    } catch (...) {
    }
    lost_ = true;
    return false;
  }

 private:
  std::mutex mu_;
  std::unique_ptr<soci::session> sql_;
  const int64_t key_;
  bool lost_ = false;
};

class SqliteLeaderLock final : public LeaderLock {
 public:
  bool StillHeld() override { return true; }
};

}  // namespace

int64_t LockKey(std::string_view name) {
  uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : name) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return static_cast<int64_t>(h);
}

Result<std::unique_ptr<LeaderLock>> TryPgLeadership(const std::string& connect_string,
                                                    const std::string& job) {
  try {
    auto sql = std::make_unique<soci::session>(soci::postgresql, connect_string);
    QuietPostgresNotices(*sql);
    long long key = LockKey("handoffd:leader:" + job);
    int got = 0;
    *sql << "SELECT CASE WHEN pg_try_advisory_lock(:key) THEN 1 ELSE 0 END", soci::use(key),
        soci::into(got);
    if (got != 1) return std::unique_ptr<LeaderLock>();
    return std::unique_ptr<LeaderLock>(std::make_unique<PgLeaderLock>(std::move(sql), key));
  } catch (...) {
    return StatusFromCurrentException();
  }
}

std::unique_ptr<LeaderLock> SqliteLeadership() { return std::make_unique<SqliteLeaderLock>(); }

}  // namespace handoffd::sqlstore
