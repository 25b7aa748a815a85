// Structured logging over spdlog. Every line is one event name plus fields: by default one JSON
// object per line ({"ts":"...Z","level":"info","event":"webhook.received",...fields}), or
// "TS LEVEL event key=value ..." with log.format = text. Never log secrets or tokens.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <string_view>

namespace spdlog {
class logger;
}

namespace handoffd {

class Logger {
 public:
  /// `format` "json" or "text"; `level` debug|info|warn|error. Writes to stderr.
  static std::shared_ptr<Logger> Create(const std::string& format, const std::string& level);
  /// Writes to `out` instead (tests).
  static std::shared_ptr<Logger> CreateForStream(const std::string& format, std::ostream& out);

  void Debug(std::string_view event, const nlohmann::json& fields = nlohmann::json::object());
  void Info(std::string_view event, const nlohmann::json& fields = nlohmann::json::object());
  void Warn(std::string_view event, const nlohmann::json& fields = nlohmann::json::object());
  void Error(std::string_view event, const nlohmann::json& fields = nlohmann::json::object());

  /// False when info lines are dropped (log.level warn or error): lets a hot loop skip building
  /// their fields.
  bool InfoEnabled() const;

  Logger(std::shared_ptr<spdlog::logger> sink, bool json);

  /// String fields (at any depth) longer than this are logged cut, ending
  /// "...[truncated N bytes]".
  static constexpr size_t kMaxLogFieldBytes = 1024;

 private:
  void Write(int level, std::string_view event, const nlohmann::json& fields);
  std::shared_ptr<spdlog::logger> sink_;
  bool json_;
};

}  // namespace handoffd
