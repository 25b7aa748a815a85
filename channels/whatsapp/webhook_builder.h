// Builds webhook bodies exactly as Meta sends them (compact JSON, non-ASCII as \uXXXX, "/" as
// "\/"), for `handoffd simulate`, tests and benchmarks.
#pragma once

#include <cstdint>
#include <string>

namespace handoffd::whatsapp {

struct SimulatedMessage {
  std::string waba_id = "109876543210987";
  std::string display_phone_number = "15550001111";
  std::string phone_number_id = "123456789012345";
  std::string from;       // wa_id digits
  std::string name;       // profile name
  std::string wamid;      // empty: a random "wamid.HBgL..." id
  int64_t timestamp = 0;  // Unix seconds
  /// Exactly one of: text (type text) or button_id (interactive button_reply).
  std::string text;
  std::string button_id;
  std::string button_title;
};

/// One entry, one change (field "messages") with contacts[] and one message.
std::string BuildMessageWebhook(const SimulatedMessage& m);

/// One status (sent|delivered|read|failed; for failed an errors[] with code and title).
std::string BuildStatusWebhook(const std::string& phone_number_id, const std::string& wamid,
                               const std::string& status, const std::string& recipient_id,
                               int64_t timestamp, int64_t error_code = 0,
                               const std::string& error_title = "");

/// Meta's wire escaping of a JSON text: every non-ASCII code point as lowercase \uXXXX (astral
/// ones as surrogate pairs) and "/" as "\/". Input: valid compact JSON in UTF-8.
std::string EscapeLikeMeta(const std::string& json);

}  // namespace handoffd::whatsapp
