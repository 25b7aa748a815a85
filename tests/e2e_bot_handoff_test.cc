// The bot hands a customer over in its answer to the forwarded webhook (docs/api.md "Bot
// forwarding"): the session opens in the team the bot names, with its priority. The real binary,
// the fake Graph API standing in for the bot too, both databases.
#include <ctime>

#include "support/e2e_fixture.h"

namespace handoffd::testing {
namespace {

constexpr char kAna[] = "4915100000201";
constexpr char kBen[] = "4915100000202";

class E2eBotHandoffTest : public E2eTest {
 protected:
  static int64_t Now() { return static_cast<int64_t>(std::time(nullptr)); }
  size_t Forwards() const {
    size_t n = 0;
    for (const auto& r : fake_->Requests()) n += r.path == "/bot";
    return n;
  }
};

TEST_P(E2eBotHandoffTest, TheBotsAnswerOpensASessionInItsTeamWithItsPriority) {
  DaemonOptions o = BaseOptions();
  o.extra_toml["bot.forward_url"] = "\"" + fake_->base_url() + "/bot\"";
  StartDaemon(o);
  CommandResult team =
      daemon_->RunCli({"team", "add", "--name", "Billing", "--slug", "billing"}, "");
  ASSERT_EQ(team.exit_code, 0) << team.Describe();
  AddAgent("sam@example.com", "Sam Supervisor", "supervisor", "sam-pass-1");
  Login sam = LogIn("sam@example.com", "sam-pass-1");

  // The bot answers the forward of Ana's message with a handoff request.
  fake_->Enqueue({200, std::string(R"({"handoff":{"wa_id":")") + kAna +
                           R"(","team":"billing","priority":2}})"});
  Deliver(TextWebhook(kAna, "Ana", "My invoice is wrong, a human please", "wamid.bot.1", Now()));
  auto sent = WaitForSentTo(kAna, 2);
  ASSERT_EQ(sent.size(), 2u);
  ExpectTextSend(sent[0], kAna, kConnecting);
  EXPECT_EQ(Str(At(sent[1].body, "text"), "body"), "You are number 1 in line.");
  EXPECT_EQ(Forwards(), 1u);
  json s = FindWaiting(kAna, sam.token);
  ASSERT_TRUE(s.is_object());
  EXPECT_EQ(Str(s, "team_name"), "Billing");
  EXPECT_EQ(At(s, "priority"), 2);
  bool asked = false, note = false;
  for (const auto& m : Messages(s, sam.token)) {
    asked |= Str(m, "content") == "My invoice is wrong, a human please";
    note |= Str(m, "content") == "The bot handed the customer over";
  }
  EXPECT_TRUE(asked) << "the bot-phase message belongs to the session";
  EXPECT_TRUE(note);

  // An unknown team: nothing opens, and the log says why.
  fake_->Enqueue({200, std::string(R"({"handoff":{"wa_id":")") + kBen + R"(","team":"nope"}})"});
  Deliver(TextWebhook(kBen, "Ben", "hello", "wamid.bot.2", Now()));
  ASSERT_TRUE(Eventually([&] { return !LogEvents("bot.handoff_refused").empty(); }, seconds(10)));
  EXPECT_FALSE(FindWaiting(kBen, sam.token).is_object());
  EXPECT_TRUE(SentTo(kBen).empty());
}

HANDOFFD_E2E_INSTANTIATE(E2eBotHandoffTest);

}  // namespace
}  // namespace handoffd::testing
