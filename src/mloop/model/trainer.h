// Training end to end on a Table: target, split, encoding, fit, validation metrics, and the
// model bundle. It sits in model/ because it joins train/, eval/ and the bundle.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "mloop/core/table.h"
#include "mloop/model/bundle.h"
#include "mloop/prep/recipe.h"
#include "mloop/train/estimator.h"
#include "mloop/train/split.h"

namespace mloop {

struct TrainRequest {
  std::string algorithm = "xgboost";
  std::map<std::string, std::string> params;
  std::string target;
  std::optional<Task> task;  // inferred from the target when absent
  SplitSpec split;           // used when `valid` is null
  const Table* valid = nullptr;
  // Preprocessing fitted on the training rows only (per fold under cross-validation) and saved
  // in the bundle. Null: none.
  const Recipe* recipe = nullptr;
  int cv_folds = 0;  // > 1: k-fold cross-validation (stratified for classification)
  uint64_t seed = 42;
  int threads = 0;
  std::function<void(const IterationLog&)> on_iteration;
  // Called at each iteration of the cross-validation folds' models (which on_iteration does
  // not see): a place to stop training (throw TrainingStopped) on an interrupt or a timeout.
  std::function<void(const IterationLog&)> on_fold_iteration;
  // Called with each note of the final model's recipe fit (RecipeFitOptions::notes: what
  // scikit-learn would warn about, "step 3 (bucketize): ..."), as soon as the recipe is fitted:
  // a note may explain why training then fails (log of 0 -> -inf). A cross-validation fold's
  // notes are reported only when its fit fails. May be null.
  std::function<void(const std::string&)> on_recipe_note;
  // When set and true, training stops at the next iteration or stage: TrainingStopped
  // ("interrupted"), which a tracked run records as killed. May be null.
  const std::atomic<bool>* cancel = nullptr;
};

struct MetricSummary {
  double mean = 0;
  double std = 0;  // population standard deviation over the folds
  // The folds the metric is defined on (and mean and std are over): fewer than K when a fold's
  // validation part leaves it undefined (ROC AUC of a fold holding one class).
  int folds = 0;
};

struct TrainResult {
  ModelBundle bundle;  // manifest filled except lineage, which the caller adds
  Task task = Task::kBinary;
  std::map<std::string, double> metrics;  // on the validation data (training data without one)
  bool metrics_on_training_data = false;
  std::map<std::string, MetricSummary> cv;  // per metric over the folds, when cv_folds > 1
  std::vector<IterationLog> history;
  int64_t train_rows = 0;
  int64_t valid_rows = 0;
  int64_t dropped_rows = 0;  // rows without a target value
  SplitSpec split;           // the split actually made (when no validation table was given)
  // What the split made that was not asked for (a time split's validation share far from the
  // one asked; classes no training row holds), then the final model's (Estimator::Warnings);
  // also in the manifest.
  std::vector<std::string> warnings;
};

TrainResult Train(const Table& data, const TrainRequest& request);

// The first feature of `train` (role feature, not `target`) that validation data of schema
// `valid` lacks, or "": without it, training fails once the model is fitted. Checked by
// commands before any work (without a recipe, which may make or drop columns).
std::string FeatureMissingFrom(const Schema& train, const Schema& valid, const std::string& target);

// The standard metrics of `task` computed from a model's scores on `y` (labels or values), each
// row weighted by `weight` (empty: all 1), as scikit-learn's sample_weight. A metric the data
// leaves undefined is left out; `undefined` (when given) receives why, by metric name.
std::map<std::string, double> StandardMetrics(
    Task task, const std::vector<double>& y, const DenseMatrix& scores,
    std::span<const double> weight = {}, std::map<std::string, std::string>* undefined = nullptr);

}  // namespace mloop
