// Agent sessions: a customer's conversation with a human agent (PRODUCT.md "Session states").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"

namespace handoffd {

/// WhatsApp's customer service window: free-form messages may be sent for 24 hours after the
/// customer's last message (facts §5 "24-hour customer service window"); after that only
/// templates. SESSION.window_expires_at = last_customer_message_at + this.
inline constexpr Duration kServiceWindow = std::chrono::hours(24);

/// waiting -> active -> ended, or waiting -> ended. Stored as the lower-case name.
enum class SessionStatus { kWaiting, kActive, kEnded };

/// Why a session ended. Stored as the lower-case name.
enum class EndReason { kAgent, kCustomer, kExpired, kSupervisor };

const char* ToString(SessionStatus s);
const char* ToString(EndReason r);
std::optional<SessionStatus> ParseSessionStatus(std::string_view s);
std::optional<EndReason> ParseEndReason(std::string_view s);

/// One agent session row, with the assigned agent's name joined in (API.md SESSION).
struct Session {
  int64_t id = 0;
  std::string channel = "whatsapp";
  int64_t contact_id = 0;
  /// The customer key the channel replies to: WhatsApp `wa_id` digits, or the business-scoped
  /// user id when `wa_id` is empty (facts §4a). Exposed as "phone_number".
  std::string phone_number;
  std::string customer_name;
  /// The business number (WhatsApp `metadata.phone_number_id`) the conversation runs on.
  std::string phone_number_id;
  SessionStatus status = SessionStatus::kWaiting;
  std::optional<int64_t> agent_id;
  std::optional<std::string> agent_name;
  TimePoint created_at{};
  std::optional<TimePoint> assigned_at;
  std::optional<TimePoint> ended_at;
  std::optional<EndReason> end_reason;
  /// When the scheduler ends the session: last customer message's WhatsApp timestamp + TTL.
  TimePoint expires_at{};
  std::optional<TimePoint> last_customer_message_at;
  /// The team (queue) the session belongs to, and its name.
  int64_t team_id = 0;
  std::string team_name;
  /// 0 normal .. 3 urgent: queues take higher priority first, then the oldest.
  int priority = 0;
  /// 1-based place in its team's queue while waiting (computed on read), else nullopt.
  std::optional<int64_t> queue_position;
  /// Labels set by agents (PUT .../labels), sorted, unique, each 1-32 of [a-z0-9_-].
  std::vector<std::string> labels;
  /// Per-session times in milliseconds, written at the transitions (nullopt until known): wait =
  /// created to first assignment; first response = first assignment to the first agent message;
  /// handle = first assignment to end.
  std::optional<int64_t> wait_ms;
  std::optional<int64_t> first_response_ms;
  std::optional<int64_t> handle_ms;
  /// Ended without ever being assigned.
  bool missed = false;
  /// CSAT: when the rating was asked, the answer (1 Bad, 2 OK, 3 Good) and the comment.
  std::optional<TimePoint> csat_asked_at;
  std::optional<int> csat_score;
  std::optional<TimePoint> csat_answered_at;
  std::optional<std::string> csat_comment;
};

inline bool IsOpen(SessionStatus s) { return s != SessionStatus::kEnded; }

/// A customer message's extension as StoreTx::ExtendSession stores it: last_customer_message_at
/// and expires_at each become the later of their value and the given one.
inline void ApplyExtension(Session& s, TimePoint last_customer_message_at, TimePoint expires_at) {
  if (!s.last_customer_message_at || *s.last_customer_message_at < last_customer_message_at) {
    s.last_customer_message_at = last_customer_message_at;
  }
  if (s.expires_at < expires_at) s.expires_at = expires_at;
}

}  // namespace handoffd
