// Evaluating a model, or predictions made anywhere, on labelled data: metrics (equal to
// scikit-learn's), optional business value, and the HTML report.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "mloop/core/table.h"
#include "mloop/eval/business.h"
#include "mloop/eval/curves.h"
#include "mloop/model/bundle.h"

namespace mloop {

struct EvaluationOptions {
  std::optional<BusinessSpec> business;
  double threshold = 0.5;  // binary: the operating threshold for business value
  std::string title = "Model evaluation";
  std::vector<std::pair<std::string, std::string>> facts;  // header facts for the report
  // A column of the data holding each row's sample weight (finite, >= 0, present in every
  // evaluated row); empty: every row weighs 1.
  std::string weight_column;
  // Binary models: the class that counts as positive (its probability is the score; business
  // values' true_positive is predicting it). Empty: the model's second class in label order.
  std::string positive;
};

struct Evaluation {
  Task task = Task::kBinary;
  int64_t rows = 0;           // rows scored (rows with a known label)
  int64_t dropped_rows = 0;   // rows without a label (a class the model does not know is an error)
  int64_t unscored_rows = 0;  // predictions: rows with a label but no score (empty or NaN)
  std::string positive;       // binary: the positive class
  // Predictions given as classes, not scores: the metrics that measure scores (NeedsScores in
  // eval/metrics.h) are left out.
  bool predicted_classes = false;
  std::map<std::string, double> metrics;
  // The task's metrics this data leaves undefined, and why (scikit-learn's reason, when it has
  // one: "Only one class present in y_true", rows of probabilities not summing to 1, ...).
  std::map<std::string, std::string> undefined;
  std::optional<BusinessResult> business;
  // Binary scores with both classes present: per metric (f1, accuracy, balanced_accuracy,
  // youden), the threshold t maximising it when predicting the positive class for score >= t.
  std::map<std::string, ThresholdChoice> best_thresholds;
  std::string html;  // the report
};

// Scores `data` with `predictor` (built from `bundle`, whose manifest gives the feature
// importance) and evaluates against its target column.
Evaluation EvaluateModel(const ModelBundle& bundle, const Predictor& predictor, const Table& data,
                         const EvaluationOptions& options);

// Evaluates predictions from any tool: `label` holds the truth, `score` the predictions. The task
// is inferred from the label (see train/target.h) unless given; for binary labels the positive
// class is the second in sorted order unless `positive` names it. `score` is one of:
//  - a column of numbers: binary, the probability or score of the positive class; regression,
//    the predicted value;
//  - a column of predicted classes (text, or whole numbers for a multiclass label): the metrics
//    of the predicted classes only (Evaluation::predicted_classes);
//  - a pattern with one '*' (`probability_*`): a column of probabilities per class, the class in
//    place of the '*', in the order of the columns (the first wins a tie for the most probable
//    class); every label must have its column. Two columns are a binary task (the positive
//    class's column is the score) unless `task` is multiclass.
Evaluation EvaluatePredictions(const Table& data, const std::string& label,
                               const std::string& score, std::optional<Task> task,
                               const std::string& positive, const EvaluationOptions& options);

}  // namespace mloop
