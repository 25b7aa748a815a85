// The real `handoffd` binary as a child process, for black-box end-to-end tests (test-only).
//
// DaemonProcess writes a TOML config (API.md "Configuration") into a private temporary directory,
// runs `handoffd serve --config FILE` with stderr appended to a log file there, waits for
// GET /healthz, and stops it with SIGTERM (SIGKILL after a grace period). It can be restarted on
// the same config and database. RunCli() runs other subcommands (`agent add`, `expire --once`,
// `migrate`) against the same config and captures exit status, stdout and stderr.
//
// The child gets a clean environment: variables that would override the config (HANDOFFD_*,
// WHATSAPP_*) are removed from the inherited environment; DaemonOptions::env adds some back.
// The child is killed if the test process dies (PR_SET_PDEATHSIG).
//
// Not thread-safe: drive one DaemonProcess from one thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace handoffd::testing {

/// What goes into the generated config. Durations are config strings ("3s", "22h").
struct DaemonOptions {
  /// Path of the `handoffd` executable (tests pass HANDOFFD_BINARY).
  std::string binary;
  /// database.url, e.g. TestDatabase(dialect).url().
  std::string database_url;
  std::string app_secret = "e2e_app_secret_0123456789abcdef";
  std::string verify_token = "e2e_verify_token";
  std::string access_token = "test-token";
  /// whatsapp.api_base, e.g. FakeGraphServer::api_base(). Empty: key omitted.
  std::string api_base;
  std::string phone_number_id = "123456789012345";
  std::string session_ttl = "22h";
  std::string expiry_sweep_interval = "5m";
  std::string log_format = "json";
  std::string log_level = "info";
  /// server.max_body_bytes; unset: the daemon's default.
  std::optional<int64_t> max_body_bytes;
  /// Further keys as "section.key" -> raw TOML value (already quoted/bracketed), e.g.
  /// {"handoff.end_keywords", "[\"end chat\", \"bye\"]"}. Overrides the fields above.
  std::map<std::string, std::string> extra_toml;
  /// Extra environment variables for every child (daemon and CLI).
  std::map<std::string, std::string> env;
  /// 0: pick a free loopback port once, in the constructor (kept across restarts).
  int port = 0;
};

/// Outcome of a finished (or killed) child process.
struct CommandResult {
  int exit_code = -1;   // exit status; -1 if killed by a signal or not started
  int term_signal = 0;  // the signal that ended it, 0 if it exited
  bool timed_out = false;
  std::string out;  // stdout
  std::string err;  // stderr
  /// "exit 0" / "signal 9" / "timeout" plus stderr, for assertion messages.
  std::string Describe() const;
};

/// How Stop() went.
struct StopResult {
  bool was_running = false;
  bool graceful = false;  // ended within the grace period after SIGTERM (no SIGKILL needed)
  int exit_code = -1;     // -1 if ended by a signal
  int term_signal = 0;
};

/// A port on 127.0.0.1 that was free a moment ago (bind port 0, read it, close).
int PickFreePort();

/// Runs `binary args...` with `stdin_data` on its stdin, waits up to `timeout` (then SIGKILL),
/// and returns exit status and output. `env` is added to the cleaned inherited environment.
CommandResult RunProcess(const std::string& binary, const std::vector<std::string>& args,
                         const std::string& stdin_data, std::chrono::milliseconds timeout,
                         const std::map<std::string, std::string>& env = {});

class DaemonProcess {
 public:
  /// Creates the temporary directory, picks the port and writes the config. Does not start.
  explicit DaemonProcess(DaemonOptions options);
  /// Stops the daemon if running and removes the directory (kept when HANDOFFD_E2E_KEEP is set).
  ~DaemonProcess();
  DaemonProcess(const DaemonProcess&) = delete;
  DaemonProcess& operator=(const DaemonProcess&) = delete;

  /// Starts `handoffd serve --config FILE` and waits until GET /healthz answers 200. Returns false
  /// (with a reason and the log tail in *error) if the process exits or the deadline passes; the
  /// process is then stopped.
  bool Start(std::chrono::milliseconds ready_timeout = std::chrono::seconds(15),
             std::string* error = nullptr);
  /// SIGTERM, wait up to `grace`, then SIGKILL. Safe to call when not running.
  StopResult Stop(std::chrono::milliseconds grace = std::chrono::seconds(10));
  /// Stop() then Start() on the same config and database.
  bool Restart(std::string* error = nullptr);
  /// True while the child has not exited (reaps it if it has).
  bool running();

  /// Rewrites the config file (e.g. after changing options()); takes effect at the next start.
  void WriteConfig();
  DaemonOptions& options() { return options_; }

  pid_t pid() const { return pid_; }
  int port() const { return port_; }
  /// "127.0.0.1".
  std::string host() const { return "127.0.0.1"; }
  /// "http://127.0.0.1:PORT".
  std::string base_url() const;
  const std::string& config_path() const { return config_path_; }
  const std::string& log_path() const { return log_path_; }
  const std::string& dir() const { return dir_; }

  /// Everything the daemon wrote to stderr so far (all runs, appended).
  std::string Log() const;
  /// Byte size of the log now; pass to LogSince() to see only later lines.
  size_t LogSize() const;
  std::string LogSince(size_t offset) const;
  /// The last `n` lines of the log (for failure messages).
  std::string LogTail(size_t n = 40) const;
  /// Every log line (from `offset` on) that parses as a JSON object.
  std::vector<nlohmann::json> JsonLogLines(size_t offset = 0) const;

  /// Runs `handoffd args...` with HANDOFFD_CONFIG set to this config (arguments are passed as
  /// given: add "--config" yourself to exercise that flag). `stdin_data` is piped to stdin.
  CommandResult RunCli(const std::vector<std::string>& args, const std::string& stdin_data = "",
                       std::chrono::milliseconds timeout = std::chrono::seconds(30)) const;

 private:
  std::string BuildToml() const;

  DaemonOptions options_;
  std::string dir_;
  std::string config_path_;
  std::string log_path_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace handoffd::testing
