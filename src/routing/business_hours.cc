#include "routing/business_hours.h"

#include <date/tz.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <set>
#include <stdexcept>

namespace handoffd {
namespace {

constexpr const char* kDayNames[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
constexpr const char* kLongDayNames[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                         "Thursday", "Friday", "Saturday"};
// How far ahead the next opening is searched (a long run of holidays included).
constexpr int kSearchDays = 380;

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t end = s.find(sep, start);
    out.push_back(Trim(s.substr(start, end == std::string::npos ? end : end - start)));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

std::optional<int> DayIndex(std::string name) {
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (int i = 0; i < 7; ++i) {
    if (name == kDayNames[i]) return i;
  }
  return std::nullopt;
}

std::optional<int> Minutes(const std::string& hhmm) {
  if (hhmm.size() != 5 || hhmm[2] != ':') return std::nullopt;
  for (int i : {0, 1, 3, 4}) {
    if (!std::isdigit(static_cast<unsigned char>(hhmm[i]))) return std::nullopt;
  }
  const int h = (hhmm[0] - '0') * 10 + (hhmm[1] - '0');
  const int m = (hhmm[3] - '0') * 10 + (hhmm[4] - '0');
  if (m > 59 || h > 24 || (h == 24 && m != 0)) return std::nullopt;
  return h * 60 + m;
}

Status Bad(const std::string& what) { return Status::BadRequest("hours: " + what); }

const date::time_zone* Zone(const std::string& name) {
  try {
    return date::locate_zone(name);
  } catch (const std::exception&) {
    return nullptr;
  }
}

}  // namespace

Result<WeeklyHours> ParseWeeklyHours(const std::string& spec) {
  WeeklyHours out;
  if (Trim(spec).empty()) return out;
  if (spec.size() > 500) return Bad("at most 500 characters");
  for (const std::string& part : Split(spec, ';')) {
    if (part.empty()) continue;
    const size_t space = part.find(' ');
    if (space == std::string::npos) return Bad("'" + part + "' needs days and times");
    std::set<int> days;
    for (const std::string& item : Split(part.substr(0, space), ',')) {
      const size_t dash = item.find('-');
      auto first = DayIndex(item.substr(0, dash));
      auto last = dash == std::string::npos ? first : DayIndex(item.substr(dash + 1));
      if (!first || !last) return Bad("unknown day in '" + item + "' (mon..sun)");
      for (int d = *first;; d = (d + 1) % 7) {
        days.insert(d);
        if (d == *last) break;
      }
    }
    for (const std::string& range : Split(Trim(part.substr(space + 1)), ',')) {
      const size_t dash = range.find('-');
      if (dash == std::string::npos) return Bad("'" + range + "' is not HH:MM-HH:MM");
      auto from = Minutes(Trim(range.substr(0, dash)));
      auto to = Minutes(Trim(range.substr(dash + 1)));
      if (!from || !to || *from >= *to) return Bad("'" + range + "' is not HH:MM-HH:MM");
      for (int d : days) out.days[d].emplace_back(*from, *to);
    }
    out.always_open = false;
  }
  for (auto& intervals : out.days) std::sort(intervals.begin(), intervals.end());
  return out;
}

Status CheckTimeZone(const std::string& name) {
  if (name.empty() || name.size() > 64 || Zone(name) == nullptr) {
    return Status::BadRequest("timezone: '" + name + "' is not an IANA time zone");
  }
  return Status::Ok();
}

Status CheckHoliday(const std::string& day) {
  auto t = ParseDate(day);
  if (!t || day.size() != 10) return Status::BadRequest("holiday: '" + day + "' is not YYYY-MM-DD");
  return Status::Ok();
}

Result<Opening> OpeningAt(const Team& team, TimePoint now) {
  HANDOFFD_ASSIGN_OR_RETURN(auto hours, ParseWeeklyHours(team.hours));
  Opening out;
  if (hours.always_open) return out;
  const date::time_zone* zone = Zone(team.timezone);
  if (zone == nullptr) return CheckTimeZone(team.timezone);
  std::set<std::string> holidays(team.holidays.begin(), team.holidays.end());
  const auto local_now = zone->to_local(now);
  const date::local_days today = date::floor<date::days>(local_now);
  out.open_now = false;
  // Yesterday too: an interval ending at 24:00 never spills over, but DST may shift a late
  // local interval across the UTC instant.
  for (int k = -1; k <= kSearchDays; ++k) {
    const date::local_days day = today + date::days(k);
    const date::year_month_day ymd{day};
    char text[32];
    std::snprintf(text, sizeof(text), "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()) % 100u,
                  static_cast<unsigned>(ymd.day()) % 100u);
    if (holidays.count(text) > 0) continue;
    const unsigned weekday = date::weekday{day}.c_encoding();
    for (const auto& [from, to] : hours.days[weekday]) {
      // A local time skipped by a DST change maps to the moment the clocks jump.
      const TimePoint start = std::chrono::time_point_cast<Duration>(
          zone->to_sys(day + std::chrono::minutes(from), date::choose::earliest));
      const TimePoint end = std::chrono::time_point_cast<Duration>(
          zone->to_sys(day + std::chrono::minutes(to), date::choose::earliest));
      if (start <= now && now < end) out.open_now = true;
      if (start > now && !out.next_open) out.next_open = start;
    }
    if (out.next_open) break;
  }
  return out;
}

std::string FormatLocal(const Team& team, TimePoint t) {
  const date::time_zone* zone = Zone(team.timezone);
  if (zone == nullptr) zone = date::locate_zone("UTC");
  const auto local = zone->to_local(t);
  const date::local_days day = date::floor<date::days>(local);
  const auto minutes = std::chrono::duration_cast<std::chrono::minutes>(local - day).count();
  char text[64];
  std::snprintf(text, sizeof(text), "%s %02d:%02d", kLongDayNames[date::weekday{day}.c_encoding()],
                static_cast<int>(minutes / 60), static_cast<int>(minutes % 60));
  return text;
}

}  // namespace handoffd
