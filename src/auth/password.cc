#include "auth/password.h"

#include <sodium.h>

namespace handoffd {

Result<std::string> HashPassword(const std::string& password) {
  if (password.empty()) return Status::BadRequest("password must not be empty");
  if (sodium_init() < 0) return Status::Internal("libsodium init failed");
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(),
                            crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Status::Internal("argon2id hashing failed (out of memory)");
  }
  return std::string(out);
}

bool VerifyPassword(const std::string& password, const std::string& hash) {
  if (hash.empty() || sodium_init() < 0) return false;
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

}  // namespace handoffd

namespace handoffd {

bool VerifyPasswordConstantCost(const std::string& password, const std::string* hash) {
  if (hash != nullptr && !hash->empty()) return VerifyPassword(password, *hash);
  // Hashed once, with the same parameters as real hashes, from a password nobody knows.
  static const std::string kDummy = [] {
    auto h = HashPassword("handoffd-dummy-password-never-matches");
    return h.ok() ? *h : std::string();
  }();
  (void)VerifyPassword(password, kDummy);
  return false;
}

}  // namespace handoffd
