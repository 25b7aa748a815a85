#include "log/logger.h"

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "common/clock.h"

namespace handoffd {
namespace {

spdlog::level::level_enum ParseLevel(const std::string& level) {
  if (level == "debug") return spdlog::level::debug;
  if (level == "warn") return spdlog::level::warn;
  if (level == "error") return spdlog::level::err;
  return spdlog::level::info;
}

std::shared_ptr<Logger> Make(std::shared_ptr<spdlog::sinks::sink> sink, const std::string& format,
                             const std::string& level) {
  auto l = std::make_shared<spdlog::logger>("handoffd", std::move(sink));
  l->set_pattern("%v");
  l->set_level(ParseLevel(level));
  l->flush_on(spdlog::level::trace);
  return std::make_shared<Logger>(std::move(l), format != "text");
}

// Cuts every string longer than kMaxLogFieldBytes (at any depth) to that many bytes, on a UTF-8
// boundary, plus a marker naming the bytes dropped: a caller's 4 MB email is never logged whole
// (issue 9 #6).
bool Oversized(const nlohmann::json& j, int depth = 0) {
  if (j.is_string()) return j.get_ref<const std::string&>().size() > Logger::kMaxLogFieldBytes;
  if (!j.is_structured() || depth >= 16) return false;
  for (const auto& v : j) {
    if (Oversized(v, depth + 1)) return true;
  }
  return false;
}

void Truncate(nlohmann::json& j, int depth = 0) {
  if (j.is_string()) {
    auto& s = j.get_ref<std::string&>();
    if (s.size() <= Logger::kMaxLogFieldBytes) return;
    size_t cut = Logger::kMaxLogFieldBytes;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
    const size_t dropped = s.size() - cut;
    s.resize(cut);
    s += "...[truncated " + std::to_string(dropped) + " bytes]";
  } else if (j.is_structured() && depth < 16) {
    for (auto& v : j) Truncate(v, depth + 1);
  }
}

}  // namespace

std::shared_ptr<Logger> Logger::Create(const std::string& format, const std::string& level) {
  return Make(std::make_shared<spdlog::sinks::stderr_sink_mt>(), format, level);
}

std::shared_ptr<Logger> Logger::CreateForStream(const std::string& format, std::ostream& out) {
  return Make(std::make_shared<spdlog::sinks::ostream_sink_mt>(out, true), format, "debug");
}

Logger::Logger(std::shared_ptr<spdlog::logger> sink, bool json)
    : sink_(std::move(sink)), json_(json) {}

void Logger::Debug(std::string_view e, const nlohmann::json& f) {
  Write(spdlog::level::debug, e, f);
}
bool Logger::InfoEnabled() const { return sink_->should_log(spdlog::level::info); }

void Logger::Info(std::string_view e, const nlohmann::json& f) { Write(spdlog::level::info, e, f); }
void Logger::Warn(std::string_view e, const nlohmann::json& f) { Write(spdlog::level::warn, e, f); }
void Logger::Error(std::string_view e, const nlohmann::json& f) { Write(spdlog::level::err, e, f); }

void Logger::Write(int level, std::string_view event, const nlohmann::json& fields) {
  const auto lvl = static_cast<spdlog::level::level_enum>(level);
  if (!sink_->should_log(lvl)) return;
  nlohmann::json bounded;
  const nlohmann::json* shown = &fields;
  if (Oversized(fields)) {
    bounded = fields;
    Truncate(bounded);
    shown = &bounded;
  }
  const nlohmann::json& f = *shown;
  const std::string ts = FormatRfc3339(SystemClock().Now());
  const char* level_name = lvl == spdlog::level::err     ? "error"
                           : lvl == spdlog::level::warn  ? "warn"
                           : lvl == spdlog::level::debug ? "debug"
                                                         : "info";
  std::string line;
  if (json_) {
    nlohmann::ordered_json j;
    j["ts"] = ts;
    j["level"] = level_name;
    j["event"] = event;
    if (f.is_object()) {
      for (auto it = f.begin(); it != f.end(); ++it) j[it.key()] = it.value();
    }
    line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } else {
    line = ts + " " + level_name + " " + std::string(event);
    if (f.is_object()) {
      for (auto it = f.begin(); it != f.end(); ++it) {
        line +=
            " " + it.key() + "=" +
            (it->is_string() ? it->get<std::string>()
                             : it->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
      }
    }
  }
  sink_->log(lvl, line);
}

}  // namespace handoffd
