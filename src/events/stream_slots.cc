#include "events/stream_slots.h"

namespace handoffd {

StreamSlots::Lease::~Lease() { owner_.Release(key_); }

StreamSlots::StreamSlots(size_t per_key) : per_key_(per_key) {}

std::unique_ptr<StreamSlots::Lease> StreamSlots::Acquire(const std::string& key) {
  std::lock_guard lock(mu_);
  size_t& n = open_[key];
  if (n >= per_key_) return nullptr;
  ++n;
  ++total_;
  return std::unique_ptr<Lease>(new Lease(*this, key));
}

void StreamSlots::Release(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = open_.find(key);
  if (it == open_.end()) return;
  --total_;
  if (--it->second == 0) open_.erase(it);
}

size_t StreamSlots::Open(const std::string& key) const {
  std::lock_guard lock(mu_);
  auto it = open_.find(key);
  return it == open_.end() ? 0 : it->second;
}

size_t StreamSlots::Total() const {
  std::lock_guard lock(mu_);
  return total_;
}

}  // namespace handoffd
