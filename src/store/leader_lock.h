// Internal to src/store: do not include from outside the store layer.
//
// Leadership of a named job (store.h LeaderLock). PostgreSQL: a session-level advisory lock on a
// dedicated connection, released when the lock object is destroyed or the connection dies.
// SQLite: always granted (one instance per database file).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"
#include "store/store.h"

namespace handoffd::sqlstore {

/// 64-bit FNV-1a: a stable advisory-lock key for a name (same on every instance and build).
int64_t LockKey(std::string_view name);

/// Opens a dedicated connection (SOCI connect string `connect_string`) and tries the advisory
/// lock of `job` on it; nullptr when another session holds it, kUnavailable on database errors.
Result<std::unique_ptr<LeaderLock>> TryPgLeadership(const std::string& connect_string,
                                                    const std::string& job);

/// The always-granted lock of SQLite.
std::unique_ptr<LeaderLock> SqliteLeadership();

}  // namespace handoffd::sqlstore
