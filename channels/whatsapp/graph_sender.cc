#include "channels/whatsapp/graph_sender.h"

#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <nlohmann/json.hpp>
#include <utility>

namespace handoffd::whatsapp {
namespace {

using ordered_json = nlohmann::ordered_json;
using json = nlohmann::json;

// Meta's limits (facts §7). Longer values are cut at a code point boundary rather than sent to
// fail with a permanent error.
constexpr size_t kMaxTextChars = 4096;
constexpr size_t kMaxInteractiveBodyChars = 1024;
constexpr size_t kMaxButtons = 3;
constexpr size_t kMaxButtonTitleChars = 20;
// 4^12 s is about 194 days; later attempts keep that wait instead of overflowing.
constexpr int kMaxBackoffExponent = 12;

// Cuts `s` to at most `max_chars` code points (UTF-8 continuation bytes are not counted).
std::string TruncateCodePoints(const std::string& s, size_t max_chars) {
  size_t chars = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      if (chars == max_chars) return s.substr(0, i);
      ++chars;
    }
  }
  return s;
}

bool IsPhoneDigits(const std::string& to) {
  std::string_view digits(to);
  if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
  return !digits.empty() &&
         std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string Recipient(const std::string& to) {
  // Without "+" Meta prepends the business number's country code (facts §7 "Phone format").
  if (IsPhoneDigits(to)) return to.front() == '+' ? to : "+" + to;
  return to;  // a business-scoped user id ("US.1349...") goes as is
}

std::string Dump(const ordered_json& j) {
  return j.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

std::string RandomHex(size_t bytes) {
  static const bool kInit = sodium_init() >= 0;
  (void)kInit;
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  std::string hex(bytes * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), reinterpret_cast<const unsigned char*>(raw.data()),
                 raw.size());
  hex.pop_back();
  return hex;
}

SendResult Failure(SendResult::Outcome outcome, int64_t code, std::string title) {
  SendResult r;
  r.outcome = outcome;
  r.error = MessageError{code, std::move(title)};
  return r;
}

SendResult Interpret(const HttpResponse& http, int attempt) {
  if (http.timed_out) {
    SendResult r = Failure(SendResult::Outcome::kRetryable, 0, "timeout: " + http.transport_error);
    r.timed_out = true;
    return r;
  }
  if (http.status == 0) {
    return Failure(SendResult::Outcome::kRetryable, 0, "transport error: " + http.transport_error);
  }

  json body = json::parse(http.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_object()) {
    auto err = body.find("error");
    if (err != body.end() && err->is_object()) {
      auto code_it = err->find("code");
      if (code_it != err->end() && code_it->is_number_integer()) {
        int64_t code = code_it->get<int64_t>();
        std::string title;
        if (auto m = err->find("message"); m != err->end() && m->is_string()) title = *m;
        // Meta writes "(#131047) Re-engagement message"; keep the title as the status webhook
        // carries it ("Re-engagement message") so both paths show the same text.
        if (title.rfind("(#", 0) == 0) {
          if (size_t close = title.find(") "); close != std::string::npos) {
            title = title.substr(close + 2);
          }
        }
        if (title.empty()) title = "HTTP " + std::to_string(http.status);
        // A 5xx is the server's trouble: retry whatever the code says (PRODUCT.md "Outbound").
        const SendResult::Outcome outcome =
            http.status >= 500 ? SendResult::Outcome::kRetryable : ClassifyMetaError(code);
        SendResult r = Failure(outcome, code, std::move(title));
        if (code == 131056) {
          int exponent = std::clamp(attempt, 0, kMaxBackoffExponent);
          int64_t seconds = int64_t{1} << (2 * exponent);  // 4^attempt
          r.retry_after = std::chrono::duration_cast<Duration>(std::chrono::seconds(seconds));
        }
        return r;
      }
    }
  }

  if (http.status >= 200 && http.status < 300) {
    if (body.is_object()) {
      auto messages = body.find("messages");
      if (messages != body.end() && messages->is_array() && !messages->empty() &&
          (*messages)[0].is_object()) {
        auto id = (*messages)[0].find("id");
        if (id != (*messages)[0].end() && id->is_string() && !id->get<std::string>().empty()) {
          SendResult r;
          r.outcome = SendResult::Outcome::kSent;
          r.channel_message_id = *id;
          return r;
        }
      }
    }
    // Accepted but unidentifiable: a retry could deliver the text twice, so do not retry.
    return Failure(SendResult::Outcome::kPermanent, 0,
                   "HTTP " + std::to_string(http.status) + " without messages[0].id");
  }
  std::string title = "HTTP " + std::to_string(http.status);
  if (http.status >= 500 || http.status == 429 || http.status == 408) {
    return Failure(SendResult::Outcome::kRetryable, http.status, std::move(title));
  }
  return Failure(SendResult::Outcome::kPermanent, http.status, std::move(title));
}

// The id of an upload answer {"id":"..."}; empty otherwise.
std::string UploadedId(const HttpResponse& http) {
  if (http.status < 200 || http.status >= 300) return "";
  json body = json::parse(http.body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object()) return "";
  auto id = body.find("id");
  return id != body.end() && id->is_string() ? id->get<std::string>() : "";
}

class GraphSender final : public ChannelSender {
 public:
  GraphSender(GraphSenderOptions options, std::unique_ptr<HttpClient> client)
      : options_(std::move(options)), client_(std::move(client)) {
    while (!options_.api_base.empty() && options_.api_base.back() == '/') {
      options_.api_base.pop_back();
    }
  }

  SendResult Send(const OutboundMessage& message, int attempt) override {
    try {
      const std::string& token = TokenFor(options_, message.phone_number_id);
      std::string url = options_.api_base + "/" + message.phone_number_id + "/messages";
      std::map<std::string, std::string> headers = {
          {"Authorization", "Bearer " + token},
          {"Content-Type", "application/json"},
      };
      std::string body;
      if (message.kind == OutboundMessage::Kind::kMedia) {
        HttpResponse up = client_->PostFile(
            options_.api_base + "/" + message.phone_number_id + "/media",
            {{"Authorization", "Bearer " + token}},
            {{"messaging_product", "whatsapp"}, {"type", message.media_mime_type}},
            message.media_path, message.media_mime_type, message.media_filename);
        std::string media_id = UploadedId(up);
        if (media_id.empty()) {
          SendResult r = Interpret(up, attempt);
          if (r.outcome == SendResult::Outcome::kSent || !r.error) {
            r = Failure(SendResult::Outcome::kPermanent, 0, "media upload without id");
          }
          return r;
        }
        body = BuildMediaSendBody(message, media_id);
      } else {
        body = BuildSendBody(message);
      }
      HttpResponse http = client_->Post(url, headers, body);
      if (message.kind == OutboundMessage::Kind::kRead && http.status >= 200 && http.status < 300) {
        SendResult r;
        r.outcome = SendResult::Outcome::kSent;
        return r;
      }
      return Interpret(http, attempt);
    } catch (const std::exception& e) {
      return Failure(SendResult::Outcome::kRetryable, 0, std::string("send failed: ") + e.what());
    }
  }

 private:
  GraphSenderOptions options_;
  std::unique_ptr<HttpClient> client_;
};

class DryRunSender final : public ChannelSender {
 public:
  SendResult Send(const OutboundMessage&, int) override {
    SendResult r;
    r.outcome = SendResult::Outcome::kSent;
    r.channel_message_id = "dryrun." + RandomHex(16);
    return r;
  }
};

}  // namespace

