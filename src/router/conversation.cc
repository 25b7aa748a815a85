#include "router/conversation.h"

#include "domain/event.h"
#include "outbox/outbox_payload.h"

namespace handoffd {

Message SystemNoteMessage(const Session& session, const std::string& text, TimePoint now) {
  Message m;
  m.session_id = session.id;
  m.contact_id = session.contact_id;
  m.sender_type = SenderType::kSystem;
  m.direction = Direction::kInternal;
  m.type = "system";
  m.content = text;
  m.delivery_status = DeliveryStatus::kInternal;
  m.created_at = now;
  return m;
}

Message OutboundTextMessage(const Session& session, SenderType sender_type,
                            const std::string& sender_id, const std::string& text, TimePoint now) {
  Message m;
  m.session_id = session.id;
  m.contact_id = session.contact_id;
  m.sender_type = sender_type;
  m.sender_id = sender_id;
  m.direction = Direction::kOut;
  m.type = "text";
  m.content = text;
  m.delivery_status = DeliveryStatus::kQueued;
  m.created_at = now;
  return m;
}

OutboxItem TextOutboxItem(const Session& session, const Message& stored, TimePoint now) {
  OutboxItem item;
  item.message_id = stored.id;
  item.channel = session.channel;
  item.phone_number_id = session.phone_number_id;
  item.recipient = session.phone_number;
  item.payload = EncodeOutboxPayload(OutboxPayload::Text(stored.content));
  item.next_attempt_at = now;
  item.created_at = now;
  return item;
}

Status AddSystemNote(StoreTx& tx, const Session& session, const std::string& text, TimePoint now) {
  HANDOFFD_ASSIGN_OR_RETURN(auto r, tx.InsertMessage(SystemNoteMessage(session, text, now)));
  if (!r.has_value()) return Status::Internal("system note not inserted");
  return PublishMessage(tx, *r, session, now);
}

Status PublishMessage(StoreTx& tx, const Message& m, const Session& session, TimePoint now) {
  auto e = tx.AppendEvent(MessageEvent("message.created", m, session, now));
  return e.ok() ? Status::Ok() : e.status();
}

Result<Session> PublishSession(StoreTx& tx, const std::string& type, int64_t session_id,
                               bool was_waiting, TimePoint now) {
  HANDOFFD_ASSIGN_OR_RETURN(auto s, tx.LockSession(session_id));
  if (!s.has_value()) return Status::Internal("session vanished inside its transaction");
  HANDOFFD_RETURN_IF_ERROR(tx.AppendEvent(SessionEvent(type, *s, was_waiting, now)));
  return *s;
}

Result<Message> QueueText(StoreTx& tx, const Session& session, SenderType sender_type,
                          const std::string& sender_id, const std::string& text, TimePoint now) {
  HANDOFFD_ASSIGN_OR_RETURN(auto inserted, tx.InsertMessage(OutboundTextMessage(
                                               session, sender_type, sender_id, text, now)));
  if (!inserted.has_value()) return Status::Internal("outbound message not inserted");
  Message stored = *inserted;
  HANDOFFD_RETURN_IF_ERROR(tx.Enqueue(TextOutboxItem(session, stored, now)));
  HANDOFFD_RETURN_IF_ERROR(PublishMessage(tx, stored, session, now));
  return stored;
}

Status EndInTx(StoreTx& tx, const Session& session, EndReason reason, const std::string& note,
               const std::string& customer_text, TimePoint now) {
  HANDOFFD_ASSIGN_OR_RETURN(auto ended, tx.EndSession(session.id, reason, now));
  if (!ended) return Status::Conflict("session " + std::to_string(session.id) + " already ended");
  HANDOFFD_RETURN_IF_ERROR(PublishSession(tx, "session.ended", session.id,
                                          session.status == SessionStatus::kWaiting, now));
  HANDOFFD_RETURN_IF_ERROR(AddSystemNote(tx, session, note, now));
  if (!customer_text.empty()) {
    HANDOFFD_ASSIGN_OR_RETURN(auto q,
                              QueueText(tx, session, SenderType::kSystem, "", customer_text, now));
  }
  return Status::Ok();
}

std::string Substitute(std::string text, const std::string& agent_name) {
  static const std::string kVar = "{agent_name}";
  for (size_t pos = text.find(kVar); pos != std::string::npos;
       pos = text.find(kVar, pos + agent_name.size())) {
    text.replace(pos, kVar.size(), agent_name);
  }
  return text;
}

size_t CodePointCount(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

std::string NormalizeKeyword(const std::string& s) {
  const char* ws = " \t\r\n\f\v";
  const size_t b = s.find_first_not_of(ws);
  if (b == std::string::npos) return "";
  const size_t e = s.find_last_not_of(ws);
  std::string out = s.substr(b, e - b + 1);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace handoffd
