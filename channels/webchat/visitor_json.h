// What a web chat visitor sees (API.md "Web chat"): VSESSION and VMESSAGE, projected from the
// agents' SESSION and MESSAGE. A visitor never sees internal notes, agent ids or phone numbers.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>

#include "domain/message.h"
#include "domain/session.h"

namespace handoffd::webchat {

/// Queue facts of a waiting session (null when not waiting or unknown).
struct QueueInfo {
  std::optional<int64_t> position;  // 1-based within its queue
  std::optional<int64_t> estimated_wait_seconds;
  bool open_now = true;
};

/// VSESSION: {"id","status","agent_name","queue_position","estimated_wait_seconds","open_now",
/// "created_at","ended_at"}.
nlohmann::json VisitorSessionJson(const Session& s, const QueueInfo& q);
/// VSESSION from a SESSION JSON object (an event's data); queue fields null, open_now true.
nlohmann::json VisitorSessionFromJson(const nlohmann::json& session);

/// VMESSAGE: {"id","sender_type","content","type","delivery_status","created_at"}, plus
/// "buttons" ([{id,title}]) for a bot menu. nullopt for an internal note.
std::optional<nlohmann::json> VisitorMessageJson(const Message& m);
/// VMESSAGE from a MESSAGE JSON object (an event's data); nullopt for an internal note.
std::optional<nlohmann::json> VisitorMessageFromJson(const nlohmann::json& message);

}  // namespace handoffd::webchat
