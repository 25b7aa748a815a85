#include "channels/webchat/webchat_service.h"

#include <algorithm>
#include <limits>

#include "auth/token.h"
#include "domain/event.h"
#include "domain/json_views.h"
#include "router/conversation.h"

namespace handoffd::webchat {
namespace {

constexpr size_t kMaxName = 100;
constexpr size_t kMaxEmail = 254;
constexpr Duration kRepeatEvery = std::chrono::seconds(2);
constexpr size_t kMaxLiveEntries = 100000;

bool ValidEmail(const std::string& e) {
  if (e.size() > kMaxEmail || e.size() < 3) return false;
  const size_t at = e.find('@');
  if (at == std::string::npos || at == 0 || e.find('@', at + 1) != std::string::npos) return false;
  const std::string domain = e.substr(at + 1);
  const size_t dot = domain.find('.');
  if (dot == std::string::npos || dot == 0 || domain.back() == '.') return false;
  return std::none_of(e.begin(), e.end(), [](unsigned char c) { return c <= ' ' || c == 0x7f; });
}

std::string Trimmed(const std::string& s) {
  const char* ws = " \t\r\n";
  const size_t b = s.find_first_not_of(ws);
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

Status VisitorEventFor(const Session& s, EventRecord& e) {
  SetSessionAudience(e, s, false);
  e.visitor_key = s.phone_number;
  return Status::Ok();
}

}  // namespace

WebchatService::WebchatService(Store& store, const Clock& clock, Logger& log, Metrics& metrics,
                               WebchatOptions options)
    : store_(store),
      clock_(clock),
      log_(log),
      options_(std::move(options)),
      messages_limit_(clock, options_.rate_limit, std::chrono::minutes(1)),
      create_limit_(clock, options_.visitors_per_minute, std::chrono::minutes(1)) {
  for (const WebchatWidget& w : options_.widgets) {
    RouterOptions r = options_.router;
    r.session_ttl = options_.session_ttl;
    r.bot_forward_url = w.bot_forward_url;
    r.menu_body = w.welcome_text;
    r.menu_buttons = w.menu_buttons;
    // Handoffs queue in the widget's team (the router maps the widget key like a number).
    if (!w.team.empty()) r.number_teams[w.key] = w.team;
    routers_[w.key] = std::make_unique<Router>(store, clock, log, metrics, std::move(r));
  }
}

WebchatService::~WebchatService() { Stop(); }

void WebchatService::Start() {
  if (watcher_.joinable()) return;
  stopping_ = false;
  watcher_ = std::thread([this] { WatchLoop(); });
}

void WebchatService::Stop() {
  {
    std::lock_guard lock(watch_mu_);
    stopping_ = true;
  }
  watch_cv_.notify_all();
  if (watcher_.joinable()) watcher_.join();
}

void WebchatService::Nudge() {
  {
    std::lock_guard lock(watch_mu_);
    nudged_ = true;
  }
  watch_cv_.notify_one();
}

void WebchatService::WatchLoop() {
  while (true) {
    {
      std::unique_lock lock(watch_mu_);
      watch_cv_.wait_for(lock, std::chrono::seconds(30), [this] { return nudged_ || stopping_; });
      if (stopping_) return;
      nudged_ = false;
      // Coalesce a burst of commits into one pass.
      watch_cv_.wait_for(lock, std::chrono::milliseconds(300), [this] { return stopping_; });
      if (stopping_) return;
      nudged_ = false;
    }
    RefreshQueuePositions();
  }
}

void WebchatService::RefreshQueuePositions() {
  // Only the web chat's waiting sessions, each with its place in its team's queue of every
  // channel (a deep WhatsApp queue is numbered in SQL, not sent here).
  auto waiting = store_.ListWaitingOn(kWebchatChannel);
  if (!waiting.ok()) return;
  std::vector<EventRecord> events;
  std::map<int64_t, int64_t> now_waiting;
  const TimePoint now = clock_.Now();
  for (const Session& s : *waiting) {
    if (!s.queue_position) continue;
    const int64_t position = *s.queue_position;
    now_waiting[s.id] = position;
    auto told = told_position_.find(s.id);
    if (told != told_position_.end() && told->second == position) continue;
    if (told == told_position_.end()) continue;  // just queued: the handoff told it
    QueueInfo q = Queue(s);
    q.position = position;
    events.push_back(
        VisitorOnlyEvent("queue.position", s.phone_number, VisitorSessionJson(s, q).dump(), now));
  }
  // Sessions seen for the first time are remembered without an event (the handoff answered).
  told_position_ = std::move(now_waiting);
  if (!events.empty()) (void)Publish(events);
}

const WebchatWidget* WebchatService::FindWidget(const std::string& key) const {
  for (const WebchatWidget& w : options_.widgets) {
    if (w.key == key) return &w;
  }
  return nullptr;
}

bool WebchatService::OriginAllowed(const WebchatWidget& widget, const std::string& origin) {
  return std::find(widget.allowed_origins.begin(), widget.allowed_origins.end(), origin) !=
         widget.allowed_origins.end();
}

bool WebchatService::AnyWidgetAllows(const std::string& origin) const {
  return std::any_of(options_.widgets.begin(), options_.widgets.end(),
                     [&](const WebchatWidget& w) { return OriginAllowed(w, origin); });
}

Router& WebchatService::RouterFor(const std::string& widget_key) {
  auto it = routers_.find(widget_key);
  if (it == routers_.end()) it = routers_.begin();  // a widget removed from the config
  return *it->second;
}

Result<std::pair<Visitor, std::string>> WebchatService::CreateVisitor(
    const std::string& widget_key, const std::string& name, const std::string& email,
    const std::string& client_address) {
  if (FindWidget(widget_key) == nullptr) return Status::NotFound("unknown widget key");
  const std::string n = Trimmed(name);
  const std::string e = Trimmed(email);
  if (CodePointCount(n) > kMaxName) return Status::BadRequest("name over 100 characters");
  if (!e.empty() && !ValidEmail(e)) return Status::BadRequest("malformed email");
  if (auto wait = create_limit_.Acquire("visitor:" + client_address)) {
    return Status::RateLimited("too many new visitors from this address", *wait);
  }
  const std::string token = NewToken();
  NewVisitor nv;
  nv.widget_key = widget_key;
  nv.token_hash = HashToken(token);
  nv.name = n;
  nv.email = e;
  nv.created_at = clock_.Now();
  HANDOFFD_ASSIGN_OR_RETURN(auto visitor, store_.CreateVisitor(nv));
  log_.Info("webchat.visitor_created", {{"visitor_id", visitor.id}, {"widget_key", widget_key}});
  return std::make_pair(visitor, token);
}

Result<Visitor> WebchatService::Authenticate(const std::string& token) {
  if (token.size() != 64) return Status::Unauthorized("visitor token required");
  HANDOFFD_ASSIGN_OR_RETURN(auto v, store_.FindVisitorByToken(HashToken(token)));
  if (!v.has_value()) return Status::Unauthorized("unknown visitor token");
  return *v;
}

Result<std::optional<Session>> WebchatService::Newest(const Visitor& v) {
  HANDOFFD_ASSIGN_OR_RETURN(
      auto sessions,
      store_.ListCustomerSessions(v.contact_id, std::numeric_limits<int64_t>::max(), 1));
  if (sessions.empty()) return std::optional<Session>();
  return std::optional<Session>(sessions.front());
}

Result<VisitorConversation> WebchatService::Conversation(const Visitor& v) {
  VisitorConversation out;
  HANDOFFD_ASSIGN_OR_RETURN(out.session, Newest(v));
  std::vector<Message> all;
  if (out.session) {
    HANDOFFD_ASSIGN_OR_RETURN(all, store_.ListMessages(out.session->id, 0, 1000));
    out.queue = Queue(*out.session);
  } else {
    out.queue.open_now = OpenNow(v.widget_key);
  }
  // Bot-phase messages after the session (it ended, the visitor wrote again) follow it.
  HANDOFFD_ASSIGN_OR_RETURN(auto loose, store_.ListUnattachedMessages(v.contact_id, 200));
  all.insert(all.end(), loose.begin(), loose.end());
  std::sort(all.begin(), all.end(), [](const Message& a, const Message& b) { return a.id < b.id; });
  for (Message& m : all) {
    if (m.direction != Direction::kInternal) out.messages.push_back(std::move(m));
  }
  return out;
}

InboundMessage WebchatService::Inbound(const Visitor& v, const std::string& type,
                                       const std::string& content) {
  InboundMessage m;
  m.channel = kWebchatChannel;
  m.phone_number_id = v.widget_key;
  m.customer.key = VisitorKey(v.id);
  m.customer.name = v.name.empty() ? "Visitor " + std::to_string(v.id) : v.name;
  m.channel_message_id = "webchat-in-" + NewToken().substr(0, 32);
  m.sent_at = clock_.Now();
  m.type = type;
  m.content = content;
  if (type == "text") m.text = content;
  return m;
}

Result<Message> WebchatService::PostMessage(const Visitor& v, const std::string& content) {
  if (Trimmed(content).empty()) return Status::BadRequest("content must not be empty");
  if (CodePointCount(content) > kMaxVisitorMessage) {
    return Status::BadRequest("content must be at most 4096 characters");
  }
  if (auto wait = messages_limit_.Acquire(VisitorKey(v.id))) {
    return Status::RateLimited("too many messages; slow down", *wait);
  }
  InboundBatch batch;
  batch.messages.push_back(Inbound(v, "text", content));
  const nlohmann::json forward = {
      {"object", "webchat"}, {"widget_key", v.widget_key}, {"visitor_id", v.id}, {"text", content}};
  HANDOFFD_ASSIGN_OR_RETURN(auto report,
                            RouterFor(v.widget_key).HandleBatch(batch, forward.dump()));
  if (report.message_ids.empty()) return Status::Internal("visitor message not stored");
  HANDOFFD_ASSIGN_OR_RETURN(auto stored, store_.GetMessage(report.message_ids.front()));
  if (!stored.has_value()) return Status::Internal("visitor message vanished");
  return *stored;
}

Result<Session> WebchatService::Handoff(const Visitor& v) {
  HANDOFFD_ASSIGN_OR_RETURN(auto newest, Newest(v));
  if (newest && IsOpen(newest->status)) {
    return Status::Conflict("a conversation with an agent is already open");
  }
  InboundMessage m = Inbound(v, "interactive", "Talk to a human");
  m.reply_id = options_.router.trigger_id;
  InboundBatch batch;
  batch.messages.push_back(std::move(m));
  HANDOFFD_ASSIGN_OR_RETURN(auto report, RouterFor(v.widget_key).HandleBatch(batch, ""));
  HANDOFFD_ASSIGN_OR_RETURN(auto opened, Newest(v));
  if (!opened || !IsOpen(opened->status)) return Status::Internal("handoff did not open a session");
  if (report.sessions_opened == 0) {
    return Status::Conflict("a conversation with an agent is already open");
  }
  const QueueInfo q = Queue(*opened);
  (void)Publish({VisitorOnlyEvent("queue.position", VisitorKey(v.id),
                                  VisitorSessionJson(*opened, q).dump(), clock_.Now())});
  log_.Info("webchat.handoff", {{"visitor_id", v.id}, {"session_id", opened->id}});
  return *opened;
}

Result<Session> WebchatService::End(const Visitor& v) {
  const TimePoint now = clock_.Now();
  int64_t session_id = 0;
  Status st = store_.Transact([&](StoreTx& tx) -> Status {
    HANDOFFD_ASSIGN_OR_RETURN(auto open, tx.FindOpenSession(kWebchatChannel, VisitorKey(v.id)));
    if (!open) return Status::Conflict("no open conversation");
    session_id = open->id;
    return EndInTx(tx, *open, EndReason::kCustomer, "Visitor ended the chat",
                   Substitute(options_.router.ended_text, open->agent_name.value_or("")), now);
  });
  if (!st.ok()) return st;
  if (options_.router.on_outbox) options_.router.on_outbox();
  if (options_.router.on_events) options_.router.on_events();
  HANDOFFD_ASSIGN_OR_RETURN(auto s, store_.GetSession(session_id));
  if (!s) return Status::Internal("ended session vanished");
  return *s;
}

Status WebchatService::Publish(const std::vector<EventRecord>& events) {
  if (events.empty()) return Status::Ok();
  HANDOFFD_RETURN_IF_ERROR(store_.Transact([&](StoreTx& tx) { return tx.AppendEvents(events); }));
  if (options_.on_events) options_.on_events();
  return Status::Ok();
}

Status WebchatService::Typing(const Visitor& v, bool typing) {
  const std::string key = VisitorKey(v.id);
  const TimePoint now = clock_.Now();
  {
    std::lock_guard lock(mu_);
    if (visitors_live_.size() > kMaxLiveEntries) visitors_live_.clear();
    Live& live = visitors_live_[key];
    if (live.typing == typing && (!typing || now - live.typing_sent < kRepeatEvery)) {
      return Status::Ok();  // absorbed
    }
    live.typing = typing;
    live.typing_sent = now;
  }
  HANDOFFD_ASSIGN_OR_RETURN(auto newest, Newest(v));
  if (!newest || !IsOpen(newest->status)) return Status::Ok();
  EventRecord e;
  e.type = "customer.typing";
  e.data = nlohmann::json{{"session_id", newest->id}, {"typing", typing}}.dump();
  e.created_at = now;
  HANDOFFD_RETURN_IF_ERROR(VisitorEventFor(*newest, e));
  return Publish({e});
}

Status WebchatService::Presence(const Visitor& v, const std::string& state) {
  if (state != "active" && state != "idle" && state != "offline") {
    return Status::BadRequest("state must be active, idle or offline");
  }
  const std::string key = VisitorKey(v.id);
  {
    std::lock_guard lock(mu_);
    if (visitors_live_.size() > kMaxLiveEntries) visitors_live_.clear();
    Live& live = visitors_live_[key];
    if (live.presence == state) return Status::Ok();
    live.presence = state;
  }
  HANDOFFD_ASSIGN_OR_RETURN(auto newest, Newest(v));
  if (!newest || !IsOpen(newest->status)) return Status::Ok();
  EventRecord e;
  e.type = "customer.presence";
  e.data = nlohmann::json{{"session_id", newest->id}, {"state", state}}.dump();
  e.created_at = clock_.Now();
  HANDOFFD_RETURN_IF_ERROR(VisitorEventFor(*newest, e));
  return Publish({e});
}

Status WebchatService::Read(const Visitor& v, int64_t message_id) {
  if (message_id < 1) return Status::BadRequest("up_to_message_id must be a message id");
  HANDOFFD_ASSIGN_OR_RETURN(auto newest, Newest(v));
  if (!newest) return Status::Ok();
  const TimePoint now = clock_.Now();
  bool changed = false;
  HANDOFFD_RETURN_IF_ERROR(store_.Transact([&](StoreTx& tx) -> Status {
    HANDOFFD_ASSIGN_OR_RETURN(
        auto ids, tx.AdvanceVisitorDelivery(newest->id, message_id, DeliveryStatus::kRead));
    changed = !ids.empty();
    for (int64_t id : ids) {
      HANDOFFD_ASSIGN_OR_RETURN(auto m, tx.GetMessage(id));
      if (m)
        HANDOFFD_RETURN_IF_ERROR(
            tx.AppendEvent(MessageEvent("message.status", *m, *newest, now)).status());
    }
    return Status::Ok();
  }));
  if (changed && options_.on_events) options_.on_events();
  return Status::Ok();
}

Status WebchatService::Delivered(const std::string& visitor_key, int64_t session_id,
                                 int64_t message_id) {
  const TimePoint now = clock_.Now();
  bool changed = false;
  HANDOFFD_RETURN_IF_ERROR(store_.Transact([&](StoreTx& tx) -> Status {
    HANDOFFD_ASSIGN_OR_RETURN(auto s, tx.LockSession(session_id));
    if (!s || s->channel != kWebchatChannel || s->phone_number != visitor_key) return Status::Ok();
    HANDOFFD_ASSIGN_OR_RETURN(
        auto ids, tx.AdvanceVisitorDelivery(session_id, message_id, DeliveryStatus::kDelivered));
    changed = !ids.empty();
    for (int64_t id : ids) {
      HANDOFFD_ASSIGN_OR_RETURN(auto m, tx.GetMessage(id));
      if (m)
        HANDOFFD_RETURN_IF_ERROR(
            tx.AppendEvent(MessageEvent("message.status", *m, *s, now)).status());
    }
    return Status::Ok();
  }));
  if (changed && options_.on_events) options_.on_events();
  return Status::Ok();
}

Result<OfflineMessage> WebchatService::LeaveOfflineMessage(
    const std::string& widget_key, std::optional<int64_t> visitor_id, const std::string& name,
    const std::string& email, const std::string& message, const std::string& client_address) {
  if (FindWidget(widget_key) == nullptr) return Status::NotFound("unknown widget key");
  OfflineMessage m;
  m.widget_key = widget_key;
  m.visitor_id = visitor_id;
  m.name = Trimmed(name);
  m.email = Trimmed(email);
  m.message = message;
  if (m.name.empty() || CodePointCount(m.name) > kMaxName) {
    return Status::BadRequest("name must be 1-100 characters");
  }
  if (!ValidEmail(m.email)) return Status::BadRequest("malformed email");
  if (Trimmed(m.message).empty() || CodePointCount(m.message) > kMaxVisitorMessage) {
    return Status::BadRequest("message must be 1-4096 characters");
  }
  if (auto wait = create_limit_.Acquire("offline:" + client_address)) {
    return Status::RateLimited("too many messages from this address", *wait);
  }
  m.created_at = clock_.Now();
  HANDOFFD_ASSIGN_OR_RETURN(auto stored, store_.CreateOfflineMessage(m));
  log_.Info("webchat.offline_message", {{"id", stored.id}, {"widget_key", widget_key}});
  return stored;
}

Status WebchatService::AgentTyping(const Session& s, const Agent& agent, bool typing) {
  const TimePoint now = clock_.Now();
  {
    std::lock_guard lock(mu_);
    if (agent_typing_sent_.size() > kMaxLiveEntries) agent_typing_sent_.clear();
    auto it = agent_typing_sent_.find(s.id);
    if (typing && it != agent_typing_sent_.end() && now - it->second < kRepeatEvery) {
      return Status::Ok();  // absorbed
    }
    if (typing) {
      agent_typing_sent_[s.id] = now;
    } else {
      agent_typing_sent_.erase(s.id);
    }
  }
  return Publish({VisitorOnlyEvent(
      "agent.typing", s.phone_number,
      nlohmann::json{{"session_id", s.id}, {"typing", typing}, {"agent_name", agent.name}}.dump(),
      now)});
}

bool WebchatService::OpenNow(const std::string& widget_key) {
  if (RoutingService* routing = options_.router.routing) {
    const WebchatWidget* w = FindWidget(widget_key);
    auto open = routing->TeamOpenNow(w ? w->team : "");
    return !open.ok() || *open;
  }
  auto agents = store_.ListAgents();
  if (!agents.ok()) return true;
  return std::any_of(agents->begin(), agents->end(),
                     [](const Agent& a) { return a.status == AgentStatus::kOnline; });
}

QueueInfo WebchatService::Queue(const Session& s) {
  QueueInfo q;
  if (RoutingService* routing = options_.router.routing) {
    auto standing = routing->Standing(s);
    if (standing.ok()) {
      q.open_now = standing->open_now;
      q.position = standing->position;
      if (standing->estimated_wait) {
        q.estimated_wait_seconds =
            std::chrono::duration_cast<std::chrono::seconds>(*standing->estimated_wait).count();
      }
      return q;
    }
  }
  q.open_now = OpenNow(s.phone_number_id);
  if (s.status != SessionStatus::kWaiting) return q;
  auto waiting = store_.ListWaiting();
  if (!waiting.ok()) return q;
  for (size_t i = 0; i < waiting->size(); ++i) {
    if ((*waiting)[i].id == s.id) q.position = static_cast<int64_t>(i + 1);
  }
  return q;
}

}  // namespace handoffd::webchat
