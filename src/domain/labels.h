// Session labels (PRODUCT.md "Agent tools and reporting"): short lower-case tags such as
// `billing` or `vip`, stored on the session as one text column (see DecodeLabels).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace handoffd {

/// At most this many labels on one session.
inline constexpr size_t kMaxLabels = 20;

/// The label as stored: ASCII letters lower-cased; nullopt unless 1-32 of [a-z0-9_-] after that.
std::optional<std::string> NormalizeLabel(std::string_view label);

/// The stored column form: sorted, unique, each wrapped in commas (",billing,vip,"), so that a
/// filter is one `LIKE '%,billing,%'`; "" for none. Labels must be normalized already.
std::string EncodeLabels(std::vector<std::string> labels);
/// Inverse of EncodeLabels; empty pieces are skipped.
std::vector<std::string> DecodeLabels(std::string_view column);

}  // namespace handoffd
