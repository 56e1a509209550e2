// The HTML evaluation report of one model on one dataset: a single self-contained file (inline
// SVG charts and CSS, no scripts, no network) built with report/html.h.
//
// Sections, by task:
//  - always: header (title, model facts), headline cards, metrics table;
//  - binary: ROC (AUC in the legend, the chance diagonal), precision-recall (no-skill line),
//    calibration (10 uniform bins, the diagonal), cumulative gain and lift, confusion matrices at
//    0.5 (class 1 when score > 0.5, the rule of metrics.h) and at the profit-maximising business
//    threshold when a business result is given, the best thresholds for F1 and Youden's J;
//  - multiclass: confusion matrix (arg-max class), per-class precision / recall / F1 / support,
//    one-vs-rest ROC curves (up to 10 classes);
//  - regression: predicted versus actual, residuals versus predicted, a residual histogram;
//  - feature importance (top 20) when given; business value (summary sentence, profit curve,
//    comparison and assumption tables) when given.
// Predictions given as classes show the confusion matrix and per-class metrics only.
// A chart whose input does not allow it (one class only, scores outside [0, 1] for calibration)
// is replaced by a note saying why. Curves are thinned to at most 400 points and scatter plots to
// 1500, so the page stays well under 1 MB for a million rows.
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "mloop/core/matrix.h"
#include "mloop/eval/business.h"
#include "mloop/train/estimator.h"

namespace mloop {

// What the report shows. Spans and the pointer are not owned and must outlive RenderEvalReport.
struct EvalReport {
  std::string title = "Model evaluation";
  // Key facts of the header, in order: ("algorithm", "xgboost"), ("task", "binary"),
  // ("dataset", "churn@3"), ("rows", "20,000"), ...
  std::vector<std::pair<std::string, std::string>> model_facts;
  Task task = Task::kBinary;
  // Classification: the true class index 0..k-1 (integral values); regression: the target.
  std::span<const double> y_true;
  // Binary: the probability (or score) of class 1; regression: the prediction.
  std::span<const double> scores;
  // Multiclass: n x k class probabilities. Binary uses it when `scores` is empty (1 column =
  // P(class 1), 2 columns = column 1).
  const DenseMatrix* proba = nullptr;
  // The predictions are classes, not scores (binary: `scores` are 0 and 1; multiclass: `proba`
  // is one-hot): the ranking, calibration and threshold charts give way to a note.
  bool predicted_classes = false;
  std::span<const double> weights;  // empty = all 1
  // Display names of classes 0..k-1 (escaped in the page); missing names are the indices.
  std::vector<std::string> class_labels;
  std::map<std::string, double> metrics;
  // (feature, importance); the report shows the 20 largest by magnitude.
  std::vector<std::pair<std::string, double>> feature_importance;
  std::string importance_kind = "importance";  // axis label, e.g. "gain" or "|coefficient|"
  // Binary only: the business value and the spec it was computed with (both or neither).
  std::optional<BusinessResult> business;
  std::optional<BusinessSpec> business_spec;
};

// The complete HTML page. Throws InvalidArgument when y_true and the scores differ in length,
// when there are no rows, or when classification labels are not integral class indices.
std::string RenderEvalReport(const EvalReport& report);

}  // namespace mloop
