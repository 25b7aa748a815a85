// Issue 9 #2 (workers exhausted without a login) against the real binary on both databases: each
// test replays one attack (a slow request head, slowloris connections from one address, more
// event streams than an agent may hold, threads left behind) and expects the limit to hold.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>

#include "support/e2e_fixture.h"

namespace handoffd::testing {
namespace {

// A TCP connection to the daemon from `source` (any 127.x.y.z: all of 127/8 is loopback, so one
// test can play several client addresses). -1 when it cannot connect.
int Connect(int port, const std::string& source = "127.0.0.1") {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in from{};
  from.sin_family = AF_INET;
  inet_pton(AF_INET, source.c_str(), &from.sin_addr);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0 ||
      connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

bool Send(int fd, const std::string& text) {
  return send(fd, text.data(), text.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(text.size());
}

// True when the server has closed `fd` (end of stream or reset) within `wait`.
bool ClosedWithin(int fd, milliseconds wait) {
  const auto until = SteadyClock::now() + wait;
  char buf[4096];
  while (SteadyClock::now() < until) {
    pollfd p{fd, POLLIN, 0};
    const auto left = std::chrono::duration_cast<milliseconds>(until - SteadyClock::now());
    if (poll(&p, 1, static_cast<int>(std::max<int64_t>(1, left.count()))) <= 0) continue;
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return true;
  }
  return false;
}

// What arrives on `fd` until `needle` is seen or `wait` passes.
std::string ReadUntil(int fd, const std::string& needle, milliseconds wait) {
  std::string out;
  const auto until = SteadyClock::now() + wait;
  char buf[4096];
  while (SteadyClock::now() < until && out.find(needle) == std::string::npos) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

int DaemonThreads(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Threads:", 0) == 0) return std::atoi(line.c_str() + 8);
  }
  return -1;
}

// The attacks need a few thousand sockets in this process.
void RaiseFileLimit() {
  rlimit r{};
  getrlimit(RLIMIT_NOFILE, &r);
  r.rlim_cur = r.rlim_max;
  setrlimit(RLIMIT_NOFILE, &r);
}

class E2eConnectionsTest : public E2eTest {
 protected:
  // `n` connections from `source` that each send a request line and one header, then stop
  // (slowloris). Closed by ~Attack.
  struct Attack {
    std::vector<int> fds;
    ~Attack() {
      for (int fd : fds) close(fd);
    }
  };
  void Slowloris(Attack& attack, int port, const std::string& source, int n) {
    for (int i = 0; i < n; ++i) {
      const int fd = Connect(port, source);
      if (fd < 0) continue;
      (void)Send(fd, "GET /healthz HTTP/1.1\r\nHost: x\r\n");
      attack.fds.push_back(fd);
    }
  }

  std::string SignedText(const std::string& wamid) const {
    return TextWebhook("15550009999", "Slow Loris", "hello", wamid, NowUnixSeconds());
  }
};

// Attack: a client adding one header line every 10 s was never cut off (each wait stayed under
// the 30 s read timeout). Here the head deadline is 1 s and a line comes every 300 ms.
TEST_P(E2eConnectionsTest, SlowRequestHeadIsCutOffAtTheHeadDeadline) {
  DaemonOptions o = BaseOptions();
  o.extra_toml["server.head_timeout"] = "\"1s\"";
  ASSERT_NO_FATAL_FAILURE(StartDaemon(o));
  const int fd = Connect(daemon_->port());
  ASSERT_GE(fd, 0);
  const auto start = SteadyClock::now();
  ASSERT_TRUE(Send(fd, "GET /healthz HTTP/1.1\r\n"));
  bool cut = false;
  for (int line = 0; line < 20 && !cut; ++line) {
    cut = ClosedWithin(fd, milliseconds(300)) ||
          !Send(fd, "X-Slow-" + std::to_string(line) + ": 1\r\n");
  }
  const auto took = SteadyClock::now() - start;
  close(fd);
  EXPECT_TRUE(cut) << "a head trickling in for 6 s was never cut off";
  EXPECT_LT(took, seconds(3));
  EXPECT_GE(took, milliseconds(900));
  // A prompt request on a new connection is served as before.
  EXPECT_EQ(Get("/healthz").status, 200);
}

// Attack: 4,200 connections that send one header line and stop made /healthz and signed webhooks
// time out. Here they come from one address (127.0.0.2), which may hold 64 ordinary connections
// (and a small share of the reserve); the rest are refused at once, and other clients are served.
TEST_P(E2eConnectionsTest, SlowlorisFromOneAddressLeavesHealthAndWebhooksServed) {
  RaiseFileLimit();
  DaemonOptions o = BaseOptions();
  o.extra_toml["server.max_connections_per_address"] = "64";
  ASSERT_NO_FATAL_FAILURE(StartDaemon(o));
  Attack attack;
  Slowloris(attack, daemon_->port(), "127.0.0.2", 4200);
  ASSERT_GT(attack.fds.size(), 4000u);

  const auto start = SteadyClock::now();
  EXPECT_EQ(Get("/healthz").status, 200);
  Reply hook = PostWebhook(SignedText("wamid.slowloris.one.address"));
  EXPECT_EQ(hook.status, 200) << hook.Describe();
  EXPECT_LT(SteadyClock::now() - start, seconds(2));
  // A further connection from the attacker's address is answered 503 and closed at once.
  const int more = Connect(daemon_->port(), "127.0.0.2");
  ASSERT_GE(more, 0);
  const std::string refused = ReadUntil(more, "too many connections", seconds(2));
  close(more);
  EXPECT_TRUE(Contains(refused, "HTTP/1.1 503")) << refused;
}

// Attack: the same slowloris filling every ordinary connection the daemon allows in total (300
// here). Reserved capacity (40) still serves /healthz and signed webhooks, not the agent API.
TEST_P(E2eConnectionsTest, ReservedCapacityServesWebhooksAndHealthWhenFull) {
  RaiseFileLimit();
  DaemonOptions o = BaseOptions();
  o.extra_toml["server.max_connections"] = "300";
  o.extra_toml["server.reserved_connections"] = "40";
  o.extra_toml["server.max_connections_per_address"] = "100000";
  ASSERT_NO_FATAL_FAILURE(StartDaemon(o));
  AddAgent("ann@example.com", "Ann", "agent", "pw-ann-1");
  Login ann = LogIn("ann@example.com", "pw-ann-1");
  Attack attack;
  Slowloris(attack, daemon_->port(), "127.0.0.2", 4200);
  ASSERT_GT(attack.fds.size(), 4000u);

  EXPECT_EQ(Get("/healthz").status, 200);
  EXPECT_EQ(Get("/readyz").status, 200);
  Reply hook = PostWebhook(SignedText("wamid.slowloris.reserved"));
  EXPECT_EQ(hook.status, 200) << hook.Describe();
  Reply api = Get("/api/agent/sessions/waiting", ann.token);
  EXPECT_EQ(api.status, 503) << api.Describe();
  EXPECT_EQ(Str(At(api.j, "error"), "code"), "unavailable");
  EXPECT_TRUE(api.headers.count("Retry-After"));

  // When the attack ends, ordinary capacity returns.
  for (int fd : attack.fds) close(fd);
  attack.fds.clear();
  EXPECT_TRUE(Eventually(
      [&] { return Get("/api/agent/sessions/waiting", ann.token).status == 200; }, seconds(10)));
}

// Attack: one agent token opened 4,096 event streams and starved everyone else. Here an agent
// may hold 3: the fourth is 429 rate_limited with Retry-After, and another agent is not affected.
TEST_P(E2eConnectionsTest, EventStreamsPerAgentAreCapped) {
  DaemonOptions o = BaseOptions();
  o.extra_toml["server.max_streams_per_agent"] = "3";
  ASSERT_NO_FATAL_FAILURE(StartDaemon(o));
  AddAgent("ann@example.com", "Ann", "agent", "pw-ann-1");
  AddAgent("bob@example.com", "Bob", "agent", "pw-bob-1");
  Login ann = LogIn("ann@example.com", "pw-ann-1");
  Login bob = LogIn("bob@example.com", "pw-bob-1");
  auto open_stream = [&](const std::string& token) {
    const int fd = Connect(daemon_->port());
    Send(fd, "GET /api/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token + "\r\n\r\n");
    return fd;
  };
  Attack streams;
  for (int i = 0; i < 3; ++i) {
    streams.fds.push_back(open_stream(ann.token));
    EXPECT_TRUE(Contains(ReadUntil(streams.fds.back(), ": connected", seconds(5)), ": connected"));
  }
  const int fourth = open_stream(ann.token);
  streams.fds.push_back(fourth);
  const std::string refused = ReadUntil(fourth, "}", seconds(5));
  EXPECT_TRUE(Contains(refused, "HTTP/1.1 429")) << refused;
  EXPECT_TRUE(Contains(refused, "Retry-After: ")) << refused;
  EXPECT_TRUE(Contains(refused, "\"rate_limited\"")) << refused;

  streams.fds.push_back(open_stream(bob.token));
  EXPECT_TRUE(Contains(ReadUntil(streams.fds.back(), ": connected", seconds(5)), ": connected"));
}

// Attack: 4,105 threads remained after all clients left. Here 300 kept-alive connections each
// hold a worker; once they close, workers idle for 1 s exit and the count falls back.
TEST_P(E2eConnectionsTest, IdleWorkersAreReleasedAfterClientsLeave) {
  RaiseFileLimit();
  DaemonOptions o = BaseOptions();
  o.extra_toml["server.threads"] = "8";
  o.extra_toml["server.worker_idle_timeout"] = "\"1s\"";
  ASSERT_NO_FATAL_FAILURE(StartDaemon(o));
  ASSERT_EQ(Get("/healthz").status, 200);
  const int baseline = DaemonThreads(daemon_->pid());
  Attack clients;
  for (int i = 0; i < 300; ++i) {
    const int fd = Connect(daemon_->port());
    ASSERT_GE(fd, 0);
    Send(fd, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    clients.fds.push_back(fd);
  }
  for (int fd : clients.fds) EXPECT_TRUE(Contains(ReadUntil(fd, "}", seconds(10)), "200 OK"));
  const int peak = DaemonThreads(daemon_->pid());
  EXPECT_GE(peak, baseline + 250);
  for (int fd : clients.fds) close(fd);
  clients.fds.clear();
  int now = peak;
  EXPECT_TRUE(Eventually(
      [&] {
        now = DaemonThreads(daemon_->pid());
        return now <= baseline + 10;
      },
      seconds(15)))
      << "baseline " << baseline << ", peak " << peak << ", now " << now;
}

HANDOFFD_E2E_INSTANTIATE(E2eConnectionsTest);

}  // namespace
}  // namespace handoffd::testing
