// SOCI for the .cc files that talk SQL (the store and its test support); never include it from a
// header that others see. Debian's libsoci-dev is built with Boost integration and its headers then
// require Boost; handoffd uses none of it (the Boost parts are header-only templates), so it is
// switched off here and Boost headers are not needed.
#pragma once

#include <soci/soci-platform.h>
#undef SOCI_HAVE_BOOST
#undef SOCI_HAVE_BOOST_DATE_TIME

#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <string>

namespace handoffd {

/// SOCI 4.0's PostgreSQL backend re-splits its connection string as "key=value" words and would
/// turn a bare URI into "URI=" (a database named "db="). A URI that already holds a '=' survives
/// that unchanged, so one without is given a harmless application_name parameter.
inline std::string SociPostgresConnectString(const std::string& uri) {
  if (uri.find('=') != std::string::npos) return uri;
  const char* sep = uri.find('?') == std::string::npos ? "?" : "";
  return uri + sep + "application_name=handoffd";
}

}  // namespace handoffd
