#include "mloop/track/registry.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <optional>
#include <set>

#include "mloop/core/error.h"
#include "mloop/core/hash.h"
#include "mloop/core/strings.h"
#include "mloop/core/time.h"

namespace mloop {

void ValidateModelName(const std::string& name) {
  if (!IsPlainName(name)) throw UsageError("invalid model name '" + name + "'", kPlainNameRule);
}

void ValidateAliasName(const std::string& alias) {
  bool ok =
      !alias.empty() && alias.size() <= 64 && std::isalpha(static_cast<unsigned char>(alias[0]));
  for (char c : alias)
    ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-');
  if (!ok) {
    throw UsageError("invalid alias '" + alias + "'",
                     "use letters, digits, '_' and '-', starting with a letter");
  }
  if (AsciiLower(alias) == "latest") {  // `Latest` next to `latest` would read as the same
    throw UsageError("'" + alias + "' is reserved: 'latest' always means the newest version");
  }
}

void ValidateTag(const std::string& key, const std::string& value) {
  bool ok = !key.empty() && key.size() <= 128 && std::isalnum(static_cast<unsigned char>(key[0]));
  for (char c : key) {
    ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' ||
                c == '/' || c == ':');
  }
  if (!ok) {
    throw UsageError("invalid tag name '" + Printable(key, 60) + "'",
                     "use letters, digits, '_', '-', '.', '/' and ':', starting with a letter or "
                     "digit, at most 128 characters");
  }
  if (value.empty()) {
    throw UsageError("tag " + key + " has no value",
                     "give KEY=VALUE; remove a tag with --untag " + key);
  }
  if (value.size() > 1000) {
    throw UsageError("tag " + key + " has a value of " + std::to_string(value.size()) +
                     " bytes; at most 1000");
  }
  for (unsigned char c : value) {
    if (c < 0x20 || c == 0x7f) {
      throw UsageError("tag " + key + " has a control character in its value",
                       "tags are one line of text");
    }
  }
  if (ToValidUtf8(value) != value) throw UsageError("tag " + key + " is not valid UTF-8");
}

std::pair<std::string, int64_t> ParseVersionRef(const std::string& ref) {
  size_t slash = ref.rfind('/');
  std::string v = slash == std::string::npos ? "" : ref.substr(slash + 1);
  if (slash == std::string::npos || v.empty() || v.size() > 12 ||
      v.find_first_not_of("0123456789") != std::string::npos || v[0] == '0') {
    throw UsageError("'" + ref + "' is not a model version",
                     "write NAME/VERSION, e.g. churn/3 (versions count from 1, without leading "
                     "zeros)");
  }
  std::string name = ref.substr(0, slash);
  ValidateModelName(name);
  return {name, std::stoll(v)};
}

std::string CurrentActor() {
  for (const char* var : {"MLOOP_USER", "USER"}) {
    const char* v = std::getenv(var);
    if (v && *v) return v;
  }
  return "unknown";
}

std::string RejectedWarning(const ResolvedModel& m) {
  if (!m.version || m.version->status != kStatusRejected) return "";
  return m.description + " is " + kStatusRejected + " in the registry";
}

namespace {

std::vector<std::string> RegisteredNames(Workspace& ws) {
  std::vector<std::string> names;
  for (const auto& v : ws.metadata().ListModelVersions("")) {
    if (names.empty() || names.back() != v.name) names.push_back(v.name);
  }
  return names;
}

// The candidate equal to `name` but for case, else the nearest by edit distance, else "".
std::string Nearest(const std::string& name, const std::vector<std::string>& candidates) {
  for (const auto& c : candidates) {
    if (AsciiLower(c) == AsciiLower(name)) return c;
  }
  return NearestName(name, candidates);
}

}  // namespace

std::string NoModelHint(Workspace& ws, const std::string& name) {
  const auto names = RegisteredNames(ws);
  if (names.empty()) {
    return "no model is registered yet; register one with `mloop models register RUN --name " +
           name + "`";
  }
  if (std::string near = Nearest(name, names); !near.empty()) {
    return "did you mean '" + near + "'? (registered models: " + ShortList(names, 8) + ")";
  }
  return "registered models: " + ShortList(names, 8);
}

