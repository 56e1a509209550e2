#include "mloop/eval/numeric.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "mloop/core/error.h"

namespace mloop::internal {

void CheckSizes(std::string_view what, size_t n, size_t other, std::span<const double> weight) {
  if (n == 0) throw InvalidArgument(std::string(what) + ": no samples");
  if (other != n) {
    throw InvalidArgument(std::string(what) + ": inconsistent lengths (" + std::to_string(n) +
                          " true values, " + std::to_string(other) + " predictions)");
  }
  if (!weight.empty() && weight.size() != n) {
    throw InvalidArgument(std::string(what) + ": " + std::to_string(weight.size()) +
                          " sample weights for " + std::to_string(n) + " samples");
  }
  for (double w : weight) {
    if (!std::isfinite(w)) {
      throw InvalidArgument(std::string(what) + ": sample_weight contains NaN or infinity");
    }
  }
}

void CheckFinite(std::string_view what, std::string_view name, std::span<const double> values) {
  for (double v : values) {
    if (!std::isfinite(v)) {
      throw InvalidArgument(std::string(what) + ": " + std::string(name) +
                            " contains NaN or infinity");
    }
  }
}

void CheckBinaryLabels(std::string_view what, std::span<const int32_t> labels) {
  for (int32_t v : labels) {
    if (v != 0 && v != 1) {
      throw InvalidArgument(std::string(what) + ": binary labels must be 0 or 1, got " +
                            std::to_string(v));
    }
  }
}

void CheckNonNegativeLabels(std::string_view what, std::span<const int32_t> labels) {
  for (int32_t v : labels) {
    if (v < 0) {
      throw InvalidArgument(std::string(what) + ": class labels must be >= 0, got " +
                            std::to_string(v));
    }
  }
}

void ThrowZeroWeightSum(std::string_view what) {
  throw InvalidArgument(std::string(what) + ": sample weights sum to zero, can't be normalized");
}

ClfCurve BinaryClfCurve(std::string_view what, std::span<const int32_t> y_true,
                        std::span<const double> score, std::span<const double> weight) {
  CheckSizes(what, y_true.size(), score.size(), weight);
  CheckBinaryLabels(what, y_true);
  CheckFinite(what, "y_score", score);

  std::vector<uint32_t> order;
  order.reserve(y_true.size());
  for (size_t i = 0; i < y_true.size(); ++i) {
    if (weight.empty() || weight[i] != 0.0) order.push_back(static_cast<uint32_t>(i));
  }
  if (order.empty()) throw InvalidArgument(std::string(what) + ": every sample weight is zero");
  // Descending score; among equal scores the later sample first (NumPy's
  // argsort(kind="mergesort")[::-1]). The order decides how weighted sums round.
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    return score[a] > score[b] || (score[a] == score[b] && a > b);
  });

  ClfCurve c;
  double tp = 0.0;
  double fp = 0.0;
  for (size_t k = 0; k < order.size(); ++k) {
    uint32_t i = order[k];
    bool pos = y_true[i] == 1;
    if (weight.empty()) {
      tp += pos ? 1.0 : 0.0;
    } else {
      // stable_cumsum(y_true * weight) and stable_cumsum((1 - y_true) * weight).
      tp += pos ? weight[i] : 0.0 * weight[i];
      fp += pos ? 0.0 * weight[i] : weight[i];
    }
    bool last = k + 1 == order.size();
    if (last || score[order[k + 1]] != score[i]) {
      c.tps.push_back(tp);
      // Unweighted: fps = 1 + threshold_idx - tps.
      c.fps.push_back(weight.empty() ? 1.0 + static_cast<double>(k) - tp : fp);
      c.thresholds.push_back(score[i]);
    }
  }
  return c;
}

}  // namespace mloop::internal
