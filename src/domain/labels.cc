#include "domain/labels.h"

#include <algorithm>

namespace handoffd {

std::optional<std::string> NormalizeLabel(std::string_view label) {
  if (label.empty() || label.size() > 32) return std::nullopt;
  std::string out;
  out.reserve(label.size());
  for (char c : label) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return std::nullopt;
    out += c;
  }
  return out;
}

std::string EncodeLabels(std::vector<std::string> labels) {
  std::sort(labels.begin(), labels.end());
  labels.erase(std::unique(labels.begin(), labels.end()), labels.end());
  if (labels.empty()) return "";
  std::string out = ",";
  for (const std::string& l : labels) out += l + ",";
  return out;
}

std::vector<std::string> DecodeLabels(std::string_view column) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= column.size()) {
    size_t end = column.find(',', start);
    if (end == std::string_view::npos) end = column.size();
    if (end > start) out.emplace_back(column.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace handoffd