int64_t TrainingRunOf(Workspace& ws, const nlohmann::json& manifest,
                      const std::string& model_hash) {
  const nlohmann::json lineage = manifest.value("lineage", nlohmann::json::object());
  const nlohmann::json id = lineage.value("run_id", nlohmann::json());
  if (!id.is_number_integer()) return 0;
  const auto run = ws.metadata().GetRun(id.get<int64_t>());
  return run && run->model_hash == model_hash ? id.get<int64_t>() : 0;
}

std::optional<ModelEvent> DeletionOf(Workspace& ws, const std::string& name, int64_t version) {
  for (const ModelEvent& e : ws.metadata().ModelHistory(name)) {
    if (e.kind == "deleted" && (version == 0 || e.version == version)) return e;
  }
  return std::nullopt;
}

// For a model with no live version: each was deleted, or it was never registered.
std::string NoVersionHint(Workspace& ws, const std::string& name) {
  return DeletionOf(ws, name, 0)
             ? "every version of " + name + " was deleted; `mloop models history " + name +
                   "` shows them"
             : "no registered model '" + name + "'; " + NoModelHint(ws, name);
}

std::string NoAliasHint(Workspace& ws, const std::string& name, const std::string& alias,
                        bool to_set) {
  std::vector<std::string> aliases;
  for (const auto& v : ws.metadata().ListModelVersions(name)) {
    aliases.insert(aliases.end(), v.aliases.begin(), v.aliases.end());
  }
  std::sort(aliases.begin(), aliases.end());
  if (aliases.empty()) {
    return name + " has no aliases; set one with `mloop models alias " + name + "/VERSION " +
           alias + "`";
  }
  if (std::string near = Nearest(alias, aliases); !near.empty()) {
    return "did you mean " + name + "@" + near + "? (aliases of " + name + ": " +
           ShortList(aliases, 8) + ")";
  }
  return "aliases of " + name + ": " + ShortList(aliases, 8) +
         (to_set ? "; set one with `mloop models alias " + name + "/VERSION " + alias + "`" : "");
}

void RefuseNameDifferingInCase(Workspace& ws, const std::string& name) {
  for (const auto& other : RegisteredNames(ws)) {
    if (other != name && AsciiLower(other) == AsciiLower(name)) {
      throw UsageError(
          "model name '" + name + "' differs from the registered '" + other + "' only in case",
          "register it as " + other + ", or pick a distinct name");
    }
  }
}

