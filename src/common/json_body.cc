#include "common/json_body.h"

#include <algorithm>
#include <string>

#include "common/json_depth.h"

namespace handoffd {
namespace {

void StripNul(nlohmann::json& j) {
  if (j.is_string()) {
    auto& s = j.get_ref<std::string&>();
    s.erase(std::remove(s.begin(), s.end(), '\0'), s.end());
  } else if (j.is_structured()) {
    for (auto& v : j) StripNul(v);
  }
}

}  // namespace

Result<nlohmann::json> ParseJsonObjectBody(std::string_view body) {
  if (body.empty()) return nlohmann::json::object();
  if (!JsonDepthWithin(body)) {
    return Status::BadRequest("request body is nested deeper than " +
                              std::to_string(kMaxJsonDepth) + " levels");
  }
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::BadRequest("request body must be a JSON object");
  }
  StripNul(j);
  return j;
}

}  // namespace handoffd
