// mloop models register | list | show | update | alias | unalias | approve | reject | history |
// delete | import | export
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <iostream>
#include <optional>

#include "cli.h"
#include "mloop/core/error.h"
#include "mloop/core/strings.h"
#include "mloop/core/time.h"
#include "mloop/io/byte_source.h"
#include "mloop/model/bundle.h"
#include "mloop/model/import.h"
#include "mloop/track/registry.h"
#include "mloop/track/runs.h"

namespace mloop::cli {

namespace {

// --tag KEY=VALUE texts, checked.
std::map<std::string, std::string> TagsArg(const std::vector<std::string>& texts) {
  auto tags = ParseKeyValues("--tag", texts);
  for (const auto& [key, value] : tags) ValidateTag(key, value);
  return tags;
}

// How two bundles differ for whoever sends them records or reads their answers: other inputs
// (names, types, order), another task, other classes. Empty when they are interchangeable.
std::string ManifestDifference(const nlohmann::json& now, const nlohmann::json& before) {
  auto inputs = [](const nlohmann::json& m) {
    std::vector<std::string> out;
    for (const auto& f : m.value("input_schema", nlohmann::json::array())) {
      out.push_back(f.value("name", "") + ":" + f.value("type", ""));
    }
    return out;
  };
  const std::string task = now.value("task", ""), was_task = before.value("task", "");
  if (task != was_task) return "a " + task + " model where it was " + was_task;
  const auto in = inputs(now), was_in = inputs(before);
  if (in != was_in) {
    std::vector<std::string> added, dropped;
    for (const auto& f : in)
      if (std::find(was_in.begin(), was_in.end(), f) == was_in.end()) added.push_back(f);
    for (const auto& f : was_in)
      if (std::find(in.begin(), in.end(), f) == in.end()) dropped.push_back(f);
    std::string what = "other inputs";
    if (!added.empty()) what += "; new: " + Printable(Join(added, ", "), 120);
    if (!dropped.empty()) what += "; gone: " + Printable(Join(dropped, ", "), 120);
    if (added.empty() && dropped.empty()) what += " (the same columns in another order)";
    return what;
  }
  const auto classes = now.value("classes", nlohmann::json::array());
  const auto was_classes = before.value("classes", nlohmann::json::array());
  if (classes != was_classes) {
    return "classes " + Printable(classes.dump(), 80) + " where they were " +
           Printable(was_classes.dump(), 80);
  }
  if (task == "binary" || task == "multiclass") {  // the type its labels are answered in
    const auto type = [](const nlohmann::json& m) {
      return m.contains("target") && m["target"].is_object() ? m["target"].value("type", "") : "";
    };
    if (type(now) != type(before)) {
      return "a model of " + type(now) + " labels where they were " + type(before);
    }
  }
  if (task == "clustering" && now.value("clusters", 0) != before.value("clusters", 0)) {
    return "a model of " + std::to_string(now.value("clusters", 0)) + " clusters where it was " +
           std::to_string(before.value("clusters", 0));
  }
  return {};
}

// ManifestDifference against the bundle at `before_hash`; "" when that bundle cannot be read
// (damaged, or of a newer format): moving away from it is then the point, not a reason to stop.
std::string DifferenceFrom(Workspace& ws, const nlohmann::json& now,
                           const std::string& before_hash) {
  try {
    return ManifestDifference(now, LoadBundle(ws.artifacts(), before_hash).manifest);
  } catch (const Error&) {
    return {};
  }
}

// "k=v<sep>k=v", each value shown safely on one line.
std::string TagsText(const std::map<std::string, std::string>& tags, std::string_view sep) {
  std::vector<std::string> parts;
  for (const auto& [key, value] : tags) parts.push_back(key + "=" + Printable(value, 80));
  return Join(parts, sep);
}

nlohmann::json VersionJson(const ModelVersionRecord& v) {
  return {{"name", v.name},
          {"version", v.version},
          {"ref", v.name + "/" + std::to_string(v.version)},
          {"model", v.model_hash},
          {"run_id", v.run_id},
          {"status", v.status},
          {"description", v.description},
          {"tags", v.tags},
          {"aliases", v.aliases},
          {"created", FormatTimestamp(v.created_at_us)}};
}

// Registers the bundle at `model_hash` (its `manifest`) as a new version of `name`, warning on
// stderr (--json's document stays one document) when it differs from the previous version in
// what clients see (task, inputs, classes).
ModelVersionRecord RegisterVersion(Workspace& ws, const std::string& name,
                                   const std::string& model_hash, int64_t run_id,
                                   const nlohmann::json& manifest, const std::string& description,
                                   const std::map<std::string, std::string>& tags) {
  const auto earlier = ws.metadata().ListModelVersions(name);
  const std::string difference =
      earlier.empty() ? "" : DifferenceFrom(ws, manifest, earlier.back().model_hash);
  ModelVersionRecord v = ws.metadata().RegisterModelVersion(
      name, model_hash, run_id, description, tags, CurrentActor(), ws.clock().NowMicros());
  if (!difference.empty()) {
    std::cerr << "warning: " << name << "/" << v.version << " is " << difference << " (" << name
              << "/" << earlier.back().version << "); clients of " << name
              << " must change with it\n";
  }
  return v;
}

void Register(const GlobalOptions& global, const std::string& run_ref, const std::string& name,
              const std::string& description, const std::vector<std::string>& tag_texts,
              bool json) {
  ValidateModelName(name);
  const auto tags = TagsArg(tag_texts);
  auto ws = OpenWorkspace(global);
  RefuseNameDifferingInCase(*ws, name);
  ResolvedModel m = ResolveModelRef(*ws, run_ref);
  // Given as a run: its id (a model address of digits only, 361683350860..., is no run).
  int64_t run_id = m.run_id;
  // The bundle must be whole before it is registered.
  const ModelBundle bundle = LoadBundle(ws->artifacts(), m.model_hash);
  // Given as another version (churn/2) or by its address: the run that trained it all the same.
  if (run_id == 0 && m.version) run_id = m.version->run_id;
  if (run_id == 0) run_id = TrainingRunOf(*ws, bundle.manifest, m.model_hash);
  const ModelVersionRecord v =
      RegisterVersion(*ws, name, m.model_hash, run_id, bundle.manifest, description, tags);
  if (json) {
    PrintJson(VersionJson(v));
    return;
  }
  std::cout << "Registered " << name << "/" << v.version << " (from " << m.description
            << "), status " << v.status << "\n";
}

// The target's name; a model imported without --target, or a clustering, has none.
std::string TargetLine(const nlohmann::json& manifest) {
  const std::string name = manifest.value("target", nlohmann::json::object()).value("name", "");
  if (!name.empty()) return name;
  return manifest.value("task", "") == "clustering" ? "- (clustering)"
                                                    : "- (not named: imported without --target)";
}

void List(const GlobalOptions& global, const std::string& name,
          const std::vector<std::string>& tag_texts, bool json) {
  if (!name.empty()) ValidateModelName(name);  // an invalid name is a usage error (exit 2)
  const auto wanted = TagsArg(tag_texts);
  auto ws = OpenWorkspace(global);
  auto versions = ws->metadata().ListModelVersions(name);
  if (versions.empty() && !name.empty()) {  // in JSON too: not an empty list
    if (DeletionOf(*ws, name, 0)) {
      throw NotFound("every version of '" + name + "' was deleted",
                     "`mloop models history " + name + "` shows them");
    }
    throw NotFound("no registered model '" + name + "'", NoModelHint(*ws, name));
  }
  std::erase_if(versions, [&](const ModelVersionRecord& v) {
    for (const auto& [key, value] : wanted) {
      auto it = v.tags.find(key);
      if (it == v.tags.end() || it->second != value) return true;
    }
    return false;
  });
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& v : versions) out.push_back(VersionJson(v));
    PrintJson(out);
    return;
  }
  if (versions.empty() && !wanted.empty()) {
    std::cout << "No registered version has " << Join(tag_texts, " and ") << "\n";
    return;
  }
  if (versions.empty()) {
    std::cout << "No registered models. Register one: mloop models register RUN --name NAME\n";
    return;
  }
  // A TAGS column only when some version has tags.
  const bool any_tags = std::any_of(versions.begin(), versions.end(),
                                    [](const ModelVersionRecord& v) { return !v.tags.empty(); });
  std::vector<std::vector<std::string>> rows;
  for (const auto& v : versions) {
    std::string aliases;
    for (const auto& a : v.aliases) aliases += (aliases.empty() ? "" : ",") + a;
    rows.push_back({v.name + "/" + std::to_string(v.version), v.status, aliases,
                    v.run_id ? std::to_string(v.run_id) : "", v.model_hash.substr(0, 12),
                    FormatTimestamp(v.created_at_us)});
    if (any_tags) rows.back().push_back(CutUtf8(TagsText(v.tags, ","), 60));
  }
  std::vector<std::string> header = {"MODEL", "STATUS", "ALIASES", "RUN", "ADDRESS", "CREATED"};
  if (any_tags) header.push_back("TAGS");
  PrintTable(header, rows);
}

