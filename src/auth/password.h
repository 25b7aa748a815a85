// Password hashing for agents: argon2id via libsodium's crypto_pwhash_str (the encoded string
// carries salt and parameters).
#pragma once

#include <string>

#include "common/result.h"

namespace handoffd {

/// argon2id hash string of `password` (interactive limits). kBadRequest for an empty password;
/// kInternal if libsodium fails (out of memory).
Result<std::string> HashPassword(const std::string& password);

/// True when `password` matches `hash` (constant time inside libsodium).
bool VerifyPassword(const std::string& password, const std::string& hash);

}  // namespace handoffd

namespace handoffd {

/// Like VerifyPassword, but an absent or empty `hash` (unknown email, disabled agent) is checked
/// against a fixed dummy hash, so it costs as much time as a wrong password and reveals nothing
/// (issue 9 #3). Always false then.
bool VerifyPasswordConstantCost(const std::string& password, const std::string* hash);

}  // namespace handoffd
