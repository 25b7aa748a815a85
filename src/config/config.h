// handoffd configuration: a TOML file with environment variables overriding it. Every key, its
// environment variable and its default are listed in API.md "Configuration".
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "domain/message_template.h"
#include "domain/reply_button.h"
#include "domain/webchat.h"

namespace handoffd {

struct Config {
  struct Server {
    /// "HOST:PORT" (HANDOFFD_LISTEN).
    std::string listen = "127.0.0.1:8080";
    std::string host = "127.0.0.1";  // derived from listen
    int port = 8080;                 // derived from listen
    /// Request bodies over this many bytes are refused with 413.
    int64_t max_body_bytes = 4194304;
    /// HTTP worker threads at start; each open connection (an event stream too) holds one, and
    /// the pool grows beyond this on demand (extension key).
    int threads = 64;
    /// Connection limits (issue 9 #2; SECURITY.md, docs/connections.md): open connections in
    /// total, ordinary ones per client address, and the part of the total kept for webhooks and
    /// health checks.
    int max_connections = 12000;
    int max_connections_per_address = 512;
    int reserved_connections = 256;
    /// The whole request head must arrive within this.
    Duration head_timeout = std::chrono::seconds(10);
    /// Workers above `threads` idle this long exit.
    Duration worker_idle_timeout = std::chrono::seconds(60);
    /// Worker stack size in KiB; 0: the system default.
    int worker_stack_kb = 0;
    /// GET /api/events streams one agent may hold open at once (429 beyond).
    int max_streams_per_agent = 16;
    /// Serve the dashboard from this folder instead of the compiled-in copy (development).
    std::string dashboard_dir;
    /// The public address of the dashboard ("https://support.example.com"); an https:// URL
    /// makes the session cookie Secure. Empty: unknown.
    std::string public_url;
  } server;

  struct Agents {
    /// Logging in sets the agent online (agents.online_on_login).
    bool online_on_login = true;
  } agents;

  struct Events {
    /// How long real-time events are kept for clients resuming with Last-Event-ID; older ones
    /// answer with a `reset` event.
    Duration retention = std::chrono::hours(24);
  } events;

  struct Database {
    /// "sqlite:PATH" or a PostgreSQL URI (HANDOFFD_DATABASE_URL).
    std::string url = "sqlite:var/handoffd.db";
    /// Connections in the pool (extension key database.pool_size).
    int pool_size = 16;
    /// Most concurrent webhooks committed in one shared transaction (1: each commits alone; 0:
    /// automatic: 64, on both databases; BENCHMARKS.md).
    int group_commit_max = 0;
    /// Microseconds a group's leader waits for more webhooks before it begins (0: none; the
    /// webhooks that arrive while a group commits form the next one).
    int group_commit_window_us = 0;
    /// Groups committed at the same time, each on its own pooled connection.
    int group_commit_groups = 2;
  } database;

  struct WhatsApp {
    std::string app_secret;    // WHATSAPP_APP_SECRET; empty: every signed POST gets 401
    std::string verify_token;  // WHATSAPP_VERIFY_TOKEN; empty: verification refused
    std::string access_token;  // WHATSAPP_ACCESS_TOKEN; empty: dry-run sender
    std::string api_base = "https://graph.facebook.com/v21.0";  // WHATSAPP_API_BASE
    std::string phone_number_id;                                // WHATSAPP_PHONE_NUMBER_ID
    std::vector<std::string> phone_number_ids;  // WHATSAPP_PHONE_NUMBER_IDS (comma-separated)
    /// Sends per second per business number (token bucket).
    int rate_limit_per_second = 80;
    /// Longest wait for the Graph API's answer to one send. Longer than Meta's p99 (a few
    /// seconds): a send that times out may still have been accepted and is sent again.
    Duration send_timeout = std::chrono::seconds(30);
    /// Approved templates agents may send (whatsapp.templates).
    std::vector<MessageTemplate> templates;
    /// Business numbers with their own token and default team (whatsapp.numbers).
    std::vector<BusinessNumber> numbers;
  } whatsapp;

  struct Media {
    /// Where downloaded and uploaded media files live (content-addressed by SHA-256).
    std::string dir = "var/media";
    /// Largest media file accepted either way (Meta's largest: documents, 100 MB).
    int64_t max_bytes = 104857600;
  } media;

