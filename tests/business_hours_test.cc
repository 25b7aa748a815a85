// Team business hours (routing/business_hours.h) in two IANA zones, across their 2026 DST changes
// (Europe/Berlin 29 March, America/New_York 8 March) and holidays, at instants a manual clock
// would give.
#include "routing/business_hours.h"

#include <gtest/gtest.h>

#include "routing/team_rules.h"

namespace handoffd {
namespace {

// "YYYY-MM-DDTHH:MM:SS.mmmZ" as an instant.
TimePoint Utc(const std::string& rfc3339) {
  auto day = ParseDate(rfc3339.substr(0, 10));
  EXPECT_TRUE(day.has_value()) << rfc3339;
  return day.value_or(TimePoint{}) + std::chrono::hours(std::stoi(rfc3339.substr(11, 2))) +
         std::chrono::minutes(std::stoi(rfc3339.substr(14, 2))) +
         std::chrono::seconds(std::stoi(rfc3339.substr(17, 2))) +
         std::chrono::milliseconds(std::stoi(rfc3339.substr(20, 3)));
}

Team Berlin() {
  Team t;
  t.name = "Billing";
  t.timezone = "Europe/Berlin";
  t.hours = "mon-fri 09:00-18:00";
  t.holidays = {"2026-04-03"};  // Good Friday
  return t;
}

Team NewYork() {
  Team t;
  t.name = "Support US";
  t.timezone = "America/New_York";
  t.hours = "mon-fri 08:00-17:00; sat 10:00-14:00";
  t.holidays = {"2026-07-03"};  // Independence Day, observed
  return t;
}

Opening At(const Team& t, const std::string& when) {
  auto o = OpeningAt(t, Utc(when));
  EXPECT_TRUE(o.ok()) << o.status().ToString();
  return o.ok() ? *o : Opening{};
}

TEST(BusinessHours, BerlinClosesFridayEveningAndOpensMondayAfterTheDstChange) {
  // Friday 27 March 2026, 17:59 CET (UTC+1): open.
  EXPECT_TRUE(At(Berlin(), "2026-03-27T16:59:00.000Z").open_now);
  // 18:00 CET: closed; the clocks go forward on Sunday, so Monday 09:00 is 07:00Z (CEST).
  Opening o = At(Berlin(), "2026-03-27T17:00:00.000Z");
  EXPECT_FALSE(o.open_now);
  ASSERT_TRUE(o.next_open.has_value());
  EXPECT_EQ(FormatRfc3339(*o.next_open), "2026-03-30T07:00:00.000Z");
  EXPECT_EQ(FormatLocal(Berlin(), *o.next_open), "Monday 09:00");
  // Monday 09:00 CEST exactly: open.
  EXPECT_TRUE(At(Berlin(), "2026-03-30T07:00:00.000Z").open_now);
  EXPECT_FALSE(At(Berlin(), "2026-03-30T06:59:59.999Z").open_now);
}

TEST(BusinessHours, BerlinHolidayIsSkipped) {
  // Thursday 2 April 18:30 CEST: Friday is a holiday, so the next opening is Monday 6 April.
  Opening o = At(Berlin(), "2026-04-02T16:30:00.000Z");
  EXPECT_FALSE(o.open_now);
  ASSERT_TRUE(o.next_open.has_value());
  EXPECT_EQ(FormatRfc3339(*o.next_open), "2026-04-06T07:00:00.000Z");
  // During the holiday's usual hours: closed.
  EXPECT_FALSE(At(Berlin(), "2026-04-03T10:00:00.000Z").open_now);
}

TEST(BusinessHours, NewYorkSaturdayHoursAndTheMarchDstChange) {
  // Saturday 7 March 14:00 EST (UTC-5) = 19:00Z: just closed. Clocks spring forward on Sunday
  // 8 March, so Monday 08:00 EDT is 12:00Z.
  EXPECT_TRUE(At(NewYork(), "2026-03-07T18:59:00.000Z").open_now);
  Opening o = At(NewYork(), "2026-03-07T19:00:00.000Z");
  EXPECT_FALSE(o.open_now);
  ASSERT_TRUE(o.next_open.has_value());
  EXPECT_EQ(FormatRfc3339(*o.next_open), "2026-03-09T12:00:00.000Z");
  EXPECT_EQ(FormatLocal(NewYork(), *o.next_open), "Monday 08:00");
  // The Friday before, 08:00 EST is 13:00Z.
  EXPECT_FALSE(At(NewYork(), "2026-03-06T12:59:00.000Z").open_now);
  EXPECT_TRUE(At(NewYork(), "2026-03-06T13:00:00.000Z").open_now);
}

TEST(BusinessHours, NewYorkHolidayFallsThroughToSaturday) {
  // Thursday 2 July 17:30 EDT: Friday 3 July is a holiday; Saturday opens 10:00 EDT = 14:00Z.
  Opening o = At(NewYork(), "2026-07-02T21:30:00.000Z");
  ASSERT_TRUE(o.next_open.has_value());
  EXPECT_EQ(FormatRfc3339(*o.next_open), "2026-07-04T14:00:00.000Z");
  EXPECT_EQ(FormatLocal(NewYork(), *o.next_open), "Saturday 10:00");
}

TEST(BusinessHours, ALocalTimeSkippedByDstOpensWhenTheClocksJump) {
  Team t = Berlin();
  t.hours = "sun 02:30-04:00";  // 02:30 does not exist on 29 March 2026
  t.holidays.clear();
  Opening o = At(t, "2026-03-29T00:30:00.000Z");  // 01:30 CET
  ASSERT_TRUE(o.next_open.has_value());
  EXPECT_EQ(FormatRfc3339(*o.next_open), "2026-03-29T01:00:00.000Z");  // 03:00 CEST
  EXPECT_TRUE(At(t, "2026-03-29T01:30:00.000Z").open_now);
}

TEST(BusinessHours, EmptyHoursAreAlwaysOpen) {
  Team t;
  t.name = "General";
  Opening o = At(t, "2026-03-29T01:30:00.000Z");
  EXPECT_TRUE(o.open_now);
  EXPECT_FALSE(o.next_open.has_value());
}

TEST(BusinessHours, SpecsAndZonesAreChecked) {
  EXPECT_TRUE(ParseWeeklyHours("mon-fri 09:00-12:00, 13:00-18:00; sat,sun 10:00-24:00").ok());
  auto wrap = ParseWeeklyHours("fri-mon 10:00-11:00");
  ASSERT_TRUE(wrap.ok());
  EXPECT_EQ(wrap->days[0].size(), 1u);  // sunday inside fri-mon
  EXPECT_TRUE(wrap->days[3].empty());   // wednesday outside
  for (const char* bad :
       {"mon-fri 9-18", "xyz 09:00-10:00", "mon 18:00-09:00", "mon 24:30-25:00", "mon"}) {
    EXPECT_EQ(ParseWeeklyHours(bad).status().code(), ErrorCode::kBadRequest) << bad;
  }
  EXPECT_TRUE(CheckTimeZone("America/New_York").ok());
  EXPECT_EQ(CheckTimeZone("Mars/Olympus_Mons").code(), ErrorCode::kBadRequest);
  EXPECT_EQ(CheckHoliday("2026-02-30").code(), ErrorCode::kBadRequest);
}

TEST(TeamRules, SlugsTriggersAndNormalisation) {
  EXPECT_EQ(SlugFromName("Billing Team!"), "billing-team");
  EXPECT_EQ(SlugFromName("***"), "team");
  auto t = ParseTriggerSpec("AGENT_MODE_VIP:3");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->id, "AGENT_MODE_VIP");
  EXPECT_EQ(t->priority, 3);
  EXPECT_EQ(TriggerSpec(*t), "AGENT_MODE_VIP:3");
  EXPECT_EQ(ParseTriggerSpec("A:B")->id, "A:B");
  Team team;
  team.name = "Billing";
  team.holidays = {"2026-12-25", "2026-01-01", "2026-12-25"};
  ASSERT_TRUE(NormalizeTeam(team).ok());
  EXPECT_EQ(team.slug, "billing");
  EXPECT_EQ(team.timezone, "UTC");
  EXPECT_EQ(team.holidays, (std::vector<std::string>{"2026-01-01", "2026-12-25"}));
  team.slug = "Bad Slug";
  EXPECT_EQ(NormalizeTeam(team).code(), ErrorCode::kBadRequest);
}

}  // namespace
}  // namespace handoffd
