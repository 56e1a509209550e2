// mloop eval MODEL --data DATASET|FILE | mloop eval --predictions FILE --label COL --score COL
// Exit code 3 when a quality gate (--fail-under / --fail-over) misses.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <iostream>

#include "cli.h"
#include "mloop/core/error.h"
#include "mloop/core/strings.h"
#include "mloop/data/datasets.h"
#include "mloop/eval/metrics.h"
#include "mloop/io/atomic_file.h"
#include "mloop/io/csv_reader.h"
#include "mloop/io/jsonl_reader.h"
#include "mloop/model/evaluate.h"
#include "mloop/track/registry.h"

namespace mloop::cli {

namespace {

// Labels with fractions and scores of only 0 and 1: --label and --score given the wrong way
// round (the labels then look continuous, and the job quietly becomes a regression).
bool LooksSwapped(const Table& t, const std::string& label, const std::string& score) {
  const Column& l = t.column(label);
  const Column& s = t.column(score);
  if (l.type() != DataType::kFloat64) return false;
  bool fraction = false;
  for (int64_t i = 0; i < t.num_rows() && !fraction; ++i) {
    fraction = l.IsValid(i) && std::isfinite(l.f64()[i]) && l.f64()[i] != std::floor(l.f64()[i]);
  }
  if (!fraction) return false;
  for (int64_t i = 0; i < t.num_rows(); ++i) {
    if (!s.IsValid(i)) continue;
    const double v = s.type() == DataType::kFloat64 ? s.f64()[i]
                     : s.type() == DataType::kInt64 ? static_cast<double>(s.i64()[i])
                     : s.type() == DataType::kBool  ? s.bools()[i]
                                                    : 0.5;
    if (v != 0 && v != 1) return false;
  }
  return true;
}

struct EvalArgs {
  std::string model, data, business, html, predictions, label, score, positive, task, weight;
  std::string best_threshold;  // a metric whose best threshold is printed
  std::vector<std::string> fail_under, fail_over;
  double threshold = 0.5;
  bool threshold_given = false;
  bool json = false;
};

struct Gate {
  std::string metric;
  double bound;
  bool under;  // true: fail when metric < bound; false: fail when metric > bound
};

std::vector<Gate> ParseGates(const EvalArgs& a) {
  std::vector<Gate> gates;
  auto parse = [&](const std::string& spec, bool under) {
    size_t eq = spec.find('=');
    double v = 0;
    bool ok = eq != std::string::npos && eq > 0;
    if (ok) {
      try {
        size_t used = 0;
        v = std::stod(spec.substr(eq + 1), &used);
        // A NaN or infinite bound would always or never fail.
        ok = used == spec.size() - eq - 1 && std::isfinite(v);
      } catch (const std::exception&) {
        ok = false;
      }
    }
    if (!ok) {
      throw UsageError(std::string(under ? "--fail-under" : "--fail-over") +
                       " expects METRIC=NUMBER, got '" + spec + "'");
    }
    // Names in any case, with spaces around them ("AUC = 0.8").
    const std::string written = spec.substr(0, eq);
    const size_t first = written.find_first_not_of(' ');
    const std::string name = CanonicalMetricName(
        AsciiLower(first == std::string::npos
                       ? ""
                       : written.substr(first, written.find_last_not_of(' ') + 1 - first)));
    auto names = AllMetricNames();
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      throw UsageError(
          "unknown metric '" + name + "' in a quality gate" + DidYouMean(name, names),
          "metrics: " + Join(names, ", ") + " (auc and logloss name roc_auc and log_loss)");
    }
    gates.push_back({name, v, under});
  };
  for (const auto& s : a.fail_under) parse(s, true);
  for (const auto& s : a.fail_over) parse(s, false);
  return gates;
}

// When `data` names the dataset version the model was trained on (the same content), metrics on
// it mostly measure rows the model learned from: a warning says so. Empty otherwise (a data
// file, or other data).
std::string TrainingDataWarning(Workspace& ws, const ModelBundle& bundle,
                                const std::string& model_hash, const std::string& data) {
  if (std::filesystem::exists(data)) return "";
  const nlohmann::json lineage = bundle.manifest.value("lineage", nlohmann::json::object());
  const std::string trained_on = lineage.value("/dataset/hash"_json_pointer, std::string());
  if (trained_on.empty()) return "";
  DatasetVersion v;
  try {
    v = ResolveDataset(ws, DatasetRefArg(data));
  } catch (const Error&) {
    return "";  // LoadTableArg reports it
  }
  if (v.content_hash != trained_on) return "";
  const std::string split = lineage.value("split", std::string());
  // The run that trained it, if it is this workspace's (an imported model's lineage names a
  // run of the workspace it came from).
  const int64_t run_id = TrainingRunOf(ws, bundle.manifest, model_hash);
  const std::string run =
      run_id ? " (`mloop runs show " + std::to_string(run_id) + "`)" : std::string();
  return v.name + "@" + std::to_string(v.version) + " is the data the model was trained on: " +
         (split == "none" ? "every row" : "most rows (split " + split + ")") +
         " trained it, so these metrics overstate its quality on new data; evaluate on data it "
         "has not seen" +
         (split == "none" ? "" : ", or read its validation metrics" + run);
}

int RunEval(const GlobalOptions& global, const EvalArgs& a) {
  const bool from_predictions = !a.predictions.empty();
  if (a.model.find('=') != std::string::npos) {  // `--fail-under auc=0.9 f1=0.8`
    throw UsageError(
        "unexpected argument '" + a.model + "': a quality gate takes one METRIC=VALUE per flag",
        "repeat the flag: --fail-under auc=0.9 --fail-under f1=0.8");
  }
  if (!std::isfinite(a.threshold)) {
    throw UsageError("--threshold must be a finite number, not " + FormatDouble(a.threshold));
  }
  // The metrics take the class scikit-learn predicts (score > 0.5): a threshold without
  // business values would change nothing, silently.
  if (a.threshold_given && a.business.empty()) {
    throw UsageError("--threshold is the operating threshold of --business FILE's value",
                     "the metrics use the predicted class (score > 0.5), as scikit-learn; the "
                     "HTML report's threshold table shows precision and recall at others");
  }
  if (from_predictions && (!a.model.empty() || !a.data.empty())) {
    throw UsageError("give either MODEL --data ... or --predictions FILE, not both");
  }
  if (!a.html.empty()) {
    CheckOutputPath(a.html, "--html");
    RefuseOverwritingInput(a.html, from_predictions ? a.predictions : a.data, "--html");
    RefuseOverwritingInput(a.html, a.business, "--html");
  }
  if (!from_predictions && (a.model.empty() || a.data.empty())) {
    throw UsageError(
        "nothing to evaluate: give MODEL --data DATASET, or --predictions FILE "
        "--label COL --score COL");
  }
  if (from_predictions && (a.label.empty() || a.score.empty())) {
    throw UsageError("--predictions needs --label COL and --score COL");
  }
  if (from_predictions && a.label == a.score) {  // a perfect score, whatever the predictions
    throw UsageError("--label and --score both name column '" + a.label + "'",
                     "--label is the column of true values, --score the one of predictions");
  }
  if (!a.weight.empty() && (a.weight == a.label || a.weight == a.score)) {
    throw UsageError("--weight names column '" + a.weight + "', which is also the " +
                     (a.weight == a.label ? "--label" : "--score"));
  }
  if (!from_predictions) {  // a model's label is its target, its scores its own
    for (const auto& [flag, value] :
         {std::pair<const char*, const std::string*>{"--label", &a.label},
          {"--score", &a.score},
          {"--task", &a.task}}) {
      if (!value->empty()) {
        throw UsageError(std::string(flag) + " applies to --predictions FILE",
                         "a model is evaluated against its own target, with its own scores and "
                         "task; --positive picks a binary model's positive class");
      }
    }
  }
  std::optional<Task> task;
  if (!a.task.empty()) {
    task = ParseTask(a.task);
    if (a.task != "binary" && a.task != "multiclass" && a.task != "regression") {
      throw UsageError("--task takes binary, multiclass or regression, not '" + a.task + "'");
    }
  }
  const std::vector<Gate> gates = ParseGates(a);
  const std::vector<std::string> kThresholdMetrics = {"f1", "accuracy", "balanced_accuracy",
                                                      "youden"};
  if (!a.best_threshold.empty() && std::find(kThresholdMetrics.begin(), kThresholdMetrics.end(),
                                             a.best_threshold) == kThresholdMetrics.end()) {
    throw UsageError("--best-threshold takes " + Join(kThresholdMetrics, ", ") + ", not '" +
                     a.best_threshold + "'" + DidYouMean(a.best_threshold, kThresholdMetrics));
  }
  EvaluationOptions options;
  options.threshold = a.threshold;
  options.weight_column = a.weight;
  if (!from_predictions) options.positive = a.positive;
  if (!a.business.empty()) options.business = LoadBusinessSpec(a.business);

  // Predictions made anywhere need no workspace (nothing is recorded); a model does.
  auto ws = from_predictions ? OptionalWorkspace(global) : OpenWorkspace(global);
  Evaluation ev;
  std::string subject;
  std::string warning;  // the data is the model's training data
  if (from_predictions) {
    // Read as the workspace reads files (its missing-value tokens), or with the defaults.
    ReadOptions ro = ws ? WorkspaceReadOptions(*ws) : ReadOptions();
    ro.on_bad_rows = BadRowPolicy::kFail;
    if (!ws) ro.threads = global.threads >= 0 ? global.threads : 0;
    // CSV or JSON Lines (.jsonl, .ndjson, .json), as predict and transform write them.
    Table t = DetectInputFormat(a.predictions) == SourceFormat::kJsonLines
                  ? ReadJsonLines(a.predictions, ro).table
                  : ReadCsv(a.predictions, ro).table;
    if (t.num_rows() == 0) {
      throw InvalidArgument(a.predictions + " has no rows of predictions to evaluate");
    }
    subject = a.predictions;
    options.title = "Evaluation of " + a.predictions;
    options.facts = {{"predictions", a.predictions}, {"label", a.label}, {"score", a.score}};
    // A column the file does not have is named with its flag and the file.
    const std::vector<std::string> columns = t.schema().names();
    for (const auto& [flag, column] :
         {std::pair<const char*, const std::string&>{"--label", a.label}, {"--score", a.score}}) {
      if (column.find('*') != std::string::npos || t.schema().IndexOf(column) >= 0) continue;
      if (std::string(flag) == "--score" &&
          std::any_of(columns.begin(), columns.end(),
                      [&](const std::string& n) { return n.starts_with(column + "_"); })) {
        continue;  // EvaluatePredictions hints at a pattern
      }
      throw NotFound(std::string(flag) + " " + column + ": " + a.predictions + " has no column '" +
                         column + "'" + DidYouMean(column, columns),
                     "its columns: " + Join(columns, ", "));
    }
    ev = EvaluatePredictions(t, a.label, a.score, task, a.positive, options);
    if (!task && ev.task == Task::kRegression && LooksSwapped(t, a.label, a.score)) {
      std::cerr
          << "warning: --score '" << a.score << "' holds only 0 and 1 while --label '" << a.label
          << "' holds fractions: are the two swapped? (evaluated as "
          << "regression; swap --label and --score, or give --task regression to keep this)\n";
    }
  } else {
    ResolvedModel m = ResolveModelRef(*ws, a.model);
    ModelBundle bundle = LoadBundle(ws->artifacts(), m.model_hash);
    const Predictor predictor(bundle);
    Table t = LoadTableArg(*ws, a.data, predictor.inputs(), false, &predictor.missing_tokens());
    subject = m.description;
    options.title = "Evaluation of " + m.description;
    options.facts = {{"model", m.description},
                     {"algorithm", bundle.manifest.value("algorithm", "")},
                     {"data", a.data}};
    warning = TrainingDataWarning(*ws, bundle, m.model_hash, a.data);
    if (!warning.empty()) {
      options.facts.push_back({"warning", warning});
      std::cerr << "warning: " << warning << "\n";
    }
    ev = EvaluateModel(bundle, predictor, t, options);
  }
  if (!a.html.empty()) WriteFileAtomically(a.html, [&](std::ostream& out) { out << ev.html; });
  // Quality gates.
  std::vector<std::string> missed;
  // A gate on a metric this evaluation did not compute fails the command (exit 1), after the
  // results are printed: the metrics the hint points to are then on screen.
  std::optional<Error> undefined_gate;
  for (const Gate& g : gates) {
    auto it = ev.metrics.find(g.metric);
    if (it == ev.metrics.end()) {
      if (undefined_gate) continue;
      // roc_auc of labels of one class, a multiclass metric of a binary task, ...
      if (ev.predicted_classes && NeedsScores(g.metric)) {  // (ParseGates took known names only)
        undefined_gate = InvalidArgument("metric '" + g.metric +
                                         "' needs scores or probabilities, and the predictions "
                                         "are classes");
        continue;
      }
      const std::vector<std::string> of_task = MetricNames(ev.task);
      const auto why = ev.undefined.find(g.metric);
      if (std::find(of_task.begin(), of_task.end(), g.metric) == of_task.end()) {
        // rmse of a binary model, roc_auc of a multiclass one (roc_auc_ovr_macro).
        const auto longer = std::find_if(of_task.begin(), of_task.end(), [&](const auto& m) {
          return m.starts_with(g.metric + "_");  // roc_auc -> roc_auc_ovr_macro
        });
        undefined_gate =
            InvalidArgument("metric '" + g.metric + "' is not one of a " +
                                std::string(TaskName(ev.task)) + " evaluation" +
                                (longer != of_task.end() ? " (did you mean '" + *longer + "'?)"
                                                         : DidYouMean(g.metric, of_task)),
                            "its metrics: " + Join(of_task, ", "));
      } else {
        undefined_gate =
            InvalidArgument("metric '" + g.metric + "' is not defined on this data" +
                            (why != ev.undefined.end() ? ": " + why->second : std::string()));
      }
      continue;
    }
    bool fail = g.under ? it->second < g.bound : it->second > g.bound;
    if (fail) {
      // Every digit: rounded, a near miss would read "0.852016 is under 0.852016".
      missed.push_back(g.metric + " = " + FormatDouble(it->second) + " is " +
                       (g.under ? "under " : "over ") + FormatDouble(g.bound));
    }
  }
  if (a.json) {
    nlohmann::json j = {
        {"subject", subject},
        {"task", TaskName(ev.task)},
        {"rows", ev.rows},
        {"dropped_rows", ev.dropped_rows},
        {"positive", ev.positive.empty() ? nlohmann::json() : nlohmann::json(ev.positive)},
        {"predicted_classes", ev.predicted_classes},
        {"unscored_rows", ev.unscored_rows},
        {"weight", a.weight.empty() ? nlohmann::json() : nlohmann::json(a.weight)},
        {"metrics", ev.metrics},
        {"undefined_metrics", ev.undefined},
        {"quality_gates_missed", missed},
        {"warnings", warning.empty() ? nlohmann::json::array() : nlohmann::json::array({warning})}};
    if (ev.business) {
      const BusinessResult& b = *ev.business;
      j["business"] = {{"threshold", b.at_threshold.threshold},
                       {"profit_total", b.at_threshold.profit.total},
                       {"profit_per_unit", b.at_threshold.profit.per_unit},
                       {"best_threshold", b.best.threshold},
                       {"best_profit_total", b.best.profit.total},
                       {"no_model", NoModelName(b.no_model_choice)},
                       {"no_model_profit_total", b.no_model.total},
                       {"uplift_vs_no_model_total", b.at_threshold.uplift_vs_no_model.total},
                       {"uplift_vs_random_total", b.at_threshold.uplift_vs_random.total},
                       {"summary", BusinessSummary(b, *options.business)}};
    }
    if (!ev.best_thresholds.empty()) {
      nlohmann::json& bt = j["best_thresholds"];
      for (const auto& [metric, choice] : ev.best_thresholds) {
        bt[metric] = {{"threshold", choice.threshold},
                      {"value", choice.value},
                      {"above_every_score", choice.above_every_score}};
      }
    }
    if (!a.html.empty()) j["report"] = a.html;
    PrintJson(j);
  } else {
    std::cout << "Evaluated " << subject << " on " << HumanCount(ev.rows) << " rows ("
              << TaskName(ev.task)
              << (ev.positive.empty() ? "" : ", positive class '" + ev.positive + "'")
              << (ev.predicted_classes ? ", predicted classes" : "")
              << (a.weight.empty() ? "" : ", weighted by " + a.weight) << ")";
    if (ev.dropped_rows > 0) std::cout << "; " << HumanCount(ev.dropped_rows) << " without a label";
    if (ev.unscored_rows > 0)
      std::cout << "; " << HumanCount(ev.unscored_rows) << " without a score";
    std::cout << "\n";
    std::vector<std::vector<std::string>> rows;
    for (const auto& [k, v] : ev.metrics) rows.push_back({k, MetricText(v, 6)});
    PrintTable({"METRIC", "VALUE"}, rows, "  ");
    // Metrics of the task that this data leaves undefined (ROC AUC of one class; log loss and
    // Brier of scores outside [0, 1]) are said to be missing, not just absent.
    std::vector<std::string> undefined, need_scores;
    for (const std::string& m : MetricNames(ev.task)) {
      if (ev.metrics.count(m)) continue;
      (ev.predicted_classes && NeedsScores(m) ? need_scores : undefined).push_back(m);
    }
    if (!undefined.empty()) {
      std::cout << "  (not defined on this data: " << Join(undefined, ", ") << ")\n";
      // Why, once per reason (three one-vs-rest AUCs share one).
      std::map<std::string, std::vector<std::string>> by_reason;
      for (const std::string& m : undefined) {
        auto it = ev.undefined.find(m);
        if (it != ev.undefined.end()) by_reason[it->second].push_back(m);
      }
      for (const auto& [reason, metrics] : by_reason) {
        std::cout << "  (" << Join(metrics, ", ") << ": " << reason << ")\n";
      }
    }
    if (!need_scores.empty()) {
      std::cout << "  (the predictions are classes; these need scores or probabilities: "
                << Join(need_scores, ", ") << ")\n";
    }
    const auto best = ev.best_thresholds.find(a.best_threshold);
    if (best != ev.best_thresholds.end()) {
      const auto at_half = ev.metrics.find(a.best_threshold);
      if (best->second.above_every_score) {  // predicting no row positive does best
        std::cout << "Best threshold for " << a.best_threshold << ": above every score (predict '"
                  << ev.positive << "' for no row; ";
      } else {
        std::cout << "Best threshold for " << a.best_threshold << ": "
                  << SignificantText(best->second.threshold, 6) << " (predict '" << ev.positive
                  << "' when the score is >= it; ";
      }
      std::cout << a.best_threshold << " " << MetricText(best->second.value, 6);
      if (at_half != ev.metrics.end()) {
        std::cout << ", against " << MetricText(at_half->second, 6)
                  << " by the default rule, score > 0.5";
      }
      std::cout << ")\n";
    }
    if (ev.business) std::cout << BusinessSummary(*ev.business, *options.business) << "\n";
    if (!a.html.empty()) std::cout << "Report: " << a.html << "\n";
  }
  if (!a.best_threshold.empty() && !ev.best_thresholds.count(a.best_threshold)) {
    if (!undefined_gate) {
      undefined_gate = InvalidArgument(
          "--best-threshold needs the scores of binary predictions with both classes present; "
          "this is a " +
          std::string(TaskName(ev.task)) + " evaluation" +
          (ev.predicted_classes ? " of predicted classes" : ""));
    }
  }
  // Every missed gate is printed, also beside a gate that could not be checked.
  for (const auto& m : missed) std::cerr << "quality gate missed: " << m << "\n";
  if (undefined_gate) throw *undefined_gate;
  if (!missed.empty()) return 3;
  return 0;
}

}  // namespace

