#include "store/sql_tx.h"

#include <stdexcept>
#include <utility>

#include "store/sql_rows.h"

namespace handoffd::sqlstore {

SqlTx::SqlTx(const ConnectionPool& pool, Conn& conn, const Clock& clock)
    : pool_(pool), conn_(conn), clock_(clock) {}

Stmt& SqlTx::Get(Query q) { return pool_.Get(conn_, q); }

Result<int64_t> SqlTx::UpsertContact(const std::string& channel, const CustomerRef& customer,
                                     TimePoint now) {
  return Guard([&]() -> Result<int64_t> {
    auto id = ReturnedId(Get(kUpsertContact)
                             .Text(channel)
                             .Text(customer.key)
                             .Text(customer.wa_id)
                             .Text(customer.user_id)
                             .Text(customer.name)
                             .Time(now)
                             .Time(now));
    if (!id) throw std::runtime_error("contact upsert returned no id");
    return *id;
  });
}

Result<std::optional<Session>> SqlTx::FindOpenSession(const std::string& channel,
                                                      const std::string& customer_key) {
  return Guard([&]() -> Result<std::optional<Session>> {
    return OneSession(Get(kFindOpenSession).Text(channel).Text(customer_key));
  });
}

Result<std::optional<Session>> SqlTx::LockSession(int64_t session_id) {
  return Guard([&]() -> Result<std::optional<Session>> {
    return OneSession(Get(kLockSession).Int(session_id));
  });
}

Result<Session> SqlTx::CreateSession(const NewSession& n) {
  return Guard([&]() -> Result<Session> {
    auto id = ReturnedId(Get(kCreateSession)
                             .Text(n.channel)
                             .Int(n.contact_id)
                             .Text(n.phone_number)
                             .Text(n.customer_name)
                             .Text(n.phone_number_id)
                             .Time(n.created_at)
                             .Time(n.expires_at)
                             .OptTime(n.last_customer_message_at));
    if (!id) {
      return Status::Conflict("customer " + n.phone_number + " already has an open " + n.channel +
                              " session");
    }
    Session s;
    s.id = *id;
    s.channel = n.channel;
    s.contact_id = n.contact_id;
    s.phone_number = n.phone_number;
    s.customer_name = n.customer_name;
    s.phone_number_id = n.phone_number_id;
    s.status = SessionStatus::kWaiting;
    s.created_at = n.created_at;
    s.expires_at = n.expires_at;
    s.last_customer_message_at = n.last_customer_message_at;
    return s;
  });
}

Result<std::optional<Message>> SqlTx::InsertMessage(const Message& m) {
  return Guard([&]() -> Result<std::optional<Message>> {
    Message out = m;
    // An empty channel id means none: it must not collide with other empty ones.
    if (out.channel_message_id && out.channel_message_id->empty()) out.channel_message_id.reset();
    if (out.created_at == TimePoint{}) out.created_at = clock_.Now();
    std::optional<int64_t> code;
    std::optional<std::string> title;
    if (out.error) {
      code = out.error->code;
      title = out.error->title;
    }
    auto id = ReturnedId(Get(kInsertMessage)
                             .OptInt(out.session_id)
                             .Int(out.contact_id)
                             .Text(ToString(out.sender_type))
                             .Text(out.sender_id)
                             .Text(ToString(out.direction))
                             .Text(out.type)
                             .Text(out.content)
                             .Text(out.metadata)
                             .OptText(out.channel_message_id)
                             .Text(ToString(out.delivery_status))
                             .OptInt(code)
                             .OptText(title)
                             .Time(out.created_at)
                             .OptTime(out.sent_at));
    if (!id) return std::optional<Message>();
    out.id = *id;
    return std::optional<Message>(std::move(out));
  });
}

Status SqlTx::AttachRecentMessages(int64_t contact_id, int64_t session_id, TimePoint since) {
  return Guard([&]() -> Status {
    Get(kAttachRecentMessages).Int(session_id).Int(contact_id).Time(since).RunAll();
    return Status::Ok();
  });
}

Status SqlTx::ExtendSession(int64_t session_id, TimePoint last_customer_message_at,
                            TimePoint expires_at) {
  return Guard([&]() -> Status {
    Stmt& st = Get(kExtendSession)
                   .Time(last_customer_message_at)
                   .Time(last_customer_message_at)
                   .Time(expires_at)
                   .Time(expires_at)
                   .Int(session_id);
    st.RunAll();
    if (st.Affected() == 0) {
      return Status::NotFound("session " + std::to_string(session_id) + " not found");
    }
    return Status::Ok();
  });
}

Result<bool> SqlTx::AssignSession(int64_t session_id, int64_t agent_id, TimePoint now,
                                  bool allow_reassign) {
  return Guard([&]() -> Result<bool> {
    Stmt& st = Get(allow_reassign ? kReassignSession : kAssignSession)
                   .Int(agent_id)
                   .Time(now)
                   .Int(session_id);
    st.RunAll();
    return st.Affected() == 1;
  });
}

Result<bool> SqlTx::EndSession(int64_t session_id, EndReason reason, TimePoint now) {
  return Guard([&]() -> Result<bool> {
    Stmt& st = Get(kEndSession).Time(now).Text(ToString(reason)).Int(session_id);
    st.RunAll();
    return st.Affected() == 1;
  });
}

Result<int64_t> SqlTx::Enqueue(const OutboxItem& item) {
  return Guard([&]() -> Result<int64_t> {
    auto id = ReturnedId(Get(kEnqueue)
                             .OptInt(item.message_id)
                             .Text(item.channel)
                             .Text(item.phone_number_id)
                             .Text(item.recipient)
                             .Text(item.payload)
                             .Int(int64_t{item.attempts})
                             .Time(item.next_attempt_at)
                             .Time(item.created_at));
    if (!id) throw std::runtime_error("outbox insert returned no id");
    return *id;
  });
}

Result<bool> SqlTx::ClaimWebhookKey(const std::string& key, TimePoint now) {
  return Guard([&]() -> Result<bool> {
    return ReturnedId(Get(kClaimWebhookKey).Text(key).Time(now)).has_value();
  });
}

Result<std::optional<Message>> SqlTx::ApplyDeliveryStatus(
    const std::string& channel_message_id, DeliveryStatus status,
    const std::optional<MessageError>& error) {
  return Guard([&]() -> Result<std::optional<Message>> {
    std::optional<Message> m = OneMessage(Get(kLockMessageByChannelId).Text(channel_message_id));
    if (!m || !IsDeliveryAdvance(m->delivery_status, status)) return std::optional<Message>();
    if (status == DeliveryStatus::kFailed) {
      std::optional<int64_t> code;
      std::optional<std::string> title;
      if (error) {
        code = error->code;
        title = error->title;
      }
      Get(kSetDeliveryFailed).OptInt(code).OptText(title).Int(m->id).RunAll();
      m->error = error;
    } else {
      Get(kSetDeliveryStatus).Text(ToString(status)).Int(m->id).RunAll();
    }
    m->delivery_status = status;
    return m;
  });
}

Result<std::optional<Agent>> SqlTx::GetAgent(int64_t agent_id) {
  return Guard(
      [&]() -> Result<std::optional<Agent>> { return OneAgent(Get(kGetAgent).Int(agent_id)); });
}

Result<int64_t> SqlTx::AppendEvent(const EventRecord& e) {
  return Guard([&]() -> Result<int64_t> {
    auto id = ReturnedId(BindEvent(Get(kAppendEvent), e, clock_));
    if (!id) return Status::Internal("event insert returned no id");
    return *id;
  });
}

Result<std::optional<Agent>> SqlTx::SetAgentStatus(int64_t agent_id, AgentStatus status,
                                                   TimePoint now) {
  return Guard([&]() -> Result<std::optional<Agent>> {
    Get(kSetAgentStatus).Text(ToString(status)).Time(now).Int(agent_id).RunAll();
    return OneAgent(Get(kGetAgent).Int(agent_id));
  });
}

Result<int64_t> SqlTx::SetReadPosition(int64_t agent_id, int64_t session_id, int64_t message_id,
                                       TimePoint now) {
  return Guard([&]() -> Result<int64_t> {
    auto stored = ReturnedId(
        Get(kUpsertReadPosition).Int(agent_id).Int(session_id).Int(message_id).Time(now));
    if (!stored) return Status::Internal("read position upsert returned no row");
    return *stored;
  });
}

}  // namespace handoffd::sqlstore
