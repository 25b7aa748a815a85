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
