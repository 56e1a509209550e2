// Importing a model trained elsewhere: an XGBoost JSON model file (Booster.save_model("m.json")
// in Python) becomes an mloop model bundle, which predict, eval and the registry then use like
// any other. The model takes numeric input columns, passed through unchanged.
#pragma once

#include <string>
#include <vector>

#include "mloop/model/bundle.h"

namespace mloop {

struct ModelImportOptions {
  // The input columns, in the model's feature order. Empty: the feature names stored in the
  // model file (present when it was trained on a pandas DataFrame).
  std::vector<std::string> features;
  std::string target;  // the label column, for evaluation (optional)
};

// Task from the model's objective (binary:logistic -> binary, multi:softprob -> multiclass,
// reg:* -> regression); anything else is InvalidArgument. The feature count must match.
ModelBundle ImportXGBoostModel(const std::string& model_json, const ModelImportOptions& options);

}  // namespace mloop
