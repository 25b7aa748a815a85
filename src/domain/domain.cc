// String forms of the domain enums (the values stored in the database and sent in JSON).
#include <array>
#include <string_view>

#include "domain/agent.h"
#include "domain/message.h"
#include "domain/session.h"

namespace handoffd {
namespace {

template <typename E, size_t N>
std::optional<E> ParseByName(std::string_view s, const std::array<const char*, N>& names) {
  for (size_t i = 0; i < N; ++i) {
    if (s == names[i]) return static_cast<E>(i);
  }
  return std::nullopt;
}

constexpr std::array<const char*, 3> kSessionStatus = {"waiting", "active", "ended"};
constexpr std::array<const char*, 4> kEndReason = {"agent", "customer", "expired", "supervisor"};
constexpr std::array<const char*, 4> kSenderType = {"customer", "agent", "system", "bot"};
constexpr std::array<const char*, 3> kDirection = {"in", "out", "internal"};
constexpr std::array<const char*, 7> kDelivery = {"received", "queued", "sent",    "delivered",
                                                  "read",     "failed", "internal"};
constexpr std::array<const char*, 3> kRole = {"agent", "supervisor", "admin"};
constexpr std::array<const char*, 3> kAgentStatus = {"online", "away", "offline"};

}  // namespace

const char* ToString(SessionStatus v) { return kSessionStatus[static_cast<size_t>(v)]; }
const char* ToString(EndReason v) { return kEndReason[static_cast<size_t>(v)]; }
const char* ToString(SenderType v) { return kSenderType[static_cast<size_t>(v)]; }
const char* ToString(Direction v) { return kDirection[static_cast<size_t>(v)]; }
const char* ToString(DeliveryStatus v) { return kDelivery[static_cast<size_t>(v)]; }
const char* ToString(Role v) { return kRole[static_cast<size_t>(v)]; }
const char* ToString(AgentStatus v) { return kAgentStatus[static_cast<size_t>(v)]; }

std::optional<SessionStatus> ParseSessionStatus(std::string_view s) {
  return ParseByName<SessionStatus>(s, kSessionStatus);
}
std::optional<EndReason> ParseEndReason(std::string_view s) {
  return ParseByName<EndReason>(s, kEndReason);
}
std::optional<SenderType> ParseSenderType(std::string_view s) {
  return ParseByName<SenderType>(s, kSenderType);
}
std::optional<Direction> ParseDirection(std::string_view s) {
  return ParseByName<Direction>(s, kDirection);
}
std::optional<DeliveryStatus> ParseDeliveryStatus(std::string_view s) {
  return ParseByName<DeliveryStatus>(s, kDelivery);
}
std::optional<Role> ParseRole(std::string_view s) { return ParseByName<Role>(s, kRole); }
std::optional<AgentStatus> ParseAgentStatus(std::string_view s) {
  return ParseByName<AgentStatus>(s, kAgentStatus);
}

Agent WithPresence(Agent agent, TimePoint now) {
  if (!agent.last_seen_at || *agent.last_seen_at < now - std::chrono::seconds(60)) {
    agent.status = AgentStatus::kOffline;
  }
  return agent;
}

bool IsDeliveryAdvance(DeliveryStatus from, DeliveryStatus to) {
  if (from == DeliveryStatus::kFailed || from == to) return false;
  if (to == DeliveryStatus::kFailed) return true;
  auto rank = [](DeliveryStatus s) {
    switch (s) {
      case DeliveryStatus::kQueued:
        return 1;
      case DeliveryStatus::kSent:
        return 2;
      case DeliveryStatus::kDelivered:
        return 3;
      case DeliveryStatus::kRead:
        return 4;
      default:
        return 0;
    }
  };
  return rank(to) > rank(from);
}

}  // namespace handoffd
