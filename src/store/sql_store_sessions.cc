// SqlStore (sql_store_impl.h): sessions, messages and expiry.
#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/sql_rows.h"
#include "store/sql_store_impl.h"

namespace handoffd::sqlstore {
namespace {

/// Escapes LIKE wildcards so that user text matches literally (with ESCAPE '\').
std::string EscapeLike(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  for (char c : s) {
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

Result<std::optional<Session>> SqlStore::GetSession(int64_t id) {
  return pool_.WithConn([&](Conn& c) -> Result<std::optional<Session>> {
    return OneSession(Get(c, kGetSession).Int(id));
  });
}

Result<std::vector<Session>> SqlStore::ListWaiting() {
  return pool_.WithConn(
      [&](Conn& c) -> Result<std::vector<Session>> { return AllSessions(Get(c, kListWaiting)); });
}

Result<std::vector<Session>> SqlStore::ListWaitingOn(const std::string& channel) {
  return pool_.WithConn([&](Conn& c) -> Result<std::vector<Session>> {
    return AllSessions(Get(c, kListWaitingOn).Text(channel));
  });
}

Result<std::vector<Session>> SqlStore::ListActiveForAgent(int64_t agent_id) {
  return pool_.WithConn([&](Conn& c) -> Result<std::vector<Session>> {
    return AllSessions(Get(c, kListActiveForAgent).Int(agent_id));
  });
}

Result<SessionPage> SqlStore::QuerySessions(const SessionQuery& q) {
  return pool_.WithConn([&](Conn& c) -> Result<SessionPage> {
    // The WHERE clause is assembled from fixed fragments; every value is a bound parameter.
    std::string where = " WHERE 1 = 1";
    std::string kinds;
    if (q.agent_id) {
      where += " AND s.agent_id = :agent";
      kinds += 'i';
    }
    if (q.status) {
      where += " AND s.status = :status";
      kinds += 't';
    }
    std::string pattern;
    std::string phone_pattern;
    if (q.search) {
      // Name and message text ignore case and accents ("joao" finds "João"); a phone number
      // typed with "+", spaces or dashes matches the stored digits.
      const bool pg = dialect_ == SqlDialect::kPostgres;
      auto fold = [pg](const std::string& x) {
        return pg ? "lower(unaccent(" + x + "))" : "handoffd_fold(" + x + ")";
      };
      pattern = "%" + EscapeLike(*q.search) + "%";
      std::string digits;
      for (char ch : *q.search) {
        if (ch != '+' && ch != ' ' && ch != '-') digits += ch;
      }
      const bool all_digits =
          !digits.empty() &&
          std::all_of(digits.begin(), digits.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
      phone_pattern = all_digits ? "%" + digits + "%" : pattern;
      where += " AND (s.phone_number LIKE :search1 ESCAPE '\\' OR " + fold("s.customer_name") +
               " LIKE " + fold(":search2") +
               " ESCAPE '\\' OR EXISTS (SELECT 1 FROM agent_messages m WHERE m.session_id = s.id"
               " AND m.direction <> 'internal' AND " +
               fold("m.content") + " LIKE " + fold(":search3") + " ESCAPE '\\'))";
      kinds += "ttt";
    }
    if (q.created_from) {
      where += " AND s.created_at >= :from";
      kinds += 'i';
    }
    if (q.created_before) {
      where += " AND s.created_at < :before";
      kinds += 'i';
    }
    if (q.label) {
      where += " AND s.labels LIKE :label";
      kinds += 't';
    }
    auto bind = [&](Stmt& st) {
      if (q.agent_id) st.Int(*q.agent_id);
      if (q.status) st.Text(ToString(*q.status));
      if (q.search) st.Text(phone_pattern).Text(pattern).Text(pattern);
      if (q.created_from) st.Time(*q.created_from);
      if (q.created_before) st.Time(*q.created_before);
      if (q.label) st.Text("%," + *q.label + ",%");
    };

    SessionPage page;
    {
      Stmt count(*c.sql, "SELECT COUNT(*) FROM agent_sessions s" + where, kinds, "i", false);
      bind(count);
      if (count.Run()) page.total = count.row().at(0).i;
      count.Drain();
    }
    Stmt list(*c.sql,
              "SELECT " + SessionSelectListRanked() + kSessionFromRanked + where +
                  " ORDER BY s.created_at DESC, s.id DESC LIMIT :limit OFFSET :offset",
              kinds + "ii", Kinds(kSessionCols), false);
    bind(list);
    list.Int(int64_t{std::max(0, q.limit)}).Int(int64_t{std::max(0, q.offset)});
    page.sessions = AllSessions(list);
    return page;
  });
}

Result<std::map<std::string, int64_t>> SqlStore::CountSessionsByStatus() {
  return pool_.WithConn([&](Conn& c) -> Result<std::map<std::string, int64_t>> {
    std::map<std::string, int64_t> out;
    for (SessionStatus s :
         {SessionStatus::kWaiting, SessionStatus::kActive, SessionStatus::kEnded}) {
      out[ToString(s)] = 0;
    }
    Stmt& st = Get(c, kCountSessionsByStatus);
    for (bool row = st.Run(); row; row = st.Fetch()) {
      RowReader r(st.row());
      std::string status = r.Text();
      out[status] = r.Int();
    }
    return out;
  });
}

Result<std::vector<Message>> SqlStore::ListMessages(int64_t session_id, int64_t after_id,
                                                    int limit) {
  return pool_.WithConn([&](Conn& c) -> Result<std::vector<Message>> {
    std::vector<Message> out;
    Stmt& st = Get(c, kListMessages).Int(session_id).Int(after_id).Int(std::max(0, limit));
    for (bool row = st.Run(); row; row = st.Fetch()) out.push_back(ReadMessage(st.row()));
    return out;
  });
}

Result<std::optional<Message>> SqlStore::GetMessage(int64_t id) {
  return pool_.WithConn([&](Conn& c) -> Result<std::optional<Message>> {
    return OneMessage(Get(c, kGetMessage).Int(id));
  });
}

Result<std::vector<Session>> SqlStore::ListDueSessions(TimePoint now, int limit) {
  return pool_.WithConn([&](Conn& c) -> Result<std::vector<Session>> {
    return AllSessions(Get(c, kListDueSessions).Time(now).Int(int64_t{std::max(0, limit)}));
  });
}

Result<std::optional<TimePoint>> SqlStore::NextExpiry() {
  return pool_.WithConn(
      [&](Conn& c) -> Result<std::optional<TimePoint>> { return MinTime(Get(c, kNextExpiry)); });
}

Result<std::optional<TimePoint>> SqlStore::NextWindowWarning(TimePoint now, Duration lead) {
  return pool_.WithConn([&](Conn& c) -> Result<std::optional<TimePoint>> {
    const int64_t window = std::chrono::duration_cast<Duration>(kServiceWindow).count();
    const std::optional<TimePoint> last =
        MinTime(Get(c, kNextWindowWarning).Time(now - kServiceWindow).Int(window));
    if (!last) return std::optional<TimePoint>();
    return std::optional<TimePoint>(*last + kServiceWindow - lead);
  });
}

Result<std::vector<Session>> SqlStore::ListCustomerSessions(int64_t contact_id,
                                                            int64_t before_session_id, int limit) {
  return pool_.WithConn([&](Conn& c) -> Result<std::vector<Session>> {
    return AllSessions(Get(c, kListCustomerSessions)
                           .Int(contact_id)
                           .Int(before_session_id)
                           .Int(int64_t{std::max(0, limit)}));
  });
}

Result<std::map<int64_t, int64_t>> SqlStore::ListReadPositions(int64_t agent_id) {
  return pool_.WithConn([&](Conn& c) -> Result<std::map<int64_t, int64_t>> {
    std::map<int64_t, int64_t> out;
    Stmt& st = Get(c, kListReadPositions).Int(agent_id);
    for (bool row = st.Run(); row; row = st.Fetch()) out[st.row().at(0).i] = st.row().at(1).i;
    return out;
  });
}

Result<std::map<int64_t, int64_t>> SqlStore::CountUnread(int64_t agent_id) {
  return pool_.WithConn([&](Conn& c) -> Result<std::map<int64_t, int64_t>> {
    std::map<int64_t, int64_t> out;
    Stmt& st = Get(c, kCountUnread).Int(agent_id).Int(agent_id);
    for (bool row = st.Run(); row; row = st.Fetch()) out[st.row().at(0).i] = st.row().at(1).i;
    return out;
  });
}

}  // namespace handoffd::sqlstore
