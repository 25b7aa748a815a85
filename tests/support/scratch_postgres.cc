#include "support/scratch_postgres.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace handoffd::testing {
namespace {

/// A loopback port nobody listens on now (the kernel's pick for a socket bound to port 0).
int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  socklen_t len = sizeof(addr);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

/// The newest /usr/lib/postgresql/N/bin with a pg_ctl, or "".
std::string ServerBin() {
  namespace fs = std::filesystem;
  std::string best;
  int best_version = -1;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    const int version = std::atoi(e.path().filename().c_str());
    if (version > best_version && fs::exists(e.path() / "bin" / "pg_ctl")) {
      best_version = version;
      best = (e.path() / "bin").string();
    }
  }
  return best;
}

}  // namespace

ScratchPostgres::ScratchPostgres() {
  bin_ = ServerBin();
  if (bin_.empty()) {
    error_ = "no PostgreSQL server under /usr/lib/postgresql (run scripts/setup)";
    return;
  }
  std::string tmpl = "/tmp/handoffd-spg.XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) {
    error_ = "mkdtemp failed";
    return;
  }
  dir_ = tmpl.data();
  if (geteuid() == 0) {
    as_ = "runuser -u postgres -- ";
    if (std::system(("chown postgres:postgres " + dir_).c_str()) != 0) {
      error_ = "chown " + dir_ + " failed";
      return;
    }
  }
  port_ = FreePort();
  const std::string initdb = as_ + bin_ + "/initdb -D " + dir_ + "/data -U postgres -A trust " +
                             "-E UTF8 --locale=C.UTF-8 >" + dir_ + "/initdb.log 2>&1";
  if (std::system(initdb.c_str()) != 0) {
    error_ = "initdb failed (see " + dir_ + "/initdb.log)";
    return;
  }
  if (!Start()) error_ = "pg_ctl start failed (see " + dir_ + "/server.log)";
}

ScratchPostgres::~ScratchPostgres() {
  if (dir_.empty()) return;
  Ctl("stop -m immediate >/dev/null 2>&1");
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string ScratchPostgres::url() const {
  return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/postgres";
}

bool ScratchPostgres::Stop() { return Ctl("stop -m fast >/dev/null 2>&1"); }

bool ScratchPostgres::Start() {
  return Ctl("start -o \"-p " + std::to_string(port_) + " -k " + dir_ +
             " -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off\" "
             ">/dev/null 2>&1");
}

bool ScratchPostgres::Ctl(const std::string& args) {
  const std::string cmd =
      as_ + bin_ + "/pg_ctl -D " + dir_ + "/data -l " + dir_ + "/server.log -w -t 60 " + args;
  return std::system(cmd.c_str()) == 0;
}

}  // namespace handoffd::testing
