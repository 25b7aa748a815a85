// SqlStore (sql_store_impl.h): the web chat channel's visitors and offline messages.
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "store/sql_rows.h"
#include "store/sql_store_impl.h"

namespace handoffd::sqlstore {
namespace {

OfflineMessage ReadOffline(const std::vector<Cell>& row) {
  RowReader r(row);
  OfflineMessage m;
  m.id = r.Int();
  m.widget_key = r.Text();
  m.visitor_id = r.OptInt();
  m.name = r.Text();
  m.email = r.Text();
  m.message = r.Text();
  m.created_at = r.Time();
  m.handled_at = r.OptTime();
  m.handled_by = r.OptInt();
  return m;
}

std::optional<OfflineMessage> OneOffline(Stmt& st) {
  std::optional<OfflineMessage> out;
  if (st.Run()) out = ReadOffline(st.row());
  st.Drain();
  return out;
}

}  // namespace

Result<Visitor> SqlStore::CreateVisitor(const NewVisitor& v) {
  return pool_.InTx([&](Conn& c) -> Result<Visitor> {
    const std::optional<int64_t> contact = ReturnedId(Get(c, kInsertVisitorContact)
                                                          .Text("t:" + v.token_hash)
                                                          .Text(v.name)
                                                          .Time(v.created_at)
                                                          .Time(v.created_at));
    if (!contact) return Status::Conflict("visitor token exists");
    const std::optional<int64_t> id = ReturnedId(Get(c, kInsertVisitor)
                                                     .Text(v.widget_key)
                                                     .Text(v.token_hash)
                                                     .Int(*contact)
                                                     .Text(v.name)
                                                     .Text(v.email)
                                                     .Time(v.created_at));
    if (!id) return Status::Conflict("visitor token exists");
    Get(c, kSetVisitorContactKey).Text(VisitorKey(*id)).Int(*contact).RunAll();
    Visitor out;
    out.id = *id;
    out.widget_key = v.widget_key;
    out.contact_id = *contact;
    out.name = v.name;
    out.email = v.email;
    out.created_at = v.created_at;
    return out;
  });
}

Result<std::optional<Visitor>> SqlStore::FindVisitorByToken(const std::string& token_hash) {
  return pool_.WithConn([&](Conn& c) -> Result<std::optional<Visitor>> {
    Stmt& st = Get(c, kFindVisitorByToken).Text(token_hash);
    std::optional<Visitor> out;
    if (st.Run()) {
      RowReader r(st.row());
      Visitor v;
      v.id = r.Int();
      v.widget_key = r.Text();
      v.contact_id = r.Int();
      v.name = r.Text();
      v.email = r.Text();
      v.created_at = r.Time();
      out = std::move(v);
    }
    st.Drain();
    return out;
  });
}

Result<std::vector<Message>> SqlStore::ListUnattachedMessages(int64_t contact_id, int limit) {
  return pool_.WithConn([&](Conn& c) -> Result<std::vector<Message>> {
    std::vector<Message> out;
    Stmt& st = Get(c, kListUnattachedMessages).Int(contact_id).Int(std::max(0, limit));
    for (bool row = st.Run(); row; row = st.Fetch()) out.push_back(ReadMessage(st.row()));
    std::reverse(out.begin(), out.end());
    return out;
  });
}

Result<OfflineMessage> SqlStore::CreateOfflineMessage(const OfflineMessage& m) {
  return pool_.InTx([&](Conn& c) -> Result<OfflineMessage> {
    const TimePoint created = m.created_at == TimePoint{} ? clock_.Now() : m.created_at;
    const std::optional<int64_t> id = ReturnedId(Get(c, kInsertOfflineMessage)
                                                     .Text(m.widget_key)
                                                     .OptInt(m.visitor_id)
                                                     .Text(m.name)
                                                     .Text(m.email)
                                                     .Text(m.message)
                                                     .Time(created));
    if (!id) return Status::Internal("offline message not stored");
    OfflineMessage out = m;
    out.id = *id;
    out.created_at = created;
    return out;
  });
}

Result<std::vector<OfflineMessage>> SqlStore::ListOfflineMessages(std::optional<bool> handled,
                                                                  int64_t before_id, int limit) {
  return pool_.WithConn([&](Conn& c) -> Result<std::vector<OfflineMessage>> {
    std::vector<OfflineMessage> out;
    Stmt& st = Get(c, kListOfflineMessages)
                   .Int(handled ? 0 : 1)
                   .Int(handled.value_or(false) ? 1 : 0)
                   .Int(before_id)
                   .Int(std::max(0, limit));
    for (bool row = st.Run(); row; row = st.Fetch()) out.push_back(ReadOffline(st.row()));
    return out;
  });
}

Result<std::optional<OfflineMessage>> SqlStore::MarkOfflineMessageHandled(int64_t id,
                                                                          int64_t agent_id,
                                                                          TimePoint now) {
  return pool_.InTx([&](Conn& c) -> Result<std::optional<OfflineMessage>> {
    Get(c, kMarkOfflineHandled).Time(now).Int(agent_id).Int(id).RunAll();
    return OneOffline(Get(c, kGetOfflineMessage).Int(id));
  });
}

}  // namespace handoffd::sqlstore
