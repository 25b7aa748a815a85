// `handoffd serve`: composes the store, router, outbox worker, expiry scheduler and HTTP server
// from the configuration, and runs until SIGINT/SIGTERM.
#pragma once

#include "config/config.h"
#include "log/logger.h"
#include "router/router.h"
#include "router/session_service.h"

namespace handoffd {

/// Runs the daemon; returns the process exit status (0 after a clean signal-triggered stop,
/// 1 when the database or the listen address is unusable).
int RunDaemon(const Config& config, bool migrate, Logger& log);

/// Options for the pieces, built from the config (shared by serve and the one-shot commands).
RouterOptions MakeRouterOptions(const Config& config);
SessionServiceOptions MakeSessionServiceOptions(const Config& config);

}  // namespace handoffd
