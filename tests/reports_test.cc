// Agent tools and reports (issue 12) on both databases: per-session times written at each
// transition (a manual clock), the report against a generated data set with known medians,
// labels, canned responses and notes.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "router/agent_tools.h"
#include "router/session_service.h"
#include "store/store.h"
#include "support/manual_clock.h"
#include "support/store_fixture.h"
#include "support/test_db.h"

namespace handoffd {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using testing::kT0;

class Reports : public testing::StoreFixture {
 protected:
  void SetUp() override {
    StoreFixture::SetUp();
    clock_.Set(kT0);
    service_ = std::make_unique<SessionService>(*store_, clock_, SessionServiceOptions{});
    tools_ = std::make_unique<AgentTools>(*store_, clock_, *service_, nullptr);
  }
  void TearDown() override {
    tools_.reset();
    service_.reset();
    StoreFixture::TearDown();
  }

  Session Started(const std::string& phone, const Agent& by) {
    auto s = service_->Start(phone, by);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? *s : Session{};
  }

  std::vector<ReportRow> Run(const ReportQuery& q) {
    auto rows = store_->Report(q);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    return rows.ok() ? *rows : std::vector<ReportRow>{};
  }

  /// A session created at `created` with the given times written straight through the store's
  /// transitions (assign at created + wait, an agent message after first_response, end after
  /// handle; no wait: ended unassigned).
  void Generated(const std::string& phone, TimePoint created, std::optional<int64_t> wait_s,
                 int64_t first_response_s, int64_t handle_s, int64_t agent_id,
                 std::optional<int> csat = std::nullopt) {
    const Session s = Open(phone, created, created + hours(22));
    if (!wait_s) {
      End(s.id, EndReason::kExpired, created + minutes(30));
      return;
    }
    const TimePoint assigned = created + seconds(*wait_s);
    ASSERT_TRUE(Assign(s.id, agent_id, assigned));
    Message reply = Msg(s.contact_id, s.id, std::nullopt, assigned + seconds(first_response_s));
    reply.sender_type = SenderType::kAgent;
    reply.direction = Direction::kOut;
    reply.delivery_status = DeliveryStatus::kQueued;
    Insert(reply);
    ASSERT_TRUE(End(s.id, EndReason::kAgent, assigned + seconds(handle_s)));
    if (csat) {
      Tx([&](StoreTx& tx) { return tx.SetCsatScore(s.id, *csat, assigned + seconds(handle_s)); });
    }
  }

