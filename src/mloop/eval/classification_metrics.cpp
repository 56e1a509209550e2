// Classification metrics from predicted labels and from probabilities (metrics.h), following
// sklearn/metrics/_classification.py (1.2) step by step.
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>
#include <string>

#include "mloop/core/error.h"
#include "mloop/eval/metrics.h"
#include "mloop/eval/numeric.h"

namespace mloop {

using internal::CheckBinaryLabels;
using internal::CheckFinite;
using internal::CheckNonNegativeLabels;
using internal::CheckSizes;
using internal::PairwiseSum;
using internal::WeightedMean;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void CheckLabelPair(std::string_view what, LabelSpan y_true, LabelSpan y_pred, ValueSpan weight) {
  CheckSizes(what, y_true.size(), y_pred.size(), weight);
  CheckNonNegativeLabels(what, y_true);
  CheckNonNegativeLabels(what, y_pred);
}

// sklearn's unique_labels(y_true, y_pred): the sorted distinct labels of both.
std::vector<int32_t> PresentLabels(LabelSpan y_true, LabelSpan y_pred) {
  std::vector<int32_t> labels(y_true.begin(), y_true.end());
  labels.insert(labels.end(), y_pred.begin(), y_pred.end());
  std::sort(labels.begin(), labels.end());
  labels.erase(std::unique(labels.begin(), labels.end()), labels.end());
  return labels;
}

// Maps a label to its position in `labels` (sorted); labels.size() when absent.
class LabelIndex {
 public:
  explicit LabelIndex(const std::vector<int32_t>& labels) : labels_(labels) {
    if (!labels.empty() && labels.back() < static_cast<int32_t>(4 * labels.size() + 64)) {
      dense_.assign(static_cast<size_t>(labels.back()) + 1, labels.size());
      for (size_t i = 0; i < labels.size(); ++i) dense_[static_cast<size_t>(labels[i])] = i;
    }
  }
  size_t operator()(int32_t label) const {
    if (!dense_.empty()) {
      return static_cast<size_t>(label) < dense_.size() ? dense_[static_cast<size_t>(label)]
                                                        : labels_.size();
    }
    auto it = std::lower_bound(labels_.begin(), labels_.end(), label);
    return it != labels_.end() && *it == label ? static_cast<size_t>(it - labels_.begin())
                                               : labels_.size();
  }

 private:
  const std::vector<int32_t>& labels_;
  std::vector<size_t> dense_;
};

double Mean(const std::vector<double>& v, const std::vector<double>* weights) {
  if (weights == nullptr) {
    return PairwiseSum(v.size(), [&](size_t i) { return v[i]; }) / static_cast<double>(v.size());
  }
  return WeightedMean(v.size(), *weights, [&](size_t i) { return v[i]; });
}

}  // namespace

double Accuracy(LabelSpan y_true, LabelSpan y_pred, ValueSpan weight) {
  CheckLabelPair("accuracy", y_true, y_pred, weight);
  return WeightedMean(y_true.size(), weight,
                      [&](size_t i) { return y_true[i] == y_pred[i] ? 1.0 : 0.0; });
}

double BalancedAccuracy(LabelSpan y_true, LabelSpan y_pred, ValueSpan weight) {
  CheckLabelPair("balanced_accuracy", y_true, y_pred, weight);
  std::vector<int32_t> labels = PresentLabels(y_true, y_pred);
  LabelIndex index(labels);
  size_t k = labels.size();
  // confusion_matrix(y_true, y_pred, sample_weight=w); diag / row sums.
  std::vector<double> cm(k * k, 0.0);
  for (size_t i = 0; i < y_true.size(); ++i) {
    cm[index(y_true[i]) * k + index(y_pred[i])] += weight.empty() ? 1.0 : weight[i];
  }
  std::vector<double> per_class;
  for (size_t c = 0; c < k; ++c) {
    double row = PairwiseSum(k, [&](size_t j) { return cm[c * k + j]; });
    double r = cm[c * k + c] / row;
    if (!std::isnan(r)) per_class.push_back(r);  // classes absent from y_true are dropped
  }
  if (per_class.empty()) return kNaN;
  return Mean(per_class, nullptr);
}