SendResult::Outcome ClassifyMetaError(int64_t code) {
  switch (code) {
    case 130429:  // business number throughput
    case 131056:  // pair rate limit (4^X schedule)
    case 4:       // app call rate limit
    case 80007:   // WABA rate limit
    case 131000:  // unknown send failure
    case 131016:  // service temporarily unavailable
    case 2:       // temporary downtime or overload
    case 133004:  // server temporarily unavailable
    case 131057:  // account in maintenance mode
      return SendResult::Outcome::kRetryable;
    default:
      return SendResult::Outcome::kPermanent;
  }
}

const std::string& TokenFor(const GraphSenderOptions& options, const std::string& phone_number_id) {
  auto it = options.number_tokens.find(phone_number_id);
  return it != options.number_tokens.end() && !it->second.empty() ? it->second
                                                                  : options.access_token;
}

namespace {
ordered_json Envelope(const OutboundMessage& message) {
  ordered_json body;
  body["messaging_product"] = "whatsapp";
  body["recipient_type"] = "individual";
  body["to"] = Recipient(message.to);
  if (!message.context_message_id.empty() && message.kind != OutboundMessage::Kind::kReaction &&
      message.kind != OutboundMessage::Kind::kTemplate) {
    body["context"] = {{"message_id", message.context_message_id}};
  }
  return body;
}
}  // namespace

