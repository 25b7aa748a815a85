// sse_fanout: how many concurrent event streams (GET /api/events, Server-Sent Events) one handoffd
// holds, what they cost, and how fast one event reaches all of them (issue 9 #2 / issue 11 #7:
// the connection-model decision, docs/connections.md).
//
//   sse_fanout --url http://127.0.0.1:8080 --token T --secret S --watch-pid PID
//              [--steps 1000,5000,10000] [--events 40] [--interval 250ms] [--grace 5s]
//              [--healthz-interval 100ms] [--phone-number-id ID] [--label NAME]
//
// One thread drives every stream with epoll (non-blocking sockets, so the bench itself holds no
// thread per stream). For each step it opens streams until the step's count is connected (each
// has read its ": connected" preamble), samples the daemon's Threads / VmRSS / VmHWM
// (/proc/PID/status), then measures:
//   - fan-out: --events signed text webhooks, one every --interval, from a customer whose session
//     is open (AGENT_MODE first), each carrying a unique marker; for each event the time from the
//     start of its POST to its arrival on each stream (pairs), and to its arrival on the last
//     stream (fan-out completion). The token should be a supervisor's (sees every event).
//   - /healthz: a new connection every --healthz-interval during the events; request latency.
// Streams that end or never connect are counted. A pair still missing --grace after the last
// event is a miss.
//
// Prints one JSON line per step on stdout and a summary on stderr. Exit 0 when it ran, 2 on bad
// arguments, 1 when the daemon is unreachable or no stream connects.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "bench_common.h"

namespace {

using bench::Percentile;
using bench::SteadyClock;

struct Options {
  std::string url;
  std::string host = "127.0.0.1";
  int port = 0;
  std::string token;
  std::string secret;
  int watch_pid = 0;
  std::vector<int> steps = {1000, 5000, 10000};
  int events = 40;
  double interval_s = 0.25;
  double grace_s = 5;
  double healthz_interval_s = 0.1;
  std::string phone_number_id = "123456789012345";
  std::string label;
};

[[noreturn]] void Usage(const std::string& error) {
  if (!error.empty()) std::cerr << "sse_fanout: " << error << "\n";
  std::cerr << "usage: sse_fanout --url http://HOST:PORT --token T --secret S --watch-pid PID\n"
               "         [--steps 1000,5000,10000] [--events 40] [--interval 250ms] [--grace 5s]\n"
               "         [--healthz-interval 100ms] [--phone-number-id ID] [--label NAME]\n";
  std::exit(2);
}

Options ParseArgs(int argc, char** argv) {
  Options o;
  auto need = [&](int& i) -> std::string {
    if (i + 1 >= argc) Usage(std::string(argv[i]) + " needs a value");
    return argv[++i];
  };
  auto seconds = [&](int& i, double* out) {
    const std::string flag = argv[i];
    if (!bench::ParseSeconds(need(i), out)) Usage(flag + ": bad duration");
  };
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--url") {
      o.url = need(i);
    } else if (a == "--token") {
      o.token = need(i);
    } else if (a == "--secret") {
      o.secret = need(i);
    } else if (a == "--watch-pid") {
      o.watch_pid = std::atoi(need(i).c_str());
    } else if (a == "--steps") {
      o.steps.clear();
      std::stringstream list(need(i));
      std::string item;
      while (std::getline(list, item, ',')) {
        if (std::atoi(item.c_str()) > 0) o.steps.push_back(std::atoi(item.c_str()));
      }
    } else if (a == "--events") {
      o.events = std::atoi(need(i).c_str());
    } else if (a == "--interval") {
      seconds(i, &o.interval_s);
    } else if (a == "--grace") {
      seconds(i, &o.grace_s);
    } else if (a == "--healthz-interval") {
      seconds(i, &o.healthz_interval_s);
    } else if (a == "--phone-number-id") {
      o.phone_number_id = need(i);
    } else if (a == "--label") {
      o.label = need(i);
    } else {
      Usage("unknown argument " + a);
    }
  }
  const std::string prefix = "http://";
  if (o.url.rfind(prefix, 0) != 0) Usage("--url must be http://HOST:PORT");
  const std::string hostport = o.url.substr(prefix.size());
  const size_t colon = hostport.rfind(':');
  if (colon == std::string::npos) Usage("--url needs a port");
  o.host = hostport.substr(0, colon);
  o.port = std::atoi(hostport.substr(colon + 1).c_str());
  if (o.token.empty() || o.secret.empty() || o.port <= 0) Usage("--token, --secret, --url needed");
  if (o.events < 1 || o.steps.empty()) Usage("--events and --steps must be positive");
  return o;
}

