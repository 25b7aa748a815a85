#include "store/sql_rows.h"

#include <algorithm>
#include <string>
#include <utility>

#include "domain/labels.h"

namespace handoffd::sqlstore {
namespace {

template <typename T>
T Require(std::optional<T> v, std::string_view what, std::string_view stored) {
  if (!v) {
    throw DataError("unexpected stored " + std::string(what) + " '" + std::string(stored) + "'");
  }
  return *v;
}

/// "id:name" items joined by U+001F (kAgentCols), sorted by id.
std::vector<TeamRef> ParseTeamRefs(const std::string& joined) {
  std::vector<TeamRef> out;
  size_t start = 0;
  while (start <= joined.size()) {
    size_t end = joined.find('\x1f', start);
    if (end == std::string::npos) end = joined.size();
    const std::string item = joined.substr(start, end - start);
    const size_t colon = item.find(':');
    if (colon != std::string::npos && colon > 0) {
      out.push_back({std::stoll(item.substr(0, colon)), item.substr(colon + 1)});
    }
    start = end + 1;
  }
  std::sort(out.begin(), out.end(), [](const TeamRef& x, const TeamRef& y) { return x.id < y.id; });
  return out;
}

}  // namespace

std::string SessionSelectListWith(const std::string& position_sql) {
  std::string out;
  for (const Col& c : kSessionCols) {
    if (!out.empty()) out += ", ";
    out += c.expr == kQueuePositionCountSql ? position_sql : std::string(c.expr);
  }
  return out;
}

Session ReadSession(const std::vector<Cell>& row) {
  RowReader r(row);
  Session s;
  s.id = r.Int();
  s.channel = r.Text();
  s.contact_id = r.Int();
  s.phone_number = r.Text();
  s.customer_name = r.Text();
  s.phone_number_id = r.Text();
  const std::string status = r.Text();
  s.status = Require(ParseSessionStatus(status), "session status", status);
  s.agent_id = r.OptInt();
  s.agent_name = r.OptText();
  s.created_at = r.Time();
  s.assigned_at = r.OptTime();
  s.ended_at = r.OptTime();
  if (auto reason = r.OptText()) {
    s.end_reason = Require(ParseEndReason(*reason), "end reason", *reason);
  }
  s.expires_at = r.Time();
  s.last_customer_message_at = r.OptTime();
  s.team_id = r.OptInt().value_or(0);
  s.team_name = r.OptText().value_or("");
  s.priority = static_cast<int>(r.Int());
  s.queue_position = r.OptInt();
  s.labels = DecodeLabels(r.Text());
  s.wait_ms = r.OptInt();
  s.first_response_ms = r.OptInt();
  s.handle_ms = r.OptInt();
  s.missed = r.Int() != 0;
  s.csat_asked_at = r.OptTime();
  if (auto score = r.OptInt()) s.csat_score = static_cast<int>(*score);
  s.csat_answered_at = r.OptTime();
  s.csat_comment = r.OptText();
  return s;
}

Message ReadMessage(const std::vector<Cell>& row) {
  RowReader r(row);
  Message m;
  m.id = r.Int();
  m.session_id = r.OptInt();
  m.contact_id = r.Int();
  const std::string sender = r.Text();
  m.sender_type = Require(ParseSenderType(sender), "sender type", sender);
  m.sender_id = r.Text();
  const std::string direction = r.Text();
  m.direction = Require(ParseDirection(direction), "direction", direction);
  m.type = r.Text();
  m.content = r.Text();
  m.metadata = r.Text();
  m.channel_message_id = r.OptText();
  const std::string delivery = r.Text();
  m.delivery_status = Require(ParseDeliveryStatus(delivery), "delivery status", delivery);
  const std::optional<int64_t> code = r.OptInt();
  std::string title = r.Text();
  if (code) m.error = MessageError{*code, std::move(title)};
  m.created_at = r.Time();
  m.sent_at = r.OptTime();
  return m;
}

Agent ReadAgent(const std::vector<Cell>& row) {
  RowReader r(row);
  Agent a;
  a.id = r.Int();
  a.email = r.Text();
  a.name = r.Text();
  const std::string role = r.Text();
  a.role = Require(ParseRole(role), "role", role);
  const std::string status = r.Text();
  a.status = Require(ParseAgentStatus(status), "agent status", status);
  a.max_chats = static_cast<int>(r.Int());
  a.password_hash = r.Text();
  a.active_chats = static_cast<int>(r.Int());
  a.last_seen_at = r.OptTime();
  if (auto teams = r.OptText()) a.teams = ParseTeamRefs(*teams);
  a.last_assigned_at = r.OptTime();
  return a;
}

EventRecord ReadEvent(const std::vector<Cell>& row) {
  RowReader r(row);
  EventRecord e;
  e.id = r.Int();
  e.type = r.Text();
  const std::string audience = r.Text();
  e.audience = Require(ParseEventAudience(audience), "event audience", audience);
  e.agent_id = r.OptInt();
  e.data = r.Text();
  e.created_at = r.Time();
  e.visitor_key = r.OptText().value_or("");
  return e;
}

OutboxItem ReadOutbox(const std::vector<Cell>& row) {
  RowReader r(row);
  OutboxItem o;
  o.id = r.Int();
  o.message_id = r.OptInt();
  o.channel = r.Text();
  o.phone_number_id = r.Text();
  o.recipient = r.Text();
  o.payload = r.Text();
  o.attempts = static_cast<int>(r.Int());
  o.next_attempt_at = r.Time();
  o.created_at = r.Time();
  o.attempted_at = r.OptTime();
  o.leased_until = r.OptTime();
  return o;
}

std::optional<Session> OneSession(Stmt& st) {
  std::optional<Session> out;
  if (st.Run()) out = ReadSession(st.row());
  st.Drain();
  return out;
}

std::vector<Session> AllSessions(Stmt& st) {
  std::vector<Session> out;
  for (bool row = st.Run(); row; row = st.Fetch()) out.push_back(ReadSession(st.row()));
  return out;
}

std::optional<Message> OneMessage(Stmt& st) {
  std::optional<Message> out;
  if (st.Run()) out = ReadMessage(st.row());
  st.Drain();
  return out;
}

std::optional<Agent> OneAgent(Stmt& st) {
  std::optional<Agent> out;
  if (st.Run()) out = ReadAgent(st.row());
  st.Drain();
  return out;
}

std::optional<int64_t> ReturnedId(Stmt& st) {
  std::optional<int64_t> out;
  if (st.Run()) out = st.row().at(0).i;
  st.Drain();
  return out;
}

std::optional<TimePoint> MinTime(Stmt& st) {
  std::optional<TimePoint> out;
  if (st.Run()) out = RowReader(st.row()).OptTime();
  st.Drain();
  return out;
}

Stmt& BindEvent(Stmt& st, const EventRecord& e, const Clock& clock) {
  return st.Text(e.type)
      .Text(ToString(e.audience))
      .OptInt(e.agent_id)
      .Text(e.data)
      .Time(e.created_at == TimePoint{} ? clock.Now() : e.created_at)
      .OptText(e.visitor_key.empty() ? std::nullopt : std::optional<std::string>(e.visitor_key));
}

}  // namespace handoffd::sqlstore
