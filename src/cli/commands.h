// The one-shot commands of the command line (API.md "Command line"), one file each under src/cli/;
// `serve` is cli/daemon.h. Each returns the process exit status (cli/command_line.h).
#pragma once

#include <string>
#include <vector>

#include "config/config.h"
#include "log/logger.h"

namespace handoffd {

/// `handoffd migrate`: applies pending migrations (creating a missing SQLite database) and prints
/// each version applied.
int RunMigrate(const Config& config);

struct AgentAddArgs {
  std::string email;
  std::string name;
  std::string role = "agent";
  int max_chats = 5;
  /// Team slugs to join; empty: the general team.
  std::vector<std::string> teams;
};
/// `handoffd agent add ... --password-stdin`: reads the password from stdin, creates the agent and
/// prints its id.
int RunAgentAdd(const Config& config, const AgentAddArgs& args);
/// `handoffd agent list`: one agent per line, tab-separated.
int RunAgentList(const Config& config);

struct TeamAddArgs {
  std::string name;
  std::string slug;
  std::vector<std::string> trigger_ids;  // ID or ID:PRIORITY
  std::string timezone = "UTC";
  std::string hours;
  std::vector<std::string> holidays;
};
/// `handoffd team add`: creates the team and prints its id (2 on invalid input, 1 when the slug
/// or a trigger id is taken).
int RunTeamAdd(const Config& config, const TeamAddArgs& args);

/// `handoffd expire --once`: one expiry sweep now (its log lines on stderr).
int RunExpireOnce(const Config& config, Logger& log);

struct SimulateArgs {
  std::string from;
  std::string name;
  /// Exactly one of text and button.
  std::string text;
  std::string button;
  /// The tapped button's title; empty: the configured menu button's title (bot.menu.buttons),
  /// else the id.
  std::string title;
  /// The webhook URL; empty: the configured server.host and port.
  std::string url;
};
/// `handoffd simulate`: posts a signed WhatsApp webhook, as Meta would, to the daemon; prints the
/// HTTP status.
int RunSimulate(const Config& config, const SimulateArgs& args);

}  // namespace handoffd
