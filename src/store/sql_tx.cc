#include "store/sql_tx.h"

#include <algorithm>
#include <stdexcept>
#include <utility>
#include <vector>

#include "store/sql_append.h"
#include "store/sql_json_rows.h"
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
    Stmt& st = Get(kCreateSession)
                   .Text(n.channel)
                   .Int(n.contact_id)
                   .Text(n.phone_number)
                   .Text(n.customer_name)
                   .Text(n.phone_number_id)
                   .Time(n.created_at)
                   .Time(n.expires_at)
                   .OptTime(n.last_customer_message_at)
                   .OptInt(n.team_id == 0 ? std::nullopt : std::optional<int64_t>(n.team_id))
                   .Int(int64_t{n.priority})
                   .Time(n.created_at)
                   .OptInt(n.announce_queue ? std::nullopt : std::optional<int64_t>(0));
    std::optional<int64_t> id;
    int64_t team_id = 0;
    if (st.Run()) {
      id = st.row().at(0).i;
      team_id = st.row().at(1).i;
    }
    st.Drain();
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
    s.team_id = team_id;
    s.priority = n.priority;
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
    if (out.session_id && out.sender_type == SenderType::kAgent &&
        out.direction == Direction::kOut) {
      // The first agent message after the first assignment is the first response.
      Get(kRecordFirstResponse).Time(out.created_at).Int(*out.session_id).RunAll();
    }
    return std::optional<Message>(std::move(out));
  });
}

Result<AppendOutcome> SqlTx::AppendToOpenSession(
    const std::string& channel, const std::string& customer_key, const Message& m,
    std::optional<std::pair<TimePoint, TimePoint>> extend, const std::string& event_tail) {
  const AppendRequest request{channel, customer_key, m, extend, event_tail};
  if (pool_.dialect() != SqlDialect::kPostgres) return AppendStepByStep(*this, request);
  return Guard([&]() -> Result<AppendOutcome> {
    return AppendInOneStatement(pool_, conn_, clock_, request);
  });
}

Result<std::vector<AppendOutcome>> SqlTx::AppendToOpenSessions(
    const std::vector<OpenSessionAppend>& items) {
  if (pool_.dialect() != SqlDialect::kPostgres) return StoreTx::AppendToOpenSessions(items);
  return Guard([&]() -> Result<std::vector<AppendOutcome>> {
    return AppendManyInOneStatement(pool_, conn_, clock_, items);
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
                   .Time(now)
                   .Int(session_id);
    st.RunAll();
    return st.Affected() == 1;
  });
}

