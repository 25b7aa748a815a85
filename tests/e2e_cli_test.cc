// End to end: the command line. What works before a daemon runs, agents from the CLI, commands
// on a missing database, and `handoffd simulate` against a running daemon.
#include <gtest/gtest.h>

#include <filesystem>

#include "support/e2e_fixture.h"

namespace handoffd::testing {
namespace {

class E2eCliTest : public E2eTest {};

// --version, migrate (twice), usage errors: before any daemon runs.
TEST_P(E2eCliTest, CommandsBeforeTheDaemonRuns) {
  DaemonProcess cli_only(BaseOptions());
  CommandResult version = cli_only.RunCli({"--version"});
  EXPECT_EQ(version.exit_code, 0) << version.Describe();
  EXPECT_FALSE(Trim(version.out).empty()) << version.Describe();
  CommandResult migrate = cli_only.RunCli({"migrate", "--config", cli_only.config_path()});
  EXPECT_EQ(migrate.exit_code, 0) << migrate.Describe();
  EXPECT_FALSE(Trim(migrate.out).empty()) << "migrate prints each version applied";
  CommandResult again = cli_only.RunCli({"migrate", "--config", cli_only.config_path()});
  EXPECT_EQ(again.exit_code, 0) << again.Describe();
  CommandResult usage = cli_only.RunCli({"agent", "add", "--name", "No Email", "--password-stdin"},
                                        "long-enough-password\n");
  EXPECT_EQ(usage.exit_code, 2) << "agent add without --email: " << usage.Describe();
  EXPECT_FALSE(Trim(usage.err).empty()) << usage.Describe();
  CommandResult unknown = cli_only.RunCli({"frobnicate"});
  EXPECT_EQ(unknown.exit_code, 2) << unknown.Describe();
}

// `agent add` prints the id, refuses a duplicate email; `agent list` lists them all.
TEST_P(E2eCliTest, AgentsAddAndList) {
  ASSERT_NO_FATAL_FAILURE(StartDaemon(BaseOptions()));
  AddAgent("alice@example.com", "Alice Agent", "agent", "alice-pass-1", 5);
  AddAgent("bob@example.com", "Bob Agent", "agent", "bob-pass-1");
  AddAgent("sam@example.com", "Sam Supervisor", "supervisor", "sam-pass-1");
  CommandResult dup_agent = daemon_->RunCli(
      {"agent", "add", "--email", "alice@example.com", "--name", "Alice Again", "--password-stdin"},
      "another-password-1\n");
  EXPECT_EQ(dup_agent.exit_code, 1) << "duplicate email: " << dup_agent.Describe();
  CommandResult list = daemon_->RunCli({"agent", "list"});
  EXPECT_EQ(list.exit_code, 0) << list.Describe();
  EXPECT_TRUE(Contains(list.out, "alice@example.com") && Contains(list.out, "bob@example.com") &&
              Contains(list.out, "sam@example.com"))
      << list.Describe();
}

// `handoffd simulate` posts a signed webhook to the running daemon; a --button without --title
// sends the configured menu button's title, as WhatsApp would.
TEST_P(E2eCliTest, SimulatePlaysACustomer) {
  ASSERT_NO_FATAL_FAILURE(StartDaemon(BaseOptions()));
  {
    CommandResult sim = daemon_->RunCli(
        {"simulate", "--from", kOliver, "--name", "Oliver", "--text", "Hello from simulate"});
    EXPECT_EQ(sim.exit_code, 0) << sim.Describe();
    EXPECT_TRUE(Contains(sim.out, "200")) << sim.Describe();
    auto to_oliver = WaitForSentTo(kOliver, 1);
    ASSERT_EQ(to_oliver.size(), 1u);
    ExpectMenuSend(to_oliver[0], kOliver);
  }

  CommandResult tap = daemon_->RunCli({"simulate", "--from", kOliver, "--button", "AGENT_MODE"});
  EXPECT_EQ(tap.exit_code, 0) << tap.Describe();
  auto to_oliver = WaitForSentTo(kOliver, 3);
  ASSERT_EQ(to_oliver.size(), 3u) << "the menu, then connecting and the place in the queue";
  ExpectTextSend(to_oliver[1], kOliver, kConnecting);
  ExpectTextSend(to_oliver[2], kOliver, kQueuedFirst);
  AddAgent("sam@example.com", "Sam Supervisor", "supervisor", "sam-pass-1");
  const Login sam = LogIn("sam@example.com", "sam-pass-1");
  json session = FindWaiting(kOliver, sam.token);
  ASSERT_TRUE(session.is_object());
  bool tapped = false;
  for (const auto& m : Messages(session, sam.token)) {
    if (Str(m, "sender_type") == "customer" && Str(At(m, "metadata"), "id") == "AGENT_MODE") {
      EXPECT_EQ(Str(m, "content"), "Talk to Expert") << "the configured title: " << m.dump();
      tapped = true;
    }
  }
  EXPECT_TRUE(tapped) << "the button tap is not in the session";
}

HANDOFFD_E2E_INSTANTIATE(E2eCliTest);

// On a missing SQLite database, the commands other than serve and migrate say so and exit 1
// instead of creating it (a command run without the right --config would otherwise start an empty
// ./var/handoffd.db).
TEST(E2eCliMissingDatabase, OnlyServeAndMigrateCreateIt) {
  DaemonOptions o;
  o.binary = HANDOFFD_BINARY;
  DaemonProcess cli(o);
  const std::string db = cli.dir() + "/var/handoffd.db";
  cli.options().database_url = "sqlite:" + db;
  cli.WriteConfig();

  const std::vector<std::vector<std::string>> commands = {
      {"agent", "list"},
      {"expire", "--once"},
      {"agent", "add", "--email", "a@example.com", "--name", "A", "--password-stdin"}};
  for (const auto& args : commands) {
    CommandResult r = cli.RunCli(args, "long-enough-password\n");
    EXPECT_EQ(r.exit_code, 1) << args[0] << " " << args[1] << ": " << r.Describe();
    EXPECT_TRUE(Contains(r.err, db) && Contains(r.err, "does not exist"))
        << args[0] << " " << args[1] << ": " << r.Describe();
    EXPECT_FALSE(std::filesystem::exists(db)) << args[0] << " " << args[1] << " created " << db;
  }

  CommandResult migrate = cli.RunCli({"migrate"});
  EXPECT_EQ(migrate.exit_code, 0) << migrate.Describe();
  EXPECT_TRUE(std::filesystem::exists(db)) << "migrate creates the database";
  CommandResult list = cli.RunCli({"agent", "list"});
  EXPECT_EQ(list.exit_code, 0) << list.Describe();
  EXPECT_TRUE(Trim(list.out).empty()) << list.Describe();
}

}  // namespace
}  // namespace handoffd::testing
