// Canned responses (API.md "Agent tools and reports"): a saved text an agent inserts with
// `/shortcut` in the composer; `{customer_name}` and `{agent_name}` are filled at insertion.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/clock.h"

namespace handoffd {

struct CannedResponse {
  int64_t id = 0;
  /// [a-z0-9_-]{1,32}, unique.
  std::string shortcut;
  /// 1-4096 code points.
  std::string content;
  std::optional<int64_t> created_by;  // agent id
  TimePoint created_at{};
  TimePoint updated_at{};
};

}  // namespace handoffd
