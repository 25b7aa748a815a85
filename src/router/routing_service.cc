#include "router/routing_service.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "domain/event.h"
#include "router/conversation.h"
#include "router/session_service.h"

namespace handoffd {
namespace {

// How far back the waits behind an estimate go, and how many.
constexpr Duration kWaitHistory = std::chrono::hours(24);
constexpr int kWaitSamples = 20;

Status NotFoundSession(int64_t id) {
  return Status::NotFound("session " + std::to_string(id) + " not found");
}

std::string Replace(std::string text, const std::string& var, const std::string& value) {
  for (size_t pos = text.find(var); pos != std::string::npos;
       pos = text.find(var, pos + value.size())) {
    text.replace(pos, var.size(), value);
  }
  return text;
}

std::string Seconds(Duration d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(d).count()) + " s";
}

}  // namespace

std::string FormatWait(Duration wait) {
  const int64_t ms = std::max<int64_t>(wait.count(), 1);
  const int64_t minutes = (ms + 59999) / 60000;
  return std::to_string(minutes) + (minutes == 1 ? " minute" : " minutes");
}

std::optional<Duration> EstimateWait(std::vector<Duration> recent, int64_t position) {
  if (recent.empty() || position < 1) return std::nullopt;
  std::sort(recent.begin(), recent.end());
  const size_t n = recent.size();
  const Duration median = n % 2 == 1 ? recent[n / 2] : (recent[n / 2 - 1] + recent[n / 2]) / 2;
  return median * position;
}

std::string QueuedText(const std::string& tmpl, int64_t position, const std::string& wait) {
  std::string text = Replace(tmpl, "{position}", std::to_string(position));
  const size_t var = text.find("{wait}");
  if (var == std::string::npos) return text;
  if (!wait.empty()) return Replace(text, "{wait}", wait);
  // Drop the sentence holding {wait}: from after the previous ". " to the next "." (inclusive).
  size_t begin = text.rfind(". ", var);
  begin = begin == std::string::npos ? 0 : begin + 1;
  size_t end = text.find('.', var);
  end = end == std::string::npos ? text.size() : end + 1;
  text.erase(begin, end - begin);
  while (!text.empty() && text.back() == ' ') text.pop_back();
  while (!text.empty() && text.front() == ' ') text.erase(0, 1);
  return text;
}

RoutingService::RoutingService(Store& store, const Clock& clock, Metrics& metrics,
                               RoutingOptions options)
    : store_(store), clock_(clock), metrics_(metrics), options_(std::move(options)) {}

Result<Session> RoutingService::Reload(int64_t session_id) {
  HANDOFFD_ASSIGN_OR_RETURN(auto s, store_.GetSession(session_id));
  if (!s.has_value()) return NotFoundSession(session_id);
  return *s;
}

Opening RoutingService::OpeningNow(const Team& team) const {
  auto o = OpeningAt(team, clock_.Now());
  return o.ok() ? *o : Opening{};
}

Result<bool> RoutingService::AnswersNow(const Team& team, TimePoint now) {
  auto opening = OpeningAt(team, now);
  if (opening.ok() && !opening->open_now) return false;
  if (!options_.after_hours_when_no_agents) return true;
  HANDOFFD_ASSIGN_OR_RETURN(auto agents, store_.ListAgents());
  return std::any_of(agents.begin(), agents.end(), [&](const Agent& a) {
    return WithPresence(a, now).status == AgentStatus::kOnline &&
           std::any_of(a.teams.begin(), a.teams.end(),
                       [&](const TeamRef& t) { return t.id == team.id; });
  });
}

Result<QueueStanding> RoutingService::Standing(const Session& s) {
  const TimePoint now = clock_.Now();
  QueueStanding out;
  HANDOFFD_ASSIGN_OR_RETURN(auto teams, store_.ListTeams());
  for (const Team& t : teams) {
    if (t.id != s.team_id) continue;
    HANDOFFD_ASSIGN_OR_RETURN(out.open_now, AnswersNow(t, now));
  }
  if (s.status != SessionStatus::kWaiting || !s.queue_position) return out;
  out.position = s.queue_position;
  // Only this team's history (LoadQueueContext reads every team's, for a whole pass).
  HANDOFFD_ASSIGN_OR_RETURN(auto waits,
                            store_.RecentWaits(s.team_id, now - kWaitHistory, kWaitSamples));
  out.estimated_wait = EstimateWait(std::move(waits), *s.queue_position);
  return out;
}

