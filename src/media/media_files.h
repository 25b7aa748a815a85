// The media directory (media.dir): files stored content-addressed by their SHA-256, written
// atomically (a temporary file, then rename), shared by inbound downloads and outbound uploads.
// Thread-safe: every method works on the file system only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/result.h"

namespace handoffd {

/// Incremental SHA-256 (libsodium). Not thread-safe; one per stream.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void Update(const char* data, size_t n);
  /// The digest as 64 lower-case hex characters; call once.
  std::string HexDigest();

 private:
  struct State;
  State* state_;
};

/// True when `expected` names the same digest as `hex` (64 lower-case hex characters): Meta
/// writes SHA-256 as base64 in webhooks and as hex in the media API (facts §12); both count.
bool Sha256Matches(const std::string& hex, const std::string& expected);

class MediaFiles {
 public:
  /// `dir` is created on first use.
  explicit MediaFiles(std::string dir);

  /// A fresh temporary file path under dir/tmp (the directory is created).
  Result<std::string> TempPath() const;
  /// SHA-256 (hex) and size of a file, read in 64 KiB chunks.
  Result<std::pair<std::string, int64_t>> HashFile(const std::string& path) const;
  /// Moves a finished temporary file to its content address (dir/ab/abcdef...); an identical
  /// file already there is kept and the temporary one removed. Returns the final path.
  Result<std::string> Commit(const std::string& temp_path, const std::string& sha256_hex) const;
  /// The path of the file with that SHA-256 (hex), whether or not it exists; empty for a value
  /// that is not 64 hex characters.
  std::string PathOf(const std::string& sha256_hex) const;
  /// Removes a file, ignoring errors (temporary files of failed transfers).
  static void Remove(const std::string& path);

  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

}  // namespace handoffd
