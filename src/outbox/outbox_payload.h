// The one codec of an outbox item's payload (OutboxItem::payload), channel-neutral JSON text:
//   {"kind":"text","text":"..."}
//   {"kind":"buttons","text":"...","buttons":[{"id":"...","title":"..."}]}
//   {"kind":"forward","url":"...","body":"<raw webhook body>"}   (bot forwarding)
//   {"kind":"integration","url":"...","body":"<event JSON>"}     (integration webhooks)
// Producers (router, conversation) encode with it; the outbox worker decodes with it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/reply_button.h"

namespace handoffd {

struct OutboxPayload {
  enum class Kind { kText, kButtons, kForward, kIntegration };
  Kind kind = Kind::kText;
  /// kText, kButtons: the message text (interactive body for kButtons).
  std::string text;
  /// kButtons: the reply buttons.
  std::vector<ReplyButton> buttons;
  /// kForward: the bot's URL and the raw webhook body. kIntegration: the receiver's URL
  /// ([[integrations.webhooks]] url) and the event body to POST signed.
  std::string url;
  std::string body;

  static OutboxPayload Text(std::string text);
  static OutboxPayload Buttons(std::string text, std::vector<ReplyButton> buttons);
  static OutboxPayload Forward(std::string url, std::string body);
  static OutboxPayload Integration(std::string url, std::string body);
};

/// The JSON text stored in the outbox.
std::string EncodeOutboxPayload(const OutboxPayload& payload);
/// Parses stored JSON text; nullopt when it is not a payload this version understands.
std::optional<OutboxPayload> DecodeOutboxPayload(std::string_view json);

}  // namespace handoffd