Result<bool> RoutingService::TeamOpenNow(const std::string& team_slug) {
  HANDOFFD_ASSIGN_OR_RETURN(auto teams, store_.ListTeams());
  const std::string slug = team_slug.empty() ? "general" : team_slug;
  auto it = std::find_if(teams.begin(), teams.end(), [&](const Team& t) { return t.slug == slug; });
  if (it == teams.end()) {
    it =
        std::find_if(teams.begin(), teams.end(), [](const Team& t) { return t.slug == "general"; });
  }
  if (it == teams.end()) return true;
  return AnswersNow(*it, clock_.Now());
}

Result<PassReport> RoutingService::RunPass() {
  PassReport report;
  const TimePoint now = clock_.Now();
  if (options_.auto_mode && options_.first_response_timeout.count() > 0) {
    HANDOFFD_ASSIGN_OR_RETURN(report.lease_expired, ExpireLeases(now));
  }
  // Auto mode: first-time queue texts only to the sessions the assignment step saw waiting
  // (RoutingState::untold): one that opened since is the next pass's to assign or tell.
  std::optional<std::set<int64_t>> seen;
  if (options_.auto_mode) {
    seen.emplace();
    HANDOFFD_ASSIGN_OR_RETURN(report.assigned, AutoAssign(now, *seen));
  }
  HANDOFFD_ASSIGN_OR_RETURN(report.notices, SendQueueNotices(now, seen));
  return report;
}

Result<int> RoutingService::ExpireLeases(TimePoint now) {
  int expired = 0;
  Status st = store_.Transact([&](StoreTx& tx) -> Status {
    expired = 0;
    HANDOFFD_ASSIGN_OR_RETURN(
        auto due, tx.LockLeaseDue(now - options_.first_response_timeout, options_.batch_limit));
    for (const Session& s : due) {
      if (!s.agent_id) continue;
      HANDOFFD_RETURN_IF_ERROR(tx.RecordDecline(s.id, *s.agent_id, now));
      HANDOFFD_ASSIGN_OR_RETURN(auto requeued, tx.RequeueSession(s.id, s.team_id, TimePoint{}));
      if (!requeued) continue;
      HANDOFFD_ASSIGN_OR_RETURN(auto updated,
                                PublishSession(tx, "session.assigned", s.id, true, now));
      HANDOFFD_RETURN_IF_ERROR(AddSystemNote(
          tx, updated,
          "No reply from " + s.agent_name.value_or("the agent") + " within " +
              Seconds(options_.first_response_timeout) + ": back to the front of the queue",
          now));
      ++expired;
    }
    return Status::Ok();
  });
  if (!st.ok()) return st;
  if (expired > 0) {
    metrics_.lease_expiries += expired;
    if (options_.on_events) options_.on_events();
  }
  return expired;
}

