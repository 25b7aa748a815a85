// Shared vocabulary of outbound messages, used by the router, the config, the outbox payload and
// every channel.
#pragma once

#include <string>

namespace handoffd {

/// A reply button of an interactive message (WhatsApp: at most 3, title at most 20 characters,
/// id at most 256; facts §7 "Interactive reply buttons").
struct ReplyButton {
  std::string id;
  std::string title;
};

}  // namespace handoffd
