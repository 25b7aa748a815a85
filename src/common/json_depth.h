// A cheap pre-scan for JSON nesting depth, run before any untrusted body is handed to nlohmann:
// its parser, copies and dumps recurse per level, so a body nested 100,000 levels deep
// (issue 9 #4) exhausted the stack. Thread-safe (pure).
#pragma once

#include <string_view>

namespace handoffd {

/// Nesting depth every JSON body handoffd parses from the network may have (objects and arrays
/// together; `{"a":[1]}` is 2 deep). Meta's webhooks need about 8.
inline constexpr int kMaxJsonDepth = 64;

/// False when `text` opens more than `max_depth` objects/arrays at once. Brackets inside strings
/// (escapes included) do not count. Does not validate the JSON otherwise: a parser still does.
bool JsonDepthWithin(std::string_view text, int max_depth = kMaxJsonDepth);

}  // namespace handoffd