void RegisterEval(CLI::App& app, GlobalOptions& global, int* exit_code) {
  auto a = std::make_shared<EvalArgs>();
  auto* eval = app.add_subcommand("eval",
                                  "Evaluate a model (or predictions) on labelled data: "
                                  "metrics, business value, HTML report, quality gates");
  eval->add_option("MODEL", a->model, "NAME/V, NAME@ALIAS, run id, ...");
  eval->add_option("-d,--data", a->data,
                   "A dataset NAME[@V] or a data file (CSV or JSON Lines), with the target");
  eval->add_option("--predictions", a->predictions,
                   "A CSV or JSON Lines file of predictions made anywhere");
  eval->add_option("--label", a->label, "With --predictions: the true label column");
  eval->add_option("--score", a->score,
                   "With --predictions: the score (binary), the predicted value (regression), "
                   "the predicted class, or 'probability_*' (a column per class, '*' the class)");
  eval->add_option("--positive", a->positive,
                   "The positive class label (binary; default: the second class in label order)");
  eval->add_option("--task", a->task,
                   "With --predictions: binary, multiclass or regression (default: inferred from "
                   "the labels)");
  eval->add_option("--weight", a->weight,
                   "A column of sample weights (as scikit-learn's sample_weight)");
  eval->add_option("--business", a->business, "YAML with the value of each outcome");
  eval->add_option("--threshold", a->threshold, "Decision threshold for business value (0.5)");
  eval->add_option("--best-threshold", a->best_threshold,
                   "Binary: print the score threshold that maximises f1, accuracy, "
                   "balanced_accuracy or youden (TPR - FPR)");
  eval->add_option("--html", a->html, "Write the HTML report here");
  eval->add_option("--fail-under", a->fail_under, "METRIC=VALUE: exit 3 when the metric is lower")
      ->allow_extra_args(false);
  eval->add_option("--fail-over", a->fail_over, "METRIC=VALUE: exit 3 when the metric is higher")
      ->allow_extra_args(false);
  eval->add_flag("--json", a->json, "Print the result as JSON");
  eval->callback([&global, a, exit_code, eval] {
    a->threshold_given = eval->get_option("--threshold")->count() > 0;
    *exit_code = RunEval(global, *a);
  });
}

}  // namespace mloop::cli
