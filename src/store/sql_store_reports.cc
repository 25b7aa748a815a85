// SqlStore (sql_store_impl.h): canned responses and the supervisor's report (issue 12).
#include <string>
#include <vector>

#include "store/sql_rows.h"
#include "store/sql_store_impl.h"

namespace handoffd::sqlstore {
namespace {

/// The team of a session in reports: none until sessions carry a team (routing, migration
/// 0005); then s.team_id.
constexpr const char* kReportTeamKey = "CAST(NULL AS BIGINT)";

CannedResponse ReadCanned(const std::vector<Cell>& row) {
  RowReader r(row);
  CannedResponse c;
  c.id = r.Int();
  c.shortcut = r.Text();
  c.content = r.Text();
  c.created_by = r.OptInt();
  c.created_at = r.Time();
  c.updated_at = r.Time();
  return c;
}

/// The percentile `p` (0-1) of `expr` over the group, interpolated (percentile_cont) and
/// rounded to an integer: PostgreSQL's ordered-set aggregate, SQLite's handoffd_percentile
/// (connection_pool.cc registers it with the same definition).
std::string Percentile(SqlDialect d, const std::string& expr, const char* p) {
  if (d == SqlDialect::kPostgres) {
    return "CAST(ROUND(CAST(percentile_cont(" + std::string(p) + ") WITHIN GROUP (ORDER BY " +
           expr + ") AS NUMERIC)) AS BIGINT)";
  }
  return "handoffd_percentile(" + expr + ", " + p + ")";
}

}  // namespace

Result<std::vector<CannedResponse>> SqlStore::ListCannedResponses() {
  return pool_.WithConn([&](Conn& c) -> Result<std::vector<CannedResponse>> {
    std::vector<CannedResponse> out;
    Stmt& st = Get(c, kListCanned);
    for (bool row = st.Run(); row; row = st.Fetch()) out.push_back(ReadCanned(st.row()));
    return out;
  });
}

Result<std::optional<CannedResponse>> SqlStore::GetCannedResponse(int64_t id) {
  return pool_.WithConn([&](Conn& c) -> Result<std::optional<CannedResponse>> {
    std::optional<CannedResponse> out;
    Stmt& st = Get(c, kGetCanned).Int(id);
    if (st.Run()) out = ReadCanned(st.row());
    st.Drain();
    return out;
  });
}

Result<CannedResponse> SqlStore::CreateCannedResponse(const CannedResponse& in) {
  return pool_.WithConn([&](Conn& c) -> Result<CannedResponse> {
    CannedResponse out = in;
    if (out.created_at == TimePoint{}) out.created_at = clock_.Now();
    out.updated_at = out.created_at;
    auto id = ReturnedId(Get(c, kCreateCanned)
                             .Text(out.shortcut)
                             .Text(out.content)
                             .OptInt(out.created_by)
                             .Time(out.created_at)
                             .Time(out.updated_at));
    if (!id) return Status::Conflict("shortcut " + out.shortcut + " is taken");
    out.id = *id;
    return out;
  });
}

Result<std::optional<CannedResponse>> SqlStore::UpdateCannedResponse(const CannedResponse& in) {
  HANDOFFD_ASSIGN_OR_RETURN(auto all, ListCannedResponses());
  std::optional<CannedResponse> current;
  for (const CannedResponse& c : all) {
    if (c.id == in.id) current = c;
    if (c.id != in.id && c.shortcut == in.shortcut) {
      return Status::Conflict("shortcut " + in.shortcut + " is taken");
    }
  }
  if (!current) return std::optional<CannedResponse>();
  return pool_.WithConn([&](Conn& c) -> Result<std::optional<CannedResponse>> {
    CannedResponse out = *current;
    out.shortcut = in.shortcut;
    out.content = in.content;
    out.updated_at = clock_.Now();
    Stmt& st =
        Get(c, kUpdateCanned).Text(out.shortcut).Text(out.content).Time(out.updated_at).Int(in.id);
    st.RunAll();
    if (st.Affected() != 1) return std::optional<CannedResponse>();
    return std::optional<CannedResponse>(out);
  });
}

Result<bool> SqlStore::DeleteCannedResponse(int64_t id) {
  return pool_.WithConn([&](Conn& c) -> Result<bool> {
    Stmt& st = Get(c, kDeleteCanned).Int(id);
    st.RunAll();
    return st.Affected() == 1;
  });
}

Result<std::vector<ReportRow>> SqlStore::Report(const ReportQuery& q) {
  return pool_.WithConn([&](Conn& c) -> Result<std::vector<ReportRow>> {
    const SqlDialect d = dialect_;
    std::string key;
    switch (q.group_by) {
      case ReportGroupBy::kDay:
        key = "s.created_at / 86400000";
        break;
      case ReportGroupBy::kAgent:
        key = "s.agent_id";
        break;
      case ReportGroupBy::kTeam:
        key = kReportTeamKey;
        break;
    }
    // The WHERE clause is assembled from fixed fragments; every value is a bound parameter.
    std::string where = " WHERE s.created_at >= :from AND s.created_at < :before";
    std::string kinds = "ii";
    if (q.agent_id) {
      where += " AND s.agent_id = :agent";
      kinds += 'i';
    }
    if (q.team_id) {
      where += std::string(" AND ") + kReportTeamKey + " = :team";
      kinds += 'i';
    }
    if (q.label) {
      where += " AND s.labels LIKE :label";
      kinds += 't';
    }
    const std::string sql =
        "SELECT " + key +
        " AS k, COUNT(*), SUM(CASE WHEN s.wait_ms IS NULL THEN 0 ELSE 1 END), SUM(s.missed), " +
        Percentile(d, "s.wait_ms", "0.5") + ", " + Percentile(d, "s.wait_ms", "0.9") + ", " +
        Percentile(d, "s.first_response_ms", "0.5") + ", " + Percentile(d, "s.handle_ms", "0.5") +
        ", COALESCE(SUM(s.csat_score), 0), COUNT(s.csat_score) FROM agent_sessions s" + where +
        " GROUP BY " + key + " ORDER BY " + key + " NULLS FIRST";
    Stmt st(*c.sql, sql, kinds, "iiiiiiiiii", false);
    st.Time(q.from).Time(q.before);
    if (q.agent_id) st.Int(*q.agent_id);
    if (q.team_id) st.Int(*q.team_id);
    if (q.label) st.Text("%," + *q.label + ",%");
    std::vector<ReportRow> out;
    for (bool row = st.Run(); row; row = st.Fetch()) {
      RowReader r(st.row());
      ReportRow x;
      x.key = r.OptInt();
      x.sessions = r.Int();
      x.assigned = r.Int();
      x.missed = r.Int();
      x.median_wait_ms = r.OptInt();
      x.p90_wait_ms = r.OptInt();
      x.median_first_response_ms = r.OptInt();
      x.median_handle_ms = r.OptInt();
      x.csat_sum = r.Int();
      x.csat_count = r.Int();
      out.push_back(x);
    }
    return out;
  });
}

}  // namespace handoffd::sqlstore
