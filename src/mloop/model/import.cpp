#include "mloop/model/import.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "mloop/core/error.h"
#include "mloop/core/strings.h"
#include "mloop/io/value_parse.h"
#include "mloop/train/registry.h"

namespace mloop {

namespace {

// Cuts a gbtree model after round `best` (0-based; -1: keep all): trees are stored round by
// round, each round num_parallel_tree trees per output group. A model this cannot cut (dart,
// gblinear) is kept whole and reports 0 rounds.
ModelImportReport CutAtRound(nlohmann::json& model, int best, int groups) {
  ModelImportReport r;
  auto& booster = model.at("learner").at("gradient_booster");
  if (booster.value("name", "") != "gbtree") return r;
  auto& m = booster.at("model");
  auto& trees = m.at("trees");
  const auto& param = m.at("gbtree_model_param");
  const int parallel = std::stoi(param.value("num_parallel_tree", std::string("1")));
  const int per_round = std::max(1, parallel) * std::max(1, groups);
  r.rounds = r.kept_rounds = static_cast<int>(trees.size()) / per_round;
  if (best < 0 || best + 1 >= r.rounds) return r;
  const size_t keep = static_cast<size_t>(best + 1) * per_round;
  trees.erase(trees.begin() + static_cast<std::ptrdiff_t>(keep), trees.end());
  auto& info = m.at("tree_info");
  info.erase(info.begin() + static_cast<std::ptrdiff_t>(keep), info.end());
  m["gbtree_model_param"]["num_trees"] = std::to_string(keep);
  if (m.contains("iteration_indptr")) {  // XGBoost 2.0
    auto& indptr = m["iteration_indptr"];
    indptr.erase(indptr.begin() + best + 2, indptr.end());
  }
  r.kept_rounds = best + 1;
  return r;
}

// The `missing` of a model saved from scikit-learn's API (XGBClassifier(missing=-999.0)): its
// learner attribute `scikit_learn` is JSON text holding `"missing": -999.0` (NaN by default,
// which is no sentinel). nullopt when absent or NaN.
std::optional<double> SklearnMissingValue(const nlohmann::json& model) {
  const auto& learner = model.at("learner");
  if (!learner.contains("attributes") || !learner["attributes"].contains("scikit_learn")) {
    return std::nullopt;
  }
  const auto& text = learner["attributes"]["scikit_learn"];
  if (!text.is_string()) return std::nullopt;
  const std::string& s = text.get_ref<const std::string&>();
  const size_t key = s.find("\"missing\":");
  if (key == std::string::npos) return std::nullopt;
  size_t at = key + 10;
  while (at < s.size() && s[at] == ' ') ++at;
  size_t end = at;
  while (end < s.size() && s[end] != ',' && s[end] != '}' && s[end] != ' ') ++end;
  double v;
  if (!ParseFloat64(s.substr(at, end - at), &v) || std::isnan(v)) return std::nullopt;
  return v;
}

}  // namespace

ModelBundle ImportXGBoostModel(const std::string& model_json_in, const ModelImportOptions& options,
                               ModelImportReport* report) {
  std::string model_json = model_json_in;
  // XGBoost's binary formats: UBJSON ('{' then a type marker, .ubj, XGBoost 2's default) and the
  // legacy binary (.model, .bin). Named as such rather than as a JSON syntax error.
  const bool ubjson = model_json.size() > 1 && model_json[0] == '{' &&
                      std::string_view("LliIU$#").find(model_json[1]) != std::string_view::npos;
  const bool legacy = model_json.rfind("binf", 0) == 0 ||
                      (!model_json.empty() && static_cast<unsigned char>(model_json[0]) < 0x09);
  if (ubjson || legacy) {
    throw InvalidArgument(
        std::string("this is an XGBoost model in ") +
            (ubjson ? "UBJSON, XGBoost's binary JSON (.ubj)" : "XGBoost's legacy binary format") +
            "; mloop imports XGBoost's JSON",
        "save it as JSON from Python: booster.save_model(\"model.json\") (the .json extension "
        "picks the format)");
  }
  nlohmann::json model;
  try {
    model = nlohmann::json::parse(model_json);
  } catch (const nlohmann::json::parse_error& e) {
    // A bare NaN where the parse stopped (scikit-learn's attributes hold "missing": NaN inside a
    // string, which parses; a truncated file stops at its end).
    const size_t at = std::min(e.byte > 0 ? e.byte - 1 : 0, model_json.size());
    const size_t from = at >= 3 ? at - 3 : 0;
    const bool nan = model_json.substr(from, at - from + 3).find("NaN") != std::string::npos;
    throw InvalidArgument(
        std::string("not an XGBoost JSON model: ") + e.what(),
        nan ? "the file holds NaN, which XGBoost writes for categorical splits "
              "(enable_categorical): mloop imports numeric splits only; encode the categories "
              "(one-hot or ordinal) before training"
            : "save it from Python with booster.save_model(\"model.json\")");
  }
  std::string objective;
  int64_t num_features = 0;
  int num_class = 0;
  int num_target = 1;  // XGBoost >= 1.6 writes it; more than one: a multi-output model
  std::vector<std::string> stored_names, stored_types;
  try {
    const auto& learner = model.at("learner");
    objective = learner.at("objective").at("name").get<std::string>();
    const auto& lmp = learner.at("learner_model_param");
    num_features = std::stoll(lmp.at("num_feature").get<std::string>());
    num_class = std::stoi(lmp.at("num_class").get<std::string>());
    num_target =
        lmp.contains("num_target") ? std::stoi(lmp.at("num_target").get<std::string>()) : 1;
    if (learner.contains("feature_names")) {
      stored_names = learner.at("feature_names").get<std::vector<std::string>>();
    }
    if (learner.contains("feature_types")) {
      stored_types = learner.at("feature_types").get<std::vector<std::string>>();
    }
  } catch (const std::exception& e) {
    throw InvalidArgument(std::string("not an XGBoost JSON model (") + e.what() + ")",
                          "save it from Python with booster.save_model(\"model.json\")");
  }
  if (num_target > 1) {
    throw InvalidArgument("the model predicts " + std::to_string(num_target) +
                              " targets at once (num_target); mloop imports models of one "
                              "target",
                          "train one model per target, and import each");
  }
  Target target;
  target.column = options.target;
  if (objective == "binary:logistic") {
    target.task = Task::kBinary;
    target.classes = {"0", "1"};
  } else if (objective == "multi:softprob") {
    target.task = Task::kMulticlass;
    for (int k = 0; k < num_class; ++k) target.classes.push_back(std::to_string(k));
  } else if (objective.rfind("reg:", 0) == 0 || objective == "count:poisson") {
    target.task = Task::kRegression;
  } else {
    throw InvalidArgument("objective '" + objective + "' is not supported for import",
                          "supported: binary:logistic, multi:softprob, reg:*, count:poisson");
  }
  target.type = target.task == Task::kRegression ? DataType::kFloat64 : DataType::kInt64;
  if (!options.classes.empty()) {
    if (target.task == Task::kRegression) {
      throw InvalidArgument(
          "--classes names the classes of a classifier, and this model is a "
          "regression (objective " +
          objective + ")");
    }
    if (options.classes.size() != target.classes.size()) {
      throw InvalidArgument("the model has " + std::to_string(target.classes.size()) +
                                " classes (objective " + objective + "), and --classes names " +
                                std::to_string(options.classes.size()),
                            "name the labels of classes 0 to " +
                                std::to_string(target.classes.size() - 1) + " in order");
    }
    std::set<std::string> seen;
    for (const std::string& c : options.classes) {
      if (!seen.insert(c).second) {
        throw InvalidArgument("--classes names '" + c + "' twice",
                              "each of the model's classes has its own label");
      }
    }
    // Whole numbers stay numbers (labels 1, 2, 3 for classes 0, 1, 2); else text.
    const bool integers =
        std::all_of(options.classes.begin(), options.classes.end(), [](const std::string& c) {
          int64_t v;
          const char* end = c.data() + c.size();
          auto [ptr, ec] = std::from_chars(c.data(), end, v);
          return ec == std::errc() && ptr == end && std::to_string(v) == c;
        });
    target.classes = options.classes;
    target.type = integers ? DataType::kInt64 : DataType::kString;
  }
  std::vector<std::string> features = options.features.empty() ? stored_names : options.features;
  if (features.empty()) {
    throw InvalidArgument("the model file has no feature names",
                          "name its " + std::to_string(num_features) +
                              " input columns in order with --features a,b,c");
  }
  {
    std::set<std::string> seen;
    for (const auto& f : features) {
      if (!seen.insert(f).second) {
        throw InvalidArgument(
            "feature '" + f + "' is named twice " +
                (options.features.empty() ? "in the model file" : "in --features"),
            "each input column feeds one feature; name the model's features in order");
      }
    }
  }
  if (static_cast<int64_t>(features.size()) != num_features) {
    throw InvalidArgument("the model takes " + std::to_string(num_features) + " features, " +
                          std::to_string(features.size()) + " were named");
  }
  // A categorical feature (enable_categorical) takes category codes that only the pandas
  // frame it was trained on knows: its texts would not be numbers here, even when no split
  // happens to be categorical.
  for (size_t i = 0; i < stored_types.size() && i < features.size(); ++i) {
    if (stored_types[i] == "c") {
      throw InvalidArgument(
          "feature '" + features[i] +
              "' is categorical in the model (enable_categorical): mloop imports numeric "
              "features only",
          "encode the categories (one-hot or ordinal) before training, or train in mloop, whose "
          "recipes encode them");
    }
  }
  // The model reads its inputs by position: the file's own names in another order would feed
  // every column to another feature, and predict nonsense without a word.
  std::vector<std::string> renamed;
  if (!options.features.empty() && !stored_names.empty() && options.features != stored_names) {
    // Any of the file's names at another position (f1,f0,x,f3 for f0,f1,f2,f3) would feed a
    // column to another feature; names the file does not have are renames.
    for (size_t i = 0; i < options.features.size(); ++i) {
      const auto at = std::find(stored_names.begin(), stored_names.end(), options.features[i]);
      if (at == stored_names.end() || static_cast<size_t>(at - stored_names.begin()) == i) continue;
      throw InvalidArgument(
          "--features puts the model's own feature '" + options.features[i] + "' at position " +
              std::to_string(i + 1) + "; the file stores it at position " +
              std::to_string(at - stored_names.begin() + 1) +
              " (its order: " + Join(stored_names, ",") + ")",
          "the model reads its inputs by position: leave --features out to use the file's "
          "names, or keep each of them in its place");
    }
    renamed = stored_names;
  }
  if (!options.target.empty() &&
      std::find(features.begin(), features.end(), options.target) != features.end()) {
    throw InvalidArgument("--target '" + options.target + "' is one of the model's inputs",
                          "the target is the label column the model predicts, not a feature");
  }
  // Early stopping: keep the rounds up to best_iteration unless all are asked for.
  int best = -1;
  if (model["learner"].contains("attributes") &&
      model["learner"]["attributes"].contains("best_iteration")) {
    try {
      best = std::stoi(model["learner"]["attributes"]["best_iteration"].get<std::string>());
    } catch (const std::exception&) {
      best = -1;
    }
  }
  ModelImportReport rep;
  try {
    const int groups = objective == "multi:softprob" ? num_class : 1;
    rep = CutAtRound(model, options.all_rounds ? -1 : best, groups);
  } catch (const std::exception& e) {
    throw InvalidArgument(std::string("not an XGBoost JSON model (") + e.what() + ")",
                          "save it from Python with booster.save_model(\"model.json\")");
  }
  rep.missing_value = SklearnMissingValue(model);
  rep.renamed = renamed;
  bool changed = rep.kept_rounds < rep.rounds;
  if (options.all_rounds && best >= 0) {
    // Every round predicts here; so must Python's, which stops at best_iteration when the
    // attribute is there (XGBClassifier.predict_proba of an export).
    model["learner"]["attributes"].erase("best_iteration");
    model["learner"]["attributes"].erase("best_ntree_limit");
    changed = true;
  }
  if (changed) model_json = model.dump();
  if (report) *report = rep;
  // Load it once through the estimator: a file XGBoost cannot read is refused here.
  auto estimator = CreateEstimator("xgboost");
  estimator->LoadModel(model_json);
  nlohmann::json config = {{"algorithm", "xgboost"},
                           {"task", TaskName(target.task)},
                           {"num_classes", static_cast<int>(target.classes.size())},
                           {"num_features", num_features},
                           {"feature_names", features},
                           {"params", nlohmann::json::object()},
                           {"num_boost_round", 0},
                           {"early_stopping_rounds", 0}};
  // As a trained model's: the digest of the compiled ensemble's probe predictions, which agreed
  // with XGBoost's, so that loading it for prediction can leave XGBoost's own copy until needed.
  const nlohmann::json own = nlohmann::json::parse(estimator->SaveConfig());
  if (own.contains("ensemble_probe_xxh3"))
    config["ensemble_probe_xxh3"] = own["ensemble_probe_xxh3"];
  ModelBundle b;
  b.target_json = target.ToJson();
  // A feature XGBoost was given as booleans (pandas' bool columns: type "i", an indicator)
  // takes true/false (and 0/1), as Python's predict does; every other one numbers.
  std::vector<DataType> types(features.size(), DataType::kFloat64);
  if (stored_types.size() == features.size()) {
    for (size_t i = 0; i < types.size(); ++i) {
      if (stored_types[i] == "i") types[i] = DataType::kBool;
    }
  }
  b.encoding_json = Encoding::Numeric(features, rep.missing_value, types).ToJson();
  b.model_json = model_json;
  b.config_json = config.dump();
  nlohmann::json inputs = nlohmann::json::array();
  for (size_t i = 0; i < features.size(); ++i) {
    inputs.push_back({{"name", features[i]}, {"type", DataTypeName(types[i])}});
  }
  b.manifest = {{"algorithm", "xgboost"},
                {"task", TaskName(target.task)},
                {"target", {{"name", target.column}, {"type", DataTypeName(target.type)}}},
                {"classes", target.classes},
                {"input_schema", inputs},
                {"output_schema", OutputSchema(target)},
                {"feature_names", features},
                {"params", nlohmann::json::object()},
                {"metrics", nlohmann::json::object()},
                {"lineage", {{"imported", true}, {"objective", objective}}}};
  return b;
}

}  // namespace mloop
