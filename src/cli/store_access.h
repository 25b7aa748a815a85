// How the one-shot commands open the configured database. `serve` and `migrate` create a missing
// SQLite file; the other commands refuse to, so a command run without the right --config says
// so instead of silently creating ./var/handoffd.db (issue 13).
#pragma once

#include <memory>

#include "common/clock.h"
#include "common/result.h"
#include "config/config.h"
#include "store/store.h"

namespace handoffd {

enum class IfMissing {
  kCreate,  // create the SQLite file (and its directory)
  kFail,    // kNotFound when the SQLite file does not exist
};

/// The wall clock of the one-shot commands' stores (they live until the process exits).
const Clock& WallClock();

/// Opens the configured store without migrating it.
Result<std::unique_ptr<Store>> OpenConfiguredStore(const Config& config, IfMissing if_missing);

/// Opens the configured store and applies pending migrations silently.
Result<std::unique_ptr<Store>> OpenMigratedStore(const Config& config, IfMissing if_missing);

}  // namespace handoffd
