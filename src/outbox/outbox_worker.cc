#include "outbox/outbox_worker.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "domain/event.h"
#include "outbox/outbox_payload.h"

namespace handoffd {

Duration BackoffDelay(const OutboxOptions& options, int attempts, double jitter) {
  const double base = static_cast<double>(options.base_backoff.count());
  const double cap = static_cast<double>(options.max_backoff.count());
  const double raw = std::min(cap, base * std::pow(2.0, std::min(attempts, 40)));
  return Duration(static_cast<int64_t>(raw * std::clamp(jitter, 0.5, 1.5)));
}

OutboxWorker::OutboxWorker(Store& store, const Clock& clock, Logger& log, Metrics& metrics,
                           SenderFactory sender_factory, ForwarderFactory forwarder_factory,
                           OutboxOptions options)
    : store_(store),
      clock_(clock),
      log_(log),
      metrics_(metrics),
      sender_factory_(std::move(sender_factory)),
      forwarder_factory_(std::move(forwarder_factory)),
      options_(std::move(options)),
      limiter_(options_.rate_limit_per_second, clock) {}

OutboxWorker::~OutboxWorker() { Stop(); }

double OutboxWorker::Jitter() {
  std::lock_guard lock(rng_mu_);
  return std::uniform_real_distribution<double>(0.5, 1.5)(rng_);
}

void OutboxWorker::Start() {
  stop_ = false;
  renewed_at_ = clock_.Now();
  const int n = std::max(1, options_.sender_threads);
  for (int i = 0; i < n; ++i) lanes_.push_back(std::make_unique<Lane>());
  // The claiming thread first: Stop() joins it before the senders.
  threads_.emplace_back([this] { ClaimLoop(); });
  for (auto& lane : lanes_) threads_.emplace_back([this, l = lane.get()] { SendLoop(*l); });
}

void OutboxWorker::BeginStop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& lane : lanes_) {
    std::lock_guard lock(lane->mu);
    lane->cv.notify_all();
  }
}

void OutboxWorker::Stop() {
  if (threads_.empty()) return;
  BeginStop();
  for (auto& t : threads_) t.join();
  threads_.clear();
  // Whatever is still claimed was never sent: give it back so no one waits for its lease.
  std::vector<int64_t> unsent;
  for (auto& lane : lanes_) {
    for (const OutboxItem& item : lane->items) unsent.push_back(item.id);
  }
  lanes_.clear();
  {
    std::lock_guard lock(held_mu_);
    for (int64_t id : held_) {
      if (std::find(unsent.begin(), unsent.end(), id) == unsent.end()) unsent.push_back(id);
    }
    held_.clear();
  }
  in_flight_ = 0;
  if (unsent.empty()) return;
  Status st = store_.ReleaseOutbox(unsent);
  nlohmann::json fields = {{"items", unsent.size()}};
  if (!st.ok()) {
    fields["error"] = st.ToString();
    log_.Warn("outbox.release_failed", fields);
    return;
  }
  log_.Info("outbox.released", fields);
}

void OutboxWorker::Notify() {
  {
    std::lock_guard lock(mu_);
    notified_ = true;
  }
  cv_.notify_one();
}

size_t OutboxWorker::held() const {
  std::lock_guard lock(held_mu_);
  return held_.size();
}

void OutboxWorker::Hold(const std::vector<OutboxItem>& items) {
  std::lock_guard lock(held_mu_);
  for (const OutboxItem& item : items) held_.insert(item.id);
}

void OutboxWorker::Unhold(int64_t id) {
  std::lock_guard lock(held_mu_);
  held_.erase(id);
}

void OutboxWorker::MaybeRenew() {
  const TimePoint now = clock_.Now();
  if (now - renewed_at_ < options_.lease / 3) return;
  renewed_at_ = now;
  std::vector<int64_t> ids;
  {
    std::lock_guard lock(held_mu_);
    ids.assign(held_.begin(), held_.end());
  }
  if (ids.empty()) return;
  Status st = store_.RenewOutboxLeases(ids, now + options_.lease);
  if (!st.ok()) log_.Warn("outbox.renew_failed", {{"error", st.ToString()}});
}

