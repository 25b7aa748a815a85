// Channel-neutral events parsed from a channel webhook. channels/ produce them; the router
// consumes them. Nothing here is WhatsApp JSON.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "domain/message.h"

namespace handoffd {

/// Who wrote: the key replies go to, plus what else is known of the customer.
struct CustomerRef {
  /// `wa_id` when non-empty, else the business-scoped user id (facts §4a).
  std::string key;
  std::string wa_id;    // may be empty
  std::string user_id;  // may be empty
  std::string name;     // profile name, may be empty
};

/// One inbound customer message (WhatsApp `messages[]` item).
struct InboundMessage {
  std::string channel = "whatsapp";
  /// Business number it arrived on (WhatsApp `metadata.phone_number_id`).
  std::string phone_number_id;
  CustomerRef customer;
  /// Channel message id (WhatsApp `wamid`); the dedupe key.
  std::string channel_message_id;
  /// When the customer sent it (WhatsApp `timestamp`, Unix seconds).
  TimePoint sent_at{};
  /// One of MESSAGE.type; a WhatsApp type newer than our list is "unsupported" with
  /// metadata.wa_type set.
  std::string type;
  /// Text to show: body, caption, button/list title, location name, "[type]" placeholder.
  std::string content;
  /// For text: the body exactly (used for keywords). Empty for other types.
  std::string text;
  /// Reply id of an interactive button_reply/list_reply, or a template button payload; empty
  /// otherwise. Handoff triggers match this, never a title.
  std::string reply_id;
  /// JSON object text with type-specific details.
  std::string metadata = "{}";
  /// True for messages that count as customer activity and extend expiry (not reactions or
  /// system events; PRODUCT.md step 5).
  bool extends_window = true;
  /// True for messages the built-in menu answers (text, interactive, button).
  bool bot_answers = true;
};

/// One delivery status of an outbound message (WhatsApp `statuses[]` item).
struct StatusUpdate {
  std::string channel = "whatsapp";
  std::string phone_number_id;
  std::string channel_message_id;                 // the wamid we got back when sending
  DeliveryStatus status = DeliveryStatus::kSent;  // sent|delivered|read|failed
  TimePoint at{};
  std::optional<MessageError> error;  // set for failed
};

/// Something a webhook carried that handoffd deliberately ignores (other field, unknown number,
/// `played` status, malformed item). Logged, acknowledged with 200.
struct IgnoredItem {
  std::string reason;
};

/// Everything one webhook POST carried, in payload order (entries, changes, then messages before
/// statuses within a change).
struct InboundBatch {
  std::vector<InboundMessage> messages;
  std::vector<StatusUpdate> statuses;
  std::vector<IgnoredItem> ignored;
};

}  // namespace handoffd
