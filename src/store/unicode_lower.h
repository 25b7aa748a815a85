// Unicode-aware lower-casing for case-insensitive search (SQLite's built-in LOWER() only folds
// ASCII, so the store registers this as `lower` on every SQLite connection).
#pragma once

#include <string>
#include <string_view>

namespace handoffd {

/// `text` (UTF-8) with every code point lower-cased by the C.UTF-8 locale's rules ("Élodie
/// ÑÚÑEZ" -> "élodie ñúñez"). Invalid UTF-8 bytes are copied unchanged.
std::string LowerUtf8(std::string_view text);

}  // namespace handoffd
