#include "store/sql_migrate.h"

#include <cctype>
#include <utility>

#include "store/leader_lock.h"
#include "store/migrations.h"

namespace handoffd::sqlstore {

std::vector<std::string> SplitStatements(const std::string& sql) {
  std::vector<std::string> out;
  std::string current;
  size_t start = 0;
  while (start <= sql.size()) {
    size_t end = sql.find('\n', start);
    if (end == std::string::npos) end = sql.size();
    std::string line = sql.substr(start, end - start);
    start = end + 1;
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
    const size_t first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line.compare(first, 2, "--") == 0) continue;
    const bool last = line.back() == ';';
    if (last) line.pop_back();
    if (!current.empty()) current += '\n';
    current += line;
    if (last) {
      out.push_back(std::move(current));
      current.clear();
    }
  }
  if (current.find_first_not_of(" \t\n") != std::string::npos) out.push_back(std::move(current));
  return out;
}

std::vector<std::string> ApplyMigrations(const ConnectionPool& pool, Conn& c, const Clock& clock) {
  soci::session& sql = *c.sql;
  const bool pg = pool.dialect() == SqlDialect::kPostgres;
  long long lock_key = LockKey("handoffd:migrate");
  // Two instances starting together: the advisory lock serialises them on PostgreSQL, the
  // write lock of BEGIN IMMEDIATE on SQLite.
  auto begin = [&] {
    pool.Get(c, kBegin).RunAll();
    if (pg) sql << "SELECT pg_advisory_xact_lock(:key)", soci::use(lock_key);
  };
  begin();
  sql << "CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY,"
         " applied_at BIGINT NOT NULL)";
  pool.Get(c, kCommit).RunAll();

  std::vector<std::string> applied;
  for (const EmbeddedMigration& m : EmbeddedMigrations()) {
    if (m.dialect != DialectName(pool.dialect())) continue;
    begin();
    long long done = 0;
    std::string version = m.version;
    sql << "SELECT COUNT(*) FROM schema_migrations WHERE version = :version", soci::use(version),
        soci::into(done);
    if (done == 0) {
      for (const std::string& statement : SplitStatements(m.sql)) sql << statement;
      long long now = ToUnixMillis(clock.Now());
      sql << "INSERT INTO schema_migrations (version, applied_at) VALUES (:version, :now)",
          soci::use(version), soci::use(now);
      applied.push_back(m.version);
    }
    pool.Get(c, kCommit).RunAll();
  }
  return applied;
}

}  // namespace handoffd::sqlstore
