// Curves of a binary classifier's scores: ROC, precision-recall, calibration, cumulative gain and
// lift, and the best decision threshold. ROC, precision-recall and calibration equal
// scikit-learn 1.2's (named per function) to 1e-9. Labels are 0/1 (positive = 1); `weight` is
// optional (empty = all ones); scores must be finite. All are O(n log n) (one sort).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace mloop {

struct RocCurve {
  std::vector<double> fpr;         // increasing
  std::vector<double> tpr;         // increasing
  std::vector<double> thresholds;  // decreasing; thresholds[0] = max(score) + 1 (nothing positive)
};

// sklearn.metrics.roc_curve(y_true, score, sample_weight=w, drop_intermediate=...): one point per
// distinct score (a sample is positive when score >= threshold) plus the leading (0, 0) point.
// drop_intermediate drops points collinear with their neighbours (the same test as sklearn, on
// the second differences of the counts). Samples with weight 0 are ignored. When y_true has no
// negatives fpr is all NaN, when it has no positives tpr is all NaN (sklearn warns); never throws
// for a single class.
RocCurve ComputeRocCurve(std::span<const int32_t> y_true, std::span<const double> score,
                         std::span<const double> weight = {}, bool drop_intermediate = true);

struct PrecisionRecallCurve {
  std::vector<double> precision;   // n_thresholds + 1 values, the last is 1
  std::vector<double> recall;      // n_thresholds + 1 values, decreasing, the last is 0
  std::vector<double> thresholds;  // the distinct scores, increasing
};

// sklearn.metrics.precision_recall_curve(y_true, score, sample_weight=w): precision[i] and
// recall[i] of predicting score >= thresholds[i]; every distinct score is a threshold (1.2 no
// longer stops at full recall). With no positives in y_true recall is 1 at every threshold.
PrecisionRecallCurve ComputePrecisionRecallCurve(std::span<const int32_t> y_true,
                                                 std::span<const double> score,
                                                 std::span<const double> weight = {});

enum class CalibrationStrategy {
  kUniform,   // n_bins equal-width bins over [0, 1]
  kQuantile,  // bin edges at the quantiles of the probabilities (np.percentile, linear)
};

struct CalibrationCurve {
  std::vector<double> prob_true;  // per non-empty bin: fraction of positives
  std::vector<double> prob_pred;  // per non-empty bin: mean predicted probability
};

// sklearn.calibration.calibration_curve(y_true, prob, n_bins=n_bins, strategy=...): a
// probability p falls in bin i when edge[i] < p <= edge[i+1] (the first bin also takes
// edge[0], np.searchsorted on the inner edges); empty bins are left out. Probabilities outside
// [0, 1] and n_bins < 1 are InvalidArgument. sklearn takes no sample weights here.
CalibrationCurve ComputeCalibrationCurve(
    std::span<const int32_t> y_true, std::span<const double> prob, int n_bins = 5,
    CalibrationStrategy strategy = CalibrationStrategy::kUniform);

struct GainCurve {
  std::vector<double> fraction;  // fraction of the (weighted) population: k / points, k = 1..points
  std::vector<double> gain;      // fraction of the positive weight among the top `fraction`
  std::vector<double> lift;      // gain / fraction
};

// Cumulative gain and lift (not in sklearn; the scikit-plot definition made tie-exact): samples
// ranked by decreasing score, the population weight up to fraction f taken from the top. Samples
// with equal scores are indistinguishable, so a tie group that straddles the cut contributes
// pro rata (linear interpolation inside the group); the result does not depend on the order of
// tied samples. Needs at least one positive and points >= 1 (InvalidArgument otherwise).
GainCurve ComputeGainCurve(std::span<const int32_t> y_true, std::span<const double> score,
                           int points = 10, std::span<const double> weight = {});

enum class ThresholdMetric {
  kF1,                // f1_score(y_true, score >= t)
  kAccuracy,          // accuracy_score
  kBalancedAccuracy,  // balanced_accuracy_score
  kYouden,            // tpr - fpr (Youden's J)
};

struct ThresholdChoice {
  double threshold = 0.0;  // predict 1 when score >= threshold
  double value = 0.0;      // the metric at that threshold
  // The threshold is max(score) + 1, above every score: no row is predicted 1.
  bool above_every_score = false;
};

// The threshold among roc_curve(..., drop_intermediate=False)'s thresholds (every distinct
// score, and max(score) + 1 that predicts nothing positive) maximising `metric` with sample
// weights `weight`; on equal values (within 1e-12 relative, so that rounding does not decide)
// the highest threshold wins. Dropping collinear ROC points would not change the maximum, as all
// four metrics are (quasi)linear along a ROC segment. y_true must contain both classes
// (InvalidArgument).
ThresholdChoice BestThreshold(ThresholdMetric metric, std::span<const int32_t> y_true,
                              std::span<const double> score, std::span<const double> weight = {});

}  // namespace mloop
