// Both dialects' migrations (migrations/sqlite, migrations/postgresql) must build the same
// schema: the same tables, the same columns per table and the same named indexes. Column types
// differ by design (SQLite INTEGER PRIMARY KEY vs PostgreSQL identity BIGINT) and are not
// compared; neither are the indexes each database creates by itself for primary keys and UNIQUE
// constraints (sqlite_autoindex_*, *_pkey, *_key).
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "store/store.h"
#include "support/test_db.h"

namespace handoffd {
namespace {

using testing::TestDatabase;

struct Schema {
  std::map<std::string, std::set<std::string>> columns;  // table -> column names
  std::map<std::string, std::string> indexes;            // index name -> "table unique|plain"
};

Schema ReadSqlite(const TestDatabase& db) {
  Schema out;
  for (const auto& row : db.QueryRows(
           "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")) {
    const std::string& table = row.at(0);
    for (const auto& col : db.QueryRows("SELECT name FROM pragma_table_info(:p)", table)) {
      out.columns[table].insert(col.at(0));
    }
  }
  // sql IS NULL: created by SQLite itself for a PRIMARY KEY or UNIQUE constraint.
  for (const auto& row : db.QueryRows("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = "
                                      "'index' AND sql IS NOT NULL")) {
    const bool unique = row.at(2).rfind("CREATE UNIQUE", 0) == 0;
    out.indexes[row.at(0)] = row.at(1) + (unique ? " unique" : " plain");
  }
  return out;
}

Schema ReadPostgres(const TestDatabase& db) {
  Schema out;
  for (const auto& row :
       db.QueryRows("SELECT CAST(table_name AS TEXT), CAST(column_name AS TEXT)"
                    " FROM information_schema.columns WHERE table_schema = current_schema()")) {
    out.columns[row.at(0)].insert(row.at(1));
  }
  // Indexes that back a constraint (primary keys, UNIQUE) are the database's own.
  for (const auto& row : db.QueryRows(
           "SELECT CAST(i.indexname AS TEXT), CAST(i.tablename AS TEXT),"
           " CASE WHEN i.indexdef LIKE 'CREATE UNIQUE%' THEN 'unique' ELSE 'plain' END"
           " FROM pg_indexes i WHERE i.schemaname = current_schema()"
           " AND NOT EXISTS (SELECT 1 FROM pg_constraint c"
           " WHERE c.conindid = CAST(quote_ident(i.schemaname) || '.' || quote_ident(i.indexname)"
           " AS regclass))")) {
    out.indexes[row.at(0)] = row.at(1) + " " + row.at(2);
  }
  return out;
}

std::vector<std::string> Keys(const std::map<std::string, std::set<std::string>>& m) {
  std::vector<std::string> out;
  for (const auto& [k, v] : m) out.push_back(k);
  return out;
}

TEST(StoreSchemaParity, BothDialectsMigrateToTheSameTablesColumnsAndIndexes) {
  TestDatabase sqlite("sqlite");
  TestDatabase postgres("postgresql");
  sqlite.OpenMigrated(1);
  postgres.OpenMigrated(1);

  const Schema lite = ReadSqlite(sqlite);
  const Schema pg = ReadPostgres(postgres);

  ASSERT_FALSE(lite.columns.empty());
  EXPECT_TRUE(lite.columns.count("schema_migrations"));
  EXPECT_EQ(Keys(lite.columns), Keys(pg.columns));
  for (const auto& [table, columns] : lite.columns) {
    auto it = pg.columns.find(table);
    if (it == pg.columns.end()) continue;  // reported above
    EXPECT_EQ(columns, it->second) << "columns of table " << table;
  }
  ASSERT_FALSE(lite.indexes.empty());
  EXPECT_EQ(lite.indexes, pg.indexes);
}

}  // namespace
}  // namespace handoffd
