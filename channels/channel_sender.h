// The outbound seam: what the outbox worker hands a channel (a message to a customer, or a webhook
// to forward to the bot), and what the channel answers.
// Channels know their wire protocol; nothing here is WhatsApp JSON.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "domain/message.h"
#include "domain/reply_button.h"

namespace handoffd {

/// One message to a customer.
struct OutboundMessage {
  std::string channel = "whatsapp";
  /// Business number to send from (WhatsApp phone_number_id; the URL path segment).
  std::string phone_number_id;
  /// Customer key: wa_id digits (sent as "+" + digits) or a business-scoped user id (sent as is).
  std::string to;
  /// Text body (kind text) or interactive body text (kind buttons). At most 4096 characters.
  std::string text;
  /// Non-empty: send an interactive reply-button message with these buttons.
  std::vector<ReplyButton> buttons;

  /// What to send; text (with `buttons`: interactive) unless set otherwise.
  enum class Kind { kText, kTemplate, kMedia, kReaction, kRead };
  Kind kind = Kind::kText;
  /// Quoted reply: the channel id of the customer message being answered (WhatsApp
  /// context.message_id); empty: none. kText and kMedia.
  std::string context_message_id;
  /// kTemplate: approved template name, language code and body parameters (in order).
  std::string template_name;
  std::string template_language;
  std::vector<std::string> template_parameters;
  /// kMedia: image|audio|video|document|sticker, the file on disk, its media type, file name
  /// (documents) and optional caption (`text` is not used). The channel uploads it, then sends
  /// it by the returned id.
  std::string media_type;
  std::string media_path;
  std::string media_mime_type;
  std::string media_filename;
  std::string caption;
  /// kReaction: the channel id of the message reacted to and the emoji (empty removes it).
  std::string reaction_message_id;
  std::string emoji;
  /// kRead: marks the customer's messages up to `read_message_id` read; with `typing` also shows
  /// the typing indicator.
  std::string read_message_id;
  bool typing = false;
};

/// How a send ended. Timeouts are kept apart from other failures (STYLE.md habit 9).
struct SendResult {
  enum class Outcome {
    kSent,       // accepted; channel_message_id holds the returned id (WhatsApp wamid)
    kRetryable,  // network error, timeout, 5xx, throughput limits (130429, 131056, 4, 80007, ...)
    kPermanent,  // will not succeed if retried (131047, 131026, 100, auth errors, ...)
  };
  Outcome outcome = Outcome::kSent;
  std::string channel_message_id;
  /// Channel error (Meta's `error.code` and title/message) for kRetryable/kPermanent; code 0 for
  /// transport errors.
  std::optional<MessageError> error;
  /// True when the failure was a transport timeout (no answer in time).
  bool timed_out = false;
  /// A minimum wait before retrying, when the channel prescribes one (e.g. 131056's 4^X s).
  std::optional<Duration> retry_after;
  /// kSent of a bot forward: the bot's answer body (empty when longer than 64 KiB); the outbox
  /// hands it to OutboxOptions::on_bot_answer.
  std::string response_body;
};

/// Sends messages on one channel. One instance per sender thread: implementations need not be
/// thread-safe (the WhatsApp sender reuses one curl handle).
class ChannelSender {
 public:
  virtual ~ChannelSender() = default;
  /// Sends `message`; never throws. `attempt` is 0 for the first try (used for 4^X schedules).
  virtual SendResult Send(const OutboundMessage& message, int attempt) = 0;
};

/// Forwards a raw inbound webhook body to an external bot (bot.forward_url). One instance per
/// sender thread, like ChannelSender.
class BotForwarder {
 public:
  virtual ~BotForwarder() = default;
  /// POSTs `raw_body` to `url`; never throws. Outcomes as for ChannelSender::Send.
  virtual SendResult Forward(const std::string& url, const std::string& raw_body) = 0;
  /// POSTs an integration event `body` to `url` ([[integrations.webhooks]]), signed with that
  /// hook's secret in X-Handoffd-Signature. Outcomes as for Forward; kPermanent when no hook
  /// with that URL is configured (any more).
  virtual SendResult DeliverEvent(const std::string& url, const std::string& body) {
    (void)url;
    (void)body;
    SendResult r;
    r.outcome = SendResult::Outcome::kPermanent;
    r.error = MessageError{0, "integration webhooks are not configured"};
    return r;
  }
};

}  // namespace handoffd
