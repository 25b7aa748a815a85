#include "channels/whatsapp/webhook_builder.h"

#include <sodium.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <utility>

namespace handoffd::whatsapp {
namespace {

using ordered_json = nlohmann::ordered_json;

constexpr char kDefaultWabaId[] = "109876543210987";
constexpr char kDefaultDisplayNumber[] = "15550001111";

// Real ids are "wamid." + base64 of an opaque blob, so they contain "+", "/" and "=" (facts §4).
std::string RandomWamid() {
  static const bool kInit = sodium_init() >= 0;
  (void)kInit;
  unsigned char raw[30];
  randombytes_buf(raw, sizeof raw);
  char b64[sodium_base64_ENCODED_LEN(sizeof raw, sodium_base64_VARIANT_ORIGINAL)];
  sodium_bin2base64(b64, sizeof b64, raw, sizeof raw, sodium_base64_VARIANT_ORIGINAL);
  return std::string("wamid.HBgL") + b64;
}

ordered_json Envelope(const std::string& waba_id, const std::string& display_phone_number,
                      const std::string& phone_number_id, ordered_json value_tail) {
  ordered_json value;
  value["messaging_product"] = "whatsapp";
  value["metadata"] = {{"display_phone_number", display_phone_number},
                       {"phone_number_id", phone_number_id}};
  for (auto it = value_tail.begin(); it != value_tail.end(); ++it) {
    value[it.key()] = std::move(it.value());
  }
  ordered_json change;
  change["value"] = std::move(value);
  change["field"] = "messages";
  ordered_json entry;
  entry["id"] = waba_id;
  entry["changes"] = ordered_json::array({std::move(change)});
  ordered_json root;
  root["object"] = "whatsapp_business_account";
  root["entry"] = ordered_json::array({std::move(entry)});
  return root;
}

std::string Dump(const ordered_json& j) {
  return j.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

void AppendEscape(std::string& out, uint32_t unit) {
  char buf[7];
  std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(unit));
  out.append(buf, 6);
}

}  // namespace

std::string BuildMessageWebhook(const SimulatedMessage& m) {
  ordered_json message;
  message["from"] = m.from;
  message["id"] = m.wamid.empty() ? RandomWamid() : m.wamid;
  message["timestamp"] = std::to_string(m.timestamp);
  if (!m.button_id.empty()) {
    message["type"] = "interactive";
    message["interactive"] = {{"type", "button_reply"},
                              {"button_reply", {{"id", m.button_id}, {"title", m.button_title}}}};
  } else {
    message["type"] = "text";
    message["text"] = {{"body", m.text}};
  }
  ordered_json tail;
  ordered_json contact;
  contact["profile"] = {{"name", m.name}};
  contact["wa_id"] = m.from;
  tail["contacts"] = ordered_json::array({std::move(contact)});
  tail["messages"] = ordered_json::array({std::move(message)});
  return EscapeLikeMeta(
      Dump(Envelope(m.waba_id, m.display_phone_number, m.phone_number_id, std::move(tail))));
}

std::string BuildStatusWebhook(const std::string& phone_number_id, const std::string& wamid,
                               const std::string& status, const std::string& recipient_id,
                               int64_t timestamp, int64_t error_code,
                               const std::string& error_title) {
  ordered_json st;
  st["id"] = wamid;
  st["status"] = status;
  st["timestamp"] = std::to_string(timestamp);
  st["recipient_id"] = recipient_id;
  if (status == "failed") {
    ordered_json error;
    error["code"] = error_code;
    error["title"] = error_title;
    error["message"] = error_title;
    error["error_data"] = {{"details", error_title}};
    st["errors"] = ordered_json::array({std::move(error)});
  }
  ordered_json tail;
  tail["statuses"] = ordered_json::array({std::move(st)});
  return EscapeLikeMeta(
      Dump(Envelope(kDefaultWabaId, kDefaultDisplayNumber, phone_number_id, std::move(tail))));
}

std::string EscapeLikeMeta(const std::string& json) {
  std::string out;
  out.reserve(json.size() + json.size() / 4);
  for (size_t i = 0; i < json.size();) {
    auto c = static_cast<unsigned char>(json[i]);
    if (c == '\\') {
      // An existing escape is copied whole, so "\/" never turns into "\\/".
      out.push_back('\\');
      if (i + 1 < json.size()) out.push_back(json[i + 1]);
      i += 2;
      continue;
    }
    if (c == '/') {
      out += "\\/";
      ++i;
      continue;
    }
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    // Decode one UTF-8 sequence; anything malformed becomes U+FFFD.
    size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
    uint32_t cp = 0xFFFD;
    size_t used = 1;
    if (len != 0 && c < 0xF5 && i + len <= json.size()) {
      uint32_t v = len == 4 ? (c & 0x07) : len == 3 ? (c & 0x0F) : (c & 0x1F);
      bool ok = true;
      for (size_t k = 1; k < len; ++k) {
        auto cc = static_cast<unsigned char>(json[i + k]);
        if ((cc & 0xC0) != 0x80) {
          ok = false;
          break;
        }
        v = (v << 6) | (cc & 0x3F);
      }
      static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
      if (ok && v >= kMin[len] && v <= 0x10FFFF && !(v >= 0xD800 && v <= 0xDFFF)) {
        cp = v;
        used = len;
      }
    }
    if (cp >= 0x10000) {
      uint32_t u = cp - 0x10000;
      AppendEscape(out, 0xD800 + (u >> 10));
      AppendEscape(out, 0xDC00 + (u & 0x3FF));
    } else {
      AppendEscape(out, cp);
    }
    i += used;
  }
  return out;
}

}  // namespace handoffd::whatsapp
