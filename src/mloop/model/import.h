// Importing a model trained elsewhere: an XGBoost JSON model file (Booster.save_model("m.json")
// in Python) becomes an mloop model bundle, which predict, eval and the registry then use like
// any other. The model takes numeric input columns, passed through unchanged.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "mloop/model/bundle.h"

namespace mloop {

struct ModelImportOptions {
  // The input columns, in the model's feature order. Empty: the feature names stored in the
  // model file (present when it was trained on a pandas DataFrame).
  std::vector<std::string> features;
  std::string target;  // the label column, for evaluation (optional)
  // Classification: the labels of classes 0, 1, ... in order (binary: the negative class, then
  // the positive one). Empty: the class indices themselves ("0", "1", ...).
  std::vector<std::string> classes;
  // A model saved after early stopping records `best_iteration` (learner attributes). By
  // default only the rounds up to it are kept, as mloop's own early stopping and Python's
  // scikit-learn API (XGBClassifier.predict_proba) predict; true keeps every round, as
  // Booster.predict does.
  bool all_rounds = false;
};

// What ImportXGBoostModel did beyond copying the model.
struct ModelImportReport {
  int rounds = 0;       // boosting rounds in the file
  int kept_rounds = 0;  // rounds in the bundle (fewer when cut at best_iteration)
  // A number the model reads as missing (scikit-learn's XGBClassifier(missing=-999.0)); the
  // bundle's encoding makes it NaN, as XGBoost does.
  std::optional<double> missing_value;
  // The names stored in the file when --features gives other ones (empty otherwise).
  std::vector<std::string> renamed;
};

// Task from the model's objective (binary:logistic -> binary, multi:softprob -> multiclass,
// reg:* or count:poisson -> regression); anything else is InvalidArgument. The feature count must
// match.
ModelBundle ImportXGBoostModel(const std::string& model_json, const ModelImportOptions& options,
                               ModelImportReport* report = nullptr);

}  // namespace mloop
