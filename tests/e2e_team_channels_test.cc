// Every channel queues in its team (API.md "Teams and routing", "Web chat", "whatsapp.numbers"):
// a business number's `team`, a widget's `team`, and the widget's queue facts (position within
// the team, the estimate from the team's real waits, the team's business hours). The real binary
// on both databases.
#include <chrono>
#include <ctime>
#include <string>

#include "tests/support/e2e_fixture.h"

namespace handoffd::testing {
namespace {

constexpr const char* kOrigin = "http://shop.example.test:8123";
constexpr const char* kSalesNumber = "123456789012345";  // the webhook builder's number

class E2eTeamChannelsTest : public E2eTest {
 protected:
  DaemonOptions Options() const {
    DaemonOptions o = BaseOptions();
    o.extra_toml["whatsapp.numbers"] =
        std::string(R"([{phone_number_id = ")") + kSalesNumber + R"(", team = "sales"}])";
    o.extra_toml["webchat.widgets"] =
        std::string(R"([{key = "desk", name = "Desk", team = "desk", allowed_origins = [")") +
        kOrigin + R"("]}, {key = "night", name = "Night", team = "night", allowed_origins = [")" +
        kOrigin + R"("]}])";
    return o;
  }
  void Cli(const std::vector<std::string>& args) {
    CommandResult r = daemon_->RunCli(args, "");
    EXPECT_EQ(r.exit_code, 0) << r.Describe();
  }
  Reply Visitor(const std::string& method, const std::string& path, const std::string& token,
                const json& body = json::object()) const {
    return Call(method, path, token, body.dump(), "application/json", {{"Origin", kOrigin}});
  }
  /// A new visitor of widget `key`; returns its token.
  std::string NewVisitor(const std::string& key, const std::string& name) {
    Reply r = Visitor("POST", "/widget/v1/visitors", "", {{"widget_key", key}, {"name", name}});
    EXPECT_EQ(r.status, 201) << r.Describe();
    return Str(r.j, "visitor_token");
  }
  Reply Handoff(const std::string& token) {
    Reply r = Visitor("POST", "/widget/v1/handoff", token);
    EXPECT_EQ(r.status, 201) << r.Describe();
    return r;
  }
  json Session(const json& id, const std::string& token) {
    Reply r = Get("/api/agent/sessions/" + IdStr(id), token);
    EXPECT_EQ(r.status, 200) << r.Describe();
    return r.j;
  }
};

std::string Ymd(std::chrono::sys_days d) {
  const std::time_t t = std::chrono::system_clock::to_time_t(d);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[16];
  std::strftime(text, sizeof(text), "%Y-%m-%d", &tm);
  return text;
}

TEST_P(E2eTeamChannelsTest, ANumbersTeamQueuesItsCustomers) {
  ASSERT_NO_FATAL_FAILURE(StartDaemon(Options()));
  Cli({"team", "add", "--name", "Sales", "--slug", "sales"});
  AddAgent("sam@example.com", "Sam Supervisor", "supervisor", "sam-pass-1");
  const Login sam = LogIn("sam@example.com", "sam-pass-1");
  Deliver(ButtonWebhook("447700900301", "Nia", "AGENT_MODE", "Talk to Expert", "wamid.num.1",
                        NowUnixSeconds()));
  Reply waiting = Get("/api/agent/sessions/waiting", sam.token);
  ASSERT_EQ(At(waiting.j, "sessions").size(), 1u) << waiting.Describe();
  EXPECT_EQ(Str(waiting.j["sessions"][0], "team_name"), "Sales") << waiting.Describe();
}

TEST_P(E2eTeamChannelsTest, AWidgetsHandoffQueuesInItsTeamWithPositionEstimateAndHours) {
  ASSERT_NO_FATAL_FAILURE(StartDaemon(Options()));
  Cli({"team", "add", "--name", "Desk", "--slug", "desk"});
  const auto today = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
  Cli({"team", "add", "--name", "Night", "--slug", "night", "--timezone", "UTC", "--hours",
       "mon-sun 00:00-24:00", "--holiday", Ymd(today), "--holiday",
       Ymd(today + std::chrono::days(1))});
  AddAgent("sam@example.com", "Sam Supervisor", "supervisor", "sam-pass-1");
  const Login sam = LogIn("sam@example.com", "sam-pass-1");

  // No history yet: first in the Desk queue, no estimate, open.
  const std::string ann = NewVisitor("desk", "Ann");
  Reply first = Handoff(ann);
  EXPECT_EQ(At(first.j, "queue_position"), 1) << first.Describe();
  EXPECT_TRUE(At(first.j, "estimated_wait_seconds").is_null()) << first.Describe();
  EXPECT_EQ(At(first.j, "open_now"), true) << first.Describe();
  EXPECT_EQ(Str(Session(At(first.j, "id"), sam.token), "team_name"), "Desk");

  // A wait of the team's becomes history: later visitors get an estimate.
  ASSERT_EQ(
      PostEmpty("/api/agent/sessions/" + IdStr(At(first.j, "id")) + "/assign", sam.token).status,
      200);
  Reply second = Handoff(NewVisitor("desk", "Ben"));
  EXPECT_EQ(At(second.j, "queue_position"), 1) << second.Describe();
  EXPECT_TRUE(At(second.j, "estimated_wait_seconds").is_number()) << second.Describe();
  Reply third = Handoff(NewVisitor("desk", "Cas"));
  EXPECT_EQ(At(third.j, "queue_position"), 2) << third.Describe();

  // The Night team is on holiday: its widget says so before and at the handoff, and its queue
  // positions are its own.
  const std::string dee = NewVisitor("night", "Dee");
  Reply conv = Visitor("GET", "/widget/v1/conversation", dee);
  ASSERT_EQ(conv.status, 200) << conv.Describe();
  EXPECT_EQ(At(conv.j, "open_now"), false) << conv.Describe();
  Reply closed = Handoff(dee);
  EXPECT_EQ(At(closed.j, "open_now"), false) << closed.Describe();
  EXPECT_EQ(At(closed.j, "queue_position"), 1) << closed.Describe();
  EXPECT_EQ(Str(Session(At(closed.j, "id"), sam.token), "team_name"), "Night");
}

HANDOFFD_E2E_INSTANTIATE(E2eTeamChannelsTest);

}  // namespace
}  // namespace handoffd::testing