PrecisionRecallF PrecisionRecallFScore(LabelSpan y_true, LabelSpan y_pred, double beta,
                                       Average average, ValueSpan weight) {
  constexpr std::string_view kWhat = "precision_recall_fscore";
  CheckLabelPair(kWhat, y_true, y_pred, weight);
  if (!(beta >= 0)) throw InvalidArgument("beta should be >=0 in the F-beta score");
  std::vector<int32_t> labels;
  if (average == Average::kBinary) {
    for (LabelSpan y : {y_true, y_pred}) {
      for (int32_t v : y) {
        if (v != 0 && v != 1) {
          throw InvalidArgument(
              "Target is multiclass but average='binary'. Please choose another average "
              "setting, one of micro, macro, weighted");
        }
      }
    }
    labels = {1};
  } else {
    labels = PresentLabels(y_true, y_pred);
  }
  LabelIndex index(labels);
  size_t k = labels.size();
  // multilabel_confusion_matrix: bincount sums in sample order.
  std::vector<double> tp(k, 0.0);
  std::vector<double> pred(k, 0.0);
  std::vector<double> truth(k, 0.0);
  for (size_t i = 0; i < y_true.size(); ++i) {
    double w = weight.empty() ? 1.0 : weight[i];
    size_t t = index(y_true[i]);
    size_t p = index(y_pred[i]);
    if (t < k) truth[t] += w;
    if (p < k) pred[p] += w;
    if (t < k && y_true[i] == y_pred[i]) tp[t] += w;
  }
  // MCM stores fp = pred - tp and fn = true - tp; pred_sum = tp + fp and true_sum = tp + fn are
  // rebuilt from them (which can differ from pred / true in the last bit).
  for (size_t c = 0; c < k; ++c) {
    pred[c] = tp[c] + (pred[c] - tp[c]);
    truth[c] = tp[c] + (truth[c] - tp[c]);
  }
  if (average == Average::kMicro) {
    tp = {internal::Sum(tp)};
    pred = {internal::Sum(pred)};
    truth = {internal::Sum(truth)};
    k = 1;
  }
  double beta2 = beta * beta;
  std::vector<double> precision(k);
  std::vector<double> recall(k);
  std::vector<double> f(k);
  for (size_t c = 0; c < k; ++c) {
    precision[c] = pred[c] == 0.0 ? 0.0 : tp[c] / pred[c];  // zero_division: 0.0 (warns)
    recall[c] = truth[c] == 0.0 ? 0.0 : tp[c] / truth[c];
    if (std::isinf(beta)) {
      f[c] = recall[c];
    } else {
      double denom = beta2 * precision[c] + recall[c];
      if (denom == 0.0) denom = 1;
      f[c] = (1 + beta2) * precision[c] * recall[c] / denom;
    }
  }
  const std::vector<double>* weights = nullptr;
  if (average == Average::kWeighted) {
    // Every class has zero support: sklearn returns zero_division (0.0) or 0.0.
    if (internal::Sum(truth) == 0.0) return {0.0, 0.0, 0.0};
    weights = &truth;
  }
  return {Mean(precision, weights), Mean(recall, weights), Mean(f, weights)};
}

double Precision(LabelSpan y_true, LabelSpan y_pred, Average average, ValueSpan weight) {
  return PrecisionRecallFScore(y_true, y_pred, 1.0, average, weight).precision;
}
double Recall(LabelSpan y_true, LabelSpan y_pred, Average average, ValueSpan weight) {
  return PrecisionRecallFScore(y_true, y_pred, 1.0, average, weight).recall;
}
double FBeta(LabelSpan y_true, LabelSpan y_pred, double beta, Average average, ValueSpan weight) {
  return PrecisionRecallFScore(y_true, y_pred, beta, average, weight).f;
}
double F1(LabelSpan y_true, LabelSpan y_pred, Average average, ValueSpan weight) {
  return PrecisionRecallFScore(y_true, y_pred, 1.0, average, weight).f;
}