Result<int> RoutingService::AutoAssign(TimePoint now, std::set<int64_t>& untold) {
  int assigned = 0;
  std::vector<int64_t> first_waits_ms;  // waits of first assignments, observed after the commit
  Status st = store_.Transact([&](StoreTx& tx) -> Status {
    assigned = 0;
    first_waits_ms.clear();
    HANDOFFD_ASSIGN_OR_RETURN(
        auto state, tx.LockRoutingState(now - options_.presence_window, options_.batch_limit));
    untold = std::move(state.untold);
    if (state.queue.empty()) return Status::Ok();
    std::vector<RoutingAgent> agents;
    std::map<int64_t, std::string> names;
    for (const Agent& a : state.agents) {
      RoutingAgent r;
      r.id = a.id;
      r.max_chats = a.max_chats;
      r.active_chats = a.active_chats;
      for (const TeamRef& t : a.teams) r.teams.push_back(t.id);
      r.last_assigned_at = a.last_assigned_at;
      agents.push_back(std::move(r));
      names[a.id] = a.name;
    }
    // Set-based, as the expiry sweep: one statement assigns every planned session, then the
    // rows the per-session path wrote for each (session.assigned; the system note and the
    // agent_joined text with their message.created events; the text's outbox item) are written
    // a few statements for all, in that same order session after session.
    HANDOFFD_ASSIGN_OR_RETURN(
        auto updated, tx.AssignSessions(PlanAssignments(std::move(agents), state.queue), now));
    if (updated.empty()) return Status::Ok();
    std::vector<Message> messages;
    messages.reserve(2 * updated.size());
    for (const Session& s : updated) {
      const std::string& name = names[s.agent_id.value_or(0)];
      messages.push_back(SystemNoteMessage(s, "Assigned to " + name + " (auto)", now));
      messages.push_back(OutboundTextMessage(s, SenderType::kSystem, "",
                                             Substitute(options_.agent_joined_text, name), now));
    }
    HANDOFFD_ASSIGN_OR_RETURN(auto stored, tx.InsertMessages(messages));
    std::vector<EventRecord> events;
    std::vector<OutboxItem> outbox;
    events.reserve(3 * updated.size());
    outbox.reserve(updated.size());
    for (size_t k = 0; k < updated.size(); ++k) {
      const Session& s = updated[k];
      const Message& note = stored[2 * k];
      const Message& text = stored[2 * k + 1];
      events.push_back(SessionEvent("session.assigned", s, true, now));
      events.push_back(MessageEvent("message.created", note, s, now));
      events.push_back(MessageEvent("message.created", text, s, now));
      outbox.push_back(TextOutboxItem(s, text, now));
      if (s.wait_ms && s.assigned_at &&
          ToUnixMillis(*s.assigned_at) - ToUnixMillis(s.created_at) == *s.wait_ms) {
        first_waits_ms.push_back(*s.wait_ms);
      }
    }
    HANDOFFD_RETURN_IF_ERROR(tx.EnqueueMany(outbox));
    HANDOFFD_RETURN_IF_ERROR(tx.AppendEvents(events));
    assigned = static_cast<int>(updated.size());
    return Status::Ok();
  });
  if (!st.ok()) return st;
  if (assigned > 0) {
    metrics_.assignments_auto += assigned;
    for (int64_t ms : first_waits_ms) metrics_.ObserveWait(static_cast<double>(ms) / 1000.0);
    if (options_.on_outbox) options_.on_outbox();
    if (options_.on_events) options_.on_events();
  }
  return assigned;
}

Result<QueueContext> RoutingService::LoadQueueContext(TimePoint now) {
  QueueContext ctx;
  HANDOFFD_ASSIGN_OR_RETURN(auto teams, store_.ListTeams());
  for (Team& t : teams) {
    HANDOFFD_ASSIGN_OR_RETURN(ctx.waits[t.id],
                              store_.RecentWaits(t.id, now - kWaitHistory, kWaitSamples));
    ctx.teams[t.id] = std::move(t);
  }
  if (options_.after_hours_when_no_agents) {
    HANDOFFD_ASSIGN_OR_RETURN(auto agents, store_.ListAgents());
    for (const Agent& a : agents) {
      if (WithPresence(a, now).status != AgentStatus::kOnline) continue;
      for (const TeamRef& t : a.teams) ctx.staffed.insert(t.id);
    }
  }
  return ctx;
}

std::string RoutingService::QueueNotice(const QueueContext& ctx, const Session& s, bool first,
                                        TimePoint now) const {
  const int64_t position = s.queue_position.value_or(1);
  auto team = ctx.teams.find(s.team_id);
  if (first && team != ctx.teams.end()) {
    auto opening = OpeningAt(team->second, now);
    const bool closed = opening.ok() && !opening->open_now;
    const bool unstaffed = options_.after_hours_when_no_agents && ctx.staffed.count(s.team_id) == 0;
    if (closed || unstaffed) {
      const std::optional<TimePoint> next = opening.ok() ? opening->next_open : std::nullopt;
      return Replace(options_.after_hours_text, "{next_open}",
                     next ? FormatLocal(team->second, *next) : "");
    }
  }
  auto waits = ctx.waits.find(s.team_id);
  auto estimate = waits == ctx.waits.end() ? std::nullopt : EstimateWait(waits->second, position);
  return QueuedText(options_.queued_text, position, estimate ? FormatWait(*estimate) : "");
}

