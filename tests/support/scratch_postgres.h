// A PostgreSQL server of a test's own, for faults that stop the server (tests/faults): the shared
// throwaway cluster of scripts/lib/postgres.sh serves every other test at the same time, so a
// test that stops its server must not use it. Needs the Debian server packages (scripts/setup);
// when the process runs as root the server runs as the `postgres` user.
#pragma once

#include <string>

namespace handoffd::testing {

class ScratchPostgres {
 public:
  /// initdb in a new temporary directory and starts it on a free loopback port (fsync off).
  /// ok() is false, with error(), when that fails (e.g. no server installed).
  ScratchPostgres();
  /// Stops the server and removes its directory.
  ~ScratchPostgres();
  ScratchPostgres(const ScratchPostgres&) = delete;
  ScratchPostgres& operator=(const ScratchPostgres&) = delete;

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  /// "postgresql://postgres@127.0.0.1:PORT/postgres": a role that may CREATE DATABASE.
  std::string url() const;

  /// pg_ctl stop -m fast (waits); true on success.
  bool Stop();
  /// pg_ctl start on the same port and options (waits until it accepts connections).
  bool Start();

 private:
  bool Ctl(const std::string& args);

  std::string dir_;
  std::string bin_;
  std::string as_;  // "runuser -u postgres -- " when root, else ""
  int port_ = 0;
  std::string error_;
};

}  // namespace handoffd::testing