int64_t NowNs() {
  static const auto epoch = SteadyClock::now();
  return std::max<int64_t>(
      1, std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now() - epoch).count());
}

struct Stream {
  int fd = -1;
  bool sent = false;  // the request went out
  bool connected = false;
  bool ended = false;
  std::string buffer;
};

// All streams, on one epoll thread (the caller's).
class Streams {
 public:
  Streams(const Options& o, std::string marker) : o_(o), marker_(std::move(marker)) {
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    request_ = "GET /api/events HTTP/1.1\r\nHost: " + o.host + ":" + std::to_string(o.port) +
               "\r\nAuthorization: Bearer " + o.token + "\r\nAccept: text/event-stream\r\n\r\n";
  }
  ~Streams() {
    for (auto& s : streams_) {
      if (s.fd >= 0) close(s.fd);
    }
    close(epoll_);
  }

  // Opens streams until `total` are connected (or `timeout_s` passes); returns connected.
  int OpenUntil(int total, double timeout_s) {
    const int64_t until = NowNs() + static_cast<int64_t>(timeout_s * 1e9);
    while (connected_ < total && NowNs() < until) {
      // Keep at most 256 connecting at once: the listen backlog is 1024.
      while (static_cast<int>(streams_.size()) - connected_ - ended_ < 256 &&
             static_cast<int>(streams_.size()) - ended_ < total) {
        if (!Connect()) break;
      }
      Poll(20);
    }
    return connected_;
  }

  // Polls for up to `ms`, reading whatever arrived.
  void Poll(int ms) {
    epoll_event ev[512];
    const int n = epoll_wait(epoll_, ev, 512, ms);
    const int64_t now = NowNs();
    for (int k = 0; k < n; ++k) Read(streams_[ev[k].data.u32], now);
  }

  void Arm(int events) {
    arrivals_.assign(static_cast<size_t>(events), std::vector<int64_t>(streams_.size(), 0));
  }
  const std::vector<std::vector<int64_t>>& arrivals() const { return arrivals_; }
  int connected() const { return connected_; }
  int ended() const { return ended_; }
  const std::map<std::string, int>& end_reasons() const { return end_reasons_; }

