// What EvaluateModel and EvaluatePredictions (evaluate.h) share: sample weights and the last step
// that turns labels and scores into metrics, business value and the report.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "mloop/core/matrix.h"
#include "mloop/core/table.h"
#include "mloop/model/evaluate.h"

namespace mloop::evaluate_internal {

// The sample weights of the rows (empty without a weight column). A weight must be a finite
// number >= 0 in every row that is evaluated (`y` not NaN): scikit-learn takes no missing one.
std::vector<double> WeightsOf(const Table& data, const std::string& column,
                              const std::vector<double>& y);

// Metrics, business value and report of labels `y` (class indices or values; NaN rows are left
// out and counted as dropped) against `scores` (binary and regression: one column; multiclass:
// one per class). `predicted_classes`: the scores are 0/1 or one-hot predicted classes.
Evaluation Finish(Task task, std::vector<double> y, DenseMatrix scores,
                  const std::vector<std::string>& classes,
                  std::vector<std::pair<std::string, double>> importance,
                  const std::string& importance_kind, const EvaluationOptions& options,
                  const std::string& label, std::vector<double> weight,
                  bool predicted_classes = false);

}  // namespace mloop::evaluate_internal
