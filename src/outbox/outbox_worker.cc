#include "outbox/outbox_worker.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "channels/whatsapp/bot_forwarder.h"
#include "domain/event.h"

namespace handoffd {

Duration BackoffDelay(const OutboxOptions& options, int attempts, double jitter) {
  const double base = static_cast<double>(options.base_backoff.count());
  const double cap = static_cast<double>(options.max_backoff.count());
  const double raw = std::min(cap, base * std::pow(2.0, std::min(attempts, 40)));
  return Duration(static_cast<int64_t>(raw * std::clamp(jitter, 0.5, 1.5)));
}

OutboxWorker::OutboxWorker(Store& store, const Clock& clock, Logger& log, Metrics& metrics,
                           SenderFactory sender_factory, HttpFactory http_factory,
                           OutboxOptions options)
    : store_(store),
      clock_(clock),
      log_(log),
      metrics_(metrics),
      sender_factory_(std::move(sender_factory)),
      http_factory_(std::move(http_factory)),
      options_(std::move(options)),
      limiter_(options_.rate_limit_per_second) {}

OutboxWorker::~OutboxWorker() { Stop(); }

double OutboxWorker::Jitter() {
  std::lock_guard lock(rng_mu_);
  return std::uniform_real_distribution<double>(0.5, 1.5)(rng_);
}

void OutboxWorker::Start() {
  stop_ = false;
  const int n = std::max(1, options_.sender_threads);
  for (int i = 0; i < n; ++i) lanes_.push_back(std::make_unique<Lane>());
  for (auto& lane : lanes_) threads_.emplace_back([this, l = lane.get()] { SendLoop(*l); });
  threads_.emplace_back([this] { ClaimLoop(); });
}

void OutboxWorker::Stop() {
  if (threads_.empty()) return;
  stop_ = true;
  cv_.notify_all();
  for (auto& lane : lanes_) lane->cv.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
  lanes_.clear();
}

void OutboxWorker::Notify() {
  {
    std::lock_guard lock(mu_);
    notified_ = true;
  }
  cv_.notify_one();
}

void OutboxWorker::ClaimLoop() {
  const size_t max_in_flight = static_cast<size_t>(options_.batch_size) * 2;
  while (!stop_) {
    size_t claimed = 0;
    if (static_cast<size_t>(in_flight_.load()) < max_in_flight) {
      auto items = store_.ClaimOutbox(clock_.Now(), options_.batch_size, options_.lease);
      if (!items.ok()) {
        log_.Error("outbox.claim_failed", {{"error", items.status().ToString()}});
      } else {
        claimed = items->size();
        for (OutboxItem& item : *items) {
          Lane& lane = *lanes_[std::hash<std::string>{}(item.recipient) % lanes_.size()];
          ++in_flight_;
          {
            std::lock_guard lock(lane.mu);
            lane.items.push_back(std::move(item));
          }
          lane.cv.notify_one();
        }
      }
    }
    if (claimed == static_cast<size_t>(options_.batch_size)) continue;
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, options_.poll_interval, [this] { return notified_ || stop_.load(); });
    notified_ = false;
  }
}

void OutboxWorker::SendLoop(Lane& lane) {
  std::unique_ptr<ChannelSender> sender = sender_factory_();
  std::unique_ptr<HttpClient> http = http_factory_();
  while (true) {
    OutboxItem item;
    {
      std::unique_lock lock(lane.mu);
      lane.cv.wait(lock, [&] { return stop_.load() || !lane.items.empty(); });
      if (lane.items.empty()) return;  // stopping; unsent items stay leased and come back later
      item = std::move(lane.items.front());
      lane.items.pop_front();
    }
    Process(item, *sender, *http);
    --in_flight_;
    if (stop_) {
      std::lock_guard lock(lane.mu);
      if (!lane.items.empty()) return;
    }
  }
}

int OutboxWorker::RunOnce() {
  auto items = store_.ClaimOutbox(clock_.Now(), options_.batch_size, options_.lease);
  if (!items.ok()) {
    log_.Error("outbox.claim_failed", {{"error", items.status().ToString()}});
    return 0;
  }
  std::unique_ptr<ChannelSender> sender = sender_factory_();
  std::unique_ptr<HttpClient> http = http_factory_();
  for (const OutboxItem& item : *items) Process(item, *sender, *http);
  return static_cast<int>(items->size());
}