void Show(const GlobalOptions& global, const std::string& ref, bool json) {
  auto ws = OpenWorkspace(global);
  ResolvedModel m = ResolveModelRef(*ws, ref);
  ModelBundle b = LoadBundle(ws->artifacts(), m.model_hash);
  if (json) {
    nlohmann::json j = {{"ref", m.description}, {"model", m.model_hash}, {"manifest", b.manifest}};
    if (m.version) j["registry"] = VersionJson(*m.version);
    PrintJson(j);
    return;
  }
  const auto& man = b.manifest;
  std::cout << m.description << "  (" << m.model_hash << ")\n";
  if (m.version) {
    std::cout << "  status:    " << m.version->status << "\n";
    if (!m.version->aliases.empty()) {
      std::string aliases;
      for (const auto& a : m.version->aliases) aliases += (aliases.empty() ? "" : ", ") + a;
      std::cout << "  aliases:   " << aliases << "\n";
    }
    if (!m.version->description.empty())
      std::cout << "  about:     " << Printable(m.version->description, 200) << "\n";
    if (!m.version->tags.empty()) {
      std::cout << "  tags:      " << TagsText(m.version->tags, ", ") << "\n";
    }
  }
  std::cout << "  algorithm: " << man.value("algorithm", "") << " (" << man.value("task", "")
            << ")\n"
            << "  target:    " << TargetLine(man) << "\n"
            << "  inputs:    " << man["input_schema"].size() << " columns\n";
  if (man.contains("lineage") && man["lineage"].contains("dataset")) {
    const auto& d = man["lineage"]["dataset"];
    // A version registered without a run of this workspace (imported from another one's
    // export) was trained elsewhere: its run id is that workspace's.
    const bool elsewhere = m.version && m.version->run_id == 0;
    std::cout << "  trained on " << d.value("name", "") << "@" << d.value("version", 0) << " (run "
              << man["lineage"].value("run_id", 0)
              << (elsewhere ? " of the workspace it was trained in" : "") << ")\n";
  }
  if (man.contains("metrics") && !man["metrics"].empty()) {  // an imported model has none
    std::vector<std::vector<std::string>> rows;
    for (const auto& [k, v] : man["metrics"].items()) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.4f", v.get<double>());
      rows.push_back({k, buf});
    }
    std::cout << "metrics (" << man.value("metrics_on", "validation") << "):\n";
    PrintTable({"METRIC", "VALUE"}, rows, "  ");
  }
}

