// The SQL Store (store.h) over SOCI, one implementation for SQLite and PostgreSQL (the class is
// in sql_store_impl.h): its set-up, transactions, the webhook fast path, migrations, leadership,
// housekeeping, and OpenStore(). The dialects differ only in row locking (FOR UPDATE, SKIP
// LOCKED), how a write transaction starts (SQLite: BEGIN IMMEDIATE) and leadership (PostgreSQL
// advisory locks).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "store/leader_lock.h"
#include "store/soci_includes.h"
#include "store/sql_append.h"
#include "store/sql_migrate.h"
#include "store/sql_rows.h"
#include "store/sql_store_impl.h"
#include "store/sql_tx.h"
#include "store/store.h"

namespace handoffd {
namespace sqlstore {
namespace {

/// 128 random bits in hex: unique per store instance, across processes and machines.
std::string RandomLeaseOwner() {
  std::random_device random;
  std::string out;
  for (int i = 0; i < 4; ++i) {
    char part[9];
    std::snprintf(part, sizeof part, "%08x", static_cast<unsigned>(random()));
    out += part;
  }
  return out;
}

}  // namespace

SqlStore::SqlStore(SqlDialect dialect, std::string connect_string, const StoreOptions& options,
                   const Clock& clock)
    : dialect_(dialect),
      clock_(clock),
      lease_owner_(RandomLeaseOwner()),
      pool_(dialect, std::move(connect_string), options.pool_size, options.busy_timeout) {
  if (dialect_ == SqlDialect::kPostgres) {
    notifier_ = std::make_unique<PgNotifier>(pool_.connect_string());
  }
}

void SqlStore::Announce(Change what) {
  if (notifier_) notifier_->Announce(what);
}

Result<std::unique_ptr<Listening>> SqlStore::Listen(std::function<void(Change)> on_change) {
  if (dialect_ != SqlDialect::kPostgres) {
    struct Nothing final : Listening {};
    return std::unique_ptr<Listening>(std::make_unique<Nothing>());
  }
  std::lock_guard lock(listener_mu_);
  if (!listener_) {
    PgNotifier* notifier = notifier_.get();
    listener_ = std::make_unique<PgListener>(pool_.connect_string(),
                                             [notifier] { return notifier->backend_pid(); });
  }
  return listener_->Subscribe(std::move(on_change));
}

std::string SqlStore::Dialect() const { return DialectName(dialect_); }

Result<std::vector<std::string>> SqlStore::Migrate() {
  return pool_.WithConn([&](Conn& c) -> Result<std::vector<std::string>> {
    return ApplyMigrations(pool_, c, clock_);
  });
}

Status SqlStore::Ping() {
  return pool_.WithConn([&](Conn& c) -> Status {
    Get(c, kPing).RunAll();
    return Status::Ok();
  });
}

Status SqlStore::Transact(const std::function<Status(StoreTx&)>& fn) {
  return pool_.WithConn([&](Conn& c) -> Status {
    Get(c, kBegin).RunAll();
    SqlTx tx(pool_, c, clock_);
    Status st;
    try {
      st = fn(tx);
    } catch (const std::exception& e) {
      st = Status::Internal(std::string("exception inside a transaction: ") + e.what());
    } catch (...) {
      st = Status::Internal("exception inside a transaction");
    }
    if (st.ok() && tx.failure()) st = *tx.failure();
    if (!st.ok()) {
      pool_.Rollback(c);
      return st;
    }
    Get(c, kCommit).RunAll();
    return Status::Ok();
  });
}

Result<AppendOutcome> SqlStore::AppendToOpenSession(
    const std::string& channel, const std::string& customer_key, const Message& m,
    std::optional<std::pair<TimePoint, TimePoint>> extend, const std::string& event_tail) {
  const AppendRequest request{channel, customer_key, m, extend, event_tail};
  if (dialect_ == SqlDialect::kPostgres) {
    // One statement in autocommit: atomic on its own.
    return pool_.WithConn([&](Conn& c) -> Result<AppendOutcome> {
      return AppendInOneStatement(pool_, c, clock_, request);
    });
  }
  // SQLite has no data-modifying CTEs: the same steps in one transaction.
  AppendOutcome out;
  Status st = Transact([&](StoreTx& tx) -> Status {
    HANDOFFD_ASSIGN_OR_RETURN(out, AppendStepByStep(tx, request));
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return out;
}

Result<std::unique_ptr<LeaderLock>> SqlStore::TryAcquireLeadership(const std::string& job) {
  if (dialect_ == SqlDialect::kSqlite) return SqliteLeadership();
  return TryPgLeadership(pool_.connect_string(), job);
}

Result<int64_t> SqlStore::Prune(TimePoint before, TimePoint now) {
  return pool_.WithConn([&](Conn& c) -> Result<int64_t> {
    Stmt& keys = Get(c, kPruneWebhookKeys).Time(before);
    keys.RunAll();
    int64_t removed = keys.Affected();
    Stmt& tokens = Get(c, kPruneTokens).Time(now);
    tokens.RunAll();
    removed += tokens.Affected();
    return removed;
  });
}

}  // namespace sqlstore

Result<std::unique_ptr<Store>> OpenStore(const StoreOptions& options) {
  using sqlstore::SqlDialect;
  if (options.clock == nullptr) return Status::BadRequest("StoreOptions.clock is not set");
  const std::string& url = options.url;
  SqlDialect dialect;
  std::string connect;
  if (url.rfind("sqlite:", 0) == 0) {
    dialect = SqlDialect::kSqlite;
    const std::string path = url.substr(7);
    if (path.empty()) return Status::BadRequest("database url 'sqlite:' needs a file path");
    if (path.find('"') != std::string::npos) {
      return Status::BadRequest("database path must not contain '\"'");
    }
    const std::filesystem::path parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) {
      std::error_code ec;
      std::filesystem::create_directories(parent, ec);
      if (ec) {
        return Status::Unavailable("cannot create database directory " + parent.string() + ": " +
                                   ec.message());
      }
    }
    const auto seconds =
        std::max<int64_t>(1, std::chrono::ceil<std::chrono::seconds>(options.busy_timeout).count());
    const bool quote = path.find_first_of(" \t") != std::string::npos;
    connect = "db=" + (quote ? "\"" + path + "\"" : path) + " timeout=" + std::to_string(seconds);
  } else if (url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0) {
    dialect = SqlDialect::kPostgres;
    if (url.find_first_of(" \t\n") != std::string::npos) {
      return Status::BadRequest("a PostgreSQL URI cannot contain spaces (percent-encode them)");
    }
    connect = SociPostgresConnectString(url);
  } else {
    return Status::BadRequest("unsupported database url (want sqlite:PATH or postgresql://...)");
  }
  auto store = std::make_unique<sqlstore::SqlStore>(dialect, connect, options, *options.clock);
  Status st = store->Connect();
  if (!st.ok()) return st;
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace handoffd
