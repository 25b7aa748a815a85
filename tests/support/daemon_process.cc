#include "support/daemon_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace handoffd::testing {
namespace {

using Clock = std::chrono::steady_clock;

bool StartsWith(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

// The inherited environment without variables that would override the generated config,
// plus `extra`.
std::vector<std::string> ChildEnvironment(const std::map<std::string, std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string entry(*e);
    std::string name = entry.substr(0, entry.find('='));
    if (StartsWith(name, "HANDOFFD_") || StartsWith(name, "WHATSAPP_")) continue;
    if (extra.count(name) != 0) continue;
    env.push_back(entry);
  }
  for (const auto& [name, value] : extra) env.push_back(name + "=" + value);
  return env;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Forks and execs `argv[0]` with the given stdio files. Everything the child uses is prepared
// before fork(); between fork() and execve() only async-signal-safe calls are made.
pid_t Spawn(std::vector<std::string> argv, std::vector<std::string> env,
            const std::string& stdin_path, const std::string& stdout_path,
            const std::string& stderr_path, bool append_output) {
  std::vector<char*> c_argv = CStrings(argv);
  std::vector<char*> c_env = CStrings(env);
  const int out_flags = O_WRONLY | O_CREAT | (append_output ? O_APPEND : O_TRUNC);
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid != 0) return pid;  // parent (or -1)

  // Child.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(127);
  int in = open(stdin_path.c_str(), O_RDONLY);
  int out = open(stdout_path.c_str(), out_flags, 0644);
  int err = open(stderr_path.c_str(), out_flags, 0644);
  if (in < 0 || out < 0 || err < 0) _exit(126);
  if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) _exit(126);
  // Do not leak the test's sockets (fake servers, clients) into the daemon.
  if (close_range(3, ~0U, 0) != 0) {
    for (int fd = 3; fd < 4096; ++fd) close(fd);
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  execve(c_argv[0], c_argv.data(), c_env.data());
  _exit(127);
}

// Waits for `pid` until `deadline`; returns true and the wait status if it ended.
bool WaitUntil(pid_t pid, Clock::time_point deadline, int* status) {
  while (true) {
    pid_t r = waitpid(pid, status, WNOHANG);
    if (r == pid) return true;
    if (r < 0 && errno != EINTR) {
      *status = 0;
      return true;  // not our child any more
    }
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

std::string ReadFile(const std::string& path, size_t offset = 0) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  in.seekg(0, std::ios::end);
  std::streamoff size = in.tellg();
  if (size < 0 || static_cast<size_t>(size) <= offset) return "";
  in.seekg(static_cast<std::streamoff>(offset));
  std::string data(static_cast<size_t>(size) - offset, '\0');
  in.read(data.data(), static_cast<std::streamsize>(data.size()));
  data.resize(static_cast<size_t>(in.gcount()));
  return data;
}

void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
  if (!out) throw std::runtime_error("cannot write " + path);
}

std::string MakeTempDir(const char* prefix) {
  std::string templ = std::string("/tmp/") + prefix + ".XXXXXX";
  if (mkdtemp(templ.data()) == nullptr) {
    throw std::runtime_error("mkdtemp failed: " + std::string(std::strerror(errno)));
  }
  return templ;
}

std::string TomlString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out += c;
    }
  }
  return out + "\"";
}

std::string LastLines(const std::string& text, size_t n) {
  size_t pos = text.size();
  if (pos > 0 && text[pos - 1] == '\n') --pos;
  size_t lines = 0;
  while (pos > 0) {
    if (text[pos - 1] == '\n' && ++lines == n) break;
    --pos;
  }
  return text.substr(pos);
}

}  // namespace

std::string CommandResult::Describe() const {
  std::ostringstream s;
  if (timed_out) {
    s << "timeout";
  } else if (term_signal != 0) {
    s << "signal " << term_signal;
  } else {
    s << "exit " << exit_code;
  }
  s << "; stdout: [" << out << "]; stderr: [" << err << "]";
  return s.str();
}

int PickFreePort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    throw std::runtime_error("cannot bind a free port");
  }
  int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

CommandResult RunProcess(const std::string& binary, const std::vector<std::string>& args,
                         const std::string& stdin_data, std::chrono::milliseconds timeout,
                         const std::map<std::string, std::string>& env) {
  CommandResult result;
  const std::string dir = MakeTempDir("handoffd-cli");
  const std::string in_path = dir + "/stdin";
  const std::string out_path = dir + "/stdout";
  const std::string err_path = dir + "/stderr";
  WriteFile(in_path, stdin_data);

  std::vector<std::string> argv = {binary};
  argv.insert(argv.end(), args.begin(), args.end());
  pid_t pid = Spawn(argv, ChildEnvironment(env), in_path, out_path, err_path, false);
  if (pid < 0) {
    result.err = "fork failed: " + std::string(std::strerror(errno));
    std::filesystem::remove_all(dir);
    return result;
  }
  int status = 0;
  if (!WaitUntil(pid, Clock::now() + timeout, &status)) {
    result.timed_out = true;
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
  }
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.term_signal = WTERMSIG(status);
  }
  result.out = ReadFile(out_path);
  result.err = ReadFile(err_path);
  std::filesystem::remove_all(dir);
  return result;
}

