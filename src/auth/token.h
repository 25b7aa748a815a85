// Login tokens: 32 random bytes as 64 hex characters, handed to the client once; the database
// keeps only their SHA-256 (so a leaked table does not leak sessions).
#pragma once

#include <string>

namespace handoffd {

/// A new random token (libsodium randombytes), 64 lowercase hex characters.
std::string NewToken();

/// SHA-256 of `token`, 64 lowercase hex characters (the stored form).
std::string HashToken(const std::string& token);

}  // namespace handoffd