Status RoutingService::AnnounceInTx(StoreTx& tx, const QueueContext& ctx, const Session& s,
                                    TimePoint now) const {
  if (s.status != SessionStatus::kWaiting || !s.queue_position) return Status::Ok();
  HANDOFFD_RETURN_IF_ERROR(tx.MarkQueueTold(s.id, *s.queue_position, now));
  const std::string text = QueueNotice(ctx, s, true, now);
  if (text.empty()) return Status::Ok();
  return QueueText(tx, s, SenderType::kSystem, "", text, now).status();
}

Result<int> RoutingService::SendQueueNotices(TimePoint now,
                                             const std::optional<std::set<int64_t>>& seen) {
  // The history is read before the transaction (Store calls never run inside one).
  HANDOFFD_ASSIGN_OR_RETURN(auto ctx, LoadQueueContext(now));
  int sent = 0;
  Status st = store_.Transact([&](StoreTx& tx) -> Status {
    sent = 0;
    HANDOFFD_ASSIGN_OR_RETURN(
        auto due, tx.LockQueueNotices(options_.queue_updates, now - options_.queue_update_interval,
                                      options_.batch_limit));
    for (const auto& [s, told] : due) {
      if (!s.queue_position) continue;
      const int64_t position = *s.queue_position;
      if (told && position >= *told) continue;                // not improved
      if (!told && seen && seen->count(s.id) == 0) continue;  // opened after the assignment step
      HANDOFFD_RETURN_IF_ERROR(tx.MarkQueueTold(s.id, position, now));
      const std::string text = QueueNotice(ctx, s, !told.has_value(), now);
      if (text.empty()) continue;
      HANDOFFD_RETURN_IF_ERROR(QueueText(tx, s, SenderType::kSystem, "", text, now).status());
      ++sent;
    }
    return Status::Ok();
  });
  if (!st.ok()) return st;
  if (sent > 0) {
    if (options_.on_outbox) options_.on_outbox();
    if (options_.on_events) options_.on_events();
  }
  return sent;
}

Result<Session> RoutingService::Decline(int64_t session_id, const Agent& actor) {
  const TimePoint now = clock_.Now();
  Status st = store_.Transact([&](StoreTx& tx) -> Status {
    HANDOFFD_ASSIGN_OR_RETURN(auto locked, tx.LockSession(session_id));
    if (!locked.has_value()) return NotFoundSession(session_id);
    const Session& s = *locked;
    if (s.agent_id != actor.id) {
      return Status::Forbidden("only the assigned agent may decline session " +
                               std::to_string(session_id));
    }
    if (s.status != SessionStatus::kActive || !s.assigned_at) {
      return Status::Conflict("session " + std::to_string(session_id) + " is not active");
    }
    HANDOFFD_ASSIGN_OR_RETURN(auto replied, tx.AgentReplied(s.id, *s.assigned_at));
    if (replied) {
      return Status::Conflict("session " + std::to_string(session_id) +
                              " cannot be declined after a reply");
    }
    HANDOFFD_RETURN_IF_ERROR(tx.RecordDecline(s.id, actor.id, now));
    HANDOFFD_ASSIGN_OR_RETURN(auto requeued, tx.RequeueSession(s.id, s.team_id, TimePoint{}));
    if (!requeued) return Status::Conflict("session " + std::to_string(session_id) + " has ended");
    HANDOFFD_ASSIGN_OR_RETURN(auto updated,
                              PublishSession(tx, "session.assigned", s.id, true, now));
    return AddSystemNote(tx, updated, actor.name + " declined the chat", now);
  });
  if (!st.ok()) return st;
  ++metrics_.declines;
  if (options_.on_events) options_.on_events();
  if (options_.on_requeued) options_.on_requeued();
  return Reload(session_id);
}

