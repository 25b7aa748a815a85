// Agents, supervisors and admins of the dashboard (API.md AGENT).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "domain/team.h"

namespace handoffd {

enum class Role { kAgent, kSupervisor, kAdmin };
enum class AgentStatus { kOnline, kAway, kOffline };

const char* ToString(Role r);
const char* ToString(AgentStatus s);
std::optional<Role> ParseRole(std::string_view s);
std::optional<AgentStatus> ParseAgentStatus(std::string_view s);

/// Supervisors and admins may see and act on every session.
inline bool IsSupervisor(Role r) { return r == Role::kSupervisor || r == Role::kAdmin; }

struct Agent {
  int64_t id = 0;
  std::string email;  // stored lower-cased; unique
  std::string name;
  Role role = Role::kAgent;
  AgentStatus status = AgentStatus::kOffline;
  int max_chats = 5;
  /// Number of `active` sessions assigned to the agent (computed on read).
  int active_chats = 0;
  /// argon2id hash string (libsodium crypto_pwhash_str); never leaves the server.
  std::string password_hash;
  /// Last sign of life: an open event stream (refreshed every 15 s), a login or a status change.
  std::optional<TimePoint> last_seen_at;
  /// The teams the agent is a member of, by id (read with the agent).
  std::vector<TeamRef> teams;
  /// When the agent was last assigned a session (routing ties), if ever.
  std::optional<TimePoint> last_assigned_at;
};

/// `agent` with the status others should see at `now`: offline when it has shown no sign of life
/// for 60 s (no open event stream), else its chosen status.
Agent WithPresence(Agent agent, TimePoint now);

}  // namespace handoffd