namespace {

/// message.status for a message of a session, written with the delivery change.
MessageEventFn StatusEvent(TimePoint now) {
  return [now](const Message& m, const std::optional<Session>& s) -> std::optional<EventRecord> {
    if (!s) return std::nullopt;
    return MessageEvent("message.status", m, *s, now);
  };
}

}  // namespace

void OutboxWorker::Process(const OutboxItem& item, ChannelSender& sender, HttpClient& http) {
  nlohmann::json fields = {{"outbox_id", item.id}, {"attempt", item.attempts + 1}};
  if (item.message_id) fields["message_id"] = *item.message_id;

  SendResult result;
  nlohmann::json payload = nlohmann::json::parse(item.payload, nullptr, false);
  const std::string kind = payload.is_object() ? payload.value("kind", "") : "";
  if (kind == "forward") {
    fields["kind"] = "forward";
    result = whatsapp::ForwardToBot(http, payload.value("url", ""), options_.forward_secret,
                                    payload.value("body", ""));
  } else if (kind == "text" || kind == "buttons") {
    OutboundMessage message;
    message.channel = item.channel;
    message.phone_number_id = item.phone_number_id;
    message.to = item.recipient;
    message.text = payload.value("text", "");
    if (kind == "buttons" && payload.contains("buttons") && payload["buttons"].is_array()) {
      for (const auto& b : payload["buttons"]) {
        message.buttons.push_back({b.value("id", ""), b.value("title", "")});
      }
    }
    for (Duration wait = limiter_.TryAcquire(item.phone_number_id, clock_.Now());
         wait > Duration::zero() && !stop_;
         wait = limiter_.TryAcquire(item.phone_number_id, clock_.Now())) {
      std::this_thread::sleep_for(wait);
    }
    result = sender.Send(message, item.attempts);
  } else {
    result.outcome = SendResult::Outcome::kPermanent;
    result.error = MessageError{0, "unreadable outbox payload"};
  }

  const TimePoint now = clock_.Now();
  switch (result.outcome) {
    case SendResult::Outcome::kSent: {
      auto done = store_.CompleteOutbox(item, result.channel_message_id, StatusEvent(now));
      if (!done.ok()) {
        fields["error"] = done.status().ToString();
        log_.Error("send.record_failed", fields);
        return;
      }
      ++metrics_.messages_out;
      if (options_.on_events) options_.on_events();
      fields["wamid"] = result.channel_message_id;
      if (done->has_value() && (*done)->session_id) fields["session_id"] = *(*done)->session_id;
      log_.Info("send.ok", fields);
      return;
    }
    case SendResult::Outcome::kRetryable: {
      const MessageError err = result.error.value_or(MessageError{0, "transport error"});
      fields["error_code"] = err.code;
      fields["error_title"] = err.title;
      fields["timed_out"] = result.timed_out;
      if (now - item.created_at < options_.give_up_after) {
        Duration delay = BackoffDelay(options_, item.attempts, Jitter());
        if (result.retry_after) delay = std::max(delay, *result.retry_after);
        Status st = store_.RetryOutbox(item, now + delay, err.title);
        if (!st.ok()) fields["record_error"] = st.ToString();
        ++metrics_.send_retries;
        fields["retry_in_ms"] = delay.count();
        log_.Warn("send.retry", fields);
        return;
      }
      fields["gave_up"] = true;
      [[fallthrough]];
    }
    case SendResult::Outcome::kPermanent: {
      const MessageError err = result.error.value_or(MessageError{0, "send failed"});
      auto failed = store_.FailOutbox(item, err, StatusEvent(now));
      metrics_.SendFailed(err.code);
      if (failed.ok() && options_.on_events) options_.on_events();
      fields["error_code"] = err.code;
      fields["error_title"] = err.title;
      if (!failed.ok()) fields["record_error"] = failed.status().ToString();
      if (failed.ok() && failed->has_value() && (*failed)->session_id) {
        fields["session_id"] = *(*failed)->session_id;
      }
      log_.Error("send.failed", fields);
      return;
    }
  }
}

}  // namespace handoffd
