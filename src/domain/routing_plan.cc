#include "domain/routing_plan.h"

#include <algorithm>
#include <tuple>

namespace handoffd {

std::vector<PlannedAssignment> PlanAssignments(std::vector<RoutingAgent> agents,
                                               std::vector<QueuedSession> queue) {
  std::stable_sort(queue.begin(), queue.end(), [](const QueuedSession& a, const QueuedSession& b) {
    return std::make_tuple(-a.priority, a.queue_order, a.id) <
           std::make_tuple(-b.priority, b.queue_order, b.id);
  });
  // Recency rank: a never-assigned agent ranks lowest; each new assignment gets a rank above
  // every existing one.
  std::vector<int64_t> recency(agents.size());
  int64_t next_rank = 1;
  {
    std::vector<size_t> order(agents.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t x, size_t y) {
      const auto& a = agents[x].last_assigned_at;
      const auto& b = agents[y].last_assigned_at;
      if (a.has_value() != b.has_value()) return !a.has_value();
      if (a && *a != *b) return *a < *b;
      return agents[x].id < agents[y].id;
    });
    for (size_t i : order) recency[i] = agents[i].last_assigned_at ? next_rank++ : 0;
  }
  auto has_room = [](const RoutingAgent& a) {
    return a.max_chats == 0 || a.active_chats < a.max_chats;
  };
  std::vector<PlannedAssignment> out;
  for (const QueuedSession& s : queue) {
    std::optional<size_t> best;
    for (size_t i = 0; i < agents.size(); ++i) {
      const RoutingAgent& a = agents[i];
      if (!has_room(a) || s.declined_by.count(a.id) > 0) continue;
      if (std::find(a.teams.begin(), a.teams.end(), s.team_id) == a.teams.end()) continue;
      if (!best) {
        best = i;
        continue;
      }
      const RoutingAgent& b = agents[*best];
      if (std::make_tuple(a.active_chats, recency[i], a.id) <
          std::make_tuple(b.active_chats, recency[*best], b.id)) {
        best = i;
      }
    }
    if (!best) continue;
    ++agents[*best].active_chats;
    recency[*best] = next_rank++;
    out.push_back({s.id, agents[*best].id});
  }
  return out;
}

}  // namespace handoffd
