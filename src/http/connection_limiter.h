// Admission of TCP connections before anything is read from them (issue 9 #2): a cap per client
// address and in total, with capacity reserved for webhook and health traffic. A connection that
// finds the ordinary capacity full (in total, or its address's share) may still take a reserved
// slot, of which one address may hold only a few; a reserved connection serves one request, and
// only on the reserved routes (ConnectionServer::IsReservedRoute). Thread-safe.
#pragma once

#include <cstddef>
#include <map>
#include <mutex>
#include <string>

namespace handoffd::http {

struct ConnectionLimits {
  /// Open connections in total, reserved ones included (config server.max_connections).
  size_t max_connections = 12000;
  /// Ordinary (non-reserved) connections one client address may hold
  /// (server.max_connections_per_address).
  size_t max_per_address = 512;
  /// Of max_connections, kept for webhook and health traffic (server.reserved_connections).
  size_t reserved = 256;
};

/// Which capacity an admitted connection holds.
enum class ConnectionClass { kRefused, kOrdinary, kReserved };

class ConnectionLimiter {
 public:
  explicit ConnectionLimiter(ConnectionLimits limits);

  /// Admits a new connection from `address` (textual IP): kOrdinary, else kReserved, else
  /// kRefused. Every admitted connection must be given back with Release(address, class).
  ConnectionClass Admit(const std::string& address);
  void Release(const std::string& address, ConnectionClass cls);

  /// Reserved slots one address may hold: a quarter of the reserve, at least 1.
  size_t ReservedPerAddress() const;

  size_t open() const;
  size_t open_reserved() const;

 private:
  struct PerAddress {
    size_t ordinary = 0;
    size_t reserved = 0;
  };
  const ConnectionLimits limits_;
  mutable std::mutex mu_;
  std::map<std::string, PerAddress> by_address_;
  size_t ordinary_ = 0;
  size_t reserved_ = 0;
};

}  // namespace handoffd::http
