#include "router/bot_handoff.h"

#include <nlohmann/json.hpp>

#include "router/router.h"

namespace handoffd {

Result<std::optional<BotHandoff>> ParseBotHandoff(const std::string& answer) {
  const nlohmann::json j = nlohmann::json::parse(answer, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("handoff")) return std::optional<BotHandoff>();
  const nlohmann::json& h = j["handoff"];
  if (!h.is_object()) return Status::BadRequest("handoff must be an object");
  BotHandoff out;
  auto wa_id = h.find("wa_id");
  if (wa_id == h.end() || !wa_id->is_string() || wa_id->get<std::string>().empty() ||
      wa_id->get<std::string>().size() > 32) {
    return Status::BadRequest("handoff.wa_id must be a string of 1 to 32 characters");
  }
  out.wa_id = wa_id->get<std::string>();
  if (auto team = h.find("team"); team != h.end() && !team->is_null()) {
    if (!team->is_string() || team->get<std::string>().size() > 64) {
      return Status::BadRequest("handoff.team must be a team slug");
    }
    out.team = team->get<std::string>();
  }
  if (auto priority = h.find("priority"); priority != h.end() && !priority->is_null()) {
    if (!priority->is_number_integer() || priority->get<int64_t>() < 0 ||
        priority->get<int64_t>() > 3) {
      return Status::BadRequest("handoff.priority must be an integer from 0 to 3");
    }
    out.priority = static_cast<int>(priority->get<int64_t>());
  }
  return std::optional<BotHandoff>(std::move(out));
}

Result<std::optional<int64_t>> Router::HandOffFromBot(const InboundBatch& forwarded,
                                                      const std::string& answer) {
  HANDOFFD_ASSIGN_OR_RETURN(auto handoff, ParseBotHandoff(answer));
  if (!handoff) return std::optional<int64_t>();
  // The customer's last message in the forwarded webhook: the session's window and number.
  const InboundMessage* last = nullptr;
  for (const InboundMessage& m : forwarded.messages) {
    if (m.customer.wa_id == handoff->wa_id || m.customer.key == handoff->wa_id) last = &m;
  }
  if (last == nullptr) {
    return Status::BadRequest("handoff.wa_id " + handoff->wa_id +
                              " sent no message in the forwarded webhook");
  }
  const TimePoint now = clock_.Now();
  std::optional<QueueContext> queue;
  if (options_.routing != nullptr && !options_.routing->options().auto_mode) {
    HANDOFFD_ASSIGN_OR_RETURN(queue, options_.routing->LoadQueueContext(now));
  }
  Outcome out;
  std::optional<int64_t> opened;
  Status st = store_.Transact([&](StoreTx& tx) -> Status {
    out = Outcome{};
    opened.reset();
    HANDOFFD_ASSIGN_OR_RETURN(auto open, tx.FindOpenSession(last->channel, last->customer.key));
    if (open) return Status::Ok();  // already with the agents (or a redone forward)
    std::optional<int64_t> team_id;
    if (!handoff->team.empty()) {
      HANDOFFD_ASSIGN_OR_RETURN(team_id, tx.FindTeamBySlug(handoff->team));
      if (!team_id) return Status::NotFound("team " + handoff->team + " not found");
    }
    HANDOFFD_ASSIGN_OR_RETURN(auto contact_id,
                              tx.UpsertContact(last->channel, last->customer, now));
    HANDOFFD_ASSIGN_OR_RETURN(
        auto s, OpenSession(tx, *last, contact_id, team_id, handoff->priority,
                            "The bot handed the customer over", now, out.report, out.logs, queue));
    opened = s.id;
    return Status::Ok();
  });
  if (!st.ok()) return st;
  Finish(InboundBatch{}, out);
  return opened;
}

}  // namespace handoffd
