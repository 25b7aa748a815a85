// GET /api/reports/summary (API.md "Agent tools and reports"): the supervisor's report as JSON or
// CSV, computed by the store in SQL from the per-session times stored at the transitions.
#include <cmath>
#include <map>
#include <sstream>

#include "domain/labels.h"
#include "domain/report.h"
#include "http/http_internal.h"

namespace handoffd::http {
namespace {

/// Longest report range, in days (a year and a month).
constexpr int kMaxReportDays = 400;
constexpr int64_t kDayMillis = 86400000;

const char* const kColumns[] = {"key",
                                "sessions",
                                "assigned",
                                "missed",
                                "median_wait_seconds",
                                "p90_wait_seconds",
                                "median_first_response_seconds",
                                "median_handle_seconds",
                                "csat_average",
                                "csat_count"};

nlohmann::json Seconds(const std::optional<int64_t>& ms) {
  if (!ms) return nullptr;
  return static_cast<double>(*ms) / 1000.0;
}

/// The report query of the request; kBadRequest names the bad parameter.
Result<ReportQuery> ReadQuery(const httplib::Request& req, TimePoint now) {
  ReportQuery q;
  const std::string group = req.has_param("group_by") ? req.get_param_value("group_by") : "day";
  if (group == "day") {
    q.group_by = ReportGroupBy::kDay;
  } else if (group == "agent") {
    q.group_by = ReportGroupBy::kAgent;
  } else if (group == "team") {
    q.group_by = ReportGroupBy::kTeam;
  } else {
    return Status::BadRequest("group_by must be day, agent or team");
  }
  const TimePoint today = FromUnixMillis(ToUnixMillis(now) / kDayMillis * kDayMillis);
  TimePoint to = today;
  if (!req.get_param_value("to").empty()) {
    auto d = ParseDate(req.get_param_value("to"));
    if (!d) return Status::BadRequest("to must be a date YYYY-MM-DD");
    to = *d;
  }
  TimePoint from = to - std::chrono::hours(24 * 6);
  if (!req.get_param_value("from").empty()) {
    auto d = ParseDate(req.get_param_value("from"));
    if (!d) return Status::BadRequest("from must be a date YYYY-MM-DD");
    from = *d;
  }
  if (from > to) return Status::BadRequest("from must not be after to");
  if (to - from >= std::chrono::hours(24 * kMaxReportDays)) {
    return Status::BadRequest("a report covers at most " + std::to_string(kMaxReportDays) +
                              " days");
  }
  q.from = from;
  q.before = to + std::chrono::hours(24);  // inclusive end day
  for (const char* name : {"agent_id", "team_id"}) {
    const std::string v = req.get_param_value(name);
    if (v.empty()) continue;
    auto id = ParseInt(v);
    if (!id || *id < 1)
      return Status::BadRequest(std::string(name) + " must be a positive integer");
    (std::string(name) == "agent_id" ? q.agent_id : q.team_id) = *id;
  }
  const std::string label = req.get_param_value("label");
  if (!label.empty()) {
    q.label = NormalizeLabel(label);
    if (!q.label) return Status::BadRequest("label must be 1-32 of a-z, 0-9, _ and -");
  }
  return q;
}

nlohmann::json RowJson(const ReportRow& r, ReportGroupBy group,
                       const std::map<int64_t, std::string>& names) {
  nlohmann::json key = nullptr;
  nlohmann::json name = nullptr;
  if (r.key) {
    if (group == ReportGroupBy::kDay) {
      key = FormatRfc3339(FromUnixMillis(*r.key * kDayMillis)).substr(0, 10);
    } else {
      key = *r.key;
      auto it = names.find(*r.key);
      if (it != names.end()) name = it->second;
    }
  }
  nlohmann::json csat = nullptr;
  if (r.csat_count > 0) {
    csat = std::round(static_cast<double>(r.csat_sum) * 100.0 / static_cast<double>(r.csat_count)) /
           100.0;
  }
  nlohmann::json row = {{"key", key},
                        {"sessions", r.sessions},
                        {"assigned", r.assigned},
                        {"missed", r.missed},
                        {"median_wait_seconds", Seconds(r.median_wait_ms)},
                        {"p90_wait_seconds", Seconds(r.p90_wait_ms)},
                        {"median_first_response_seconds", Seconds(r.median_first_response_ms)},
                        {"median_handle_seconds", Seconds(r.median_handle_ms)},
                        {"csat_average", csat},
                        {"csat_count", r.csat_count}};
  if (group != ReportGroupBy::kDay) row["name"] = name;
  return row;
}

/// One CSV field (RFC 4180): null is empty, text is quoted when it needs to be.
std::string CsvField(const nlohmann::json& v) {
  if (v.is_null()) return "";
  if (!v.is_string()) return v.dump();
  const std::string s = v.get<std::string>();
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

void RegisterReportRoutes(httplib::Server& server, Context& ctx) {
  server.Get("/api/reports/summary",
             Timed(ctx, "api", [&ctx](const httplib::Request& req, httplib::Response& res) {
               auto agent = Authenticate(ctx, req);
               if (!agent.ok()) return SendError(res, agent.status());
               if (!IsSupervisor(agent->role)) {
                 return SendError(res, Status::Forbidden("supervisors and admins only"));
               }
               const std::string format =
                   req.has_param("format") ? req.get_param_value("format") : "json";
               if (format != "json" && format != "csv") {
                 return SendError(res, Status::BadRequest("format must be json or csv"));
               }
               auto q = ReadQuery(req, ctx.deps.clock.Now());
               if (!q.ok()) return SendError(res, q.status());
               auto rows = ctx.deps.store.Report(*q);
               if (!rows.ok()) return SendError(res, rows.status());
               std::map<int64_t, std::string> names;
               if (q->group_by == ReportGroupBy::kAgent) {
                 auto agents = ctx.deps.store.ListAgents();
                 if (!agents.ok()) return SendError(res, agents.status());
                 for (const Agent& a : *agents) names[a.id] = a.name;
               }
               nlohmann::json out = nlohmann::json::array();
               for (const ReportRow& r : *rows) out.push_back(RowJson(r, q->group_by, names));
               if (format == "json") return SendJson(res, 200, {{"rows", out}});
               std::ostringstream csv;
               for (size_t k = 0; k < std::size(kColumns); ++k) {
                 csv << (k ? "," : "") << kColumns[k];
               }
               csv << "\r\n";
               for (const auto& row : out) {
                 for (size_t k = 0; k < std::size(kColumns); ++k) {
                   csv << (k ? "," : "") << CsvField(row[kColumns[k]]);
                 }
                 csv << "\r\n";
               }
               res.status = 200;
               res.set_header("Content-Disposition", "attachment; filename=\"report.csv\"");
               res.set_content(csv.str(), "text/csv; charset=utf-8");
             }));
}

}  // namespace handoffd::http