 private:
  bool Connect() {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(o_.port));
    inet_pton(AF_INET, o_.host.c_str(), &addr.sin_addr);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 &&
        errno != EINPROGRESS) {
      close(fd);
      return false;
    }
    Stream s;
    s.fd = fd;
    streams_.push_back(std::move(s));
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP;
    ev.data.u32 = static_cast<uint32_t>(streams_.size() - 1);
    epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev);
    return true;
  }

  void End(Stream& s, const std::string& reason) {
    if (s.ended) return;
    s.ended = true;
    ++ended_;
    if (s.connected) --connected_;
    end_reasons_[(s.connected ? "lost_" : "refused_") + reason]++;
    epoll_ctl(epoll_, EPOLL_CTL_DEL, s.fd, nullptr);
    close(s.fd);
    s.fd = -1;
  }

  void Read(Stream& s, int64_t now) {
    if (s.ended) return;
    if (!s.sent) {
      // First writable event: send the request once, then watch for input only.
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLRDHUP;
      ev.data.u32 = static_cast<uint32_t>(&s - streams_.data());
      epoll_ctl(epoll_, EPOLL_CTL_MOD, s.fd, &ev);
      if (send(s.fd, request_.data(), request_.size(), MSG_NOSIGNAL) !=
          static_cast<ssize_t>(request_.size())) {
        return End(s, "send");
      }
      s.sent = true;
    }
    char buf[16384];
    while (true) {
      const ssize_t n = recv(s.fd, buf, sizeof(buf), 0);
      if (n == 0) return End(s, "eof");
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;
        return End(s, "error");
      }
      s.buffer.append(buf, static_cast<size_t>(n));
      Parse(s, now);
      if (s.ended) return;
    }
  }

  void Parse(Stream& s, int64_t now) {
    if (!s.connected) {
      if (s.buffer.size() >= 12 && s.buffer.compare(0, 9, "HTTP/1.1 ") == 0 &&
          s.buffer.compare(9, 3, "200") != 0) {
        return End(s, "http_" + s.buffer.substr(9, 3));
      }
      if (s.buffer.find(": connected") == std::string::npos) return;  // keep all until then
      s.connected = true;
      ++connected_;
    }
    size_t at = 0;
    while ((at = s.buffer.find(marker_, at)) != std::string::npos) {
      size_t p = at + marker_.size();
      int64_t index = 0;
      size_t digits = 0;
      while (p < s.buffer.size() && std::isdigit(static_cast<unsigned char>(s.buffer[p]))) {
        index = index * 10 + (s.buffer[p++] - '0');
        ++digits;
      }
      if (p >= s.buffer.size()) break;  // the number may continue in the next read
      if (digits > 0 && s.buffer[p] == '.' && index < static_cast<int64_t>(arrivals_.size())) {
        int64_t& slot = arrivals_[index][&s - streams_.data()];
        if (slot == 0) slot = now;
      }
      at = p;
    }
    // Keep only what may hold the start of an unfinished marker.
    const size_t keep = marker_.size() + 24;
    if (s.buffer.size() > keep * 2) s.buffer.erase(0, s.buffer.size() - keep);
  }

  const Options& o_;
  const std::string marker_;
  int epoll_ = -1;
  std::string request_;
  std::vector<Stream> streams_;
  int connected_ = 0;
  int ended_ = 0;
  std::map<std::string, int> end_reasons_;
  std::vector<std::vector<int64_t>> arrivals_;
};

std::string Text(const std::string& marker, int i) { return marker + std::to_string(i) + "."; }

