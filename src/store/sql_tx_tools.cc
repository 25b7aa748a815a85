// SqlTx (sql_tx.h): agent tools and reports (issue 12): labels, CSAT, the integration relay.
#include <string>
#include <vector>

#include "domain/labels.h"
#include "store/sql_rows.h"
#include "store/sql_tx.h"

namespace handoffd::sqlstore {

Result<bool> SqlTx::SetSessionLabels(int64_t session_id, const std::vector<std::string>& labels) {
  return Guard([&]() -> Result<bool> {
    Stmt& st = Get(kSetSessionLabels).Text(EncodeLabels(labels)).Int(session_id);
    st.RunAll();
    return st.Affected() == 1;
  });
}

Status SqlTx::MarkCsatAsked(int64_t session_id, TimePoint now) {
  return Guard([&]() -> Status {
    Get(kMarkCsatAsked).Time(now).Int(session_id).RunAll();
    return Status::Ok();
  });
}

Result<std::optional<Session>> SqlTx::FindCsatSession(const std::string& channel,
                                                      const std::string& customer_key,
                                                      TimePoint asked_since) {
  return Guard([&]() -> Result<std::optional<Session>> {
    return OneSession(Get(kFindCsatSession).Text(channel).Text(customer_key).Time(asked_since));
  });
}

Status SqlTx::SetCsatScore(int64_t session_id, int score, TimePoint now) {
  return Guard([&]() -> Status {
    Get(kSetCsatScore).Int(score).Time(now).Int(session_id).RunAll();
    return Status::Ok();
  });
}

Status SqlTx::SetCsatComment(int64_t session_id, const std::string& comment) {
  return Guard([&]() -> Status {
    Get(kSetCsatComment).Text(comment).Int(session_id).RunAll();
    return Status::Ok();
  });
}

Result<int64_t> SqlTx::LockIntegrationCursor(const std::string& hook, int64_t initial,
                                             TimePoint now) {
  return Guard([&]() -> Result<int64_t> {
    Get(kInitIntegrationCursor).Text(hook).Int(initial).Time(now).RunAll();
    Stmt& st = Get(kLockIntegrationCursor).Text(hook);
    int64_t last = initial;
    if (st.Run()) last = st.row().at(0).i;
    st.Drain();
    return last;
  });
}

Status SqlTx::SetIntegrationCursor(const std::string& hook, int64_t last_event_id, TimePoint now) {
  return Guard([&]() -> Status {
    Get(kSetIntegrationCursor).Int(last_event_id).Time(now).Text(hook).RunAll();
    return Status::Ok();
  });
}

Result<std::vector<EventRecord>> SqlTx::ListEventsInTx(int64_t after_id, int64_t up_to_id,
                                                       int limit) {
  return Guard([&]() -> Result<std::vector<EventRecord>> {
    std::vector<EventRecord> out;
    Stmt& st = Get(kListEvents).Int(after_id).Int(up_to_id).Int(int64_t{limit < 0 ? 0 : limit});
    for (bool row = st.Run(); row; row = st.Fetch()) out.push_back(ReadEvent(st.row()));
    return out;
  });
}

}  // namespace handoffd::sqlstore
