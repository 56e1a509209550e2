#include "mloop/serve/api_keys.h"

#include <openssl/rand.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "mloop/core/error.h"
#include "mloop/core/hash.h"
#include "mloop/core/strings.h"
#include "mloop/io/atomic_file.h"

namespace mloop {

std::filesystem::path ApiKeys::PathIn(const std::filesystem::path& root) {
  return root / ".mloop" / "api_keys.json";
}

ApiKeys ApiKeys::Load(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return ApiKeys();
  std::stringstream text;
  text << in.rdbuf();
  return Parse(text.str(), path);
}

ApiKeys ApiKeys::Parse(const std::string& text, const std::filesystem::path& path) {
  ApiKeys k;
  try {
    const nlohmann::json j = nlohmann::json::parse(text);
    const int version = j.at("format_version").get<int>();
    if (version > kApiKeysFormatVersion) {
      throw FailedPrecondition(path.string() + " has format version " + std::to_string(version) +
                               "; this mloop reads up to " + std::to_string(kApiKeysFormatVersion));
    }
    for (const auto& e : j.at("keys")) {
      ApiKeyRecord r{e.at("name").get<std::string>(), e.at("sha256").get<std::string>(),
                     e.value("created", "")};
      if (!IsSha256Hex(r.sha256)) throw Corruption(path.string() + ": a key hash is malformed");
      k.keys_.push_back(std::move(r));
    }
  } catch (const nlohmann::json::exception& e) {
    throw Corruption(path.string() + " is malformed: " + e.what());
  }
  k.Index();
  return k;
}

void ApiKeys::Save(const std::filesystem::path& path) const {
  nlohmann::json keys = nlohmann::json::array();
  for (const auto& r : keys_) {
    keys.push_back({{"name", r.name}, {"sha256", r.sha256}, {"created", r.created}});
  }
  const nlohmann::json j = {{"format_version", kApiKeysFormatVersion}, {"keys", keys}};
  WriteStateFileAtomically(path, [&](std::ostream& out) { out << j.dump(2) << "\n"; });
}

std::string ApiKeys::Create(const std::string& name, const std::string& created) {
  // Names are shown in `serve keys list` and logs, and typed into `serve keys revoke`: the
  // rules of model and endpoint names.
  if (!IsPlainName(name)) {
    throw InvalidArgument(
        "invalid API key name '" + name + "'",
        std::string(kPlainNameRule) + " (for example the client's name: ci, dashboard-prod)");
  }
  for (const auto& r : keys_) {
    if (r.name == name) throw AlreadyExists("API key '" + name + "' already exists");
  }
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw Internal("no random bytes for an API key");
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string key = "mlk_";
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char b : bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      key += kAlphabet[(acc >> bits) & 63];
    }
  }
  if (bits > 0) key += kAlphabet[(acc << (6 - bits)) & 63];
  keys_.push_back({name, Sha256Hex(key), created});
  Index();
  return key;
}

void ApiKeys::Revoke(const std::string& name) {
  auto it = std::find_if(keys_.begin(), keys_.end(),
                         [&](const ApiKeyRecord& r) { return r.name == name; });
  if (it == keys_.end()) throw NotFound("no API key named '" + name + "'");
  keys_.erase(it);
  Index();
}

bool ApiKeys::Allows(std::string_view authorization) const {
  // "Bearer <key>": the scheme in any case (RFC 7235), then one or more spaces.
  constexpr std::string_view kBearer = "bearer";
  if (authorization.size() <= kBearer.size() + 1) return false;
  for (size_t i = 0; i < kBearer.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != kBearer[i]) return false;
  }
  std::string_view key = authorization.substr(kBearer.size());
  if (key.front() != ' ') return false;
  while (!key.empty() && key.front() == ' ') key.remove_prefix(1);
  while (!key.empty() && key.back() == ' ') key.remove_suffix(1);
  if (key.empty()) return false;
  // Only hashes are compared, so the lookup's timing tells nothing about a stored key.
  return hashes_.count(Sha256Hex(key)) > 0;
}

void ApiKeys::Index() {
  hashes_.clear();
  for (const auto& r : keys_) hashes_.insert(r.sha256);
}

LiveApiKeys::LiveApiKeys(std::filesystem::path path) : path_(std::move(path)) {
  seen_ = ReadBytes();
  current_.store(
      std::make_shared<const ApiKeys>(seen_ ? ApiKeys::Parse(*seen_, path_) : ApiKeys()));
}

std::optional<std::string> LiveApiKeys::ReadBytes() const {
  std::ifstream in(path_, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::optional<std::string> LiveApiKeys::Refresh() {
  std::optional<std::string> now = ReadBytes();
  if (now == seen_) return std::nullopt;
  seen_ = std::move(now);
  try {
    auto keys = std::make_shared<const ApiKeys>(seen_ ? ApiKeys::Parse(*seen_, path_) : ApiKeys());
    const size_t n = keys->keys().size();
    current_.store(std::move(keys), std::memory_order_release);
    return "API keys reloaded from " + path_.string() + ": " + std::to_string(n) + " key" +
           (n == 1 ? "" : "s");
  } catch (const std::exception& e) {
    return std::string("warning: API keys not reloaded (") + e.what() +
           "); the keys read before stay in force";
  }
}

}  // namespace mloop
