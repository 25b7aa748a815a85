// Teams and routing on both databases: teams and memberships, capacity under concurrent
// assigners, two auto-assignment passes racing, and the decline / transfer / claim-lease
// transitions, through the real SessionService and RoutingService.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "router/routing_service.h"
#include "router/session_service.h"
#include "support/manual_clock.h"
#include "support/store_fixture.h"

namespace handoffd::testing {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

class StoreRouting : public StoreFixture {
 protected:
  ManualClock clock{kT0};
  Metrics metrics;

  std::unique_ptr<SessionService> Sessions() {
    return std::make_unique<SessionService>(*store_, clock, SessionServiceOptions{});
  }
  std::unique_ptr<RoutingService> Routing(RoutingOptions o = {}) {
    return std::make_unique<RoutingService>(*store_, clock, metrics, o);
  }
  Team MakeTeam(const std::string& name, std::vector<TeamTrigger> triggers = {}) {
    Team t;
    t.name = name;
    t.slug = SlugOf(name);
    t.triggers = std::move(triggers);
    auto r = store_->CreateTeam(t);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : Team{};
  }
  static std::string SlugOf(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }
  Agent Online(const std::string& email, int max_chats, std::vector<TeamRef> teams = {},
               Role role = Role::kAgent) {
    Agent a;
    a.email = email;
    a.name = email.substr(0, email.find('@'));
    a.role = role;
    a.max_chats = max_chats;
    a.password_hash = "$argon2id$fake";
    a.teams = std::move(teams);
    auto r = store_->CreateAgent(a);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    Tx([&](StoreTx& tx) {
      return tx.SetAgentStatus(r->id, AgentStatus::kOnline, clock.Now()).status();
    });
    auto stored = store_->GetAgent(r->id);
    return **stored;
  }
  int ActiveChats(int64_t agent) { return (*store_->GetAgent(agent))->active_chats; }
};

TEST_P(StoreRouting, TheMigrationMadeTheGeneralTeamAndNewAgentsJoinIt) {
  auto teams = store_->ListTeams();
  ASSERT_TRUE(teams.ok());
  ASSERT_EQ(teams->size(), 1u);
  EXPECT_EQ((*teams)[0].slug, "general");
  Agent a = NewAgent("a@example.com");
  ASSERT_EQ(a.teams.size(), 1u);
  EXPECT_EQ(a.teams[0].id, (*teams)[0].id);
  EXPECT_EQ(a.teams[0].name, (*teams)[0].name);
  Session s = Open("4915100000001");
  EXPECT_EQ(s.team_id, (*teams)[0].id);
  Session read = Get(s.id);
  EXPECT_EQ(read.team_name, (*teams)[0].name);
  EXPECT_EQ(read.queue_position, 1);
  EXPECT_EQ(read.priority, 0);
}

TEST_P(StoreRouting, TeamsTriggersAndMembershipsAreStoredAndConflictsRefused) {
  Team billing = MakeTeam("Billing", {{"AGENT_MODE_BILLING", 0}, {"AGENT_MODE_VIP", 3}});
  EXPECT_EQ(store_->CreateTeam(billing).status().code(), ErrorCode::kConflict);  // slug
  Team other;
  other.name = "Other";
  other.slug = "other";
  other.triggers = {{"AGENT_MODE_VIP", 0}};
  EXPECT_EQ(store_->CreateTeam(other).status().code(), ErrorCode::kConflict);  // trigger
  other.triggers.clear();
  ASSERT_TRUE(store_->CreateTeam(other).ok());
  Tx([&](StoreTx& tx) -> Status {
    auto found = tx.FindTrigger("AGENT_MODE_VIP");
    EXPECT_TRUE(found.ok() && found->has_value());
    EXPECT_EQ((*found)->first, billing.id);
    EXPECT_EQ((*found)->second, 3);
    auto none = tx.FindTrigger("AGENT_MODE");
    EXPECT_FALSE(none->has_value());
    return Status::Ok();
  });
  billing.hours = "mon-fri 09:00-18:00";
  billing.holidays = {"2026-12-25"};
  billing.triggers = {{"AGENT_MODE_BILLING", 1}};
  ASSERT_TRUE(store_->UpdateTeam(billing).ok());
  auto teams = store_->ListTeams();
  ASSERT_EQ(teams->size(), 3u);
  EXPECT_EQ((*teams)[1].hours, "mon-fri 09:00-18:00");
  EXPECT_EQ((*teams)[1].holidays, std::vector<std::string>{"2026-12-25"});
  ASSERT_EQ((*teams)[1].triggers.size(), 1u);
  EXPECT_EQ((*teams)[1].triggers[0].priority, 1);
  billing.id = 9999;
  EXPECT_EQ(store_->UpdateTeam(billing).status().code(), ErrorCode::kConflict);  // slug taken
  billing.slug = "nobody";
  billing.triggers.clear();
  EXPECT_EQ(store_->UpdateTeam(billing).status().code(), ErrorCode::kNotFound);

  Agent a = NewAgent("a@example.com");
  ASSERT_TRUE(store_->SetTeamMember((*teams)[1].id, a.id, true).ok());
  ASSERT_TRUE(store_->SetTeamMember((*teams)[1].id, a.id, true).ok());  // idempotent
  EXPECT_EQ((*store_->GetAgent(a.id))->teams.size(), 2u);
  EXPECT_EQ(store_->SetTeamMember(9999, a.id, true).code(), ErrorCode::kNotFound);
  EXPECT_EQ(store_->SetTeamMember((*teams)[1].id, 9999, true).code(), ErrorCode::kNotFound);
  ASSERT_TRUE(store_->SetTeamMember((*teams)[0].id, a.id, false).ok());
  auto after = *store_->GetAgent(a.id);
  ASSERT_EQ(after->teams.size(), 1u);
  EXPECT_EQ(after->teams[0].name, "Billing");
}

TEST_P(StoreRouting, CapacityHoldsUnderEightConcurrentAssignersForTwentyRounds) {
  const Agent boss = NewAgent("boss@example.com", Role::kSupervisor, "Boss");
  const Agent target = Online("target@example.com", 3);
  auto sessions = Sessions();
  for (int round = 0; round < 20; ++round) {
    std::vector<int64_t> ids;
    for (int k = 0; k < 8; ++k) {
      ids.push_back(Open("49151" + std::to_string(1000000 + round * 10 + k)).id);
    }
    std::atomic<int> won{0}, full{0}, other{0};
    std::vector<std::thread> threads;
    for (int k = 0; k < 8; ++k) {
      threads.emplace_back([&, k] {
        auto r = sessions->Assign(ids[k], boss, target.id);
        if (r.ok()) {
          ++won;
        } else if (r.status().code() == ErrorCode::kAtCapacity) {
          ++full;
        } else {
          ++other;
        }
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(won.load(), 3) << "round " << round;
    EXPECT_EQ(full.load(), 5) << "round " << round;
    EXPECT_EQ(other.load(), 0) << "round " << round;
    EXPECT_EQ(ActiveChats(target.id), 3) << "round " << round;
    for (int64_t id : ids) {
      if (Get(id).status == SessionStatus::kActive) {
        ASSERT_TRUE(sessions->End(id, boss).ok());
      }
    }
  }
}

TEST_P(StoreRouting, ForceNotMemberAndAtCapacityOnAssign) {
  Team billing = MakeTeam("Billing");
  const Agent boss = NewAgent("boss@example.com", Role::kSupervisor, "Boss");
  const Agent anna = Online("anna@example.com", 1);
  const Agent bill = Online("bill@example.com", 2, {{billing.id, "Billing"}});
  auto sessions = Sessions();
  const int64_t s1 = Open("4915100000001").id;
  const int64_t s2 = Open("4915100000002").id;
  EXPECT_EQ(sessions->Assign(s1, bill, std::nullopt).status().code(), ErrorCode::kNotMember);
  ASSERT_TRUE(sessions->Assign(s1, anna, std::nullopt).ok());
  EXPECT_EQ(sessions->Assign(s2, anna, std::nullopt).status().code(), ErrorCode::kAtCapacity);
  EXPECT_EQ(sessions->Assign(s2, anna, std::nullopt, true).status().code(),
            ErrorCode::kForbidden);  // agents may not force
  EXPECT_EQ(sessions->Assign(s2, boss, anna.id).status().code(), ErrorCode::kAtCapacity);
  ASSERT_TRUE(sessions->Assign(s2, boss, anna.id, true).ok());
  EXPECT_EQ(ActiveChats(anna.id), 2);
}

TEST_P(StoreRouting, TwoRoutingPassesRacingNeverExceedCapacityNorDoubleAssign) {
  std::vector<Agent> agents;
  for (int k = 0; k < 3; ++k) agents.push_back(Online("a" + std::to_string(k) + "@x.com", 4));
  for (int k = 0; k < 30; ++k) Open("49151" + std::to_string(2000000 + k));
  RoutingOptions o;
  o.auto_mode = true;
  auto r1 = Routing(o);
  auto r2 = Routing(o);
  std::atomic<int> assigned{0};
  std::vector<std::thread> threads;
  for (RoutingService* r : {r1.get(), r2.get(), r1.get(), r2.get()}) {
    threads.emplace_back([&, r] {
      auto rep = r->RunPass();
      EXPECT_TRUE(rep.ok()) << rep.status().ToString();
      if (rep.ok()) assigned += rep->assigned;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(assigned.load(), 12);
  for (const Agent& a : agents) EXPECT_EQ(ActiveChats(a.id), 4);
  EXPECT_EQ(store_->ListWaiting()->size(), 18u);
  auto counts = store_->CountSessionsByStatus();
  EXPECT_EQ((*counts)["active"], 12);
  EXPECT_EQ(metrics.assignments_auto.load(), 12u);
}

TEST_P(StoreRouting, AutoAssignTakesTheOldestToTheLeastLoadedOnlineMember) {
  Team billing = MakeTeam("Billing");
  const Agent busy = Online("busy@x.com", 3);
  const Agent idle = Online("idle@x.com", 3);
  const Agent away = Online("away@x.com", 3);
  const Agent bill = Online("bill@x.com", 3, {{billing.id, "Billing"}});
  Tx([&](StoreTx& tx) {
    return tx.SetAgentStatus(away.id, AgentStatus::kAway, clock.Now()).status();
  });
  auto sessions = Sessions();
  const int64_t first = Open("4915100000001", kT0 - minutes(3)).id;
  ASSERT_TRUE(sessions->Assign(first, busy, std::nullopt).ok());
  const int64_t old = Open("4915100000002", kT0 - minutes(2)).id;
  const int64_t young = Open("4915100000003", kT0 - minutes(1)).id;
  RoutingOptions o;
  o.auto_mode = true;
  auto rep = Routing(o)->RunPass();
  ASSERT_TRUE(rep.ok()) << rep.status().ToString();
  EXPECT_EQ(rep->assigned, 2);
  EXPECT_EQ(Get(old).agent_id, idle.id);    // the least loaded
  EXPECT_EQ(Get(young).agent_id, busy.id);  // then 1 vs 1: busy was assigned longer ago
  EXPECT_EQ(ActiveChats(away.id), 0);
  EXPECT_EQ(ActiveChats(bill.id), 0);  // another team's member
  // An agent without a sign of life for over 60 s gets nothing.
  clock.Advance(minutes(2));
  Open("4915100000004");
  EXPECT_EQ(Routing(o)->RunPass()->assigned, 0);
}

TEST_P(StoreRouting, DeclinePutsTheSessionAtTheFrontAndNeverOffersItBack) {
  const Agent anna = Online("anna@x.com", 3);
  const Agent ben = Online("ben@x.com", 3);
  auto sessions = Sessions();
  const int64_t older = Open("4915100000001", kT0 - minutes(5)).id;
  const int64_t s = Open("4915100000002", kT0 - minutes(1)).id;
  ASSERT_TRUE(sessions->Assign(s, anna, std::nullopt).ok());
  auto routing = Routing();
  EXPECT_EQ(routing->Decline(s, ben).status().code(), ErrorCode::kForbidden);
  auto declined = routing->Decline(s, anna);
  ASSERT_TRUE(declined.ok()) << declined.status().ToString();
  EXPECT_EQ(declined->status, SessionStatus::kWaiting);
  EXPECT_FALSE(declined->agent_id.has_value());
  EXPECT_EQ(declined->queue_position, 1);  // ahead of the older session
  EXPECT_EQ(Get(older).queue_position, 2);
  EXPECT_EQ(routing->Decline(s, anna).status().code(), ErrorCode::kForbidden);
  // Auto mode: ben gets the declined one first, anna the other; never anna the declined one.
  Tx([&](StoreTx& tx) {
    return tx.SetAgentStatus(ben.id, AgentStatus::kAway, clock.Now()).status();
  });
  RoutingOptions o;
  o.auto_mode = true;
  EXPECT_EQ(Routing(o)->RunPass()->assigned, 1);
  EXPECT_EQ(Get(older).agent_id, anna.id);
  EXPECT_EQ(Get(s).status, SessionStatus::kWaiting);
  // After a reply a decline is refused.
  ASSERT_TRUE(sessions->Reply(older, anna, "Hello").ok());
  EXPECT_EQ(routing->Decline(older, anna).status().code(), ErrorCode::kConflict);
  EXPECT_EQ(metrics.declines.load(), 1u);
}

TEST_P(StoreRouting, TransferToAnAgentOrATeam) {
  Team billing = MakeTeam("Billing");
  const Agent boss = NewAgent("boss@example.com", Role::kSupervisor, "Boss");
  const Agent anna = Online("anna@x.com", 3);
  const Agent ben = Online("ben@x.com", 1);
  auto sessions = Sessions();
  const int64_t s = Open("4915100000001").id;
  const int64_t t = Open("4915100000002").id;
  ASSERT_TRUE(sessions->Assign(s, anna, std::nullopt).ok());
  ASSERT_TRUE(sessions->Assign(t, boss, ben.id).ok());
  auto routing = Routing();
  EXPECT_EQ(routing->Transfer(s, anna, ben.id, billing.id, "").status().code(),
            ErrorCode::kBadRequest);
  EXPECT_EQ(routing->Transfer(s, ben, anna.id, std::nullopt, "").status().code(),
            ErrorCode::kForbidden);
  EXPECT_EQ(routing->Transfer(s, anna, ben.id, std::nullopt, "").status().code(),
            ErrorCode::kAtCapacity);
  EXPECT_EQ(routing->Transfer(s, anna, std::nullopt, 9999, "").status().code(),
            ErrorCode::kNotFound);
  auto to_ben = routing->Transfer(t, ben, anna.id, std::nullopt, "knows the account");
  ASSERT_TRUE(to_ben.ok()) << to_ben.status().ToString();
  EXPECT_EQ(to_ben->agent_id, anna.id);
  EXPECT_EQ(ActiveChats(anna.id), 2);
  auto to_team = routing->Transfer(s, anna, std::nullopt, billing.id, "invoice question");
  ASSERT_TRUE(to_team.ok()) << to_team.status().ToString();
  EXPECT_EQ(to_team->status, SessionStatus::kWaiting);
  EXPECT_EQ(to_team->team_id, billing.id);
  EXPECT_EQ(to_team->team_name, "Billing");
  EXPECT_EQ(to_team->queue_position, 1);
  auto messages = store_->ListMessages(s, 0, 100);
  bool note = false, told = false;
  for (const Message& m : *messages) {
    note |= m.content == "Transferred to team Billing by anna: invoice question";
    told |= m.content == "Transferring you to Billing..." && m.direction == Direction::kOut;
  }
  EXPECT_TRUE(note);
  EXPECT_TRUE(told);
  auto events = store_->ListEvents(0, INT64_MAX, 1000);
  int transferred = 0;
  for (const EventRecord& e : *events) transferred += e.type == "session.transferred";
  EXPECT_EQ(transferred, 2);
}

// Issue 12's per-session times across routing's transitions (manual clock): the wait ends at the
// first assignment, first response and handle time count from it, whatever declines and
// transfers come between; a declined-then-abandoned chat is not "missed" (someone had it).
TEST_P(StoreRouting, TimesSurviveDeclineAndTransfer) {
  Team billing = MakeTeam("Billing");
  const Agent anna = Online("anna@x.com", 3);
  const Team general = (*store_->ListTeams())[0];
  const Agent ben =
      Online("ben@x.com", 3, {TeamRef{general.id, general.name}, TeamRef{billing.id, "Billing"}});
  auto sessions = Sessions();
  auto routing = Routing();
  const int64_t s = Open("4915100000011").id;  // opened at kT0

  clock.Advance(seconds(20));
  ASSERT_TRUE(sessions->Assign(s, anna, std::nullopt).ok());  // first assignment: T0+20 s
  clock.Advance(seconds(10));
  auto declined = routing->Decline(s, anna);
  ASSERT_TRUE(declined.ok()) << declined.status().ToString();
  EXPECT_EQ(declined->status, SessionStatus::kWaiting);
  EXPECT_EQ(declined->wait_ms, 20000) << "the first wait stays";
  EXPECT_FALSE(declined->first_response_ms.has_value());

  clock.Advance(seconds(30));
  auto again = sessions->Assign(s, ben, std::nullopt);  // T0+60 s
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->wait_ms, 20000);
  clock.Advance(seconds(15));
  ASSERT_TRUE(sessions->Reply(s, ben, "Ben here").ok());  // T0+75 s
  EXPECT_EQ(Get(s).first_response_ms, 55000) << "from the first assignment to the first reply";

  clock.Advance(seconds(5));
  auto moved = routing->Transfer(s, ben, std::nullopt, billing.id, "billing");
  ASSERT_TRUE(moved.ok()) << moved.status().ToString();
  clock.Advance(seconds(20));
  ASSERT_TRUE(sessions->Assign(s, ben, std::nullopt).ok());
  ASSERT_TRUE(sessions->Reply(s, ben, "About the invoice").ok());
  EXPECT_EQ(Get(s).first_response_ms, 55000) << "a later reply is no first response";
  clock.Advance(seconds(40));
  auto ended = sessions->End(s, ben);  // T0+140 s
  ASSERT_TRUE(ended.ok()) << ended.status().ToString();
  EXPECT_EQ(ended->wait_ms, 20000);
  EXPECT_EQ(ended->handle_ms, 120000) << "from the first assignment (T0+20 s) to the end";
  EXPECT_FALSE(ended->missed);

  // Declined, then abandoned while waiting again: assigned once, so not missed.
  const int64_t t = Open("4915100000012").id;
  ASSERT_TRUE(sessions->Assign(t, anna, std::nullopt).ok());
  ASSERT_TRUE(routing->Decline(t, anna).ok());
  const Agent boss = NewAgent("boss@example.com", Role::kSupervisor, "Boss");
  auto abandoned = sessions->End(t, boss);
  ASSERT_TRUE(abandoned.ok()) << abandoned.status().ToString();
  EXPECT_FALSE(abandoned->missed);
  EXPECT_TRUE(abandoned->wait_ms.has_value());
}

TEST_P(StoreRouting, AnExpiredClaimLeaseRequeuesAtTheFrontForSomeoneElse) {
  const Agent anna = Online("anna@x.com", 3);
  RoutingOptions o;
  o.auto_mode = true;
  o.first_response_timeout = seconds(90);
  auto routing = Routing(o);
  const int64_t s = Open("4915100000001").id;
  ASSERT_EQ(routing->RunPass()->assigned, 1);
  EXPECT_EQ(Get(s).agent_id, anna.id);
  clock.Advance(seconds(89));
  Tx([&](StoreTx& tx) {
    return tx.SetAgentStatus(anna.id, AgentStatus::kOnline, clock.Now()).status();
  });
  EXPECT_EQ(routing->RunPass()->lease_expired, 0);
  clock.Advance(seconds(2));
  const Agent ben = Online("ben@x.com", 3);
  Tx([&](StoreTx& tx) {
    return tx.SetAgentStatus(anna.id, AgentStatus::kOnline, clock.Now()).status();
  });
  auto rep = routing->RunPass();
  ASSERT_TRUE(rep.ok()) << rep.status().ToString();
  EXPECT_EQ(rep->lease_expired, 1);
  EXPECT_EQ(rep->assigned, 1);
  EXPECT_EQ(Get(s).agent_id, ben.id);  // not offered to anna again
  auto messages = store_->ListMessages(s, 0, 100);
  bool why = false;
  for (const Message& m : *messages) {
    why |= m.content.find("No reply from anna within 90 s") != std::string::npos;
  }
  EXPECT_TRUE(why);
  // A reply in time keeps the session.
  clock.Advance(seconds(10));
  auto sessions = Sessions();
  ASSERT_TRUE(sessions->Reply(s, ben, "Hi, Ben here").ok());
  clock.Advance(minutes(5));
  Tx([&](StoreTx& tx) {
    return tx.SetAgentStatus(ben.id, AgentStatus::kOnline, clock.Now()).status();
  });
  EXPECT_EQ(routing->RunPass()->lease_expired, 0);
  EXPECT_EQ(metrics.lease_expiries.load(), 1u);
}

TEST_P(StoreRouting, PriorityOrdersTheQueue) {
  const Agent boss = NewAgent("boss@example.com", Role::kSupervisor, "Boss");
  const Agent anna = NewAgent("anna@example.com");
  const int64_t a = Open("4915100000001", kT0 - minutes(3)).id;
  const int64_t b = Open("4915100000002", kT0 - minutes(2)).id;
  auto routing = Routing();
  EXPECT_EQ(routing->SetPriority(b, anna, 2).status().code(), ErrorCode::kForbidden);
  EXPECT_EQ(routing->SetPriority(b, boss, 4).status().code(), ErrorCode::kBadRequest);
  auto up = routing->SetPriority(b, boss, 2);
  ASSERT_TRUE(up.ok());
  EXPECT_EQ(up->priority, 2);
  EXPECT_EQ(up->queue_position, 1);
  EXPECT_EQ(Get(a).queue_position, 2);
  auto waiting = store_->ListWaiting();
  ASSERT_EQ(waiting->size(), 2u);
  EXPECT_EQ((*waiting)[0].id, b);
}

// Lists number the queues in one window pass (sql_rows.h kSessionFromRanked) instead of a count
// per row (8 s for 10,000 waiting sessions); the numbers must be those a single read counts:
// per team, higher priority first, then queue_order (0 after a decline: the front), then id.
TEST_P(StoreRouting, ListsNumberEachTeamsQueueAsASingleSessionReadDoes) {
  const Team general = (*store_->ListTeams())[0];
  const Team vip = MakeTeam("VIP");
  std::vector<int64_t> ids;
  for (int i = 0; i < 8; ++i) {
    ids.push_back(Open("49151000000" + std::to_string(10 + i), kT0 - minutes(20 - i)).id);
  }
  Tx([&](StoreTx& tx) -> Status {
    HANDOFFD_RETURN_IF_ERROR(tx.SetSessionPriority(ids[5], 2));
    HANDOFFD_RETURN_IF_ERROR(tx.SetSessionPriority(ids[6], 2));
    HANDOFFD_RETURN_IF_ERROR(tx.RequeueSession(ids[3], general.id, TimePoint{}).status());
    HANDOFFD_RETURN_IF_ERROR(tx.RequeueSession(ids[1], vip.id, kT0).status());
    HANDOFFD_RETURN_IF_ERROR(tx.RequeueSession(ids[7], vip.id, kT0).status());
    return tx.SetSessionPriority(ids[7], 1);
  });
  std::map<int64_t, std::optional<int64_t>> single;
  for (int64_t id : ids) single[id] = Get(id).queue_position;
  // general: 5 and 6 (priority 2), then 3 (front of priority 0), then 0, 2, 4; VIP: 7, then 1.
  EXPECT_EQ(single[ids[5]], 1);
  EXPECT_EQ(single[ids[6]], 2);
  EXPECT_EQ(single[ids[3]], 3);
  EXPECT_EQ(single[ids[0]], 4);
  EXPECT_EQ(single[ids[4]], 6);
  EXPECT_EQ(single[ids[7]], 1);
  EXPECT_EQ(single[ids[1]], 2);

  auto waiting = store_->ListWaiting();
  ASSERT_TRUE(waiting.ok()) << waiting.status().ToString();
  ASSERT_EQ(waiting->size(), ids.size());
  for (const Session& s : *waiting) EXPECT_EQ(s.queue_position, single[s.id]) << s.id;
  auto on_whatsapp = store_->ListWaitingOn("whatsapp");
  ASSERT_TRUE(on_whatsapp.ok()) << on_whatsapp.status().ToString();
  ASSERT_EQ(on_whatsapp->size(), ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    EXPECT_EQ((*on_whatsapp)[i].id, (*waiting)[i].id);
    EXPECT_EQ((*on_whatsapp)[i].queue_position, (*waiting)[i].queue_position);
  }
  EXPECT_TRUE(store_->ListWaitingOn("webchat")->empty());
  SessionQuery q;
  q.limit = 5;  // two pages: a page's positions are those of the whole queue
  for (q.offset = 0; q.offset < 10; q.offset += 5) {
    auto page = store_->QuerySessions(q);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    for (const Session& s : page->sessions) EXPECT_EQ(s.queue_position, single[s.id]) << s.id;
  }
  // An assigned session has no place; the others close up.
  const Agent anna = NewAgent("anna@example.com");
  ASSERT_TRUE(Assign(ids[5], anna.id));
  auto after = store_->QuerySessions(SessionQuery{});
  ASSERT_TRUE(after.ok());
  for (const Session& s : after->sessions) {
    const std::optional<int64_t> expected = s.id == ids[5]   ? std::nullopt
                                            : s.id == ids[6] ? std::optional<int64_t>(1)
                                            : s.id == ids[3] ? std::optional<int64_t>(2)
                                                             : Get(s.id).queue_position;
    EXPECT_EQ(s.queue_position, expected) << s.id;
  }
}

HANDOFFD_STORE_CONTRACT_SUITE(StoreRouting);

}  // namespace
}  // namespace handoffd::testing
