// End to end: the agents' API. Agents created from the CLI log in and see themselves, tokens
// and logout; supervisor views; starting a session for a phone number.
#include <gtest/gtest.h>

#include "support/e2e_fixture.h"

namespace handoffd::testing {
namespace {

class E2eAgentApiTest : public E2eTest {};

TEST_P(E2eAgentApiTest, AgentsFromTheCliLogInAndOut) {
  ASSERT_NO_FATAL_FAILURE(StartDaemon(BaseOptions()));

  // --- 4. Agents from the CLI; login; /api/me. ---
  const std::string alice_id =
      AddAgent("alice@example.com", "Alice Agent", "agent", "alice-pass-1", 5);
  const std::string bob_id = AddAgent("bob@example.com", "Bob Agent", "agent", "bob-pass-1");
  const std::string sam_id =
      AddAgent("sam@example.com", "Sam Supervisor", "supervisor", "sam-pass-1");
  {
    CommandResult dup_agent = daemon_->RunCli({"agent", "add", "--email", "alice@example.com",
                                               "--name", "Alice Again", "--password-stdin"},
                                              "another-password-1\n");
    EXPECT_EQ(dup_agent.exit_code, 1) << "duplicate email: " << dup_agent.Describe();
    CommandResult list = daemon_->RunCli({"agent", "list"});
    EXPECT_EQ(list.exit_code, 0) << list.Describe();
    EXPECT_TRUE(Contains(list.out, "alice@example.com") && Contains(list.out, "bob@example.com") &&
                Contains(list.out, "sam@example.com"))
        << list.Describe();
  }

  ExpectError(PostJson("/api/auth/login", {{"email", "alice@example.com"}, {"password", "nope"}}),
              401, "unauthorized", "login with a wrong password");
  ExpectError(
      PostJson("/api/auth/login", {{"email", "nobody@example.com"}, {"password", "alice-pass-1"}}),
      401, "unauthorized", "login with an unknown email");
  const Login alice = LogIn("alice@example.com", "alice-pass-1");
  const Login bob = LogIn("bob@example.com", "bob-pass-1");
  const Login sam = LogIn("sam@example.com", "sam-pass-1");
  ASSERT_FALSE(alice.token.empty());
  ASSERT_FALSE(bob.token.empty());
  ASSERT_FALSE(sam.token.empty());
  EXPECT_EQ(alice.id, alice_id) << "agent add prints the id the API uses";
  EXPECT_EQ(bob.id, bob_id);
  EXPECT_EQ(sam.id, sam_id);
  EXPECT_EQ(Str(alice.agent, "email"), "alice@example.com");
  EXPECT_EQ(Str(alice.agent, "name"), "Alice Agent");
  EXPECT_EQ(Str(alice.agent, "role"), "agent");
  EXPECT_EQ(At(alice.agent, "max_chats"), 5);
  EXPECT_EQ(Str(sam.agent, "role"), "supervisor");
  {
    Reply me = Get("/api/me", alice.token);
    ASSERT_EQ(me.status, 200) << me.Describe();
    ExpectHasKeys(me.j, kAgentKeys, "/api/me");
    EXPECT_EQ(IdStr(At(me.j, "id")), alice_id);
    EXPECT_EQ(Str(me.j, "email"), "alice@example.com");
    EXPECT_EQ(At(me.j, "active_chats"), 0);
    const std::set<std::string> statuses = {"online", "away", "offline"};
    EXPECT_TRUE(statuses.count(Str(me.j, "status"))) << me.Describe();
  }
  ExpectError(Get("/api/me"), 401, "unauthorized", "/api/me without a token");
  ExpectError(Get("/api/me", "not-a-real-token"), 401, "unauthorized", "/api/me, bad token");
  ExpectError(Get("/api/agent/sessions/waiting"), 401, "unauthorized", "waiting without token");

  // --- 19. Logout. ---
  Reply logout = PostEmpty("/api/auth/logout", alice.token);
  EXPECT_EQ(logout.status, 204) << logout.Describe();
  ExpectError(Get("/api/me", alice.token), 401, "unauthorized", "/api/me after logout");
}

TEST_P(E2eAgentApiTest, SupervisorViews) {
  ASSERT_NO_FATAL_FAILURE(StartDaemon(BaseOptions()));
  auto [alice_id, bob_id, sam_id, alice, bob, sam] = AddTeam();
  ASSERT_FALSE(alice.token.empty());
  ASSERT_FALSE(bob.token.empty());
  ASSERT_FALSE(sam.token.empty());
  json session = AskForAnAgent(kAnna, "Anna", "wamid.ANNA.2", NowUnixSeconds(), alice.token);
  ASSERT_TRUE(session.is_object());
  ASSERT_NO_FATAL_FAILURE(Accept(session, alice, "Alice Agent"));

  // --- 13. Supervisor views. ---
  ExpectError(Get("/api/agent/sessions/all", alice.token), 403, "forbidden",
              "an agent listing all sessions");
  {
    Reply all = Get("/api/agent/sessions/all?limit=10&offset=0", sam.token);
    ASSERT_EQ(all.status, 200) << all.Describe();
    EXPECT_EQ(At(all.j, "total"), 1) << all.Describe();
    EXPECT_EQ(At(all.j, "limit"), 10) << all.Describe();
    EXPECT_EQ(At(all.j, "offset"), 0) << all.Describe();
    Reply history = Get("/api/agent/sessions/history?search=aNNa", alice.token);
    ASSERT_EQ(history.status, 200) << history.Describe();
    ASSERT_EQ(At(history.j, "sessions").size(), 1u) << history.Describe();
    ExpectError(Get("/api/agent/sessions/history?limit=201", alice.token), 400, "bad_request",
                "history limit over 200");
  }
}

// An agent starts a session for a phone number: nothing is sent.
TEST_P(E2eAgentApiTest, StartASessionForAPhoneNumber) {
  ASSERT_NO_FATAL_FAILURE(StartDaemon(BaseOptions()));
  AddAgent("sam@example.com", "Sam Supervisor", "supervisor", "sam-pass-1");
  const Login sam = LogIn("sam@example.com", "sam-pass-1");
  ASSERT_FALSE(sam.token.empty());
  ExpectError(PostEmpty("/api/agent/sessions/start/97150abc4567", sam.token), 400, "bad_request",
              "start with letters in the number");
  ExpectError(PostEmpty("/api/agent/sessions/start/12345", sam.token), 400, "bad_request",
              "start with 5 digits");
  const int64_t before = NowUnixMillis();
  Reply start = PostEmpty(std::string("/api/agent/sessions/start/") + kLayla, sam.token);
  ASSERT_EQ(start.status, 201) << start.Describe();
  ExpectHasKeys(start.j, kSessionKeys, "started session");
  EXPECT_EQ(Str(start.j, "status"), "waiting");
  EXPECT_EQ(Str(start.j, "phone_number"), kLayla);
  auto expires = ParseRfc3339(At(start.j, "expires_at"));
  ASSERT_TRUE(expires.has_value()) << start.Describe();
  EXPECT_GE(*expires, before + 22LL * 3600 * 1000 - 2000) << start.Describe();
  EXPECT_LE(*expires, NowUnixMillis() + 22LL * 3600 * 1000 + 2000) << start.Describe();
  ExpectError(PostEmpty(std::string("/api/agent/sessions/start/") + kLayla, sam.token), 409,
              "conflict", "start while the customer has an open session");
  EXPECT_TRUE(SentTo(kLayla).empty()) << "start/{phone} sends nothing to the customer";
  Reply end = PostEmpty(SessionPath(start.j) + "/end", sam.token);
  ASSERT_EQ(end.status, 200) << end.Describe();
  EXPECT_EQ(Str(end.j, "status"), "ended");
  EXPECT_EQ(Str(end.j, "end_reason"), "supervisor");
}

HANDOFFD_E2E_INSTANTIATE(E2eAgentApiTest);

}  // namespace
}  // namespace handoffd::testing