  testing::ManualClock clock_;
  std::unique_ptr<SessionService> service_;
  std::unique_ptr<AgentTools> tools_;
};

TEST_P(Reports, TimesAreWrittenAtEachTransition) {
  const Agent ana = NewAgent("ana@example.com", Role::kAgent, "Ana");
  const Agent sam = NewAgent("sam@example.com", Role::kSupervisor, "Sam");
  const Agent bob = NewAgent("bob@example.com", Role::kAgent, "Bob");
  const Session s = Started("4915112345678", ana);
  EXPECT_FALSE(s.wait_ms.has_value());

  clock_.Advance(seconds(30));
  auto assigned = service_->Assign(s.id, ana, std::nullopt);
  ASSERT_TRUE(assigned.ok()) << assigned.status().ToString();
  EXPECT_EQ(assigned->wait_ms, 30000);
  EXPECT_FALSE(assigned->first_response_ms.has_value());

  // A note is no response to the customer.
  clock_.Advance(seconds(5));
  ASSERT_TRUE(tools_->AddNote(s.id, ana, "checking the order").ok());
  EXPECT_FALSE(Get(s.id).first_response_ms.has_value());

  clock_.Advance(seconds(40));
  ASSERT_TRUE(service_->Reply(s.id, ana, "Hello!").ok());
  EXPECT_EQ(Get(s.id).first_response_ms, 45000);

  // A transfer to another agent keeps the first wait and the first response.
  clock_.Advance(seconds(60));
  ASSERT_TRUE(service_->Assign(s.id, sam, bob.id).ok());
  ASSERT_TRUE(service_->Reply(s.id, bob, "Bob here").ok());
  Session after = Get(s.id);
  EXPECT_EQ(after.wait_ms, 30000);
  EXPECT_EQ(after.first_response_ms, 45000);

  clock_.Advance(seconds(15));
  auto ended = service_->End(s.id, bob);
  ASSERT_TRUE(ended.ok()) << ended.status().ToString();
  EXPECT_EQ(ended->handle_ms, 120000);  // first assignment (T0+30 s) to end (T0+150 s)
  EXPECT_FALSE(ended->missed);

  // Never assigned: missed, no handle time.
  const Session lone = Started("5511987654321", ana);
  clock_.Advance(minutes(3));
  auto missed = service_->End(lone.id, sam);
  ASSERT_TRUE(missed.ok());
  EXPECT_TRUE(missed->missed);
  EXPECT_FALSE(missed->handle_ms.has_value());
  EXPECT_FALSE(missed->wait_ms.has_value());
}

TEST_P(Reports, ExpiryWritesHandleTimeAndMissed) {
  const Agent ana = NewAgent("ana@example.com", Role::kAgent, "Ana");
  const Session assigned = Started("4915112345678", ana);
  const Session waiting = Started("5511987654321", ana);
  clock_.Advance(seconds(20));
  ASSERT_TRUE(service_->Assign(assigned.id, ana, std::nullopt).ok());
  auto ended = service_->EndDue(kT0 + hours(23), 100);
  ASSERT_TRUE(ended.ok()) << ended.status().ToString();
  ASSERT_EQ(*ended, 2);
  const Session a = Get(assigned.id);
  EXPECT_EQ(a.handle_ms, ToUnixMillis(a.expires_at) - ToUnixMillis(kT0) - 20000);
  EXPECT_FALSE(a.missed);
  const Session w = Get(waiting.id);
  EXPECT_TRUE(w.missed);
  EXPECT_FALSE(w.handle_ms.has_value());
}

// Day 1: five assigned sessions with waits 10..50 s (median 30, p90 46), first responses
// 5,15,25,35,45 s (median 25), handle 100..500 s (median 300), CSAT 3,3,2 (average 2.67), and
// one missed session. Day 2: two sessions of another agent, waits 60 and 80 (median 70).
TEST_P(Reports, KnownMediansByDayAndAgent) {
  const Agent ana = NewAgent("ana@example.com", Role::kAgent, "Ana");
  const Agent bob = NewAgent("bob@example.com", Role::kAgent, "Bob");
  const TimePoint day1 = kT0;  // 2026-01-01T10:00Z
  const TimePoint day2 = kT0 + hours(24);
  for (int i = 0; i < 5; ++i) {
    std::optional<int> csat;
    if (i < 3) csat = i < 2 ? 3 : 2;
    Generated("49151000000" + std::to_string(i), day1 + minutes(i), 10 * (i + 1), 5 + 10 * i,
              100 * (i + 1), ana.id, csat);
  }
  Generated("491510000009", day1 + minutes(9), std::nullopt, 0, 0, 0);
  Generated("491520000001", day2, 60, 7, 70, bob.id);
  Generated("491520000002", day2 + minutes(1), 80, 9, 90, bob.id);

  ReportQuery q;
  q.from = FromUnixSeconds(1767225600);  // 2026-01-01
  q.before = q.from + hours(48);
  const auto days = Run(q);
  ASSERT_EQ(days.size(), 2u);
  EXPECT_EQ(days[0].key, 20454);  // days since 1970-01-01
  EXPECT_EQ(days[0].sessions, 6);
  EXPECT_EQ(days[0].assigned, 5);
  EXPECT_EQ(days[0].missed, 1);
  EXPECT_EQ(days[0].median_wait_ms, 30000);
  EXPECT_EQ(days[0].p90_wait_ms, 46000);
  EXPECT_EQ(days[0].median_first_response_ms, 25000);
  EXPECT_EQ(days[0].median_handle_ms, 300000);
  EXPECT_EQ(days[0].csat_sum, 8);
  EXPECT_EQ(days[0].csat_count, 3);
  EXPECT_EQ(days[1].sessions, 2);
  EXPECT_EQ(days[1].median_wait_ms, 70000);
  EXPECT_EQ(days[1].csat_count, 0);

  q.group_by = ReportGroupBy::kAgent;
  const auto agents = Run(q);
  ASSERT_EQ(agents.size(), 3u);
  // Sessions without an agent first, then by agent id.
  EXPECT_FALSE(agents[0].key.has_value());
  EXPECT_EQ(agents[0].missed, 1);
  EXPECT_EQ(agents[1].key, ana.id);
  EXPECT_EQ(agents[1].sessions, 5);
  EXPECT_EQ(agents[2].key, bob.id);
  EXPECT_EQ(agents[2].median_first_response_ms, 8000);

  q.agent_id = bob.id;
  const auto only_bob = Run(q);
  ASSERT_EQ(only_bob.size(), 1u);
  EXPECT_EQ(only_bob[0].sessions, 2);

  // The range is on created_at: day 2 alone.
  ReportQuery second;
  second.from = q.from + hours(24);
  second.before = second.from + hours(24);
  const auto day_two = Run(second);
  ASSERT_EQ(day_two.size(), 1u);
  EXPECT_EQ(day_two[0].sessions, 2);
}

TEST_P(Reports, GroupByTeamUsesTheSessionsTeam) {
  const Agent ana = NewAgent("ana@example.com", Role::kAgent, "Ana");
  Team billing;
  billing.name = "Billing";
  billing.slug = "billing";
  auto created = store_->CreateTeam(billing);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  Generated("491510000001", kT0, 10, 5, 100, ana.id);
  Generated("491510000002", kT0 + minutes(1), 20, 5, 100, ana.id);
  // A session of the billing team, assigned after 40 s.
  const Session s = Open("491530000001", kT0 + minutes(2), kT0 + hours(22));
  Tx([&](StoreTx& tx) -> Status {
    auto moved = tx.RequeueSession(s.id, created->id, kT0 + minutes(2));
    if (!moved.ok()) return moved.status();
    return *moved ? Status::Ok() : Status::Conflict("not requeued");
  });
  ASSERT_TRUE(Assign(s.id, ana.id, kT0 + minutes(2) + seconds(40)));
  ASSERT_TRUE(End(s.id, EndReason::kAgent, kT0 + minutes(10)));

  ReportQuery q;
  q.from = FromUnixSeconds(1767225600);  // 2026-01-01
  q.before = q.from + hours(24);
  q.group_by = ReportGroupBy::kTeam;
  const auto teams = Run(q);
  ASSERT_EQ(teams.size(), 2u);
  EXPECT_NE(teams[0].key, created->id);  // general (created by the migration) first
  EXPECT_EQ(teams[0].sessions, 2);
  EXPECT_EQ(teams[0].median_wait_ms, 15000);
  EXPECT_EQ(teams[1].key, created->id);
  EXPECT_EQ(teams[1].sessions, 1);
  EXPECT_EQ(teams[1].median_wait_ms, 40000);

  q.team_id = created->id;
  const auto only_billing = Run(q);
  ASSERT_EQ(only_billing.size(), 1u);
  EXPECT_EQ(only_billing[0].sessions, 1);
}

TEST_P(Reports, LabelsFilterHistoryAndReports) {
  const Agent ana = NewAgent("ana@example.com", Role::kAgent, "Ana");
  const Agent sam = NewAgent("sam@example.com", Role::kSupervisor, "Sam");
  const Session a = Started("4915112345678", ana);
  const Session b = Started("5511987654321", ana);
  auto labelled = tools_->SetLabels(a.id, sam, {"VIP", "billing", "vip"});
  ASSERT_TRUE(labelled.ok()) << labelled.status().ToString();
  EXPECT_EQ(labelled->labels, (std::vector<std::string>{"billing", "vip"}));
  ASSERT_TRUE(tools_->SetLabels(b.id, sam, {"billing-2"}).ok());
  EXPECT_EQ(tools_->SetLabels(b.id, sam, {"no spaces"}).status().code(), ErrorCode::kBadRequest);

  SessionQuery hq;
  hq.label = "billing";
  auto page = store_->QuerySessions(hq);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->total, 1);
  EXPECT_EQ(page->sessions[0].id, a.id);

