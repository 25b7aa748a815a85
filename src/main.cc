// handoffd: the command line (API.md "Command line"). Parses the arguments and hands over to the
// command in src/cli/. Exit status: 0 success, 2 usage or configuration error, 1 anything else;
// errors are one line on stderr.
#include <CLI/CLI.hpp>
#include <exception>
#include <string>

#include "cli/command_line.h"
#include "cli/commands.h"
#include "cli/daemon.h"
#include "log/logger.h"

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
  AgentAddArgs add;
  bool password_stdin = false;
  agent_add->add_option("--email", add.email, "login email")->required();
  agent_add->add_option("--name", add.name, "display name")->required();
  agent_add->add_option("--role", add.role, "agent, supervisor or admin");
  agent_add->add_option("--max-chats", add.max_chats, "capacity: concurrent chats (0: unlimited)");
  agent_add->add_option("--team", add.teams, "team slug to join (repeatable; default general)");
  agent_add->add_flag("--password-stdin", password_stdin, "read the password from stdin")
      ->required();
  agent_add->add_option("--config", config_path, "TOML configuration file");
  auto* agent_list = agent->add_subcommand("list", "print agents, one per line");
  agent_list->add_option("--config", config_path, "TOML configuration file");

  auto* team = app.add_subcommand("team", "manage teams");
  team->require_subcommand(1);
  team->add_option("--config", config_path, "TOML configuration file");
  auto* team_add = team->add_subcommand("add", "create a team; prints its id");
  TeamAddArgs team_args;
  team_add->add_option("--name", team_args.name, "display name")->required();
  team_add->add_option("--slug", team_args.slug, "short name (default: from the name)");
  team_add->add_option("--trigger-id", team_args.trigger_ids,
                       "reply id opening sessions in this team, ID[:PRIORITY] (repeatable)");
  team_add->add_option("--timezone", team_args.timezone, "IANA time zone (default UTC)");
  team_add->add_option("--hours", team_args.hours,
                       "opening hours, e.g. 'mon-fri 09:00-18:00; sat 10:00-14:00'");
  team_add->add_option("--holiday", team_args.holidays, "closed day YYYY-MM-DD (repeatable)");
  team_add->add_option("--config", config_path, "TOML configuration file");

  auto* expire = app.add_subcommand("expire", "run the expiry job");
  bool once = false;
  expire->add_flag("--once", once, "run one sweep now and exit")->required();
  expire->add_option("--config", config_path, "TOML configuration file");

  auto* simulate = app.add_subcommand("simulate", "play a WhatsApp customer against the daemon");
  SimulateArgs sim;
  simulate->add_option("--from", sim.from, "customer wa_id (digits)")->required();
  simulate->add_option("--name", sim.name, "customer profile name");
  auto* text_opt = simulate->add_option("--text", sim.text, "send a text message");
  auto* button_opt =
      simulate->add_option("--button", sim.button, "tap a reply button with this id");
  text_opt->excludes(button_opt);
  simulate->add_option("--title", sim.title,
                       "the tapped button's title (default: the configured menu's)");
  simulate->add_option("--url", sim.url, "webhook URL (default: from server.listen)");
  simulate->add_option("--config", config_path, "TOML configuration file");

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return Fail(std::string(e.what()) + " (see --help)", 2);
  }
  if (simulate->parsed() && sim.text.empty() == sim.button.empty()) {
    return Fail("simulate needs exactly one of --text or --button", 2);
  }

  auto config = LoadCommandLineConfig(config_path);
  if (!config.ok()) return Fail(config.status().message(), 2);
  auto log = Logger::Create(config->log.format, config->log.level);

  try {
    if (serve->parsed()) return RunDaemon(*config, !no_migrate, *log);
    if (migrate->parsed()) return RunMigrate(*config);
    if (agent_add->parsed()) return RunAgentAdd(*config, add);
    if (agent_list->parsed()) return RunAgentList(*config);
    if (team_add->parsed()) return RunTeamAdd(*config, team_args);
    if (expire->parsed()) return RunExpireOnce(*config, *log);
    if (simulate->parsed()) return RunSimulate(*config, sim);
  } catch (const std::exception& e) {
    return Fail(e.what());
  }
  return 2;
}
