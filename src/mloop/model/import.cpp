#include "mloop/model/import.h"

#include <nlohmann/json.hpp>

#include "mloop/core/error.h"
#include "mloop/train/registry.h"

namespace mloop {

ModelBundle ImportXGBoostModel(const std::string& model_json, const ModelImportOptions& options) {
  nlohmann::json model;
  try {
    model = nlohmann::json::parse(model_json);
  } catch (const nlohmann::json::exception& e) {
    throw InvalidArgument(std::string("not an XGBoost JSON model: ") + e.what(),
                          "save it from Python with booster.save_model(\"model.json\")");
  }
  std::string objective;
  int64_t num_features = 0;
  int num_class = 0;
  std::vector<std::string> stored_names;
  try {
    const auto& learner = model.at("learner");
    objective = learner.at("objective").at("name").get<std::string>();
    const auto& lmp = learner.at("learner_model_param");
    num_features = std::stoll(lmp.at("num_feature").get<std::string>());
    num_class = std::stoi(lmp.at("num_class").get<std::string>());
    if (learner.contains("feature_names")) {
      stored_names = learner.at("feature_names").get<std::vector<std::string>>();
    }
  } catch (const std::exception& e) {
    throw InvalidArgument(std::string("not an XGBoost JSON model (") + e.what() + ")",
                          "save it from Python with booster.save_model(\"model.json\")");
  }
  Target target;
  target.column = options.target;
  if (objective == "binary:logistic") {
    target.task = Task::kBinary;
    target.classes = {"0", "1"};
  } else if (objective == "multi:softprob") {
    target.task = Task::kMulticlass;
    for (int k = 0; k < num_class; ++k) target.classes.push_back(std::to_string(k));
  } else if (objective.rfind("reg:", 0) == 0) {
    target.task = Task::kRegression;
  } else {
    throw InvalidArgument("objective '" + objective + "' is not supported for import",
                          "supported: binary:logistic, multi:softprob, reg:*");
  }
  target.type = target.task == Task::kRegression ? DataType::kFloat64 : DataType::kInt64;
  std::vector<std::string> features = options.features.empty() ? stored_names : options.features;
  if (features.empty()) {
    throw InvalidArgument("the model file has no feature names",
                          "name its " + std::to_string(num_features) +
                              " input columns in order with --features a,b,c");
  }
  if (static_cast<int64_t>(features.size()) != num_features) {
    throw InvalidArgument("the model takes " + std::to_string(num_features) + " features, " +
                          std::to_string(features.size()) + " were named");
  }
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
  b.encoding_json = Encoding::Numeric(features).ToJson();
  b.model_json = model_json;
  b.config_json = config.dump();
  nlohmann::json inputs = nlohmann::json::array();
  for (const auto& f : features) inputs.push_back({{"name", f}, {"type", "float64"}});
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
