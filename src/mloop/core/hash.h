// SHA-256, the content address of every artifact and dataset version.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace mloop {

// Incremental SHA-256 (OpenSSL). Update() any number of times, then HexDigest() once.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(const void* data, size_t size);
  void Update(std::string_view data) { Update(data.data(), data.size()); }
  // 64 lower-case hex characters.
  std::string HexDigest();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

std::string Sha256Hex(std::string_view data);
std::string Sha256File(const std::filesystem::path& path);

// XXH3-128 (32 lower-case hex digits) of `prefix`, then the file's bytes: a fast fingerprint of
// a file read as it is (data imports' keys), not a content address. Throws IoError when the file
// cannot be read.
std::string Xxh3File128Hex(const std::filesystem::path& path, std::string_view prefix = {});

// True for 64 lower-case hex characters.
bool IsSha256Hex(std::string_view text);

}  // namespace mloop
