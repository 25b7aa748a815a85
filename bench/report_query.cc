// Reports at scale (issue 12): seeds N ended sessions spread over D days (200 agents, 10% never
// assigned, per-session times and CSAT as the transitions store them, 10% labelled "billing"),
// then times Store::Report over the whole range for each group_by (and two filtered variants),
// straight on the store (no daemon, no HTTP).
//
//   report_query --database URL [--sessions 1000000] [--days 90] [--agents 200] [--runs 20]
//
// URL is a database.url (sqlite:PATH or postgresql://...), migrated here; it should be fresh.
// Prints one JSON line per variant: p50/p99/max milliseconds over --runs runs (after one warm-up).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "bench_db.h"
#include "common/clock.h"
#include "store/store.h"

namespace {

struct Options {
  std::string database;
  long long sessions = 1000000;
  long long days = 90;
  long long agents = 200;
  int runs = 20;
};

[[noreturn]] void Usage() {
  std::cerr << "usage: report_query --database URL [--sessions N] [--days N] [--agents N]"
               " [--runs N]\n";
  std::exit(2);
}

Options ParseArgs(int argc, char** argv) {
  Options o;
  for (int k = 1; k < argc; ++k) {
    const std::string a = argv[k];
    if (k + 1 >= argc) Usage();
    const std::string v = argv[++k];
    if (a == "--database") {
      o.database = v;
    } else if (a == "--sessions") {
      o.sessions = std::stoll(v);
    } else if (a == "--days") {
      o.days = std::stoll(v);
    } else if (a == "--agents") {
      o.agents = std::stoll(v);
    } else if (a == "--runs") {
      o.runs = std::stoi(v);
    } else {
      Usage();
    }
  }
  if (o.database.empty() || o.sessions < 1 || o.days < 1 || o.agents < 1) Usage();
  return o;
}

// Agents, ten teams, one contact per session and the sessions, in four statements.
void Seed(soci::session& sql, const Options& o, long long start_ms) {
  const long long span = o.days * 86400000LL;
  sql << "WITH RECURSIVE n(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM n WHERE k < CAST(:a AS "
         "BIGINT))"
         " INSERT INTO agents (email, name, role, status, max_chats, password_hash, created_at)"
         " SELECT 'agent' || CAST(k AS TEXT) || '@bench.invalid', 'Agent ' || CAST(k AS TEXT),"
         " 'agent', 'offline', 5, 'x', CAST(:s AS BIGINT) FROM n",
      soci::use(o.agents), soci::use(start_ms);
  long long first_agent = 0;
  sql << "SELECT MIN(id) FROM agents", soci::into(first_agent);
  // Ten teams (the migration made `general`); session k is in team k % 10.
  sql << "WITH RECURSIVE n(k) AS (SELECT 2 UNION ALL SELECT k + 1 FROM n WHERE k < 10)"
         " INSERT INTO teams (name, slug, timezone, hours, holidays, created_at)"
         " SELECT 'Team ' || CAST(k AS TEXT), 'team-' || CAST(k AS TEXT), 'UTC', '', '', 0 FROM n";
  long long first_team = 0;
  sql << "SELECT MIN(id) FROM teams", soci::into(first_team);
  sql << "WITH RECURSIVE n(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM n WHERE k < CAST(:count AS "
         "BIGINT))"
         " INSERT INTO contacts (channel, customer_key, wa_id, name, created_at, updated_at)"
         " SELECT 'whatsapp', CAST(100000000000 + k AS TEXT), CAST(100000000000 + k AS TEXT),"
         " 'Customer ' || CAST(k AS TEXT), CAST(:c1 AS BIGINT), CAST(:c2 AS BIGINT) FROM n",
      soci::use(o.sessions), soci::use(start_ms), soci::use(start_ms);
  // Session k (contact id k'): created at start + k * span / N; 1 in 10 never assigned (missed);
  // wait 0-10 min, first response 0-5 min, handle 1-61 min; 3 in 10 rated; 1 in 10 "billing".
  sql << "INSERT INTO agent_sessions (channel, contact_id, phone_number, customer_name,"
         " phone_number_id, status, agent_id, created_at, assigned_at, ended_at, end_reason,"
         " expires_at, labels, wait_ms, first_response_ms, handle_ms, missed, csat_score, team_id)"
         " SELECT 'whatsapp', id, customer_key, name, '123456789012345', 'ended',"
         " CASE WHEN id % 10 = 0 THEN NULL ELSE CAST(:fa AS BIGINT) + id % CAST(:na AS BIGINT) END,"
         " c, CASE WHEN id % 10 = 0 THEN NULL ELSE c + w END,"
         " c + w + 3600000, CASE WHEN id % 10 = 0 THEN 'expired' ELSE 'agent' END,"
         " c + 79200000, CASE WHEN id % 10 = 3 THEN ',billing,' ELSE '' END,"
         " CASE WHEN id % 10 = 0 THEN NULL ELSE w END,"
         " CASE WHEN id % 10 = 0 THEN NULL ELSE (id * 104729) % 300000 END,"
         " CASE WHEN id % 10 = 0 THEN NULL ELSE 60000 + (id * 15485863) % 3600000 END,"
         " CASE WHEN id % 10 = 0 THEN 1 ELSE 0 END,"
         " CASE WHEN id % 10 IN (1, 2, 4) THEN 1 + id % 3 ELSE NULL END,"
         " CAST(:ft AS BIGINT) + (id * 31) % 10"
         " FROM (SELECT id, customer_key, name,"
         " CAST(:s AS BIGINT) + (id - 1) * CAST(:span AS BIGINT) / CAST(:n AS BIGINT) AS c,"
         " (id * 7919) % 600000 AS w FROM contacts) x",
      soci::use(first_agent), soci::use(o.agents), soci::use(first_team), soci::use(start_ms),
      soci::use(span), soci::use(o.sessions);
}

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const size_t k = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  return v[k];
}

}  // namespace

