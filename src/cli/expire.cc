// `handoffd expire --once`.
#include "cli/command_line.h"
#include "cli/commands.h"
#include "cli/daemon.h"
#include "cli/store_access.h"
#include "metrics/metrics.h"
#include "router/session_service.h"
#include "scheduler/expiry.h"

namespace handoffd {

int RunExpireOnce(const Config& config, Logger& log) {
  auto store = OpenMigratedStore(config, IfMissing::kFail);
  if (!store.ok()) return Fail(store.status().ToString());
  Metrics metrics;
  SessionService sessions(**store, WallClock(), MakeSessionServiceOptions(config));
  ExpiryJob job(**store, sessions, WallClock(), log, metrics);
  // Sessions that could not be ended are in the sweep's log line and are retried by the next
  // sweep; the sweep itself ran.
  job.RunOnce();
  return 0;
}

}  // namespace handoffd
