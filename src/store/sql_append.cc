#include "store/sql_append.h"

#include <optional>
#include <set>
#include <stdexcept>
#include <utility>

#include "store/sql_catalogue.h"
#include "store/sql_json_rows.h"
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

namespace {

// One statement for `items[begin, end)` (distinct customers and wamids, none empty).
void AppendChunk(const ConnectionPool& pool, Conn& c, const Clock& clock,
                 const std::vector<OpenSessionAppend>& items, size_t begin, size_t end,
                 std::vector<AppendOutcome>& out) {
  JsonRows rows;
  const TimePoint now = clock.Now();
  for (size_t i = begin; i < end; ++i) {
    const OpenSessionAppend& a = items[i];
    const Message& m = a.message;
    const TimePoint created = m.created_at == TimePoint{} ? now : m.created_at;
    rows.Row()
        .Text("channel", a.channel)
        .Text("phone", a.customer_key)
        .Text("sender_type", ToString(m.sender_type))
        .Text("sender_id", m.sender_id)
        .Text("direction", ToString(m.direction))
        .Text("type", m.type)
        .Text("content", m.content)
        .Text("metadata", m.metadata)
        .Text("wamid", m.channel_message_id.value_or(""))
        .Text("delivery", ToString(m.delivery_status))
        .Int("created", ToUnixMillis(created))
        .OptInt("sent", m.sent_at ? std::optional<int64_t>(ToUnixMillis(*m.sent_at)) : std::nullopt)
        .Int("last", a.extend ? ToUnixMillis(a.extend->first) : 0)
        .Int("expires", a.extend ? ToUnixMillis(a.extend->second) : 0)
        .Int("extend", a.extend ? 1 : 0)
        .Text("tail", a.event_tail);
  }
  Stmt& st = pool.Get(c, kAppendManyToOpenSessions).Text(rows.Take());
  size_t got = 0;
  for (bool row = st.Run(); row; row = st.Fetch()) {
    const auto& r = st.row();
    const int64_t n = r.at(0).i;  // 1-based position in the chunk
    if (n < 1 || static_cast<size_t>(n) > end - begin) {
      throw std::runtime_error("bulk append returned an unknown row");
    }
    AppendOutcome& o = out[begin + static_cast<size_t>(n) - 1];
    if (r.at(1).i != 0) o.session_id = r.at(1).i;
    if (r.at(2).i != 0) o.message_id = r.at(2).i;
    ++got;
  }
  if (got != end - begin) throw std::runtime_error("bulk append lost rows");
}

}  // namespace

std::vector<AppendOutcome> AppendManyInOneStatement(const ConnectionPool& pool, Conn& c,
                                                    const Clock& clock,
                                                    const std::vector<OpenSessionAppend>& items) {
  std::vector<AppendOutcome> out(items.size());
  std::set<std::pair<std::string, std::string>> customers;
  std::set<std::string> wamids;
  size_t begin = 0;
  auto flush = [&](size_t end) {
    if (end - begin == 1) {
      const OpenSessionAppend& a = items[begin];
      out[begin] = AppendInOneStatement(
          pool, c, clock, {a.channel, a.customer_key, a.message, a.extend, a.event_tail});
    } else if (end > begin) {
      AppendChunk(pool, c, clock, items, begin, end, out);
    }
    begin = end;
    customers.clear();
    wamids.clear();
  };
  for (size_t i = 0; i < items.size(); ++i) {
    const OpenSessionAppend& a = items[i];
    const std::string wamid = a.message.channel_message_id.value_or("");
    // A repeated customer (or wamid) waits for the next statement, so that it sees the rows of
    // the earlier one; a message without a wamid cannot be matched to its row: alone.
    if (wamid.empty() || customers.count({a.channel, a.customer_key}) || wamids.count(wamid)) {
      flush(i);
    }
    customers.insert({a.channel, a.customer_key});
    wamids.insert(wamid);
    if (wamid.empty()) flush(i + 1);
  }
  flush(items.size());
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
  // The moved timers reach every dashboard (as the PostgreSQL statement's e2 does). `s` was read
  // in this transaction, which holds SQLite's write lock.
  Session moved = s;
  ApplyExtension(moved, r.extend->first, r.extend->second);
  HANDOFFD_RETURN_IF_ERROR(
      tx.AppendEvent(SessionExtendedEvent(moved, inserted->created_at)).status());
  return out;
}

}  // namespace handoffd::sqlstore
