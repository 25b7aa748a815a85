// Internal to src/store: do not include from outside the store layer (it brings in SOCI).
//
// The webhook's fast path (Store::AppendToOpenSession and StoreTx::AppendToOpenSession): one
// customer message joins the customer's open session, with its message.created event and, when
// it extends the session, the moved timers (session.extended). PostgreSQL does it in one
// data-modifying statement (catalogue kAppendToOpenSession); SQLite, which has none, in steps.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "store/connection_pool.h"
#include "store/store.h"

namespace handoffd::sqlstore {

/// What to append (the arguments of Store::AppendToOpenSession).
struct AppendRequest {
  const std::string& channel;
  const std::string& customer_key;
  const Message& message;
  std::optional<std::pair<TimePoint, TimePoint>> extend;
  const std::string& event_tail;
};

/// PostgreSQL: runs kAppendToOpenSession on `c`, in autocommit or inside the transaction open on
/// it. A zero created_at is `clock`'s now. Throws the driver's exception on a database error.
AppendOutcome AppendInOneStatement(const ConnectionPool& pool, Conn& c, const Clock& clock,
                                   const AppendRequest& r);

/// PostgreSQL: AppendInOneStatement for each item in order, inside the transaction open on `c`,
/// with many items per statement (catalogue kAppendManyToOpenSessions): a run of items with
/// distinct customers and distinct non-empty channel_message_ids shares one statement, which
/// writes exactly the rows, ids and events of running them one by one. Throws the driver's
/// exception on a database error (the transaction must then roll back).
std::vector<AppendOutcome> AppendManyInOneStatement(const ConnectionPool& pool, Conn& c,
                                                    const Clock& clock,
                                                    const std::vector<OpenSessionAppend>& items);

/// SQLite (or any dialect): the same writes step by step through `tx`, inside its transaction.
Result<AppendOutcome> AppendStepByStep(StoreTx& tx, const AppendRequest& r);

}  // namespace handoffd::sqlstore
