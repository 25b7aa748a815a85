// Meta's media types and size limits for sending (facts §7; API.md POST .../attachments).
#pragma once

#include <cstdint>
#include <string>

namespace handoffd {

/// How an attachment goes out: WhatsApp's message type and its size limit in bytes.
struct AttachmentKind {
  std::string media_type;  // image|video|audio|document
  int64_t max_bytes = 0;
};

/// The kind for a file's media type (parameters and case ignored): image/jpeg and image/png are
/// images (5 MB); video/mp4 and video/3gpp videos (16 MB); audio/aac, audio/amr, audio/mpeg,
/// audio/mp4 and audio/ogg audio (16 MB); anything else a document (100 MB).
AttachmentKind ClassifyAttachment(const std::string& mime_type);

/// The media type without parameters, lower case, trimmed ("Audio/OGG; codecs=opus" ->
/// "audio/ogg").
std::string BaseMediaType(const std::string& mime_type);

}  // namespace handoffd
