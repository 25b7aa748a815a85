// Auto-assignment at scale (issue 10): seeds a backlog of waiting sessions and online agents
// with a capacity each, then times one routing pass (RoutingService::RunPass, auto mode) on the
// store directly, and checks that every slot was filled and no agent went over capacity.
//
//   routing_assign --database URL [--sessions 10000] [--agents 200] [--capacity 5]
//                  [--mode pass|accept]
//
// --mode pass: one auto-assignment pass. --mode accept: the reference, the same number of
// assignments made one by one through SessionService::Assign (an agent's Accept, one transaction
// each). URL is a database.url, migrated here; use a fresh database. Prints one JSON line.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>

#include "bench_db.h"
#include "common/clock.h"
#include "metrics/metrics.h"
#include "router/routing_service.h"
#include "router/session_service.h"
#include "store/store.h"

namespace {

struct Options {
  std::string database;
  int sessions = 10000;
  int agents = 200;
  int capacity = 5;
  std::string mode = "pass";
};

[[noreturn]] void Usage() {
  std::cerr << "usage: routing_assign --database URL [--sessions N] [--agents N] [--capacity N]"
               " [--mode pass|accept]\n";
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
      o.sessions = std::stoi(v);
    } else if (a == "--agents") {
      o.agents = std::stoi(v);
    } else if (a == "--capacity") {
      o.capacity = std::stoi(v);
    } else if (a == "--mode") {
      o.mode = v;
    } else {
      Usage();
    }
  }
  if (o.database.empty() || (o.mode != "pass" && o.mode != "accept")) Usage();
  return o;
}

// Agents (online, seen now, members of the general team) and waiting sessions, oldest first by
// id, whose customers were already told their place (so the pass only assigns).
void Seed(soci::session& sql, const Options& o, int64_t now_ms) {
  const long long agents = o.agents;
  const long long sessions = o.sessions;
  const long long capacity = o.capacity;
  const long long now = now_ms;
  const long long created = now_ms - 3600 * 1000;
  sql << "WITH RECURSIVE n(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM n WHERE k < CAST(:count AS "
         "BIGINT))"
         " INSERT INTO agents (email, name, role, status, max_chats, password_hash, created_at,"
         " last_seen_at) SELECT 'agent' || CAST(k AS TEXT) || '@bench.invalid',"
         " 'Agent ' || CAST(k AS TEXT), 'agent', 'online', CAST(:cap AS INTEGER), 'x',"
         " CAST(:c AS BIGINT), CAST(:now AS BIGINT) FROM n",
      soci::use(agents), soci::use(capacity), soci::use(created), soci::use(now);
  sql << "INSERT INTO team_members (team_id, agent_id) SELECT t.id, a.id FROM teams t"
         " CROSS JOIN agents a WHERE t.slug = 'general'";
  sql << "WITH RECURSIVE n(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM n WHERE k < CAST(:count AS "
         "BIGINT))"
         " INSERT INTO contacts (channel, customer_key, wa_id, name, created_at, updated_at)"
         " SELECT 'whatsapp', CAST(491500000000 + k AS TEXT), CAST(491500000000 + k AS TEXT),"
         " 'Customer ' || CAST(k AS TEXT), CAST(:c1 AS BIGINT), CAST(:c2 AS BIGINT) FROM n",
      soci::use(sessions), soci::use(created), soci::use(created);
  sql << "INSERT INTO agent_sessions (channel, contact_id, phone_number, customer_name,"
         " phone_number_id, status, created_at, expires_at, last_customer_message_at, team_id,"
         " priority, queue_order, queue_told_position)"
         " SELECT 'whatsapp', c.id, c.customer_key, c.name, '123456789012345', 'waiting',"
         " CAST(:c1 AS BIGINT) + c.id, CAST(:c2 AS BIGINT) + 79200000, CAST(:c3 AS BIGINT),"
         " t.id, 0, CAST(:c4 AS BIGINT) + c.id, 1 FROM contacts c"
         " CROSS JOIN teams t WHERE t.slug = 'general'",
      soci::use(created), soci::use(created), soci::use(created), soci::use(created);
}

long long Count(soci::session& sql, const std::string& query) {
  long long n = 0;
  sql << query, soci::into(n);
  return n;
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
    std::cerr << "routing_assign: " << store.status().ToString() << "\n";
    return 1;
  }
  if (auto m = (*store)->Migrate(); !m.ok()) {
    std::cerr << "routing_assign: migrate: " << m.status().ToString() << "\n";
    return 1;
  }
  auto sql = bench::ConnectSql(o.database);
  Seed(*sql, o, ToUnixMillis(clock.Now()));
  if ((*store)->Dialect() == "postgresql") *sql << "ANALYZE";

  Metrics metrics;
  RoutingOptions ro;
  ro.auto_mode = true;
  ro.batch_limit = o.agents * o.capacity;
  RoutingService routing(**store, clock, metrics, ro);
  SessionService sessions(**store, clock, SessionServiceOptions{});
  const int slots = o.agents * o.capacity;

  const auto started = std::chrono::steady_clock::now();
  int assigned = 0;
  if (o.mode == "pass") {
    auto r = routing.RunPass();
    if (!r.ok()) {
      std::cerr << "routing_assign: " << r.status().ToString() << "\n";
      return 1;
    }
    assigned = r->assigned;
  } else {
    // The reference: each agent accepts its share, one transaction per assignment.
    auto agents = (*store)->ListAgents();
    auto waiting = (*store)->ListWaiting();
    size_t next = 0;
    for (const Agent& a : *agents) {
      for (int k = 0; k < o.capacity && next < waiting->size(); ++k) {
        if (sessions.Assign((*waiting)[next++].id, a, std::nullopt).ok()) ++assigned;
      }
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  const long long active =
      Count(*sql, "SELECT COUNT(*) FROM agent_sessions WHERE status = 'active'");
  const long long over = Count(*sql,
                               "SELECT COUNT(*) FROM (SELECT agent_id FROM agent_sessions WHERE"
                               " status = 'active' GROUP BY agent_id HAVING COUNT(*) > " +
                                   std::to_string(o.capacity) + ") x");
  const long long waiting =
      Count(*sql, "SELECT COUNT(*) FROM agent_sessions WHERE status = 'waiting'");
  std::printf(
      "{\"dialect\":\"%s\",\"mode\":\"%s\",\"sessions\":%d,\"agents\":%d,\"capacity\":%d,"
      "\"slots\":%d,\"assigned\":%d,\"seconds\":%.3f,\"assignments_per_s\":%.0f,\"active\":%lld,"
      "\"agents_over_capacity\":%lld,\"still_waiting\":%lld}\n",
      (*store)->Dialect().c_str(), o.mode.c_str(), o.sessions, o.agents, o.capacity, slots,
      assigned, seconds, assigned / seconds, active, over, waiting);
  return assigned == slots && over == 0 ? 0 : 1;
}
