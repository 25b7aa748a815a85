#include "cli/daemon.h"

#include <signal.h>

#include <thread>

#include "channels/webchat/webchat_sender.h"
#include "channels/webchat/webchat_service.h"
#include "channels/whatsapp/bot_forwarder.h"
#include "channels/whatsapp/graph_sender.h"
#include "channels/whatsapp/webhook_parser.h"
#include "events/event_hub.h"
#include "http/api_server.h"
#include "media/media_fetcher.h"
#include "metrics/metrics.h"
#include "outbox/integration_relay.h"
#include "outbox/outbox_worker.h"
#include "router/agent_sends.h"
#include "router/router.h"
#include "router/session_service.h"
#include "scheduler/expiry.h"
#include "scheduler/expiry_thread.h"
#include "scheduler/routing_thread.h"
#include "scheduler/window_warning.h"
#include "store/store.h"

namespace handoffd {
namespace {

/// Logs what a dry-run send would have sent (no access token configured).
class LoggingDryRunSender final : public ChannelSender {
 public:
  explicit LoggingDryRunSender(Logger& log) : log_(log), inner_(whatsapp::MakeDryRunSender()) {}
  SendResult Send(const OutboundMessage& m, int attempt) override {
    SendResult r = inner_->Send(m, attempt);
    nlohmann::json buttons = nlohmann::json::array();
    for (const auto& b : m.buttons) buttons.push_back(b.id);
    log_.Info("send.dry_run", {{"to", m.to},
                               {"phone_number_id", m.phone_number_id},
                               {"text", m.text},
                               {"buttons", buttons},
                               {"wamid", r.channel_message_id}});
    return r;
  }

