// Process metrics rendered in the Prometheus text format for GET /metrics. Counters are lock-free
// atomics; labelled counters and the latency histogram take a short mutex. Thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace handoffd {

/// One team's queue at scrape time, read from the store by the caller of Metrics::Render.
struct TeamQueueGauge {
  std::string team;  // the team's slug (the label value)
  int64_t length = 0;
  /// How long its oldest waiting session has waited (since created_at); 0 when none waits.
  double longest_wait_seconds = 0;
};

class Metrics {
 public:
  /// Webhook POSTs accepted (signature valid, committed).
  std::atomic<uint64_t> webhooks_received{0};
  /// Inbound customer messages stored (duplicates excluded).
  std::atomic<uint64_t> messages_in{0};
  /// Outbound messages accepted by the channel.
  std::atomic<uint64_t> messages_out{0};
  /// Duplicated webhook items (same wamid / wamid+status) ignored.
  std::atomic<uint64_t> duplicates{0};
  std::atomic<uint64_t> send_retries{0};
  /// Items claimed again after a send began and its outcome was never recorded (a crash or a
  /// lost lease mid-send): each may reach the customer twice.
  std::atomic<uint64_t> send_unknown_outcome{0};
  std::atomic<uint64_t> expiry_sweeps{0};
  std::atomic<uint64_t> sessions_expired{0};
  /// Sessions given to an agent, by mode: an agent's accept or a supervisor's assign (manual),
  /// the router (auto), a transfer to an agent (transfer).
  std::atomic<uint64_t> assignments_manual{0};
  std::atomic<uint64_t> assignments_auto{0};
  std::atomic<uint64_t> assignments_transfer{0};
  std::atomic<uint64_t> declines{0};
  /// Sessions put back in the queue because the agent did not reply within
  /// routing.first_response_timeout.
  std::atomic<uint64_t> lease_expiries{0};
  /// Integration webhook events acknowledged (2xx) by their receivers.
  std::atomic<uint64_t> integration_deliveries{0};

  /// A session's wait (created to first assignment), in seconds, when it was first assigned.
  void ObserveWait(double seconds);
  /// A session's first response time (first assignment to first agent message), in seconds.
  void ObserveFirstResponse(double seconds);
  /// A CSAT answer (score 1-3).
  void CsatAnswered(int score);

  /// A webhook POST refused, by reason ("signature", "too_large", "not_json", "database").
  void WebhookRejected(const std::string& reason);
  /// A permanently failed send, by Meta error code (0 = transport).
  void SendFailed(int64_t code);
  /// One HTTP request's handling time in seconds, by route group ("webhook", "api", "other").
  void ObserveRequest(const std::string& route, double seconds);

  /// The exposition text. `sessions_by_status` and `queues` (one per team) are read from the
  /// store by the caller.
  std::string Render(const std::map<std::string, int64_t>& sessions_by_status,
                     const std::vector<TeamQueueGauge>& queues = {}) const;

 private:
  static constexpr std::array<double, 12> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                      0.1,   0.25,   0.5,   1.0,  2.5,   5.0};
  struct Histogram {
    std::array<uint64_t, kBuckets.size()> counts{};
    uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mu_;
  std::map<std::string, uint64_t> rejected_;
  std::map<int64_t, uint64_t> send_failed_;
  std::map<std::string, Histogram> latency_;
  /// Wait and first response (seconds): 10 s to 1 h.
  static constexpr std::array<double, 10> kTimeBuckets = {10,  30,  60,   120,  300,
                                                          600, 900, 1800, 3600, 7200};
  struct TimeHistogram {
    std::array<uint64_t, kTimeBuckets.size()> counts{};
    uint64_t count = 0;
    double sum = 0;
  };
  TimeHistogram wait_;
  TimeHistogram first_response_;
  std::map<int, uint64_t> csat_;
};

}  // namespace handoffd
