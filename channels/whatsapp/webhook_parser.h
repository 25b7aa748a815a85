// Parses Meta's webhook JSON (facts §4-6) into channel-neutral events. Never throws.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "domain/inbound.h"

namespace handoffd::whatsapp {

struct ParseOptions {
  /// Business numbers to accept (metadata.phone_number_id); empty = all. Changes for other
  /// numbers become IgnoredItems.
  std::vector<std::string> phone_number_ids;
};

/// Every entry, change, message and status, in payload order. kBadRequest only when the body is
/// not JSON (valid JSON that is not an object is one IgnoredItem); anything else unexpected (other
/// fields, missing metadata, malformed items, unknown types) is tolerated: unknown message types
/// become "unsupported" with metadata.wa_type, unusable items become IgnoredItems.
Result<InboundBatch> ParseWebhook(std::string_view raw_body, const ParseOptions& options);

}  // namespace handoffd::whatsapp