std::string BuildMediaSendBody(const OutboundMessage& message, const std::string& media_id) {
  ordered_json body = Envelope(message);
  ordered_json media = {{"id", media_id}};
  if (!message.caption.empty() && message.media_type != "audio" &&
      message.media_type != "sticker") {
    media["caption"] = TruncateCodePoints(message.caption, 1024);
  }
  if (message.media_type == "document" && !message.media_filename.empty()) {
    media["filename"] = message.media_filename;
  }
  body["type"] = message.media_type;
  body[message.media_type] = std::move(media);
  return Dump(body);
}

std::string BuildSendBody(const OutboundMessage& message) {
  if (message.kind == OutboundMessage::Kind::kRead) {
    ordered_json read;
    read["messaging_product"] = "whatsapp";
    read["status"] = "read";
    read["message_id"] = message.read_message_id;
    if (message.typing) read["typing_indicator"] = {{"type", "text"}};
    return Dump(read);
  }
  ordered_json body = Envelope(message);
  if (message.kind == OutboundMessage::Kind::kTemplate) {
    ordered_json tmpl;
    tmpl["name"] = message.template_name;
    tmpl["language"] = {{"code", message.template_language}};
    if (!message.template_parameters.empty()) {
      ordered_json params = ordered_json::array();
      for (const std::string& p : message.template_parameters) {
        params.push_back({{"type", "text"}, {"text", p}});
      }
      tmpl["components"] = ordered_json::array({{{"type", "body"}, {"parameters", params}}});
    }
    body["type"] = "template";
    body["template"] = std::move(tmpl);
    return Dump(body);
  }
  if (message.kind == OutboundMessage::Kind::kReaction) {
    body["type"] = "reaction";
    body["reaction"] = {{"message_id", message.reaction_message_id}, {"emoji", message.emoji}};
    return Dump(body);
  }
  if (message.buttons.empty()) {
    body["type"] = "text";
    body["text"] = {{"body", TruncateCodePoints(message.text, kMaxTextChars)},
                    {"preview_url", false}};
    return Dump(body);
  }
  ordered_json buttons = ordered_json::array();
  for (size_t i = 0; i < message.buttons.size() && i < kMaxButtons; ++i) {
    const ReplyButton& b = message.buttons[i];
    buttons.push_back(
        {{"type", "reply"},
         {"reply", {{"id", b.id}, {"title", TruncateCodePoints(b.title, kMaxButtonTitleChars)}}}});
  }
  body["type"] = "interactive";
  body["interactive"] = {
      {"type", "button"},
      {"body", {{"text", TruncateCodePoints(message.text, kMaxInteractiveBodyChars)}}},
      {"action", {{"buttons", std::move(buttons)}}},
  };
  return Dump(body);
}

std::unique_ptr<ChannelSender> MakeGraphSender(const GraphSenderOptions& options,
                                               std::unique_ptr<HttpClient> client) {
  return std::make_unique<GraphSender>(options, std::move(client));
}

std::unique_ptr<ChannelSender> MakeDryRunSender() { return std::make_unique<DryRunSender>(); }

}  // namespace handoffd::whatsapp