  ReportQuery rq;
  rq.from = kT0 - hours(24);
  rq.before = kT0 + hours(24);
  rq.label = "billing-2";
  const auto rows = Run(rq);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].sessions, 1);

  ASSERT_TRUE(tools_->SetLabels(a.id, sam, {}).ok());
  EXPECT_TRUE(Get(a.id).labels.empty());
}

TEST_P(Reports, CannedResponsesKeepShortcutsUnique) {
  const Agent sam = NewAgent("sam@example.com", Role::kSupervisor, "Sam");
  CannedResponse c;
  c.shortcut = "hello";
  c.content = "Hi {customer_name}, I am {agent_name}.";
  c.created_by = sam.id;
  auto made = store_->CreateCannedResponse(c);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  EXPECT_EQ(store_->CreateCannedResponse(c).status().code(), ErrorCode::kConflict);
  c.shortcut = "bye";
  auto second = store_->CreateCannedResponse(c);
  ASSERT_TRUE(second.ok());
  CannedResponse rename = *second;
  rename.shortcut = "hello";
  EXPECT_EQ(store_->UpdateCannedResponse(rename).status().code(), ErrorCode::kConflict);
  rename.shortcut = "goodbye";
  rename.content = "Bye!";
  auto updated = store_->UpdateCannedResponse(rename);
  ASSERT_TRUE(updated.ok() && updated->has_value());
  auto list = store_->ListCannedResponses();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].shortcut, "goodbye");
  EXPECT_EQ((*list)[0].content, "Bye!");
  auto gone = store_->DeleteCannedResponse(made->id);
  ASSERT_TRUE(gone.ok());
  EXPECT_TRUE(*gone);
  gone = store_->DeleteCannedResponse(made->id);
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(*gone);
}

TEST_P(Reports, NotesAreInternalAndNeverQueued) {
  const Agent ana = NewAgent("ana@example.com", Role::kAgent, "Ana");
  const Session s = Started("4915112345678", ana);
  auto before = store_->ListOutbox(0, 100);
  ASSERT_TRUE(before.ok());
  auto note = tools_->AddNote(s.id, ana, "VIP customer, be nice");
  ASSERT_TRUE(note.ok()) << note.status().ToString();
  EXPECT_EQ(note->type, "note");
  EXPECT_EQ(note->direction, Direction::kInternal);
  EXPECT_EQ(note->delivery_status, DeliveryStatus::kInternal);
  auto after = store_->ListOutbox(0, 100);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->size(), before->size());
  EXPECT_EQ(tools_->AddNote(s.id, ana, "  ").status().code(), ErrorCode::kBadRequest);
  auto t = tools_->GetTranscript(s.id, ana, false);
  ASSERT_TRUE(t.ok());
  for (const Message& m : t->messages) EXPECT_NE(m.type, "note");
  t = tools_->GetTranscript(s.id, ana, true);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->messages.back().content, "VIP customer, be nice");
}

HANDOFFD_STORE_CONTRACT_SUITE(Reports);

}  // namespace
}  // namespace handoffd
