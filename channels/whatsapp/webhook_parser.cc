#include "channels/whatsapp/webhook_parser.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <exception>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>

#include "channels/whatsapp/webhook_text.h"
#include "common/json_depth.h"

namespace handoffd::whatsapp {
namespace {

using json = nlohmann::json;

// Up to year 5138: anything larger is not a Unix-seconds timestamp (and would overflow ms).
constexpr int64_t kMaxUnixSeconds = 100'000'000'000;

const json* Member(const json& obj, std::string_view key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

std::string Str(const json& obj, std::string_view key) {
  const json* v = Member(obj, key);
  return v != nullptr && v->is_string() ? v->get<std::string>() : std::string();
}

const json& Obj(const json& obj, std::string_view key) {
  static const json kEmpty = json::object();
  const json* v = Member(obj, key);
  return v != nullptr && v->is_object() ? *v : kEmpty;
}

const json& Arr(const json& obj, std::string_view key) {
  static const json kEmpty = json::array();
  const json* v = Member(obj, key);
  return v != nullptr && v->is_array() ? *v : kEmpty;
}

std::optional<int64_t> ParseInt(std::string_view s) {
  int64_t out = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (ec != std::errc() || ptr != s.data() + s.size() || s.empty()) return std::nullopt;
  return out;
}

// Integers arrive as JSON numbers (error codes) or digit strings (timestamps); accept both.
std::optional<int64_t> ToInt(const json* v) {
  if (v == nullptr) return std::nullopt;
  if (v->is_number_integer()) return v->get<int64_t>();
  if (v->is_string()) return ParseInt(v->get_ref<const std::string&>());
  return std::nullopt;
}

std::optional<TimePoint> ParseTimestamp(const json& obj) {
  auto s = ToInt(Member(obj, "timestamp"));
  if (!s || *s <= 0 || *s > kMaxUnixSeconds) return std::nullopt;
  return FromUnixSeconds(*s);
}

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

json NormalizeErrors(const json& errors) {
  json out = json::array();
  for (const json& e : errors) {
    if (!e.is_object()) continue;
    json item = json::object();
    auto code = ToInt(Member(e, "code"));
    item["code"] = code ? json(*code) : json(nullptr);
    std::string title = Str(e, "title");
    if (title.empty()) title = Str(e, "message");
    item["title"] = title;
    std::string details = Str(Obj(e, "error_data"), "details");
    if (!details.empty()) item["details"] = details;
    out.push_back(std::move(item));
  }
  return out;
}

void CopyIfPresent(const json& from, std::string_view key, json& to) {
  const json* v = Member(from, key);
  if (v != nullptr) to[std::string(key)] = *v;
}

struct Contact {
  std::string wa_id;
  std::string user_id;
  std::string name;
};

std::vector<Contact> ParseContacts(const json& value) {
  std::vector<Contact> out;
  for (const json& c : Arr(value, "contacts")) {
    if (!c.is_object()) continue;
    out.push_back({Str(c, "wa_id"), Str(c, "user_id"),
                   Bounded(Str(Obj(c, "profile"), "name"), kMaxNameCodePoints)});
  }
  return out;
}

// Contacts are matched by identity, never by position (facts §4).
const Contact* FindContact(const std::vector<Contact>& contacts, const std::string& wa_id,
                           const std::string& user_id) {
  for (const Contact& c : contacts) {
    if (!wa_id.empty() && c.wa_id == wa_id) return &c;
    if (!user_id.empty() && c.user_id == user_id) return &c;
  }
  return nullptr;
}

std::string ContactsSummary(const json& cards) {
  std::string out;
  for (const json& card : cards) {
    const json& name = Obj(card, "name");
    std::string n = Str(name, "formatted_name");
    if (n.empty()) {
      std::string first = Str(name, "first_name");
      std::string last = Str(name, "last_name");
      n = first.empty() || last.empty() ? first + last : first + " " + last;
    }
    if (n.empty()) {
      const json& phones = Arr(card, "phones");
      if (!phones.empty()) n = Str(phones[0], "phone");
    }
    if (n.empty()) continue;
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

void MarkUnsupported(InboundMessage& m, json& meta, const std::string& wa_type, const json& msg) {
  m.type = "unsupported";
  m.bot_answers = false;
  meta["wa_type"] = wa_type;
  if (const json* payload = Member(msg, wa_type); payload != nullptr) meta["wa_payload"] = *payload;
  m.content = wa_type.empty() ? "[unsupported]" : "[unsupported: " + wa_type + "]";
}

// Sets type, content, text, reply_id, the flags and the type-specific metadata.
void FillByType(const json& msg, const std::string& wa_type, InboundMessage& m, json& meta) {
  m.type = wa_type;
  if (wa_type == "text") {
    m.text = Str(Obj(msg, "text"), "body");
    m.content = m.text;
  } else if (wa_type == "interactive") {
    const json& interactive = Obj(msg, "interactive");
    std::string itype = Str(interactive, "type");
    meta["interactive_type"] = itype;
    if (itype == "button_reply" || itype == "list_reply") {
      const json& reply = Obj(interactive, itype);
      m.reply_id = Str(reply, "id");
      m.content = Str(reply, "title");
      meta["id"] = m.reply_id;
      meta["title"] = m.content;
      CopyIfPresent(reply, "description", meta);
    } else if (itype == "nfm_reply") {
      m.content = "[form reply]";
      const json& nfm = Obj(interactive, "nfm_reply");
      CopyIfPresent(nfm, "name", meta);
      CopyIfPresent(nfm, "body", meta);
      CopyIfPresent(nfm, "response_json", meta);
    } else {
      m.content = "[interactive]";
      meta["interactive"] = interactive;
    }
  } else if (wa_type == "button") {
    const json& button = Obj(msg, "button");
    m.reply_id = Str(button, "payload");
    m.content = Str(button, "text");
    meta["payload"] = m.reply_id;
    meta["text"] = m.content;
  } else if (wa_type == "image" || wa_type == "video" || wa_type == "audio" ||
             wa_type == "document" || wa_type == "sticker") {
    const json& media = Obj(msg, wa_type);
    for (const char* key :
         {"id", "mime_type", "sha256", "caption", "filename", "voice", "animated", "url"}) {
      CopyIfPresent(media, key, meta);
    }
    m.content = Str(media, "caption");
    // The media fetcher downloads it after the commit (media/media_fetcher.h).
    if (!Str(media, "id").empty()) meta["media_status"] = "pending";
    m.bot_answers = false;
  } else if (wa_type == "location") {
    const json& loc = Obj(msg, "location");
    for (const char* key : {"latitude", "longitude"}) {
      const json* v = Member(loc, key);
      if (v != nullptr && v->is_number()) meta[key] = v->get<double>();
    }
    for (const char* key : {"name", "address", "url"}) CopyIfPresent(loc, key, meta);
    std::string name = Str(loc, "name");
    std::string address = Str(loc, "address");
    m.content = !name.empty() ? name : !address.empty() ? address : "Location";
    m.bot_answers = false;
  } else if (wa_type == "contacts") {
    const json& cards = Arr(msg, "contacts");
    meta["contacts"] = cards;
    m.content = ContactsSummary(cards);
    if (m.content.empty()) m.content = "[contacts]";
    m.bot_answers = false;
  } else if (wa_type == "reaction") {
    const json& reaction = Obj(msg, "reaction");
    meta["message_id"] = Str(reaction, "message_id");
    // Removing a reaction arrives without `emoji` (or, in some captures, with "").
    std::string emoji = Str(reaction, "emoji");
    if (emoji.empty()) {
      meta["removed"] = true;
    } else {
      meta["emoji"] = emoji;
    }
    m.content = emoji;
    m.extends_window = false;
    m.bot_answers = false;
  } else if (wa_type == "system") {
    const json& system = Obj(msg, "system");
    m.content = Str(system, "body");
    meta["system_type"] = Str(system, "type");
    meta["system"] = system;
    m.extends_window = false;
    m.bot_answers = false;
  } else if (wa_type == "unsupported") {
    std::string utype = Str(Obj(msg, "unsupported"), "type");
    meta["unsupported_type"] = utype;
    m.content = utype.empty() ? "[unsupported]" : "[unsupported: " + utype + "]";
    m.bot_answers = false;
  } else {
    MarkUnsupported(m, meta, wa_type, msg);
  }
}

void ParseMessage(const json& msg, const std::string& phone_number_id,
                  const std::vector<Contact>& contacts, InboundBatch& batch) {
  std::string id = Str(msg, "id");
  if (id.empty()) {
    batch.ignored.push_back({"message without id"});
    return;
  }
  if (!IsId(id)) {
    batch.ignored.push_back({"message with a malformed id (over " + std::to_string(kMaxIdBytes) +
                             " bytes or containing NUL)"});
    return;
  }
  const json* type_value = Member(msg, "type");
  if (type_value == nullptr || !type_value->is_string()) {
    batch.ignored.push_back({"message " + id + " without type"});
    return;
  }
  auto sent_at = ParseTimestamp(msg);
  if (!sent_at) {
    batch.ignored.push_back({"message " + id + " without a valid timestamp"});
    return;
  }

  InboundMessage m;
  m.phone_number_id = phone_number_id;
  m.channel_message_id = id;
  m.sent_at = *sent_at;

  // BSUID rollout (facts §4a): `from`/`wa_id` may be empty or absent, `from_user_id` /
  // `user_id` then identify the customer.
  std::string from = Str(msg, "from");
  std::string from_user_id = Str(msg, "from_user_id");
  const Contact* contact = FindContact(contacts, from, from_user_id);
  m.customer.wa_id = !from.empty() ? from : contact != nullptr ? contact->wa_id : "";
  m.customer.user_id = !from_user_id.empty() ? from_user_id
                       : contact != nullptr  ? contact->user_id
                                             : "";
  m.customer.name = contact != nullptr ? contact->name : "";
  m.customer.key = !m.customer.wa_id.empty() ? m.customer.wa_id : m.customer.user_id;
  if (m.customer.key.empty()) {
    batch.ignored.push_back({"message " + id + " without sender (no from, no user id)"});
    return;
  }
  if (!IsWaId(m.customer.wa_id) || !IsUserId(m.customer.user_id)) {
    batch.ignored.push_back({"message " + id + " with a malformed sender id (wa_id digits, " +
                             "user_id [A-Za-z0-9._-], at most " +
                             std::to_string(kMaxCustomerIdBytes) + " bytes)"});
    return;
  }

  json meta = json::object();
  FillByType(msg, type_value->get<std::string>(), m, meta);
  m.text = Bounded(std::move(m.text), kMaxTextCodePoints);
  m.content = Bounded(std::move(m.content), kMaxTextCodePoints);
  m.reply_id = Bounded(std::move(m.reply_id), kMaxIdBytes);
  if (const json* errors = Member(msg, "errors"); errors != nullptr && errors->is_array()) {
    meta["errors"] = NormalizeErrors(*errors);
  }
  for (const char* key : {"context", "referral", "identity_key_hash"}) {
    CopyIfPresent(msg, key, meta);
  }
  m.metadata = Dump(meta);
  batch.messages.push_back(std::move(m));
}

void ParseStatus(const json& st, const std::string& phone_number_id, InboundBatch& batch) {
  std::string id = Str(st, "id");
  if (id.empty()) {
    batch.ignored.push_back({"status without id"});
    return;
  }
  if (!IsId(id)) {
    batch.ignored.push_back({"status with a malformed id"});
    return;
  }
  std::string status = Str(st, "status");
  DeliveryStatus ds;
  if (status == "sent") {
    ds = DeliveryStatus::kSent;
  } else if (status == "delivered") {
    ds = DeliveryStatus::kDelivered;
  } else if (status == "read") {
    ds = DeliveryStatus::kRead;
  } else if (status == "failed") {
    ds = DeliveryStatus::kFailed;
  } else {
    batch.ignored.push_back({"status " + (status.empty() ? "(none)" : status) + " of " + id});
    return;
  }
  auto at = ParseTimestamp(st);
  if (!at) {
    batch.ignored.push_back({"status " + status + " of " + id + " without a valid timestamp"});
    return;
  }
  StatusUpdate u;
  u.phone_number_id = phone_number_id;
  u.channel_message_id = id;
  u.status = ds;
  u.at = *at;
  if (ds == DeliveryStatus::kFailed) {
    MessageError error;
    json errors = NormalizeErrors(Arr(st, "errors"));
    if (!errors.empty()) {
      const json& first = errors[0];
      if (first["code"].is_number_integer()) error.code = first["code"].get<int64_t>();
      error.title = first["title"].get<std::string>();
      if (error.title.empty()) error.title = Str(first, "details");
    }
    if (error.title.empty()) error.title = "failed";
    u.error = std::move(error);
  }
  batch.statuses.push_back(std::move(u));
}

void ParseChange(const json& change, const ParseOptions& options, InboundBatch& batch) {
  if (!change.is_object()) {
    batch.ignored.push_back({"change is not an object"});
    return;
  }
  std::string field = Str(change, "field");
  if (field != "messages") {
    batch.ignored.push_back({"field " + (field.empty() ? "(none)" : field)});
    return;
  }
  const json& value = Obj(change, "value");
  std::string phone_number_id = Str(Obj(value, "metadata"), "phone_number_id");
  if (phone_number_id.empty()) {
    batch.ignored.push_back({"messages change without metadata.phone_number_id"});
    return;
  }
  if (!IsId(phone_number_id)) {
    batch.ignored.push_back({"messages change with a malformed phone_number_id"});
    return;
  }
  const auto& allowed = options.phone_number_ids;
  if (!allowed.empty() &&
      std::find(allowed.begin(), allowed.end(), phone_number_id) == allowed.end()) {
    batch.ignored.push_back({"phone_number_id " + phone_number_id + " not configured"});
    return;
  }

  std::vector<Contact> contacts = ParseContacts(value);
  for (const json& msg : Arr(value, "messages")) {
    try {
      if (!msg.is_object()) {
        batch.ignored.push_back({"message is not an object"});
        continue;
      }
      ParseMessage(msg, phone_number_id, contacts, batch);
    } catch (const std::exception& e) {
      batch.ignored.push_back({std::string("malformed message: ") + e.what()});
    }
  }
  for (const json& st : Arr(value, "statuses")) {
    try {
      if (!st.is_object()) {
        batch.ignored.push_back({"status is not an object"});
        continue;
      }
      ParseStatus(st, phone_number_id, batch);
    } catch (const std::exception& e) {
      batch.ignored.push_back({std::string("malformed status: ") + e.what()});
    }
  }
  // Value-level errors are not tied to a message (e.g. 130429): nothing to store, only to log.
  for (const json& e : NormalizeErrors(Arr(value, "errors"))) {
    batch.ignored.push_back({"error " + Dump(e["code"]) + " " + e["title"].get<std::string>()});
  }
}

}  // namespace

Result<InboundBatch> ParseWebhook(std::string_view raw_body, const ParseOptions& options) {
  // Checked before nlohmann sees it: its parser, copies and dumps recurse per level (issue 9 #4).
  if (!JsonDepthWithin(raw_body)) {
    return Status::BadRequest("webhook body is nested deeper than " +
                              std::to_string(kMaxJsonDepth) + " levels");
  }
  json root;
  try {
    root = json::parse(raw_body.begin(), raw_body.end());
  } catch (const std::exception& e) {
    auto repaired = RepairLoneSurrogates(raw_body);
    root = repaired ? json::parse(*repaired, nullptr, /*allow_exceptions=*/false) : json();
    if (root.is_discarded() || !repaired) {
      return Status::BadRequest(std::string("webhook body is not JSON: ") + e.what());
    }
  }
  // Valid JSON that is not an object is still JSON: acknowledged and ignored (API.md: 400 only
  // for a body that is not JSON), so Meta does not redeliver it for days.
  InboundBatch batch;
  if (!root.is_object()) {
    batch.ignored.push_back({"webhook body is not a JSON object"});
    return batch;
  }
  try {
    std::string object = Str(root, "object");
    if (!object.empty() && object != "whatsapp_business_account") {
      batch.ignored.push_back({"object " + object});
      return batch;
    }
    const json* entries = Member(root, "entry");
    if (entries == nullptr || !entries->is_array()) {
      batch.ignored.push_back({"body without entry[]"});
      return batch;
    }
    for (const json& entry : *entries) {
      const json* changes = Member(entry, "changes");
      if (changes == nullptr || !changes->is_array()) {
        batch.ignored.push_back({"entry without changes[]"});
        continue;
      }
      for (const json& change : *changes) {
        try {
          ParseChange(change, options, batch);
        } catch (const std::exception& e) {
          batch.ignored.push_back({std::string("malformed change: ") + e.what()});
        }
      }
    }
  } catch (const std::exception& e) {
    batch.ignored.push_back({std::string("malformed webhook: ") + e.what()});
  }
  return batch;
}

}  // namespace handoffd::whatsapp
