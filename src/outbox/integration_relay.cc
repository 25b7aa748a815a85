#include "outbox/integration_relay.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "outbox/outbox_payload.h"

namespace handoffd {
namespace {

bool Wanted(const IntegrationHook& hook, const std::string& type) {
  return std::any_of(hook.events.begin(), hook.events.end(),
                     [&](const std::string& t) { return t == "*" || t == type; });
}

int64_t SessionOf(const EventRecord& e) {
  nlohmann::json data = nlohmann::json::parse(e.data, nullptr, false);
  if (!data.is_object()) return 0;
  const bool session_event = e.type.rfind("session.", 0) == 0 || e.type.rfind("csat.", 0) == 0;
  const char* field = session_event ? "id" : "session_id";
  auto it = data.find(field);
  return it != data.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
}

}  // namespace

std::string IntegrationEventBody(const EventRecord& e) {
  nlohmann::json data = nlohmann::json::parse(e.data, nullptr, false);
  if (data.is_discarded()) data = nullptr;
  return nlohmann::json{
      {"id", e.id}, {"type", e.type}, {"created_at", FormatRfc3339(e.created_at)}, {"data", data}}
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string IntegrationQueue(const std::string& url, const EventRecord& e) {
  return "integration:" + url + ":" + std::to_string(SessionOf(e));
}

IntegrationRelay::IntegrationRelay(Store& store, const Clock& clock, Logger& log,
                                   IntegrationRelayOptions options)
    : store_(store), clock_(clock), log_(log), options_(std::move(options)) {}

IntegrationRelay::~IntegrationRelay() { Stop(); }

void IntegrationRelay::Start() {
  if (options_.hooks.empty() || thread_.joinable()) return;
  start_high_ = options_.high_water ? options_.high_water() : 0;
  thread_ = std::thread([this] { Loop(); });
}

void IntegrationRelay::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void IntegrationRelay::Notify() {
  {
    std::lock_guard lock(mu_);
    notified_ = true;
  }
  cv_.notify_all();
}

void IntegrationRelay::Loop() {
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, options_.poll_interval, [this] { return stop_ || notified_; });
      if (stop_) return;
      notified_ = false;
    }
    auto queued = RunOnce();
    if (!queued.ok()) {
      log_.Warn("integration.relay_failed", {{"error", queued.status().ToString()}});
    } else if (*queued == options_.batch_size * static_cast<int>(options_.hooks.size())) {
      Notify();  // more to copy
    }
  }
}

Result<int> IntegrationRelay::RunOnce() {
  const int64_t high = options_.high_water ? options_.high_water() : INT64_MAX;
  int total = 0;
  for (const IntegrationHook& hook : options_.hooks) {
    int queued = 0;
    const TimePoint now = clock_.Now();
    Status st = store_.Transact([&](StoreTx& tx) -> Status {
      queued = 0;
      // A receiver seen for the first time starts where the feed stood when the relay started.
      HANDOFFD_ASSIGN_OR_RETURN(
          auto last, tx.LockIntegrationCursor(hook.url, std::min(start_high_, high), now));
      if (last >= high) return Status::Ok();
      HANDOFFD_ASSIGN_OR_RETURN(auto events, tx.ListEventsInTx(last, high, options_.batch_size));
      if (events.empty()) return Status::Ok();
      std::vector<OutboxItem> items;
      for (const EventRecord& e : events) {
        if (!Wanted(hook, e.type)) continue;
        OutboxItem item;
        item.channel = "integration";
        item.recipient = IntegrationQueue(hook.url, e);
        item.payload =
            EncodeOutboxPayload(OutboxPayload::Integration(hook.url, IntegrationEventBody(e)));
        item.next_attempt_at = now;
        item.created_at = now;
        items.push_back(std::move(item));
      }
      queued = static_cast<int>(events.size());
      HANDOFFD_RETURN_IF_ERROR(tx.EnqueueMany(items));
      return tx.SetIntegrationCursor(hook.url, events.back().id, now);
    });
    if (!st.ok()) return st;
    total += queued;
  }
  if (total > 0) {
    store_.Announce(Change::kOutbox);
    if (options_.on_outbox) options_.on_outbox();
  }
  return total;
}

}  // namespace handoffd
