#include "mloop/eval/curves.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "mloop/core/error.h"
#include "mloop/eval/numeric.h"

namespace mloop {

using internal::BinaryClfCurve;
using internal::ClfCurve;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// y / y.back(), or all NaN when y.back() <= 0 (sklearn's roc_curve).
std::vector<double> Rates(const std::vector<double>& counts) {
  std::vector<double> out(counts.size(), kNaN);
  double total = counts.back();
  if (total > 0) {
    for (size_t i = 0; i < counts.size(); ++i) out[i] = counts[i] / total;
  }
  return out;
}

}  // namespace

RocCurve ComputeRocCurve(std::span<const int32_t> y_true, std::span<const double> score,
                         std::span<const double> weight, bool drop_intermediate) {
  ClfCurve c = BinaryClfCurve("roc_curve", y_true, score, weight);
  size_t m = c.fps.size();
  std::vector<double> fps{0.0};
  std::vector<double> tps{0.0};
  RocCurve roc;
  roc.thresholds.push_back(c.thresholds[0] + 1);
  fps.reserve(m + 1);
  tps.reserve(m + 1);
  roc.thresholds.reserve(m + 1);
  for (size_t i = 0; i < m; ++i) {
    bool keep = true;
    if (drop_intermediate && m > 2 && i > 0 && i + 1 < m) {
      // np.diff(x, 2)[i - 1] != 0 for fps or tps: a corner at point i.
      double dfps = (c.fps[i + 1] - c.fps[i]) - (c.fps[i] - c.fps[i - 1]);
      double dtps = (c.tps[i + 1] - c.tps[i]) - (c.tps[i] - c.tps[i - 1]);
      keep = dfps != 0.0 || dtps != 0.0;
    }
    if (!keep) continue;
    fps.push_back(c.fps[i]);
    tps.push_back(c.tps[i]);
    roc.thresholds.push_back(c.thresholds[i]);
  }
  roc.fpr = Rates(fps);
  roc.tpr = Rates(tps);
  return roc;
}

PrecisionRecallCurve ComputePrecisionRecallCurve(std::span<const int32_t> y_true,
                                                 std::span<const double> score,
                                                 std::span<const double> weight) {
  ClfCurve c = BinaryClfCurve("precision_recall_curve", y_true, score, weight);
  size_t m = c.fps.size();
  PrecisionRecallCurve pr;
  pr.precision.resize(m + 1);
  pr.recall.resize(m + 1);
  pr.thresholds.resize(m);
  double total_pos = c.tps.back();
  for (size_t i = 0; i < m; ++i) {
    size_t r = m - 1 - i;  // reversed: increasing thresholds
    double ps = c.tps[i] + c.fps[i];
    pr.precision[r] = ps != 0.0 ? c.tps[i] / ps : 0.0;
    pr.recall[r] = total_pos == 0.0 ? 1.0 : c.tps[i] / total_pos;
    pr.thresholds[r] = c.thresholds[i];
  }
  pr.precision[m] = 1.0;
  pr.recall[m] = 0.0;
  return pr;
}

CalibrationCurve ComputeCalibrationCurve(std::span<const int32_t> y_true,
                                         std::span<const double> prob, int n_bins,
                                         CalibrationStrategy strategy) {
  constexpr std::string_view kWhat = "calibration_curve";
  internal::CheckSizes(kWhat, y_true.size(), prob.size(), {});
  internal::CheckBinaryLabels(kWhat, y_true);
  internal::CheckFinite(kWhat, "y_prob", prob);
  if (n_bins < 1) {
    throw InvalidArgument("calibration_curve: n_bins must be >= 1, got " + std::to_string(n_bins));
  }
  auto [lo, hi] = std::minmax_element(prob.begin(), prob.end());
  if (*lo < 0.0 || *hi > 1.0) {
    throw InvalidArgument("calibration_curve: y_prob has values outside [0, 1]");
  }

  // The inner bin edges bins[1:-1]. np.linspace(0, 1, n + 1)[i] = i * (1 / n).
  double step = 1.0 / n_bins;
  std::vector<double> edges(static_cast<size_t>(n_bins - 1));
  if (strategy == CalibrationStrategy::kUniform) {
    for (int i = 1; i < n_bins; ++i) edges[i - 1] = i * step;
  } else {
    // np.percentile(prob, linspace(0, 1, n + 1) * 100), method "linear".
    std::vector<double> sorted(prob.begin(), prob.end());
    std::sort(sorted.begin(), sorted.end());
    double n = static_cast<double>(sorted.size());
    for (int i = 1; i < n_bins; ++i) {
      double q = (i * step * 100.0) / 100.0;
      double virt = (n - 1) * q;
      double prev = std::floor(virt);
      if (virt >= n - 1) {
        edges[i - 1] = sorted.back();
        continue;
      }
      double gamma = virt - prev;
      double a = sorted[static_cast<size_t>(prev)];
      double b = sorted[static_cast<size_t>(prev) + 1];
      double diff = b - a;  // numpy's _lerp
      edges[i - 1] = gamma >= 0.5 ? b - diff * (1 - gamma) : a + diff * gamma;
    }
  }

  size_t bins = static_cast<size_t>(n_bins);
  std::vector<double> sums(bins, 0.0);
  std::vector<double> trues(bins, 0.0);
  std::vector<int64_t> totals(bins, 0);
  for (size_t i = 0; i < prob.size(); ++i) {
    size_t b =
        static_cast<size_t>(std::lower_bound(edges.begin(), edges.end(), prob[i]) - edges.begin());
    sums[b] += prob[i];
    trues[b] += y_true[i] == 1 ? 1.0 : 0.0;
    ++totals[b];
  }
  CalibrationCurve cc;
  for (size_t b = 0; b < bins; ++b) {
    if (totals[b] == 0) continue;
    cc.prob_true.push_back(trues[b] / static_cast<double>(totals[b]));
    cc.prob_pred.push_back(sums[b] / static_cast<double>(totals[b]));
  }
  return cc;
}

