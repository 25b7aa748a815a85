// A direct database session for the benchmarks that seed data in bulk (expiry_sweep,
// routing_assign, report_query): the same URLs as database.url.
#pragma once

#include <memory>
#include <string>

#include "store/soci_includes.h"

namespace bench {

/// "sqlite:PATH" or "postgresql://..." as a SOCI session; throws soci::soci_error when it fails.
inline std::unique_ptr<soci::session> ConnectSql(const std::string& url) {
  if (url.rfind("sqlite:", 0) == 0) {
    return std::make_unique<soci::session>(soci::sqlite3, "db=" + url.substr(7));
  }
  return std::make_unique<soci::session>(soci::postgresql,
                                         handoffd::SociPostgresConnectString(url));
}

}  // namespace bench
