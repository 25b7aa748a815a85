#include "router/session_service.h"

#include <nlohmann/json.hpp>

#include "domain/event.h"
#include "router/conversation.h"
#include "router/csat.h"

namespace handoffd {
namespace {

constexpr size_t kMaxTextCodePoints = 4096;

bool IsPhoneNumber(const std::string& s) {
  if (s.size() < 6 || s.size() > 15) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

Status NotFoundSession(int64_t id) {
  return Status::NotFound("session " + std::to_string(id) + " not found");
}

}  // namespace

SessionService::SessionService(Store& store, const Clock& clock, SessionServiceOptions options)
    : store_(store), clock_(clock), options_(std::move(options)) {}

void SessionService::Committed(bool outbox) {
  if (outbox && options_.on_outbox) options_.on_outbox();
  if (options_.on_events) options_.on_events();
}

Result<Session> SessionService::Reload(int64_t session_id) {
  HANDOFFD_ASSIGN_OR_RETURN(auto s, store_.GetSession(session_id));
  if (!s.has_value()) return NotFoundSession(session_id);
  return *s;
}

Result<Session> SessionService::Start(const std::string& phone_number, const Agent& actor) {
  if (!IsPhoneNumber(phone_number)) {
    return Status::BadRequest("phone_number must be 6-15 digits");
  }
  const TimePoint now = clock_.Now();
  int64_t id = 0;
  Status st = store_.Transact([&](StoreTx& tx) -> Status {
    CustomerRef customer{phone_number, phone_number, "", ""};
    HANDOFFD_ASSIGN_OR_RETURN(auto contact, tx.UpsertContact("whatsapp", customer, now));
    NewSession ns;
    ns.contact_id = contact;
    ns.phone_number = phone_number;
    ns.phone_number_id = options_.default_phone_number_id;
    ns.created_at = now;
    ns.expires_at = now + options_.session_ttl;
    auto created = tx.CreateSession(ns);
    if (!created.ok()) {
      if (created.status().code() == ErrorCode::kConflict) {
        return Status::Conflict("customer " + phone_number + " already has an open session");
      }
      return created.status();
    }
    id = created->id;
    HANDOFFD_ASSIGN_OR_RETURN(auto published, PublishSession(tx, "session.created", id, true, now));
    return AddSystemNote(tx, *created, "Session started by " + actor.name, now);
  });
  if (!st.ok()) return st;
  if (options_.on_session_opened) options_.on_session_opened();
  Committed(false);
  return Reload(id);
}

Result<Session> SessionService::Readable(int64_t session_id, const Agent& reader) {
  HANDOFFD_ASSIGN_OR_RETURN(auto found, store_.GetSession(session_id));
  if (!found.has_value()) return NotFoundSession(session_id);
  const Session& s = *found;
  auto own = [&](const Session& x) {
    return x.status == SessionStatus::kWaiting ||
           (x.status == SessionStatus::kActive && x.agent_id == reader.id);
  };
  if (IsSupervisor(reader.role) || s.status == SessionStatus::kWaiting || s.agent_id == reader.id) {
    return s;
  }
  if (s.status == SessionStatus::kEnded) {
    // A returning customer: whoever handles the open session may read the earlier ones.
    HANDOFFD_ASSIGN_OR_RETURN(auto newest, store_.ListCustomerSessions(s.contact_id, INT64_MAX, 1));
    if (!newest.empty() && newest[0].id != s.id && own(newest[0])) return s;
  }
  return Status::Forbidden("session " + std::to_string(session_id) + " belongs to another agent");
}

Result<std::vector<Session>> SessionService::Previous(int64_t session_id, const Agent& reader) {
  HANDOFFD_ASSIGN_OR_RETURN(auto s, Readable(session_id, reader));
  return store_.ListCustomerSessions(s.contact_id, s.id, 20);
}

Status SessionService::MarkRead(int64_t session_id, const Agent& reader, int64_t message_id) {
  if (message_id < 1) return Status::BadRequest("message_id must be a positive integer");
  HANDOFFD_RETURN_IF_ERROR(Readable(session_id, reader));
  const TimePoint now = clock_.Now();
  HANDOFFD_RETURN_IF_ERROR(store_.Transact([&](StoreTx& tx) -> Status {
    HANDOFFD_ASSIGN_OR_RETURN(auto stored,
                              tx.SetReadPosition(reader.id, session_id, message_id, now));
    EventRecord e;
    e.type = kReadUpdatedEvent;
    e.audience = EventAudience::kAgent;
    e.agent_id = reader.id;
    e.data = nlohmann::json{{"session_id", session_id}, {"message_id", stored}}.dump();
    e.created_at = now;
    return tx.AppendEvent(e).status();
  }));
  Committed(false);
  return Status::Ok();
}

Result<Session> SessionService::Assign(int64_t session_id, const Agent& actor,
                                       std::optional<int64_t> agent_id, bool force) {
  const int64_t target_id = agent_id.value_or(actor.id);
  if (!IsSupervisor(actor.role) && target_id != actor.id) {
    return Status::Forbidden("agents may assign sessions only to themselves");
  }
  if (force && !IsSupervisor(actor.role)) {
    return Status::Forbidden("only supervisors and admins may force an assignment");
  }
  const TimePoint now = clock_.Now();
  Status st = store_.Transact([&](StoreTx& tx) -> Status {
    HANDOFFD_ASSIGN_OR_RETURN(auto target, tx.GetAgent(target_id));
    if (!target.has_value()) {
      return Status::NotFound("agent " + std::to_string(target_id) + " not found");
    }
    HANDOFFD_ASSIGN_OR_RETURN(auto locked, tx.LockSession(session_id));
    if (!locked.has_value()) return NotFoundSession(session_id);
    const Session& s = *locked;
    // Reassigning an active session needs a supervisor naming the agent: a plain Accept on a
    // chat someone else just took must lose like anyone's.
    const bool reassign = IsSupervisor(actor.role) && agent_id.has_value();
    auto taken_by = [&] {
      // Read the winner by id: on PostgreSQL a row lock that waited for the winner's commit
      // re-reads the session row, but its LEFT JOIN for the agent's name can come back empty.
      std::string winner = s.agent_name.value_or("");
      if (s.agent_id) {
        auto a = tx.GetAgent(*s.agent_id);
        if (a.ok() && a->has_value()) winner = (*a)->name;
      }
      Status lost = Status::Conflict("session " + std::to_string(session_id) + " was taken by " +
                                     (winner.empty() ? "another agent" : winner));
      if (s.agent_id) {
        lost.WithDetail("agent_id", *s.agent_id).WithDetail("agent_name", winner);
      }
      return lost;
    };
    if (s.status == SessionStatus::kEnded) {
      return Status::Conflict("session " + std::to_string(session_id) + " has ended");
    }
    if (s.status == SessionStatus::kActive && !reassign) return taken_by();
    if (s.status == SessionStatus::kActive && s.agent_id == target_id) return Status::Ok();
    HANDOFFD_RETURN_IF_ERROR(CheckCanTake(tx, s, *target, force));
    HANDOFFD_ASSIGN_OR_RETURN(auto won, tx.AssignSession(session_id, target_id, now, reassign));
    if (!won) return taken_by();
    // Every agent hears of it: the session leaves their Waiting list, or their chats.
    HANDOFFD_ASSIGN_OR_RETURN(auto updated,
                              PublishSession(tx, "session.assigned", session_id, true, now));
    const Session& now_active = updated;
    const std::string& name = target->name;
    const std::string note =
        s.status == SessionStatus::kActive
            ? "Transferred to " + name + " by " + actor.name
            : (target_id == actor.id ? name + " accepted the chat"
                                     : "Assigned to " + name + " by " + actor.name);
    HANDOFFD_RETURN_IF_ERROR(AddSystemNote(tx, now_active, note, now));
    // Free text cannot reach a WhatsApp customer whose 24-hour window is closed (or never
    // opened: a session an agent started); it would only fail with Meta's 131047.
    const bool window_open = now_active.channel != "whatsapp" ||
                             (now_active.last_customer_message_at &&
                              now < *now_active.last_customer_message_at + kServiceWindow);
    if (!window_open) return Status::Ok();
    auto q = QueueText(tx, now_active, SenderType::kSystem, "",
                       Substitute(options_.agent_joined_text, name), now);
    return q.ok() ? Status::Ok() : q.status();
  });
  if (!st.ok()) return st;
  Committed(true);
  auto out = Reload(session_id);
  if (out.ok() && options_.metrics != nullptr && out->wait_ms && out->assigned_at &&
      ToUnixMillis(*out->assigned_at) - ToUnixMillis(out->created_at) == *out->wait_ms) {
    options_.metrics->ObserveWait(static_cast<double>(*out->wait_ms) / 1000.0);  // first one
  }
  return out;
}

Status CheckCanTake(StoreTx& tx, const Session& s, const Agent& target, bool force) {
  // Supervisors and admins work every queue; agents only their teams'.
  if (!IsSupervisor(target.role) && s.team_id != 0) {
    HANDOFFD_ASSIGN_OR_RETURN(auto member, tx.IsTeamMember(s.team_id, target.id));
    if (!member) {
      return Status(ErrorCode::kNotMember,
                    target.name + " is not a member of team " +
                        (s.team_name.empty() ? std::to_string(s.team_id) : s.team_name));
    }
  }
  // The agent row lock orders every assignment to this agent, so the count is exact.
  HANDOFFD_ASSIGN_OR_RETURN(auto locked, tx.LockAgent(target.id));
  if (!locked.has_value())
    return Status::NotFound("agent " + std::to_string(target.id) + " not found");
  if (!force && locked->max_chats > 0 && locked->active_chats >= locked->max_chats) {
    return Status(ErrorCode::kAtCapacity, target.name + " already has " +
                                              std::to_string(locked->active_chats) + " of " +
                                              std::to_string(locked->max_chats) + " chats");
  }
  return Status::Ok();
}

Result<Session> SessionService::End(int64_t session_id, const Agent& actor) {
  const TimePoint now = clock_.Now();
  Status st = store_.Transact([&](StoreTx& tx) -> Status {
    HANDOFFD_ASSIGN_OR_RETURN(auto locked, tx.LockSession(session_id));
    if (!locked.has_value()) return NotFoundSession(session_id);
    const Session& s = *locked;
    const bool own = s.agent_id && *s.agent_id == actor.id;
    if (!own && !IsSupervisor(actor.role)) {
      return Status::Forbidden("only the assigned agent or a supervisor may end this session");
    }
    if (s.status == SessionStatus::kEnded) {
      return Status::Conflict("session " + std::to_string(session_id) + " already ended");
    }
    const EndReason reason = own ? EndReason::kAgent : EndReason::kSupervisor;
    HANDOFFD_RETURN_IF_ERROR(
        EndInTx(tx, s, reason, "Chat ended by " + actor.name,
                Substitute(options_.ended_text, s.agent_name.value_or(actor.name)), now));
    if (options_.csat_enabled && s.channel == "whatsapp") {
      return AskCsat(tx, s, options_.csat_question, now);
    }
    return Status::Ok();
  });
  if (!st.ok()) return st;
  Committed(true);
  if (options_.on_capacity_freed) options_.on_capacity_freed();
  return Reload(session_id);
}

Result<Message> SessionService::Reply(int64_t session_id, const Agent& actor,
                                      const std::string& content) {
  if (NormalizeKeyword(content).empty()) return Status::BadRequest("content must not be empty");
  if (CodePointCount(content) > kMaxTextCodePoints) {
    return Status::BadRequest("content must be at most 4096 characters");
  }
  const TimePoint now = clock_.Now();
  std::optional<Message> out;
  std::optional<int64_t> first_response;  // ms, when this reply is the first response
  Status st = store_.Transact([&](StoreTx& tx) -> Status {
    HANDOFFD_ASSIGN_OR_RETURN(auto locked, tx.LockSession(session_id));
    if (!locked.has_value()) return NotFoundSession(session_id);
    const Session& s = *locked;
    if (s.status != SessionStatus::kActive) {
      return Status::Conflict("session " + std::to_string(session_id) + " is not active");
    }
    if (!IsSupervisor(actor.role) && s.agent_id != actor.id) {
      return Status::Conflict("session " + std::to_string(session_id) +
                              " is assigned to another agent");
    }
    HANDOFFD_ASSIGN_OR_RETURN(
        auto q, QueueText(tx, s, SenderType::kAgent, std::to_string(actor.id), content, now));
    out = q;
    first_response.reset();
    if (!s.first_response_ms && s.wait_ms) {
      first_response = ToUnixMillis(now) - ToUnixMillis(s.created_at) - *s.wait_ms;
    }
    return Status::Ok();
  });
  if (!st.ok()) return st;
  Committed(true);
  if (first_response && options_.metrics != nullptr) {
    options_.metrics->ObserveFirstResponse(static_cast<double>(*first_response) / 1000.0);
  }
  return *out;
}

Result<ExpireOutcome> SessionService::Expire(int64_t session_id, TimePoint now) {
  ExpireOutcome outcome;
  Status st = store_.Transact([&](StoreTx& tx) -> Status {
    outcome = ExpireOutcome{};
    HANDOFFD_ASSIGN_OR_RETURN(auto locked, tx.LockSession(session_id));
    if (!locked.has_value()) return Status::Ok();
    const Session& s = *locked;
    if (!IsOpen(s.status) || s.expires_at > now) return Status::Ok();
    HANDOFFD_RETURN_IF_ERROR(EndInTx(tx, s, EndReason::kExpired, "Chat expired",
                                     Substitute(options_.expired_text, s.agent_name.value_or("")),
                                     now));
    outcome.expired = true;
    outcome.notified = !options_.expired_text.empty();
    return Status::Ok();
  });
  if (!st.ok()) return st;
  if (outcome.expired) Committed(outcome.notified);
  return outcome;
}

Result<int> SessionService::EndDue(TimePoint now, int limit) {
  int ended = 0;
  Status st = store_.Transact([&](StoreTx& tx) -> Status {
    HANDOFFD_ASSIGN_OR_RETURN(ended, tx.EndDueSessions(now, limit));
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return ended;
}

Result<std::vector<ExpiredSession>> SessionService::NotifyExpired(int limit) {
  static const std::string kNote = "Chat expired";
  std::vector<ExpiredSession> out;
  Status st = store_.Transact([&](StoreTx& tx) -> Status {
    out.clear();
    HANDOFFD_ASSIGN_OR_RETURN(auto ended, tx.TakeExpiryNotices(limit));
    if (ended.empty()) return Status::Ok();
    const bool notify = !options_.expired_text.empty();
    // Rows in the order Expire() writes them for one session, session after session; each
    // session's rows carry its own end time.
    std::vector<Session> before;
    std::vector<Message> messages;
    before.reserve(ended.size());
    messages.reserve(ended.size() * (notify ? 2 : 1));
    for (const EndedSession& e : ended) {
      Session b = e.session;  // as it was: what the per-session path hands its helpers
      b.status = e.previous_status;
      b.ended_at.reset();
      b.end_reason.reset();
      const TimePoint at = e.session.expires_at;
      messages.push_back(SystemNoteMessage(b, kNote, at));
      if (notify) {
        messages.push_back(
            OutboundTextMessage(b, SenderType::kSystem, "",
                                Substitute(options_.expired_text, b.agent_name.value_or("")), at));
      }
      before.push_back(std::move(b));
    }
    HANDOFFD_ASSIGN_OR_RETURN(auto stored, tx.InsertMessages(messages));
    std::vector<OutboxItem> outbox;
    std::vector<EventRecord> events;
    outbox.reserve(notify ? ended.size() : 0);
    events.reserve(ended.size() * (notify ? 3 : 2));
    size_t k = 0;
    for (size_t i = 0; i < ended.size(); ++i) {
      const Session& s = ended[i].session;
      const Session& b = before[i];
      const TimePoint at = s.expires_at;
      events.push_back(SessionEvent("session.ended", s, b.status == SessionStatus::kWaiting, at));
      events.push_back(MessageEvent("message.created", stored[k++], b, at));
      if (notify) {
        const Message& text = stored[k++];
        outbox.push_back(TextOutboxItem(b, text, at));
        events.push_back(MessageEvent("message.created", text, b, at));
      }
      out.push_back({s, notify});
    }
    HANDOFFD_RETURN_IF_ERROR(tx.EnqueueMany(outbox));
    return tx.AppendEvents(events);
  });
  if (!st.ok()) return st;
  if (!out.empty()) Committed(!options_.expired_text.empty());
  return out;
}

}  // namespace handoffd