 private:
  Logger& log_;
  std::unique_ptr<ChannelSender> inner_;
};

}  // namespace

RouterOptions MakeRouterOptions(const Config& c) {
  RouterOptions o;
  o.trigger_id = c.handoff.trigger_id;
  o.trigger_keywords = c.handoff.trigger_keywords;
  o.end_keywords = c.handoff.end_keywords;
  for (const BusinessNumber& n : c.whatsapp.numbers) {
    if (!n.team.empty()) o.number_teams[n.phone_number_id] = n.team;
  }
  o.session_ttl = c.handoff.session_ttl;
  o.connecting_text = c.texts.connecting;
  o.ended_text = c.texts.ended;
  o.bot_forward_url = c.bot.forward_url;
  o.menu_body = c.bot.menu_body;
  o.menu_buttons = c.bot.menu_buttons;
  o.group_commit.max_batch = c.database.group_commit_max;
  if (o.group_commit.max_batch == 0) {
    // Automatic: grouped. Measured (BENCHMARKS.md) faster than a commit per webhook on SQLite
    // and, since a group's appends are one statement, on PostgreSQL too.
    o.group_commit.max_batch = 64;
  }
  o.group_commit.window = std::chrono::microseconds(c.database.group_commit_window_us);
  o.group_commit.max_groups = c.database.group_commit_groups;
  o.csat_enabled = c.csat.enabled;
  o.csat_question = c.texts.csat_question;
  o.csat_thanks = c.texts.csat_thanks;
  return o;
}

SessionServiceOptions MakeSessionServiceOptions(const Config& c) {
  SessionServiceOptions o;
  o.session_ttl = c.handoff.session_ttl;
  o.default_phone_number_id = c.whatsapp.phone_number_id;
  o.agent_joined_text = c.texts.agent_joined;
  o.ended_text = c.texts.ended;
  o.expired_text = c.texts.expired;
  o.csat_enabled = c.csat.enabled;
  o.csat_question = c.texts.csat_question;
  return o;
}

RoutingOptions MakeRoutingOptions(const Config& c) {
  RoutingOptions o;
  o.auto_mode = c.routing.mode == "auto";
  o.first_response_timeout = c.routing.first_response_timeout;
  o.after_hours_when_no_agents = c.routing.when_no_agents == "after_hours";
  o.queue_updates = c.routing.queue_updates;
  o.queue_update_interval = c.routing.queue_update_interval;
  o.queued_text = c.texts.queued;
  o.after_hours_text = c.texts.after_hours;
  o.transferred_text = c.texts.transferred;
  o.agent_joined_text = c.texts.agent_joined;
  return o;
}

int RunDaemon(const Config& config, bool migrate, Logger& log) {
  // Signals are taken by a dedicated thread (sigwait), so block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  SystemClock clock;
  Metrics metrics;
  StoreOptions store_options;
  store_options.url = config.database.url;
  store_options.pool_size = config.database.pool_size;
  store_options.clock = &clock;
  auto store = OpenStore(store_options);
  if (!store.ok()) {
    log.Error("database.unavailable", {{"error", store.status().ToString()}});
    return 1;
  }
  if (migrate) {
    auto applied = (*store)->Migrate();
    if (!applied.ok()) {
      log.Error("migrate.failed", {{"error", applied.status().ToString()}});
      return 1;
    }
    for (const auto& v : *applied) log.Info("migrate.applied", {{"version", v}});
  }

  EventHub events(**store, log);
  Store& db = **store;
  // Local waiters are woken directly; other instances through the store's change notices
  // (PostgreSQL NOTIFY after the commit; see the Listen subscriptions below).
  // The web chat queue watcher hears of every commit too (queue positions of waiting visitors).
  std::function<void()> webchat_nudge;
  auto on_events = [&events, &db, &webchat_nudge] {
    events.Notify();
    db.Announce(Change::kEvents);
    if (webchat_nudge) webchat_nudge();
  };

  std::map<std::string, std::string> number_tokens;
  for (const BusinessNumber& n : config.whatsapp.numbers) {
    if (!n.access_token.empty()) number_tokens[n.phone_number_id] = n.access_token;
  }
  const bool dry_run = config.whatsapp.access_token.empty() && number_tokens.empty();
  whatsapp::GraphSenderOptions graph{
      config.whatsapp.api_base, config.whatsapp.access_token, {}, number_tokens};
  graph.http.total_timeout = config.whatsapp.send_timeout;
  OutboxOptions outbox_options;
  outbox_options.rate_limit_per_second = config.whatsapp.rate_limit_per_second;
  outbox_options.on_events = on_events;
  // A bot answering a forward with a handoff request (router/bot_handoff.h); set below, before
  // the outbox starts.
  Router* bot_router = nullptr;
  outbox_options.on_bot_answer = [&bot_router, &log](const std::string& forwarded,
                                                     const std::string& answer) {
    if (bot_router == nullptr) return;
    auto batch = whatsapp::ParseWebhook(forwarded, {});
    if (!batch.ok()) return;
    auto opened = bot_router->HandOffFromBot(*batch, answer);
    if (!opened.ok()) {
      log.Warn("bot.handoff_refused", {{"error", opened.status().ToString()}});
    } else if (*opened) {
      log.Info("bot.handoff", {{"session_id", **opened}});
    }
  };
  OutboxWorker outbox(
      **store, clock, log, metrics,
      [&]() -> std::unique_ptr<ChannelSender> {
        std::unique_ptr<ChannelSender> whatsapp_sender =
            dry_run ? std::make_unique<LoggingDryRunSender>(log)
                    : whatsapp::MakeGraphSender(graph, MakeCurlHttpClient(graph.http));
        return webchat::MakeChannelRouter(std::move(whatsapp_sender), webchat::MakeWebchatSender());
      },
      [&config] {
        std::map<std::string, std::string> hooks;
        for (const auto& h : config.integrations.webhooks) hooks[h.url] = h.secret;
        return whatsapp::MakeBotForwarder(MakeCurlHttpClient({}), config.bot.forward_secret,
                                          std::move(hooks));
      },
      outbox_options);

  // The expiry thread is created before the router so the router can nudge it.
  std::unique_ptr<ExpiryThread> expiry_thread;
  auto on_outbox = [&outbox, &db] {
    outbox.Notify();
    db.Announce(Change::kOutbox);
  };
  // Set below, once the routing thread exists.
  std::function<void()> routing_nudge;
  auto on_opened = [&expiry_thread, &routing_nudge] {
    if (expiry_thread) expiry_thread->Nudge();
    if (routing_nudge) routing_nudge();
  };

  RoutingOptions routing_options = MakeRoutingOptions(config);
  std::unique_ptr<RoutingThread> routing_thread;
  auto nudge_routing = [&routing_thread] {
    if (routing_thread) routing_thread->Nudge();
  };
  routing_options.on_outbox = on_outbox;
  routing_options.on_events = on_events;
  routing_options.on_requeued = nudge_routing;
  RoutingService routing(**store, clock, metrics, routing_options);
  routing_thread = std::make_unique<RoutingThread>(routing, log, config.routing.sweep_interval);

  RouterOptions router_options = MakeRouterOptions(config);
  router_options.routing = &routing;
  router_options.on_outbox = on_outbox;
  router_options.on_session_opened = on_opened;
  router_options.on_events = on_events;
  Router router(**store, clock, log, metrics, router_options);
  bot_router = &router;

  SessionServiceOptions session_options = MakeSessionServiceOptions(config);
  session_options.on_outbox = on_outbox;
  session_options.on_session_opened = on_opened;
  session_options.on_events = on_events;
  session_options.on_capacity_freed = [&routing_nudge] {
    if (routing_nudge) routing_nudge();
  };
  session_options.metrics = &metrics;
  SessionService sessions(**store, clock, session_options);

  AgentSendsOptions sends_options;
  sends_options.templates = config.whatsapp.templates;
  sends_options.on_outbox = on_outbox;
  sends_options.on_events = on_events;
  AgentSends sends(**store, clock, sessions, sends_options);

  // Inbound media downloads (not in dry-run mode: without a token nothing can be fetched).
  MediaFetcherOptions media_options;
  media_options.api_base = config.whatsapp.api_base;
  media_options.access_token = config.whatsapp.access_token;
  media_options.number_tokens = number_tokens;
  media_options.media_dir = config.media.dir;
  media_options.max_bytes = config.media.max_bytes;
  media_options.on_events = on_events;
  MediaFetcher media_fetcher(
      **store, clock, log,
      [] {
        HttpClientOptions http;
        // Large files take longer than a send; the transfer is bounded by max_bytes anyway.
        http.total_timeout = std::chrono::minutes(10);
        return MakeCurlHttpClient(http);
      },
      media_options);

  ExpiryJob expiry_job(**store, sessions, clock, log, metrics);
  ExpiryThreadOptions expiry_options;
  expiry_options.sweep_interval = config.handoff.expiry_sweep_interval;
  expiry_options.housekeeping = [&] {
    // Meta redelivers for up to 7 days (facts §3): keep dedupe keys 8.
    auto pruned = (*store)->Prune(clock.Now() - std::chrono::hours(24 * 8), clock.Now());
    if (!pruned.ok()) log.Warn("prune.failed", {{"error", pruned.status().ToString()}});
    auto events_pruned = (*store)->PruneEvents(clock.Now() - config.events.retention);
    if (!events_pruned.ok())
      log.Warn("prune.failed", {{"error", events_pruned.status().ToString()}});
  };
  WindowWarningOptions window_options;
  window_options.on_events = on_events;
  WindowWarningJob window_warnings(**store, clock, log, window_options);
  expiry_options.window_warnings = &window_warnings;
  expiry_thread = std::make_unique<ExpiryThread>(expiry_job, **store, clock, log, expiry_options);

  ApiServerOptions api_options;
  api_options.host = config.server.host;
  api_options.port = config.server.port;
  api_options.max_body_bytes = config.server.max_body_bytes;
  api_options.threads = config.server.threads;
  api_options.max_connections = config.server.max_connections;
  api_options.max_connections_per_address = config.server.max_connections_per_address;
  api_options.reserved_connections = config.server.reserved_connections;
  api_options.head_timeout = config.server.head_timeout;
  api_options.worker_idle_timeout = config.server.worker_idle_timeout;
  api_options.worker_stack_kb = config.server.worker_stack_kb;
  api_options.max_streams_per_agent = config.server.max_streams_per_agent;
  api_options.app_secret = config.whatsapp.app_secret;
  api_options.verify_token = config.whatsapp.verify_token;
  api_options.phone_number_ids = config.whatsapp.phone_number_ids;
  api_options.token_ttl = config.auth.token_ttl;
  api_options.dashboard_dir = config.server.dashboard_dir;
  api_options.online_on_login = config.agents.online_on_login;
  api_options.secure_cookie = config.server.public_url.rfind("https://", 0) == 0;
  api_options.public_url = config.server.public_url;
  api_options.max_concurrent_hashes = config.auth.max_concurrent_hashes;
  api_options.login_failures_per_account = config.auth.login_failures_per_account;
  api_options.login_failures_per_address = config.auth.login_failures_per_address;
  api_options.login_window = config.auth.login_window;
  std::unique_ptr<webchat::WebchatService> webchat_service;
  if (!config.webchat.widgets.empty()) {
    webchat::WebchatOptions wc;
    wc.widgets = config.webchat.widgets;
    wc.session_ttl = config.webchat.session_ttl;
    wc.rate_limit = config.webchat.rate_limit;
    wc.visitors_per_minute = config.webchat.visitors_per_minute;
    wc.router = router_options;
    wc.on_events = on_events;
    webchat_service =
        std::make_unique<webchat::WebchatService>(**store, clock, log, metrics, std::move(wc));
    webchat_service->Start();
    webchat_nudge = [svc = webchat_service.get()] { svc->Nudge(); };
  }
  routing_nudge = nudge_routing;
  api_options.media_dir = config.media.dir;
  api_options.media_max_bytes = config.media.max_bytes;
  ApiServer server({**store, router, sessions, clock, log, metrics, &events, &routing,
                    nudge_routing, webchat_service.get(), &sends,
                    [&media_fetcher, dry_run] {
                      if (!dry_run) media_fetcher.Notify();
                    }},
                   api_options);
  Status bound = server.Bind();
  if (!bound.ok()) {
    log.Error("server.bind_failed", {{"error", bound.message()}});
    return 1;
  }

  Status hub = events.Start();
  if (!hub.ok()) {
    log.Error("events.start_failed", {{"error", hub.ToString()}});
    return 1;
  }
  // Other instances' commits wake the event hub and the outbox worker at once (polling stays as
  // the safety net). One subscription per waiter; a later routing loop subscribes the same way.
  std::vector<std::unique_ptr<Listening>> listening;
  auto wake_on = [&](Change what, std::function<void()> wake) -> bool {
    auto sub = db.Listen([what, wake = std::move(wake)](Change c) {
      if (c == what) wake();
    });
    if (!sub.ok()) {
      log.Error("store.listen_failed", {{"error", sub.status().ToString()}});
      return false;
    }
    listening.push_back(std::move(*sub));
    return true;
  };
  if (!wake_on(Change::kEvents, [&events] { events.Notify(); }) ||
      !wake_on(Change::kOutbox, [&outbox] { outbox.Notify(); })) {
    return 1;
  }
  IntegrationRelayOptions relay_options;
  for (const auto& h : config.integrations.webhooks)
    relay_options.hooks.push_back({h.url, h.events});
  relay_options.high_water = [&events] { return events.HighWater(); };
  relay_options.on_outbox = [&outbox] { outbox.Notify(); };
  IntegrationRelay relay(**store, clock, log, relay_options);
  outbox.Start();
  relay.Start();
  if (!dry_run) media_fetcher.Start();
  expiry_thread->Start();
  routing_thread->Start();
  std::thread signal_thread([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    log.Info("server.stopping", {{"signal", sig}});
    // Shutdown order: the outbox stops claiming at once (sends under way finish), no new sweep
    // starts, event streams end, then the server stops accepting and closes idle connections.
    outbox.BeginStop();
    events.Stop();  // ends every open event stream, so the server's workers can finish
    server.Stop();
  });

  log.Info("server.started", {{"listen", config.server.host + ":" + std::to_string(server.port())},
                              {"database", (*store)->Dialect()},
                              {"dry_run", dry_run},
                              {"version", HANDOFFD_VERSION}});
  server.Run();

  listening.clear();  // no wake-ups of stopped waiters
  relay.Stop();
  outbox.Stop();         // waits for sends under way, gives back every claimed item not sent
  media_fetcher.Stop();  // a download under way finishes; its lease covers a crash
  expiry_thread->Stop();
  if (webchat_service) webchat_service->Stop();  // a later Nudge() only sets a flag
  routing_thread->Stop();
  events.Stop();
  if (signal_thread.joinable()) {
    pthread_kill(signal_thread.native_handle(), SIGTERM);  // no-op if it already returned
    signal_thread.join();
  }
  log.Info("server.stopped");
  return 0;
}

}  // namespace handoffd
