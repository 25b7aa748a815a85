// The auto-assignment rule (domain/routing_plan.h) as a pure function: who gets what, including
// ties, full capacity, declines, teams and priority; and an exhaustive check over small worlds
// that no plan ever exceeds a capacity, crosses a team, or skips a session an agent could take.
#include "domain/routing_plan.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

namespace handoffd {
namespace {

RoutingAgent A(int64_t id, int max, int active, std::vector<int64_t> teams = {1},
               std::optional<int64_t> last_ms = std::nullopt) {
  RoutingAgent a;
  a.id = id;
  a.max_chats = max;
  a.active_chats = active;
  a.teams = std::move(teams);
  if (last_ms) a.last_assigned_at = FromUnixMillis(*last_ms);
  return a;
}

QueuedSession S(int64_t id, int64_t order, int64_t team = 1, int priority = 0,
                std::set<int64_t> declined = {}) {
  QueuedSession s;
  s.id = id;
  s.team_id = team;
  s.priority = priority;
  s.queue_order = order;
  s.declined_by = std::move(declined);
  return s;
}

std::map<int64_t, int64_t> AsMap(const std::vector<PlannedAssignment>& plan) {
  std::map<int64_t, int64_t> out;
  for (const auto& p : plan) out[p.session_id] = p.agent_id;
  return out;
}

TEST(RoutingPlan, OldestSessionGoesToTheAgentWithFewestActiveChats) {
  auto plan = PlanAssignments({A(1, 3, 2), A(2, 3, 0)}, {S(10, 200), S(11, 100)});
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_EQ(plan[0].session_id, 11);  // the oldest first
  EXPECT_EQ(plan[0].agent_id, 2);
  EXPECT_EQ(plan[1].session_id, 10);
  EXPECT_EQ(plan[1].agent_id, 2);  // agent 2 still has fewer (1 < 2)
}

TEST(RoutingPlan, TiesGoToTheAgentAssignedLeastRecentlyThenNeverAssignedFirst) {
  // Equal load: never-assigned agent 3 first, then agent 2 (older assignment) before agent 1.
  auto plan = PlanAssignments({A(1, 5, 1, {1}, 2000), A(2, 5, 1, {1}, 1000), A(3, 5, 1)},
                              {S(10, 1), S(11, 2), S(12, 3)});
  EXPECT_EQ(AsMap(plan), (std::map<int64_t, int64_t>{{10, 3}, {11, 2}, {12, 1}}));
}

TEST(RoutingPlan, EqualRecencyFallsBackToTheLowestId) {
  auto plan = PlanAssignments({A(7, 5, 0), A(4, 5, 0)}, {S(10, 1)});
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_EQ(plan[0].agent_id, 4);
}

TEST(RoutingPlan, FullAgentsGetNothingAndUnlimitedAgentsTakeEverything) {
  EXPECT_TRUE(PlanAssignments({A(1, 2, 2)}, {S(10, 1)}).empty());
  auto plan = PlanAssignments({A(1, 0, 50)}, {S(10, 1), S(11, 2), S(12, 3)});
  EXPECT_EQ(plan.size(), 3u);
}

TEST(RoutingPlan, CapacityIsFilledExactly) {
  auto plan = PlanAssignments({A(1, 2, 0), A(2, 1, 0)}, {S(10, 1), S(11, 2), S(12, 3), S(13, 4)});
  EXPECT_EQ(AsMap(plan), (std::map<int64_t, int64_t>{{10, 1}, {11, 2}, {12, 1}}));
}

TEST(RoutingPlan, SessionsGoOnlyToMembersOfTheirTeam) {
  auto plan =
      PlanAssignments({A(1, 5, 0, {1}), A(2, 5, 0, {2})}, {S(10, 1, 2), S(11, 2, 1), S(12, 3, 3)});
  EXPECT_EQ(AsMap(plan), (std::map<int64_t, int64_t>{{10, 2}, {11, 1}}));
}

TEST(RoutingPlan, ADeclinedSessionIsNotOfferedAgainAndDoesNotBlockTheQueue) {
  auto plan = PlanAssignments({A(1, 5, 0)}, {S(10, 0, 1, 0, {1}), S(11, 5)});
  EXPECT_EQ(AsMap(plan), (std::map<int64_t, int64_t>{{11, 1}}));
  plan = PlanAssignments({A(1, 5, 0), A(2, 5, 3)}, {S(10, 0, 1, 0, {1})});
  EXPECT_EQ(AsMap(plan), (std::map<int64_t, int64_t>{{10, 2}}));
}

TEST(RoutingPlan, HigherPriorityFirstThenOldest) {
  auto plan = PlanAssignments({A(1, 1, 0)}, {S(10, 1, 1, 0), S(11, 9, 1, 3), S(12, 5, 1, 3)});
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_EQ(plan[0].session_id, 12);
}

TEST(RoutingPlan, ExhaustiveSmallWorldsKeepEveryRule) {
  // Every world of 3 agents (capacity 0..2 with 0 unlimited, active 0..2; teams {1}, {2} and
  // {1,2}) and 4 sessions (each in team 1 or 2): 729 x 16 worlds. Capacities hold, teams hold,
  // no session goes twice, and a session left over has no member with room.
  int worlds = 0;
  for (int code = 0; code < 729; ++code) {  // 3 agents x (max 0..2) x (active 0..2)
    std::vector<RoutingAgent> agents;
    int c = code;
    for (int i = 0; i < 3; ++i) {
      const int max = c % 3;
      c /= 3;
      const int active = c % 3;
      c /= 3;
      agents.push_back(A(i + 1, max, max == 0 ? active : std::min(active, max),
                         i == 0 ? std::vector<int64_t>{1}
                                : (i == 1 ? std::vector<int64_t>{2} : std::vector<int64_t>{1, 2})));
    }
    for (int teams = 0; teams < 16; ++teams) {
      std::vector<QueuedSession> queue;
      for (int k = 0; k < 4; ++k) queue.push_back(S(100 + k, k, ((teams >> k) & 1) + 1));
      const auto plan = PlanAssignments(agents, queue);
      ++worlds;
      std::map<int64_t, int> load;
      for (const auto& a : agents) load[a.id] = a.active_chats;
      std::set<int64_t> assigned;
      for (const auto& p : plan) {
        EXPECT_TRUE(assigned.insert(p.session_id).second) << "session assigned twice";
        ++load[p.agent_id];
        const RoutingAgent& a = agents[p.agent_id - 1];
        const QueuedSession& s = queue[p.session_id - 100];
        EXPECT_NE(std::find(a.teams.begin(), a.teams.end(), s.team_id), a.teams.end());
      }
      for (const auto& a : agents) {
        if (a.max_chats > 0) {
          EXPECT_LE(load[a.id], a.max_chats) << "code " << code;
        }
      }
      for (const auto& s : queue) {
        if (assigned.count(s.id)) continue;
        for (const auto& a : agents) {
          const bool member = std::find(a.teams.begin(), a.teams.end(), s.team_id) != a.teams.end();
          EXPECT_FALSE(member && (a.max_chats == 0 || load[a.id] < a.max_chats))
              << "session " << s.id << " left while agent " << a.id << " had room";
        }
      }
    }
  }
  EXPECT_GT(worlds, 1000);
}

}  // namespace
}  // namespace handoffd
