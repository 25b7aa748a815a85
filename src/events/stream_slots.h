// Counts the long-lived event streams each holder (an agent, a web chat visitor) has open, and
// caps them (issue 9 #2: one agent token opened 4,096 streams and starved everyone else).
// Acquire() hands out a lease that gives its slot back when destroyed; keep it alive as long as
// the stream (e.g. captured in the SSE content provider). Keys are opaque strings, so one
// StreamSlots may serve several kinds of holder ("agent:12", "visitor:ab34"). Thread-safe; must
// outlive its leases.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace handoffd {

class StreamSlots {
 public:
  /// A held slot; released on destruction.
  class Lease {
   public:
    ~Lease();
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;

   private:
    friend class StreamSlots;
    Lease(StreamSlots& owner, std::string key) : owner_(owner), key_(std::move(key)) {}
    StreamSlots& owner_;
    std::string key_;
  };

  /// `per_key`: streams one key may hold at once (config server.max_streams_per_agent).
  explicit StreamSlots(size_t per_key);

  /// A slot for `key`, or nullptr when it already holds `per_key` streams.
  std::unique_ptr<Lease> Acquire(const std::string& key);

  /// Streams open for `key` / in total.
  size_t Open(const std::string& key) const;
  size_t Total() const;

 private:
  void Release(const std::string& key);

  const size_t per_key_;
  mutable std::mutex mu_;
  std::map<std::string, size_t> open_;
  size_t total_ = 0;
};

}  // namespace handoffd
