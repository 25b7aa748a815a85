#include "cli/command_line.h"

#include <unistd.h>

#include <iostream>
#include <map>
#include <optional>

extern char** environ;

namespace handoffd {
namespace {

std::map<std::string, std::string> Environment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string kv(*e);
    const size_t eq = kv.find('=');
    if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return env;
}

}  // namespace

int Fail(std::string message, int code) {
  for (char& c : message) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  while (!message.empty() && message.back() == ' ') message.pop_back();
  std::cerr << "handoffd: " << message << "\n";
  return code;
}

Result<Config> LoadCommandLineConfig(const std::string& config_flag) {
  auto env = Environment();
  std::optional<std::string> path;
  if (!config_flag.empty()) {
    path = config_flag;
  } else if (auto it = env.find("HANDOFFD_CONFIG"); it != env.end() && !it->second.empty()) {
    path = it->second;
  }
  return LoadConfig(path, env);
}

}  // namespace handoffd
