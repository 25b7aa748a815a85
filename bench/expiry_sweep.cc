// Expiry at scale (issue 7, defect 6): seeds N open sessions that are all due (half waiting,
// half active with an agent, each with its own expires_at), then times one expiry sweep on the
// store directly (no daemon, no HTTP) and checks what it wrote.
//
//   expiry_sweep --database URL [--sessions 100000] [--batch 1000] [--mode set|per-session]
//
// --mode set: ExpiryJob::RunOnce, the two-phase set-based sweep (batches of --batch sessions;
// "ended_seconds": until every session was ended, "seconds": notices included). --mode
// per-session: the sweep as it was before issue 7, for reference: list due
// sessions in batches, then SessionService::Expire one by one (one transaction each).
// URL is a database.url (sqlite:PATH or postgresql://...), migrated here; PostgreSQL databases
// should be fresh. Prints one JSON line.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>

#include "bench_db.h"
#include "common/clock.h"
#include "log/logger.h"
#include "metrics/metrics.h"
#include "router/session_service.h"
#include "scheduler/expiry.h"
#include "store/store.h"

namespace {

struct Options {
  std::string database;
  int sessions = 100000;
  int batch = handoffd::ExpiryJob::kDefaultBatchSize;
  std::string mode = "set";
};

[[noreturn]] void Usage() {
  std::cerr << "usage: expiry_sweep --database URL [--sessions N] [--batch N]"
               " [--mode set|per-session]\n";
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
    } else if (a == "--batch") {
      o.batch = std::stoi(v);
    } else if (a == "--mode") {
      o.mode = v;
    } else {
      Usage();
    }
  }
  if (o.database.empty() || (o.mode != "set" && o.mode != "per-session")) Usage();
  return o;
}

// Seeds contacts and open sessions in three statements. Session k falls due at due - k ms.
void Seed(soci::session& sql, int n, int64_t due_ms) {
  const long long count = n;
  const long long created = due_ms - 22LL * 3600 * 1000;
  const long long due = due_ms;
  sql << "INSERT INTO agents (email, name, role, status, max_chats, password_hash, created_at)"
         " VALUES ('bench-agent@bench.invalid', 'Bench Agent', 'agent', 'online', 1000000, 'x',"
         " :created)",
      soci::use(created);
  long long agent = 0;
  sql << "SELECT id FROM agents WHERE email = 'bench-agent@bench.invalid'", soci::into(agent);
  sql << "WITH RECURSIVE n(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM n WHERE k < CAST(:count AS "
         "BIGINT))"
         " INSERT INTO contacts (channel, customer_key, wa_id, name, created_at, updated_at)"
         " SELECT 'whatsapp', CAST(491500000000 + k AS TEXT), CAST(491500000000 + k AS TEXT),"
         " 'Customer ' || CAST(k AS TEXT), CAST(:c1 AS BIGINT), CAST(:c2 AS BIGINT) FROM n",
      soci::use(count), soci::use(created), soci::use(created);
  sql << "INSERT INTO agent_sessions (channel, contact_id, phone_number, customer_name,"
         " phone_number_id, status, agent_id, created_at, assigned_at, expires_at,"
         " last_customer_message_at)"
         " SELECT 'whatsapp', id, customer_key, name, '123456789012345',"
         " CASE WHEN id % 2 = 0 THEN 'active' ELSE 'waiting' END,"
         " CASE WHEN id % 2 = 0 THEN CAST(:agent AS BIGINT) ELSE NULL END, CAST(:c1 AS BIGINT),"
         " CASE WHEN id % 2 = 0 THEN CAST(:c2 AS BIGINT) ELSE NULL END,"
         " CAST(:due AS BIGINT) - id, CAST(:c3 AS BIGINT) FROM contacts",
      soci::use(agent), soci::use(created), soci::use(created), soci::use(due), soci::use(created);
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
    std::cerr << "expiry_sweep: " << store.status().ToString() << "\n";
    return 1;
  }
  if (auto m = (*store)->Migrate(); !m.ok()) {
    std::cerr << "expiry_sweep: migrate: " << m.status().ToString() << "\n";
    return 1;
  }
  auto sql = bench::ConnectSql(o.database);
  const TimePoint now = clock.Now();
  const auto seed_started = std::chrono::steady_clock::now();
  Seed(*sql, o.sessions, ToUnixMillis(now) - 1000);
  if ((*store)->Dialect() == "postgresql") *sql << "ANALYZE";
  const double seed_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - seed_started).count();

  auto log = Logger::Create("json", "warn");
  Metrics metrics;
  SessionServiceOptions sopt;
  sopt.default_phone_number_id = "123456789012345";
  sopt.expired_text = "This chat has expired after 22 hours. Write again any time.";
  SessionService sessions(**store, clock, sopt);

  const auto started = std::chrono::steady_clock::now();
  int expired = 0;
  double ended_seconds = 0;  // set mode: until every due session was ended (phase 1)
  if (o.mode == "set") {
    ExpiryJob job(**store, sessions, clock, *log, metrics, o.batch);
    const SweepReport r = job.RunOnce();
    expired = r.expired;
    ended_seconds = static_cast<double>(r.ended_ms) / 1000.0;
  } else {
    // The sweep before issue 7: one transaction per session, ended at the sweep's time.
    while (true) {
      auto due = (*store)->ListDueSessions(now, o.batch);
      if (!due.ok() || due->empty()) break;
      int ended = 0;
      for (const Session& s : *due) {
        auto r = sessions.Expire(s.id, now);
        if (r.ok() && r->expired) ++ended;
      }
      expired += ended;
      if (ended == 0) break;
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (o.mode != "set") ended_seconds = seconds;  // one phase: ended and noticed together

  const long long open = Count(*sql,
                               "SELECT COUNT(*) FROM agent_sessions"
                               " WHERE status IN ('waiting', 'active')");
  const long long own_time = Count(*sql,
                                   "SELECT COUNT(*) FROM agent_sessions"
                                   " WHERE status = 'ended' AND ended_at = expires_at");
  const long long outbox = Count(*sql, "SELECT COUNT(*) FROM outbox");
  const long long events = Count(*sql, "SELECT COUNT(*) FROM events");
  const long long messages = Count(*sql, "SELECT COUNT(*) FROM agent_messages");
  std::printf(
      "{\"dialect\":\"%s\",\"mode\":\"%s\",\"sessions\":%d,\"batch\":%d,\"expired\":%d,"
      "\"ended_seconds\":%.3f,\"seconds\":%.3f,\"sessions_per_s\":%.0f,\"still_open\":%lld,\"ended_"
      "at_own_deadline\":%lld,"
      "\"messages\":%lld,\"outbox\":%lld,\"events\":%lld,\"seed_seconds\":%.2f}\n",
      (*store)->Dialect().c_str(), o.mode.c_str(), o.sessions, o.batch, expired, ended_seconds,
      seconds, expired / seconds, open, own_time, messages, outbox, events, seed_s);
  return expired == o.sessions ? 0 : 1;
}
