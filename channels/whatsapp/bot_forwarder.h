// Forwards a webhook body to an external bot (config bot.forward_url), re-signed with the forward
// secret in X-Hub-Signature-256 so the bot can verify it exactly as it would verify Meta.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "channels/channel_sender.h"
#include "channels/http_client.h"

namespace handoffd::whatsapp {

/// POSTs `raw_body` to `url` with Content-Type application/json and
/// X-Hub-Signature-256 = SignBody(secret, raw_body). 2xx -> kSent with the answer body (up to
/// 64 KiB) in response_body; 4xx -> kPermanent (code = HTTP
/// status) except 408/429; 5xx, 408, 429, timeout, transport error -> kRetryable.
SendResult ForwardToBot(HttpClient& client, const std::string& url, const std::string& secret,
                        const std::string& raw_body);

/// POSTs an integration event `body` to `url` with Content-Type application/json and
/// X-Handoffd-Signature = SignBody(secret, body) ("sha256=" + hex HMAC-SHA256). 2xx -> kSent;
/// anything else (any status, timeout, transport error) -> kRetryable.
SendResult DeliverIntegrationEvent(HttpClient& client, const std::string& url,
                                   const std::string& secret, const std::string& body);

/// The BotForwarder of the outbox: ForwardToBot over `client`, signed with `secret`; integration
/// events to the hooks of `integration_secrets` (url -> secret).
std::unique_ptr<BotForwarder> MakeBotForwarder(
    std::unique_ptr<HttpClient> client, std::string secret,
    std::map<std::string, std::string> integration_secrets = {});

}  // namespace handoffd::whatsapp
