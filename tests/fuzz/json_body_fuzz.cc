// libFuzzer harness: JSON request bodies as the HTTP API parses them (http::ParseJsonBody): the
// JsonDepthWithin guard first, then nlohmann's parser, then NUL stripping (issue 9). Oracle: a
// body the guard lets through never parses into a value nested deeper than kMaxJsonDepth.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/json_depth.h"

namespace {

int Depth(const nlohmann::json& j) {
  if (!j.is_structured()) return 0;
  int deepest = 0;
  for (const auto& v : j) deepest = std::max(deepest, Depth(v));
  return deepest + 1;
}

void StripNul(nlohmann::json& j) {
  if (j.is_string()) {
    auto& s = j.get_ref<std::string&>();
    s.erase(std::remove(s.begin(), s.end(), '\0'), s.end());
  } else if (j.is_structured()) {
    for (auto& v : j) StripNul(v);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);
  if (!handoffd::JsonDepthWithin(body)) return 0;
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded()) return 0;
  if (Depth(j) > handoffd::kMaxJsonDepth) std::abort();
  if (!j.is_object()) return 0;
  StripNul(j);
  (void)j.dump();
  return 0;
}
