// Teams: queues with their own members, business hours and trigger ids (PRODUCT.md "Teams,
// queues and routing"; API.md TEAM).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace handoffd {

/// The team every session belongs to unless a trigger id names another (created by migration
/// 0005; holds the configured handoff trigger, AGENT_MODE).
inline constexpr const char* kGeneralTeamSlug = "general";

/// Highest session priority (0 normal .. 3 urgent).
inline constexpr int kMaxPriority = 3;

/// A trigger id of a team and the priority its sessions open with.
struct TeamTrigger {
  std::string id;
  int priority = 0;
};

struct Team {
  int64_t id = 0;
  std::string name;
  std::string slug;  // [a-z0-9_-]{1,64}, unique
  std::vector<TeamTrigger> triggers;
  std::string timezone = "UTC";  // IANA name
  /// Weekly opening hours, e.g. "mon-fri 09:00-18:00; sat 10:00-14:00" (routing/business_hours.h);
  /// empty: always open.
  std::string hours;
  std::vector<std::string> holidays;  // YYYY-MM-DD in the team's time zone, closed all day
};

/// A team as AGENT.teams shows it.
struct TeamRef {
  int64_t id = 0;
  std::string name;
};

}  // namespace handoffd
