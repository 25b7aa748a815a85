#include "channels/whatsapp/signature.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <array>
#include <cstdint>
#include <optional>

namespace handoffd::whatsapp {
namespace {

constexpr std::string_view kPrefix = "sha256=";
constexpr size_t kDigestSize = 32;

using Digest = std::array<unsigned char, kDigestSize>;

std::optional<Digest> Hmac(std::string_view secret, std::string_view body) {
  Digest out{};
  unsigned int len = 0;
  // HMAC() rejects a null data pointer only when the length is non-zero; an empty view's data()
  // may be null, so point it at a static byte instead.
  static const unsigned char kEmpty = 0;
  const auto* data = body.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(body.data());
  if (HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()), data, body.size(),
           out.data(), &len) == nullptr ||
      len != kDigestSize) {
    return std::nullopt;
  }
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string_view TrimAsciiSpace(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

std::string SignBody(std::string_view secret, std::string_view body) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(kPrefix);
  auto digest = Hmac(secret, body);
  if (!digest) return out;
  for (unsigned char b : *digest) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0x0f]);
  }
  return out;
}

bool VerifySignature(std::string_view secret, std::string_view raw_body,
                     std::string_view header_value) {
  if (secret.empty()) return false;
  std::string_view value = TrimAsciiSpace(header_value);
  if (value.substr(0, kPrefix.size()) != kPrefix) return false;
  std::string_view hex = value.substr(kPrefix.size());
  if (hex.size() != 2 * kDigestSize) return false;

  // Decode first, then compare the raw digests in constant time: hex case does not matter.
  Digest given{};
  for (size_t i = 0; i < kDigestSize; ++i) {
    int hi = HexValue(hex[2 * i]);
    int lo = HexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    given[i] = static_cast<unsigned char>((hi << 4) | lo);
  }
  auto expected = Hmac(secret, raw_body);
  if (!expected) return false;
  return CRYPTO_memcmp(given.data(), expected->data(), kDigestSize) == 0;
}

bool VerifySubscription(std::string_view mode, std::string_view token,
                        std::string_view configured_token) {
  if (configured_token.empty() || mode != "subscribe") return false;
  // Hash both sides so the comparison takes the same time whatever the lengths.
  Digest a{};
  Digest b{};
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), a.data());
  SHA256(reinterpret_cast<const unsigned char*>(configured_token.data()), configured_token.size(),
         b.data());
  return CRYPTO_memcmp(a.data(), b.data(), kDigestSize) == 0;
}

}  // namespace handoffd::whatsapp
