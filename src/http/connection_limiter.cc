#include "http/connection_limiter.h"

#include <algorithm>

namespace handoffd::http {

ConnectionLimiter::ConnectionLimiter(ConnectionLimits limits) : limits_(limits) {}

size_t ConnectionLimiter::ReservedPerAddress() const {
  return std::max<size_t>(1, limits_.reserved / 4);
}

ConnectionClass ConnectionLimiter::Admit(const std::string& address) {
  std::lock_guard lock(mu_);
  const size_t reserve = std::min(limits_.reserved, limits_.max_connections);
  PerAddress& a = by_address_[address];
  if (ordinary_ < limits_.max_connections - reserve && a.ordinary < limits_.max_per_address) {
    ++ordinary_;
    ++a.ordinary;
    return ConnectionClass::kOrdinary;
  }
  if (reserved_ < reserve && a.reserved < ReservedPerAddress()) {
    ++reserved_;
    ++a.reserved;
    return ConnectionClass::kReserved;
  }
  if (a.ordinary == 0 && a.reserved == 0) by_address_.erase(address);
  return ConnectionClass::kRefused;
}

void ConnectionLimiter::Release(const std::string& address, ConnectionClass cls) {
  if (cls == ConnectionClass::kRefused) return;
  std::lock_guard lock(mu_);
  auto it = by_address_.find(address);
  if (it == by_address_.end()) return;
  if (cls == ConnectionClass::kOrdinary && it->second.ordinary > 0) {
    --it->second.ordinary;
    --ordinary_;
  } else if (cls == ConnectionClass::kReserved && it->second.reserved > 0) {
    --it->second.reserved;
    --reserved_;
  }
  if (it->second.ordinary == 0 && it->second.reserved == 0) by_address_.erase(it);
}

size_t ConnectionLimiter::open() const {
  std::lock_guard lock(mu_);
  return ordinary_ + reserved_;
}

size_t ConnectionLimiter::open_reserved() const {
  std::lock_guard lock(mu_);
  return reserved_;
}

}  // namespace handoffd::http
