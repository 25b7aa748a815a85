// Internal to channels/whatsapp: the text safety of webhook fields, used by webhook_parser.cc.
// Input bounds from Meta's own limits (issue 9 #6, #7) and the repair of lone UTF-16 surrogate
// escapes that Meta sends when it cuts a text inside a surrogate pair. Thread-safe (pure).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace handoffd::whatsapp {

/// wamid, status id, phone_number_id: at most this many bytes.
inline constexpr size_t kMaxIdBytes = 256;
/// wa_id and BSUID user_id: at most this many bytes.
inline constexpr size_t kMaxCustomerIdBytes = 64;
/// A profile name is cut after this many code points.
inline constexpr size_t kMaxNameCodePoints = 256;
/// A text body (Meta's limit: 4,096 characters).
inline constexpr size_t kMaxTextCodePoints = 4096;

/// Non-empty, at most kMaxIdBytes, no NUL (PostgreSQL would cut it, collapsing distinct ids in
/// the dedupe index).
bool IsId(const std::string& s);
/// A phone number in international form without "+": digits only, at most kMaxCustomerIdBytes.
bool IsWaId(const std::string& s);
/// A business-scoped user id ("US.13491208655302741918"): [A-Za-z0-9._-], at most
/// kMaxCustomerIdBytes.
bool IsUserId(const std::string& s);
/// `s` without NUL, cut after `max_code_points` UTF-8 code points.
std::string Bounded(std::string s, size_t max_code_points);
/// The raw JSON text with every lone "\uD8xx"/"\uDCxx" escape replaced by U+FFFD (nlohmann
/// rejects them; rejecting the POST would make Meta redeliver it for days). nullopt when there
/// was none to repair.
std::optional<std::string> RepairLoneSurrogates(std::string_view s);

}  // namespace handoffd::whatsapp
