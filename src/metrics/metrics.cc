#include "metrics/metrics.h"

#include <sstream>

namespace handoffd {

void Metrics::WebhookRejected(const std::string& reason) {
  std::lock_guard lock(mu_);
  ++rejected_[reason];
}

void Metrics::SendFailed(int64_t code) {
  std::lock_guard lock(mu_);
  ++send_failed_[code];
}

void Metrics::ObserveRequest(const std::string& route, double seconds) {
  std::lock_guard lock(mu_);
  Histogram& h = latency_[route];
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++h.counts[i];
  }
  ++h.count;
  h.sum += seconds;
}

namespace {

// A label value in the exposition format: backslash, double quote and line feed escaped.
std::string LabelValue(const std::string& v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

template <typename H, typename B>
void Observe(H& h, const B& buckets, double seconds) {
  for (size_t i = 0; i < buckets.size(); ++i) {
    if (seconds <= buckets[i]) ++h.counts[i];
  }
  ++h.count;
  h.sum += seconds;
}

template <typename H, typename B>
void RenderHistogram(std::ostringstream& o, const char* name, const char* help, const H& h,
                     const B& buckets) {
  o << "# HELP " << name << ' ' << help << "\n# TYPE " << name << " histogram\n";
  for (size_t i = 0; i < buckets.size(); ++i) {
    o << name << "_bucket{le=\"" << buckets[i] << "\"} " << h.counts[i] << '\n';
  }
  o << name << "_bucket{le=\"+Inf\"} " << h.count << '\n'
    << name << "_sum " << h.sum << '\n'
    << name << "_count " << h.count << '\n';
}

}  // namespace

void Metrics::ObserveWait(double seconds) {
  std::lock_guard lock(mu_);
  Observe(wait_, kTimeBuckets, seconds);
}

void Metrics::ObserveFirstResponse(double seconds) {
  std::lock_guard lock(mu_);
  Observe(first_response_, kTimeBuckets, seconds);
}

void Metrics::CsatAnswered(int score) {
  std::lock_guard lock(mu_);
  ++csat_[score];
}

std::string Metrics::Render(const std::map<std::string, int64_t>& sessions_by_status,
                            const std::vector<TeamQueueGauge>& queues) const {
  std::ostringstream o;
  auto counter = [&o](const char* name, const char* help, uint64_t v) {
    o << "# HELP " << name << ' ' << help << "\n# TYPE " << name << " counter\n"
      << name << ' ' << v << '\n';
  };
  counter("handoffd_webhooks_received_total", "Webhook POSTs accepted and committed.",
          webhooks_received.load());
  counter("handoffd_messages_in_total", "Inbound customer messages stored.", messages_in.load());
  counter("handoffd_messages_out_total", "Outbound messages accepted by the channel.",
          messages_out.load());
  counter("handoffd_webhook_duplicates_total", "Redelivered webhook items ignored.",
          duplicates.load());
  counter("handoffd_send_retries_total", "Outbound sends scheduled for retry.",
          send_retries.load());
  counter("handoffd_send_unknown_outcome_total",
          "Sends retried after an attempt whose outcome was never recorded (possible duplicates).",
          send_unknown_outcome.load());
  counter("handoffd_expiry_sweeps_total", "Expiry sweeps run.", expiry_sweeps.load());
  counter("handoffd_sessions_expired_total", "Sessions ended by expiry.", sessions_expired.load());
  o << "# HELP handoffd_assignments_total Sessions given to an agent, by mode.\n"
       "# TYPE handoffd_assignments_total counter\n"
    << "handoffd_assignments_total{mode=\"manual\"} " << assignments_manual.load() << '\n'
    << "handoffd_assignments_total{mode=\"auto\"} " << assignments_auto.load() << '\n'
    << "handoffd_assignments_total{mode=\"transfer\"} " << assignments_transfer.load() << '\n';
  counter("handoffd_declines_total", "Sessions declined by their agent.", declines.load());
  counter("handoffd_lease_expiries_total",
          "Sessions re-queued because the agent did not reply in time.", lease_expiries.load());
  counter("handoffd_integration_deliveries_total",
          "Integration webhook events acknowledged by their receivers.",
          integration_deliveries.load());

  std::lock_guard lock(mu_);
  o << "# HELP handoffd_webhooks_rejected_total Webhook POSTs refused, by reason.\n"
       "# TYPE handoffd_webhooks_rejected_total counter\n";
  for (const auto& [reason, n] : rejected_) {
    o << "handoffd_webhooks_rejected_total{reason=\"" << reason << "\"} " << n << '\n';
  }
  o << "# HELP handoffd_sends_failed_total Outbound sends failed permanently, by error code.\n"
       "# TYPE handoffd_sends_failed_total counter\n";
  for (const auto& [code, n] : send_failed_) {
    o << "handoffd_sends_failed_total{code=\"" << code << "\"} " << n << '\n';
  }
  o << "# HELP handoffd_sessions Sessions by status.\n# TYPE handoffd_sessions gauge\n";
  for (const char* s : {"waiting", "active", "ended"}) {
    auto it = sessions_by_status.find(s);
    o << "handoffd_sessions{status=\"" << s << "\"} "
      << (it == sessions_by_status.end() ? 0 : it->second) << '\n';
  }
  o << "# HELP handoffd_queue_length Waiting sessions, by team (slug).\n"
       "# TYPE handoffd_queue_length gauge\n";
  for (const TeamQueueGauge& q : queues) {
    o << "handoffd_queue_length{team=\"" << LabelValue(q.team) << "\"} " << q.length << '\n';
  }
  o << "# HELP handoffd_queue_longest_wait_seconds How long the team's oldest waiting session has"
       " waited (0 when none waits), by team (slug).\n"
       "# TYPE handoffd_queue_longest_wait_seconds gauge\n";
  for (const TeamQueueGauge& q : queues) {
    o << "handoffd_queue_longest_wait_seconds{team=\"" << LabelValue(q.team) << "\"} "
      << q.longest_wait_seconds << '\n';
  }
  RenderHistogram(o, "handoffd_session_wait_seconds", "Session wait (created to first assignment).",
                  wait_, kTimeBuckets);
  RenderHistogram(o, "handoffd_first_response_seconds",
                  "First response time (first assignment to first agent message).", first_response_,
                  kTimeBuckets);
  o << "# HELP handoffd_csat_answers_total CSAT answers, by score (1 Bad, 2 OK, 3 Good).\n"
       "# TYPE handoffd_csat_answers_total counter\n";
  for (int score : {1, 2, 3}) {
    auto it = csat_.find(score);
    o << "handoffd_csat_answers_total{score=\"" << score << "\"} "
      << (it == csat_.end() ? 0 : it->second) << '\n';
  }
  o << "# HELP handoffd_http_request_duration_seconds HTTP request handling time.\n"
       "# TYPE handoffd_http_request_duration_seconds histogram\n";
  for (const auto& [route, h] : latency_) {
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      o << "handoffd_http_request_duration_seconds_bucket{route=\"" << route << "\",le=\""
        << kBuckets[i] << "\"} " << h.counts[i] << '\n';
    }
    o << "handoffd_http_request_duration_seconds_bucket{route=\"" << route << "\",le=\"+Inf\"} "
      << h.count << '\n'
      << "handoffd_http_request_duration_seconds_sum{route=\"" << route << "\"} " << h.sum << '\n'
      << "handoffd_http_request_duration_seconds_count{route=\"" << route << "\"} " << h.count
      << '\n';
  }
  return o.str();
}

}  // namespace handoffd
