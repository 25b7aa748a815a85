// SqlStore (sql_store_impl.h): teams, their trigger ids and memberships (issue 10).
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "store/sql_rows.h"
#include "store/sql_store_impl.h"

namespace handoffd::sqlstore {
namespace {

std::string JoinHolidays(const std::vector<std::string>& days) {
  std::string out;
  for (const std::string& d : days) {
    if (!out.empty()) out += ',';
    out += d;
  }
  return out;
}

std::vector<std::string> SplitHolidays(const std::string& joined) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < joined.size()) {
    size_t end = joined.find(',', start);
    if (end == std::string::npos) end = joined.size();
    if (end > start) out.push_back(joined.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

Status SlugTaken(const std::string& slug) {
  return Status::Conflict("a team with slug " + slug + " already exists");
}

}  // namespace

Status SqlStore::WriteTriggers(Conn& c, const Team& t) {
  Get(c, kDeleteTriggers).Int(t.id).RunAll();
  for (const TeamTrigger& trigger : t.triggers) {
    if (!ReturnedId(
            Get(c, kInsertTrigger).Text(trigger.id).Int(t.id).Int(int64_t{trigger.priority}))) {
      return Status::Conflict("trigger id " + trigger.id + " belongs to another team");
    }
  }
  return Status::Ok();
}

Result<Team> SqlStore::CreateTeam(const Team& t) {
  return pool_.InTx([&](Conn& c) -> Result<Team> {
    auto id = ReturnedId(Get(c, kCreateTeam)
                             .Text(t.name)
                             .Text(t.slug)
                             .Text(t.timezone)
                             .Text(t.hours)
                             .Text(JoinHolidays(t.holidays))
                             .Time(clock_.Now()));
    if (!id) return SlugTaken(t.slug);
    Team out = t;
    out.id = *id;
    HANDOFFD_RETURN_IF_ERROR(WriteTriggers(c, out));
    return out;
  });
}

Result<Team> SqlStore::UpdateTeam(const Team& t) {
  return pool_.InTx([&](Conn& c) -> Result<Team> {
    Stmt& by_slug = Get(c, kGetTeamIdBySlug).Text(t.slug);
    std::optional<int64_t> holder;
    if (by_slug.Run()) holder = by_slug.row().at(0).i;
    by_slug.Drain();
    if (holder && *holder != t.id) return SlugTaken(t.slug);
    Stmt& st = Get(c, kUpdateTeam)
                   .Text(t.name)
                   .Text(t.slug)
                   .Text(t.timezone)
                   .Text(t.hours)
                   .Text(JoinHolidays(t.holidays))
                   .Int(t.id);
    st.RunAll();
    if (st.Affected() == 0) return Status::NotFound("team " + std::to_string(t.id) + " not found");
    HANDOFFD_RETURN_IF_ERROR(WriteTriggers(c, t));
    return t;
  });
}

Result<std::vector<Team>> SqlStore::ListTeams() {
  return pool_.WithConn([&](Conn& c) -> Result<std::vector<Team>> {
    std::vector<Team> out;
    std::map<int64_t, size_t> index;
    Stmt& st = Get(c, kListTeams);
    for (bool row = st.Run(); row; row = st.Fetch()) {
      RowReader r(st.row());
      Team t;
      t.id = r.Int();
      t.name = r.Text();
      t.slug = r.Text();
      t.timezone = r.Text();
      t.hours = r.Text();
      t.holidays = SplitHolidays(r.Text());
      index[t.id] = out.size();
      out.push_back(std::move(t));
    }
    Stmt& tr = Get(c, kListTriggers);
    for (bool row = tr.Run(); row; row = tr.Fetch()) {
      RowReader r(tr.row());
      const int64_t team = r.Int();
      TeamTrigger trigger;
      trigger.id = r.Text();
      trigger.priority = static_cast<int>(r.Int());
      auto it = index.find(team);
      if (it != index.end()) out[it->second].triggers.push_back(std::move(trigger));
    }
    return out;
  });
}

Status SqlStore::SetTeamMember(int64_t team_id, int64_t agent_id, bool member) {
  return pool_.InTx([&](Conn& c) -> Status {
    if (!member) {
      Get(c, kRemoveMember).Int(team_id).Int(agent_id).RunAll();
      return Status::Ok();
    }
    if (!OneAgent(Get(c, kGetAgent).Int(agent_id))) {
      return Status::NotFound("agent " + std::to_string(agent_id) + " not found");
    }
    bool known = false;
    Stmt& teams = Get(c, kListTeams);
    for (bool row = teams.Run(); row; row = teams.Fetch()) known |= teams.row().at(0).i == team_id;
    if (!known) return Status::NotFound("team " + std::to_string(team_id) + " not found");
    Get(c, kAddMember).Int(team_id).Int(agent_id).RunAll();
    return Status::Ok();
  });
}

Result<std::vector<std::pair<int64_t, int64_t>>> SqlStore::ListTeamMembers() {
  return pool_.WithConn([&](Conn& c) -> Result<std::vector<std::pair<int64_t, int64_t>>> {
    std::vector<std::pair<int64_t, int64_t>> out;
    Stmt& st = Get(c, kListMembers);
    for (bool row = st.Run(); row; row = st.Fetch()) {
      out.emplace_back(st.row().at(0).i, st.row().at(1).i);
    }
    return out;
  });
}

Result<std::vector<TeamQueueStats>> SqlStore::QueueStatsByTeam() {
  return pool_.WithConn([&](Conn& c) -> Result<std::vector<TeamQueueStats>> {
    std::vector<TeamQueueStats> out;
    Stmt& st = Get(c, kQueueStatsByTeam);
    for (bool row = st.Run(); row; row = st.Fetch()) {
      TeamQueueStats q;
      q.team_id = st.row().at(0).i;
      q.slug = st.row().at(1).s;
      q.waiting = st.row().at(2).i;
      if (st.row().at(3).ind != soci::i_null)
        q.oldest_created_at = FromUnixMillis(st.row().at(3).i);
      out.push_back(std::move(q));
    }
    return out;
  });
}

Result<std::vector<Duration>> SqlStore::RecentWaits(int64_t team_id, TimePoint since, int limit) {
  return pool_.WithConn([&](Conn& c) -> Result<std::vector<Duration>> {
    std::vector<Duration> out;
    Stmt& st = Get(c, kRecentWaits).Int(team_id).Time(since).Int(int64_t{limit});
    for (bool row = st.Run(); row; row = st.Fetch()) {
      out.push_back(std::chrono::milliseconds(st.row().at(0).i));
    }
    return out;
  });
}

}  // namespace handoffd::sqlstore
