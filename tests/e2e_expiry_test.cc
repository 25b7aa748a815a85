// End to end: session expiry. `handoffd expire --once` while the daemon is down, and the
// scheduler's punctual wake-up while it runs (sweep interval 1 minute, so only the wake-up can be
// in time). Each asserts the expiry log line of that very session.
#include <gtest/gtest.h>

#include "support/e2e_fixture.h"

namespace handoffd::testing {
namespace {

class E2eExpiryTest : public ::handoffd::testing::E2eTest {
 protected:
  DaemonOptions ShortTtl() const {
    DaemonOptions o = BaseOptions();
    o.session_ttl = "3s";
    o.expiry_sweep_interval = "1m";
    return o;
  }
};

// The JSON lines of `text` (a command's stderr or stdout) whose "event" is `event`.
std::vector<json> EventLines(const std::string& text, const std::string& event) {
  std::vector<json> out;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    json j = json::parse(line, nullptr, false);
    if (j.is_object() && Str(j, "event") == event) out.push_back(j);
  }
  return out;
}

// A session falls due while the daemon is stopped; `expire --once` ends it (and not before it is
// due); the customer is told once the daemon runs again.
TEST_P(E2eExpiryTest, ExpireOnceEndsWhatFellDueWhileTheDaemonWasDown) {
  ASSERT_NO_FATAL_FAILURE(StartDaemon(ShortTtl()));
  const Login sam = [&] {
    AddAgent("sam@example.com", "Sam Supervisor", "supervisor", "sam-pass-1");
    return LogIn("sam@example.com", "sam-pass-1");
  }();
  ASSERT_FALSE(sam.token.empty());
  const int64_t t_oliver = NowUnixSeconds();
  ASSERT_NO_FATAL_FAILURE(Deliver(ButtonWebhook(kOliver, "Oliver", "AGENT_MODE", "Talk to Expert",
                                                "wamid.OLIVER.1", t_oliver)));
  const json oliver = FindWaiting(kOliver, sam.token);
  ASSERT_TRUE(oliver.is_object());
  StopResult stopped = daemon_->Stop();
  EXPECT_TRUE(stopped.graceful);

  // One sweep per run until one ends the session; a run that finished before the deadline must
  // not have ended it.
  const int64_t due_ms = (t_oliver + 3) * 1000;
  CommandResult expire;
  std::vector<json> expired_lines;
  ASSERT_TRUE(Eventually(
      [&] {
        expire = daemon_->RunCli({"expire", "--once"});
        const int64_t finished = NowUnixMillis();
        EXPECT_EQ(expire.exit_code, 0) << expire.Describe();
        expired_lines = EventLines(expire.err + expire.out, "session.expired");
        if (finished < due_ms) {
          EXPECT_TRUE(expired_lines.empty()) << "expired before it was due: " << expire.Describe();
        }
        return !expired_lines.empty();
      },
      seconds(15)))
      << "expire --once never ended the session: " << expire.Describe();
  ASSERT_EQ(expired_lines.size(), 1u) << expire.Describe();
  EXPECT_EQ(IdStr(At(expired_lines[0], "session_id")), IdStr(oliver["id"]))
      << "the expiry line names the session: " << expired_lines[0].dump();
  const std::vector<json> sweeps = EventLines(expire.err + expire.out, "expiry.sweep");
  ASSERT_EQ(sweeps.size(), 1u) << "expire --once writes a JSON sweep line: " << expire.Describe();
  EXPECT_EQ(At(sweeps[0], "expired"), 1) << "the sweep line counts one expired session";

  std::string error;
  ASSERT_TRUE(daemon_->Start(seconds(20), &error)) << error;
  {
    Reply all = Get("/api/agent/sessions/all", sam.token);
    ASSERT_EQ(all.status, 200) << all.Describe();
    ASSERT_EQ(At(all.j, "sessions").size(), 1u) << all.Describe();
    json s = At(all.j, "sessions")[0];
    EXPECT_EQ(Str(s, "phone_number"), kOliver);
    EXPECT_EQ(Str(s, "status"), "ended") << s.dump();
    EXPECT_EQ(Str(s, "end_reason"), "expired") << s.dump();
  }
  auto to_oliver = WaitForSentTo(kOliver, 3);
  ASSERT_EQ(to_oliver.size(), 3u) << "connecting, the place in the queue, then expired";
  ExpectTextSend(to_oliver[0], kOliver, kConnecting);
  ExpectTextSend(to_oliver[1], kOliver, kQueuedFirst);
  ExpectTextSend(to_oliver[2], kOliver, kExpired);
}

// An active session expires on time while the daemon runs.
TEST_P(E2eExpiryTest, AnActiveSessionExpiresOnTime) {
  ASSERT_NO_FATAL_FAILURE(StartDaemon(ShortTtl()));
  const std::string alice_id =
      AddAgent("alice@example.com", "Alice Agent", "agent", "alice-pass-1");
  const Login alice = LogIn("alice@example.com", "alice-pass-1");
  ASSERT_FALSE(alice.token.empty());
  const size_t log_mark = daemon_->LogSize();
  const int64_t t_layla = NowUnixSeconds();
  ASSERT_NO_FATAL_FAILURE(Deliver(
      ButtonWebhook(kLayla, "Layla", "AGENT_MODE", "Talk to Expert", "wamid.LAYLA.1", t_layla)));
  json layla = FindWaiting(kLayla, alice.token);
  ASSERT_TRUE(layla.is_object());
  EXPECT_EQ(layla["expires_at"], Rfc3339((t_layla + 3) * 1000));
  Reply assign = PostJson(SessionPath(layla) + "/assign", json::object(), alice.token);
  ASSERT_EQ(assign.status, 200) << assign.Describe();
  json ended = WaitForSessionStatus(layla, "ended", alice.token, seconds(10));
  ASSERT_EQ(Str(ended, "status"), "ended") << "not expired within 10 s: " << ended.dump();
  EXPECT_EQ(Str(ended, "end_reason"), "expired") << ended.dump();
  auto ended_at = ParseRfc3339(ended["ended_at"]);
  ASSERT_TRUE(ended_at.has_value()) << ended.dump();
  EXPECT_GE(*ended_at, (t_layla + 3) * 1000) << "ended before it was due";
  EXPECT_LE(*ended_at, (t_layla + 3) * 1000 + 2000) << "expiry should be punctual (within ~1 s)";
  auto to_layla = WaitForSentTo(kLayla, 4);
  ASSERT_EQ(to_layla.size(), 4u) << "connecting, the place in the queue, joined, expired";
  ExpectTextSend(to_layla[1], kLayla, kQueuedFirst);
  ExpectTextSend(to_layla[2], kLayla, "You are now chatting with Alice Agent.");
  ExpectTextSend(to_layla[3], kLayla, kExpired);
  // The session's own expiry line (written right after the session ended).
  std::vector<json> expired_lines;
  EXPECT_TRUE(Eventually(
      [&] {
        expired_lines = LogEvents("session.expired", log_mark);
        return !expired_lines.empty();
      },
      seconds(5)))
      << "an expired session writes a session.expired JSON log line";
  ASSERT_EQ(expired_lines.size(), 1u);
  EXPECT_EQ(IdStr(At(expired_lines[0], "session_id")), IdStr(layla["id"]))
      << expired_lines[0].dump();
  Reply mine = Get("/api/agent/sessions/my-chats/" + alice_id, alice.token);
  EXPECT_TRUE(At(mine.j, "sessions").empty()) << mine.Describe();
}

HANDOFFD_E2E_INSTANTIATE(E2eExpiryTest);

}  // namespace
}  // namespace handoffd::testing
