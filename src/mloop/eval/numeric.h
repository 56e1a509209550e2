// Internal helpers of the eval stage: NumPy's summation order, input checks and the per-threshold
// counts that ROC, precision-recall and their areas share. Not part of the public API.
//
// Results are meant to equal scikit-learn's bit for bit where it matters (a mean that is not
// exactly the constant it averages decides whether R2 sees a zero denominator), so sums follow
// NumPy: `ndarray.sum` is pairwise (blocks of 8 partial sums), `cumsum` and `bincount` are
// sequential.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "mloop/core/pairwise_sum.h"

namespace mloop::internal {

using ::mloop::PairwiseSum;

inline double Sum(std::span<const double> a) {
  return PairwiseSum(a.size(), [&](size_t i) { return a[i]; });
}

// Throws InvalidArgument unless `n` (the number of samples) is positive and `weight` is empty or
// has n entries; `what` names the operation in the message.
void CheckSizes(std::string_view what, size_t n, size_t other, std::span<const double> weight);
// Throws InvalidArgument when a value is NaN or infinite (sklearn's "Input contains NaN").
void CheckFinite(std::string_view what, std::string_view name, std::span<const double> values);
// Throws InvalidArgument unless every label is 0 or 1.
void CheckBinaryLabels(std::string_view what, std::span<const int32_t> labels);
// Throws InvalidArgument when a label is negative.
void CheckNonNegativeLabels(std::string_view what, std::span<const int32_t> labels);

[[noreturn]] void ThrowZeroWeightSum(std::string_view what);

// np.average(v, weights=weight) for v_i = f(i): sum(v) / n without weights, else
// sum(v * w) / sum(w). A zero weight sum is InvalidArgument (NumPy's ZeroDivisionError).
template <class F>
double WeightedMean(size_t n, std::span<const double> weight, const F& f) {
  if (weight.empty()) return PairwiseSum(n, f) / static_cast<double>(n);
  double scale = Sum(weight);
  if (scale == 0.0) ThrowZeroWeightSum("np.average");
  return PairwiseSum(n, [&](size_t i) { return f(i) * weight[i]; }) / scale;
}

// sklearn.metrics._ranking._binary_clf_curve: samples with zero weight are dropped, the rest are
// sorted by decreasing score (ties: later sample first, as NumPy's reversed stable argsort), and
// for every distinct score (decreasing) fps/tps count the negatives/positives scored >= it.
// Labels must be 0/1 (positive = 1); scores must be finite.
struct ClfCurve {
  std::vector<double> fps;
  std::vector<double> tps;
  std::vector<double> thresholds;
};
ClfCurve BinaryClfCurve(std::string_view what, std::span<const int32_t> y_true,
                        std::span<const double> score, std::span<const double> weight);

}  // namespace mloop::internal
