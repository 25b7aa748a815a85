#include "outbox/outbox_payload.h"

#include <nlohmann/json.hpp>
#include <utility>

namespace handoffd {

OutboxPayload OutboxPayload::Text(std::string text) {
  OutboxPayload p;
  p.kind = Kind::kText;
  p.text = std::move(text);
  return p;
}

OutboxPayload OutboxPayload::Buttons(std::string text, std::vector<ReplyButton> buttons) {
  OutboxPayload p;
  p.kind = Kind::kButtons;
  p.text = std::move(text);
  p.buttons = std::move(buttons);
  return p;
}

OutboxPayload OutboxPayload::Forward(std::string url, std::string body) {
  OutboxPayload p;
  p.kind = Kind::kForward;
  p.url = std::move(url);
  p.body = std::move(body);
  return p;
}

OutboxPayload OutboxPayload::Integration(std::string url, std::string body) {
  OutboxPayload p = Forward(std::move(url), std::move(body));
  p.kind = Kind::kIntegration;
  return p;
}

std::string EncodeOutboxPayload(const OutboxPayload& p) {
  switch (p.kind) {
    case OutboxPayload::Kind::kText: {
      nlohmann::json j{{"kind", "text"}, {"text", p.text}};
      if (!p.context.empty()) j["context"] = p.context;
      return j.dump();
    }
    case OutboxPayload::Kind::kTemplate:
      return nlohmann::json{{"kind", "template"},
                            {"name", p.template_name},
                            {"language", p.language},
                            {"parameters", p.parameters}}
          .dump();
    case OutboxPayload::Kind::kMedia: {
      nlohmann::json j{{"kind", "media"},        {"media_type", p.media_type},
                       {"path", p.path},         {"mime_type", p.mime_type},
                       {"filename", p.filename}, {"caption", p.caption}};
      if (!p.context.empty()) j["context"] = p.context;
      return j.dump();
    }
    case OutboxPayload::Kind::kReaction:
      return nlohmann::json{{"kind", "reaction"}, {"target", p.target}, {"emoji", p.emoji}}.dump();
    case OutboxPayload::Kind::kRead:
      return nlohmann::json{{"kind", "read"}, {"target", p.target}, {"typing", p.typing}}.dump();
    case OutboxPayload::Kind::kButtons: {
      nlohmann::json buttons = nlohmann::json::array();
      for (const ReplyButton& b : p.buttons) buttons.push_back({{"id", b.id}, {"title", b.title}});
      return nlohmann::json{{"kind", "buttons"}, {"text", p.text}, {"buttons", buttons}}.dump();
    }
    case OutboxPayload::Kind::kForward:
      return nlohmann::json{{"kind", "forward"}, {"url", p.url}, {"body", p.body}}.dump();
    case OutboxPayload::Kind::kIntegration:
      return nlohmann::json{{"kind", "integration"}, {"url", p.url}, {"body", p.body}}.dump();
  }
  return "{}";
}

std::optional<OutboxPayload> DecodeOutboxPayload(std::string_view json) {
  nlohmann::json j = nlohmann::json::parse(json, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  auto str = [&j](const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  const std::string kind = str("kind");
  if (kind == "forward") return OutboxPayload::Forward(str("url"), str("body"));
  if (kind == "integration") return OutboxPayload::Integration(str("url"), str("body"));
  if (kind == "text") {
    OutboxPayload p = OutboxPayload::Text(str("text"));
    p.context = str("context");
    return p;
  }
  if (kind == "template") {
    OutboxPayload p;
    p.kind = OutboxPayload::Kind::kTemplate;
    p.template_name = str("name");
    p.language = str("language");
    auto it = j.find("parameters");
    if (it != j.end() && it->is_array()) {
      for (const auto& v : *it) p.parameters.push_back(v.is_string() ? v.get<std::string>() : "");
    }
    return p;
  }
  if (kind == "media") {
    OutboxPayload p;
    p.kind = OutboxPayload::Kind::kMedia;
    p.media_type = str("media_type");
    p.path = str("path");
    p.mime_type = str("mime_type");
    p.filename = str("filename");
    p.caption = str("caption");
    p.context = str("context");
    return p;
  }
  if (kind == "reaction" || kind == "read") {
    OutboxPayload p;
    p.kind = kind == "read" ? OutboxPayload::Kind::kRead : OutboxPayload::Kind::kReaction;
    p.target = str("target");
    p.emoji = str("emoji");
    auto it = j.find("typing");
    p.typing = it != j.end() && it->is_boolean() && it->get<bool>();
    return p;
  }
  if (kind == "buttons") {
    std::vector<ReplyButton> buttons;
    auto it = j.find("buttons");
    if (it != j.end() && it->is_array()) {
      for (const auto& b : *it) {
        if (!b.is_object()) continue;
        ReplyButton button;
        if (b.contains("id") && b["id"].is_string()) button.id = b["id"].get<std::string>();
        if (b.contains("title") && b["title"].is_string()) {
          button.title = b["title"].get<std::string>();
        }
        buttons.push_back(std::move(button));
      }
    }
    return OutboxPayload::Buttons(str("text"), std::move(buttons));
  }
  return std::nullopt;
}

}  // namespace handoffd
