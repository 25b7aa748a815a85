#include "store/connection_pool.h"

#include <poll.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string_view>
#include <vector>

#include "store/search_fold.h"
#include "store/unicode_lower.h"

namespace handoffd::sqlstore {
namespace {

/// SQLite's LOWER() folds ASCII only; this one folds every name (history search).
void SqliteLower(sqlite_api::sqlite3_context* ctx, int, sqlite_api::sqlite3_value** argv) {
  if (sqlite_api::sqlite3_value_type(argv[0]) == SQLITE_NULL) {
    sqlite_api::sqlite3_result_null(ctx);
    return;
  }
  const auto* text = sqlite_api::sqlite3_value_text(argv[0]);
  const int bytes = sqlite_api::sqlite3_value_bytes(argv[0]);
  const std::string lowered =
      LowerUtf8(std::string_view(reinterpret_cast<const char*>(text), static_cast<size_t>(bytes)));
  sqlite_api::sqlite3_result_text(ctx, lowered.data(), static_cast<int>(lowered.size()),
                                  reinterpret_cast<sqlite_api::sqlite3_destructor_type>(
                                      static_cast<intptr_t>(-1)));  // SQLITE_TRANSIENT
}

/// handoffd_fold(text): accents removed and case folded (history search, see search_fold.h).
void SqliteFold(sqlite_api::sqlite3_context* ctx, int, sqlite_api::sqlite3_value** argv) {
  if (sqlite_api::sqlite3_value_type(argv[0]) == SQLITE_NULL) {
    sqlite_api::sqlite3_result_null(ctx);
    return;
  }
  const auto* text = sqlite_api::sqlite3_value_text(argv[0]);
  const int bytes = sqlite_api::sqlite3_value_bytes(argv[0]);
  const std::string folded = FoldForSearch(
      std::string_view(reinterpret_cast<const char*>(text), static_cast<size_t>(bytes)));
  sqlite_api::sqlite3_result_text(ctx, folded.data(), static_cast<int>(folded.size()),
                                  reinterpret_cast<sqlite_api::sqlite3_destructor_type>(
                                      static_cast<intptr_t>(-1)));  // SQLITE_TRANSIENT
}

/// handoffd_percentile(x, p): aggregate state, the group's non-NULL values and p.
struct PercentileState {
  std::vector<double>* values;
  double p;
};

void PercentileStep(sqlite_api::sqlite3_context* ctx, int, sqlite_api::sqlite3_value** argv) {
  auto* st = static_cast<PercentileState*>(
      sqlite_api::sqlite3_aggregate_context(ctx, static_cast<int>(sizeof(PercentileState))));
  if (st == nullptr) return;
  if (st->values == nullptr) {
    st->values = new std::vector<double>();
    st->p = sqlite_api::sqlite3_value_double(argv[1]);
  }
  if (sqlite_api::sqlite3_value_type(argv[0]) == SQLITE_NULL) return;
  st->values->push_back(sqlite_api::sqlite3_value_double(argv[0]));
}

void PercentileFinal(sqlite_api::sqlite3_context* ctx) {
  auto* st = static_cast<PercentileState*>(sqlite_api::sqlite3_aggregate_context(ctx, 0));
  if (st == nullptr || st->values == nullptr || st->values->empty()) {
    if (st != nullptr) delete st->values;
    sqlite_api::sqlite3_result_null(ctx);
    return;
  }
  std::vector<double>& v = *st->values;
  std::sort(v.begin(), v.end());
  sqlite_api::sqlite3_result_int64(ctx, std::llround(PercentileCont(v, st->p)));
  delete st->values;
}

}  // namespace

double PercentileCont(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const double rank = std::clamp(p, 0.0, 1.0) * static_cast<double>(sorted.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(rank));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - static_cast<double>(lo));
}

Stmt& Conn::Get(const Catalogue& catalogue, Query q) {
  std::unique_ptr<Stmt>& s = cache[q];
  if (!s) {
    const QuerySpec& spec = catalogue[q];
    s = std::make_unique<Stmt>(*sql, spec.sql, spec.params, spec.cols, spec.repeatable);
  }
  return *s;
}

void QuietPostgresNotices(soci::session& sql) {
  auto* backend = static_cast<soci::postgresql_session_backend*>(sql.get_backend());
  PQsetNoticeProcessor(
      backend->conn_, [](void*, const char*) {}, nullptr);
}

ConnectionPool::ConnectionPool(SqlDialect dialect, std::string connect_string, int pool_size,
                               Duration busy_timeout)
    : dialect_(dialect),
      connect_string_(std::move(connect_string)),
      busy_timeout_(busy_timeout),
      catalogue_(BuildCatalogue(dialect)),
      pool_size_(static_cast<size_t>(std::max(1, pool_size))),
      pool_(pool_size_),
      conns_(pool_size_) {}

