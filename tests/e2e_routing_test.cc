// Teams and routing end to end (API.md "Teams and routing"): the real binary, the fake Graph
// API, both databases. Queued customers are told their place and an estimate from real waits;
// an agent coming online drains the queue in auto mode; an unanswered claim goes to someone
// else; the after-hours text names the next opening; the team routes and assignment rules.
#include <chrono>
#include <ctime>

#include "support/e2e_fixture.h"

namespace handoffd::testing {
namespace {

constexpr char kAna[] = "4915100000101";
constexpr char kBen[] = "4915100000102";
constexpr char kCai[] = "4915100000103";

class E2eRoutingTest : public E2eTest {
 protected:
  static int64_t Now() { return static_cast<int64_t>(std::time(nullptr)); }
  std::string LastText(const std::string& wa_id) const {
    auto sent = SentTo(wa_id);
    return sent.empty() ? "" : Str(At(sent.back().body, "text"), "body");
  }
  std::string Cli(const std::vector<std::string>& args) {
    CommandResult r = daemon_->RunCli(args, "");
    EXPECT_EQ(r.exit_code, 0) << r.Describe();
    return Trim(r.out);
  }
  std::string AddMember(const std::string& email, const std::string& name,
                        const std::string& password, int max_chats, const std::string& team) {
    CommandResult r =
        daemon_->RunCli({"agent", "add", "--email", email, "--name", name, "--max-chats",
                         std::to_string(max_chats), "--team", team, "--password-stdin"},
                        password + "\n");
    EXPECT_EQ(r.exit_code, 0) << r.Describe();
    return Trim(r.out);
  }
  Reply Put(const std::string& path, const json& body, const std::string& token) const {
    return Call("PUT", path, token, body.dump());
  }
};

TEST_P(E2eRoutingTest, QueuedCustomersAreToldTheirPlaceAndAnEstimateFromRealWaits) {
  StartDaemon(BaseOptions());
  AddAgent("alice@example.com", "Alice Agent", "agent", "alice-pass-1", 5);
  Login alice = LogIn("alice@example.com", "alice-pass-1");
  json first = AskForAnAgent(kAna, "Ana", "wamid.route.1", Now(), alice.token);
  EXPECT_EQ(LastText(kAna), "You are number 1 in line.");  // no history: no promise
  EXPECT_EQ(At(first, "queue_position"), 1);
  EXPECT_EQ(Str(first, "team_name"), "General");
  Accept(first, alice, "Alice Agent");  // a real wait of well under a minute
  json second = AskForAnAgent(kBen, "Ben", "wamid.route.2", Now(), alice.token);
  EXPECT_EQ(LastText(kBen), "You are number 1 in line. Estimated wait: about 1 minute.");
  json third = AskForAnAgent(kCai, "Cai", "wamid.route.3", Now(), alice.token);
  EXPECT_EQ(LastText(kCai), "You are number 2 in line. Estimated wait: about 1 minute.");
  EXPECT_EQ(At(GetSession(third, alice.token), "queue_position"), 2);
  EXPECT_EQ(At(GetSession(second, alice.token), "priority"), 0);
  // Per-team queue gauges: Ben and Cai wait in general; an empty team shows 0 and 0.
  Cli({"team", "add", "--name", "Billing", "--slug", "billing"});
  Reply metrics = Get("/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_TRUE(Contains(metrics.body, "\nhandoffd_queue_length{team=\"general\"} 2\n"))
      << metrics.body;
  EXPECT_TRUE(Contains(metrics.body, "\nhandoffd_queue_length{team=\"billing\"} 0\n"))
      << metrics.body;
  EXPECT_TRUE(Contains(metrics.body, "\nhandoffd_queue_longest_wait_seconds{team=\"billing\"} 0\n"))
      << metrics.body;
  const std::string key = "\nhandoffd_queue_longest_wait_seconds{team=\"general\"} ";
  const size_t at = metrics.body.find(key);
  ASSERT_NE(at, std::string::npos) << metrics.body;
  const double longest = std::stod(metrics.body.substr(at + key.size()));
  EXPECT_GT(longest, 0.0);  // Ben's session, created before the requests above
  EXPECT_LT(longest, 300.0);
  EXPECT_TRUE(Contains(metrics.body, "# TYPE handoffd_queue_length gauge\n")) << metrics.body;
}

TEST_P(E2eRoutingTest, AnAgentComingOnlineDrainsTheQueueInAutoMode) {
  DaemonOptions o = BaseOptions();
  o.extra_toml["routing.mode"] = "\"auto\"";
  StartDaemon(o);
  AddAgent("alice@example.com", "Alice Agent", "agent", "alice-pass-1", 5);
  AddAgent("sam@example.com", "Sam Supervisor", "supervisor", "sam-pass-1");
  Login sam = LogIn("sam@example.com", "sam-pass-1");  // supervisors are not auto-assigned
  AskForAnAgent(kAna, "Ana", "wamid.auto.1", Now(), sam.token);
  AskForAnAgent(kBen, "Ben", "wamid.auto.2", Now(), sam.token);
  EXPECT_EQ(LastText(kBen), "You are number 2 in line.");
  Login alice = LogIn("alice@example.com", "alice-pass-1");  // online on login: no click
  for (const char* who : {kAna, kBen}) {
    WaitForSentTo(who, 3);
    EXPECT_EQ(LastText(who), "You are now chatting with Alice Agent.") << who;
  }
  Reply mine = Get("/api/agent/sessions/my-chats/" + alice.id, alice.token);
  ASSERT_EQ(mine.status, 200) << mine.Describe();
  EXPECT_EQ(At(mine.j, "sessions").size(), 2u);
  Reply metrics = Get("/metrics");
  EXPECT_TRUE(Contains(metrics.body, "handoffd_assignments_total{mode=\"auto\"} 2"))
      << metrics.body;
}

TEST_P(E2eRoutingTest, AnUnansweredClaimGoesBackToTheQueueAndToSomeoneElse) {
  DaemonOptions o = BaseOptions();
  o.extra_toml["routing.mode"] = "\"auto\"";
  o.extra_toml["routing.first_response_timeout"] = "\"2s\"";
  o.extra_toml["routing.sweep_interval"] = "\"200ms\"";
  StartDaemon(o);
  AddAgent("alice@example.com", "Alice Agent", "agent", "alice-pass-1", 5);
  AddAgent("bob@example.com", "Bob Agent", "agent", "bob-pass-1", 5);
  Login alice = LogIn("alice@example.com", "alice-pass-1");
  Deliver(ButtonWebhook(kAna, "Ana", "AGENT_MODE", "Talk to Expert", "wamid.lease.1", Now()));
  // Wait for the texts, not a send count (the first text's timing is the channel's).
  ASSERT_TRUE(Eventually(
      [&] { return CountTextSends("You are now chatting with Alice Agent.") == 1; }, seconds(10)));
  // Only sessions a pass saw before assigning are told their place: not this one.
  EXPECT_EQ(CountTextSends("You are number 1 in line."), 0);
  Login bob = LogIn("bob@example.com", "bob-pass-1");
  ASSERT_TRUE(Eventually(
      [&] { return CountTextSends("You are now chatting with Bob Agent.") == 1; }, seconds(15)));
  EXPECT_EQ(LastText(kAna), "You are now chatting with Bob Agent.");
  Reply mine = Get("/api/agent/sessions/my-chats/" + bob.id, bob.token);
  ASSERT_EQ(At(mine.j, "sessions").size(), 1u) << mine.Describe();
  json messages = Messages(At(mine.j, "sessions")[0], bob.token);
  bool why = false;
  for (const auto& m : messages) {
    why |= Contains(Str(m, "content"), "No reply from Alice Agent within 2 s");
  }
  EXPECT_TRUE(why) << messages.dump();
}

TEST_P(E2eRoutingTest, AfterHoursTheCustomerIsToldWhenTheTeamOpens) {
  StartDaemon(BaseOptions());
  using namespace std::chrono;
  const sys_days today = floor<days>(system_clock::now());
  auto ymd = [](sys_days d) {
    const year_month_day x{d};
    char text[32];
    std::snprintf(text, sizeof(text), "%04d-%02u-%02u", static_cast<int>(x.year()),
                  static_cast<unsigned>(x.month()) % 100u, static_cast<unsigned>(x.day()) % 100u);
    return std::string(text);
  };
  static const char* kDays[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                "Thursday", "Friday", "Saturday"};
  Cli({"team", "add", "--name", "Night Desk", "--slug", "night", "--trigger-id", "AGENT_MODE_NIGHT",
       "--timezone", "UTC", "--hours", "mon-sun 00:00-24:00", "--holiday", ymd(today), "--holiday",
       ymd(today + days(1))});
  Deliver(ButtonWebhook(kAna, "Ana", "AGENT_MODE_NIGHT", "Night", "wamid.night.1", Now()));
  WaitForSentTo(kAna, 2);
  EXPECT_EQ(LastText(kAna), std::string("We are closed now and will answer when we open (") +
                                kDays[weekday{today + days(2)}.c_encoding()] + " 00:00).");
}

TEST_P(E2eRoutingTest, TeamRoutesMembershipCapacityDeclineAndTransfer) {
  StartDaemon(BaseOptions());
  AddAgent("root@example.com", "Root Admin", "admin", "root-pass-1");
  AddAgent("sam@example.com", "Sam Supervisor", "supervisor", "sam-pass-1");
  AddAgent("alice@example.com", "Alice Agent", "agent", "alice-pass-1", 1);
  Login root = LogIn("root@example.com", "root-pass-1");
  Login sam = LogIn("sam@example.com", "sam-pass-1");
  Login alice = LogIn("alice@example.com", "alice-pass-1");
  EXPECT_EQ(At(alice.agent, "teams").size(), 1u);

  const json billing_in = {{"name", "Billing"},
                           {"trigger_ids", {"AGENT_MODE_BILLING"}},
                           {"timezone", "Europe/Berlin"},
                           {"hours", ""},
                           {"holidays", json::array()}};
  ExpectError(PostJson("/api/teams", billing_in, sam.token), 403, "forbidden", "supervisor");
  Reply created = PostJson("/api/teams", billing_in, root.token);
  ASSERT_EQ(created.status, 201) << created.Describe();
  for (const char* key : {"id", "name", "slug", "trigger_ids", "timezone", "hours", "holidays",
                          "open_now", "next_open"}) {
    EXPECT_TRUE(created.j.contains(key)) << key;
  }
  EXPECT_EQ(Str(created.j, "slug"), "billing");
  EXPECT_EQ(At(created.j, "open_now"), true);
  const std::string team_id = IdStr(At(created.j, "id"));
  ExpectError(PostJson("/api/teams", billing_in, root.token), 409, "conflict", "taken slug");
  ExpectError(PostJson("/api/teams", {{"name", "Other"}, {"trigger_ids", {"AGENT_MODE_BILLING"}}},
                       root.token),
              409, "conflict", "taken trigger id");
  ExpectError(PostJson("/api/teams", {{"name", "Mars"}, {"timezone", "Mars/Base"}}, root.token),
              400, "bad_request", "unknown zone");
  Reply renamed = Put("/api/teams/" + team_id, {{"name", "Billing & Refunds"}}, root.token);
  ASSERT_EQ(renamed.status, 200) << renamed.Describe();
  EXPECT_EQ(Str(renamed.j, "name"), "Billing & Refunds");
  Reply teams = Get("/api/teams", alice.token);
  ASSERT_EQ(teams.status, 200);
  EXPECT_EQ(At(teams.j, "teams").size(), 2u);

  // A Billing customer: Alice is not a member, so she neither sees nor takes the session.
  Deliver(ButtonWebhook(kAna, "Ana", "AGENT_MODE_BILLING", "Billing", "wamid.team.1", Now()));
  WaitForSentTo(kAna, 2);
  json waiting = At(Get("/api/agent/sessions/waiting", sam.token).j, "sessions");
  ASSERT_EQ(waiting.size(), 1u);
  const json billing_session = waiting[0];
  EXPECT_EQ(Str(billing_session, "team_name"), "Billing & Refunds");
  EXPECT_EQ(At(Get("/api/agent/sessions/waiting", alice.token).j, "sessions").size(), 0u);
  EXPECT_EQ(At(Get("/api/agent/sessions/waiting?team_id=1", sam.token).j, "sessions").size(), 0u);
  ExpectError(PostJson(SessionPath(billing_session) + "/assign", json::object(), alice.token), 403,
              "not_member", "outside the team");
  ExpectError(Call("PUT", "/api/teams/" + team_id + "/members/" + alice.id, alice.token, "{}"), 403,
              "forbidden", "agents manage no memberships");
  Reply joined = Call("PUT", "/api/teams/" + team_id + "/members/" + alice.id, sam.token, "{}");
  EXPECT_EQ(joined.status, 204) << joined.Describe();
  Accept(billing_session, alice, "Alice Agent");

  // Capacity 1: a second chat is refused unless a supervisor forces it.
  json general = AskForAnAgent(kBen, "Ben", "wamid.team.2", Now(), sam.token);
  ExpectError(PostJson(SessionPath(general) + "/assign", json::object(), alice.token), 409,
              "at_capacity", "full agent");
  ExpectError(
      PostJson(SessionPath(general) + "/assign", {{"agent_id", std::stoll(alice.id)}}, sam.token),
      409, "at_capacity", "supervisor without force");
  Reply forced = PostJson(SessionPath(general) + "/assign",
                          {{"agent_id", std::stoll(alice.id)}, {"force", true}}, sam.token);
  ASSERT_EQ(forced.status, 200) << forced.Describe();

  // Decline (before any reply) puts it back; transfer to a team tells the customer.
  Reply declined = PostEmpty(SessionPath(general) + "/decline", alice.token);
  ASSERT_EQ(declined.status, 200) << declined.Describe();
  EXPECT_EQ(Str(declined.j, "status"), "waiting");
  EXPECT_EQ(At(declined.j, "queue_position"), 1);
  Reply moved = PostJson(SessionPath(billing_session) + "/transfer",
                         {{"team_id", 1}, {"note", "not a billing question"}}, alice.token);
  ASSERT_EQ(moved.status, 200) << moved.Describe();
  EXPECT_EQ(Str(moved.j, "status"), "waiting");
  EXPECT_EQ(Str(moved.j, "team_name"), "General");
  WaitForSentTo(kAna, 4);
  EXPECT_EQ(LastText(kAna), "Transferring you to General...");
  ExpectError(
      PostJson(SessionPath(general) + "/transfer", {{"team_id", 1}, {"agent_id", 1}}, sam.token),
      400, "bad_request", "two targets");
  Reply prio = Put(SessionPath(general) + "/priority", {{"priority", 3}}, sam.token);
  ASSERT_EQ(prio.status, 200) << prio.Describe();
  EXPECT_EQ(At(prio.j, "priority"), 3);
  ExpectError(Put(SessionPath(general) + "/priority", {{"priority", 3}}, alice.token), 403,
              "forbidden", "agents set no priority");

  Reply overview = Get("/api/overview", sam.token);
  ASSERT_EQ(overview.status, 200) << overview.Describe();
  ASSERT_EQ(At(overview.j, "teams").size(), 2u);
  const json g = At(overview.j, "teams")[0];
  for (const char* key :
       {"id", "name", "waiting", "longest_wait_seconds", "agents_online", "agents_away",
        "agents_offline", "active_chats", "free_capacity", "open_now", "next_open"}) {
    EXPECT_TRUE(g.contains(key)) << key;
  }
  EXPECT_EQ(At(g, "waiting"), 2);
  for (const char* key :
       {"sessions", "assigned", "missed", "median_wait_seconds", "median_first_response_seconds"}) {
    EXPECT_TRUE(At(overview.j, "today").contains(key)) << key;
  }
  // Today's figures come from the report query: both sessions, the declined one was assigned.
  const json today = At(overview.j, "today");
  EXPECT_EQ(At(today, "sessions"), 2) << today.dump();
  EXPECT_GE(At(today, "assigned").get<int>(), 1) << today.dump();
  EXPECT_TRUE(At(today, "median_wait_seconds").is_number()) << today.dump();
  ExpectError(Get("/api/overview", alice.token), 403, "forbidden", "agents see no overview");
}

HANDOFFD_E2E_INSTANTIATE(E2eRoutingTest);

}  // namespace
}  // namespace handoffd::testing