void OutboxWorker::ClaimLoop() {
  const size_t max_in_flight = static_cast<size_t>(options_.batch_size) * 2;
  // Renewal must come well within a lease even when nothing else wakes the loop.
  const Duration idle_wait = std::min(options_.poll_interval, options_.lease / 3);
  while (!stop_) {
    MaybeRenew();
    size_t claimed = 0;
    if (static_cast<size_t>(in_flight_.load()) < max_in_flight) {
      auto items = store_.ClaimOutbox(clock_.Now(), options_.batch_size, options_.lease);
      if (!items.ok()) {
        log_.Error("outbox.claim_failed", {{"error", items.status().ToString()}});
      } else {
        claimed = items->size();
        Hold(*items);
        for (OutboxItem& item : *items) {
          // Any lane will do: the store hands out one item per customer at a time.
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
    cv_.wait_for(lock, idle_wait, [this] { return notified_ || stop_.load(); });
    notified_ = false;
  }
}

void OutboxWorker::SendLoop(Lane& lane) {
  std::unique_ptr<ChannelSender> sender = sender_factory_();
  std::unique_ptr<BotForwarder> forwarder = forwarder_factory_();
  while (true) {
    OutboxItem item;
    {
      std::unique_lock lock(lane.mu);
      lane.cv.wait(lock, [&] { return stop_.load() || !lane.items.empty(); });
      if (stop_) return;  // unsent items stay in the lane; Stop() releases them
      item = std::move(lane.items.front());
      lane.items.pop_front();
    }
    const int64_t id = item.id;
    if (!Process(item, *sender, *forwarder) && stop_) {
      std::lock_guard lock(lane.mu);
      lane.items.push_front(std::move(item));  // paced out by the stop: released with the rest
    } else {
      Unhold(id);
    }
    --in_flight_;
    Notify();  // the customer's next item may be claimable now
  }
}

int OutboxWorker::RunOnce() {
  std::unique_ptr<ChannelSender> sender = sender_factory_();
  std::unique_ptr<BotForwarder> forwarder = forwarder_factory_();
  std::set<int64_t> seen;
  int processed = 0;
  while (true) {
    auto items = store_.ClaimOutbox(clock_.Now(), options_.batch_size, options_.lease);
    if (!items.ok()) {
      log_.Error("outbox.claim_failed", {{"error", items.status().ToString()}});
      break;
    }
    // Stop when nothing is due, or only what this call already tried (a retry that fell due
    // while the rate limiter moved a manual clock).
    bool fresh = false;
    for (const OutboxItem& item : *items) fresh |= seen.insert(item.id).second;
    if (!fresh) {
      if (!items->empty()) {
        std::vector<int64_t> ids;
        for (const OutboxItem& item : *items) ids.push_back(item.id);
        (void)store_.ReleaseOutbox(ids);
      }
      break;
    }
    for (const OutboxItem& item : *items) Process(item, *sender, *forwarder);
    processed += static_cast<int>(items->size());
  }
  return processed;
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

bool OutboxWorker::Process(const OutboxItem& item, ChannelSender& sender, BotForwarder& forwarder) {
  nlohmann::json fields = {{"outbox_id", item.id}, {"attempt", item.attempts + 1}};
  if (item.message_id) fields["message_id"] = *item.message_id;
  if (item.attempted_at) {
    // The previous attempt began and was never recorded: it may have reached the customer.
    fields["unknown_outcome_since"] = FormatRfc3339(*item.attempted_at);
    ++metrics_.send_unknown_outcome;
  }

  // The attempt is recorded (and the lease renewed) before the call leaves the process.
  auto begin_attempt = [&]() -> bool {
    const TimePoint now = clock_.Now();
    Status st = store_.BeginOutboxAttempt(item, now, now + options_.lease);
    if (st.ok()) return true;
    fields["error"] = st.ToString();
    if (st.code() == ErrorCode::kConflict) {
      // This instance stalled past its lease and another one claimed the item: it sends.
      log_.Warn("send.lease_lost", fields);
      return false;
    }
    log_.Error("send.not_started", fields);
    return false;
  };

  SendResult result;
  std::optional<OutboxPayload> payload = DecodeOutboxPayload(item.payload);
  if (!payload) {
    result.outcome = SendResult::Outcome::kPermanent;
    result.error = MessageError{0, "unreadable outbox payload"};
  } else if (payload->kind == OutboxPayload::Kind::kForward) {
    fields["kind"] = "forward";
    if (stop_ || !begin_attempt()) return false;
    result = forwarder.Forward(payload->url, payload->body);
  } else if (payload->kind == OutboxPayload::Kind::kIntegration) {
    fields["kind"] = "integration";
    if (stop_ || !begin_attempt()) return false;
    result = forwarder.DeliverEvent(payload->url, payload->body);
    if (result.outcome == SendResult::Outcome::kSent) ++metrics_.integration_deliveries;
  } else {
    OutboundMessage message;
    message.channel = item.channel;
    message.phone_number_id = item.phone_number_id;
    message.to = item.recipient;
    message.text = std::move(payload->text);
    message.buttons = std::move(payload->buttons);
    message.context_message_id = std::move(payload->context);
    switch (payload->kind) {
      case OutboxPayload::Kind::kTemplate:
        message.kind = OutboundMessage::Kind::kTemplate;
        message.template_name = std::move(payload->template_name);
        message.template_language = std::move(payload->language);
        message.template_parameters = std::move(payload->parameters);
        break;
      case OutboxPayload::Kind::kMedia:
        message.kind = OutboundMessage::Kind::kMedia;
        message.media_type = std::move(payload->media_type);
        message.media_path = std::move(payload->path);
        message.media_mime_type = std::move(payload->mime_type);
        message.media_filename = std::move(payload->filename);
        message.caption = std::move(payload->caption);
        break;
      case OutboxPayload::Kind::kReaction:
        message.kind = OutboundMessage::Kind::kReaction;
        message.reaction_message_id = std::move(payload->target);
        message.emoji = std::move(payload->emoji);
        break;
      case OutboxPayload::Kind::kRead:
        message.kind = OutboundMessage::Kind::kRead;
        message.read_message_id = std::move(payload->target);
        message.typing = payload->typing;
        break;
      default:
        break;
    }
    if (!limiter_.Acquire(item.phone_number_id, stop_)) return false;
    if (!begin_attempt()) return false;
    result = sender.Send(message, item.attempts);
  }

  const TimePoint now = clock_.Now();
  switch (result.outcome) {
    case SendResult::Outcome::kSent: {
      auto done = store_.CompleteOutbox(item, result.channel_message_id, StatusEvent(now));
      if (!done.ok()) {
        fields["error"] = done.status().ToString();
        log_.Error("send.record_failed", fields);
        return true;
      }
      ++metrics_.messages_out;
      if (options_.on_events) options_.on_events();
      fields["wamid"] = result.channel_message_id;
      if (done->has_value() && (*done)->session_id) fields["session_id"] = *(*done)->session_id;
      log_.Info("send.ok", fields);
      if (payload && payload->kind == OutboxPayload::Kind::kForward &&
          !result.response_body.empty() && options_.on_bot_answer) {
        options_.on_bot_answer(payload->body, result.response_body);
      }
      return true;
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
        return true;
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
      return true;
    }
  }
  return true;
}

}  // namespace handoffd