void Alias(const GlobalOptions& global, const std::string& ref, const std::string& alias) {
  auto [name, version] = ParseVersionRef(ref);
  ValidateAliasName(alias);
  auto ws = OpenWorkspace(global);
  ResolveModelRef(*ws, ref);  // a missing version: the versions there are, or the nearest name
  // Aliases are exact names; two that differ in case only (prod, Prod) would be taken for one.
  for (const auto& v : ws->metadata().ListModelVersions(name)) {
    for (const auto& other : v.aliases) {
      if (other != alias && AsciiLower(other) == AsciiLower(alias)) {
        throw UsageError(
            "alias '" + alias + "' differs from " + name + "@" + other + " only in case",
            "move " + name + "@" + other + " instead, or pick a distinct name");
      }
    }
  }
  auto before = ws->metadata().FindModelAlias(name, alias);
  std::string difference;
  if (before && before->version != version) {
    auto target = ws->metadata().FindModelVersion(name, version);
    difference = DifferenceFrom(*ws, LoadBundle(ws->artifacts(), target->model_hash).manifest,
                                before->model_hash);
  }
  const bool moved =
      ws->metadata().SetModelAlias(name, alias, version, CurrentActor(), ws->clock().NowMicros());
  std::cout << name << "@" << alias << " -> " << name << "/" << version;
  if (!moved) std::cout << " (unchanged)";
  if (before && before->version != version) std::cout << " (was " << before->version << ")";
  std::cout << "\n";
  if (!difference.empty()) {
    // Moved all the same (the owner may mean it), but a running `mloop serve` of the alias
    // refuses a version unlike the one it serves (which may not be the alias's previous one:
    // it may have refused that too) and keeps it: say so now, not in a reload response.
    std::cerr << "warning: " << name << "/" << version << " is " << difference << " (" << name
              << "/" << before->version << "); a running `mloop serve` of " << name << "@" << alias
              << " swaps only to a version with the inputs and answers of the one it serves "
                 "(else it keeps that one until restarted), and clients must change with it\n";
  }
  // Allowed (a rollback may need it), but never unnoticed: whatever serves the alias serves it.
  if (auto v = ws->metadata().FindModelVersion(name, version); v && v->status == kStatusRejected) {
    std::cerr << "warning: " << name << "/" << version << " is " << kStatusRejected << "; " << name
              << "@" << alias << " serves it all the same\n";
  }
}

