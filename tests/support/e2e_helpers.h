// Constants and small helpers of the black-box end-to-end tests (e2e_fixture.h): the test
// WhatsApp number and customers, the daemon's default texts, RFC 3339 times, JSON field access and
// the keys every SESSION, MESSAGE and AGENT carries (API.md).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace handoffd::testing {

using json = nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;
using SteadyClock = std::chrono::steady_clock;

constexpr char kPhoneNumberId[] = "123456789012345";
constexpr char kMessagesPath[] = "/v21.0/123456789012345/messages";
constexpr char kSecret[] = "e2e_app_secret_0123456789abcdef";
constexpr char kVerifyToken[] = "e2e_verify_token";

constexpr char kMenuBody[] = "Hello! How can we help you today?";
constexpr char kConnecting[] = "Connecting you to an agent...";
// The customer's place, told with the connecting text (no wait history yet: no estimate).
constexpr char kQueuedFirst[] = "You are number 1 in line.";
constexpr char kEnded[] = "This chat has ended. Thank you for contacting us!";
constexpr char kExpired[] =
    "Chat expired after 22 hours. Send us a message any time to start again.";

// Customers (fixtures/INDEX.md conventions plus two more).
constexpr char kAnna[] = "4915112345678";
constexpr char kJoao[] = "5511987654321";
constexpr char kLayla[] = "971501234567";
constexpr char kOliver[] = "447700900123";
constexpr char kMia[] = "61412345678";

// ---------------------------------------------------------------------------------------------
// Small helpers.

inline int64_t NowUnixMillis() {
  return std::chrono::duration_cast<milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
inline int64_t NowUnixSeconds() { return NowUnixMillis() / 1000; }

// "2026-11-21T05:30:00.123Z" (API.md: RFC 3339 UTC with milliseconds).
inline std::string Rfc3339(int64_t unix_ms) {
  time_t secs = static_cast<time_t>(unix_ms / 1000);
  int ms = static_cast<int>(unix_ms % 1000);
  tm t{};
  gmtime_r(&secs, &t);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", t.tm_year + 1900,
                t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, ms);
  return buf;
}

inline bool IsRfc3339Millis(const json& v) {
  static const std::regex re(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$)");
  return v.is_string() && std::regex_match(v.get<std::string>(), re);
}

inline std::optional<int64_t> ParseRfc3339(const json& v) {
  if (!IsRfc3339Millis(v)) return std::nullopt;
  tm t{};
  int ms = 0;
  if (std::sscanf(v.get<std::string>().c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &t.tm_year,
                  &t.tm_mon, &t.tm_mday, &t.tm_hour, &t.tm_min, &t.tm_sec, &ms) != 7) {
    return std::nullopt;
  }
  t.tm_year -= 1900;
  t.tm_mon -= 1;
  return static_cast<int64_t>(timegm(&t)) * 1000 + ms;
}

// Ids may be JSON numbers or strings: the contract does not say. Paths and comparisons use this.
inline std::string IdStr(const json& id) {
  if (id.is_string()) return id.get<std::string>();
  if (id.is_number_integer()) return id.dump();
  return "<bad id " + id.dump() + ">";
}

// j[key] when j is an object that has it, else null (never throws).
inline json At(const json& j, const std::string& key) {
  if (j.is_object() && j.contains(key)) return j[key];
  return json();
}
// The string at j[key], or the JSON text of whatever is there instead ("null" when absent).
inline std::string Str(const json& j, const std::string& key) {
  json v = At(j, key);
  return v.is_string() ? v.get<std::string>() : v.dump();
}

inline std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

inline bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// Polls `done` every 25 ms until it returns true or `timeout` passes.
inline bool Eventually(const std::function<bool()>& done, milliseconds timeout) {
  const auto deadline = SteadyClock::now() + timeout;
  while (true) {
    if (done()) return true;
    if (SteadyClock::now() >= deadline) return false;
    std::this_thread::sleep_for(milliseconds(25));
  }
}

inline std::set<std::string> Keys(const json& object) {
  std::set<std::string> keys;
  if (object.is_object()) {
    for (auto it = object.begin(); it != object.end(); ++it) keys.insert(it.key());
  }
  return keys;
}

inline void ExpectHasKeys(const json& object, const std::vector<std::string>& keys,
                          const std::string& what) {
  ASSERT_TRUE(object.is_object()) << what << " is not an object: " << object.dump();
  for (const auto& k : keys) EXPECT_TRUE(object.contains(k)) << what << " lacks \"" << k << "\"";
}

inline const std::vector<std::string> kSessionKeys = {"id",
                                                      "channel",
                                                      "phone_number",
                                                      "customer_name",
                                                      "phone_number_id",
                                                      "status",
                                                      "agent_id",
                                                      "agent_name",
                                                      "created_at",
                                                      "assigned_at",
                                                      "ended_at",
                                                      "end_reason",
                                                      "expires_at",
                                                      "last_customer_message_at"};
inline const std::vector<std::string> kMessageKeys = {
    "id",      "session_id", "sender_type",        "sender_id",       "direction", "type",
    "content", "metadata",   "channel_message_id", "delivery_status", "error",     "created_at"};
inline const std::vector<std::string> kAgentKeys = {"id",     "email",     "name",        "role",
                                                    "status", "max_chats", "active_chats"};

}  // namespace handoffd::testing