ConnectionPool::~ConnectionPool() {
  // Prepared statements go before their sessions.
  for (Conn& c : conns_) {
    for (auto& s : c.cache) s.reset();
  }
}

Status ConnectionPool::Connect() {
  try {
    for (size_t i = 0; i < pool_size_; ++i) {
      soci::session& sql = pool_.at(i);
      OpenSession(sql);
      conns_[i].sql = &sql;
    }
  } catch (...) {
    Status st = StatusFromCurrentException();
    return Status::Unavailable("cannot connect to the " + std::string(DialectName(dialect_)) +
                               " database: " + st.message());
  }
  return Status::Ok();
}

void ConnectionPool::Rollback(Conn& c) const {
  try {
    Get(c, kRollback).RunAll();
  } catch (...) {
    c.suspect = true;
  }
}

void ConnectionPool::OpenSession(soci::session& sql) const {
  sql.open(dialect_ == SqlDialect::kSqlite
               ? static_cast<const soci::backend_factory&>(soci::sqlite3)
               : soci::postgresql,
           connect_string_);
  InitSession(sql);
}

void ConnectionPool::InitSession(soci::session& sql) const {
  if (dialect_ == SqlDialect::kSqlite) {
    InitSqlite(sql);
  } else {
    QuietPostgresNotices(sql);
  }
}

void ConnectionPool::InitSqlite(soci::session& sql) const {
  // PRAGMA values cannot be bound; this one is our own integer.
  sql << "PRAGMA busy_timeout = " + std::to_string(busy_timeout_.count());
  std::string mode;
  sql << "PRAGMA journal_mode = WAL", soci::into(mode);
  sql << "PRAGMA foreign_keys = ON";
  sql << "PRAGMA synchronous = NORMAL";
  // SQLite's LOWER() folds ASCII only; history search must be case-insensitive for every name.
  auto* backend = static_cast<soci::sqlite3_session_backend*>(sql.get_backend());
  sqlite_api::sqlite3_create_function_v2(backend->conn_, "lower", 1,
                                         SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr, &SqliteLower,
                                         nullptr, nullptr, nullptr);
  sqlite_api::sqlite3_create_function_v2(backend->conn_, "handoffd_fold", 1,
                                         SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr, &SqliteFold,
                                         nullptr, nullptr, nullptr);
  // Reports: percentile_cont as PostgreSQL computes it, rounded to an integer.
  sqlite_api::sqlite3_create_function_v2(backend->conn_, "handoffd_percentile", 2,
                                         SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr, nullptr,
                                         &PercentileStep, &PercentileFinal, nullptr);
}

bool ConnectionPool::Broken(Conn& c) const {
  if (dialect_ != SqlDialect::kPostgres || c.sql == nullptr) return false;
  auto* backend = static_cast<soci::postgresql_session_backend*>(c.sql->get_backend());
  return backend == nullptr || backend->conn_ == nullptr ||
         PQstatus(backend->conn_) == CONNECTION_BAD;
}

void ConnectionPool::EnsureFresh(Conn& c, size_t pos) {
  if (dialect_ != SqlDialect::kPostgres || c.sql == nullptr) return;
  auto* backend = static_cast<soci::postgresql_session_backend*>(c.sql->get_backend());
  if (backend != nullptr && backend->conn_ != nullptr) {
    PGconn* pg = backend->conn_;
    if (PQstatus(pg) == CONNECTION_OK && PQtransactionStatus(pg) == PQTRANS_IDLE) {
      // An idle connection has nothing to read unless the server said goodbye (a FATAL
      // "terminating connection" and end-of-stream) or sent a notice; libpq sorts them out.
      pollfd p{PQsocket(pg), POLLIN, 0};
      if (p.fd < 0 || poll(&p, 1, 0) <= 0) return;
      if (PQconsumeInput(pg) == 1 && PQstatus(pg) == CONNECTION_OK) return;
    }
  }
  ++reconnects_;
  c.suspect = true;
  Repair(c, pos);
}

void ConnectionPool::Repair(Conn& c, size_t pos) {
  c.suspect = false;
  soci::session& sql = pool_.at(pos);
  try {
    sql << "ROLLBACK";
  } catch (...) {
    // No transaction was open, or the connection is gone.
  }
  for (auto& s : c.cache) s.reset();
  try {
    int one = 0;
    sql << "SELECT 1", soci::into(one);
    return;
  } catch (...) {
  }
  try {
    sql.reconnect();
    InitSession(sql);
  } catch (...) {
    c.suspect = true;  // try again next time
  }
}

}  // namespace handoffd::sqlstore
