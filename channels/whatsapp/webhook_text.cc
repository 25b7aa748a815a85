#include "channels/whatsapp/webhook_text.h"

#include <algorithm>

namespace handoffd::whatsapp {
namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The code unit of a "\uXXXX" escape starting at s[i], or -1.
int EscapedUnit(std::string_view s, size_t i) {
  if (i + 6 > s.size() || s[i] != '\\' || s[i + 1] != 'u') return -1;
  int v = 0;
  for (size_t k = i + 2; k < i + 6; ++k) {
    int d = HexDigit(s[k]);
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

}  // namespace

// Input bounds (issue 9 #6, #7). Meta's own limits: ids are short ASCII, a profile name is far
// below 256 characters, a text body at most 4,096 characters. NUL is refused in identifiers
// (PostgreSQL would cut them, collapsing distinct ids in the dedupe index) and stripped from text.

bool IsId(const std::string& s) {
  return !s.empty() && s.size() <= kMaxIdBytes && s.find('\0') == std::string::npos;
}

// A phone number in international form without "+": digits only.
bool IsWaId(const std::string& s) {
  return s.size() <= kMaxCustomerIdBytes &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A business-scoped user id, e.g. "US.13491208655302741918".
bool IsUserId(const std::string& s) {
  return s.size() <= kMaxCustomerIdBytes && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  c == '.' || c == '_' || c == '-';
         });
}

// Without NUL, and cut after `max_code_points` UTF-8 code points.
std::string Bounded(std::string s, size_t max_code_points) {
  s.erase(std::remove(s.begin(), s.end(), '\0'), s.end());
  size_t count = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) continue;  // continuation byte
    if (++count > max_code_points) {
      s.resize(i);
      break;
    }
  }
  return s;
}

// Meta escapes UTF-16 code units, so a text cut inside a surrogate pair arrives as a lone
// "\ud83d", which nlohmann rejects. Rejecting the whole POST would make Meta redeliver it for
// days; each lone surrogate becomes U+FFFD instead. nullopt when there was none to repair.
std::optional<std::string> RepairLoneSurrogates(std::string_view s) {
  std::string out;
  bool repaired = false;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    if (s[i] != '\\' || i + 1 >= s.size()) {
      out.push_back(s[i++]);
      continue;
    }
    int unit = EscapedUnit(s, i);
    if (unit >= 0xD800 && unit <= 0xDBFF) {
      int low = EscapedUnit(s, i + 6);
      if (low >= 0xDC00 && low <= 0xDFFF) {
        out.append(s.substr(i, 12));
        i += 12;
        continue;
      }
    }
    if (unit >= 0xD800 && unit <= 0xDFFF) {
      out += "\\ufffd";
      repaired = true;
      i += 6;
      continue;
    }
    out.append(s.substr(i, 2));  // any other escape, copied whole
    i += 2;
  }
  if (!repaired) return std::nullopt;
  return out;
}

// Meta's errors[] reduced to what the agent needs: code, title and details when present.
}  // namespace handoffd::whatsapp
