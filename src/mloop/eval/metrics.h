// Evaluation metrics. Every function returns the value scikit-learn 1.2 returns for the same
// input (the sklearn call is named in each contract), to 1e-9, including its tie handling, its
// treatment of sample weights and its edge cases: where sklearn warns and substitutes a value
// (zero_division, a class only in the predictions) we return that value silently; where sklearn
// raises ValueError we throw mloop::Error with code kInvalidArgument and a message saying why.
//
// Conventions:
//  - Class labels are class indices 0 .. k-1 as int32; the positive class of binary metrics is 1
//    and binary labels must be 0 or 1 (anything else is InvalidArgument).
//  - `weight` is an optional per-sample weight; empty means every weight is 1.
//  - Inputs must be non-empty, of equal length, and free of NaN and infinity.
//  - Averages over samples follow NumPy's summation order, so results are bit-for-bit sklearn's
//    in the cases where a rounding decides a branch (see r2_score on a constant y_true).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "mloop/core/matrix.h"
#include "mloop/train/estimator.h"

namespace mloop {

using LabelSpan = std::span<const int32_t>;
using ValueSpan = std::span<const double>;

// How per-class precision / recall / F are combined (sklearn's `average`).
enum class Average {
  kBinary,    // the positive class (1) only; labels must be 0/1
  kMicro,     // global tp / fp / fn counts over the classes present
  kMacro,     // unweighted mean over the classes present in y_true or y_pred
  kWeighted,  // mean weighted by each class's (weighted) support in y_true
};

// ---- Classification from predicted labels -------------------------------------------------

// accuracy_score(y_true, y_pred, sample_weight=w): the (weighted) fraction of exact matches.
double Accuracy(LabelSpan y_true, LabelSpan y_pred, ValueSpan weight = {});

// balanced_accuracy_score: the mean recall over the classes present in y_true (classes seen
// only in y_pred are ignored; a class whose samples all have weight 0 is ignored too).
double BalancedAccuracy(LabelSpan y_true, LabelSpan y_pred, ValueSpan weight = {});

struct PrecisionRecallF {
  double precision = 0.0;
  double recall = 0.0;
  double f = 0.0;
};

// precision_recall_fscore_support(y_true, y_pred, beta=beta, average=..., sample_weight=w,
// zero_division="warn"): per class tp / (tp + fp), tp / (tp + fn) and
// (1 + beta^2) p r / (beta^2 p + r), where a zero denominator gives 0.0 (sklearn warns). The
// classes are those present in y_true or y_pred. kBinary needs labels in {0, 1} (sklearn's
// "Target is multiclass but average='binary'" otherwise). beta must be >= 0.
PrecisionRecallF PrecisionRecallFScore(LabelSpan y_true, LabelSpan y_pred, double beta,
                                       Average average, ValueSpan weight = {});

// precision_score / recall_score / fbeta_score / f1_score with the same conventions.
double Precision(LabelSpan y_true, LabelSpan y_pred, Average average = Average::kBinary,
                 ValueSpan weight = {});
double Recall(LabelSpan y_true, LabelSpan y_pred, Average average = Average::kBinary,
              ValueSpan weight = {});
double FBeta(LabelSpan y_true, LabelSpan y_pred, double beta, Average average = Average::kBinary,
             ValueSpan weight = {});
double F1(LabelSpan y_true, LabelSpan y_pred, Average average = Average::kBinary,
          ValueSpan weight = {});

// confusion_matrix(y_true, y_pred, labels=range(k), sample_weight=w): k x k, entry (i, j) the
// (weighted) count of samples of true class i predicted as j. k = num_classes, or when 0 the
// largest label + 1. Labels >= k are ignored, as sklearn ignores labels outside `labels`.
DenseMatrix ConfusionMatrix(LabelSpan y_true, LabelSpan y_pred, int num_classes = 0,
                            ValueSpan weight = {});

// ---- Classification from scores -----------------------------------------------------------

// roc_auc_score(y_true, score, sample_weight=w): the trapezoidal area under roc_curve (ties in
// `score` form one diagonal step). `score` is any real score, higher meaning class 1. Throws
// InvalidArgument when y_true holds a single class (sklearn: "Only one class present in y_true.
// ROC AUC score is not defined in that case."). NaN when all weight of a class is zero.
double RocAuc(LabelSpan y_true, ValueSpan score, ValueSpan weight = {});

// roc_auc_score(y_true, proba, multi_class="ovr", average="macro"|"weighted", sample_weight=w):
// the mean over classes c of the binary AUC of (y_true == c) against column c, unweighted (macro)
// or weighted by class support (weighted). `proba` is n x k (k >= 2, typically >= 3) and its rows
// must sum to 1 (np.allclose), and every class 0..k-1 must occur in y_true (sklearn: "Number of
// classes in y_true not equal to the number of columns in 'y_score'"). For k = 2 sklearn refuses
// an n x 2 matrix; this computes the same one-vs-rest definition.
double RocAucOvr(LabelSpan y_true, const DenseMatrix& proba, Average average = Average::kMacro,
                 ValueSpan weight = {});

// average_precision_score(y_true, score, sample_weight=w): sum_n (R_n - R_{n-1}) P_n over the
// thresholds of precision_recall_curve (no interpolation). Unlike roc_auc_score, sklearn 1.2 does
// not raise on a single class: all-negative y_true gives 0.0 (recall taken as 1 everywhere) and
// all-positive gives 1.0; this does the same.
double AveragePrecision(LabelSpan y_true, ValueSpan score, ValueSpan weight = {});

// log_loss(y_true, prob1, labels=[0, 1], sample_weight=w): mean of -log p(true class) where the
// probabilities [1 - p, p] are clipped to [eps, 1 - eps] (eps = 2.22e-16, sklearn 1.2's "auto"
// for float64) and then renormalised to sum to 1. labels=[0, 1] is passed so that a y_true with
// a single class is still defined (sklearn without `labels` raises in that case).
double LogLoss(LabelSpan y_true, ValueSpan prob1, ValueSpan weight = {});
// log_loss(y_true, proba, labels=range(k), sample_weight=w) for an n x k probability matrix
// (each entry clipped to [eps, 1 - eps], rows renormalised). A 1-column matrix is the binary case.
// Labels must lie in 0..k-1.
double LogLoss(LabelSpan y_true, const DenseMatrix& proba, ValueSpan weight = {});

// brier_score_loss(y_true, prob1, sample_weight=w): the (weighted) mean of (y - p)^2. Binary
// only; probabilities outside [0, 1] are InvalidArgument, as in sklearn.
double BrierScore(LabelSpan y_true, ValueSpan prob1, ValueSpan weight = {});

// ---- Regression ---------------------------------------------------------------------------

// mean_absolute_error: mean |y_pred - y_true|.
double MeanAbsoluteError(ValueSpan y_true, ValueSpan y_pred, ValueSpan weight = {});
// mean_squared_error: mean (y_true - y_pred)^2.
double MeanSquaredError(ValueSpan y_true, ValueSpan y_pred, ValueSpan weight = {});
// mean_squared_error(squared=False): sqrt of the above.
double RootMeanSquaredError(ValueSpan y_true, ValueSpan y_pred, ValueSpan weight = {});
// mean_absolute_percentage_error: mean |y_pred - y_true| / max(|y_true|, eps), eps = 2.22e-16,
// so a zero y_true with a non-zero error gives a huge (not infinite) value.
double MeanAbsolutePercentageError(ValueSpan y_true, ValueSpan y_pred, ValueSpan weight = {});
// r2_score (force_finite=True): 1 - SS_res / SS_tot. Fewer than two samples: NaN (sklearn warns).
// SS_res == 0: 1.0; SS_tot == 0 with SS_res != 0: 0.0. SS_tot is computed around NumPy's mean, so
// a constant y_true whose mean is not exactly that constant (three times 0.1) gives a tiny
// non-zero SS_tot and a huge negative score, exactly as sklearn does.
double R2(ValueSpan y_true, ValueSpan y_pred, ValueSpan weight = {});
// explained_variance_score (force_finite=True): 1 - Var(y_true - y_pred) / Var(y_true), with the
// same 1.0 / 0.0 substitutions as R2 (no two-sample minimum).
double ExplainedVariance(ValueSpan y_true, ValueSpan y_pred, ValueSpan weight = {});

// ---- Clustering ---------------------------------------------------------------------------

// silhouette_score(x, labels, metric="euclidean"): the mean over samples of (b - a) / max(a, b),
// a the mean distance to the other members of its cluster, b the smallest mean distance to
// another cluster; 0 for a sample alone in its cluster. Labels may be any int32 values. Needs
// 2 <= number of distinct labels <= n - 1 (InvalidArgument otherwise, as sklearn). Distances are
// computed directly (sklearn expands |x|^2 - 2xy + |y|^2), which agrees to ~1e-15 unless points
// nearly coincide. O(n^2 * cols) time, O(clusters) extra memory.
double Silhouette(const DenseMatrix& x, LabelSpan labels);

// ---- Lookup by name -----------------------------------------------------------------------

// Everything a metric may need; each metric reads only its part (and names a missing part in an
// InvalidArgument). Spans are not owned.
struct EvalInputs {
  // Classification: the true class index (an integral value 0..k-1); regression: the target.
  std::span<const double> y_true;
  // Predicted class (classification) or cluster label (clustering, required). When empty for
  // classification it is derived: binary -> score > 0.5, multiclass -> the arg-max column of
  // `proba` (the first on ties, as np.argmax).
  std::span<const int32_t> y_pred;
  // Binary: the score or probability of class 1; regression: the prediction.
  std::span<const double> y_score;
  // Multiclass: n x k class probabilities (Estimator::Predict's output). Binary metrics also
  // accept it when y_score is empty: 1 column = P(class 1), 2 columns = use column 1.
  const DenseMatrix* proba = nullptr;
  // Clustering: the features the silhouette is measured on.
  const DenseMatrix* x = nullptr;
  std::span<const double> weight;  // empty = all 1 (ignored by silhouette)
};

// The metric `name` (see MetricNames) over `in`. Unknown names are InvalidArgument with the
// nearest valid name suggested and every valid name in the hint.
//   accuracy, balanced_accuracy                       from y_pred
//   precision, recall, f1, f0.5, f2                   average="binary" (labels 0/1)
//   {precision,recall,f1,f0.5,f2}_{micro,macro,weighted}
//   roc_auc, average_precision, brier                 binary, from the class-1 score
//   roc_auc_ovr_macro, roc_auc_ovr_weighted           multiclass, from proba
//   log_loss                                          proba if given, else y_score (binary)
//   mae, mse, rmse, r2, mape, explained_variance      regression, from y_score
//   silhouette                                        clustering, from x and y_pred
double ComputeMetric(const std::string& name, const EvalInputs& in);

// The metric names that apply to `task`, in a stable order (the first is the task's default:
// roc_auc, log_loss, rmse, silhouette).
std::vector<std::string> MetricNames(Task task);

// Every metric name ComputeMetric knows, sorted.
std::vector<std::string> AllMetricNames();

// "auc" -> "roc_auc", "logloss" -> "log_loss" (XGBoost's names, which people type in quality
// gates and tuning objectives); other names unchanged.
std::string CanonicalMetricName(const std::string& name);

// Whether a larger value of the metric is better (false for losses and errors).
bool GreaterIsBetter(const std::string& name);

// Whether the classification metric measures scores or probabilities (ROC AUC, average
// precision, Brier score, log loss) rather than only the predicted classes: undefined for
// predictions given as classes.
bool NeedsScores(const std::string& name);

}  // namespace mloop
