// The one codec of an outbox item's payload (OutboxItem::payload), channel-neutral JSON text:
//   {"kind":"text","text":"..."}
//   {"kind":"buttons","text":"...","buttons":[{"id":"...","title":"..."}]}
//   {"kind":"forward","url":"...","body":"<raw webhook body>"}   (bot forwarding)
//   {"kind":"template","name":"...","language":"en_US","parameters":["..."]}
//   {"kind":"media","media_type":"image","path":"...","mime_type":"...","filename":"...",
//    "caption":"..."}
//   {"kind":"reaction","target":"<wamid>","emoji":"..."}
//   {"kind":"read","target":"<wamid>","typing":false}
// text and media may carry "context":"<wamid>" (a quoted reply).
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
  enum class Kind { kText, kButtons, kForward, kIntegration, kTemplate, kMedia, kReaction, kRead };
  Kind kind = Kind::kText;
  /// kText, kButtons: the message text (interactive body for kButtons).
  std::string text;
  /// kButtons: the reply buttons.
  std::vector<ReplyButton> buttons;
  /// kForward: the bot's URL and the raw webhook body. kIntegration: the receiver's URL
  /// ([[integrations.webhooks]] url) and the event body to POST signed.
  std::string url;
  std::string body;

  /// kText, kMedia: the quoted message's channel id (empty: none).
  std::string context;
  /// kTemplate: name, language code, body parameters.
  std::string template_name;
  std::string language;
  std::vector<std::string> parameters;
  /// kMedia: image|audio|video|document|sticker, the stored file, its media type, file name and
  /// caption.
  std::string media_type;
  std::string path;
  std::string mime_type;
  std::string filename;
  std::string caption;
  /// kReaction, kRead: the channel id of the message reacted to / read up to.
  std::string target;
  /// kReaction: the emoji (empty removes the reaction).
  std::string emoji;
  /// kRead: also show the typing indicator.
  bool typing = false;

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
