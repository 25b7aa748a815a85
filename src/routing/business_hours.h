// Team business hours (PRODUCT.md "Business hours"): weekly opening hours in the team's IANA
// time zone, minus holidays. Time-zone arithmetic (DST included) comes from the tz database via
// Howard Hinnant's date/tz (the library C++20 <chrono> time zones were standardised from).
// Pure functions of their arguments; thread-safe.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "domain/team.h"

namespace handoffd {

/// Opening intervals per weekday (0 = Sunday .. 6 = Saturday), in minutes after local midnight,
/// [start, end) with end at most 1440. All empty: always open.
struct WeeklyHours {
  std::array<std::vector<std::pair<int, int>>, 7> days;
  bool always_open = true;
};

/// Parses "mon-fri 09:00-18:00; sat 10:00-14:00" (days: mon..sun, ranges and comma lists; a day
/// may have several "HH:MM-HH:MM" intervals separated by commas; "24:00" ends a day). Empty:
/// always open. kBadRequest naming the problem otherwise.
Result<WeeklyHours> ParseWeeklyHours(const std::string& spec);

/// kBadRequest unless `name` is an IANA time zone known to the system's tz database.
Status CheckTimeZone(const std::string& name);

/// kBadRequest unless `day` is a real date written YYYY-MM-DD.
Status CheckHoliday(const std::string& day);

/// Whether a team is open at an instant, and when it next opens.
struct Opening {
  bool open_now = true;
  /// Start of the next opening period strictly after `now` (nullopt: always open, or none within
  /// a year and two weeks).
  std::optional<TimePoint> next_open;
};

/// The team's opening at `now`. kBadRequest for an invalid hours spec or time zone.
Result<Opening> OpeningAt(const Team& team, TimePoint now);

/// `t` as the team's local weekday and time, e.g. "Monday 09:00" (texts.after_hours {next_open}).
std::string FormatLocal(const Team& team, TimePoint t);

}  // namespace handoffd
