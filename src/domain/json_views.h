// The JSON shapes of API.md: SESSION, MESSAGE and AGENT (the error body: src/http/errors.h). Absent
// values are null; timestamps RFC 3339 UTC with milliseconds.
#pragma once

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "domain/agent.h"
#include "domain/message.h"
#include "domain/session.h"
#include "domain/team.h"

namespace handoffd {

nlohmann::json SessionJson(const Session& s);
/// The timers of session `s` a customer message moves (session.extended's data, domain/event.h):
/// {"session_id","last_customer_message_at","expires_at","window_expires_at"}, as in SessionJson.
nlohmann::json SessionTimersJson(const Session& s);
nlohmann::json MessageJson(const Message& m);
/// MESSAGE without "id" and "session_id", as the text after the opening brace (so that
/// `{"id":N,"session_id":S,` + tail is the full MESSAGE): the store completes it once the ids
/// exist (Store::AppendToOpenSession).
std::string MessageJsonTail(const Message& m);
/// Never includes the password hash.
nlohmann::json AgentJson(const Agent& a);
/// AGENT.teams: [{"id","name"}].
nlohmann::json TeamRefsJson(const std::vector<TeamRef>& teams);

}  // namespace handoffd
