#include "router/agent_tools.h"

#include <nlohmann/json.hpp>

#include "domain/event.h"
#include "domain/labels.h"
#include "router/conversation.h"

namespace handoffd {
namespace {

constexpr size_t kMaxNoteCodePoints = 4096;
constexpr int kTranscriptPage = 1000;

}  // namespace

AgentTools::AgentTools(Store& store, const Clock& clock, SessionService& sessions,
                       std::function<void()> on_events)
    : store_(store), clock_(clock), sessions_(sessions), on_events_(std::move(on_events)) {}

Result<Message> AgentTools::AddNote(int64_t session_id, const Agent& author,
                                    const std::string& content) {
  if (NormalizeKeyword(content).empty()) return Status::BadRequest("content must not be empty");
  if (CodePointCount(content) > kMaxNoteCodePoints) {
    return Status::BadRequest("content must be at most 4096 characters");
  }
  HANDOFFD_ASSIGN_OR_RETURN(auto session, sessions_.Readable(session_id, author));
  const TimePoint now = clock_.Now();
  Message out;
  Status st = store_.Transact([&](StoreTx& tx) -> Status {
    Message m;
    m.session_id = session.id;
    m.contact_id = session.contact_id;
    m.sender_type = SenderType::kAgent;
    m.sender_id = std::to_string(author.id);
    m.direction = Direction::kInternal;
    m.type = "note";
    m.content = content;
    m.metadata = nlohmann::json{{"author_name", author.name}}.dump();
    m.delivery_status = DeliveryStatus::kInternal;
    m.created_at = now;
    HANDOFFD_ASSIGN_OR_RETURN(auto stored, tx.InsertMessage(m));
    if (!stored.has_value()) return Status::Internal("note not inserted");
    out = *stored;
    return PublishMessage(tx, out, session, now);
  });
  if (!st.ok()) return st;
  if (on_events_) on_events_();
  return out;
}

Result<Session> AgentTools::SetLabels(int64_t session_id, const Agent& actor,
                                      const std::vector<std::string>& labels) {
  std::vector<std::string> normalized;
  for (const std::string& l : labels) {
    auto n = NormalizeLabel(l);
    if (!n) return Status::BadRequest("labels must be 1-32 of a-z, 0-9, _ and -");
    normalized.push_back(*n);
  }
  normalized = DecodeLabels(EncodeLabels(normalized));  // sorted, unique
  if (normalized.size() > kMaxLabels) {
    return Status::BadRequest("at most " + std::to_string(kMaxLabels) + " labels");
  }
  HANDOFFD_RETURN_IF_ERROR(sessions_.Readable(session_id, actor));
  const TimePoint now = clock_.Now();
  Session out;
  Status st = store_.Transact([&](StoreTx& tx) -> Status {
    HANDOFFD_ASSIGN_OR_RETURN(auto found, tx.SetSessionLabels(session_id, normalized));
    if (!found) return Status::NotFound("session " + std::to_string(session_id) + " not found");
    HANDOFFD_ASSIGN_OR_RETURN(out, PublishSession(tx, "session.updated", session_id, false, now));
    return Status::Ok();
  });
  if (!st.ok()) return st;
  if (on_events_) on_events_();
  return out;
}

Result<Transcript> AgentTools::GetTranscript(int64_t session_id, const Agent& reader,
                                             bool include_internal) {
  Transcript t;
  HANDOFFD_ASSIGN_OR_RETURN(t.session, sessions_.Readable(session_id, reader));
  int64_t after = 0;
  for (;;) {
    HANDOFFD_ASSIGN_OR_RETURN(auto page, store_.ListMessages(session_id, after, kTranscriptPage));
    for (Message& m : page) {
      after = m.id;
      if (m.direction == Direction::kInternal && !include_internal) continue;
      t.messages.push_back(std::move(m));
    }
    if (page.size() < static_cast<size_t>(kTranscriptPage)) break;
  }
  return t;
}

}  // namespace handoffd