int main(int argc, char** argv) {
  using namespace handoffd;
  const Options o = ParseArgs(argc, argv);
  SystemClock clock;
  StoreOptions so;
  so.url = o.database;
  so.clock = &clock;
  auto store = OpenStore(so);
  if (!store.ok()) {
    std::cerr << "report_query: " << store.status().ToString() << "\n";
    return 1;
  }
  if (auto m = (*store)->Migrate(); !m.ok()) {
    std::cerr << "report_query: migrate: " << m.status().ToString() << "\n";
    return 1;
  }
  const long long day_ms = 86400000LL;
  const long long start_ms = (ToUnixMillis(clock.Now()) / day_ms - o.days) * day_ms;
  auto sql = bench::ConnectSql(o.database);
  const auto seed_started = std::chrono::steady_clock::now();
  Seed(*sql, o, start_ms);
  if ((*store)->Dialect() == "postgresql") {
    *sql << "VACUUM ANALYZE agent_sessions";
  } else {
    *sql << "ANALYZE";
  }
  const double seed_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - seed_started).count();

  struct Variant {
    const char* name;
    ReportQuery q;
  };
  ReportQuery base;
  base.from = FromUnixMillis(start_ms);
  base.before = FromUnixMillis(start_ms + o.days * day_ms);
  std::vector<Variant> variants;
  for (auto [name, g] :
       {std::pair{"day", ReportGroupBy::kDay}, std::pair{"agent", ReportGroupBy::kAgent},
        std::pair{"team", ReportGroupBy::kTeam}}) {
    ReportQuery q = base;
    q.group_by = g;
    variants.push_back({name, q});
  }
  ReportQuery labelled = base;
  labelled.label = "billing";
  variants.push_back({"day+label", labelled});
  ReportQuery one_agent = base;
  long long first_agent = 0;
  *sql << "SELECT MIN(id) FROM agents", soci::into(first_agent);
  one_agent.agent_id = first_agent + 1;  // agent k + 1 serves sessions with id % 200 == 1
  variants.push_back({"day+agent_id", one_agent});

  int failures = 0;
  for (const Variant& v : variants) {
    std::vector<double> ms;
    size_t rows = 0;
    long long sessions = 0;
    for (int r = 0; r <= o.runs; ++r) {
      const auto t0 = std::chrono::steady_clock::now();
      auto out = (*store)->Report(v.q);
      const double elapsed =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      if (!out.ok()) {
        std::cerr << "report_query: " << out.status().ToString() << "\n";
        ++failures;
        break;
      }
      rows = out->size();
      sessions = 0;
      for (const ReportRow& row : *out) sessions += row.sessions;
      if (r > 0) ms.push_back(elapsed);  // run 0 warms the caches
    }
    if (ms.empty()) continue;
    std::printf(
        "{\"dialect\":\"%s\",\"variant\":\"%s\",\"sessions_seeded\":%lld,\"days\":%lld,"
        "\"rows\":%zu,\"sessions_counted\":%lld,\"runs\":%zu,\"p50_ms\":%.1f,\"p99_ms\":%.1f,"
        "\"max_ms\":%.1f,\"seed_seconds\":%.1f}\n",
        (*store)->Dialect().c_str(), v.name, o.sessions, o.days, rows, sessions, ms.size(),
        Percentile(ms, 0.5), Percentile(ms, 0.99), *std::max_element(ms.begin(), ms.end()), seed_s);
    std::fflush(stdout);
  }
  return failures == 0 ? 0 : 1;
}
