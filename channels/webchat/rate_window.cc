#include "channels/webchat/rate_window.h"

#include <algorithm>

namespace handoffd::webchat {

RateWindow::RateWindow(const Clock& clock, int limit, Duration window, size_t max_keys)
    : clock_(clock),
      limit_(static_cast<size_t>(std::max(1, limit))),
      window_(window),
      max_keys_(max_keys) {}

std::optional<int> RateWindow::Acquire(const std::string& key) {
  const TimePoint now = clock_.Now();
  std::lock_guard lock(mu_);
  if (now - last_prune_ > window_) Prune(now);
  std::deque<TimePoint>& q = hits_[key];
  while (!q.empty() && now - q.front() >= window_) q.pop_front();
  if (q.size() >= limit_) {
    const auto wait =
        std::chrono::duration_cast<std::chrono::milliseconds>(q.front() + window_ - now);
    return std::max<int>(1, static_cast<int>((wait.count() + 999) / 1000));
  }
  q.push_back(now);
  if (hits_.size() > max_keys_) Prune(now);
  return std::nullopt;
}

void RateWindow::Prune(TimePoint now) {
  last_prune_ = now;
  for (auto it = hits_.begin(); it != hits_.end();) {
    if (it->second.empty() || now - it->second.back() >= window_) {
      it = hits_.erase(it);
    } else {
      ++it;
    }
  }
  // Still too many live keys: drop arbitrary ones (bounded memory beats exactness).
  while (hits_.size() > max_keys_) hits_.erase(hits_.begin());
}

}  // namespace handoffd::webchat
