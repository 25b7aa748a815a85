// A bot asking for a human in its answer to a forwarded webhook (docs/api.md "Bot forwarding"):
// the bot answers the forward with 2xx and
//   {"handoff": {"wa_id": "4915...", "team": "billing", "priority": 2}}
// (team and priority optional), and handoffd opens a session for that customer as a trigger
// would (Router::HandOffFromBot), with that team and priority.
#pragma once

#include <optional>
#include <string>

#include "common/result.h"

namespace handoffd {

/// What a bot's handoff request asks for.
struct BotHandoff {
  /// The customer (the `from` of a message in the forwarded webhook); 1-32 characters.
  std::string wa_id;
  /// The team's slug; empty: the number's team, else general.
  std::string team;
  /// 0 normal .. 3 urgent.
  int priority = 0;
};

/// Reads a bot's answer body. nullopt when it asks nothing: not a JSON object, or no "handoff"
/// key (bots answering anything else keep working). kBadRequest when "handoff" is there but
/// malformed: not an object, wa_id missing / not a string / empty / over 32 characters, team
/// not a string or over 64 characters, priority not an integer from 0 to 3. Pure.
Result<std::optional<BotHandoff>> ParseBotHandoff(const std::string& answer);

}  // namespace handoffd
