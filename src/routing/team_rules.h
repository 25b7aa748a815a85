// The rules of a team's fields (API.md TEAM, `handoffd team add`), shared by the CLI and the
// HTTP API. Pure; thread-safe.
#pragma once

#include <string>

#include "common/result.h"
#include "domain/team.h"

namespace handoffd {

/// "billing-team" from "Billing Team": ASCII letters and digits lower-cased, every other run of
/// characters one "-", at most 64; "team" when nothing is left.
std::string SlugFromName(const std::string& name);

/// "ID" or "ID:PRIORITY" (0..3) as a trigger; kBadRequest otherwise.
Result<TeamTrigger> ParseTriggerSpec(const std::string& spec);

/// "ID", or "ID:PRIORITY" when the priority is not 0 (the inverse of ParseTriggerSpec).
std::string TriggerSpec(const TeamTrigger& t);

/// Checks and completes `t` in place: name 1-100 characters without control characters; slug
/// [a-z0-9_-]{1,64} (derived from the name when empty); at most 20 trigger ids of 1-256
/// characters, distinct; an IANA time zone ("UTC" when empty); a valid hours spec; at most 366
/// holidays YYYY-MM-DD (sorted, distinct). kBadRequest naming the first problem.
Status NormalizeTeam(Team& t);

}  // namespace handoffd
