// `handoffd team add`.
#include <iostream>

#include "cli/command_line.h"
#include "cli/commands.h"
#include "cli/store_access.h"
#include "routing/team_rules.h"

namespace handoffd {

int RunTeamAdd(const Config& config, const TeamAddArgs& args) {
  Team t;
  t.name = args.name;
  t.slug = args.slug;
  t.timezone = args.timezone;
  t.hours = args.hours;
  t.holidays = args.holidays;
  for (const std::string& spec : args.trigger_ids) {
    auto trigger = ParseTriggerSpec(spec);
    if (!trigger.ok()) return Fail("--trigger-id: " + trigger.status().message(), 2);
    t.triggers.push_back(*trigger);
  }
  Status valid = NormalizeTeam(t);
  if (!valid.ok()) return Fail(valid.message(), 2);
  auto store = OpenMigratedStore(config, IfMissing::kFail);
  if (!store.ok()) return Fail(store.status().ToString());
  auto created = (*store)->CreateTeam(t);
  if (!created.ok()) return Fail(created.status().message());
  std::cout << created->id << "\n";
  return 0;
}

}  // namespace handoffd
