#include "store/sql_append.h"

#include "store/sql_catalogue.h"
#include "store/sql_statement.h"

namespace handoffd::sqlstore {

AppendOutcome AppendInOneStatement(const ConnectionPool& pool, Conn& c, const Clock& clock,
                                   const AppendRequest& r) {
  const Message& m = r.message;
  std::optional<std::string> wamid = m.channel_message_id;
  if (wamid && wamid->empty()) wamid.reset();
  const TimePoint created = m.created_at == TimePoint{} ? clock.Now() : m.created_at;
  const TimePoint last = r.extend ? r.extend->first : TimePoint{};
  const TimePoint expires = r.extend ? r.extend->second : TimePoint{};
  const int with_event = r.event_tail.empty() ? 0 : 1;
  Stmt& st = pool.Get(c, kAppendToOpenSession)
                 .Text(r.channel)
                 .Text(r.customer_key)
                 .Text(ToString(m.sender_type))
                 .Text(m.sender_id)
                 .Text(ToString(m.direction))
                 .Text(m.type)
                 .Text(m.content)
                 .Text(m.metadata)
                 .OptText(wamid)
                 .Text(ToString(m.delivery_status))
                 .Time(created)
                 .OptTime(m.sent_at)
                 .Time(last)
                 .Time(last)
                 .Time(expires)
                 .Time(expires)
                 .Int(r.extend ? 1 : 0)
                 .Text(r.event_tail)
                 .Time(created)
                 .Int(with_event)
                 .Time(created)
                 .Int(with_event);
  AppendOutcome out;
  if (st.Run()) {
    const auto& row = st.row();
    if (row.at(0).i != 0) out.session_id = row.at(0).i;
    if (row.at(1).i != 0) out.message_id = row.at(1).i;
  }
  st.Drain();
  return out;
}

Result<AppendOutcome> AppendStepByStep(StoreTx& tx, const AppendRequest& r) {
  AppendOutcome out;
  HANDOFFD_ASSIGN_OR_RETURN(auto open, tx.FindOpenSession(r.channel, r.customer_key));
  if (!open.has_value()) return out;
  const Session& s = *open;
  out.session_id = s.id;
  Message row = r.message;
  row.session_id = s.id;
  row.contact_id = s.contact_id;
  HANDOFFD_ASSIGN_OR_RETURN(auto inserted, tx.InsertMessage(row));
  if (!inserted.has_value()) return out;  // a duplicate wamid
  out.message_id = inserted->id;
  if (r.extend) {
    HANDOFFD_RETURN_IF_ERROR(tx.ExtendSession(s.id, r.extend->first, r.extend->second));
  }
  if (r.event_tail.empty()) return out;
  EventRecord e;
  e.type = "message.created";
  SetSessionAudience(e, s, false);
  e.data = "{\"id\":" + std::to_string(*out.message_id) +
           ",\"session_id\":" + std::to_string(s.id) + "," + r.event_tail;
  e.created_at = inserted->created_at;
  HANDOFFD_RETURN_IF_ERROR(tx.AppendEvent(e).status());
  if (!r.extend) return out;
  // The moved timers reach every dashboard (as the PostgreSQL statement's e2 does).
  HANDOFFD_ASSIGN_OR_RETURN(auto moved, tx.LockSession(s.id));
  if (!moved.has_value()) return out;
  HANDOFFD_RETURN_IF_ERROR(
      tx.AppendEvent(SessionEvent("session.updated", *moved, false, inserted->created_at))
          .status());
  return out;
}

}  // namespace handoffd::sqlstore
