// X-Hub-Signature-256: HMAC-SHA256 of the raw request body with the app secret, as
// "sha256=<64 lowercase hex>" (facts §2; Meta "Create a webhook endpoint").
#pragma once

#include <string>
#include <string_view>

namespace handoffd::whatsapp {

/// "sha256=" + lowercase hex HMAC-SHA256(secret, body).
std::string SignBody(std::string_view secret, std::string_view body);

/// True when `header_value` is "sha256=<hex>" and the hex equals HMAC-SHA256(secret, raw_body).
/// Compared in constant time; hex case-insensitive. False for an empty secret or header.
/// `raw_body` must be the bytes exactly as received (never re-serialised JSON).
bool VerifySignature(std::string_view secret, std::string_view raw_body,
                     std::string_view header_value);

/// The GET verification handshake (facts §1): true when mode == "subscribe" and `token` equals
/// the configured verify token (constant time; false when that is empty).
bool VerifySubscription(std::string_view mode, std::string_view token,
                        std::string_view configured_token);

}  // namespace handoffd::whatsapp
