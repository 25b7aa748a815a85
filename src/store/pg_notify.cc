#include "store/pg_notify.h"

#include <fcntl.h>
#include <libpq-fe.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <utility>
#include <vector>

namespace handoffd::sqlstore {
namespace {

constexpr Change kChanges[] = {Change::kEvents, Change::kOutbox};

unsigned Bit(Change what) { return 1u << static_cast<unsigned>(what); }

/// A connection with quiet notices, or nullptr.
PGconn* Open(const std::string& conninfo) {
  PGconn* conn = PQconnectdb(conninfo.c_str());
  if (conn == nullptr) return nullptr;
  if (PQstatus(conn) != CONNECTION_OK) {
    PQfinish(conn);
    return nullptr;
  }
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  return conn;
}

bool Exec(PGconn* conn, const std::string& sql) {
  PGresult* r = PQexec(conn, sql.c_str());
  const bool ok = r != nullptr && PQresultStatus(r) == PGRES_COMMAND_OK;
  PQclear(r);
  return ok;
}

}  // namespace

const char* ChangeChannel(Change what) {
  return what == Change::kOutbox ? "handoffd_outbox" : "handoffd_events";
}

// ---- PgNotifier ---------------------------------------------------------------------------

PgNotifier::PgNotifier(std::string conninfo) : conninfo_(std::move(conninfo)) {
  thread_ = std::thread([this] { Loop(); });
}

PgNotifier::~PgNotifier() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void PgNotifier::Announce(Change what) {
  {
    std::lock_guard lock(mu_);
    if (pending_ & Bit(what)) return;  // already on its way
    pending_ |= Bit(what);
  }
  cv_.notify_one();
}

void PgNotifier::Loop() {
  PGconn* conn = nullptr;
  auto last_attempt = std::chrono::steady_clock::time_point{};
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return stop_ || pending_ != 0; });
    if (stop_) break;
    const unsigned pending = pending_;
    pending_ = 0;
    lock.unlock();
    std::string sql;  // one implicit transaction for every pending kind
    for (Change c : kChanges) {
      if (pending & Bit(c)) sql += std::string("NOTIFY ") + ChangeChannel(c) + ";";
    }
    // A connection that failed (the database restarted) is replaced once at once; a database
    // that stays down is retried at most every second, the listeners' polling covering.
    for (int attempt = 0; attempt < 2; ++attempt) {
      const auto now = std::chrono::steady_clock::now();
      if (conn == nullptr && (attempt > 0 || now - last_attempt >= std::chrono::seconds(1))) {
        last_attempt = now;
        conn = Open(conninfo_);
        if (conn != nullptr && !Exec(conn, "SET synchronous_commit = off")) {
          PQfinish(conn);
          conn = nullptr;
        }
        pid_.store(conn != nullptr ? PQbackendPID(conn) : 0);
      }
      if (conn == nullptr) break;
      if (Exec(conn, sql)) break;
      PQfinish(conn);
      conn = nullptr;
      pid_.store(0);
    }
    lock.lock();
  }
  lock.unlock();
  if (conn != nullptr) PQfinish(conn);
}

// ---- PgListener ---------------------------------------------------------------------------

class PgListener::Handle final : public Listening {
 public:
  Handle(PgListener& owner, std::list<std::function<void(Change)>>::iterator it)
      : owner_(owner), it_(it) {}
  ~Handle() override { owner_.Unsubscribe(it_); }

 private:
  PgListener& owner_;
  std::list<std::function<void(Change)>>::iterator it_;
};

PgListener::PgListener(std::string conninfo, std::function<int()> own_pid)
    : conninfo_(std::move(conninfo)), own_pid_(std::move(own_pid)) {}

PgListener::~PgListener() {
  stop_.store(true);
  if (wake_fd_[1] >= 0) {
    const char x = 1;
    [[maybe_unused]] auto n = write(wake_fd_[1], &x, 1);
  }
  if (thread_.joinable()) thread_.join();
  for (int fd : wake_fd_) {
    if (fd >= 0) close(fd);
  }
}

std::unique_ptr<Listening> PgListener::Subscribe(std::function<void(Change)> on_change) {
  std::lock_guard lock(mu_);
  auto it = subscribers_.insert(subscribers_.end(), std::move(on_change));
  if (!thread_.joinable()) {
    if (pipe2(wake_fd_, O_CLOEXEC | O_NONBLOCK) != 0) wake_fd_[0] = wake_fd_[1] = -1;
    thread_ = std::thread([this] { Loop(); });
  }
  return std::make_unique<Handle>(*this, it);
}

void PgListener::Unsubscribe(std::list<std::function<void(Change)>>::iterator it) {
  std::lock_guard deliver(deliver_mu_);
  std::lock_guard lock(mu_);
  subscribers_.erase(it);
}

void PgListener::Deliver(Change what) {
  std::lock_guard deliver(deliver_mu_);
  std::vector<std::function<void(Change)>> subs;
  {
    std::lock_guard lock(mu_);
    subs.assign(subscribers_.begin(), subscribers_.end());
  }
  for (auto& f : subs) f(what);
}

void PgListener::Loop() {
  PGconn* conn = nullptr;
  auto backoff = std::chrono::milliseconds(100);
  while (!stop_.load()) {
    if (conn == nullptr) {
      conn = Open(conninfo_);
      bool ok = conn != nullptr;
      for (Change c : kChanges) {
        if (ok) ok = Exec(conn, std::string("LISTEN ") + ChangeChannel(c));
      }
      if (!ok) {
        if (conn != nullptr) PQfinish(conn);
        conn = nullptr;
        pollfd wake{wake_fd_[0], POLLIN, 0};
        poll(&wake, wake_fd_[0] >= 0 ? 1 : 0, static_cast<int>(backoff.count()));
        backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
        continue;
      }
      backoff = std::chrono::milliseconds(100);
      // Notices sent while not listening are lost: everyone looks once.
      for (Change c : kChanges) Deliver(c);
    }
    pollfd fds[2] = {{PQsocket(conn), POLLIN, 0}, {wake_fd_[0], POLLIN, 0}};
    const int n = poll(fds, wake_fd_[0] >= 0 ? 2 : 1, 10000);
    if (stop_.load()) break;
    if (n < 0) continue;  // EINTR
    if (n == 0) continue;
    if (PQconsumeInput(conn) == 0) {
      PQfinish(conn);
      conn = nullptr;
      continue;
    }
    unsigned seen = 0;
    const int own = own_pid_ ? own_pid_() : 0;
    while (PGnotify* note = PQnotifies(conn)) {
      if (own == 0 || note->be_pid != own) {
        for (Change c : kChanges) {
          if (std::string_view(note->relname) == ChangeChannel(c)) seen |= Bit(c);
        }
      }
      PQfreemem(note);
    }
    for (Change c : kChanges) {
      if (seen & Bit(c)) Deliver(c);
    }
  }
  if (conn != nullptr) PQfinish(conn);
}

}  // namespace handoffd::sqlstore
