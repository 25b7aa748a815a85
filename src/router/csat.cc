#include "router/csat.h"

#include <nlohmann/json.hpp>

#include "outbox/outbox_payload.h"
#include "router/conversation.h"

namespace handoffd {

std::vector<ReplyButton> CsatButtons() {
  return {{"CSAT_3", "Good"}, {"CSAT_2", "OK"}, {"CSAT_1", "Bad"}};
}

std::optional<int> CsatScoreFromReply(const std::string& reply_id) {
  if (reply_id == "CSAT_3") return 3;
  if (reply_id == "CSAT_2") return 2;
  if (reply_id == "CSAT_1") return 1;
  return std::nullopt;
}

Status AskCsat(StoreTx& tx, const Session& session, const std::string& question, TimePoint now) {
  nlohmann::json buttons = nlohmann::json::array();
  for (const ReplyButton& b : CsatButtons()) buttons.push_back({{"id", b.id}, {"title", b.title}});
  Message m;
  m.session_id = session.id;
  m.contact_id = session.contact_id;
  m.sender_type = SenderType::kSystem;
  m.direction = Direction::kOut;
  m.type = "interactive";
  m.content = question;
  m.metadata = nlohmann::json{{"buttons", buttons}, {"csat", true}}.dump();
  m.delivery_status = DeliveryStatus::kQueued;
  m.created_at = now;
  HANDOFFD_ASSIGN_OR_RETURN(auto stored, tx.InsertMessage(m));
  if (!stored.has_value()) return Status::Internal("CSAT question not inserted");
  OutboxItem item;
  item.message_id = stored->id;
  item.channel = session.channel;
  item.phone_number_id = session.phone_number_id;
  item.recipient = session.phone_number;
  item.payload = EncodeOutboxPayload(OutboxPayload::Buttons(question, CsatButtons()));
  item.next_attempt_at = now;
  item.created_at = now;
  HANDOFFD_RETURN_IF_ERROR(tx.Enqueue(item));
  HANDOFFD_RETURN_IF_ERROR(PublishMessage(tx, *stored, session, now));
  return tx.MarkCsatAsked(session.id, now);
}

std::string TruncateComment(const std::string& text) {
  if (text.size() <= kMaxCsatCommentBytes) return text;
  size_t end = kMaxCsatCommentBytes;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

}  // namespace handoffd