void Unalias(const GlobalOptions& global, const std::string& name, const std::string& alias) {
  // `alias` takes NAME/VERSION; an alias belongs to the model, whichever version it points at.
  if (const size_t cut = name.find_first_of("/@"); cut != std::string::npos && cut > 0) {
    const std::string model = name.substr(0, cut);
    std::string wanted = name[cut] == '@' ? name.substr(cut + 1) : alias;
    if (wanted.empty()) wanted = "ALIAS";
    throw UsageError("unalias takes the model's name and the alias, not '" + name + "'",
                     "mloop models unalias " + model + " " + wanted);
  }
  if (alias.empty()) {
    throw UsageError("ALIAS is required", "mloop models unalias " + name + " ALIAS");
  }
  ValidateModelName(name);
  ValidateAliasName(alias);
  auto ws = OpenWorkspace(global);
  if (!ws->metadata().FindModelAlias(name, alias)) {
    throw NotFound("no alias " + name + "@" + alias, ws->metadata().ListModelVersions(name).empty()
                                                         ? NoVersionHint(*ws, name)
                                                         : NoAliasHint(*ws, name, alias, false));
  }
  ws->metadata().RemoveModelAlias(name, alias, CurrentActor(), ws->clock().NowMicros());
  std::cout << "Removed " << name << "@" << alias << "\n";
}

void SetStatus(const GlobalOptions& global, const std::string& ref, const char* status) {
  auto [name, version] = ParseVersionRef(ref);
  auto ws = OpenWorkspace(global);
  ResolveModelRef(*ws, ref);
  const bool changed =
      ws->metadata().SetModelStatus(name, version, status, CurrentActor(), ws->clock().NowMicros());
  std::cout << name << "/" << version << ": " << status << (changed ? "" : " (unchanged)") << "\n";
  if (std::string_view(status) == kStatusRejected) {
    auto v = ws->metadata().FindModelVersion(name, version);
    for (const std::string& alias : v ? v->aliases : std::vector<std::string>{}) {
      std::cerr << "warning: " << name << "@" << alias << " still points at " << name << "/"
                << version << " and serves it: move the alias (mloop models alias " << name
                << "/VERSION " << alias << ")\n";
    }
  }
}