nlohmann::json Stats(std::vector<int64_t> v) {
  std::sort(v.begin(), v.end());
  if (v.empty()) return {{"n", 0}};
  return {{"n", v.size()},
          {"p50_ms", bench::Round(Percentile(v, 0.50), 2)},
          {"p99_ms", bench::Round(Percentile(v, 0.99), 2)},
          {"max_ms", bench::Round(Percentile(v, 1.0), 2)}};
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = ParseArgs(argc, argv);
  const std::string run = bench::RandomRunId();
  const std::string marker = "fanout-" + run + "-";
  const std::string customer = bench::CustomerWaId(static_cast<int>(NowNs() % 90000000));

  // The customer's session is opened first, so the measured texts produce message.created.
  {
    auto client = bench::MakeClient(o.url);
    handoffd::whatsapp::SimulatedMessage m;
    m.phone_number_id = o.phone_number_id;
    m.from = customer;
    m.name = "Fanout Customer";
    m.wamid = "wamid.FANOUT." + run + ".open";
    m.timestamp = bench::NowUnixSeconds();
    m.button_id = "AGENT_MODE";
    m.button_title = "Talk to Expert";
    const int status =
        bench::Send(*client, bench::Sign(o.secret, handoffd::whatsapp::BuildMessageWebhook(m)));
    if (status != 200) {
      std::cerr << "sse_fanout: opening the session: " << bench::StatusName(status) << "\n";
      return 1;
    }
  }

  Streams streams(o, marker);
  const auto baseline = bench::ProcStatus(o.watch_pid);
  int event_base = 0;
  for (int step : o.steps) {
    const int64_t open_start = NowNs();
    const int connected = streams.OpenUntil(step, 120);
    const double open_s = static_cast<double>(NowNs() - open_start) / 1e9;
    for (int k = 0; k < 50; ++k) streams.Poll(10);  // let the daemon settle
    const auto proc = bench::ProcStatus(o.watch_pid);
    if (connected == 0) {
      std::cerr << "sse_fanout: no stream connected\n";
      return 1;
    }

    // Fan-out: events from a sender thread; arrivals recorded here.
    streams.Arm(event_base + o.events);
    std::vector<int64_t> sent(static_cast<size_t>(event_base + o.events), 0);
    std::vector<int> status(sent.size(), 0);
    std::vector<int64_t> healthz;
    std::atomic<bool> sending{true};
    std::thread sender([&] {
      auto client = bench::MakeClient(o.url);
      for (int i = event_base; i < event_base + o.events; ++i) {
        handoffd::whatsapp::SimulatedMessage m;
        m.phone_number_id = o.phone_number_id;
        m.from = customer;
        m.name = "Fanout Customer";
        m.wamid = "wamid.FANOUT." + run + "." + std::to_string(i);
        m.timestamp = bench::NowUnixSeconds();
        m.text = Text(marker, i);
        auto prepared = bench::Sign(o.secret, handoffd::whatsapp::BuildMessageWebhook(m));
        sent[i] = NowNs();
        status[i] = bench::Send(*client, prepared);
        std::this_thread::sleep_for(std::chrono::duration<double>(o.interval_s));
      }
      sending = false;
    });
    std::thread prober([&] {
      while (sending) {
        httplib::Client c(o.url);
        c.set_keep_alive(false);
        c.set_connection_timeout(10, 0);
        c.set_read_timeout(10, 0);
        const int64_t t0 = NowNs();
        auto res = c.Get("/healthz");
        if (res && res->status == 200) healthz.push_back(NowNs() - t0);
        std::this_thread::sleep_for(std::chrono::duration<double>(o.healthz_interval_s));
      }
    });
    while (sending) streams.Poll(5);
    sender.join();
    prober.join();
    const int64_t grace_until = NowNs() + static_cast<int64_t>(o.grace_s * 1e9);
    auto complete = [&] {
      for (int i = event_base; i < event_base + o.events; ++i) {
        for (int64_t t : streams.arrivals()[i]) {
          if (t == 0) return false;
        }
      }
      return true;
    };
    while (NowNs() < grace_until && !complete()) streams.Poll(20);

    std::vector<int64_t> pairs, fanout;
    int64_t missed = 0, failed_posts = 0;
    const int live = streams.connected();
    for (int i = event_base; i < event_base + o.events; ++i) {
      if (status[i] != 200) {
        ++failed_posts;
        continue;
      }
      int64_t last = 0;
      int got = 0;
      for (int64_t t : streams.arrivals()[i]) {
        if (t == 0) continue;
        pairs.push_back(std::max<int64_t>(0, t - sent[i]));
        last = std::max(last, t - sent[i]);
        ++got;
      }
      missed += std::max(0, live - got);
      if (got >= live) fanout.push_back(last);
    }
    nlohmann::json out = {
        {"label", o.label},
        {"streams_target", step},
        {"streams_connected", connected},
        {"streams_live_after", live},
        {"open_seconds", bench::Round(open_s, 2)},
        {"threads_before", baseline.count("Threads") ? baseline.at("Threads") : 0},
        {"threads", proc.count("Threads") ? proc.at("Threads") : 0},
        {"rss_mb", bench::Round(proc.count("VmRSS") ? proc.at("VmRSS") / 1024.0 : 0, 1)},
        {"hwm_mb", bench::Round(proc.count("VmHWM") ? proc.at("VmHWM") / 1024.0 : 0, 1)},
        {"rss_mb_before",
         bench::Round(baseline.count("VmRSS") ? baseline.at("VmRSS") / 1024.0 : 0, 1)},
        {"events", o.events},
        {"failed_posts", failed_posts},
        {"pair_latency", Stats(pairs)},
        {"fanout_complete", Stats(fanout)},
        {"missed_pairs", missed},
        {"healthz", Stats(healthz)},
        {"stream_ends", streams.end_reasons()}};
    std::cout << out.dump() << std::endl;
    std::cerr << "sse_fanout: " << step << " streams: " << out.dump(1) << "\n";
    event_base += o.events;
  }
  return 0;
}
