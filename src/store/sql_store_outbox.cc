// SqlStore (sql_store_impl.h): the outbox and the event log.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "store/sql_rows.h"
#include "store/sql_store_impl.h"

namespace handoffd::sqlstore {

Result<std::vector<OutboxItem>> SqlStore::ClaimOutbox(TimePoint now, int limit, Duration lease) {
  auto claim = [&](Conn& c) -> Result<std::vector<OutboxItem>> {
    std::vector<OutboxItem> out;
    Stmt& st = Get(c, kClaimOutbox)
                   .Time(now + lease)
                   .Text(lease_owner_)
                   .Time(now)
                   .Time(now)
                   .Int(int64_t{std::max(0, limit)});
    for (bool row = st.Run(); row; row = st.Fetch()) out.push_back(ReadOutbox(st.row()));
    // RETURNING gives no order.
    std::sort(out.begin(), out.end(), [](const OutboxItem& a, const OutboxItem& b) {
      return std::tie(a.next_attempt_at, a.id) < std::tie(b.next_attempt_at, b.id);
    });
    return out;
  };
  // PostgreSQL: one statement, SKIP LOCKED keeps concurrent claimers apart. SQLite: the write
  // lock of BEGIN IMMEDIATE does.
  if (dialect_ == SqlDialect::kPostgres) return pool_.WithConn(claim);
  return pool_.InTx(claim);
}

Result<std::optional<TimePoint>> SqlStore::NextOutboxDue() {
  return pool_.WithConn(
      [&](Conn& c) -> Result<std::optional<TimePoint>> { return MinTime(Get(c, kNextOutboxDue)); });
}

Result<std::optional<Message>> SqlStore::CompleteOutbox(const OutboxItem& item,
                                                        const std::string& channel_message_id,
                                                        const MessageEventFn& event) {
  return pool_.InTx([&](Conn& c) -> Result<std::optional<Message>> {
    if (item.message_id) {
      Get(c, kMarkSent).Text(channel_message_id).Time(clock_.Now()).Int(*item.message_id).RunAll();
    }
    Get(c, kDeleteOutbox).Int(item.id).RunAll();
    return FinishOutbox(c, item, event);
  });
}

Result<std::optional<Message>> SqlStore::FailOutbox(const OutboxItem& item,
                                                    const MessageError& error,
                                                    const MessageEventFn& event) {
  return pool_.InTx([&](Conn& c) -> Result<std::optional<Message>> {
    if (item.message_id) {
      Get(c, kMarkFailed).Int(error.code).Text(error.title).Int(*item.message_id).RunAll();
    }
    Get(c, kDeleteOutbox).Int(item.id).RunAll();
    return FinishOutbox(c, item, event);
  });
}

std::optional<Message> SqlStore::FinishOutbox(Conn& c, const OutboxItem& item,
                                              const MessageEventFn& event) {
  if (!item.message_id) return std::nullopt;
  std::optional<Message> m = OneMessage(Get(c, kGetMessage).Int(*item.message_id));
  if (m && event) {
    std::optional<Session> session;
    // The event needs the session's state (audience, visitor), not its place in the queue.
    if (m->session_id) session = OneSession(Get(c, kGetSessionUnplaced).Int(*m->session_id));
    if (std::optional<EventRecord> e = event(*m, session)) {
      ReturnedId(BindEvent(Get(c, kAppendEvent), *e, clock_));
    }
  }
  return m;
}

Status SqlStore::RetryOutbox(const OutboxItem& item, TimePoint next_attempt_at,
                             const std::string& last_error) {
  return pool_.WithConn([&](Conn& c) -> Status {
    Get(c, kRetryOutbox).Time(next_attempt_at).Text(last_error).Int(item.id).RunAll();
    return Status::Ok();
  });
}

Status SqlStore::BeginOutboxAttempt(const OutboxItem& item, TimePoint now, TimePoint lease_until) {
  return pool_.WithConn([&](Conn& c) -> Status {
    Stmt& st =
        Get(c, kBeginOutboxAttempt).Time(now).Time(lease_until).Int(item.id).Text(lease_owner_);
    st.RunAll();
    if (st.Affected() == 0) {
      // Our lease ran out (a stall) and another instance claimed the item: it sends, not us.
      return Status::Conflict("outbox item " + std::to_string(item.id) +
                              ": the lease is no longer this instance's");
    }
    return Status::Ok();
  });
}

Status SqlStore::RenewOutboxLeases(const std::vector<int64_t>& ids, TimePoint lease_until) {
  if (ids.empty()) return Status::Ok();
  return pool_.InTx([&](Conn& c) -> Status {
    // Owner-checked: an item another instance claimed after our lease ran out stays its.
    for (int64_t id : ids) {
      Get(c, kRenewOutbox).Time(lease_until).Int(id).Text(lease_owner_).RunAll();
    }
    return Status::Ok();
  });
}

Status SqlStore::ReleaseOutbox(const std::vector<int64_t>& ids) {
  if (ids.empty()) return Status::Ok();
  return pool_.InTx([&](Conn& c) -> Status {
    for (int64_t id : ids) Get(c, kReleaseOutbox).Int(id).Text(lease_owner_).RunAll();
    return Status::Ok();
  });
}

Result<std::vector<OutboxItem>> SqlStore::ListOutbox(int64_t after_id, int limit) {
  return pool_.WithConn([&](Conn& c) -> Result<std::vector<OutboxItem>> {
    std::vector<OutboxItem> out;
    Stmt& st = Get(c, kListOutbox).Int(after_id).Int(int64_t{std::max(0, limit)});
    for (bool row = st.Run(); row; row = st.Fetch()) out.push_back(ReadOutbox(st.row()));
    return out;
  });
}

Result<std::vector<EventRecord>> SqlStore::ListEvents(int64_t after_id, int64_t up_to_id,
                                                      int limit) {
  return pool_.WithConn([&](Conn& c) -> Result<std::vector<EventRecord>> {
    std::vector<EventRecord> out;
    Stmt& st = Get(c, kListEvents).Int(after_id).Int(up_to_id).Int(int64_t{std::max(0, limit)});
    for (bool row = st.Run(); row; row = st.Fetch()) out.push_back(ReadEvent(st.row()));
    return out;
  });
}

Result<std::pair<int64_t, int64_t>> SqlStore::EventIdRange() {
  return pool_.WithConn([&](Conn& c) -> Result<std::pair<int64_t, int64_t>> {
    Stmt& st = Get(c, kEventIdRange);
    std::pair<int64_t, int64_t> out{0, 0};
    if (st.Run()) out = {st.row().at(0).i, st.row().at(1).i};
    st.Drain();
    return out;
  });
}

Result<int64_t> SqlStore::PruneEvents(TimePoint before) {
  return pool_.WithConn([&](Conn& c) -> Result<int64_t> {
    Stmt& st = Get(c, kPruneEvents).Time(before);
    st.RunAll();
    return static_cast<int64_t>(st.Affected());
  });
}

Result<std::vector<MediaFetch>> SqlStore::ClaimMediaFetches(TimePoint now, int limit,
                                                            Duration lease) {
  return pool_.WithConn([&](Conn& c) -> Result<std::vector<MediaFetch>> {
    std::vector<MediaFetch> out;
    Stmt& st =
        Get(c, kClaimMediaFetches).Time(now + lease).Time(now).Int(int64_t{std::max(0, limit)});
    for (bool row = st.Run(); row; row = st.Fetch()) {
      RowReader r(st.row());
      MediaFetch f;
      f.message_id = r.Int();
      f.attempts = static_cast<int>(r.Int());
      out.push_back(f);
    }
    return out;
  });
}

}  // namespace handoffd::sqlstore