void History(const GlobalOptions& global, const std::string& name, bool json) {
  ValidateModelName(name);
  auto ws = OpenWorkspace(global);
  auto events = ws->metadata().ModelHistory(name);
  if (events.empty()) throw NotFound("no registered model '" + name + "'", NoModelHint(*ws, name));
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& e : events) {
      nlohmann::json j = {{"version", e.version},
                          {"kind", e.kind},
                          {"alias", e.kind == "alias" ? e.detail : ""},
                          {"from", e.from},
                          {"to", e.to},
                          {"actor", e.actor},
                          {"at", FormatTimestamp(e.at_us)}};
      if (e.kind == "tag") j["tag"] = e.detail;
      out.push_back(std::move(j));
    }
    PrintJson(out);
    return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& e : events) {
    std::string what;
    if (e.kind == "registered") {
      what = "registered version " + std::to_string(e.version);
    } else if (e.kind == "alias") {
      what = "alias " + e.detail + ": " + (e.from.empty() ? "(none)" : e.from) + " -> " +
             (e.to.empty() ? "(removed)" : e.to);
    } else if (e.kind == "status") {
      what = "version " + std::to_string(e.version) + ": " + e.from + " -> " + e.to;
    } else if (e.kind == "description") {
      what = "version " + std::to_string(e.version) + ": description " +
             (e.from.empty() ? "(none)" : "'" + Printable(e.from, 40) + "'") + " -> " +
             (e.to.empty() ? "(none)" : "'" + Printable(e.to, 40) + "'");
    } else if (e.kind == "tag") {
      what = "version " + std::to_string(e.version) + ": tag " + e.detail + " " +
             (e.from.empty() ? "(none)" : Printable(e.from, 40)) + " -> " +
             (e.to.empty() ? "(removed)" : Printable(e.to, 40));
    } else {
      what = e.kind + " version " + std::to_string(e.version);
    }
    rows.push_back({FormatTimestamp(e.at_us), e.actor, what});
  }
  PrintTable({"WHEN", "WHO", "WHAT"}, rows);
}

struct UpdateArgs {
  std::string ref;
  std::optional<std::string> description;
  std::vector<std::string> tags, untags;
};

void Update(const GlobalOptions& global, const UpdateArgs& a) {
  auto [name, version] = ParseVersionRef(a.ref);
  ModelVersionChange change;
  change.description = a.description;
  change.set_tags = TagsArg(a.tags);
  for (const auto& key : a.untags) {
    ValidateTag(key, "-");  // the key's rules (the value is not given)
    if (change.set_tags.count(key)) {
      throw UsageError("tag " + key + " is given to --tag and --untag", "give it to one of them");
    }
    if (std::find(change.remove_tags.begin(), change.remove_tags.end(), key) ==
        change.remove_tags.end()) {
      change.remove_tags.push_back(key);
    }
  }
  if (!change.description && change.set_tags.empty() && change.remove_tags.empty()) {
    throw UsageError("nothing to update",
                     "give --description TEXT, --tag KEY=VALUE or --untag KEY");
  }
  auto ws = OpenWorkspace(global);
  ResolveModelRef(*ws, a.ref);
  const int changed = ws->metadata().UpdateModelVersion(name, version, change, CurrentActor(),
                                                        ws->clock().NowMicros());
  std::cout << "Updated " << name << "/" << version;
  if (changed == 0) std::cout << " (unchanged)";
  std::cout << "\n";
}

void Delete(const GlobalOptions& global, const std::string& ref) {
  auto [name, version] = ParseVersionRef(ref);
  auto ws = OpenWorkspace(global);
  ResolveModelRef(*ws, ref);
  ws->metadata().DeleteModelVersion(name, version, CurrentActor(), ws->clock().NowMicros());
  std::cout << "Deleted " << ref << " (its bundle stays in the artifact store)\n";
}

void Export(const GlobalOptions& global, const std::string& ref, const std::string& dir) {
  auto ws = OpenWorkspace(global);
  ResolvedModel m = ResolveModelRef(*ws, ref);
  const ModelBundle b = LoadBundle(ws->artifacts(), m.model_hash);
  ExportBundle(b, dir);
  std::cout << "Exported " << m.description << " to " << dir;
  if (b.manifest.value("algorithm", "") == "xgboost" ||
      b.manifest.value("algorithm", "") == "random_forest") {
    std::cout << " (model.json is XGBoost's JSON format)";
  }
  std::cout << "\n";
}

