#include "channels/webchat/visitor_json.h"

#include "domain/json_views.h"

namespace handoffd::webchat {

nlohmann::json VisitorSessionJson(const Session& s, const QueueInfo& q) {
  nlohmann::json j = VisitorSessionFromJson(SessionJson(s));
  const bool waiting = s.status == SessionStatus::kWaiting;
  j["queue_position"] = waiting && q.position ? nlohmann::json(*q.position) : nullptr;
  j["estimated_wait_seconds"] =
      waiting && q.estimated_wait_seconds ? nlohmann::json(*q.estimated_wait_seconds) : nullptr;
  j["open_now"] = q.open_now;
  return j;
}

nlohmann::json VisitorSessionFromJson(const nlohmann::json& s) {
  auto field = [&s](const char* k) { return s.contains(k) ? s[k] : nlohmann::json(nullptr); };
  return {{"id", field("id")},
          {"status", field("status")},
          {"agent_name", field("agent_name")},
          {"queue_position", nullptr},
          {"estimated_wait_seconds", nullptr},
          {"open_now", true},
          {"created_at", field("created_at")},
          {"ended_at", field("ended_at")}};
}

std::optional<nlohmann::json> VisitorMessageJson(const Message& m) {
  return VisitorMessageFromJson(MessageJson(m));
}

std::optional<nlohmann::json> VisitorMessageFromJson(const nlohmann::json& m) {
  if (!m.is_object() || m.value("direction", "") == "internal") return std::nullopt;
  nlohmann::json j = {{"id", m.value("id", int64_t{0})},
                      {"sender_type", m.value("sender_type", "")},
                      {"content", m.value("content", "")},
                      {"type", m.value("type", "text")},
                      {"delivery_status", m.value("delivery_status", "")},
                      {"created_at", m.value("created_at", "")}};
  const auto meta = m.find("metadata");
  if (meta != m.end() && meta->is_object() && meta->contains("buttons")) {
    j["buttons"] = (*meta)["buttons"];
  }
  return j;
}

}  // namespace handoffd::webchat
