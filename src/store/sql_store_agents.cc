// SqlStore (sql_store_impl.h): agents, their tokens and signs of life.
#include <cctype>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/sql_rows.h"
#include "store/sql_store_impl.h"

namespace handoffd::sqlstore {
namespace {

std::string AsciiLower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

Result<Agent> SqlStore::CreateAgent(const Agent& a) {
  return pool_.InTx([&](Conn& c) -> Result<Agent> {
    Agent out = a;
    out.email = AsciiLower(a.email);
    out.active_chats = 0;
    auto id = ReturnedId(Get(c, kCreateAgent)
                             .Text(out.email)
                             .Text(out.name)
                             .Text(ToString(out.role))
                             .Text(ToString(out.status))
                             .Int(int64_t{out.max_chats})
                             .Text(out.password_hash)
                             .Time(clock_.Now()));
    if (!id) return Status::Conflict("an agent with email " + out.email + " already exists");
    out.id = *id;
    if (a.teams.empty()) {
      Get(c, kAddMemberBySlug).Int(out.id).Text(kGeneralTeamSlug).RunAll();
    }
    for (const TeamRef& t : a.teams) Get(c, kAddMember).Int(t.id).Int(out.id).RunAll();
    auto stored = OneAgent(Get(c, kGetAgent).Int(out.id));
    if (!stored) return Status::Internal("agent vanished after insert");
    stored->password_hash = out.password_hash;
    return *stored;
  });
}

Result<std::optional<Agent>> SqlStore::GetAgent(int64_t id) {
  return pool_.WithConn(
      [&](Conn& c) -> Result<std::optional<Agent>> { return OneAgent(Get(c, kGetAgent).Int(id)); });
}

Result<std::optional<Agent>> SqlStore::GetAgentByEmail(const std::string& email) {
  return pool_.WithConn([&](Conn& c) -> Result<std::optional<Agent>> {
    return OneAgent(Get(c, kGetAgentByEmail).Text(AsciiLower(email)));
  });
}

Result<std::vector<Agent>> SqlStore::ListAgents() {
  return pool_.WithConn([&](Conn& c) -> Result<std::vector<Agent>> {
    std::vector<Agent> out;
    Stmt& st = Get(c, kListAgents);
    for (bool row = st.Run(); row; row = st.Fetch()) out.push_back(ReadAgent(st.row()));
    return out;
  });
}

Status SqlStore::CreateToken(const std::string& token_hash, int64_t agent_id, TimePoint created_at,
                             TimePoint expires_at) {
  return pool_.WithConn([&](Conn& c) -> Status {
    Get(c, kCreateToken).Text(token_hash).Int(agent_id).Time(created_at).Time(expires_at).RunAll();
    return Status::Ok();
  });
}

Result<std::optional<Agent>> SqlStore::FindAgentByToken(const std::string& token_hash,
                                                        TimePoint now) {
  return pool_.WithConn([&](Conn& c) -> Result<std::optional<Agent>> {
    return OneAgent(Get(c, kFindAgentByToken).Text(token_hash).Time(now));
  });
}

Status SqlStore::DeleteToken(const std::string& token_hash) {
  return pool_.WithConn([&](Conn& c) -> Status {
    Get(c, kDeleteToken).Text(token_hash).RunAll();
    return Status::Ok();
  });
}

Status SqlStore::TouchAgent(int64_t agent_id, TimePoint now) {
  return pool_.WithConn([&](Conn& c) -> Status {
    Get(c, kTouchAgent).Time(now).Int(agent_id).RunAll();
    return Status::Ok();
  });
}

}  // namespace handoffd::sqlstore
