// libFuzzer harness: the config loader on arbitrary TOML (issue 9). LoadConfig reads a path, so
// each input is written to one temporary file (created once per process) and loaded from there,
// with and without environment overrides.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>

#include "config/config.h"

namespace {

const std::string& TempPath() {
  static const std::string path = [] {
    const char* dir = std::getenv("TMPDIR");
    std::string templ =
        std::string(dir != nullptr && *dir != '\0' ? dir : "/tmp") + "/handoffd-fuzz-config-XXXXXX";
    const int fd = mkstemp(templ.data());
    if (fd < 0) std::abort();
    close(fd);
    std::atexit([] { std::remove(TempPath().c_str()); });
    return templ;
  }();
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = TempPath();
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) std::abort();
  if (size > 0 && std::fwrite(data, 1, size, file) != size) std::abort();
  std::fclose(file);

  static const std::map<std::string, std::string> kNoEnv;
  static const std::map<std::string, std::string> kEnv = {
      {"WHATSAPP_PHONE_NUMBER_IDS", "1,2,,3"},
      {"HANDOFFD_SESSION_TTL", "90m"},
      {"HANDOFFD_LOG_FORMAT", "text"},
  };
  (void)handoffd::LoadConfig(path, kNoEnv);
  (void)handoffd::LoadConfig(path, kEnv);
  return 0;
}
