// Messages of a conversation (API.md MESSAGE), inbound, outbound and internal.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"

namespace handoffd {

enum class SenderType { kCustomer, kAgent, kSystem, kBot };
enum class Direction { kIn, kOut, kInternal };

/// Delivery states. Outbound ones advance monotonically queued < sent < delivered < read;
/// failed is final (facts §3 "Ordering is not guaranteed").
enum class DeliveryStatus { kReceived, kQueued, kSent, kDelivered, kRead, kFailed, kInternal };

const char* ToString(SenderType v);
const char* ToString(Direction v);
const char* ToString(DeliveryStatus v);
std::optional<SenderType> ParseSenderType(std::string_view s);
std::optional<Direction> ParseDirection(std::string_view s);
std::optional<DeliveryStatus> ParseDeliveryStatus(std::string_view s);

/// True when moving from `from` to `to` is allowed by the monotonic rule above.
bool IsDeliveryAdvance(DeliveryStatus from, DeliveryStatus to);

/// Meta's error attached to a failed message: `code` and `title` (facts §8).
struct MessageError {
  int64_t code = 0;
  std::string title;
};

/// One stored message.
struct Message {
  int64_t id = 0;
  /// Null for bot-phase messages of a customer with no session yet; they are attached to the
  /// session that opens within 24 h so the agent sees the bot history.
  std::optional<int64_t> session_id;
  int64_t contact_id = 0;
  SenderType sender_type = SenderType::kCustomer;
  /// Customer key, agent id (as text), or empty for system/bot.
  std::string sender_id;
  Direction direction = Direction::kIn;
  /// text, image, audio, video, document, sticker, location, contacts, reaction, interactive,
  /// button, system, unsupported.
  std::string type = "text";
  /// Text to show (text body, caption, button title, "[unsupported: poll_creation]", ...).
  std::string content;
  /// JSON object text with type-specific details (media id, mime type, coordinates, ...).
  std::string metadata = "{}";
  /// WhatsApp `wamid` (inbound: from the webhook; outbound: from the send response).
  std::optional<std::string> channel_message_id;
  DeliveryStatus delivery_status = DeliveryStatus::kReceived;
  std::optional<MessageError> error;
  /// When handoffd stored it.
  TimePoint created_at{};
  /// When the channel says it was sent: inbound, the customer's own time (WhatsApp `timestamp`);
  /// outbound, when the channel accepted it (the send response); nullopt before that.
  std::optional<TimePoint> sent_at;
};

}  // namespace handoffd
