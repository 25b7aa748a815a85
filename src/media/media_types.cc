#include "media/media_types.h"

namespace handoffd {

std::string BaseMediaType(const std::string& mime_type) {
  std::string t = mime_type.substr(0, mime_type.find(';'));
  while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.pop_back();
  size_t b = 0;
  while (b < t.size() && (t[b] == ' ' || t[b] == '\t')) ++b;
  t = t.substr(b);
  for (char& c : t) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return t;
}

AttachmentKind ClassifyAttachment(const std::string& mime_type) {
  constexpr int64_t kMB = 1024 * 1024;
  const std::string t = BaseMediaType(mime_type);
  if (t == "image/jpeg" || t == "image/png") return {"image", 5 * kMB};
  if (t == "video/mp4" || t == "video/3gpp") return {"video", 16 * kMB};
  if (t == "audio/aac" || t == "audio/amr" || t == "audio/mpeg" || t == "audio/mp4" ||
      t == "audio/ogg") {
    return {"audio", 16 * kMB};
  }
  return {"document", 100 * kMB};
}

}  // namespace handoffd