Result<Session> RoutingService::Transfer(int64_t session_id, const Agent& actor,
                                         std::optional<int64_t> agent_id,
                                         std::optional<int64_t> team_id, const std::string& note) {
  if (agent_id.has_value() == team_id.has_value()) {
    return Status::BadRequest("give exactly one of agent_id and team_id");
  }
  if (note.size() > 4096) return Status::BadRequest("note must be at most 4096 characters");
  std::optional<Team> team;
  if (team_id) {
    HANDOFFD_ASSIGN_OR_RETURN(auto teams, store_.ListTeams());
    for (Team& t : teams) {
      if (t.id == *team_id) team = std::move(t);
    }
    if (!team) return Status::NotFound("team " + std::to_string(*team_id) + " not found");
  }
  const TimePoint now = clock_.Now();
  bool requeued = false;
  Status st = store_.Transact([&](StoreTx& tx) -> Status {
    HANDOFFD_ASSIGN_OR_RETURN(auto locked, tx.LockSession(session_id));
    if (!locked.has_value()) return NotFoundSession(session_id);
    const Session& s = *locked;
    const bool own = s.agent_id && *s.agent_id == actor.id;
    if (!own && !IsSupervisor(actor.role)) {
      return Status::Forbidden("only the assigned agent or a supervisor may transfer this session");
    }
    if (s.status == SessionStatus::kEnded) {
      return Status::Conflict("session " + std::to_string(session_id) + " has ended");
    }
    const std::string suffix = note.empty() ? "" : ": " + note;
    if (team) {
      HANDOFFD_ASSIGN_OR_RETURN(auto moved, tx.RequeueSession(s.id, team->id, s.created_at));
      if (!moved) return Status::Conflict("session " + std::to_string(session_id) + " has ended");
      HANDOFFD_ASSIGN_OR_RETURN(auto updated,
                                PublishSession(tx, "session.assigned", s.id, true, now));
      HANDOFFD_RETURN_IF_ERROR(
          tx.AppendEvent(SessionEvent("session.transferred", updated, true, now)));
      HANDOFFD_RETURN_IF_ERROR(AddSystemNote(
          tx, updated, "Transferred to team " + team->name + " by " + actor.name + suffix, now));
      requeued = true;
      return QueueText(tx, updated, SenderType::kSystem, "",
                       Replace(options_.transferred_text, "{team_name}", team->name), now)
          .status();
    }
    HANDOFFD_ASSIGN_OR_RETURN(auto target, tx.GetAgent(*agent_id));
    if (!target.has_value()) {
      return Status::NotFound("agent " + std::to_string(*agent_id) + " not found");
    }
    if (s.agent_id == target->id && s.status == SessionStatus::kActive) {
      return Status::Conflict("session " + std::to_string(session_id) + " is already with " +
                              target->name);
    }
    HANDOFFD_RETURN_IF_ERROR(CheckCanTake(tx, s, *target, false));
    HANDOFFD_ASSIGN_OR_RETURN(auto won, tx.AssignSession(s.id, target->id, now, true));
    if (!won) return Status::Conflict("session " + std::to_string(session_id) + " has ended");
    HANDOFFD_ASSIGN_OR_RETURN(auto updated,
                              PublishSession(tx, "session.assigned", s.id, true, now));
    HANDOFFD_RETURN_IF_ERROR(
        tx.AppendEvent(SessionEvent("session.transferred", updated, true, now)));
    HANDOFFD_RETURN_IF_ERROR(AddSystemNote(
        tx, updated, "Transferred to " + target->name + " by " + actor.name + suffix, now));
    return QueueText(tx, updated, SenderType::kSystem, "",
                     Substitute(options_.agent_joined_text, target->name), now)
        .status();
  });
  if (!st.ok()) return st;
  if (!requeued) ++metrics_.assignments_transfer;
  if (options_.on_outbox) options_.on_outbox();
  if (options_.on_events) options_.on_events();
  if (options_.on_requeued) options_.on_requeued();
  return Reload(session_id);
}

Result<Session> RoutingService::SetPriority(int64_t session_id, const Agent& actor, int priority) {
  if (!IsSupervisor(actor.role)) {
    return Status::Forbidden("only supervisors and admins may set a priority");
  }
  if (priority < 0 || priority > kMaxPriority) {
    return Status::BadRequest("priority must be an integer from 0 to 3");
  }
  const TimePoint now = clock_.Now();
  Status st = store_.Transact([&](StoreTx& tx) -> Status {
    HANDOFFD_ASSIGN_OR_RETURN(auto locked, tx.LockSession(session_id));
    if (!locked.has_value()) return NotFoundSession(session_id);
    HANDOFFD_RETURN_IF_ERROR(tx.SetSessionPriority(session_id, priority));
    return PublishSession(tx, "session.updated", session_id,
                          locked->status == SessionStatus::kWaiting, now)
        .status();
  });
  if (!st.ok()) return st;
  if (options_.on_events) options_.on_events();
  if (options_.on_requeued) options_.on_requeued();
  return Reload(session_id);
}

}  // namespace handoffd