// A comma-separated list of names (`--features a,b,c`); an empty name or one with a space at
// either end is a usage error.
std::vector<std::string> NameList(const std::string& text, const std::string& flag) {
  std::vector<std::string> out;
  size_t start = 0;
  while (!text.empty() && start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string f = text.substr(start, comma == std::string::npos ? comma : comma - start);
    if (f.empty()) throw UsageError(flag + " has an empty name: '" + text + "'");
    if (std::isspace(static_cast<unsigned char>(f.front())) ||
        std::isspace(static_cast<unsigned char>(f.back()))) {
      throw UsageError(flag + " name '" + f + "' begins or ends with a space",
                       "separate the names with commas only: " + flag + " a,b,c");
    }
    out.push_back(f);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

struct ImportArgs {
  std::string file, name, features, target, classes;
  bool all_rounds = false;
  std::optional<std::string> description;
  std::vector<std::string> tags;
};

// Stores `bundle` and registers it as a new version of `name`, with no run of this workspace.
ModelVersionRecord RegisterImported(Workspace& ws, const std::string& name,
                                    const ModelBundle& bundle, const std::string& description,
                                    const std::map<std::string, std::string>& tags) {
  return RegisterVersion(ws, name, SaveBundle(bundle, ws.artifacts()), 0, bundle.manifest,
                         description, tags);
}

// The directory of an mloop model export named by `path` (the directory itself or its
// manifest.json), or nullopt for any other file.
std::optional<std::filesystem::path> ExportDirectory(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return path;
  if (path.filename() == "manifest.json") {
    return path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  }
  return std::nullopt;
}

// Whether `file` sits in an mloop model export (its model.json, say): manifest.json and
// encoding.json beside it.
bool InsideExport(const std::filesystem::path& file) {
  std::error_code ec;
  const std::filesystem::path dir = file.has_parent_path() ? file.parent_path() : ".";
  return std::filesystem::exists(dir / "manifest.json", ec) &&
         std::filesystem::exists(dir / "encoding.json", ec);
}

void Import(const GlobalOptions& global, const ImportArgs& a,
            const std::vector<std::string>& xgboost_flags) {
  const std::string& file = a.file;
  const std::string& name = a.name;
  ValidateModelName(name);
  const auto tags = TagsArg(a.tags);
  std::error_code ec;
  // `exp/` and `exp` alike: messages and the description name the directory without a slash.
  std::filesystem::path path = file;
  if (!path.has_filename() && path.has_parent_path()) path = path.parent_path();
  const std::string where =
      std::filesystem::absolute(path, ec).lexically_normal().string();  // as it will be shown
  if (auto dir = ExportDirectory(path)) {
    // Another workspace's model (`models export`): the bundle whole, its manifest unchanged, so
    // that the model keeps its address, classes, target, recipe, metrics and lineage.
    if (!xgboost_flags.empty()) {
      throw UsageError(Join(xgboost_flags, ", ") +
                           (xgboost_flags.size() == 1 ? " describes" : " describe") +
                           " an XGBoost model file; an mloop export carries its own inputs, "
                           "target and classes",
                       "leave " + Join(xgboost_flags, ", ") + " out");
    }
    const ModelBundle bundle = ReadExportedBundle(*dir);
    auto ws = OpenWorkspace(global);
    RefuseNameDifferingInCase(*ws, name);
    ModelVersionRecord v =
        RegisterImported(*ws, name, bundle, a.description.value_or("imported from " + where), tags);
    std::cout << "Imported " << file << " as " << name << "/" << v.version << " ("
              << bundle.manifest.value("algorithm", "") << ", " << bundle.manifest.value("task", "")
              << ", " << bundle.manifest.value("input_schema", nlohmann::json::array()).size()
              << " input columns; address " << v.model_hash.substr(0, 12) << ")\n";
    return;
  }
  ModelImportOptions options;
  options.target = a.target;
  options.all_rounds = a.all_rounds;
  options.features = NameList(a.features, "--features");
  options.classes = NameList(a.classes, "--classes");
  auto ws = OpenWorkspace(global);
  RefuseNameDifferingInCase(*ws, name);
  ModelImportReport report;
  const bool inside_export = InsideExport(file);
  const std::string export_hint =
      "it is a part of an mloop model export: import the whole directory, which keeps the "
      "model's classes, target, encoding and recipe: mloop models import " +
      (std::filesystem::path(file).has_parent_path()
           ? std::filesystem::path(file).parent_path().string()
           : std::string(".")) +
      " -n " + name;
  ModelBundle bundle;
  try {
    bundle = ImportXGBoostModel(ReadWholeFile(file), options, &report);
  } catch (const Error& e) {
    if (!inside_export) throw;
    throw Error(e.code(), e.what(), export_hint);
  }
  if (inside_export) std::cerr << "note: " << export_hint << "\n";
  // CSV records for it are read as this workspace reads files.
  bundle.manifest["missing_values"] = ws->config().missing_values;
  if (report.kept_rounds < report.rounds) {
    std::cerr << "kept rounds 1-" << report.kept_rounds << " of " << report.rounds
              << " (the model's best_iteration, as scikit-learn's predict uses it; "
                 "--all-rounds keeps every round)\n";
  }
  if (report.missing_value) {
    std::cerr << "input values equal to " << FormatDouble(*report.missing_value)
              << " are read as missing, as the model was trained (scikit-learn's missing="
              << FormatDouble(*report.missing_value) << ")\n";
  }
  if (!report.renamed.empty()) {
    std::cerr << "warning: --features renames the model's features (stored in the file: "
              << Join(report.renamed, ", ") << "); the model reads its inputs by position\n";
  }
  ModelVersionRecord v =
      RegisterImported(*ws, name, bundle, a.description.value_or("imported from " + where), tags);
  std::cout << "Imported " << file << " as " << name << "/" << v.version << " ("
            << bundle.manifest["task"].get<std::string>() << ", "
            << bundle.manifest["feature_names"].size() << " input columns)\n";
}

}  // namespace

void RegisterModels(CLI::App& app, GlobalOptions& global) {
  auto* models = app.add_subcommand("models", "The model registry: versions, aliases, approval");
  models->require_subcommand(1);

  auto run = std::make_shared<std::string>();
  auto name = std::make_shared<std::string>();
  auto desc = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  auto reg_tags = std::make_shared<std::vector<std::string>>();
  auto* reg = models->add_subcommand("register", "Register a run's model as a new version");
  reg->add_option("RUN", *run, "Run id (or any model reference)")->required();
  reg->add_option("-n,--name", *name, "Registered model name")->required();
  reg->add_option("--description", *desc, "What this version is");
  reg->add_option("--tag", *reg_tags, "KEY=VALUE; repeatable")->allow_extra_args(false);
  reg->add_flag("--json", *json, "Print as JSON");
  reg->callback([&global, run, name, desc, reg_tags, json] {
    Register(global, *run, *name, *desc, *reg_tags, *json);
  });

  auto list_name = std::make_shared<std::string>();
  auto list_tags = std::make_shared<std::vector<std::string>>();
  auto list_json = std::make_shared<bool>(false);
  auto* list = models->add_subcommand("list", "Registered model versions");
  list->add_option("NAME", *list_name, "Only this model");
  list->add_option("--tag", *list_tags, "Only versions with this KEY=VALUE tag; repeatable (all)")
      ->allow_extra_args(false);
  list->add_flag("--json", *list_json, "Print as JSON");
  list->callback([&global, list_name, list_tags, list_json] {
    List(global, *list_name, *list_tags, *list_json);
  });

  auto show_ref = std::make_shared<std::string>();
  auto show_json = std::make_shared<bool>(false);
  auto* show = models->add_subcommand("show", "A model: manifest, metrics, lineage, status");
  show->add_option("MODEL", *show_ref, "NAME/V, NAME@ALIAS, NAME@latest, run id")->required();
  show->add_flag("--json", *show_json, "Print as JSON");
  show->callback([&global, show_ref, show_json] { Show(global, *show_ref, *show_json); });

  auto up = std::make_shared<UpdateArgs>();
  auto* update = models->add_subcommand("update", "Change a version's description and tags");
  update->add_option("VERSION", up->ref, "NAME/VERSION")->required();
  update->add_option("--description", up->description, "What this version is (\"\" clears it)");
  update->add_option("--tag", up->tags, "KEY=VALUE: set a tag; repeatable")
      ->allow_extra_args(false);
  update->add_option("--untag", up->untags, "KEY: remove a tag; repeatable")
      ->allow_extra_args(false);
  update->callback([&global, up] { Update(global, *up); });

  auto alias_ref = std::make_shared<std::string>();
  auto alias_name = std::make_shared<std::string>();
  auto* alias = models->add_subcommand("alias",
                                       "Point an alias (production, staging, ...) at a "
                                       "version");
  alias->add_option("VERSION", *alias_ref, "NAME/VERSION")->required();
  alias->add_option("ALIAS", *alias_name, "Alias name")->required();
  alias->callback([&global, alias_ref, alias_name] { Alias(global, *alias_ref, *alias_name); });

  auto un_name = std::make_shared<std::string>();
  auto un_alias = std::make_shared<std::string>();
  auto* unalias = models->add_subcommand("unalias", "Remove an alias");
  unalias->add_option("NAME", *un_name, "Registered model name")->required();
  // Not ->required(): `unalias NAME@ALIAS` gets the right form as a hint.
  unalias->add_option("ALIAS", *un_alias, "Alias name (required)");
  unalias->callback([&global, un_name, un_alias] { Unalias(global, *un_name, *un_alias); });

  for (auto [cmd, status, help] : {std::tuple{"approve", kStatusApproved, "Approve a version"},
                                   std::tuple{"reject", kStatusRejected, "Reject a version"}}) {
    auto ref = std::make_shared<std::string>();
    auto* sub = models->add_subcommand(cmd, help);
    sub->add_option("VERSION", *ref, "NAME/VERSION")->required();
    const char* s = status;
    sub->callback([&global, ref, s] { SetStatus(global, *ref, s); });
  }

  auto hist_name = std::make_shared<std::string>();
  auto hist_json = std::make_shared<bool>(false);
  auto* hist = models->add_subcommand("history",
                                      "Every registration, alias move, status, "
                                      "description and tag change of a model");
  hist->add_option("NAME", *hist_name, "Registered model name")->required();
  hist->add_flag("--json", *hist_json, "Print as JSON");
  hist->callback([&global, hist_name, hist_json] { History(global, *hist_name, *hist_json); });

  auto del_ref = std::make_shared<std::string>();
  auto* del = models->add_subcommand("delete", "Delete a version (refused while aliased)");
  del->add_option("VERSION", *del_ref, "NAME/VERSION")->required();
  del->callback([&global, del_ref] { Delete(global, *del_ref); });

  auto ia = std::make_shared<ImportArgs>();
  auto* imp = models->add_subcommand("import",
                                     "Register a model made elsewhere: an XGBoost JSON model "
                                     "(e.g. from Python) or another workspace's export");
  imp->add_option("FILE", ia->file,
                  "XGBoost JSON model (booster.save_model(\"m.json\")), or a directory "
                  "written by `mloop models export`")
      ->required();
  imp->add_option("-n,--name", ia->name, "Registered model name")->required();
  imp->add_option("--features", ia->features,
                  "Input columns in the model's order, comma-separated (default: the names "
                  "stored in the model)");
  imp->add_option("--target", ia->target, "The label column, for `mloop eval`");
  imp->add_option("--classes", ia->classes,
                  "The labels of classes 0, 1, ... in order, comma-separated (binary: negative "
                  "first; default: 0, 1, ...)");
  imp->add_flag("--all-rounds", ia->all_rounds,
                "Keep every boosting round of an early-stopped model (default: up to its "
                "best_iteration, as scikit-learn's predict)");
  imp->add_option("--description", ia->description,
                  "What this version is (default: \"imported from FILE\")");
  imp->add_option("--tag", ia->tags, "KEY=VALUE; repeatable")->allow_extra_args(false);
  imp->callback([&global, imp, ia] {
    if (imp->get_option("--target")->count() > 0 && ia->target.empty()) {
      throw UsageError("--target is empty", "name the label column, or leave --target out");
    }
    if (imp->get_option("--classes")->count() > 0 && ia->classes.empty()) {
      throw UsageError("--classes is empty", "name the classes, or leave --classes out");
    }
    std::vector<std::string> xgboost_flags;
    for (const char* flag : {"--features", "--target", "--classes", "--all-rounds"}) {
      if (imp->get_option(flag)->count() > 0) xgboost_flags.push_back(flag);
    }
    Import(global, *ia, xgboost_flags);
  });

  auto exp_ref = std::make_shared<std::string>();
  auto exp_dir = std::make_shared<std::string>();
  auto* exp = models->add_subcommand("export", "Write a model bundle's files into a directory");
  exp->add_option("MODEL", *exp_ref, "Model reference")->required();
  exp->add_option("-o,--output", *exp_dir, "Directory")->required();
  exp->callback([&global, exp_ref, exp_dir] { Export(global, *exp_ref, *exp_dir); });
}

}  // namespace mloop::cli
