// ChannelSender for the WhatsApp Cloud API: POST {api_base}/{phone_number_id}/messages
// (facts §7), and a dry-run sender for when no access token is configured.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "channels/channel_sender.h"
#include "channels/http_client.h"

namespace handoffd::whatsapp {

struct GraphSenderOptions {
  std::string api_base = "https://graph.facebook.com/v21.0";
  std::string access_token;
  HttpClientOptions http;
};

/// Classifies Meta's `error.code` (facts §8): kRetryable for throughput/transient codes (130429,
/// 131056, 4, 80007, 131000, 131016, 2, 133004, 131057), kPermanent otherwise.
SendResult::Outcome ClassifyMetaError(int64_t code);

/// The JSON body for `message`: text ({"type":"text","text":{"body":..,"preview_url":false}}) or
/// interactive reply buttons; `to` is "+" + digits for a wa_id, the user id as is otherwise.
std::string BuildSendBody(const OutboundMessage& message);

/// Sends over `client` (one per sender thread). HTTP 2xx with messages[0].id -> kSent; Meta error
/// bodies are classified by code; 5xx without a Meta error, timeouts and transport errors are
/// kRetryable; 131056 sets retry_after = 4^attempt seconds.
std::unique_ptr<ChannelSender> MakeGraphSender(const GraphSenderOptions& options,
                                               std::unique_ptr<HttpClient> client);

/// Logs nothing itself and always succeeds with a local id "dryrun.<random hex>".
std::unique_ptr<ChannelSender> MakeDryRunSender();

}  // namespace handoffd::whatsapp
