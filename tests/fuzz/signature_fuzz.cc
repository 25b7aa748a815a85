// libFuzzer harness: the webhook signature check (issue 9). The input is split into a secret, an
// X-Hub-Signature-256 header value and a body: byte 0 is the secret's length and byte 1 the
// header's (each cut to what remains); the rest is the body.
#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "channels/whatsapp/signature.h"

namespace {

std::string_view Take(std::string_view& rest, size_t n) {
  n = std::min(n, rest.size());
  std::string_view head = rest.substr(0, n);
  rest.remove_prefix(n);
  return head;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace wa = handoffd::whatsapp;
  if (size < 2) return 0;
  std::string_view rest(reinterpret_cast<const char*>(data) + 2, size - 2);
  const std::string_view secret = Take(rest, data[0]);
  const std::string_view header = Take(rest, data[1]);
  const std::string_view body = rest;

  const bool fuzzed = wa::VerifySignature(secret, body, header);
  // Oracles: no secret verifies nothing; the body's own signature verifies, whatever its hex case
  // and surrounding whitespace; a fuzzed header that verifies is that signature.
  const std::string good = wa::SignBody(secret, body);
  if (secret.empty()) {
    if (fuzzed) std::abort();
    return 0;
  }
  if (!wa::VerifySignature(secret, body, good)) std::abort();
  std::string upper = good;
  std::transform(upper.begin() + 7, upper.end(), upper.begin() + 7,
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (!wa::VerifySignature(secret, body, " " + upper + "\r\n")) std::abort();
  if (fuzzed) {
    std::string lowered(header);
    std::transform(lowered.begin(), lowered.end(), lowered.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (lowered.find(good.substr(7)) == std::string::npos) std::abort();
  }
  (void)wa::VerifySubscription(header, body, secret);
  return 0;
}
