// Test harness (test-only): a migrated database of one dialect with a Router, a SessionService,
// a ManualClock and a logger writing to a string, plus helpers to deliver webhook bodies.
#pragma once

#include <memory>
#include <sstream>
#include <string>

#include "common/result.h"
#include "log/logger.h"
#include "metrics/metrics.h"
#include "router/router.h"
#include "router/session_service.h"
#include "support/manual_clock.h"
#include "support/test_db.h"

namespace handoffd::testing {

struct RouterHarness {
  explicit RouterHarness(const std::string& dialect,
                         RouterOptions router_options = DefaultRouterOptions());

  static RouterOptions DefaultRouterOptions();
  static SessionServiceOptions DefaultSessionOptions();

  /// Parses `body` as the webhook endpoint would and hands it to the router.
  Result<RouteReport> Deliver(const std::string& body);
  /// A text/button webhook from `wa_id` stamped with the clock's current time.
  Result<RouteReport> Text(const std::string& wa_id, const std::string& text);
  Result<RouteReport> Button(const std::string& wa_id, const std::string& id);
  /// The customer's open session (asserts there is exactly one).
  std::optional<Session> OpenSession(const std::string& wa_id);
  /// Creates an agent and returns it.
  Agent AddAgent(const std::string& name, Role role = Role::kAgent);
  /// Outbox items queued since the previous call, in id order (they stay in the outbox).
  std::vector<OutboxItem> TakeOutbox();
  std::vector<Message> Messages(int64_t session_id);

  TestDatabase db;
  std::unique_ptr<Store> store;
  ManualClock clock;
  std::ostringstream log_text;
  std::shared_ptr<Logger> log;
  Metrics metrics;
  std::unique_ptr<Router> router;
  std::unique_ptr<SessionService> sessions;

 private:
  int64_t outbox_taken_ = 0;
};

/// Reads a fixture file from tests/fixtures/whatsapp exactly as stored.
std::string ReadFixture(const std::string& name);

}  // namespace handoffd::testing
