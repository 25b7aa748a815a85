// Internal to src/store: do not include from outside the store layer (it brings in SOCI).
//
// The connection pool of a SqlStore. Each pooled connection keeps a cache of its prepared
// statements (PostgreSQL: server-side prepared statements, SQLite: sqlite3_stmt), so the hot path
// costs one round trip per statement. A connection that saw an error drops its cache, is rolled
// back and, if it no longer answers, reconnected before it goes back to the pool. Every
// (re)connect applies the per-connection session settings (SQLite pragmas and the Unicode
// LOWER(), quiet PostgreSQL notices).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "store/sql_catalogue.h"
#include "store/sql_statement.h"

namespace handoffd::sqlstore {

/// How long a caller waits for a free pooled connection before getting kUnavailable.
inline constexpr int kLeaseTimeoutMs = 30000;

/// One pooled connection and its prepared statements. Used by one thread at a time (the lease).
struct Conn {
  soci::session* sql = nullptr;
  std::array<std::unique_ptr<Stmt>, kQueryCount> cache;
  /// Set when a statement failed: the connection is checked before it is reused.
  bool suspect = false;
  /// Set while COMMIT is under way: a connection lost then leaves the outcome unknown, so the
  /// transaction is not retried.
  bool committing = false;

  /// The prepared statement of `q`, prepared on first use.
  Stmt& Get(const Catalogue& catalogue, Query q);
};

/// libpq prints server notices ("relation already exists, skipping") to stderr by default;
/// the daemon's stderr carries JSON logs, and none of these notices is actionable.
void QuietPostgresNotices(soci::session& sql);

/// The `p` (0-1) percentile of ascending `sorted` values, interpolated between the two nearest
/// ranks like PostgreSQL's percentile_cont; 0 for no values. SQLite's handoffd_percentile(x, p)
/// aggregate (registered on every connection) rounds it to an integer.
double PercentileCont(const std::vector<double>& sorted, double p);

class ConnectionPool {
 public:
  /// `connect_string` is SOCI's (see OpenStore); `busy_timeout` applies to SQLite.
  ConnectionPool(SqlDialect dialect, std::string connect_string, int pool_size,
                 Duration busy_timeout);
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  /// Opens every pooled connection; kUnavailable when one cannot be opened.
  Status Connect();

  SqlDialect dialect() const { return dialect_; }
  const std::string& connect_string() const { return connect_string_; }

  /// The prepared statement of `q` on `c`.
  Stmt& Get(Conn& c, Query q) const { return c.Get(catalogue_, q); }

  /// Leases a connection, runs fn(conn) and maps exceptions to a Status. A connection that saw an
  /// error is repaired before it goes back to the pool.
  ///
  /// Stale connections (PostgreSQL restarted, backend terminated): a leased connection whose
  /// server has closed it is reconnected before use, and when fn fails because the connection
  /// broke under it (the server went away before answering), fn runs once more on a fresh
  /// connection before the error reaches the caller (503). Not retried: a connection lost during
  /// COMMIT (the outcome is unknown) and every other error.
  template <typename Fn>
  auto WithConn(Fn&& fn) -> decltype(fn(std::declval<Conn&>())) {
    size_t pos = 0;
    if (!pool_.try_lease(pos, kLeaseTimeoutMs)) {
      return Status::Unavailable("no free database connection");
    }
    struct GiveBack {
      ConnectionPool* self;
      size_t pos;
      ~GiveBack() {
        Conn& c = self->conns_[pos];
        if (c.suspect) self->Repair(c, pos);
        self->pool_.give_back(pos);
      }
    } give_back{this, pos};
    Conn& c = conns_[pos];
    EnsureFresh(c, pos);
    for (int attempt = 0;; ++attempt) {
      try {
        return fn(c);
      } catch (...) {
        c.suspect = true;
        const bool retry = attempt == 0 && !c.committing && Broken(c);
        c.committing = false;
        if (!retry) return StatusFromCurrentException();
        ++reconnects_;
        Repair(c, pos);
      }
    }
  }

  /// fn(conn) inside a transaction of its own: committed when fn returns OK.
  template <typename Fn>
  auto InTx(Fn&& fn) -> decltype(fn(std::declval<Conn&>())) {
    return WithConn([&](Conn& c) -> decltype(fn(c)) {
      Get(c, kBegin).RunAll();
      auto r = fn(c);
      if (r.ok()) {
        c.committing = true;
        Get(c, kCommit).RunAll();
        c.committing = false;
      } else {
        Rollback(c);
      }
      return r;
    });
  }

  /// Rolls back the open transaction; a failure leaves it to Repair() and keeps the caller's
  /// status.
  void Rollback(Conn& c) const;

  /// Connections found broken and reopened so far (stale ones before use, and retries).
  int64_t reconnects() const { return reconnects_.load(); }

 private:
  /// Opens `sql` and applies the per-connection settings.
  void OpenSession(soci::session& sql) const;
  /// Per-connection settings after every (re)connect.
  void InitSession(soci::session& sql) const;
  void InitSqlite(soci::session& sql) const;
  /// Rolls back whatever is left open, drops the prepared statements and reconnects when the
  /// connection no longer answers. Never throws.
  void Repair(Conn& c, size_t pos);
  /// PostgreSQL: true when libpq knows the connection is gone.
  bool Broken(Conn& c) const;
  /// PostgreSQL: reconnects a leased connection the server already closed (its socket reads
  /// end-of-stream while idle), so the caller never runs a statement on it. Never throws.
  void EnsureFresh(Conn& c, size_t pos);

  const SqlDialect dialect_;
  const std::string connect_string_;
  const Duration busy_timeout_;
  const Catalogue catalogue_;
  const size_t pool_size_;
  soci::connection_pool pool_;
  std::vector<Conn> conns_;
  std::atomic<int64_t> reconnects_{0};
};

}  // namespace handoffd::sqlstore
