#include "mloop/model/evaluate.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <optional>

#include "mloop/core/error.h"
#include "mloop/core/strings.h"
#include "mloop/eval/metrics.h"
#include "mloop/eval/report.h"
#include "mloop/model/evaluate_internal.h"
#include "mloop/model/trainer.h"

namespace mloop {

namespace {

// Keeps the rows whose label is known (and their weights).
void DropUnlabelled(std::vector<double>& y, DenseMatrix& scores, std::vector<double>& weight,
                    int64_t* dropped) {
  std::vector<double> ky, kw;
  DenseMatrix ks(0, scores.cols);
  for (size_t i = 0; i < y.size(); ++i) {
    if (std::isnan(y[i])) continue;
    ky.push_back(y[i]);
    if (!weight.empty()) kw.push_back(weight[i]);
    ks.data.insert(ks.data.end(), scores.row(static_cast<int64_t>(i)),
                   scores.row(static_cast<int64_t>(i)) + scores.cols);
    ++ks.rows;
  }
  *dropped = static_cast<int64_t>(y.size()) - static_cast<int64_t>(ky.size());
  y = std::move(ky);
  scores = std::move(ks);
  weight = std::move(kw);
}

}  // namespace

namespace evaluate_internal {

std::vector<double> WeightsOf(const Table& data, const std::string& column,
                              const std::vector<double>& y) {
  if (column.empty()) return {};
  if (data.schema().IndexOf(column) < 0) {
    throw InvalidArgument("the data has no weight column '" + column + "'" +
                          DidYouMean(column, data.schema().names()));
  }
  const Column& c = data.column(column);
  if (c.type() != DataType::kFloat64 && c.type() != DataType::kInt64 &&
      c.type() != DataType::kBool) {
    throw InvalidArgument("weight column '" + column + "' must be numeric, not " +
                          std::string(DataTypeName(c.type())));
  }
  std::vector<double> w(static_cast<size_t>(data.num_rows()), 0.0);
  double total = 0;
  for (int64_t i = 0; i < data.num_rows(); ++i) {
    if (std::isnan(y[static_cast<size_t>(i)])) continue;  // not evaluated
    const double v = !c.IsValid(i)                    ? std::nan("")
                     : c.type() == DataType::kFloat64 ? c.f64()[i]
                     : c.type() == DataType::kInt64   ? static_cast<double>(c.i64()[i])
                                                      : static_cast<double>(c.bools()[i]);
    if (!std::isfinite(v) || v < 0) {
      throw InvalidArgument("weight column '" + column + "' in row " + std::to_string(i + 1) +
                                (c.IsValid(i) ? " is " + FormatDouble(v) : " is missing") +
                                ": a sample weight must be a finite number >= 0",
                            "give every evaluated row a weight (0 leaves its influence out)");
    }
    w[static_cast<size_t>(i)] = v;
    total += v;
  }
  if (!(total > 0)) {
    throw InvalidArgument("the weights in column '" + column +
                          "' sum to 0 over the evaluated rows");
  }
  return w;
}

Evaluation Finish(Task task, std::vector<double> y, DenseMatrix scores,
                  const std::vector<std::string>& classes,
                  std::vector<std::pair<std::string, double>> importance,
                  const std::string& importance_kind, const EvaluationOptions& options,
                  const std::string& label, std::vector<double> weight, bool predicted_classes) {
  Evaluation ev;
  ev.task = task;
  ev.predicted_classes = predicted_classes;
  if (task == Task::kBinary && classes.size() == 2) ev.positive = classes[1];
  for (size_t i = 0; i < y.size(); ++i) {  // a regression target; as scikit-learn, refused
    if (std::isinf(y[i])) {
      throw InvalidArgument("label column '" + label + "' is infinite in row " +
                                std::to_string(i + 1) + " (" + FormatDouble(y[i]) + ")",
                            "metrics need finite labels; an empty cell or NaN leaves a row out");
    }
  }
  DropUnlabelled(y, scores, weight, &ev.dropped_rows);
  ev.rows = static_cast<int64_t>(y.size());
  if (ev.rows == 0) throw InvalidArgument("no row has a known label to evaluate against");
  ev.metrics = StandardMetrics(task, y, scores, weight, &ev.undefined);
  if (predicted_classes) {
    std::erase_if(ev.metrics, [](const auto& m) { return NeedsScores(m.first); });
    std::erase_if(ev.undefined, [](const auto& m) { return NeedsScores(m.first); });
  }
  std::vector<double> score;
  if (task != Task::kMulticlass) score.assign(scores.data.begin(), scores.data.end());
  if (options.business) {
    if (task != Task::kBinary) {
      throw InvalidArgument("business value needs a binary classifier, this task is " +
                            std::string(TaskName(task)));
    }
    if (predicted_classes && options.threshold != 0.5) {
      throw InvalidArgument("--threshold applies to scores, and these predictions are classes",
                            "the business value is that of the predicted classes as they are");
    }
    std::vector<int32_t> labels(y.begin(), y.end());
    ev.business = EvaluateBusiness(labels, score, weight, *options.business, options.threshold);
    // Classes have no other threshold to act at: the value is that of the decisions made.
    if (predicted_classes) {
      ev.business->best = ev.business->at_threshold;
      ev.business->predicted_classes = true;
    }
  }
  if (task == Task::kBinary && !predicted_classes) {
    const std::vector<int32_t> labels(y.begin(), y.end());
    const std::pair<const char*, ThresholdMetric> kChoices[] = {
        {"f1", ThresholdMetric::kF1},
        {"accuracy", ThresholdMetric::kAccuracy},
        {"balanced_accuracy", ThresholdMetric::kBalancedAccuracy},
        {"youden", ThresholdMetric::kYouden}};
    for (const auto& [name, metric] : kChoices) {
      try {
        ev.best_thresholds[name] = BestThreshold(metric, labels, score, weight);
      } catch (const Error&) {
        break;  // one class only: no threshold separates them
      }
    }
  }
  EvalReport report;
  report.title = options.title;
  report.model_facts = options.facts;
  report.task = task;
  report.y_true = y;
  report.weights = weight;
  if (task == Task::kMulticlass) {
    report.proba = &scores;
  } else {
    report.scores = score;
  }
  report.predicted_classes = predicted_classes;
  report.class_labels = classes;
  report.metrics = ev.metrics;
  report.feature_importance = std::move(importance);
  report.importance_kind = importance_kind;
  if (ev.business) {
    report.business = ev.business;
    report.business_spec = options.business;
  }
  ev.html = RenderEvalReport(report);
  return ev;
}

}  // namespace evaluate_internal

using evaluate_internal::Finish;
using evaluate_internal::WeightsOf;

Evaluation EvaluateModel(const ModelBundle& bundle, const Predictor& predictor, const Table& data,
                         const EvaluationOptions& options) {
  const Target& target = predictor.target();
  if (target.task == Task::kClustering) {
    throw InvalidArgument("evaluating a clustering model is not supported yet",
                          "its silhouette is recorded in the training run");
  }
  if (target.column.empty()) {
    throw InvalidArgument(
        "the model names no target column to evaluate against (it was "
        "imported without --target)",
        "import it again with --target COL, or score its predictions with "
        "`mloop eval --predictions FILE --label COL --score COL`");
  }
  if (data.schema().IndexOf(target.column) < 0) {
    throw InvalidArgument("the data has no column '" + target.column +
                          "', the model's target, to evaluate against");
  }
  // The model's inputs first: data of another problem lacks them, and its labels' mismatch
  // would say less.
  DenseMatrix scores = predictor.Scores(data);
  std::vector<double> y = target.Encode(data);
  target.RequireKnownLabels(data, y, "the data");
  std::vector<std::pair<std::string, double>> importance;
  if (bundle.manifest.contains("feature_importance")) {
    for (const auto& [k, v] : bundle.manifest["feature_importance"].items()) {
      importance.emplace_back(k, v.get<double>());
    }
  }
  std::vector<double> weight = WeightsOf(data, options.weight_column, y);
  std::vector<std::string> classes = target.classes;
  if (!options.positive.empty()) {
    if (target.task != Task::kBinary) {
      throw UsageError("--positive applies to binary models; this one is " +
                       std::string(TaskName(target.task)));
    }
    const auto it = std::find(classes.begin(), classes.end(), options.positive);
    if (it == classes.end()) {
      throw InvalidArgument("--positive '" + options.positive + "' is not a class of the model",
                            "its classes: " + Join(classes, ", "));
    }
    if (it == classes.begin()) {  // the model scores the other class: turn the problem around
      std::swap(classes[0], classes[1]);
      for (double& v : y) v = std::isnan(v) ? v : 1.0 - v;
      for (double& v : scores.data) v = 1.0 - v;
    }
  }
  // What the manifest's importance measures (docs/formats.md, feature_importance).
  const std::string algorithm = bundle.manifest.value("algorithm", "");
  const std::string kind = algorithm == "linear" || algorithm == "logistic" ? "|coefficient|"
                           : algorithm == "xgboost" || algorithm == "random_forest" ? "gain"
                                                                                    : "importance";
  return Finish(target.task, std::move(y), std::move(scores), classes, std::move(importance), kind,
                options, target.column, std::move(weight));
}

}  // namespace mloop
