#include "events/event_hub.h"

#include <algorithm>
#include <limits>

namespace handoffd {

EventHub::EventHub(Store& store, Logger& log, EventHubOptions options)
    : store_(store), log_(log), options_(options) {}

EventHub::~EventHub() { Stop(); }

Status EventHub::Start() {
  HANDOFFD_ASSIGN_OR_RETURN(auto range, store_.EventIdRange());
  {
    std::lock_guard lock(mu_);
    high_water_ = range.second;
    // An empty table (fresh, or everything pruned) says nothing of where ids continue: the
    // first event read sets the base instead of opening a "gap" over pruned ids.
    base_unknown_ = range.second == 0;
    stopping_ = false;
  }
  thread_ = std::thread([this] { Loop(); });
  return Status::Ok();
}

void EventHub::Stop() {
  std::vector<std::function<void()>> listeners;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    listeners = listeners_;
  }
  wake_.notify_all();
  published_.notify_all();
  for (auto& fn : listeners) fn();
  if (thread_.joinable()) thread_.join();
}

void EventHub::AddListener(std::function<void()> fn) {
  std::lock_guard lock(mu_);
  listeners_.push_back(std::move(fn));
}

void EventHub::Notify() {
  {
    std::lock_guard lock(mu_);
    notified_ = true;
  }
  wake_.notify_one();
}

int64_t EventHub::HighWater() const {
  std::lock_guard lock(mu_);
  return high_water_;
}

void EventHub::Loop() {
  while (true) {
    PumpOnce(std::chrono::steady_clock::now());
    std::unique_lock lock(mu_);
    // While a hole is open, look again soon: the missing commit is usually a moment away.
    const Duration wait = gap_since_ ? Duration(5) : options_.poll_interval;
    wake_.wait_for(lock, wait, [this] { return notified_ || stopping_; });
    if (stopping_) return;
    notified_ = false;
  }
}

void EventHub::PumpOnce(std::chrono::steady_clock::time_point now) {
  const int64_t from = HighWater();
  auto events = store_.ListEvents(from, std::numeric_limits<int64_t>::max(), 1000);
  if (!events.ok()) {
    log_.Warn("events.read_failed", {{"error", events.status().ToString()}});
    return;
  }
  std::unique_lock lock(mu_);
  if (base_unknown_ && !events->empty()) {
    high_water_ = std::max(high_water_, events->front().id - 1);
    base_unknown_ = false;
  }
  int64_t expected = high_water_ + 1;
  size_t published = 0;
  for (EventRecord& e : *events) {
    if (e.id < expected) continue;  // published meanwhile
    if (e.id > expected) {
      if (!gap_since_) gap_since_ = now;
      if (now - *gap_since_ < options_.gap_timeout) break;  // wait for the hole to fill
      log_.Warn("events.gap_skipped", {{"from", expected}, {"to", e.id - 1}});
    }
    gap_since_.reset();
    expected = e.id + 1;
    high_water_ = e.id;
    ring_.push_back(std::move(e));
    ++published;
  }
  while (ring_.size() > options_.ring_capacity) ring_.pop_front();
  if (published == 0) return;
  published_.notify_all();
  std::vector<std::function<void()>> listeners = listeners_;
  lock.unlock();
  for (auto& fn : listeners) fn();
}

EventBatch EventHub::Next(int64_t cursor, size_t limit, Duration wait) {
  EventBatch batch;
  std::unique_lock lock(mu_);
  published_.wait_for(lock, wait, [&] { return stopping_ || high_water_ > cursor; });
  if (stopping_) {
    batch.stopping = true;
    return batch;
  }
  if (high_water_ <= cursor) return batch;  // heartbeat time
  const bool in_ring = !ring_.empty() && ring_.front().id <= cursor + 1;
  if (in_ring) {
    auto it = std::upper_bound(ring_.begin(), ring_.end(), cursor,
                               [](int64_t c, const EventRecord& e) { return c < e.id; });
    for (; it != ring_.end() && batch.events.size() < limit; ++it) batch.events.push_back(*it);
    return batch;
  }
  // Resuming from before the ring: read the store, but never past what is published.
  const int64_t up_to = high_water_;
  lock.unlock();
  auto range = store_.EventIdRange();
  if (range.ok() && range->first > cursor + 1) {
    batch.reset = true;  // what the client missed was pruned (retention)
    return batch;
  }
  auto events = store_.ListEvents(cursor, up_to, static_cast<int>(limit));
  if (!events.ok()) return batch;  // the stream retries after its wait
  batch.events = std::move(*events);
  // Events up to `up_to` were published, so finding none means they were pruned meanwhile.
  batch.reset = batch.events.empty();
  return batch;
}

}  // namespace handoffd
