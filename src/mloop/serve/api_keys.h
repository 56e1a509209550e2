// API keys for `mloop serve`: random bearer tokens of which only the SHA-256 is stored, in
// <workspace>/.mloop/api_keys.json ({"format_version": 1, "keys": [{"name", "sha256",
// "created"}]}). A request passes with `Authorization: Bearer <key>` for any stored key.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace mloop {

inline constexpr int kApiKeysFormatVersion = 1;

struct ApiKeyRecord {
  std::string name;
  std::string sha256;   // hex of the key's SHA-256
  std::string created;  // ISO 8601
};

class ApiKeys {
 public:
  // The key file of a workspace rooted at `root`.
  static std::filesystem::path PathIn(const std::filesystem::path& root);
  // Reads `path` (no file: no keys). Corruption for a malformed file; FailedPrecondition for a
  // newer format version.
  static ApiKeys Load(const std::filesystem::path& path);
  void Save(const std::filesystem::path& path) const;

  // Makes a new key named `name` (AlreadyExists when taken) and returns it: the only time the
  // key itself is seen. "mlk_" and 43 characters of base64url (32 random bytes).
  std::string Create(const std::string& name, const std::string& created);
  // NotFound for an unknown name.
  void Revoke(const std::string& name);

  const std::vector<ApiKeyRecord>& keys() const { return keys_; }
  bool empty() const { return keys_.empty(); }
  // True when `authorization` is "Bearer <a stored key>".
  bool Allows(std::string_view authorization) const;

 private:
  void Index();
  std::vector<ApiKeyRecord> keys_;
  std::unordered_set<std::string> hashes_;
};

}  // namespace mloop
