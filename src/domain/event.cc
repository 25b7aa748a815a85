#include "domain/event.h"

#include "domain/json_views.h"
#include "domain/webchat.h"

namespace handoffd {

const char* ToString(EventAudience a) { return a == EventAudience::kAgent ? "agent" : "all"; }

std::optional<EventAudience> ParseEventAudience(std::string_view s) {
  if (s == "all") return EventAudience::kAllAgents;
  if (s == "agent") return EventAudience::kAgent;
  return std::nullopt;
}

bool IsVisitorOnly(const EventRecord& event) {
  return event.audience == EventAudience::kAgent && !event.agent_id;
}

EventRecord VisitorOnlyEvent(const std::string& type, const std::string& visitor_key,
                             std::string data, TimePoint now) {
  EventRecord e;
  e.type = type;
  e.audience = EventAudience::kAgent;
  e.visitor_key = visitor_key;
  e.data = std::move(data);
  e.created_at = now;
  return e;
}

bool EventVisibleTo(const EventRecord& event, const Agent& agent) {
  if (IsVisitorOnly(event)) return false;
  // An agent's own read position is theirs alone, supervisors included.
  if (event.type == kReadUpdatedEvent) return event.agent_id == agent.id;
  if (IsSupervisor(agent.role) || event.audience == EventAudience::kAllAgents) return true;
  return event.agent_id == agent.id;
}

void SetSessionAudience(EventRecord& e, const Session& s, bool was_waiting) {
  const bool everyone = was_waiting || s.status == SessionStatus::kWaiting || !s.agent_id;
  e.audience = everyone ? EventAudience::kAllAgents : EventAudience::kAgent;
  e.agent_id = everyone ? std::nullopt : s.agent_id;
}

namespace {

EventRecord Visible(std::string type, const Session& s, bool was_waiting, std::string data,
                    TimePoint now) {
  EventRecord e;
  e.type = std::move(type);
  SetSessionAudience(e, s, was_waiting);
  e.data = std::move(data);
  e.created_at = now;
  if (s.channel == kWebchatChannel) e.visitor_key = s.phone_number;
  return e;
}

}  // namespace

EventRecord SessionEvent(const std::string& type, const Session& session, bool was_waiting,
                         TimePoint now) {
  return Visible(type, session, was_waiting, SessionJson(session).dump(), now);
}

EventRecord SessionExtendedEvent(const Session& session, TimePoint now) {
  EventRecord e;
  e.type = kSessionExtendedEvent;
  SetSessionAudience(e, session, false);
  e.data = SessionTimersJson(session).dump();
  e.created_at = now;
  return e;
}

EventRecord MessageEvent(const std::string& type, const Message& message, const Session& session,
                         TimePoint now) {
  return Visible(type, session, false, MessageJson(message).dump(), now);
}

EventRecord AgentEvent(const Agent& agent, TimePoint now) {
  EventRecord e;
  e.type = "agent.status";
  e.audience = EventAudience::kAgent;
  e.agent_id = agent.id;
  e.data = AgentJson(agent).dump();
  e.created_at = now;
  return e;
}

}  // namespace handoffd
