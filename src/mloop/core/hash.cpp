#include "mloop/core/hash.h"

#include <openssl/evp.h>
#include <xxhash.h>

#include <cstdio>
#include <fstream>
#include <vector>

#include "mloop/core/error.h"

namespace mloop {

struct Sha256::Impl {
  EVP_MD_CTX* ctx = nullptr;
};

Sha256::Sha256() : impl_(std::make_unique<Impl>()) {
  impl_->ctx = EVP_MD_CTX_new();
  if (!impl_->ctx || EVP_DigestInit_ex(impl_->ctx, EVP_sha256(), nullptr) != 1) {
    throw Internal("cannot initialise SHA-256");
  }
}

Sha256::~Sha256() {
  EVP_MD_CTX_free(impl_->ctx);
}

void Sha256::Update(const void* data, size_t size) {
  if (size && EVP_DigestUpdate(impl_->ctx, data, size) != 1) throw Internal("SHA-256 update");
}

std::string Sha256::HexDigest() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(impl_->ctx, digest, &len) != 1) throw Internal("SHA-256 final");
  static const char kHex[] = "0123456789abcdef";
  std::string out(len * 2, '0');
  for (unsigned i = 0; i < len; ++i) {
    out[2 * i] = kHex[digest[i] >> 4];
    out[2 * i + 1] = kHex[digest[i] & 15];
  }
  return out;
}

std::string Sha256Hex(std::string_view data) {
  Sha256 h;
  h.Update(data);
  return h.HexDigest();
}

namespace {

// Calls `update(data, size)` with the file's bytes, 1 MiB at a time.
template <class Update>
void ReadChunks(const std::filesystem::path& path, const Update& update) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoErrorFromErrno("cannot open", path.string());
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    update(buf.data(), static_cast<size_t>(in.gcount()));
  }
  if (in.bad()) throw IoErrorFromErrno("cannot read", path.string());
}

}  // namespace

std::string Sha256File(const std::filesystem::path& path) {
  Sha256 h;
  ReadChunks(path, [&](const char* data, size_t size) { h.Update(data, size); });
  return h.HexDigest();
}

std::string Xxh3File128Hex(const std::filesystem::path& path, std::string_view prefix) {
  std::unique_ptr<XXH3_state_t, decltype(&XXH3_freeState)> state(XXH3_createState(),
                                                                 &XXH3_freeState);
  if (!state) throw Internal("cannot initialise XXH3");
  XXH3_128bits_reset(state.get());
  XXH3_128bits_update(state.get(), prefix.data(), prefix.size());
  ReadChunks(path,
             [&](const char* data, size_t size) { XXH3_128bits_update(state.get(), data, size); });
  const XXH128_hash_t h = XXH3_128bits_digest(state.get());
  char hex[33];
  std::snprintf(hex, sizeof hex, "%016llx%016llx", static_cast<unsigned long long>(h.high64),
                static_cast<unsigned long long>(h.low64));
  return hex;
}

bool IsSha256Hex(std::string_view text) {
  if (text.size() != 64) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace mloop
