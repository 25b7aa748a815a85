#include "router/router.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "domain/event.h"
#include "domain/json_views.h"
#include "domain/webchat.h"
#include "outbox/outbox_payload.h"
#include "router/conversation.h"
#include "router/csat.h"

namespace handoffd {
namespace {

bool Matches(const std::vector<std::string>& keywords, const std::string& text) {
  if (keywords.empty()) return false;
  const std::string t = NormalizeKeyword(text);
  return std::any_of(keywords.begin(), keywords.end(),
                     [&](const std::string& k) { return NormalizeKeyword(k) == t; });
}

}  // namespace

Router::Router(Store& store, const Clock& clock, Logger& log, Metrics& metrics,
               RouterOptions options)
    : store_(store), clock_(clock), log_(log), metrics_(metrics), options_(std::move(options)) {
  if (options_.group_commit.max_batch > 1) {
    group_ = std::make_unique<GroupCommitter>(store_, options_.group_commit);
  }
}

bool Router::IsTrigger(const InboundMessage& m) const {
  if ((m.type == "interactive" || m.type == "button") && !m.reply_id.empty()) {
    return m.reply_id == options_.trigger_id;
  }
  return m.type == "text" && Matches(options_.trigger_keywords, m.text);
}

bool Router::IsEndKeyword(const InboundMessage& m) const {
  return m.type == "text" && Matches(options_.end_keywords, m.text);
}

Message Router::CustomerMessage(const InboundMessage& m, TimePoint now) const {
  Message msg;
  msg.sender_type = SenderType::kCustomer;
  msg.sender_id = m.customer.key;
  msg.direction = Direction::kIn;
  msg.type = m.type;
  msg.content = m.content;
  msg.metadata = m.metadata;
  msg.channel_message_id = m.channel_message_id;
  msg.delivery_status = DeliveryStatus::kReceived;
  msg.created_at = now;
  if (m.sent_at != TimePoint{}) msg.sent_at = m.sent_at;  // the customer's own time
  return msg;
}

bool Router::FastPathApplies(const InboundBatch& batch) const {
  return batch.messages.size() == 1 && batch.statuses.empty() && !IsEndKeyword(batch.messages[0]);
}

std::optional<std::pair<TimePoint, TimePoint>> Router::Extension(const InboundMessage& m) const {
  if (!m.extends_window) return std::nullopt;
  return std::make_pair(m.sent_at, m.sent_at + options_.session_ttl);
}

void Router::RecordAppend(const InboundMessage& m, const AppendOutcome& appended, Outcome& out) {
  if (appended.message_id) {
    out.report.messages_stored = 1;
    out.report.message_ids.push_back(*appended.message_id);
    out.logs.push_back({{"event", "message.received"},
                        {"fields",
                         {{"session_id", *appended.session_id},
                          {"message_id", *appended.message_id},
                          {"wamid", m.channel_message_id},
                          {"type", m.type}}}});
  } else {
    out.report.duplicates = 1;
    out.logs.push_back(
        {{"event", "message.duplicate"}, {"fields", {{"wamid", m.channel_message_id}}}});
  }
}

namespace {

// How far in the future a channel's timestamp may be before it is taken as now: a timestamp of
// 1e11 once set expires_at to the year 5138 (issue 9 #6).
constexpr Duration kMaxFutureSkew = std::chrono::minutes(5);

bool HasFutureTimestamp(const InboundBatch& batch, TimePoint now) {
  for (const auto& m : batch.messages) {
    if (m.sent_at > now + kMaxFutureSkew) return true;
  }
  for (const auto& s : batch.statuses) {
    if (s.at > now + kMaxFutureSkew) return true;
  }
  return false;
}

}  // namespace

Result<RouteReport> Router::HandleBatch(const InboundBatch& received, const std::string& raw_body) {
  const TimePoint now = clock_.Now();
  InboundBatch clamped;
  if (HasFutureTimestamp(received, now)) {
    clamped = received;
    for (auto& m : clamped.messages) {
      if (m.sent_at > now + kMaxFutureSkew) {
        log_.Warn("webhook.future_timestamp",
                  {{"wamid", m.channel_message_id}, {"sent_at", FormatRfc3339(m.sent_at)}});
        m.sent_at = now;
      }
    }
    for (auto& s : clamped.statuses) {
      if (s.at > now + kMaxFutureSkew) s.at = now;
    }
  }
  const InboundBatch& batch =
      clamped.messages.empty() && clamped.statuses.empty() ? received : clamped;
  // What the queue text needs, read before the transaction, when a message may open a session.
  std::optional<QueueContext> queue;
  if (options_.routing != nullptr && !options_.routing->options().auto_mode &&
      std::any_of(batch.messages.begin(), batch.messages.end(), [&](const InboundMessage& m) {
        return IsTrigger(m) ||
               ((m.type == "interactive" || m.type == "button") && !m.reply_id.empty());
      })) {
    HANDOFFD_ASSIGN_OR_RETURN(queue, options_.routing->LoadQueueContext(now));
  }
  Outcome out;
  if (group_) {
    // One transaction shared with concurrent webhooks; answered after its commit.
    const std::string key = batch.messages.empty() ? std::string() : batch.messages[0].customer.key;
    // The fast path's append goes into the group's batched statement; the whole route runs
    // only when it found no open session.
    std::optional<GroupCommitter::Append> fast;
    if (FastPathApplies(batch)) {
      const InboundMessage& m = batch.messages[0];
      fast.emplace();
      fast->request.channel = m.channel;
      fast->request.customer_key = m.customer.key;
      fast->request.message = CustomerMessage(m, now);
      fast->request.extend = Extension(m);
      fast->request.event_tail = MessageJsonTail(fast->request.message);
    }
    HANDOFFD_RETURN_IF_ERROR(group_->Run(
        key,
        [&](StoreTx& tx) {
          return Route(tx, batch, raw_body, now, /*append_first=*/true, queue, out);
        },
        fast ? &*fast : nullptr));
    if (fast && fast->outcome.session_id) {
      out = Outcome{};
      RecordAppend(batch.messages[0], fast->outcome, out);
    }
    Finish(batch, out);
    return out.report;
  }
  // Most webhooks carry one message joining an open session: one atomic statement suffices.
  if (FastPathApplies(batch)) {
    const InboundMessage& m = batch.messages[0];
    const Message msg = CustomerMessage(m, now);
    HANDOFFD_ASSIGN_OR_RETURN(
        auto appended, store_.AppendToOpenSession(m.channel, m.customer.key, msg, Extension(m),
                                                  MessageJsonTail(msg)));
    if (appended.session_id) {
      RecordAppend(m, appended, out);
      Finish(batch, out);
      return out.report;
    }
  }
  HANDOFFD_RETURN_IF_ERROR(store_.Transact([&](StoreTx& tx) {
    return Route(tx, batch, raw_body, now, /*append_first=*/false, queue, out);
  }));
  Finish(batch, out);
  return out.report;
}

Status Router::Route(StoreTx& tx, const InboundBatch& batch, const std::string& raw_body,
                     TimePoint now, bool append_first, const std::optional<QueueContext>& queue,
                     Outcome& out) {
  out = Outcome{};
  if (append_first && FastPathApplies(batch)) {
    const InboundMessage& m = batch.messages[0];
    const Message msg = CustomerMessage(m, now);
    HANDOFFD_ASSIGN_OR_RETURN(
        auto appended,
        tx.AppendToOpenSession(m.channel, m.customer.key, msg, Extension(m), MessageJsonTail(msg)));
    if (appended.session_id) {
      RecordAppend(m, appended, out);
      return Status::Ok();
    }
  }
  for (const InboundMessage& m : batch.messages) {
    HANDOFFD_RETURN_IF_ERROR(HandleMessage(tx, m, now, out.report, out.forward, out.logs, queue));
  }
  for (const StatusUpdate& s : batch.statuses) {
    HANDOFFD_RETURN_IF_ERROR(HandleStatus(tx, s, now, out.report, out.logs));
  }
  if (out.forward && !raw_body.empty()) {
    OutboxItem item;
    item.channel = "whatsapp";
    item.payload = EncodeOutboxPayload(OutboxPayload::Forward(options_.bot_forward_url, raw_body));
    item.next_attempt_at = now;
    item.created_at = now;
    HANDOFFD_RETURN_IF_ERROR(tx.Enqueue(item));
  }
  return Status::Ok();
}

void Router::Finish(const InboundBatch& batch, const Outcome& out) {
  const RouteReport& report = out.report;
  metrics_.messages_in += report.messages_stored;
  metrics_.duplicates += report.duplicates;
  for (const auto& line : out.logs) log_.Info(line["event"].get<std::string>(), line["fields"]);
  for (const auto& ignored : batch.ignored) {
    log_.Info("webhook.ignored", {{"reason", ignored.reason}});
  }
  if ((report.bot_replies > 0 || report.sessions_opened > 0 || report.sessions_ended > 0 ||
       out.forward) &&
      options_.on_outbox) {
    options_.on_outbox();
  }
  if (report.sessions_opened > 0 && options_.on_session_opened) options_.on_session_opened();
  if ((report.messages_stored > 0 || report.statuses_applied > 0) && options_.on_events) {
    options_.on_events();
  }
}

Status Router::HandleMessage(StoreTx& tx, const InboundMessage& m, TimePoint now,
                             RouteReport& report, bool& forward, std::vector<nlohmann::json>& logs,
                             const std::optional<QueueContext>& queue) {
  HANDOFFD_ASSIGN_OR_RETURN(auto open, tx.FindOpenSession(m.channel, m.customer.key));

  int64_t contact_id = 0;
  if (open.has_value()) {
    contact_id = open->contact_id;
  } else {
    HANDOFFD_ASSIGN_OR_RETURN(auto c, tx.UpsertContact(m.channel, m.customer, now));
    contact_id = c;
  }

  Message msg = CustomerMessage(m, now);
  if (open.has_value()) msg.session_id = open->id;
  std::optional<Session> csat;
  if (!open.has_value()) {
    HANDOFFD_ASSIGN_OR_RETURN(csat, CsatTarget(tx, m, now));
    if (csat.has_value()) msg.session_id = csat->id;  // kept with the rated session
  }
  msg.contact_id = contact_id;
  HANDOFFD_ASSIGN_OR_RETURN(auto inserted, tx.InsertMessage(msg));
  if (!inserted.has_value()) {
    ++report.duplicates;
    logs.push_back({{"event", "message.duplicate"}, {"fields", {{"wamid", m.channel_message_id}}}});
    return Status::Ok();
  }
  ++report.messages_stored;
  const Message& stored = *inserted;
  report.message_ids.push_back(stored.id);
  if (csat.has_value()) {
    HANDOFFD_RETURN_IF_ERROR(PublishMessage(tx, stored, *csat, now));
    HANDOFFD_RETURN_IF_ERROR(ApplyCsat(tx, m, *csat, now));
    if (auto score = CsatScoreFromReply(m.reply_id)) {
      metrics_.CsatAnswered(*score);
      if (!options_.csat_thanks.empty()) ++report.bot_replies;
    }
    logs.push_back({{"event", "csat.received"},
                    {"fields", {{"session_id", csat->id}, {"wamid", m.channel_message_id}}}});
    return Status::Ok();
  }

  if (open.has_value()) {
    const Session& s = *open;
    HANDOFFD_RETURN_IF_ERROR(PublishMessage(tx, stored, s, now));
    if (IsEndKeyword(m)) {
      HANDOFFD_RETURN_IF_ERROR(EndInTx(tx, s, EndReason::kCustomer, "Customer ended the chat",
                                       Substitute(options_.ended_text, s.agent_name.value_or("")),
                                       now));
      if (options_.csat_enabled && s.channel == "whatsapp") {
        HANDOFFD_RETURN_IF_ERROR(AskCsat(tx, s, options_.csat_question, now));
      }
      ++report.sessions_ended;
      logs.push_back(
          {{"event", "session.ended"},
           {"fields",
            {{"session_id", s.id}, {"end_reason", "customer"}, {"wamid", m.channel_message_id}}}});
      return Status::Ok();
    }
    if (m.extends_window) {
      HANDOFFD_RETURN_IF_ERROR(tx.ExtendSession(s.id, m.sent_at, m.sent_at + options_.session_ttl));
      // The moved expiry and 24-hour window reach every open dashboard.
      Session moved = s;
      ApplyExtension(moved, m.sent_at, m.sent_at + options_.session_ttl);
      HANDOFFD_RETURN_IF_ERROR(tx.AppendEvent(SessionExtendedEvent(moved, now)).status());
    }
    logs.push_back({{"event", "message.received"},
                    {"fields",
                     {{"session_id", s.id},
                      {"message_id", stored.id},
                      {"wamid", m.channel_message_id},
                      {"type", m.type}}}});
    return Status::Ok();
  }

  // A team's own trigger id opens the session in that team's queue (with its priority);
  // the configured trigger (AGENT_MODE) and keywords in the general team.
  std::optional<std::pair<int64_t, int>> team_trigger;
  if ((m.type == "interactive" || m.type == "button") && !m.reply_id.empty() &&
      m.reply_id != options_.trigger_id) {
    HANDOFFD_ASSIGN_OR_RETURN(team_trigger, tx.FindTrigger(m.reply_id));
  }
  if (team_trigger || IsTrigger(m)) {
    return OpenSession(tx, m, contact_id,
                       team_trigger ? std::optional<int64_t>(team_trigger->first) : std::nullopt,
                       team_trigger ? team_trigger->second : 0, "Customer asked for an agent", now,
                       report, logs, queue)
        .status();
  }

  // The bot's turn.
  logs.push_back({{"event", "message.received"},
                  {"fields",
                   {{"message_id", stored.id},
                    {"wamid", m.channel_message_id},
                    {"type", m.type},
                    {"to", "bot"}}}});
  if (!options_.bot_forward_url.empty()) {
    forward = true;
    return Status::Ok();
  }
  if (!m.bot_answers || options_.menu_buttons.empty()) return Status::Ok();

  nlohmann::json buttons = nlohmann::json::array();
  for (const ReplyButton& b : options_.menu_buttons) {
    buttons.push_back({{"id", b.id}, {"title", b.title}});
  }
  Message menu;
  menu.contact_id = contact_id;
  menu.sender_type = SenderType::kBot;
  menu.direction = Direction::kOut;
  menu.type = "interactive";
  menu.content = options_.menu_body;
  menu.metadata = nlohmann::json{{"buttons", buttons}}.dump();
  menu.delivery_status = DeliveryStatus::kQueued;
  menu.created_at = now;
  HANDOFFD_ASSIGN_OR_RETURN(auto menu_row, tx.InsertMessage(menu));
  if (menu_row.has_value() && m.channel == kWebchatChannel) {
    // A web chat visitor sees the menu through its event stream (no session yet).
    HANDOFFD_RETURN_IF_ERROR(tx.AppendEvent(VisitorOnlyEvent("message.created", m.customer.key,
                                                             MessageJson(*menu_row).dump(), now))
                                 .status());
  }
  OutboxItem item;
  if (menu_row.has_value()) item.message_id = menu_row->id;
  item.channel = m.channel;
  item.phone_number_id = m.phone_number_id;
  item.recipient = m.customer.key;
  item.payload =
      EncodeOutboxPayload(OutboxPayload::Buttons(options_.menu_body, options_.menu_buttons));
  item.next_attempt_at = now;
  item.created_at = now;
  HANDOFFD_RETURN_IF_ERROR(tx.Enqueue(item));
  ++report.bot_replies;
  return Status::Ok();
}

Result<Session> Router::OpenSession(StoreTx& tx, const InboundMessage& m, int64_t contact_id,
                                    std::optional<int64_t> team_id, int priority,
                                    const std::string& note, TimePoint now, RouteReport& report,
                                    std::vector<nlohmann::json>& logs,
                                    const std::optional<QueueContext>& queue) {
  NewSession ns;
  if (team_id) {
    ns.team_id = *team_id;
  } else if (auto number = options_.number_teams.find(m.phone_number_id);
             number != options_.number_teams.end()) {
    HANDOFFD_ASSIGN_OR_RETURN(auto team, tx.FindTeamBySlug(number->second));
    if (team) ns.team_id = *team;
  }
  ns.priority = priority;
  ns.announce_queue = true;
  ns.channel = m.channel;
  ns.contact_id = contact_id;
  ns.phone_number = m.customer.key;
  ns.customer_name = m.customer.name;
  ns.phone_number_id = m.phone_number_id;
  ns.created_at = now;
  ns.expires_at = m.sent_at + options_.session_ttl;
  ns.last_customer_message_at = m.sent_at;
  auto created = tx.CreateSession(ns);
  if (!created.ok()) {
    // A concurrent webhook for the same customer opened one first: let the channel redeliver,
    // and this message will then join that session.
    if (created.status().code() == ErrorCode::kConflict) {
      return Status::Unavailable("concurrent session open for customer; retry");
    }
    return created.status();
  }
  const Session& s = *created;
  HANDOFFD_RETURN_IF_ERROR(tx.AttachRecentMessages(contact_id, s.id, now - options_.bot_history));
  HANDOFFD_ASSIGN_OR_RETURN(auto published, PublishSession(tx, "session.created", s.id, true, now));
  HANDOFFD_RETURN_IF_ERROR(AddSystemNote(tx, s, note, now));
  HANDOFFD_RETURN_IF_ERROR(
      QueueText(tx, s, SenderType::kSystem, "", options_.connecting_text, now));
  if (queue) HANDOFFD_RETURN_IF_ERROR(options_.routing->AnnounceInTx(tx, *queue, published, now));
  ++report.sessions_opened;
  logs.push_back({{"event", "session.opened"},
                  {"fields",
                   {{"session_id", s.id},
                    {"wamid", m.channel_message_id},
                    {"expires_at", FormatRfc3339(s.expires_at)}}}});
  return published;
}

Status Router::HandleStatus(StoreTx& tx, const StatusUpdate& s, TimePoint now, RouteReport& report,
                            std::vector<nlohmann::json>& logs) {
  // Statuses apply monotonically, so a redelivery cannot change anything; the key is recorded
  // only for statuses that matched a message, so one that arrived before its wamid was stored
  // still applies when Meta redelivers it.
  HANDOFFD_ASSIGN_OR_RETURN(auto changed,
                            tx.ApplyDeliveryStatus(s.channel_message_id, s.status, s.error));
  nlohmann::json fields = {{"wamid", s.channel_message_id}, {"status", ToString(s.status)}};
  if (changed.has_value() && changed->session_id) {
    HANDOFFD_ASSIGN_OR_RETURN(auto session, tx.LockSession(*changed->session_id));
    if (session.has_value()) {
      HANDOFFD_RETURN_IF_ERROR(
          tx.AppendEvent(MessageEvent("message.status", *changed, *session, now)));
    }
  }
  if (changed.has_value()) {
    HANDOFFD_RETURN_IF_ERROR(
        tx.ClaimWebhookKey("status:" + s.channel_message_id + ":" + ToString(s.status), now));
    ++report.statuses_applied;
    fields["message_id"] = changed->id;
    if (changed->session_id) fields["session_id"] = *changed->session_id;
  } else {
    ++report.duplicates;
    fields["applied"] = false;
  }
  if (s.error) {
    fields["error_code"] = s.error->code;
    fields["error_title"] = s.error->title;
    if (changed.has_value()) metrics_.SendFailed(s.error->code);
  }
  logs.push_back({{"event", "message.status"}, {"fields", fields}});
  return Status::Ok();
}

Result<std::optional<Session>> Router::CsatTarget(StoreTx& tx, const InboundMessage& m,
                                                  TimePoint now) {
  if (!options_.csat_enabled || m.channel != "whatsapp" || IsTrigger(m)) {
    return std::optional<Session>();
  }
  const bool button = m.type == "interactive" || m.type == "button";
  const std::optional<int> score = button ? CsatScoreFromReply(m.reply_id) : std::nullopt;
  if (!score && m.type != "text") return std::optional<Session>();
  HANDOFFD_ASSIGN_OR_RETURN(auto found,
                            tx.FindCsatSession(m.channel, m.customer.key, now - kCsatAnswerWindow));
  if (!found.has_value()) return std::optional<Session>();
  if (score) return found;
  const bool comment_due = found->csat_answered_at.has_value() && !found->csat_comment &&
                           now - *found->csat_answered_at <= kCsatCommentWindow;
  return comment_due ? found : std::optional<Session>();
}

Status Router::ApplyCsat(StoreTx& tx, const InboundMessage& m, const Session& s, TimePoint now) {
  const std::optional<int> score = CsatScoreFromReply(m.reply_id);
  if (score) {
    HANDOFFD_RETURN_IF_ERROR(tx.SetCsatScore(s.id, *score, now));
    if (!options_.csat_thanks.empty()) {
      HANDOFFD_RETURN_IF_ERROR(
          QueueText(tx, s, SenderType::kSystem, "", options_.csat_thanks, now).status());
    }
  } else {
    HANDOFFD_RETURN_IF_ERROR(tx.SetCsatComment(s.id, TruncateComment(m.text)));
  }
  return PublishSession(tx, "csat.received", s.id, false, now).status();
}

}  // namespace handoffd