Result<bool> SqlTx::EndSession(int64_t session_id, EndReason reason, TimePoint now) {
  return Guard([&]() -> Result<bool> {
    Stmt& st = Get(kEndSession).Time(now).Text(ToString(reason)).Time(now).Int(session_id);
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

Result<int> SqlTx::EndDueSessions(TimePoint now, int limit) {
  return Guard([&]() -> Result<int> {
    if (pool_.dialect() == SqlDialect::kPostgres) Get(kCommitWithoutFlush).RunAll();
    Stmt& st = Get(kEndDueSessions).Time(now).Int(int64_t{std::max(0, limit)});
    st.RunAll();
    return static_cast<int>(st.Affected());
  });
}

Result<std::vector<EndedSession>> SqlTx::TakeExpiryNotices(int limit) {
  return Guard([&]() -> Result<std::vector<EndedSession>> {
    std::vector<EndedSession> out;
    Stmt& st = Get(kTakeExpiryNotices).Int(int64_t{std::max(0, limit)});
    for (bool row = st.Run(); row; row = st.Fetch()) {
      EndedSession e;
      e.session = ReadSession(st.row());
      const std::string previous = st.row().back().s;
      auto status = ParseSessionStatus(previous);
      if (!status) throw DataError("unexpected expiry_notice '" + previous + "'");
      e.previous_status = *status;
      out.push_back(std::move(e));
    }
    // SQLite (BEGIN IMMEDIATE holds the write lock): clear the markers just read.
    if (pool_.dialect() != SqlDialect::kPostgres) {
      for (const EndedSession& e : out) Get(kClearExpiryNotice).Int(e.session.id).RunAll();
    }
    return out;
  });
}

Result<std::vector<int64_t>> SqlTx::MarkWindowWarnings(TimePoint now, Duration lead, int limit) {
  return Guard([&]() -> Result<std::vector<int64_t>> {
    const int64_t window = std::chrono::duration_cast<Duration>(kServiceWindow).count();
    Stmt& st = Get(kMarkWindowWarnings)
                   .Int(window)
                   .Time(now - kServiceWindow + lead)
                   .Time(now - kServiceWindow)
                   .Int(window)
                   .Int(int64_t{std::max(0, limit)});
    std::vector<int64_t> ids;
    for (bool row = st.Run(); row; row = st.Fetch()) ids.push_back(st.row().at(0).i);
    std::sort(ids.begin(), ids.end());
    return ids;
  });
}

Result<std::vector<Message>> SqlTx::InsertMessages(const std::vector<Message>& messages) {
  return Guard([&]() -> Result<std::vector<Message>> {
    std::vector<Message> out = messages;
    for (Message& m : out) {
      if (m.channel_message_id && !m.channel_message_id->empty()) {
        return Status::BadRequest("InsertMessages takes no channel_message_id");
      }
      m.channel_message_id.reset();
      if (m.created_at == TimePoint{}) m.created_at = clock_.Now();
    }
    if (out.empty()) return out;
    if (pool_.dialect() != SqlDialect::kPostgres) {
      for (Message& m : out) {
        auto id = ReturnedId(
            Get(kInsertMessage)
                .OptInt(m.session_id)
                .Int(m.contact_id)
                .Text(ToString(m.sender_type))
                .Text(m.sender_id)
                .Text(ToString(m.direction))
                .Text(m.type)
                .Text(m.content)
                .Text(m.metadata)
                .OptText(std::nullopt)
                .Text(ToString(m.delivery_status))
                .OptInt(m.error ? std::optional<int64_t>(m.error->code) : std::nullopt)
                .OptText(m.error ? std::optional<std::string>(m.error->title) : std::nullopt)
                .Time(m.created_at)
                .OptTime(m.sent_at));
        if (!id) throw std::runtime_error("message insert returned no id");
        m.id = *id;
      }
      return out;
    }
    JsonRows rows;
    for (const Message& m : out) {
      rows.Row()
          .OptInt("session_id", m.session_id)
          .Int("contact_id", m.contact_id)
          .Text("sender_type", ToString(m.sender_type))
          .Text("sender_id", m.sender_id)
          .Text("direction", ToString(m.direction))
          .Text("type", m.type)
          .Text("content", m.content)
          .Text("metadata", m.metadata)
          .Null("channel_message_id")
          .Text("delivery_status", ToString(m.delivery_status))
          .OptInt("error_code", m.error ? std::optional<int64_t>(m.error->code) : std::nullopt)
          .OptText("error_title",
                   m.error ? std::optional<std::string>(m.error->title) : std::nullopt)
          .Int("created_at", ToUnixMillis(m.created_at));
    }
    Stmt& st = Get(kInsertMessages).Text(rows.Take());
    std::vector<int64_t> ids;
    ids.reserve(out.size());
    for (bool row = st.Run(); row; row = st.Fetch()) ids.push_back(st.row().at(0).i);
    if (ids.size() != out.size()) throw std::runtime_error("bulk message insert lost rows");
    // Identity values are drawn in insertion (array) order; RETURNING's order is not promised.
    std::sort(ids.begin(), ids.end());
    for (size_t k = 0; k < out.size(); ++k) out[k].id = ids[k];
    return out;
  });
}

Status SqlTx::EnqueueMany(const std::vector<OutboxItem>& items) {
  if (items.empty()) return Status::Ok();
  if (pool_.dialect() != SqlDialect::kPostgres) {
    for (const OutboxItem& item : items) {
      auto id = Enqueue(item);
      if (!id.ok()) return id.status();
    }
    return Status::Ok();
  }
  return Guard([&]() -> Status {
    JsonRows rows;
    for (const OutboxItem& item : items) {
      rows.Row()
          .OptInt("message_id", item.message_id)
          .Text("channel", item.channel)
          .Text("phone_number_id", item.phone_number_id)
          .Text("recipient", item.recipient)
          .Text("payload", item.payload)
          .Int("attempts", item.attempts)
          .Int("next_attempt_at", ToUnixMillis(item.next_attempt_at))
          .Int("created_at", ToUnixMillis(item.created_at));
    }
    Get(kEnqueueMany).Text(rows.Take()).RunAll();
    return Status::Ok();
  });
}

Status SqlTx::AppendEvents(const std::vector<EventRecord>& events) {
  if (events.empty()) return Status::Ok();
  if (pool_.dialect() != SqlDialect::kPostgres) {
    for (const EventRecord& e : events) {
      auto id = AppendEvent(e);
      if (!id.ok()) return id.status();
    }
    return Status::Ok();
  }
  return Guard([&]() -> Status {
    JsonRows rows;
    const TimePoint now = clock_.Now();
    for (const EventRecord& e : events) {
      rows.Row()
          .Text("type", e.type)
          .Text("audience", ToString(e.audience))
          .OptInt("agent_id", e.agent_id)
          .Text("data", e.data)
          .Int("created_at", ToUnixMillis(e.created_at == TimePoint{} ? now : e.created_at))
          .OptText("visitor_key", e.visitor_key.empty()
                                      ? std::nullopt
                                      : std::optional<std::string>(e.visitor_key));
    }
    Get(kAppendEvents).Text(rows.Take()).RunAll();
    return Status::Ok();
  });
}

Result<std::vector<int64_t>> SqlTx::AdvanceVisitorDelivery(int64_t session_id,
                                                           int64_t up_to_message_id,
                                                           DeliveryStatus status) {
  return Guard([&]() -> Result<std::vector<int64_t>> {
    const bool read = status == DeliveryStatus::kRead;
    Stmt& st = Get(kAdvanceVisitorDelivery)
                   .Text(ToString(status))
                   .Int(session_id)
                   .Int(up_to_message_id)
                   .Text("queued")
                   .Text("sent")
                   .Text(read ? "delivered" : "sent");
    std::vector<int64_t> ids;
    for (bool row = st.Run(); row; row = st.Fetch()) ids.push_back(st.row().at(0).i);
    std::sort(ids.begin(), ids.end());
    return ids;
  });
}

Result<std::optional<Message>> SqlTx::GetMessage(int64_t id) {
  return Guard(
      [&]() -> Result<std::optional<Message>> { return OneMessage(Get(kGetMessage).Int(id)); });
}

Result<std::optional<Message>> SqlTx::FindIdempotentMessage(int64_t session_id,
                                                            const std::string& key) {
  return Guard([&]() -> Result<std::optional<Message>> {
    return OneMessage(Get(kFindIdempotent).Int(session_id).Text(key));
  });
}

Status SqlTx::SetIdempotencyKey(int64_t message_id, const std::optional<std::string>& key) {
  return Guard([&]() -> Status {
    Get(kSetIdempotencyKey).OptText(key).Int(message_id).RunAll();
    return Status::Ok();
  });
}

Result<std::optional<Message>> SqlTx::LastInboundMessage(int64_t session_id) {
  return Guard([&]() -> Result<std::optional<Message>> {
    return OneMessage(Get(kLastInboundMessage).Int(session_id));
  });
}

Result<std::optional<Message>> SqlTx::UpdateMedia(int64_t message_id, const std::string& metadata,
                                                  const std::string& state, int attempts,
                                                  std::optional<TimePoint> next_at) {
  return Guard([&]() -> Result<std::optional<Message>> {
    Get(kUpdateMedia)
        .Text(metadata)
        .Text(state)
        .Int(attempts)
        .OptTime(next_at)
        .Int(message_id)
        .RunAll();
    return OneMessage(Get(kGetMessage).Int(message_id));
  });
}

}  // namespace handoffd::sqlstore
