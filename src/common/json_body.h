// Parsing of untrusted JSON request bodies (every JSON route of the HTTP API): the nesting-depth
// guard first (json_depth.h), then nlohmann's parser, then NUL removal from every string
// (PostgreSQL cuts text at NUL where SQLite keeps it, issue 9 #7). Thread-safe (pure).
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "common/result.h"

namespace handoffd {

/// The JSON object in `body`, with NUL bytes removed from every string in it. An empty body is
/// `{}`. kBadRequest for a body nested deeper than kMaxJsonDepth, for anything that is not JSON,
/// and for JSON that is not an object.
Result<nlohmann::json> ParseJsonObjectBody(std::string_view body);

}  // namespace handoffd
