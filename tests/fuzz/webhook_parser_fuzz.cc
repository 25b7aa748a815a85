// libFuzzer harness: the WhatsApp webhook parser on arbitrary bodies (issue 9). Any input must
// yield a batch or an error, never a crash, a leak or undefined behaviour.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "channels/whatsapp/webhook_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  // Both modes: any business number, and a configured allow-list (the fixtures' number).
  static const handoffd::whatsapp::ParseOptions kAny{};
  static const handoffd::whatsapp::ParseOptions kListed{{"123456789012345"}};
  (void)handoffd::whatsapp::ParseWebhook(body, kAny);
  (void)handoffd::whatsapp::ParseWebhook(body, kListed);
  return 0;
}
