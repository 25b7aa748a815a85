#include "domain/json_views.h"

namespace handoffd {
namespace {

template <typename T, typename F>
nlohmann::json OrNull(const std::optional<T>& v, F f) {
  return v ? nlohmann::json(f(*v)) : nlohmann::json(nullptr);
}

double MillisToSeconds(int64_t ms) { return static_cast<double>(ms) / 1000.0; }

}  // namespace

nlohmann::json SessionTimersJson(const Session& s) {
  return {
      {"session_id", s.id},
      {"last_customer_message_at", OrNull(s.last_customer_message_at, FormatRfc3339)},
      {"expires_at", FormatRfc3339(s.expires_at)},
      {"window_expires_at", OrNull(s.last_customer_message_at,
                                   [](TimePoint t) { return FormatRfc3339(t + kServiceWindow); })},
  };
}

nlohmann::json SessionJson(const Session& s) {
  return {
      {"id", s.id},
      {"channel", s.channel},
      {"phone_number", s.phone_number},
      {"customer_name",
       s.customer_name.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.customer_name)},
      {"phone_number_id",
       s.phone_number_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.phone_number_id)},
      {"status", ToString(s.status)},
      {"agent_id", OrNull(s.agent_id, [](int64_t v) { return v; })},
      {"agent_name", OrNull(s.agent_name, [](const std::string& v) { return v; })},
      {"created_at", FormatRfc3339(s.created_at)},
      {"assigned_at", OrNull(s.assigned_at, FormatRfc3339)},
      {"ended_at", OrNull(s.ended_at, FormatRfc3339)},
      {"end_reason", OrNull(s.end_reason, [](EndReason r) { return ToString(r); })},
      {"expires_at", FormatRfc3339(s.expires_at)},
      {"last_customer_message_at", OrNull(s.last_customer_message_at, FormatRfc3339)},
      {"window_expires_at", OrNull(s.last_customer_message_at,
                                   [](TimePoint t) { return FormatRfc3339(t + kServiceWindow); })},
      {"team_id", s.team_id == 0 ? nlohmann::json(nullptr) : nlohmann::json(s.team_id)},
      {"team_name", s.team_name.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.team_name)},
      {"queue_position", OrNull(s.queue_position, [](int64_t v) { return v; })},
      {"priority", s.priority},
      {"labels", s.labels},
      {"csat_score", OrNull(s.csat_score, [](int v) { return v; })},
      {"csat_comment", OrNull(s.csat_comment, [](const std::string& v) { return v; })},
      {"wait_seconds", OrNull(s.wait_ms, MillisToSeconds)},
      {"first_response_seconds", OrNull(s.first_response_ms, MillisToSeconds)},
      {"handle_seconds", OrNull(s.handle_ms, MillisToSeconds)},
  };
}

nlohmann::json MessageJson(const Message& m) {
  nlohmann::json metadata = nlohmann::json::parse(m.metadata, nullptr, false);
  if (!metadata.is_object()) metadata = nlohmann::json::object();
  return {
      {"id", m.id},
      {"session_id", OrNull(m.session_id, [](int64_t v) { return v; })},
      {"sender_type", ToString(m.sender_type)},
      {"sender_id", m.sender_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(m.sender_id)},
      {"direction", ToString(m.direction)},
      {"type", m.type},
      {"content", m.content},
      {"metadata", metadata},
      {"channel_message_id", OrNull(m.channel_message_id, [](const std::string& v) { return v; })},
      {"delivery_status", ToString(m.delivery_status)},
      {"error", m.error ? nlohmann::json{{"code", m.error->code}, {"title", m.error->title}}
                        : nlohmann::json(nullptr)},
      {"created_at", FormatRfc3339(m.created_at)},
      {"sent_at", OrNull(m.sent_at, FormatRfc3339)},
  };
}

std::string MessageJsonTail(const Message& m) {
  nlohmann::json j = MessageJson(m);
  j.erase("id");
  j.erase("session_id");
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).substr(1);
}

nlohmann::json AgentJson(const Agent& a) {
  return {{"id", a.id},
          {"email", a.email},
          {"name", a.name},
          {"role", ToString(a.role)},
          {"status", ToString(a.status)},
          {"max_chats", a.max_chats},
          {"active_chats", a.active_chats},
          {"teams", TeamRefsJson(a.teams)}};
}

nlohmann::json TeamRefsJson(const std::vector<TeamRef>& teams) {
  nlohmann::json out = nlohmann::json::array();
  for (const TeamRef& t : teams) out.push_back({{"id", t.id}, {"name", t.name}});
  return out;
}

}  // namespace handoffd
