// Regression metrics and the silhouette score (metrics.h), following
// sklearn/metrics/_regression.py and cluster/_unsupervised.py (1.2).
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>
#include <string>

#include "mloop/core/error.h"
#include "mloop/eval/metrics.h"
#include "mloop/eval/numeric.h"

namespace mloop {

using internal::PairwiseSum;
using internal::WeightedMean;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void CheckRegression(std::string_view what, ValueSpan y_true, ValueSpan y_pred, ValueSpan weight) {
  internal::CheckSizes(what, y_true.size(), y_pred.size(), weight);
  internal::CheckFinite(what, "y_true", y_true);
  internal::CheckFinite(what, "y_pred", y_pred);
}

// _assemble_r2_explained_variance with force_finite=True.
double AssembleScore(double numerator, double denominator) {
  if (numerator == 0.0) return 1.0;
  if (denominator == 0.0) return 0.0;
  return 1 - (numerator / denominator);
}

}  // namespace

double MeanAbsoluteError(ValueSpan y_true, ValueSpan y_pred, ValueSpan weight) {
  CheckRegression("mean_absolute_error", y_true, y_pred, weight);
  return WeightedMean(y_true.size(), weight,
                      [&](size_t i) { return std::fabs(y_pred[i] - y_true[i]); });
}

double MeanSquaredError(ValueSpan y_true, ValueSpan y_pred, ValueSpan weight) {
  CheckRegression("mean_squared_error", y_true, y_pred, weight);
  return WeightedMean(y_true.size(), weight, [&](size_t i) {
    double d = y_true[i] - y_pred[i];
    return d * d;
  });
}

double RootMeanSquaredError(ValueSpan y_true, ValueSpan y_pred, ValueSpan weight) {
  return std::sqrt(MeanSquaredError(y_true, y_pred, weight));
}

double MeanAbsolutePercentageError(ValueSpan y_true, ValueSpan y_pred, ValueSpan weight) {
  CheckRegression("mean_absolute_percentage_error", y_true, y_pred, weight);
  return WeightedMean(y_true.size(), weight, [&](size_t i) {
    return std::fabs(y_pred[i] - y_true[i]) / std::max(std::fabs(y_true[i]), DBL_EPSILON);
  });
}

double R2(ValueSpan y_true, ValueSpan y_pred, ValueSpan weight) {
  CheckRegression("r2_score", y_true, y_pred, weight);
  size_t n = y_true.size();
  if (n < 2) return kNaN;  // "R^2 score is not well-defined with less than two samples."
  auto w = [&](size_t i) { return weight.empty() ? 1.0 : weight[i]; };
  double numerator = PairwiseSum(n, [&](size_t i) {
    double d = y_true[i] - y_pred[i];
    return w(i) * (d * d);
  });
  double mean = WeightedMean(n, weight, [&](size_t i) { return y_true[i]; });
  double denominator = PairwiseSum(n, [&](size_t i) {
    double d = y_true[i] - mean;
    return w(i) * (d * d);
  });
  return AssembleScore(numerator, denominator);
}

double ExplainedVariance(ValueSpan y_true, ValueSpan y_pred, ValueSpan weight) {
  CheckRegression("explained_variance_score", y_true, y_pred, weight);
  size_t n = y_true.size();
  double diff_mean = WeightedMean(n, weight, [&](size_t i) { return y_true[i] - y_pred[i]; });
  double numerator = WeightedMean(n, weight, [&](size_t i) {
    double d = y_true[i] - y_pred[i] - diff_mean;
    return d * d;
  });
  double mean = WeightedMean(n, weight, [&](size_t i) { return y_true[i]; });
  double denominator = WeightedMean(n, weight, [&](size_t i) {
    double d = y_true[i] - mean;
    return d * d;
  });
  return AssembleScore(numerator, denominator);
}

double Silhouette(const DenseMatrix& x, LabelSpan labels) {
  constexpr std::string_view kWhat = "silhouette_score";
  size_t n = labels.size();
  internal::CheckSizes(kWhat, n, static_cast<size_t>(x.rows), {});
  internal::CheckFinite(kWhat, "X", x.data);
  // LabelEncoder: cluster ids 0..m-1 in sorted label order.
  std::vector<int32_t> uniques(labels.begin(), labels.end());
  std::sort(uniques.begin(), uniques.end());
  uniques.erase(std::unique(uniques.begin(), uniques.end()), uniques.end());
  size_t m = uniques.size();
  if (m < 2 || m > n - 1) {
    throw InvalidArgument("silhouette_score: Number of labels is " + std::to_string(m) +
                          ". Valid values are 2 to n_samples - 1 (inclusive)");
  }
  std::vector<uint32_t> cluster(n);
  std::vector<double> freq(m, 0.0);
  for (size_t i = 0; i < n; ++i) {
    cluster[i] = static_cast<uint32_t>(std::lower_bound(uniques.begin(), uniques.end(), labels[i]) -
                                       uniques.begin());
    freq[cluster[i]] += 1;
  }
  size_t d = static_cast<size_t>(x.cols);
  std::vector<double> sil(n);
  std::vector<double> dist_sum(m);
  for (size_t i = 0; i < n; ++i) {
    std::fill(dist_sum.begin(), dist_sum.end(), 0.0);
    const double* xi = x.row(static_cast<int64_t>(i));
    for (size_t j = 0; j < n; ++j) {
      const double* xj = x.row(static_cast<int64_t>(j));
      double s = 0.0;
      for (size_t f = 0; f < d; ++f) {
        double diff = xi[f] - xj[f];
        s += diff * diff;
      }
      dist_sum[cluster[j]] += std::sqrt(s);  // np.bincount(labels, weights=D[i])
    }
    size_t own = cluster[i];
    double intra = dist_sum[own] / (freq[own] - 1);  // 0/0 = NaN for a singleton
    double inter = std::numeric_limits<double>::infinity();
    for (size_t c = 0; c < m; ++c) {
      if (c != own) inter = std::min(inter, dist_sum[c] / freq[c]);
    }
    double s = (inter - intra) / std::max(intra, inter);
    sil[i] = std::isnan(s) ? 0.0 : s;  // np.nan_to_num
  }
  return internal::Sum(sil) / static_cast<double>(n);
}

}  // namespace mloop
