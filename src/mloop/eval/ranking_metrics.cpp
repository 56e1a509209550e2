// Metrics from scores (metrics.h): ROC AUC (binary and one-vs-rest) and average precision,
// following sklearn/metrics/_ranking.py and _base.py (1.2).
#include <cmath>
#include <string>

#include "mloop/core/column.h"
#include "mloop/core/error.h"
#include "mloop/core/strings.h"
#include "mloop/eval/curves.h"
#include "mloop/eval/metrics.h"
#include "mloop/eval/numeric.h"

namespace mloop {

using internal::PairwiseSum;

namespace {

// sklearn.metrics.auc(x, y): np.trapz with the direction of x.
double Trapezoid(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.size() < 2) {
    throw InvalidArgument("At least 2 points are needed to compute area under curve");
  }
  bool any_negative = false;
  bool all_non_positive = true;
  for (size_t i = 0; i + 1 < x.size(); ++i) {
    double dx = x[i + 1] - x[i];
    any_negative |= dx < 0;
    all_non_positive &= dx <= 0;
  }
  double direction = 1.0;
  if (any_negative) {
    if (!all_non_positive) throw InvalidArgument("x is neither increasing nor decreasing");
    direction = -1.0;
  }
  double area = PairwiseSum(x.size() - 1,
                            [&](size_t i) { return (x[i + 1] - x[i]) * (y[i + 1] + y[i]) / 2.0; });
  return direction * area;
}

// _binary_roc_auc_score: y_true must hold both classes (before dropping zero weights).
double BinaryRocAuc(LabelSpan y_true, ValueSpan score, ValueSpan weight) {
  internal::CheckSizes("roc_auc_score", y_true.size(), score.size(), weight);
  internal::CheckBinaryLabels("roc_auc_score", y_true);
  bool has[2] = {false, false};
  for (int32_t v : y_true) has[v] = true;
  if (!has[0] || !has[1]) {
    throw InvalidArgument(
        "Only one class present in y_true. ROC AUC score is not defined in that case.");
  }
  RocCurve roc = ComputeRocCurve(y_true, score, weight);
  return Trapezoid(roc.fpr, roc.tpr);
}

}  // namespace

double RocAuc(LabelSpan y_true, ValueSpan score, ValueSpan weight) {
  return BinaryRocAuc(y_true, score, weight);
}

double RocAucOvr(LabelSpan y_true, const DenseMatrix& proba, Average average, ValueSpan weight) {
  constexpr std::string_view kWhat = "roc_auc_score";
  size_t n = y_true.size();
  internal::CheckSizes(kWhat, n, static_cast<size_t>(proba.rows), weight);
  internal::CheckFinite(kWhat, "y_score", proba.data);
  if (average == Average::kBinary) {
    throw InvalidArgument(
        "average must be one of ('micro', 'macro', 'weighted') for multiclass problems");
  }
  size_t k = static_cast<size_t>(proba.cols);
  if (k < 2) throw InvalidArgument("roc_auc_score: one-vs-rest needs at least 2 columns");
  for (size_t i = 0; i < n; ++i) {
    const double* row = proba.row(static_cast<int64_t>(i));
    double s = PairwiseSum(k, [&](size_t j) { return row[j]; });
    if (!(std::fabs(1.0 - s) <= 1e-8 + 1e-5 * std::fabs(s))) {  // np.allclose(1, s)
      throw InvalidArgument(
          "Target scores need to be probabilities for multiclass roc_auc, i.e. they should sum "
          "up to 1.0 over classes (row " +
          std::to_string(i + 1) + " sums to " + FormatDouble(s) + ")");
    }
  }
  std::vector<char> seen(k, 0);
  for (int32_t v : y_true) {
    if (v < 0 || static_cast<size_t>(v) >= k) {
      throw InvalidArgument("roc_auc_score: label " + std::to_string(v) + " has no column among " +
                            std::to_string(k) + " score columns");
    }
    seen[static_cast<size_t>(v)] = 1;
  }

  // The columns are the model's classes (scikit-learn's `labels`): micro-averaging pools every
  // (row, class) pair, so it is defined when a class has no row; a per-class average is not.
  if (average == Average::kMicro) {
    // y_true binarised and raveled row-major, the weights repeated k times.
    std::vector<int32_t> flat_true(n * k);
    std::vector<double> flat_weight(weight.empty() ? 0 : n * k);
    for (size_t i = 0; i < n; ++i) {
      for (size_t c = 0; c < k; ++c) {
        flat_true[i * k + c] = static_cast<size_t>(y_true[i]) == c ? 1 : 0;
        if (!weight.empty()) flat_weight[i * k + c] = weight[i];
      }
    }
    return BinaryRocAuc(flat_true, proba.data, flat_weight);
  }
  for (char s : seen) {  // that class's one-vs-rest AUC has no positive row
    if (!s) {
      throw InvalidArgument(
          "Only one class present in y_true. ROC AUC score is not defined in that case.");
    }
  }

  std::vector<double> scores(k);
  std::vector<double> support(k, 0.0);
  std::vector<int32_t> column_true(n);
  std::vector<double> column_score(n);
  for (size_t c = 0; c < k; ++c) {
    for (size_t i = 0; i < n; ++i) {
      column_true[i] = static_cast<size_t>(y_true[i]) == c ? 1 : 0;
      column_score[i] = proba.at(static_cast<int64_t>(i), static_cast<int64_t>(c));
      support[c] += column_true[i] * (weight.empty() ? 1.0 : weight[i]);
    }
    scores[c] = BinaryRocAuc(column_true, column_score, weight);
  }
  if (average == Average::kMacro) {
    return PairwiseSum(k, [&](size_t c) { return scores[c]; }) / static_cast<double>(k);
  }
  // Weighted by support; a class with zero support scores 0 (it would be NaN).
  if (std::fabs(internal::Sum(support)) <= 1e-8) return 0.0;  // np.isclose(sum, 0)
  for (size_t c = 0; c < k; ++c) {
    if (support[c] == 0.0) scores[c] = 0.0;
  }
  return internal::WeightedMean(k, support, [&](size_t c) { return scores[c]; });
}

double AveragePrecision(LabelSpan y_true, ValueSpan score, ValueSpan weight) {
  PrecisionRecallCurve pr = ComputePrecisionRecallCurve(y_true, score, weight);
  // -sum(diff(recall) * precision[:-1])
  return -PairwiseSum(pr.recall.size() - 1, [&](size_t i) {
    return (pr.recall[i + 1] - pr.recall[i]) * pr.precision[i];
  });
}

}  // namespace mloop
