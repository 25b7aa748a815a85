// The auto-assignment rule of PRODUCT.md "Routing modes" as a pure function: given the online
// agents (capacity, active chats, teams, last assignment) and the waiting sessions, who gets
// what. No I/O, no clock: the store locks the rows it reads and the router applies the plan.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <vector>

#include "common/clock.h"

namespace handoffd {

/// An agent that may receive sessions (the caller passes only `online` agents with a sign of
/// life; others get nothing new).
struct RoutingAgent {
  int64_t id = 0;
  int max_chats = 0;  // 0 = unlimited
  int active_chats = 0;
  std::vector<int64_t> teams;
  std::optional<TimePoint> last_assigned_at;  // nullopt: never assigned (first in ties)
};

/// A waiting session.
struct QueuedSession {
  int64_t id = 0;
  int64_t team_id = 0;
  int priority = 0;               // higher first
  int64_t queue_order = 0;        // then lower first (created_at ms, 0 when put back at the front)
  std::set<int64_t> declined_by;  // agents it is not offered to again
};

struct PlannedAssignment {
  int64_t session_id = 0;
  int64_t agent_id = 0;
};

/// Sessions in queue order (priority high first, then queue_order, then id), each to the member
/// of its team with free capacity and the fewest active chats; ties go to the agent assigned
/// least recently (never assigned first), then the lowest id. A session no eligible agent can
/// take stays queued without blocking the sessions behind it (another team's, or one declined
/// by the only free agent). Each assignment counts against the agent's capacity and makes it the
/// most recently assigned. Deterministic; O(sessions x agents).
std::vector<PlannedAssignment> PlanAssignments(std::vector<RoutingAgent> agents,
                                               std::vector<QueuedSession> queue);

}  // namespace handoffd
