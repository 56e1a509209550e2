#include "mloop/model/bundle.h"

#include <algorithm>
#include <fstream>

#include "mloop/core/error.h"
#include "mloop/core/hash.h"
#include "mloop/io/atomic_file.h"
#include "mloop/io/byte_source.h"
#include "mloop/train/registry.h"

namespace mloop {

namespace {

const char* const kParts[] = {"target.json", "encoding.json", "model.json", "config.json"};

std::string* PartOf(ModelBundle& b, const std::string& name) {
  if (name == "target.json") return &b.target_json;
  if (name == "encoding.json") return &b.encoding_json;
  if (name == "model.json") return &b.model_json;
  if (name == "config.json") return &b.config_json;
  return nullptr;
}

}  // namespace

nlohmann::json OutputSchema(const Target& target) {
  nlohmann::json out = nlohmann::json::array();
  switch (target.task) {
    case Task::kClustering:
      out.push_back({{"name", "cluster"}, {"type", "int64"}});
      break;
    case Task::kRegression:
      out.push_back({{"name", "prediction"}, {"type", "float64"}});
      break;
    case Task::kBinary:  // the predicted label, in the target's type (int64 0/1, bool, ...)
      out.push_back({{"name", "prediction"}, {"type", DataTypeName(target.type)}});
      out.push_back({{"name", "probability"}, {"type", "float64"}});
      break;
    case Task::kMulticlass:
      out.push_back({{"name", "prediction"}, {"type", DataTypeName(target.type)}});
      for (const auto& c : target.classes) {
        out.push_back({{"name", "probability_" + c}, {"type", "float64"}});
      }
      break;
  }
  return out;
}

namespace {
// `manifest` as this version writes it: a bundle made before format 3 (no "missing_values")
// read CSV records with the legacy tokens, and says so now that its format says 3.
void StampFormat(nlohmann::json& manifest) {
  manifest["format_version"] = kBundleFormatVersion;
  if (!manifest.contains("missing_values")) manifest["missing_values"] = LegacyMissingTokens();
}
}  // namespace

std::string SaveBundle(const ModelBundle& bundle, ArtifactStore& store) {
  nlohmann::json manifest = bundle.manifest;
  StampFormat(manifest);
  nlohmann::json files = nlohmann::json::object();
  ModelBundle copy = bundle;
  for (const char* part : kParts) files[part] = store.Put(*PartOf(copy, part));
  if (!bundle.recipe_json.empty()) files["recipe.json"] = store.Put(bundle.recipe_json);
  manifest["files"] = files;
  return store.Put(manifest.dump(2));
}

namespace {
// A bundle's file, checked against the content address it is stored under: a model file
// changed on disk (by hand, by a failing disk) must not silently predict something else.
// Models are small; datasets are checked by their snapshots' own checksums instead.
std::string ReadVerified(ArtifactStore& store, const std::string& hash, const std::string& what) {
  std::string text = ReadWholeFile(store.Fetch(hash));
  if (Sha256Hex(text) != hash) {
    throw Corruption("the model's " + what + " (artifact " + hash.substr(0, 12) +
                         ") is damaged: its content no longer matches its SHA-256",
                     "restore the workspace's artifact store from a backup, or train and register "
                     "the model again");
  }
  return text;
}
}  // namespace

ModelBundle LoadBundle(ArtifactStore& store, const std::string& manifest_hash) {
  ModelBundle b;
  std::string part_name = "manifest.json";
  try {
    // The content verified against its address: one that is not a manifest is another
    // artifact (a model file, a dataset snapshot) given by its address, not a damaged bundle.
    b.manifest =
        nlohmann::json::parse(ReadVerified(store, manifest_hash, part_name), nullptr, false);
    if (!b.manifest.is_object() || !b.manifest.contains("format_version") ||
        !b.manifest.contains("files") || !b.manifest["files"].is_object()) {
      throw InvalidArgument("artifact " + manifest_hash.substr(0, 12) + " is not a model bundle",
                            "give a model reference: NAME/VERSION, NAME@ALIAS or a run id");
    }
    int version = b.manifest.at("format_version").get<int>();
    if (version > kBundleFormatVersion) {
      throw FailedPrecondition("model " + manifest_hash.substr(0, 12) + " has bundle format " +
                                   std::to_string(version) + "; this mloop reads up to " +
                                   std::to_string(kBundleFormatVersion),
                               "upgrade mloop");
    }
    for (const char* part : kParts) {
      part_name = part;
      *PartOf(b, part) =
          ReadVerified(store, b.manifest.at("files").at(part).get<std::string>(), part);
    }
    if (b.manifest.at("files").contains("recipe.json")) {
      part_name = "recipe.json";
      b.recipe_json =
          ReadVerified(store, b.manifest["files"]["recipe.json"].get<std::string>(), part_name);
    }
  } catch (const nlohmann::json::exception& e) {
    throw Corruption("model " + manifest_hash.substr(0, 12) + ": " + part_name + " is not valid (" +
                     e.what() + ")");
  }
  return b;
}

namespace {

// What `models export` writes as manifest.json (and not, say, a web app's manifest).
bool IsExportManifest(const nlohmann::json& m) {
  return m.is_object() && m.contains("format_version") && m["format_version"].is_number_integer() &&
         m.contains("algorithm") && m.contains("task");
}

}  // namespace

void ExportBundle(const ModelBundle& bundle, const std::filesystem::path& dir) {
  std::error_code ec;
  if (dir.empty()) throw UsageError("-o: the directory name is empty", "name a directory");
  if (std::filesystem::exists(dir, ec) && !std::filesystem::is_directory(dir, ec)) {
    throw InvalidArgument("'" + dir.string() + "' is a file; a model exports into a directory",
                          "give a directory (new or existing) with -o");
  }
  RefuseProtectedOutput(dir, "-o");  // before creating anything inside the workspace's state
  // Only an earlier export's files are replaced: a directory holding a model.json (say) of its
  // own, without an mloop export's manifest, keeps it.
  bool earlier_export_here = false;
  if (std::filesystem::exists(dir / "manifest.json", ec)) {
    earlier_export_here = IsExportManifest(
        nlohmann::json::parse(ReadWholeFile(dir / "manifest.json"), nullptr, false));
  }
  if (!earlier_export_here) {
    for (const char* part : {"manifest.json", "model.json", "config.json", "target.json",
                             "encoding.json", "recipe.json"}) {
      if (std::filesystem::exists(dir / part, ec)) {
        throw InvalidArgument("'" + dir.string() + "' already holds a " + part +
                                  " that is not part of an mloop model export; exporting "
                                  "would replace it",
                              "export into a new directory, or move that file");
      }
    }
  }
  std::filesystem::create_directories(dir, ec);
  if (ec) throw IoError("cannot create '" + dir.string() + "': " + ec.message());
  ModelBundle copy = bundle;
  // Every file is written aside first and renamed into place only when all are complete: a
  // failure (a full disk) leaves an earlier export in `dir` whole, not a mix of two models.
  AtomicFileSet files;
  auto write = [&](const std::string& name, const std::string& text) {
    files.Write(dir / name, [&](std::ostream& out) { out << text; });
  };
  for (const char* part : kParts) write(part, *PartOf(copy, part));
  if (!bundle.recipe_json.empty()) write("recipe.json", bundle.recipe_json);
  nlohmann::json manifest = bundle.manifest;
  manifest.erase("files");
  StampFormat(manifest);
  write("manifest.json", manifest.dump(2));
  const bool earlier_export = std::filesystem::exists(dir / "manifest.json", ec);
  files.Commit();
  // An earlier export's recipe must not be read as this model's.
  if (bundle.recipe_json.empty() && earlier_export)
    std::filesystem::remove(dir / "recipe.json", ec);
}

ModelBundle ReadExportedBundle(const std::filesystem::path& dir) {
  std::error_code ec;
  const std::string shown = dir.string();
  if (!std::filesystem::exists(dir / "manifest.json", ec)) {
    throw InvalidArgument("'" + shown + "' has no manifest.json: it is not a model export",
                          "give the directory `mloop models export MODEL -o DIR` wrote");
  }
  ModelBundle b;
  auto read = [&](const std::string& part) {
    if (!std::filesystem::exists(dir / part, ec)) {
      throw InvalidArgument("'" + shown + "' has no " + part + "; a model export has " +
                                "manifest.json, target.json, encoding.json, model.json and " +
                                "config.json",
                            "export the model again: mloop models export MODEL -o DIR");
    }
    return ReadWholeFile(dir / part);
  };
  b.manifest = nlohmann::json::parse(read("manifest.json"), nullptr, false);
  if (!IsExportManifest(b.manifest)) {
    throw InvalidArgument("'" + shown + "/manifest.json' is not an mloop model manifest",
                          "give the directory `mloop models export MODEL -o DIR` wrote");
  }
  const int version = b.manifest["format_version"].get<int>();
  if (version > kBundleFormatVersion) {
    throw FailedPrecondition("'" + shown + "' holds a model of bundle format " +
                                 std::to_string(version) + "; this mloop reads up to " +
                                 std::to_string(kBundleFormatVersion),
                             "upgrade mloop");
  }
  b.manifest.erase("files");
  for (const char* part : kParts) *PartOf(b, part) = read(part);
  if (std::filesystem::exists(dir / "recipe.json", ec)) b.recipe_json = read("recipe.json");
  try {
    Predictor check(b);  // every part parses and the estimator loads its model
    // The parts belong together: the estimator takes what the encoding makes, and gives a
    // score per class of the target; the manifest describes that target.
    check.PredictEncoded(
        DenseMatrix(1, static_cast<int64_t>(check.encoding().feature_names().size())));
    if (b.manifest.value("task", "") != TaskName(check.task())) {
      throw InvalidArgument("the manifest's task is '" + b.manifest.value("task", "") +
                            "', target.json's '" + std::string(TaskName(check.task())) + "'");
    }
    if (b.manifest.contains("classes") &&
        b.manifest["classes"] != nlohmann::json(check.target().classes)) {
      throw InvalidArgument("the manifest's classes " + b.manifest["classes"].dump() +
                            " are not target.json's " +
                            nlohmann::json(check.target().classes).dump());
    }
  } catch (const std::exception& e) {
    throw InvalidArgument("'" + shown + "' does not load as a model: " + e.what(),
                          "export the model again: mloop models export MODEL -o DIR");
  }
  return b;
}

Predictor::Predictor(const ModelBundle& bundle)
    : target_(Target::FromJson(bundle.target_json)),
      encoding_(Encoding::FromJson(bundle.encoding_json)) {
  estimator_ = CreateEstimator(bundle.manifest.at("algorithm").get<std::string>());
  estimator_->LoadConfig(bundle.config_json);
  estimator_->LoadModel(bundle.model_json);
  if (!bundle.recipe_json.empty()) {
    try {
      recipe_ = FittedRecipe::FromJson(nlohmann::json::parse(bundle.recipe_json));
    } catch (const nlohmann::json::exception& e) {
      throw Corruption(std::string("the model's recipe is not valid JSON: ") + e.what());
    }
  }
  const Schema scoring = recipe_ ? recipe_->scoring_input_schema() : Schema(encoding_.inputs());
  for (const Field& f : scoring.fields()) {
    if (f.name != target_.column) inputs_.push_back(f);
  }
  try {
    if (bundle.manifest.contains("prediction_buckets")) {
      prediction_buckets_ = bundle.manifest["prediction_buckets"].get<std::vector<double>>();
    }
    clusters_ = bundle.manifest.value("clusters", 0);
    missing_tokens_ =
        MissingTokens(bundle.manifest.contains("missing_values")
                          ? bundle.manifest["missing_values"].get<std::vector<std::string>>()
                          : LegacyMissingTokens());
  } catch (const nlohmann::json::exception& e) {
    throw Corruption(std::string("the model's manifest has malformed prediction_buckets, "
                                 "clusters or missing_values: ") +
                     e.what());
  }
  if (!std::is_sorted(prediction_buckets_.begin(), prediction_buckets_.end()) || clusters_ < 0) {
    throw Corruption("the model's manifest has unsorted prediction_buckets or negative clusters");
  }
}

Table Predictor::Prepare(const Table& table) const {
  return recipe_ ? recipe_->Transform(table, ApplyMode::kScoring) : table;
}

DenseMatrix Predictor::Scores(const Table& table) const {
  return estimator_->Predict(encoding_.Transform(Prepare(table)));
}

Table Predictor::Explain(const Table& table) const {
  DenseMatrix c = estimator_->Contributions(encoding_.Transform(Prepare(table)));
  std::vector<Field> fields;
  std::vector<Column> cols;
  const auto& names = encoding_.feature_names();
  const int64_t width = static_cast<int64_t>(names.size()) + 1;  // features and the bias
  const bool per_class = target_.task == Task::kMulticlass;
  for (int64_t j = 0; j < c.cols; ++j) {
    ColumnBuilder b(DataType::kFloat64);
    for (int64_t i = 0; i < c.rows; ++i) b.AppendDouble(c.at(i, j));
    const int64_t f = j % width;
    std::string name = f < width - 1 ? names[f] : "bias";
    // Multiclass: contribution_<class>_<feature>, one block per class.
    if (per_class) name = target_.classes[j / width] + "_" + name;
    fields.push_back({"contribution_" + name, DataType::kFloat64});
    cols.push_back(b.Finish());
  }
  return Table(Schema(std::move(fields)), std::move(cols));
}

Table Predictor::Predict(const Table& table) const {
  return Decide(Scores(table));
}

Table Predictor::PredictEncoded(const DenseMatrix& x) const {
  return Decide(estimator_->Predict(x));
}

Table Predictor::Decide(const DenseMatrix& s) const {
  const int64_t k = static_cast<int64_t>(target_.classes.size());
  const int64_t expected = target_.task == Task::kMulticlass ? k : 1;
  if (s.cols != expected) {
    throw Corruption("the model gives " + std::to_string(s.cols) + " scores per row, and its " +
                     std::string(TaskName(target_.task)) + " target takes " +
                     std::to_string(expected));
  }
  std::vector<Field> fields;
  std::vector<Column> cols;
  if (target_.task == Task::kClustering) {
    ColumnBuilder b(DataType::kInt64);
    for (int64_t i = 0; i < s.rows; ++i) b.AppendInt(static_cast<int64_t>(s.at(i, 0)));
    fields.push_back({"cluster", DataType::kInt64});
    cols.push_back(b.Finish());
    return Table(Schema(std::move(fields)), std::move(cols));
  }
  if (target_.task == Task::kRegression) {
    ColumnBuilder b(DataType::kFloat64);
    for (int64_t i = 0; i < s.rows; ++i) b.AppendDouble(s.at(i, 0));
    fields.push_back({"prediction", DataType::kFloat64});
    cols.push_back(b.Finish());
    return Table(Schema(std::move(fields)), std::move(cols));
  }
  ColumnBuilder label(DataType::kString);
  for (int64_t i = 0; i < s.rows; ++i) {
    int64_t best = 0;
    if (target_.task == Task::kBinary) {
      best = s.at(i, 0) > 0.5 ? 1 : 0;  // as the metrics and xgboost's predict do
    } else {
      for (int64_t c = 1; c < k; ++c) {
        if (s.at(i, c) > s.at(i, best)) best = c;
      }
    }
    label.AppendString(target_.classes[best]);
  }
  fields.push_back({"prediction", DataType::kString});
  cols.push_back(label.Finish());
  if (target_.task == Task::kBinary) {
    ColumnBuilder p(DataType::kFloat64);
    for (int64_t i = 0; i < s.rows; ++i) p.AppendDouble(s.at(i, 0));
    fields.push_back({"probability", DataType::kFloat64});
    cols.push_back(p.Finish());
  } else {
    for (int64_t c = 0; c < k; ++c) {
      ColumnBuilder p(DataType::kFloat64);
      for (int64_t i = 0; i < s.rows; ++i) p.AppendDouble(s.at(i, c));
      fields.push_back({"probability_" + target_.classes[c], DataType::kFloat64});
      cols.push_back(p.Finish());
    }
  }
  return Table(Schema(std::move(fields)), std::move(cols));
}

}  // namespace mloop
