// Internal to src/config: the value checks behind the configuration key table (config.cc).
// Each setter validates one value and writes it, or returns kBadRequest with a one-line message
// that starts with `label` (the TOML key, or "ENV_VAR (toml.key)"). Thread-safe (pure).
#pragma once

#include <toml++/toml.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "config/config.h"

namespace handoffd::config_internal {

inline constexpr std::string_view kDurationHint = "(use e.g. 1500ms, 90s, 5m, 22h, 7d)";
inline constexpr std::string_view kWhitespace = " \t\r\n\f\v";

// Longest accepted duration (100 years), so that "now + duration" cannot overflow downstream.
inline constexpr int64_t kMaxDurationMs = int64_t{36500} * 24 * 60 * 60 * 1000;

// Meta's limits for interactive reply buttons and text bodies (cloud-api-facts.md §7).
inline constexpr int kMaxButtons = 3;
inline constexpr size_t kMaxButtonTitle = 20;
inline constexpr size_t kMaxButtonId = 256;
inline constexpr size_t kMaxInteractiveBody = 1024;
inline constexpr size_t kMaxTextBody = 4096;

/// kBadRequest "LABEL: MESSAGE".
Status Err(std::string_view label, std::string_view message);
/// `value` in double quotes, escaped so that a message stays on one line.
std::string Quote(std::string_view value);
std::string Trim(std::string_view s);
/// Number of UTF-8 code points.
size_t CodePoints(std::string_view s);
bool StartsWith(std::string_view s, std::string_view prefix);

/// "HOST:PORT" (derives host and port).
Status SetListen(std::string_view label, const std::string& value, Config::Server& server);
/// "sqlite:PATH" or a postgresql:// / postgres:// URI (never echoed: it may hold a password).
Status SetDatabaseUrl(std::string_view label, const std::string& value, std::string& out);
/// An http(s) URL with a host part; trailing slashes removed.
Result<std::string> NormalizeHttpUrl(std::string_view label, const std::string& value,
                                     bool echo_value);
Status SetApiBase(std::string_view label, const std::string& value, std::string& out);
/// Empty (the built-in menu) or an http(s) URL, not echoed.
Status SetForwardUrl(std::string_view label, const std::string& value, std::string& out);
Status SetDuration(std::string_view label, const std::string& value, Duration& out);
Status SetOneOf(std::string_view label, const std::string& value,
                const std::vector<std::string_view>& allowed, std::string& out);
/// 1 to `max_chars` code points.
Status SetText(std::string_view label, const std::string& value, size_t max_chars,
               std::string& out);
/// Trimmed entries; an entry that is empty after trimming is an error.
Status SetTrimmedList(std::string_view label, const std::vector<std::string>& values,
                      std::vector<std::string>& out);
/// whatsapp.templates: an array of tables {name, language, body}; name and language unique
/// together, each non-empty (name at most 512, language at most 16, body at most 1024 chars).
Status SetTemplates(std::string_view label, const toml::node& node,
                    std::vector<MessageTemplate>& out);
/// whatsapp.numbers: an array of tables {phone_number_id, access_token?, team?}; ids are digits
/// and unique.
Status SetNumbers(std::string_view label, const toml::node& node, std::vector<BusinessNumber>& out);
/// integrations.webhooks: an array of tables {url (http/https), secret (non-empty), events
/// (strings, default ["*"])}.
Status SetIntegrationWebhooks(std::string_view label, const toml::node& node,
                              std::vector<Config::IntegrationWebhook>& out);
/// bot.menu.buttons: an array of at most kMaxButtons tables {id, title} within Meta's limits.
Status SetMenuButtons(std::string_view label, const toml::node& node,
                      std::vector<ReplyButton>& out);
/// webchat.widgets (webchat_widgets.cc): an array of tables {key, name, allowed_origins, team,
/// welcome_text, bot_forward_url, menu_buttons}; keys unique, origins scheme://host[:port].
Status SetWebchatWidgets(std::string_view label, const toml::node& node,
                         std::vector<WebchatWidget>& out);

// `Int` is int or int64_t; `min` and `max` fit in it.
template <typename Int>
Status SetInt(std::string_view label, int64_t value, int64_t min, int64_t max, Int& out) {
  if (value < min || value > max) {
    return Err(label, "must be between " + std::to_string(min) + " and " + std::to_string(max) +
                          " (got " + std::to_string(value) + ")");
  }
  out = static_cast<Int>(value);
  return Status::Ok();
}

}  // namespace handoffd::config_internal
