#include "media/media_files.h"

#include <sodium.h>

#include <cstdio>
#include <filesystem>
#include <system_error>
#include <vector>

namespace handoffd {

struct Sha256::State {
  crypto_hash_sha256_state st;
};

Sha256::Sha256() : state_(new State) {
  static const bool kInit = sodium_init() >= 0;
  (void)kInit;
  crypto_hash_sha256_init(&state_->st);
}

Sha256::~Sha256() { delete state_; }

void Sha256::Update(const char* data, size_t n) {
  crypto_hash_sha256_update(&state_->st, reinterpret_cast<const unsigned char*>(data), n);
}

std::string Sha256::HexDigest() {
  unsigned char out[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&state_->st, out);
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, out, sizeof out);
  return std::string(hex);
}

bool Sha256Matches(const std::string& hex, const std::string& expected) {
  if (expected.size() == hex.size()) {
    for (size_t i = 0; i < hex.size(); ++i) {
      char c = expected[i];
      if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
      if (c != hex[i]) return false;
    }
    return true;
  }
  // base64 (standard alphabet, with or without padding) of the 32 digest bytes.
  unsigned char bin[crypto_hash_sha256_BYTES];
  size_t bin_len = 0;
  if (sodium_hex2bin(bin, sizeof bin, hex.data(), hex.size(), nullptr, &bin_len, nullptr) != 0 ||
      bin_len != sizeof bin) {
    return false;
  }
  char b64[sodium_base64_ENCODED_LEN(crypto_hash_sha256_BYTES, sodium_base64_VARIANT_ORIGINAL)];
  sodium_bin2base64(b64, sizeof b64, bin, sizeof bin, sodium_base64_VARIANT_ORIGINAL);
  std::string padded(b64);
  std::string unpadded = padded;
  while (!unpadded.empty() && unpadded.back() == '=') unpadded.pop_back();
  return expected == padded || expected == unpadded;
}

MediaFiles::MediaFiles(std::string dir) : dir_(std::move(dir)) {
  while (dir_.size() > 1 && dir_.back() == '/') dir_.pop_back();
}

Result<std::string> MediaFiles::TempPath() const {
  std::error_code ec;
  const std::filesystem::path tmp = std::filesystem::path(dir_) / "tmp";
  std::filesystem::create_directories(tmp, ec);
  if (ec) return Status::Unavailable("cannot create " + tmp.string() + ": " + ec.message());
  unsigned char raw[12];
  randombytes_buf(raw, sizeof raw);
  char hex[sizeof raw * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
  return (tmp / (std::string(hex) + ".part")).string();
}

Result<std::pair<std::string, int64_t>> MediaFiles::HashFile(const std::string& path) const {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return Status::Unavailable("cannot read " + path);
  Sha256 hash;
  std::vector<char> buf(65536);
  int64_t total = 0;
  size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) {
    hash.Update(buf.data(), n);
    total += static_cast<int64_t>(n);
  }
  const bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) return Status::Unavailable("cannot read " + path);
  return std::make_pair(hash.HexDigest(), total);
}

std::string MediaFiles::PathOf(const std::string& sha256_hex) const {
  if (sha256_hex.size() != 64) return "";
  for (char c : sha256_hex) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return "";
  }
  return (std::filesystem::path(dir_) / sha256_hex.substr(0, 2) / sha256_hex).string();
}

Result<std::string> MediaFiles::Commit(const std::string& temp_path,
                                       const std::string& sha256_hex) const {
  const std::string final_path = PathOf(sha256_hex);
  if (final_path.empty()) return Status::Internal("bad sha256 " + sha256_hex);
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(final_path).parent_path(), ec);
  if (ec) return Status::Unavailable("cannot create media directory: " + ec.message());
  if (std::filesystem::exists(final_path, ec)) {
    Remove(temp_path);  // same content already stored
    return final_path;
  }
  std::filesystem::rename(temp_path, final_path, ec);
  if (ec) return Status::Unavailable("cannot store media file: " + ec.message());
  return final_path;
}

void MediaFiles::Remove(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove(path, ec);
}

}  // namespace handoffd
