// Internal to src/store: do not include from outside the store layer (it brings in SOCI).
//
// Applying the embedded migrations (migrations.h) of a dialect.
#pragma once

#include <string>
#include <vector>

#include "common/clock.h"
#include "store/connection_pool.h"

namespace handoffd::sqlstore {

/// The statements of a migration file: split at ";" ending a line; "--" comment lines dropped.
std::vector<std::string> SplitStatements(const std::string& sql);

/// Applies the pending migrations of the pool's dialect on `c` (leased from `pool`, outside any
/// transaction) in version order, each in its own transaction recorded in schema_migrations with
/// clock.Now(). Concurrent migrators are serialised (PostgreSQL: an advisory lock; SQLite: BEGIN
/// IMMEDIATE). Returns the versions applied now. Throws on database errors.
std::vector<std::string> ApplyMigrations(const ConnectionPool& pool, Conn& c, const Clock& clock);

}  // namespace handoffd::sqlstore