DenseMatrix ConfusionMatrix(LabelSpan y_true, LabelSpan y_pred, int num_classes, ValueSpan weight) {
  CheckLabelPair("confusion_matrix", y_true, y_pred, weight);
  if (num_classes <= 0) {
    int32_t top = 0;
    for (LabelSpan y : {y_true, y_pred}) top = std::max(top, *std::max_element(y.begin(), y.end()));
    num_classes = top + 1;
  }
  DenseMatrix cm(num_classes, num_classes, 0.0);
  for (size_t i = 0; i < y_true.size(); ++i) {
    if (y_true[i] >= num_classes || y_pred[i] >= num_classes) continue;
    cm.at(y_true[i], y_pred[i]) += weight.empty() ? 1.0 : weight[i];
  }
  return cm;
}

// ---- Probabilities ------------------------------------------------------------------------

namespace {

constexpr double kEps = DBL_EPSILON;  // np.finfo(np.float64).eps, log_loss's eps="auto"

double Clip(double p) {
  return std::min(std::max(p, kEps), 1 - kEps);
}

}  // namespace

double LogLoss(LabelSpan y_true, ValueSpan prob1, ValueSpan weight) {
  constexpr std::string_view kWhat = "log_loss";
  CheckSizes(kWhat, y_true.size(), prob1.size(), weight);
  CheckBinaryLabels(kWhat, y_true);
  CheckFinite(kWhat, "y_pred", prob1);
  return WeightedMean(y_true.size(), weight, [&](size_t i) {
    double q = Clip(prob1[i]);
    double q0 = 1 - q;
    double sum = q0 + q;
    return -std::log((y_true[i] == 1 ? q : q0) / sum);
  });
}

double LogLoss(LabelSpan y_true, const DenseMatrix& proba, ValueSpan weight) {
  constexpr std::string_view kWhat = "log_loss";
  if (proba.cols == 1) {
    return LogLoss(y_true, ValueSpan(proba.data.data(), static_cast<size_t>(proba.rows)), weight);
  }
  CheckSizes(kWhat, y_true.size(), static_cast<size_t>(proba.rows), weight);
  CheckFinite(kWhat, "y_pred", proba.data);
  if (proba.cols < 2) throw InvalidArgument("log_loss: the probability matrix has no columns");
  size_t k = static_cast<size_t>(proba.cols);
  for (int32_t v : y_true) {
    if (v < 0 || static_cast<size_t>(v) >= k) {
      throw InvalidArgument("log_loss: label " + std::to_string(v) + " has no column among the " +
                            std::to_string(k) + " probability columns");
    }
  }
  return WeightedMean(y_true.size(), weight, [&](size_t i) {
    const double* row = proba.row(static_cast<int64_t>(i));
    double sum = PairwiseSum(k, [&](size_t j) { return Clip(row[j]); });
    return -std::log(Clip(row[y_true[i]]) / sum);
  });
}

double BrierScore(LabelSpan y_true, ValueSpan prob1, ValueSpan weight) {
  constexpr std::string_view kWhat = "brier_score_loss";
  CheckSizes(kWhat, y_true.size(), prob1.size(), weight);
  CheckBinaryLabels(kWhat, y_true);
  CheckFinite(kWhat, "y_prob", prob1);
  auto [lo, hi] = std::minmax_element(prob1.begin(), prob1.end());
  if (*hi > 1) throw InvalidArgument("brier_score_loss: y_prob contains values greater than 1");
  if (*lo < 0) throw InvalidArgument("brier_score_loss: y_prob contains values less than 0");
  return WeightedMean(y_true.size(), weight, [&](size_t i) {
    double d = static_cast<double>(y_true[i]) - prob1[i];
    return d * d;
  });
}

}  // namespace mloop
