// ComputeMetric / MetricNames (metrics.h): the metrics by name, as configs and the CLI name them.
#include <algorithm>
#include <cmath>
#include <functional>
#include <string>

#include "mloop/core/error.h"
#include "mloop/core/strings.h"
#include "mloop/eval/metrics.h"

namespace mloop {
namespace {

// y_true as class indices; a value that is not a non-negative integer is InvalidArgument.
std::vector<int32_t> TrueLabels(const std::string& metric, const EvalInputs& in) {
  if (in.y_true.empty()) throw InvalidArgument("metric '" + metric + "' needs y_true");
  std::vector<int32_t> out(in.y_true.size());
  for (size_t i = 0; i < out.size(); ++i) {
    double v = in.y_true[i];
    if (!(v >= 0 && v <= 2147483647.0) || v != std::floor(v)) {
      throw InvalidArgument("metric '" + metric + "': y_true[" + std::to_string(i) +
                            "] = " + std::to_string(v) + " is not a class index");
    }
    out[i] = static_cast<int32_t>(v);
  }
  return out;
}

// The class-1 score of a binary classifier: y_score, or a 1-column proba, or column 1 of a
// 2-column proba.
std::vector<double> BinaryScore(const std::string& metric, const EvalInputs& in) {
  if (!in.y_score.empty()) return {in.y_score.begin(), in.y_score.end()};
  if (in.proba != nullptr && (in.proba->cols == 1 || in.proba->cols == 2)) {
    std::vector<double> out(static_cast<size_t>(in.proba->rows));
    for (int64_t i = 0; i < in.proba->rows; ++i) out[i] = in.proba->at(i, in.proba->cols - 1);
    return out;
  }
  throw InvalidArgument("metric '" + metric +
                        "' needs y_score (the score of class 1) or a 1- or 2-column proba");
}

const DenseMatrix& Proba(const std::string& metric, const EvalInputs& in) {
  if (in.proba == nullptr) {
    throw InvalidArgument("metric '" + metric + "' needs proba (n x k class probabilities)");
  }
  return *in.proba;
}

// Predicted labels: y_pred, else derived from the scores (metrics.h).
std::vector<int32_t> PredLabels(const std::string& metric, const EvalInputs& in) {
  if (!in.y_pred.empty()) return {in.y_pred.begin(), in.y_pred.end()};
  if (in.y_score.empty() && in.proba != nullptr && in.proba->cols >= 2) {
    const DenseMatrix& p = *in.proba;
    std::vector<int32_t> out(static_cast<size_t>(p.rows));
    for (int64_t i = 0; i < p.rows; ++i) {
      const double* row = p.row(i);
      out[i] = static_cast<int32_t>(std::max_element(row, row + p.cols) - row);
    }
    return out;
  }
  if (!in.y_score.empty() || in.proba != nullptr) {
    std::vector<double> score = BinaryScore(metric, in);
    std::vector<int32_t> out(score.size());
    for (size_t i = 0; i < score.size(); ++i) out[i] = score[i] > 0.5 ? 1 : 0;
    return out;
  }
  throw InvalidArgument("metric '" + metric + "' needs y_pred (predicted labels) or scores");
}

ValueSpan Predictions(const std::string& metric, const EvalInputs& in) {
  if (in.y_score.empty()) throw InvalidArgument("metric '" + metric + "' needs y_score");
  return in.y_score;
}

using Fn = std::function<double(const std::string&, const EvalInputs&)>;

struct Entry {
  std::string name;
  unsigned tasks;  // bit per Task
  bool greater_is_better;
  Fn fn;
  // Measures the scores or probabilities, not only the predicted classes (see NeedsScores).
  bool from_scores = false;
};

constexpr unsigned Bit(Task t) {
  return 1u << static_cast<unsigned>(t);
}
constexpr unsigned kBin = Bit(Task::kBinary);
constexpr unsigned kMulti = Bit(Task::kMulticlass);
constexpr unsigned kClf = kBin | kMulti;

Fn LabelMetric(double (*f)(LabelSpan, LabelSpan, ValueSpan)) {
  return [f](const std::string& name, const EvalInputs& in) {
    return f(TrueLabels(name, in), PredLabels(name, in), in.weight);
  };
}

Fn PrfMetric(int which, double beta, Average average) {
  return [=](const std::string& name, const EvalInputs& in) {
    PrecisionRecallF r =
        PrecisionRecallFScore(TrueLabels(name, in), PredLabels(name, in), beta, average, in.weight);
    return which == 0 ? r.precision : which == 1 ? r.recall : r.f;
  };
}

Fn BinaryScoreMetric(double (*f)(LabelSpan, ValueSpan, ValueSpan)) {
  return [f](const std::string& name, const EvalInputs& in) {
    return f(TrueLabels(name, in), BinaryScore(name, in), in.weight);
  };
}

Fn RegressionMetric(double (*f)(ValueSpan, ValueSpan, ValueSpan)) {
  return [f](const std::string& name, const EvalInputs& in) {
    return f(in.y_true, Predictions(name, in), in.weight);
  };
}

std::vector<Entry> BuildEntries() {
  std::vector<Entry> e;
  e.push_back({"roc_auc", kBin, true, BinaryScoreMetric(&RocAuc), true});
  for (Average a : {Average::kMacro, Average::kWeighted, Average::kMicro}) {
    std::string suffix = a == Average::kMacro      ? "macro"
                         : a == Average::kWeighted ? "weighted"
                                                   : "micro";
    e.push_back({"roc_auc_ovr_" + suffix, kMulti, true,
                 [a](const std::string& name, const EvalInputs& in) {
                   return RocAucOvr(TrueLabels(name, in), Proba(name, in), a, in.weight);
                 },
                 true});
  }
  e.push_back({"log_loss", kClf, false,
               [](const std::string& name, const EvalInputs& in) {
                 if (in.proba != nullptr && in.y_score.empty()) {
                   return LogLoss(TrueLabels(name, in), *in.proba, in.weight);
                 }
                 return LogLoss(TrueLabels(name, in), BinaryScore(name, in), in.weight);
               },
               true});
  e.push_back({"accuracy", kClf, true, LabelMetric(&Accuracy)});
  e.push_back({"balanced_accuracy", kClf, true, LabelMetric(&BalancedAccuracy)});
  const std::pair<const char*, double> kScores[] = {
      {"precision", 1.0}, {"recall", 1.0}, {"f1", 1.0}, {"f0.5", 0.5}, {"f2", 2.0}};
  for (int i = 0; i < 5; ++i) {
    auto [base, beta] = kScores[i];
    int which = std::min(i, 2);
    e.push_back({base, kBin, true, PrfMetric(which, beta, Average::kBinary)});
    e.push_back(
        {std::string(base) + "_micro", kClf, true, PrfMetric(which, beta, Average::kMicro)});
    e.push_back(
        {std::string(base) + "_macro", kClf, true, PrfMetric(which, beta, Average::kMacro)});
    e.push_back(
        {std::string(base) + "_weighted", kClf, true, PrfMetric(which, beta, Average::kWeighted)});
  }
  e.push_back({"average_precision", kBin, true, BinaryScoreMetric(&AveragePrecision), true});
  e.push_back({"brier", kBin, false, BinaryScoreMetric(&BrierScore), true});
  unsigned reg = Bit(Task::kRegression);
  e.push_back({"rmse", reg, false, RegressionMetric(&RootMeanSquaredError)});
  e.push_back({"mse", reg, false, RegressionMetric(&MeanSquaredError)});
  e.push_back({"mae", reg, false, RegressionMetric(&MeanAbsoluteError)});
  e.push_back({"r2", reg, true, RegressionMetric(&R2)});
  e.push_back({"mape", reg, false, RegressionMetric(&MeanAbsolutePercentageError)});
  e.push_back({"explained_variance", reg, true, RegressionMetric(&ExplainedVariance)});
  e.push_back({"silhouette", Bit(Task::kClustering), true,
               [](const std::string& name, const EvalInputs& in) {
                 if (in.x == nullptr) throw InvalidArgument("metric 'silhouette' needs x");
                 if (in.y_pred.empty()) {
                   throw InvalidArgument("metric 'silhouette' needs y_pred (cluster labels)");
                 }
                 (void)name;
                 return Silhouette(*in.x, in.y_pred);
               }});
  return e;
}

const std::vector<Entry>& Entries() {
  static const std::vector<Entry> entries = BuildEntries();
  return entries;
}

const Entry& Find(const std::string& name) {
  for (const Entry& e : Entries()) {
    if (e.name == name) return e;
  }
  std::vector<std::string> names = AllMetricNames();
  throw InvalidArgument("unknown metric '" + name + "'" + DidYouMean(name, names),
                        "metrics: " + Join(names, ", "));
}

}  // namespace

double ComputeMetric(const std::string& name, const EvalInputs& in) {
  return Find(name).fn(name, in);
}

std::vector<std::string> MetricNames(Task task) {
  std::vector<std::string> names;
  for (const Entry& e : Entries()) {
    if (e.tasks & Bit(task)) names.push_back(e.name);
  }
  if (task == Task::kMulticlass) {
    // The default of a multiclass task is log_loss (roc_auc_ovr_* come after it).
    std::stable_partition(names.begin(), names.end(),
                          [](const std::string& n) { return n == "log_loss"; });
  }
  return names;
}

std::vector<std::string> AllMetricNames() {
  std::vector<std::string> names;
  for (const Entry& e : Entries()) names.push_back(e.name);
  std::sort(names.begin(), names.end());
  return names;
}

std::string CanonicalMetricName(const std::string& name) {
  if (name == "auc") return "roc_auc";
  if (name == "logloss") return "log_loss";
  return name;
}

bool GreaterIsBetter(const std::string& name) {
  return Find(name).greater_is_better;
}

bool NeedsScores(const std::string& name) {
  return Find(name).from_scores;
}

}  // namespace mloop
