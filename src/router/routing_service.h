// Teams, queues and routing actions (PRODUCT.md "Teams, queues and routing"; API.md "Teams and
// routing"): auto-assignment passes, the claim lease, decline, transfer, priority, and the
// queue-position / after-hours texts to waiting customers. Every action runs in one transaction;
// capacity is decided under the agent row locks (StoreTx::LockAgent / LockRoutingState), so
// concurrent passes and accepts on several instances never exceed max_chats nor give one
// session to two agents. Thread-safe.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "domain/agent.h"
#include "domain/session.h"
#include "domain/team.h"
#include "metrics/metrics.h"
#include "routing/business_hours.h"
#include "store/store.h"

namespace handoffd {

struct RoutingOptions {
  /// routing.mode = auto: the router assigns waiting sessions itself.
  bool auto_mode = false;
  /// routing.first_response_timeout (auto mode; zero: off): an assigned session without an
  /// agent reply after this goes back to the front of its queue.
  Duration first_response_timeout{0};
  /// routing.when_no_agents = after_hours: within hours but with no member online, the customer
  /// gets the after-hours text instead of their place in the queue.
  bool after_hours_when_no_agents = false;
  /// routing.queue_updates / queue_update_interval.
  bool queue_updates = false;
  Duration queue_update_interval = std::chrono::minutes(2);
  std::string queued_text = "You are number {position} in line. Estimated wait: about {wait}.";
  std::string after_hours_text = "We are closed now and will answer when we open ({next_open}).";
  std::string transferred_text = "Transferring you to {team_name}...";
  std::string agent_joined_text = "You are now chatting with {agent_name}.";
  /// An agent without a sign of life for this long is offline (domain/agent.h WithPresence).
  Duration presence_window = std::chrono::seconds(60);
  /// At most this many sessions per team per pass.
  int batch_limit = 1000;
  /// Called after a commit that queued outbox items / wrote events.
  std::function<void()> on_outbox;
  std::function<void()> on_events;
  /// Called after a commit that put a session back in a queue (decline, transfer to a team).
  std::function<void()> on_requeued;
};

/// What the queue texts are made from, read before the transaction that sends them: the teams,
/// their recent waits, and (routing.when_no_agents = after_hours) the teams with a member online.
struct QueueContext {
  std::map<int64_t, Team> teams;
  std::map<int64_t, std::vector<Duration>> waits;
  std::set<int64_t> staffed;
};

/// Where a waiting session stands, for channels that show it live (the web chat widget).
struct QueueStanding {
  /// 1-based place in its team's queue; nullopt unless waiting.
  std::optional<int64_t> position;
  /// EstimateWait over the team's recent waits; nullopt without history or unless waiting.
  std::optional<Duration> estimated_wait;
  /// The team's business hours are open now (and, with routing.when_no_agents = after_hours, a
  /// member is online).
  bool open_now = true;
};

/// What one RoutingService::RunPass did.
struct PassReport {
  int lease_expired = 0;
  int assigned = 0;
  int notices = 0;  // queue-position or after-hours texts queued
};

/// The texts' {wait}: "1 minute", "4 minutes" (rounded up to whole minutes).
std::string FormatWait(Duration wait);

/// The estimate of PRODUCT.md "Queue position and wait": the median of the team's recent real
/// waits (`recent`, at least one) times `position`; nullopt without history.
std::optional<Duration> EstimateWait(std::vector<Duration> recent, int64_t position);

/// texts.queued with {position} and {wait}; an empty {wait} drops the sentence holding it.
std::string QueuedText(const std::string& tmpl, int64_t position, const std::string& wait);

class RoutingService {
 public:
  RoutingService(Store& store, const Clock& clock, Metrics& metrics, RoutingOptions options);

  const RoutingOptions& options() const { return options_; }

  /// One routing pass, each step in its own transaction: expired claim leases back to their
  /// queues (auto mode with a timeout), auto-assignment (auto mode), then the queue texts due
  /// (in auto mode a first text only to the sessions the assignment step saw waiting).
  Result<PassReport> RunPass();

  /// The assigned agent gives the session back before its first reply: it goes to the front of
  /// its queue and is never offered to that agent again. kForbidden for anyone else; kConflict
  /// unless active, or once the agent has replied.
  Result<Session> Decline(int64_t session_id, const Agent& actor);

  /// Moves an active (or waiting) session to agent `agent_id` (capacity enforced) or to team
  /// `team_id`'s queue (the customer is told texts.transferred), with an internal `note`.
  /// Exactly one target (kBadRequest otherwise); the assigned agent or a supervisor/admin
  /// (kForbidden otherwise); kNotFound for an unknown target; kConflict once ended.
  Result<Session> Transfer(int64_t session_id, const Agent& actor, std::optional<int64_t> agent_id,
                           std::optional<int64_t> team_id, const std::string& note);

  /// Sets the session's priority (0..3; kBadRequest otherwise). Supervisors/admins only.
  Result<Session> SetPriority(int64_t session_id, const Agent& actor, int priority);

  /// The team's opening now (always open when its hours are invalid).
  Opening OpeningNow(const Team& team) const;

  /// Where session `s` stands in its team's queue now (Store reads: outside any transaction).
  Result<QueueStanding> Standing(const Session& s);
  /// Whether the team with slug `team_slug` (empty: `general`) answers now; true for an
  /// unknown slug (the session would queue in `general`, checked the same way).
  Result<bool> TeamOpenNow(const std::string& team_slug);

  /// Reads what QueueNotice needs (Store reads: call it outside any transaction).
  Result<QueueContext> LoadQueueContext(TimePoint now);
  /// Whether `team` answers at `now`: within its hours and, with routing.when_no_agents =
  /// after_hours, with a member online (the rule QueueNotice applies). Store reads.
  Result<bool> AnswersNow(const Team& team, TimePoint now);
  /// The text for waiting session `s` (queue_position set): the first time (`first`), the
  /// after-hours text when its team is closed (or unstaffed, per routing.when_no_agents), else
  /// texts.queued with the estimate; later only texts.queued. Pure.
  std::string QueueNotice(const QueueContext& ctx, const Session& s, bool first,
                          TimePoint now) const;
  /// Tells the customer of just-opened session `s` their place inside the opening transaction
  /// (manual mode: nothing else will happen to it at once), and records it as told.
  Status AnnounceInTx(StoreTx& tx, const QueueContext& ctx, const Session& s, TimePoint now) const;

 private:
  Result<int> ExpireLeases(TimePoint now);
  /// Also returns, in `untold`, the waiting sessions never told their place that it saw
  /// (RoutingState::untold).
  Result<int> AutoAssign(TimePoint now, std::set<int64_t>& untold);
  /// `seen` (auto mode): a customer never told their place is told only if listed.
  Result<int> SendQueueNotices(TimePoint now, const std::optional<std::set<int64_t>>& seen);
  Result<Session> Reload(int64_t session_id);

  Store& store_;
  const Clock& clock_;
  Metrics& metrics_;
  RoutingOptions options_;
};

}  // namespace handoffd
