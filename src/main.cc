// handoffd: the command line (API.md "Command line"). Exit status: 0 success, 2 usage or
// configuration error, 1 anything else; errors are one line on stderr.
#include <httplib.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <map>
#include <optional>
#include <string>

#include "auth/password.h"
#include "channels/whatsapp/signature.h"
#include "channels/whatsapp/webhook_builder.h"
#include "cli/daemon.h"
#include "config/config.h"
#include "domain/json_views.h"
#include "log/logger.h"
#include "metrics/metrics.h"
#include "router/session_service.h"
#include "scheduler/expiry.h"
#include "store/store.h"

extern char** environ;

namespace handoffd {
namespace {

/// Prints "handoffd: MESSAGE" as one line (database drivers' multi-line texts are joined).
int Fail(std::string message, int code = 1) {
  for (char& c : message) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  while (!message.empty() && message.back() == ' ') message.pop_back();
  std::cerr << "handoffd: " << message << "\n";
  return code;
}

std::map<std::string, std::string> Environment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string kv(*e);
    const size_t eq = kv.find('=');
    if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return env;
}

/// The wall clock of the one-shot commands' stores (they live until the process exits).
const Clock& WallClock() {
  static const SystemClock clock;
  return clock;
}

/// Opens the configured store (without migrating it).
Result<std::unique_ptr<Store>> OpenConfiguredStore(const Config& config) {
  StoreOptions options;
  options.url = config.database.url;
  options.pool_size = config.database.pool_size;
  options.clock = &WallClock();
  return OpenStore(options);
}

/// Opens the configured store and applies pending migrations (silently unless `print`).
Result<std::unique_ptr<Store>> OpenMigrated(const Config& config, bool print) {
  HANDOFFD_ASSIGN_OR_RETURN(auto store, OpenConfiguredStore(config));
  HANDOFFD_ASSIGN_OR_RETURN(auto applied, store->Migrate());
  if (print) {
    for (const auto& v : applied) std::cout << "applied " << v << "\n";
    if (applied.empty()) std::cout << "up to date\n";
  }
  return store;
}

int AgentAdd(const Config& config, const std::string& email, const std::string& name,
             const std::string& role, int max_chats) {
  auto parsed_role = ParseRole(role);
  if (!parsed_role) return Fail("--role must be agent, supervisor or admin", 2);
  if (max_chats < 1) return Fail("--max-chats must be at least 1", 2);
  if (email.find('@') == std::string::npos) return Fail("--email must be an email address", 2);
  std::string password;
  std::getline(std::cin, password);
  while (!password.empty() && (password.back() == '\r' || password.back() == '\n')) {
    password.pop_back();
  }
  auto hash = HashPassword(password);
  if (!hash.ok()) return Fail(hash.status().message(), 2);
  auto store = OpenMigrated(config, false);
  if (!store.ok()) return Fail(store.status().ToString());
  Agent a;
  a.email = email;
  for (char& c : a.email) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  a.name = name;
  a.role = *parsed_role;
  a.max_chats = max_chats;
  a.password_hash = *hash;
  auto created = (*store)->CreateAgent(a);
  if (!created.ok()) return Fail(created.status().message());
  std::cout << created->id << "\n";
  return 0;
}

int AgentList(const Config& config) {
  auto store = OpenMigrated(config, false);
  if (!store.ok()) return Fail(store.status().ToString());
  auto agents = (*store)->ListAgents();
  if (!agents.ok()) return Fail(agents.status().ToString());
  for (const Agent& a : *agents) {
    std::cout << a.id << "\t" << a.email << "\t" << a.name << "\t" << ToString(a.role) << "\t"
              << ToString(a.status) << "\t" << a.active_chats << "/" << a.max_chats << "\n";
  }
  return 0;
}

int ExpireOnce(const Config& config, Logger& log) {
  auto store = OpenMigrated(config, false);
  if (!store.ok()) return Fail(store.status().ToString());
  SystemClock clock;
  Metrics metrics;
  SessionService sessions(**store, clock, MakeSessionServiceOptions(config));
  ExpiryJob job(**store, sessions, clock, log, metrics);
  // Sessions that could not be ended are in the sweep's log line and are retried by the next
  // sweep; the sweep itself ran.
  job.RunOnce();
  return 0;
}

int Simulate(const Config& config, const std::string& from, const std::string& name,
             const std::string& text, const std::string& button, const std::string& title,
             std::string url) {
  if (config.whatsapp.app_secret.empty()) {
    return Fail("whatsapp.app_secret is not set (WHATSAPP_APP_SECRET); cannot sign the webhook");
  }
  whatsapp::SimulatedMessage m;
  if (!config.whatsapp.phone_number_id.empty()) m.phone_number_id = config.whatsapp.phone_number_id;
  m.from = from;
  m.name = name;
  m.timestamp =
      std::chrono::duration_cast<std::chrono::seconds>(SystemClock().Now().time_since_epoch())
          .count();
  m.text = text;
  m.button_id = button;
  m.button_title = title.empty() ? button : title;
  const std::string body = whatsapp::BuildMessageWebhook(m);

  if (url.empty()) {
    const std::string host = config.server.host == "0.0.0.0" ? "127.0.0.1" : config.server.host;
    url = "http://" + host + ":" + std::to_string(config.server.port) + "/webhooks/whatsapp";
  }
  // Split "http://host:port/path".
  const size_t scheme = url.find("://");
  if (scheme == std::string::npos) return Fail("--url must look like http://host:port/path", 2);
  const size_t path_at = url.find('/', scheme + 3);
  const std::string origin = url.substr(0, path_at);
  const std::string path =
      path_at == std::string::npos ? "/webhooks/whatsapp" : url.substr(path_at);
  httplib::Client client(origin);
  client.set_connection_timeout(5, 0);
  client.set_read_timeout(30, 0);
  httplib::Headers headers = {
      {"X-Hub-Signature-256", whatsapp::SignBody(config.whatsapp.app_secret, body)}};
  auto res = client.Post(path, headers, body, "application/json");
  if (!res) return Fail("POST " + url + " failed: " + httplib::to_string(res.error()));
  std::cout << res->status << "\n";
  return res->status == 200 ? 0 : 1;
}

}  // namespace
}  // namespace handoffd

