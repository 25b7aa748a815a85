// Forwards a webhook body to an external bot (config bot.forward_url), re-signed with the forward
// secret in X-Hub-Signature-256 so the bot can verify it exactly as it would verify Meta.
#pragma once

#include <memory>
#include <string>

#include "channels/channel_sender.h"
#include "channels/http_client.h"

namespace handoffd::whatsapp {

/// POSTs `raw_body` to `url` with Content-Type application/json and
/// X-Hub-Signature-256 = SignBody(secret, raw_body). 2xx -> kSent; 4xx -> kPermanent (code = HTTP
/// status) except 408/429; 5xx, 408, 429, timeout, transport error -> kRetryable.
SendResult ForwardToBot(HttpClient& client, const std::string& url, const std::string& secret,
                        const std::string& raw_body);

/// The BotForwarder of the outbox: ForwardToBot over `client`, signed with `secret`.
std::unique_ptr<BotForwarder> MakeBotForwarder(std::unique_ptr<HttpClient> client,
                                               std::string secret);

}  // namespace handoffd::whatsapp
