// API keys for `mloop serve`: random bearer tokens of which only the SHA-256 is stored, in
// <workspace>/.mloop/api_keys.json ({"format_version": 1, "keys": [{"name", "sha256",
// "created"}]}). A request passes with `Authorization: Bearer <key>` for any stored key.
#pragma once

#include <atomic>
#include <filesystem>
#include <memory>
#include <optional>
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
  // The file's text; `path` names it in messages.
  static ApiKeys Parse(const std::string& text, const std::filesystem::path& path);
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

// The key file as a running server sees it: read at start, and again by Refresh whenever the
// file has changed since (a key created or revoked takes effect without a restart). Allows is
// thread-safe and never waits for a reload.
class LiveApiKeys {
 public:
  // Reads `path` now (errors as ApiKeys::Load).
  explicit LiveApiKeys(std::filesystem::path path);

  bool Allows(std::string_view authorization) const {
    return current_.load(std::memory_order_acquire)->Allows(authorization);
  }
  size_t size() const { return current_.load(std::memory_order_acquire)->keys().size(); }

  // Re-reads the file when its bytes changed since the last look (it is small: reading it is
  // cheaper than trusting timestamps of a coarse clock). Returns a line for the log when
  // something happened: the new key count, or why the file could not be read (the keys read
  // before then stay in force).
  std::optional<std::string> Refresh();

 private:
  // The file's bytes; nullopt when there is no file.
  std::optional<std::string> ReadBytes() const;

  std::filesystem::path path_;
  std::atomic<std::shared_ptr<const ApiKeys>> current_;
  std::optional<std::string> seen_;  // the bytes last read (or failed to parse)
};

}  // namespace mloop