ResolvedModel ResolveModelRef(Workspace& ws, const std::string& ref) {
  ResolvedModel out;
  // run:7 or 7
  std::string id = ref.rfind("run:", 0) == 0 ? ref.substr(4) : ref;
  if (!id.empty() && id.size() < 12 && id.find_first_not_of("0123456789") == std::string::npos) {
    auto run = ws.metadata().GetRun(std::stoll(id));
    if (!run) throw NotFound("no run " + id, "list runs with `mloop runs list`");
    if (run->model_hash.empty()) {
      throw FailedPrecondition("run " + id + " has no model (status " +
                               std::string(RunStatusName(run->status)) + ")");
    }
    out.model_hash = run->model_hash;
    out.description = "run " + id;
    out.run_id = run->id;
    return out;
  }
  // NAME/3
  size_t slash = ref.rfind('/');
  if (slash != std::string::npos) {
    auto [name, version] = ParseVersionRef(ref);
    auto v = ws.metadata().FindModelVersion(name, version);
    if (!v) {
      auto all = ws.metadata().ListModelVersions(name);
      std::vector<std::string> live;
      for (const auto& m : all) live.push_back(std::to_string(m.version));
      if (live.size() > 12) {
        live.erase(live.begin() + 5, live.end() - 5);
        live.insert(live.begin() + 5, "...");
      }
      const std::string versions_hint =
          all.empty() ? NoVersionHint(ws, name) : "versions of " + name + ": " + Join(live, ", ");
      if (auto deleted = DeletionOf(ws, name, version)) {
        throw NotFound(ref + " was deleted (" + FormatTimestamp(deleted->at_us) + " by " +
                           deleted->actor + ")",
                       versions_hint);
      }
      throw NotFound("no model version " + ref, versions_hint);
    }
    out.model_hash = v->model_hash;
    out.description = ref;
    out.version = v;
    return out;
  }
  // NAME@alias
  size_t at = ref.rfind('@');
  if (at != std::string::npos) {
    std::string name = ref.substr(0, at), alias = ref.substr(at + 1);
    ValidateModelName(name);
    if (!alias.empty() && alias.find_first_not_of("0123456789") == std::string::npos) {
      throw UsageError("'" + ref + "' names an alias, and aliases begin with a letter",
                       "a model's version is NAME/VERSION: " + name + "/" + alias +
                           " (datasets take NAME@VERSION)");
    }
    if (alias != "latest" && AsciiLower(alias) == "latest") {  // a reference, not a new alias
      throw UsageError("'" + ref + "': references are case-sensitive",
                       "did you mean " + name + "@latest?");
    }
    if (alias != "latest") ValidateAliasName(alias);  // t@ or t@1prod: a usage error (exit 2)
    std::optional<ModelVersionRecord> v;
    if (alias == "latest") {
      auto all = ws.metadata().ListModelVersions(name);
      if (!all.empty()) v = all.back();
    } else {
      v = ws.metadata().FindModelAlias(name, alias);
    }
    if (!v) {
      throw NotFound("no model " + ref, ws.metadata().ListModelVersions(name).empty()
                                            ? NoVersionHint(ws, name)
                                            : NoAliasHint(ws, name, alias));
    }
    out.model_hash = v->model_hash;
    out.description = name + "/" + std::to_string(v->version);
    out.version = v;
    return out;
  }
  // A bundle address prefix.
  if (ref.size() >= 8 && ref.size() <= 64 &&
      ref.find_first_not_of("0123456789abcdef") == std::string::npos) {
    if (ref.size() == 64 && ws.artifacts().Contains(ref)) {
      out.model_hash = ref;
      out.description = ref.substr(0, 12);
      return out;
    }
    // The models of runs and of the registry (imported ones have no run), as `models list`
    // shows their addresses; a prefix two of them share names neither.
    std::set<std::string> matches;
    for (const auto& r : ws.metadata().ListRuns("")) {
      if (!r.model_hash.empty() && r.model_hash.rfind(ref, 0) == 0) matches.insert(r.model_hash);
    }
    for (const auto& v : ws.metadata().ListModelVersions("")) {
      if (v.model_hash.rfind(ref, 0) == 0) matches.insert(v.model_hash);
    }
    if (matches.size() > 1) {
      throw InvalidArgument(
          "the address prefix '" + ref + "' fits " + std::to_string(matches.size()) + " models",
          "give more of its digits");
    }
    if (matches.size() == 1) {
      out.model_hash = *matches.begin();
      out.description = ref;
      return out;
    }
  }
  // A registered model's name alone: which of its versions?
  if (IsPlainName(ref)) {
    const auto versions = ws.metadata().ListModelVersions(ref);
    if (versions.empty() && DeletionOf(ws, ref, 0)) {
      throw NotFound("every version of '" + ref + "' was deleted",
                     "`mloop models history " + ref + "` shows them");
    }
    if (!versions.empty()) {
      std::vector<std::string> aliases;
      for (const auto& v : versions) {
        for (const auto& a : v.aliases) aliases.push_back(ref + "@" + a);
      }
      throw NotFound("'" + ref + "' is a registered model; name one of its versions",
                     "give " + ref + "/" + std::to_string(versions.back().version) + ", " +
                         (aliases.empty() ? "" : Join(aliases, ", ") + ", ") + "or " + ref +
                         "@latest");
    }
  }
  throw NotFound("no model '" + ref + "'",
                 "a model is NAME/VERSION, NAME@ALIAS, NAME@latest, a run id, or an address");
}

}  // namespace mloop