  struct Handoff {
    std::string trigger_id = "AGENT_MODE";
    std::vector<std::string> trigger_keywords;
    std::vector<std::string> end_keywords = {"end chat"};
    Duration session_ttl = std::chrono::hours(22);             // HANDOFFD_SESSION_TTL
    Duration expiry_sweep_interval = std::chrono::minutes(5);  // HANDOFFD_EXPIRY_SWEEP_INTERVAL
  } handoff;

  /// Customer-facing texts; "{agent_name}" is substituted.
  struct Texts {
    std::string connecting = "Connecting you to an agent...";
    std::string agent_joined = "You are now chatting with {agent_name}.";
    std::string ended = "This chat has ended. Thank you for contacting us!";
    std::string expired = "Chat expired after 22 hours. Send us a message any time to start again.";
    /// {position} and {wait}; an empty {wait} drops its sentence.
    std::string queued = "You are number {position} in line. Estimated wait: about {wait}.";
    std::string after_hours = "We are closed now and will answer when we open ({next_open}).";
    std::string transferred = "Transferring you to {team_name}...";
    /// CSAT (csat.enabled): the rating question (interactive body) and the thanks after it.
    std::string csat_question = "How would you rate this chat?";
    std::string csat_thanks = "Thank you for your feedback!";
  } texts;

  /// Teams, queues and routing (API.md "Teams and routing").
  struct Routing {
    std::string mode = "manual";           // manual | auto
    Duration first_response_timeout{0};    // 0: off
    std::string when_no_agents = "queue";  // queue | after_hours
    bool queue_updates = false;
    Duration queue_update_interval = std::chrono::minutes(2);
    /// Safety-net routing pass (extension key routing.sweep_interval).
    Duration sweep_interval = std::chrono::seconds(5);
  } routing;

  struct Csat {
    /// Ask for a rating (buttons CSAT_3 Good, CSAT_2 OK, CSAT_1 Bad) after an agent, supervisor
    /// or customer ends a WhatsApp session (not after expiry).
    bool enabled = false;
  } csat;

  /// One [[integrations.webhooks]] receiver: every event whose type is in `events` (or all with
  /// "*") is POSTed to `url`, signed with `secret` (X-Handoffd-Signature: sha256=HEX).
  struct IntegrationWebhook {
    std::string url;
    std::string secret;
    std::vector<std::string> events = {"*"};
  };
  struct Integrations {
    std::vector<IntegrationWebhook> webhooks;
  } integrations;

  struct Bot {
    std::string forward_url;     // HANDOFFD_BOT_FORWARD_URL; empty = built-in menu
    std::string forward_secret;  // HANDOFFD_BOT_FORWARD_SECRET
    std::string menu_body = "Hello! How can we help you today?";
    /// At most 3; titles at most 20 characters (facts §7).
    std::vector<ReplyButton> menu_buttons = {{"AGENT_MODE", "Talk to Expert"}};
  } bot;

  /// The web chat channel (API.md "Web chat"); no widgets: the channel is off.
  struct Webchat {
    std::vector<WebchatWidget> widgets;
    /// A web chat session ends after this long without visitor activity.
    Duration session_ttl = std::chrono::hours(1);
    /// Visitor messages per minute per visitor.
    int rate_limit = 20;
    /// Visitors created per minute per client address (extension key).
    int visitors_per_minute = 30;
  } webchat;
  struct Log {
    std::string format = "json";  // HANDOFFD_LOG_FORMAT: json | text
    std::string level = "info";   // extension key log.level: debug | info | warn | error
  } log;

  struct Auth {
    Duration token_ttl = std::chrono::hours(12);  // extension key auth.token_ttl
    /// argon2id password checks at once (~64 MiB each); beyond: 429 (SECURITY.md).
    int max_concurrent_hashes = 4;
    /// Failed logins per account / per client address within login_window before 429.
    int login_failures_per_account = 10;
    int login_failures_per_address = 50;
    Duration login_window = std::chrono::minutes(5);
  } auth;
};

/// Parses "1500ms", "90s", "5m", "22h", "7d" (a positive integer and one unit).
Result<Duration> ParseDuration(const std::string& text);

/// Loads `path` (none: defaults only) and applies the environment overrides in `env`
/// (name -> value; main passes the process environment). Any bad value fails with kBadRequest
/// and a one-line message naming the key, e.g.
///   "handoff.session_ttl: invalid duration \"abc\" (use e.g. 1500ms, 90s, 5m, 22h, 7d)".
/// A missing or unparsable file also fails with kBadRequest.
Result<Config> LoadConfig(const std::optional<std::string>& path,
                          const std::map<std::string, std::string>& env);

}  // namespace handoffd
