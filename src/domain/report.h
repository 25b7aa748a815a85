// The supervisor's report (API.md "Agent tools and reports", GET /api/reports/summary): sessions
// created in a date range, grouped by day, agent or team, with counts, percentiles of the stored
// per-session times and CSAT.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/clock.h"

namespace handoffd {

enum class ReportGroupBy { kDay, kAgent, kTeam };

/// Filter and grouping of a report. Sessions count when from <= created_at < before.
struct ReportQuery {
  ReportGroupBy group_by = ReportGroupBy::kDay;
  TimePoint from{};
  TimePoint before{};
  std::optional<int64_t> agent_id;
  std::optional<int64_t> team_id;
  /// A normalized label (domain/labels.h).
  std::optional<std::string> label;
};

/// One group. Times are milliseconds; percentiles interpolate linearly between the two nearest
/// ranks (PostgreSQL percentile_cont), rounded to the millisecond; nullopt over no values.
struct ReportRow {
  /// kDay: days since 1970-01-01 (UTC); kAgent/kTeam: the id, nullopt for sessions without one.
  std::optional<int64_t> key;
  int64_t sessions = 0;
  int64_t assigned = 0;  // sessions ever assigned (wait known)
  int64_t missed = 0;    // ended without ever being assigned
  std::optional<int64_t> median_wait_ms;
  std::optional<int64_t> p90_wait_ms;
  std::optional<int64_t> median_first_response_ms;
  std::optional<int64_t> median_handle_ms;
  int64_t csat_sum = 0;
  int64_t csat_count = 0;
};

}  // namespace handoffd
