// The web chat channel's own records (API.md "Web chat"): widgets (from the configuration),
// visitors (the channel's customers) and offline messages.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "domain/reply_button.h"

namespace handoffd {

/// The channel name of web chat sessions, contacts and outbox items.
inline constexpr const char* kWebchatChannel = "webchat";

/// One `[[webchat.widgets]]` entry: a site's widget, identified by its public key.
struct WebchatWidget {
  /// Public key in the embedding snippet (`data-widget-key`); 1-64 of [A-Za-z0-9_-].
  std::string key;
  /// Shown in the widget's header.
  std::string name = "Support";
  /// Origins ("https://shop.example.com") allowed to call the visitor routes (CORS); exact match.
  std::vector<std::string> allowed_origins;
  /// Team slug its handoffs go to (empty: the default team).
  std::string team;
  /// First bot text shown in an empty conversation.
  std::string welcome_text = "Hi! How can we help you today?";
  /// Non-empty: visitor messages for the bot are forwarded there instead of the built-in menu.
  std::string bot_forward_url;
  /// Built-in bot buttons (at most 3); the handoff trigger id is "Talk to a human".
  std::vector<ReplyButton> menu_buttons;
};

/// A visitor of a widget. Its customer key (SESSION.phone_number) is VisitorKey(id).
struct Visitor {
  int64_t id = 0;
  std::string widget_key;
  int64_t contact_id = 0;
  std::string name;
  std::string email;
  TimePoint created_at{};
};

/// The customer key of visitor `id` ("v" + id): sessions, contacts and events use it.
inline std::string VisitorKey(int64_t id) { return "v" + std::to_string(id); }

/// A message left through the offline form (API.md POST /widget/v1/offline-messages).
struct OfflineMessage {
  int64_t id = 0;
  std::string widget_key;
  std::optional<int64_t> visitor_id;
  std::string name;
  std::string email;
  std::string message;
  TimePoint created_at{};
  std::optional<TimePoint> handled_at;
  std::optional<int64_t> handled_by;
};

}  // namespace handoffd
