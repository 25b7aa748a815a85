#include "routing/team_rules.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "routing/business_hours.h"

namespace handoffd {
namespace {

bool HasControl(const std::string& s) {
  return std::any_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

bool IsSlug(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

}  // namespace

std::string SlugFromName(const std::string& name) {
  std::string out;
  for (char c : name) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (std::isalnum(u) && u < 0x80) {
      out += static_cast<char>(std::tolower(u));
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  if (out.size() > 64) out.resize(64);
  return out.empty() ? "team" : out;
}

Result<TeamTrigger> ParseTriggerSpec(const std::string& spec) {
  TeamTrigger t;
  t.id = spec;
  const size_t colon = spec.rfind(':');
  if (colon != std::string::npos && colon + 2 == spec.size() && spec[colon + 1] >= '0' &&
      spec[colon + 1] <= '3') {
    t.id = spec.substr(0, colon);
    t.priority = spec[colon + 1] - '0';
  }
  if (t.id.empty() || t.id.size() > 256 || HasControl(t.id)) {
    return Status::BadRequest("trigger id '" + spec + "' must be 1-256 characters");
  }
  return t;
}

std::string TriggerSpec(const TeamTrigger& t) {
  return t.priority == 0 ? t.id : t.id + ":" + std::to_string(t.priority);
}

Status NormalizeTeam(Team& t) {
  if (t.name.empty() || t.name.size() > 100 || HasControl(t.name)) {
    return Status::BadRequest("name must be 1-100 characters without control characters");
  }
  if (t.slug.empty()) t.slug = SlugFromName(t.name);
  if (!IsSlug(t.slug)) return Status::BadRequest("slug must match [a-z0-9_-]{1,64}");
  if (t.triggers.size() > 20) return Status::BadRequest("at most 20 trigger ids");
  std::set<std::string> ids;
  for (const TeamTrigger& trigger : t.triggers) {
    if (trigger.id.empty() || trigger.id.size() > 256 || HasControl(trigger.id)) {
      return Status::BadRequest("trigger ids must be 1-256 characters");
    }
    if (trigger.priority < 0 || trigger.priority > kMaxPriority) {
      return Status::BadRequest("trigger priority must be 0-3");
    }
    if (!ids.insert(trigger.id).second) {
      return Status::BadRequest("trigger id " + trigger.id + " given twice");
    }
  }
  if (t.timezone.empty()) t.timezone = "UTC";
  HANDOFFD_RETURN_IF_ERROR(CheckTimeZone(t.timezone));
  HANDOFFD_RETURN_IF_ERROR(ParseWeeklyHours(t.hours).status());
  if (t.holidays.size() > 366) return Status::BadRequest("at most 366 holidays");
  for (const std::string& day : t.holidays) HANDOFFD_RETURN_IF_ERROR(CheckHoliday(day));
  std::sort(t.holidays.begin(), t.holidays.end());
  t.holidays.erase(std::unique(t.holidays.begin(), t.holidays.end()), t.holidays.end());
  return Status::Ok();
}

}  // namespace handoffd