int main(int argc, char** argv) {
  using namespace handoffd;
  CLI::App app{"handoffd: hands WhatsApp customers over from a bot to human agents"};
  app.set_version_flag("--version", std::string("handoffd ") + HANDOFFD_VERSION);
  app.require_subcommand(1);
  std::string config_path;
  app.add_option("--config", config_path, "TOML configuration file (or HANDOFFD_CONFIG)");

  auto* serve = app.add_subcommand("serve", "run the daemon (applies pending migrations first)");
  bool no_migrate = false;
  serve->add_flag("--no-migrate", no_migrate, "do not apply pending migrations");
  serve->add_option("--config", config_path, "TOML configuration file");

  auto* migrate = app.add_subcommand("migrate", "apply pending migrations");
  migrate->add_option("--config", config_path, "TOML configuration file");

  auto* agent = app.add_subcommand("agent", "manage agents");
  agent->require_subcommand(1);
  agent->add_option("--config", config_path, "TOML configuration file");
  auto* agent_add = agent->add_subcommand("add", "create an agent; prints its id");
  std::string email, name, role = "agent";
  int max_chats = 5;
  bool password_stdin = false;
  agent_add->add_option("--email", email, "login email")->required();
  agent_add->add_option("--name", name, "display name")->required();
  agent_add->add_option("--role", role, "agent, supervisor or admin");
  agent_add->add_option("--max-chats", max_chats, "capacity: concurrent chats");
  agent_add->add_flag("--password-stdin", password_stdin, "read the password from stdin")
      ->required();
  agent_add->add_option("--config", config_path, "TOML configuration file");
  auto* agent_list = agent->add_subcommand("list", "print agents, one per line");
  agent_list->add_option("--config", config_path, "TOML configuration file");

  auto* expire = app.add_subcommand("expire", "run the expiry job");
  bool once = false;
  expire->add_flag("--once", once, "run one sweep now and exit")->required();
  expire->add_option("--config", config_path, "TOML configuration file");

  auto* simulate = app.add_subcommand("simulate", "play a WhatsApp customer against the daemon");
  std::string from, sim_name, text, button, title, url;
  simulate->add_option("--from", from, "customer wa_id (digits)")->required();
  simulate->add_option("--name", sim_name, "customer profile name");
  auto* text_opt = simulate->add_option("--text", text, "send a text message");
  auto* button_opt = simulate->add_option("--button", button, "tap a reply button with this id");
  text_opt->excludes(button_opt);
  simulate->add_option("--title", title, "the tapped button's title");
  simulate->add_option("--url", url, "webhook URL (default: from server.listen)");
  simulate->add_option("--config", config_path, "TOML configuration file");

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return Fail(std::string(e.what()) + " (see --help)", 2);
  }
  if (simulate->parsed() && text.empty() == button.empty()) {
    return Fail("simulate needs exactly one of --text or --button", 2);
  }

  auto env = Environment();
  std::optional<std::string> path;
  if (!config_path.empty()) {
    path = config_path;
  } else if (auto it = env.find("HANDOFFD_CONFIG"); it != env.end() && !it->second.empty()) {
    path = it->second;
  }
  auto config = LoadConfig(path, env);
  if (!config.ok()) return Fail(config.status().message(), 2);
  auto log = Logger::Create(config->log.format, config->log.level);

  try {
    if (serve->parsed()) return RunDaemon(*config, !no_migrate, *log);
    if (migrate->parsed()) {
      auto store = OpenConfiguredStore(*config);
      if (!store.ok()) return Fail(store.status().ToString());
      auto applied = (*store)->Migrate();
      if (!applied.ok()) return Fail(applied.status().ToString());
      for (const auto& v : *applied) std::cout << v << "\n";
      return 0;
    }
    if (agent_add->parsed()) return AgentAdd(*config, email, name, role, max_chats);
    if (agent_list->parsed()) return AgentList(*config);
    if (expire->parsed()) return ExpireOnce(*config, *log);
    if (simulate->parsed()) return Simulate(*config, from, sim_name, text, button, title, url);
  } catch (const std::exception& e) {
    return Fail(e.what());
  }
  return 2;
}
