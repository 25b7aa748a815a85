// Versioned SQL migrations compiled into the binary from migrations/<dialect>/<version>.sql.
#pragma once

#include <string>
#include <vector>

namespace handoffd {

struct EmbeddedMigration {
  std::string dialect;  // "sqlite" or "postgresql" (the folder name)
  std::string version;  // file name without ".sql", e.g. "0001_initial"; applied in name order
  std::string sql;      // statements separated by ";" at line ends
};

/// Every migration of every dialect, sorted by version within a dialect.
const std::vector<EmbeddedMigration>& EmbeddedMigrations();

}  // namespace handoffd
