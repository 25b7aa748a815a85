// `handoffd agent add` and `handoffd agent list`.
#include "domain/agent.h"

#include <algorithm>
#include <cctype>
#include <iostream>

#include "auth/password.h"
#include "cli/command_line.h"
#include "cli/commands.h"
#include "cli/store_access.h"

namespace handoffd {

int RunAgentAdd(const Config& config, const AgentAddArgs& args) {
  auto parsed_role = ParseRole(args.role);
  if (!parsed_role) return Fail("--role must be agent, supervisor or admin", 2);
  if (args.max_chats < 0) return Fail("--max-chats must be 0 (unlimited) or more", 2);
  if (args.email.find('@') == std::string::npos) {
    return Fail("--email must be an email address", 2);
  }
  std::string password;
  std::getline(std::cin, password);
  while (!password.empty() && (password.back() == '\r' || password.back() == '\n')) {
    password.pop_back();
  }
  auto hash = HashPassword(password);
  if (!hash.ok()) return Fail(hash.status().message(), 2);
  auto store = OpenMigratedStore(config, IfMissing::kFail);
  if (!store.ok()) return Fail(store.status().ToString());
  Agent a;
  a.email = args.email;
  for (char& c : a.email) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  a.name = args.name;
  a.role = *parsed_role;
  a.max_chats = args.max_chats;
  a.password_hash = *hash;
  if (!args.teams.empty()) {
    auto teams = (*store)->ListTeams();
    if (!teams.ok()) return Fail(teams.status().ToString());
    for (const std::string& slug : args.teams) {
      auto it =
          std::find_if(teams->begin(), teams->end(), [&](const Team& t) { return t.slug == slug; });
      if (it == teams->end()) return Fail("--team: no team with slug " + slug, 2);
      a.teams.push_back({it->id, it->name});
    }
  }
  auto created = (*store)->CreateAgent(a);
  if (!created.ok()) return Fail(created.status().message());
  std::cout << created->id << "\n";
  return 0;
}

int RunAgentList(const Config& config) {
  auto store = OpenMigratedStore(config, IfMissing::kFail);
  if (!store.ok()) return Fail(store.status().ToString());
  auto agents = (*store)->ListAgents();
  if (!agents.ok()) return Fail(agents.status().ToString());
  for (const Agent& a : *agents) {
    std::cout << a.id << "\t" << a.email << "\t" << a.name << "\t" << ToString(a.role) << "\t"
              << ToString(a.status) << "\t" << a.active_chats << "/" << a.max_chats << "\n";
  }
  return 0;
}

}  // namespace handoffd