GainCurve ComputeGainCurve(std::span<const int32_t> y_true, std::span<const double> score,
                           int points, std::span<const double> weight) {
  if (points < 1) {
    throw InvalidArgument("gain curve: points must be >= 1, got " + std::to_string(points));
  }
  ClfCurve c = BinaryClfCurve("gain curve", y_true, score, weight);
  double total_pos = c.tps.back();
  double total = c.tps.back() + c.fps.back();
  if (total_pos <= 0) {
    throw InvalidArgument("gain curve: y_true has no positive samples (with non-zero weight)");
  }
  GainCurve g;
  g.fraction.reserve(points);
  g.gain.reserve(points);
  g.lift.reserve(points);
  size_t group = 0;  // the first tie group whose cumulative population reaches the target
  for (int k = 1; k <= points; ++k) {
    double f = static_cast<double>(k) / points;
    double target = f * total;
    while (group + 1 < c.tps.size() && c.tps[group] + c.fps[group] < target) ++group;
    double pop_hi = c.tps[group] + c.fps[group];
    double pop_lo = group == 0 ? 0.0 : c.tps[group - 1] + c.fps[group - 1];
    double pos_lo = group == 0 ? 0.0 : c.tps[group - 1];
    double frac = pop_hi > pop_lo ? std::min(1.0, (target - pop_lo) / (pop_hi - pop_lo)) : 1.0;
    double captured = pos_lo + (c.tps[group] - pos_lo) * frac;
    double gain = captured / total_pos;
    g.fraction.push_back(f);
    g.gain.push_back(gain);
    g.lift.push_back(gain / f);
  }
  return g;
}

ThresholdChoice BestThreshold(ThresholdMetric metric, std::span<const int32_t> y_true,
                              std::span<const double> score, std::span<const double> weight) {
  ClfCurve c = BinaryClfCurve("best threshold", y_true, score, weight);
  double pos = c.tps.back();
  double neg = c.fps.back();
  if (pos <= 0 || neg <= 0) {
    throw InvalidArgument(
        "best threshold: y_true must contain both classes (with non-zero weight)");
  }
  auto value = [&](double tp, double fp) {
    double tpr = tp / pos;
    double tnr = (neg - fp) / neg;
    switch (metric) {
      case ThresholdMetric::kF1: {
        // sklearn: p = tp / (tp + fp) (0 when nothing is predicted), r = tp / P,
        // f = 2 p r / (p + r) (0 when p + r = 0).
        double p = tp + fp != 0.0 ? tp / (tp + fp) : 0.0;
        double denom = p + tpr;
        return denom == 0.0 ? 0.0 : 2 * p * tpr / denom;
      }
      case ThresholdMetric::kAccuracy:
        return (tp + (neg - fp)) / (pos + neg);
      case ThresholdMetric::kBalancedAccuracy:
        return (tpr + tnr) / 2;
      case ThresholdMetric::kYouden:
        return tpr - fp / neg;
    }
    return 0.0;
  };
  ThresholdChoice best{c.thresholds[0] + 1, value(0.0, 0.0), true};
  for (size_t i = 0; i < c.tps.size(); ++i) {
    double v = value(c.tps[i], c.fps[i]);
    // Values equal up to rounding (tpr - fpr reached along two paths) count as ties.
    if (v > best.value + 1e-12 * std::max(1.0, std::fabs(best.value))) {
      best = {c.thresholds[i], v, false};
    }
  }
  return best;
}

}  // namespace mloop
