// Durations in the configuration ("1500ms", "90s", "5m", "22h", "7d"; API.md "Configuration"):
// what ParseDuration accepts, and what it refuses with a clear message.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "config/config.h"

namespace handoffd {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

TEST(DurationTest, ValidDurations) {
  struct Case {
    std::string text;
    Duration want;
  };
  for (const Case& c : std::vector<Case>{
           {"1500ms", milliseconds(1500)},
           {"1ms", milliseconds(1)},
           {"90s", seconds(90)},
           {"5m", minutes(5)},
           {"22h", hours(22)},
           {"7d", hours(7 * 24)},
           {"007s", seconds(7)},
       }) {
    Result<Duration> d = ParseDuration(c.text);
    ASSERT_TRUE(d.ok()) << c.text << ": " << d.status().ToString();
    EXPECT_EQ(*d, c.want) << c.text;
  }
  EXPECT_EQ(ParseDuration("1500ms")->count(), 1500);
}

TEST(DurationTest, InvalidDurations) {
  for (const std::string text : {"",
                                 "0s",
                                 "0ms",
                                 "-5m",
                                 "+5m",
                                 "5",
                                 "m",
                                 "5x",
                                 "5M",
                                 "5 m",
                                 " 5m",
                                 "5m ",
                                 "1.5h",
                                 "5min",
                                 "5sec",
                                 "1h30m",
                                 "9223372036854775807ms0",
                                 "9223372036854775808ms",
                                 "9223372036854776s",
                                 "36501d",
                                 "876001h",
                                 "106751991168d",
                                 "99999999999999999999999s",
                                 "0x10s"}) {
    Result<Duration> d = ParseDuration(text);
    ASSERT_FALSE(d.ok()) << "\"" << text << "\" parsed as " << d->count() << "ms";
    EXPECT_EQ(d.status().code(), ErrorCode::kBadRequest);
    EXPECT_FALSE(d.status().message().empty());
  }
  EXPECT_EQ(ParseDuration("abc").status().message(),
            "invalid duration \"abc\" (use e.g. 1500ms, 90s, 5m, 22h, 7d)");
  // Up to 100 years is accepted, so that adding a duration to a TimePoint cannot overflow.
  EXPECT_EQ(ParseDuration("36500d")->count(), int64_t{36500} * 86400 * 1000);
  EXPECT_EQ(ParseDuration("3153600000000ms")->count(), int64_t{3153600000000});
}

}  // namespace
}  // namespace handoffd
