// libFuzzer harness: JSON request bodies exactly as the HTTP API parses them
// (common/json_body.h ParseJsonObjectBody, behind http::ParseJsonBody). Oracle: a body it
// accepts never holds a value nested deeper than kMaxJsonDepth.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/json_body.h"
#include "common/json_depth.h"

namespace {

int Depth(const nlohmann::json& j) {
  if (!j.is_structured()) return 0;
  int deepest = 0;
  for (const auto& v : j) deepest = std::max(deepest, Depth(v));
  return deepest + 1;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  auto parsed = handoffd::ParseJsonObjectBody(body);
  if (!parsed.ok()) return 0;
  if (Depth(*parsed) > handoffd::kMaxJsonDepth) std::abort();
  (void)parsed->dump();
  return 0;
}
