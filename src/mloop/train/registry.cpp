#include "mloop/train/registry.h"

#include <algorithm>
#include <functional>
#include <map>

#include "mloop/core/error.h"
#include "mloop/core/strings.h"
#include "mloop/train/kmeans/kmeans.h"
#include "mloop/train/linear/register.h"
#include "mloop/train/xgboost/xgboost_estimator.h"

namespace mloop {

namespace {

// Every algorithm, filled here explicitly: one line each.
const std::map<std::string, std::function<std::unique_ptr<Estimator>()>>& Factories() {
  static const std::map<std::string, std::function<std::unique_ptr<Estimator>()>> factories = {
      {"xgboost", MakeXGBoost},
      {"random_forest", MakeRandomForest},
      {"kmeans", MakeKMeans},
      {"linear", MakeLinearRegression},
      {"logistic", MakeLogisticRegression},
  };
  return factories;
}

}  // namespace

DenseMatrix Estimator::Contributions(const DenseMatrix&) const {
  throw FailedPrecondition(std::string(name()) + " does not give per-feature contributions",
                           "contributions (SHAP values) come from xgboost and random_forest");
}

std::string_view TaskName(Task task) {
  switch (task) {
    case Task::kBinary:
      return "binary";
    case Task::kMulticlass:
      return "multiclass";
    case Task::kRegression:
      return "regression";
    case Task::kClustering:
      return "clustering";
  }
  return "unknown";
}

std::unique_ptr<Estimator> CreateEstimator(const std::string& name) {
  auto it = Factories().find(name);
  if (it == Factories().end()) {
    throw InvalidArgument("unknown algorithm '" + name + "'" + DidYouMean(name, EstimatorNames()),
                          "algorithms: " + Join(EstimatorNames(), ", "));
  }
  return it->second();
}

std::vector<std::string> EstimatorNames() {
  std::vector<std::string> names;
  for (const auto& [name, factory] : Factories()) names.push_back(name);
  return names;
}

}  // namespace mloop
