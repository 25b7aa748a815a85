// SqlTx (sql_tx.h): the routing operations of a transaction (issue 10): agent locks for
// capacity, requeueing, declines, and the locked snapshot an auto-assignment pass plans from.
#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>
#include <utility>
#include <vector>

#include "store/sql_json_rows.h"
#include "store/sql_rows.h"
#include "store/sql_tx.h"

namespace handoffd::sqlstore {

Result<std::optional<Agent>> SqlTx::LockAgent(int64_t agent_id) {
  return Guard([&]() -> Result<std::optional<Agent>> {
    Stmt& lock = Get(kLockAgent).Int(agent_id);
    const bool found = lock.RunAll();
    if (!found) return std::optional<Agent>();
    return OneAgent(Get(kGetAgent).Int(agent_id));  // counted after the lock (catalogue)
  });
}

Result<bool> SqlTx::IsTeamMember(int64_t team_id, int64_t agent_id) {
  return Guard([&]() -> Result<bool> {
    Stmt& st = Get(kIsMember).Int(team_id).Int(agent_id);
    const bool member = st.Run() && st.row().at(0).i > 0;
    st.Drain();
    return member;
  });
}

Result<std::optional<std::pair<int64_t, int>>> SqlTx::FindTrigger(const std::string& id) {
  return Guard([&]() -> Result<std::optional<std::pair<int64_t, int>>> {
    Stmt& st = Get(kFindTrigger).Text(id);
    std::optional<std::pair<int64_t, int>> out;
    if (st.Run()) out.emplace(st.row().at(0).i, static_cast<int>(st.row().at(1).i));
    st.Drain();
    return out;
  });
}

Result<std::optional<int64_t>> SqlTx::FindTeamBySlug(const std::string& slug) {
  return Guard([&]() -> Result<std::optional<int64_t>> {
    Stmt& st = Get(kGetTeamIdBySlug).Text(slug);
    std::optional<int64_t> out;
    if (st.Run()) out = st.row().at(0).i;
    st.Drain();
    return out;
  });
}

Result<bool> SqlTx::RequeueSession(int64_t session_id, int64_t team_id, TimePoint queue_order) {
  return Guard([&]() -> Result<bool> {
    Stmt& st = Get(kRequeueSession).Int(team_id).Time(queue_order).Int(session_id);
    st.RunAll();
    return st.Affected() > 0;
  });
}

Status SqlTx::RecordDecline(int64_t session_id, int64_t agent_id, TimePoint now) {
  return Guard([&]() -> Status {
    Get(kRecordDecline).Int(session_id).Int(agent_id).Time(now).RunAll();
    return Status::Ok();
  });
}

Status SqlTx::SetSessionPriority(int64_t session_id, int priority) {
  return Guard([&]() -> Status {
    Get(kSetPriority).Int(int64_t{priority}).Int(session_id).RunAll();
    return Status::Ok();
  });
}

Result<bool> SqlTx::AgentReplied(int64_t session_id, TimePoint since) {
  return Guard([&]() -> Result<bool> {
    Stmt& st = Get(kAgentReplied).Int(session_id).Time(since);
    const bool replied = st.Run() && st.row().at(0).i > 0;
    st.Drain();
    return replied;
  });
}

Result<RoutingState> SqlTx::LockRoutingState(TimePoint presence_cutoff, int per_team_limit) {
  return Guard([&]() -> Result<RoutingState> {
    RoutingState out;
    // First, before anything else is read (RoutingState::untold).
    Stmt& untold = Get(kListUntoldWaiting).Int(int64_t{std::max(0, per_team_limit)});
    for (bool row = untold.Run(); row; row = untold.Fetch())
      out.untold.insert(untold.row().at(0).i);
    std::set<int64_t> locked;
    Stmt& lock = Get(kLockRoutingAgents).Time(presence_cutoff);
    for (bool row = lock.Run(); row; row = lock.Fetch()) locked.insert(lock.row().at(0).i);
    // Read with their active chats after the locks (catalogue: kLockAgent).
    Stmt& agents = Get(kListRoutingAgents).Time(presence_cutoff);
    for (bool row = agents.Run(); row; row = agents.Fetch()) {
      Agent a = ReadAgent(agents.row());
      if (locked.count(a.id) > 0) out.agents.push_back(std::move(a));
    }
    // Free capacity per team (an agent with room counts in each of its teams).
    std::map<int64_t, int64_t> room;
    for (const Agent& a : out.agents) {
      const int64_t free =
          a.max_chats == 0 ? per_team_limit : std::max(0, a.max_chats - a.active_chats);
      for (const TeamRef& t : a.teams) room[t.id] += free;
    }
    for (const auto& [team, free] : room) {
      if (free <= 0) continue;
      Stmt& q = Get(kLockTeamQueue).Int(team).Int(std::min<int64_t>(free, per_team_limit));
      for (bool row = q.Run(); row; row = q.Fetch()) {
        QueuedSession s;
        s.id = q.row().at(0).i;
        s.team_id = team;
        s.priority = static_cast<int>(q.row().at(1).i);
        s.queue_order = q.row().at(2).i;
        out.queue.push_back(std::move(s));
      }
    }
    if (out.queue.empty()) return out;
    std::map<int64_t, size_t> index;
    for (size_t i = 0; i < out.queue.size(); ++i) index[out.queue[i].id] = i;
    Stmt& d = Get(kListWaitingDeclines);
    for (bool row = d.Run(); row; row = d.Fetch()) {
      auto it = index.find(d.row().at(0).i);
      if (it != index.end()) out.queue[it->second].declined_by.insert(d.row().at(1).i);
    }
    return out;
  });
}

Result<std::vector<Session>> SqlTx::AssignSessions(const std::vector<PlannedAssignment>& plan,
                                                   TimePoint now) {
  return Guard([&]() -> Result<std::vector<Session>> {
    std::vector<Session> out;
    if (plan.empty()) return out;
    out.reserve(plan.size());
    if (pool_.dialect() != SqlDialect::kPostgres) {
      // SQLite: BEGIN IMMEDIATE holds the write lock, so nothing changes between these.
      for (const PlannedAssignment& p : plan) {
        Stmt& st = Get(kAssignSession).Int(p.agent_id).Time(now).Time(now).Int(p.session_id);
        st.RunAll();
        if (st.Affected() != 1) continue;
        std::optional<Session> s = OneSession(Get(kLockSession).Int(p.session_id));
        if (!s) throw std::runtime_error("assigned session vanished inside its transaction");
        out.push_back(std::move(*s));
      }
      return out;
    }
    JsonRows rows;
    for (const PlannedAssignment& p : plan) {
      rows.Row().Int("session_id", p.session_id).Int("agent_id", p.agent_id);
    }
    Stmt& st = Get(kAssignSessions).Text(rows.Take()).Time(now).Time(now);
    for (bool row = st.Run(); row; row = st.Fetch()) out.push_back(ReadSession(st.row()));
    return out;
  });
}

Result<std::vector<Session>> SqlTx::LockLeaseDue(TimePoint cutoff, int limit) {
  return Guard([&]() -> Result<std::vector<Session>> {
    return AllSessions(Get(kListLeaseDue).Time(cutoff).Int(int64_t{limit}));
  });
}

Result<std::vector<std::pair<Session, std::optional<int64_t>>>> SqlTx::LockQueueNotices(
    bool updates, TimePoint told_before, int limit) {
  return Guard([&]() -> Result<std::vector<std::pair<Session, std::optional<int64_t>>>> {
    std::vector<std::pair<Session, std::optional<int64_t>>> out;
    Stmt& st = Get(kLockQueueNotices).Int(updates ? 1 : 0).Time(told_before).Int(int64_t{limit});
    for (bool row = st.Run(); row; row = st.Fetch()) {
      const Cell& told = st.row().back();
      out.emplace_back(ReadSession(st.row()),
                       told.ind == soci::i_null ? std::nullopt : std::optional<int64_t>(told.i));
    }
    return out;
  });
}

Status SqlTx::MarkQueueTold(int64_t session_id, int64_t position, TimePoint now) {
  return Guard([&]() -> Status {
    Get(kMarkQueueTold).Int(position).Time(now).Int(session_id).RunAll();
    return Status::Ok();
  });
}

}  // namespace handoffd::sqlstore
