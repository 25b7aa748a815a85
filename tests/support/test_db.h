// Fresh, empty databases for tests (test-only). Every store test runs on both dialects:
//   INSTANTIATE_TEST_SUITE_P(Db, MyTest, ::testing::ValuesIn(handoffd::testing::TestDialects()));
// PostgreSQL comes from the server scripts/test starts: HANDOFFD_TEST_PG_URL names a database
// on it whose role may CREATE DATABASE. When that variable is unset, PostgreSQL cases fail
// loudly (they are never skipped silently).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "store/store.h"

namespace handoffd::testing {

/// {"sqlite", "postgresql"}.
std::vector<std::string> TestDialects();

/// A new database of `dialect` (a temp SQLite file, or a new PostgreSQL database named
/// t_<random>), dropped/removed on destruction. Not migrated: call Open() then Migrate().
class TestDatabase {
 public:
  explicit TestDatabase(const std::string& dialect);
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  /// The database URL as config `database.url` takes it.
  const std::string& url() const { return url_; }
  /// Options for a store on it: its url, `pool_size` connections and clock().
  StoreOptions Options(int pool_size = 4) const;
  /// Opens a store on it with `pool_size` connections and applies migrations; asserts success.
  std::unique_ptr<Store> OpenMigrated(int pool_size = 4) const;
  /// Reads straight from the database over a connection of its own (for state the Store does not
  /// expose): every row of `sql`, each column as text ("" for NULL). `sql` may hold one ":p"
  /// placeholder, bound to `param`.
  std::vector<std::vector<std::string>> QueryRows(
      const std::string& sql, const std::optional<std::string>& param = {}) const;
  /// The first column of the first row of QueryRows(sql, param); "" when there is no row.
  std::string QueryText(const std::string& sql, const std::optional<std::string>& param = {}) const;
  /// PostgreSQL: ends every other connection to the database, as a server restart or a failover
  /// would. Throws for SQLite.
  void TerminateOtherConnections() const;

  /// The stores' clock: the wall clock.
  const Clock& clock() const { return clock_; }

 private:
  SystemClock clock_;
  std::string dialect_;
  std::string url_;
  std::string name_;  // PostgreSQL database name or SQLite directory
};

}  // namespace handoffd::testing
