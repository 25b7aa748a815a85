// ChannelSender for the WhatsApp Cloud API: POST {api_base}/{phone_number_id}/messages
// (facts §7), and a dry-run sender for when no access token is configured.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "channels/channel_sender.h"
#include "channels/http_client.h"

namespace handoffd::whatsapp {

struct GraphSenderOptions {
  std::string api_base = "https://graph.facebook.com/v21.0";
  std::string access_token;
  HttpClientOptions http;
  /// Per business number tokens (whatsapp.numbers access_token): phone_number_id -> token;
  /// numbers not listed use access_token.
  std::map<std::string, std::string> number_tokens = {};
};

/// The bearer token for sends from `phone_number_id` (its own, else the default).
const std::string& TokenFor(const GraphSenderOptions& options, const std::string& phone_number_id);

/// Classifies Meta's `error.code` (facts §8): kRetryable for throughput/transient codes (130429,
/// 131056, 4, 80007, 131000, 131016, 2, 133004, 131057), kPermanent otherwise.
SendResult::Outcome ClassifyMetaError(int64_t code);

/// The JSON body for `message` (facts §7, §10): text ({"type":"text","text":{"body":..,
/// "preview_url":false}}), interactive reply buttons, template ({"name","language":{"code"},
/// "components":[{"type":"body","parameters":[{"type":"text","text"}]}]}), reaction
/// ({"message_id","emoji"}), or a read receipt ({"status":"read","message_id"} plus
/// "typing_indicator":{"type":"text"}); optional "context":{"message_id"}. `to` is "+" + digits
/// for a wa_id, the user id as is otherwise. Media goes through BuildMediaSendBody.
std::string BuildSendBody(const OutboundMessage& message);
/// The body sending uploaded media `media_id`: {"type":T, T:{"id", "caption"?, "filename"?}}.
std::string BuildMediaSendBody(const OutboundMessage& message, const std::string& media_id);

/// Sends over `client` (one per sender thread). Media is first uploaded (multipart POST
/// {api_base}/{phone_number_id}/media with messaging_product, type and file) and then sent by
/// the returned id; a read receipt answers {"success":true} and yields kSent with no id. HTTP 2xx
/// with messages[0].id -> kSent; Meta error bodies are classified by code; 5xx without a Meta
/// error, timeouts and transport errors are kRetryable; 131056 sets retry_after = 4^attempt
/// seconds.
std::unique_ptr<ChannelSender> MakeGraphSender(const GraphSenderOptions& options,
                                               std::unique_ptr<HttpClient> client);

/// Logs nothing itself and always succeeds with a local id "dryrun.<random hex>".
std::unique_ptr<ChannelSender> MakeDryRunSender();

}  // namespace handoffd::whatsapp