DaemonProcess::DaemonProcess(DaemonOptions options) : options_(std::move(options)) {
  dir_ = MakeTempDir("handoffd-e2e");
  config_path_ = dir_ + "/handoffd.toml";
  log_path_ = dir_ + "/daemon.log";
  port_ = options_.port != 0 ? options_.port : PickFreePort();
  WriteConfig();
}

DaemonProcess::~DaemonProcess() {
  Stop(std::chrono::seconds(5));
  if (std::getenv("HANDOFFD_E2E_KEEP") == nullptr) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

std::string DaemonProcess::base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

std::string DaemonProcess::BuildToml() const {
  // section -> key -> raw TOML value, so extra_toml can override any generated key.
  std::map<std::string, std::map<std::string, std::string>> t;
  t["server"]["listen"] = TomlString("127.0.0.1:" + std::to_string(port_));
  if (options_.max_body_bytes) {
    t["server"]["max_body_bytes"] = std::to_string(*options_.max_body_bytes);
  }
  t["database"]["url"] = TomlString(options_.database_url);
  t["whatsapp"]["app_secret"] = TomlString(options_.app_secret);
  t["whatsapp"]["verify_token"] = TomlString(options_.verify_token);
  t["whatsapp"]["access_token"] = TomlString(options_.access_token);
  if (!options_.api_base.empty()) t["whatsapp"]["api_base"] = TomlString(options_.api_base);
  t["whatsapp"]["phone_number_id"] = TomlString(options_.phone_number_id);
  t["handoff"]["session_ttl"] = TomlString(options_.session_ttl);
  t["handoff"]["expiry_sweep_interval"] = TomlString(options_.expiry_sweep_interval);
  t["log"]["format"] = TomlString(options_.log_format);
  t["log"]["level"] = TomlString(options_.log_level);
  for (const auto& [dotted, value] : options_.extra_toml) {
    size_t dot = dotted.rfind('.');
    if (dot == std::string::npos) throw std::invalid_argument("extra_toml key needs a section");
    t[dotted.substr(0, dot)][dotted.substr(dot + 1)] = value;
  }
  std::ostringstream toml;
  toml << "# Generated by tests/support/daemon_process.cc\n";
  for (const auto& [section, keys] : t) {
    toml << "\n[" << section << "]\n";
    for (const auto& [key, value] : keys) toml << key << " = " << value << "\n";
  }
  return toml.str();
}

void DaemonProcess::WriteConfig() { WriteFile(config_path_, BuildToml()); }

bool DaemonProcess::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == 0) return true;
  pid_ = -1;
  return false;
}

bool DaemonProcess::Start(std::chrono::milliseconds ready_timeout, std::string* error) {
  auto fail = [&](const std::string& why) {
    if (error != nullptr) *error = why + "\n--- daemon log tail ---\n" + LogTail(40);
    Stop(std::chrono::seconds(2));
    return false;
  };
  if (running()) return fail("already running");
  std::vector<std::string> argv = {options_.binary, "serve", "--config", config_path_};
  pid_ = Spawn(argv, ChildEnvironment(options_.env), "/dev/null", dir_ + "/daemon.stdout",
               log_path_, true);
  if (pid_ < 0) return fail("fork failed: " + std::string(std::strerror(errno)));

  const auto deadline = Clock::now() + ready_timeout;
  httplib::Client client("127.0.0.1", port_);
  client.set_connection_timeout(0, 200000);
  client.set_read_timeout(1, 0);
  while (Clock::now() < deadline) {
    if (!running()) return fail("handoffd serve exited before /healthz answered");
    auto res = client.Get("/healthz");
    if (res && res->status == 200) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return fail("GET /healthz did not answer 200 within " + std::to_string(ready_timeout.count()) +
              " ms");
}

StopResult DaemonProcess::Stop(std::chrono::milliseconds grace) {
  StopResult result;
  if (pid_ <= 0) return result;
  result.was_running = true;
  kill(pid_, SIGTERM);
  int status = 0;
  if (WaitUntil(pid_, Clock::now() + grace, &status)) {
    result.graceful = true;
  } else {
    kill(pid_, SIGKILL);
    waitpid(pid_, &status, 0);
  }
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.term_signal = WTERMSIG(status);
  }
  pid_ = -1;
  return result;
}

bool DaemonProcess::Restart(std::string* error) {
  Stop();
  return Start(std::chrono::seconds(15), error);
}

std::string DaemonProcess::Log() const { return ReadFile(log_path_); }

size_t DaemonProcess::LogSize() const {
  std::error_code ec;
  auto size = std::filesystem::file_size(log_path_, ec);
  return ec ? 0 : static_cast<size_t>(size);
}

std::string DaemonProcess::LogSince(size_t offset) const { return ReadFile(log_path_, offset); }

std::string DaemonProcess::LogTail(size_t n) const { return LastLines(Log(), n); }

std::vector<nlohmann::json> DaemonProcess::JsonLogLines(size_t offset) const {
  std::vector<nlohmann::json> lines;
  std::istringstream in(LogSince(offset));
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_object()) lines.push_back(std::move(j));
  }
  return lines;
}

CommandResult DaemonProcess::RunCli(const std::vector<std::string>& args,
                                    const std::string& stdin_data,
                                    std::chrono::milliseconds timeout) const {
  std::map<std::string, std::string> env = options_.env;
  env["HANDOFFD_CONFIG"] = config_path_;
  return RunProcess(options_.binary, args, stdin_data, timeout, env);
}

}  // namespace handoffd::testing
