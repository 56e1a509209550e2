// Estimator: one learning algorithm, fitted on a DenseMatrix and predicting on one.
//
// Estimators are created by name from the registry (train/registry.h), configured with string
// parameters under the algorithm's own names (XGBoost's max_depth, eta, ...), fitted, and saved
// as two JSON documents kept apart, as XGBoost does: the learned state (SaveModel) and the
// configuration (SaveConfig). A loaded estimator is const: Predict may be called from several
// threads at once.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mloop/core/error.h"  // RowMessage
#include "mloop/core/matrix.h"

namespace mloop {

enum class Task { kBinary, kMulticlass, kRegression, kClustering };

std::string_view TaskName(Task task);  // binary, multiclass, regression, clustering

// One line of training progress (a boosting round, an optimiser iteration).
struct IterationLog {
  int iteration = 0;
  std::map<std::string, double> metrics;  // e.g. {"train-logloss": 0.31, "valid-logloss": 0.35}
  bool last = false;  // no iteration follows (the last round, convergence, early stopping)
};

// Thrown to stop training on purpose (an interrupt, a pruned tuning trial), from an on_iteration
// callback or when FitInput::cancel is set. A tracked run ends as killed, not failed, with the
// message as its reason.
class TrainingStopped : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct FitInput {
  const DenseMatrix* x = nullptr;  // features; NaN = missing
  std::span<const double> y;       // regression target, or class index 0 .. num_classes-1
  std::span<const double> weight;  // sample weights; empty = all 1
  Task task = Task::kBinary;
  int num_classes = 2;  // classification only
  // Optional validation data for early stopping and progress (same columns as x).
  const DenseMatrix* valid_x = nullptr;
  std::span<const double> valid_y;
  uint64_t seed = 0;
  int threads = 0;  // 0: one per core
  std::vector<std::string> feature_names;
  std::function<void(const IterationLog&)> on_iteration;  // may be empty
  // When set and true, iterative estimators stop between iterations: TrainingStopped
  // ("interrupted"). May be null.
  const std::atomic<bool>* cancel = nullptr;
};

class Estimator {
 public:
  virtual ~Estimator() = default;

  // The registry name ("xgboost", "logistic", ...).
  virtual std::string_view name() const = 0;
  virtual bool Supports(Task task) const = 0;

  // Sets parameters by name. An unknown name or a value that does not parse is an
  // InvalidArgument error naming the parameter (and the nearest valid name).
  virtual void SetParams(const std::map<std::string, std::string>& params) = 0;

  // Learns from `in`. Throws InvalidArgument for an unsupported task or bad data.
  virtual void Fit(const FitInput& in) = 0;

  // Scores for each row: binary -> n x 1 probability of class 1; multiclass -> n x k class
  // probabilities; regression -> n x 1 prediction; clustering -> n x 1 cluster index.
  virtual DenseMatrix Predict(const DenseMatrix& x) const = 0;

  // Learned state as JSON (for xgboost: XGBoost's own JSON model, loadable by Python's xgboost).
  virtual std::string SaveModel() const = 0;
  virtual void LoadModel(std::string_view json) = 0;
  // Configuration (parameters, task, classes) as JSON.
  virtual std::string SaveConfig() const = 0;
  virtual void LoadConfig(std::string_view json) = 0;

  // Per-feature contributions to each row's raw score (SHAP values for tree models): n x (d+1),
  // the last column the bias, summing to the margin (log-odds for binary); for multiclass
  // n x k(d+1), one block per class summing to that class's margin (softmax gives the
  // probabilities). FailedPrecondition for algorithms that do not provide them.
  virtual DenseMatrix Contributions(const DenseMatrix& x) const;

  // Importance per feature (same order as the training columns); empty when not defined.
  virtual std::vector<double> FeatureImportance() const { return {}; }
  // What makes the last fit other than asked, as scikit-learn's ConvergenceWarning: a solver
  // that stopped at max_iter before converging. Empty when nothing.
  virtual std::vector<std::string> Warnings() const { return {}; }
  // Threads Predict may spread a large input over (<= 0: every core). For callers that already
  // predict on several threads at once (batch transform's workers); set before sharing.
  virtual void SetPredictThreads(int threads) { (void)threads; }
};

}  // namespace mloop
