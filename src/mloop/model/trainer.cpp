#include "mloop/model/trainer.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <unordered_map>

#include "mloop/core/column.h"
#include "mloop/core/error.h"
#include "mloop/core/strings.h"
#include "mloop/eval/metrics.h"
#include "mloop/prep/steps.h"
#include "mloop/train/registry.h"
#include "mloop/train/target.h"

namespace mloop {

namespace {

// The registered algorithms that train `task`, for a hint: "xgboost, random_forest, linear".
std::string AlgorithmsFor(Task task) {
  std::vector<std::string> names;
  for (const std::string& name : EstimatorNames()) {
    if (CreateEstimator(name)->Supports(task)) names.push_back(name);
  }
  return Join(names, ", ");
}

void StopIfCancelled(const TrainRequest& req) {
  if (req.cancel && req.cancel->load(std::memory_order_relaxed)) {
    throw TrainingStopped("interrupted");
  }
}

bool HandlesMissing(const std::string& algorithm) {
  // xgboost learns where missing values go; the others need them filled in.
  return algorithm == "xgboost" || algorithm == "random_forest";
}

// Features that name the class one to one (iris.csv's `target` beside `species`): the label under
// another name, which the model learns and nothing else. Whole numbers, texts and booleans,
// present on every row; the first row that breaks the match ends a column's check.
std::vector<std::string> LabelCopies(const Table& table, const std::string& target,
                                     const std::vector<double>& y, size_t classes) {
  std::vector<std::string> copies;
  if (classes < 2) return copies;
  for (int c = 0; c < table.num_columns(); ++c) {
    const Field& f = table.schema().field(c);
    const Column& col = table.column(c);
    if (f.name == target || f.role != Role::kFeature || col.has_nulls() ||
        (col.type() != DataType::kInt64 && col.type() != DataType::kString &&
         col.type() != DataType::kBool)) {
      continue;
    }
    std::unordered_map<int64_t, int64_t> class_of, value_of;  // value -> class, class -> value
    bool copy = true;
    for (int64_t i = 0; i < col.size() && copy; ++i) {
      const int64_t value = col.type() == DataType::kString ? col.codes()[i]
                            : col.type() == DataType::kBool ? col.bools()[i]
                                                            : col.i64()[i];
      const int64_t cls = static_cast<int64_t>(y[static_cast<size_t>(i)]);
      copy = class_of.emplace(value, cls).first->second == cls &&
             value_of.emplace(cls, value).first->second == value;
    }
    if (copy && value_of.size() == classes) copies.push_back(f.name);
  }
  return copies;
}

// Rows whose target is known.
std::vector<int64_t> LabelledRows(const std::vector<double>& y) {
  std::vector<int64_t> rows;
  rows.reserve(y.size());
  for (size_t i = 0; i < y.size(); ++i) {
    if (!std::isnan(y[i])) rows.push_back(static_cast<int64_t>(i));
  }
  return rows;
}

std::vector<double> Pick(const std::vector<double>& v, const std::vector<int64_t>& rows) {
  std::vector<double> out;
  out.reserve(rows.size());
  for (int64_t r : rows) out.push_back(v[r]);
  return out;
}

struct Fitted {
  std::optional<FittedRecipe> recipe;
  Encoding encoding;
  std::unique_ptr<Estimator> estimator;
  int64_t train_rows = 0;                  // after the recipe (a filter may remove rows)
  DenseMatrix valid_x;                     // the validation rows, encoded
  std::vector<double> valid_y;             // and their labels
  std::vector<double> prediction_buckets;  // regression: see Predictor::prediction_buckets
};

// The percentiles 1, 5, 10, 20, ..., 90, 95, 99 of `y` (numpy's linear interpolation, rounded
// to 15 significant digits), without repeats: where a server buckets a regression model's
// predictions, so that the live distribution reads against the training target's (each bucket
// should hold its share).
std::vector<double> PercentileBuckets(std::vector<double> y) {
  std::vector<double> out;
  if (y.empty()) return out;
  for (double v :
       prep::Quantiles(y, {0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99})) {
    // To 15 significant digits, as /metrics prints bounds: two that print alike would be one
    // bucket label twice (0.3 and 0.30000000000000004).
    char text[32];
    std::snprintf(text, sizeof text, "%.15g", v);
    v = std::strtod(text, nullptr);
    if (out.empty() || v > out.back()) out.push_back(v);
  }
  return out;
}

// The recipe's output for the model: the target keeps its role (a recipe may rebuild the
// schema), and rows that lost their label are left out.
Table AfterRecipe(const Table& t, const Target& target) {
  if (target.column.empty()) return t;
  return t.WithRole(target.column, Role::kTarget);
}

// The recipe's notes (RecipeFitOptions::notes) of one FitOnce, and whether they were reported.
struct RecipeNotes {
  std::vector<std::string> notes;
  bool reported = false;
  void Report(const TrainRequest& req) {
    if (reported || !req.on_recipe_note) return;
    reported = true;
    for (const std::string& note : notes) req.on_recipe_note(note);
  }
};

// Fits the request's recipe (when there is one) on `train_in`, then the encoding and the
// estimator; `valid_in` goes through the same fitted recipe. Labels are taken after the recipe,
// which may drop rows (filter, drop_duplicates).
Fitted FitRecipeAndModel(const Table& train_in, const Table* valid_in, const Target& target,
                         const TrainRequest& req,
                         const std::function<void(const IterationLog&)>& on_iteration,
                         bool final_model, RecipeNotes& notes) {
  Fitted f;
  Table train = train_in, valid;
  if (req.recipe) {
    RecipeFitOptions ro;
    ro.target = target.column;
    ro.target_classes = target.task == Task::kBinary || target.task == Task::kMulticlass;
    ro.seed = req.seed;
    ro.threads = req.threads;
    ro.notes = &notes.notes;
    Table transformed;
    f.recipe = req.recipe->Fit(train_in, ro, &transformed);
    if (final_model) notes.Report(req);  // now, not after the training
    train = AfterRecipe(transformed, target);
    if (train.num_rows() == 0) {
      throw InvalidArgument("the recipe left no training rows", "check its filter steps");
    }
    // The validation rows are scored as `mloop eval` scores them: row filters and
    // drop_duplicates shape the training data only, so the run's metrics equal eval's on the
    // same rows.
    if (valid_in) valid = AfterRecipe(f.recipe->Transform(*valid_in, ApplyMode::kScoring), target);
  } else if (valid_in) {
    valid = *valid_in;
  }
  std::vector<double> y;
  if (target.task != Task::kClustering) {
    y = target.Encode(train);
    std::vector<int64_t> labelled = LabelledRows(y);
    if (labelled.size() < y.size()) {
      train = train.Take(labelled);
      y = Pick(y, labelled);
    }
    if (valid_in) {
      f.valid_y = target.Encode(valid);
      std::vector<int64_t> vl = LabelledRows(f.valid_y);
      if (vl.size() < f.valid_y.size()) {
        valid = valid.Take(vl);
        f.valid_y = Pick(f.valid_y, vl);
      }
    }
  }
  f.train_rows = train.num_rows();
  if (target.task == Task::kRegression) f.prediction_buckets = PercentileBuckets(y);
  f.encoding = Encoding::Fit(train, {.impute = !HandlesMissing(req.algorithm)});
  f.estimator = CreateEstimator(req.algorithm);
  f.estimator->SetParams(req.params);
  DenseMatrix x = f.encoding.Transform(train);
  FitInput in;
  in.x = &x;
  in.y = y;
  in.task = target.task;
  in.num_classes = static_cast<int>(target.classes.size());
  in.seed = req.seed;
  in.threads = req.threads;
  in.feature_names = f.encoding.feature_names();
  in.on_iteration = on_iteration;
  in.cancel = req.cancel;
  if (valid_in && valid.num_rows() > 0) {
    f.valid_x = f.encoding.Transform(valid);
    in.valid_x = &f.valid_x;
    in.valid_y = f.valid_y;
  }
  f.estimator->Fit(in);
  return f;
}

// Fits the recipe, the encoding and the estimator (FitRecipeAndModel). The recipe's notes are
// reported for the final model, and for any fit that fails (a cross-validation fold's too):
// they may explain the failure (a logarithm of 0 gives -inf).
Fitted FitOnce(const Table& train_in, const Table* valid_in, const Target& target,
               const TrainRequest& req,
               const std::function<void(const IterationLog&)>& on_iteration,
               bool final_model = true) {
  RecipeNotes notes;
  try {
    return FitRecipeAndModel(train_in, valid_in, target, req, on_iteration, final_model, notes);
  } catch (...) {
    notes.Report(req);
    throw;
  }
}

}  // namespace

std::map<std::string, double> StandardMetrics(Task task, const std::vector<double>& y,
                                              const DenseMatrix& scores,
                                              std::span<const double> weight,
                                              std::map<std::string, std::string>* undefined) {
  std::map<std::string, double> out;
  EvalInputs in;
  in.y_true = y;
  in.weight = weight;
  std::vector<double> score;
  if (task == Task::kMulticlass) {
    in.proba = &scores;
  } else {
    score.assign(scores.data.begin(), scores.data.end());
    in.y_score = score;
  }
  for (const auto& name : MetricNames(task)) {
    try {
      double v = ComputeMetric(name, in);
      if (std::isfinite(v)) {
        out[name] = v;
      } else if (undefined) {  // NaN (R2 of one row) is not a measurement
        (*undefined)[name] = "it is " + FormatDouble(v) + " on this data";
      }
    } catch (const Error& e) {
      // A metric undefined on this data (AUC with one class present) is left out.
      if (undefined) (*undefined)[name] = e.what();
    }
  }
  return out;
}

namespace {

// What the model reads: the recipe's input columns when it has a recipe, else the encoding's.
nlohmann::json InputSchema(const Fitted& f, const Target& target) {
  nlohmann::json inputs = nlohmann::json::array();
  const Schema scoring = f.recipe ? f.recipe->scoring_input_schema() : Schema(f.encoding.inputs());
  for (const Field& field : scoring.fields()) {
    if (field.name == target.column) continue;
    inputs.push_back({{"name", field.name}, {"type", DataTypeName(field.type)}});
  }
  return inputs;
}

void FillBundleParts(const Fitted& f, const Target& target, ModelBundle* b) {
  b->target_json = target.ToJson();
  b->encoding_json = f.encoding.ToJson();
  b->model_json = f.estimator->SaveModel();
  b->config_json = f.estimator->SaveConfig();
  if (f.recipe) b->recipe_json = f.recipe->ToJson().dump();
}

// Clustering: no target and no split; the model is fitted on every row and scored by the
// silhouette (on a deterministic sample of at most 5,000 rows: it is quadratic in the rows).
TrainResult TrainClustering(const Table& data, const TrainRequest& req) {
  TrainResult result;
  result.task = Task::kClustering;
  result.split.kind = SplitSpec::Kind::kNone;  // every row fits the model
  Target target;
  target.task = Task::kClustering;
  Fitted f = FitOnce(data, nullptr, target, req, [&](const IterationLog& log) {
    result.history.push_back(log);
    if (req.on_iteration) req.on_iteration(log);
  });
  DenseMatrix x =
      f.encoding.Transform(f.recipe ? f.recipe->Transform(data, ApplyMode::kDataset) : data);
  DenseMatrix labels = f.estimator->Predict(x);
  std::vector<int64_t> sample;
  const int64_t step = std::max<int64_t>(1, (x.rows + 4999) / 5000);
  for (int64_t i = 0; i < x.rows; i += step) sample.push_back(i);
  DenseMatrix xs(static_cast<int64_t>(sample.size()), x.cols);
  std::vector<int32_t> ls;
  for (size_t r = 0; r < sample.size(); ++r) {
    std::copy(x.row(sample[r]), x.row(sample[r]) + x.cols, xs.row(static_cast<int64_t>(r)));
    ls.push_back(static_cast<int32_t>(labels.at(sample[r], 0)));
  }
  EvalInputs in;
  in.x = &xs;
  in.y_pred = ls;
  try {
    result.metrics["silhouette"] = ComputeMetric("silhouette", in);
  } catch (const Error&) {
    // One cluster only: the silhouette is undefined.
  }
  result.metrics_on_training_data = true;
  result.train_rows = f.train_rows;
  ModelBundle& b = result.bundle;
  FillBundleParts(f, target, &b);
  nlohmann::json inputs = InputSchema(f, target);
  b.manifest = {{"algorithm", req.algorithm},
                {"task", "clustering"},
                {"target", {{"name", ""}}},
                {"classes", nlohmann::json::array()},
                {"input_schema", inputs},
                {"output_schema", OutputSchema(target)},
                {"feature_names", f.encoding.feature_names()},
                {"params", req.params},
                {"metrics", result.metrics},
                {"metrics_on", "training"},
                {"train_rows", result.train_rows},
                {"valid_rows", 0}};
  // The clusters the model can assign: its configured k (k-means), else the ones it assigned.
  int64_t clusters = nlohmann::json::parse(b.config_json).value("k", int64_t{0});
  for (int64_t i = 0; i < labels.rows; ++i) {
    clusters = std::max(clusters, static_cast<int64_t>(labels.at(i, 0)) + 1);
  }
  b.manifest["clusters"] = clusters;
  return result;
}

}  // namespace

std::string FeatureMissingFrom(const Schema& train, const Schema& valid,
                               const std::string& target) {
  for (const Field& f : train.fields()) {
    if (f.role == Role::kFeature && f.name != target && valid.IndexOf(f.name) < 0) return f.name;
  }
  return "";
}

TrainResult Train(const Table& data, const TrainRequest& req) {
  if (req.target.empty()) {
    auto probe = CreateEstimator(req.algorithm);
    if (!probe->Supports(Task::kClustering)) {
      throw InvalidArgument(req.algorithm + " needs a target (--target COLUMN)",
                            "without a target, use a clustering algorithm: kmeans");
    }
    probe->SetParams(req.params);
    return TrainClustering(data, req);
  }
  const Target target = InferTarget(data, req.target, req.task);
  auto probe = CreateEstimator(req.algorithm);
  if (!probe->Supports(target.task)) {
    // A whole-number target of few values is read as classes unless told otherwise.
    const bool int_classes = !req.task && target.type == DataType::kInt64 &&
                             target.task != Task::kRegression && probe->Supports(Task::kRegression);
    throw InvalidArgument(req.algorithm + " cannot do " + std::string(TaskName(target.task)) +
                              " (target '" + req.target + "')",
                          int_classes
                              ? "'" + req.target + "' holds whole numbers with " +
                                    std::to_string(target.classes.size()) +
                                    " distinct values, read as classes; give --task regression to "
                                    "regress it"
                              : "algorithms for " + std::string(TaskName(target.task)) + ": " +
                                    AlgorithmsFor(target.task));
  }
  probe->SetParams(req.params);  // reject bad parameters before any work
  Table table = data.WithRole(req.target, Role::kTarget);

  TrainResult result;
  result.task = target.task;
  std::vector<double> y_all = target.Encode(table);
  std::vector<int64_t> labelled = LabelledRows(y_all);
  result.dropped_rows = table.num_rows() - static_cast<int64_t>(labelled.size());
  if (labelled.empty()) throw InvalidArgument("no row has a value in target '" + req.target + "'");
  if (result.dropped_rows > 0) {
    table = table.Take(labelled);
    y_all = Pick(y_all, labelled);
  }
  const bool classification = target.task != Task::kRegression;
  std::vector<std::string> copies;  // warned of once the model's inputs are known
  if (classification) copies = LabelCopies(table, req.target, y_all, target.classes.size());
  std::vector<std::string> copy_warnings;
  auto warn_of_copies = [&](const Encoding& encoding) {
    for (const std::string& copy : copies) {
      // A recipe that drops or transforms the column already left it out.
      const auto& inputs = encoding.inputs();
      if (std::none_of(inputs.begin(), inputs.end(),
                       [&](const Field& f) { return f.name == copy; })) {
        continue;
      }
      copy_warnings.push_back("feature '" + copy + "' names the class of '" + req.target +
                              "' one to one (the label under another name?): the model learns "
                              "it and nothing else; leave it out (import with --role " +
                              copy + "=ignored, or a recipe's drop)");
    }
  };

  // Cross-validation first (reported beside the final model's metrics).
  if (req.cv_folds > 1) {
    auto folds = MakeFolds(table.num_rows(), req.cv_folds,
                           classification ? y_all : std::vector<double>(), req.seed);
    std::map<std::string, std::vector<double>> per_metric;
    for (const auto& fold : folds) {
      StopIfCancelled(req);
      Table tr = table.Take(fold.train), va = table.Take(fold.valid);
      // The fold's own validation part also serves early stopping, when it is asked for. The
      // recipe is fitted on the fold's training part only.
      Fitted f = FitOnce(tr, &va, target, req, req.on_fold_iteration, /*final_model=*/false);
      if (f.valid_y.empty()) continue;
      auto m = StandardMetrics(target.task, f.valid_y, f.estimator->Predict(f.valid_x));
      for (const auto& [k, v] : m) per_metric[k].push_back(v);
    }
    for (const auto& [k, values] : per_metric) {
      double mean = 0;
      for (double v : values) mean += v;
      mean /= static_cast<double>(values.size());
      double var = 0;
      for (double v : values) var += (v - mean) * (v - mean);
      result.cv[k] = {mean, std::sqrt(var / static_cast<double>(values.size())),
                      static_cast<int>(values.size())};
    }
  }

  // The model: train/validation split (or the given validation table).
  Table train_table, valid_table;
  std::vector<std::string> split_warnings;  // what the split made that the user did not ask
  if (req.valid) {
    train_table = table;
    valid_table = req.valid->WithRole(req.target, Role::kTarget);
    const std::vector<double> valid_y = target.Encode(valid_table);
    target.RequireKnownLabels(valid_table, valid_y, "the validation data");
    std::vector<int64_t> vl = LabelledRows(valid_y);
    if (static_cast<int64_t>(vl.size()) < valid_table.num_rows())
      valid_table = valid_table.Take(vl);
  } else {
    // The default split is stratified for classification and random for regression.
    result.split = req.split;
    if (!classification && result.split.kind == SplitSpec::Kind::kStratified) {
      result.split.kind = SplitSpec::Kind::kRandom;
    }
    SplitIndices s =
        MakeSplit(table, classification ? y_all : std::vector<double>(), result.split, req.seed);
    // Without a validation part the whole table trains: no copy.
    train_table = s.valid.empty() ? table : table.Take(s.train);
    if (!s.valid.empty()) valid_table = table.Take(s.valid);
    if (s.train.empty() && !s.valid.empty()) {  // a model of nothing is no model
      throw InvalidArgument(
          "the split " + result.split.ToString() + " leaves no rows to train on: all " +
              std::to_string(s.valid.size()) + " rows went to the validation part",
          result.split.kind == SplitSpec::Kind::kTime
              ? "a time split trains on rows before the validation period; here every row has "
                "the same time (or too few times): split another way, or --split none"
              : "use more data, a smaller validation share, or --split none");
    }
    const size_t rows = s.train.size() + s.valid.size();
    const double share = static_cast<double>(s.valid.size()) / static_cast<double>(rows);
    if (result.split.kind == SplitSpec::Kind::kTime && !s.valid.empty() &&
        std::fabs(share - result.split.valid_fraction) > 0.1) {
      char text[160];
      std::snprintf(text, sizeof text,
                    "the time split put %zu of %zu rows (%.0f%%) in the validation part, not "
                    "%.0f%%: rows of one time of '%s' stay on one side of the cut",
                    s.valid.size(), rows, 100 * share, 100 * result.split.valid_fraction,
                    result.split.time_column.c_str());
      split_warnings.push_back(text);
    }
    // Classes that no training row holds: the model can never predict them (a time split
    // whose past holds one class; a class of one row in a random split).
    if (classification && !s.valid.empty()) {
      std::vector<bool> trained(target.classes.size(), false);
      for (int64_t r : s.train) trained[static_cast<size_t>(y_all[r])] = true;
      std::vector<std::string> missing;
      for (size_t c = 0; c < trained.size(); ++c) {
        if (!trained[c]) missing.push_back("'" + target.classes[c] + "'");
      }
      if (!missing.empty()) {
        split_warnings.push_back("no training row of the split " + result.split.ToString() +
                                 " has class" + (missing.size() == 1 ? " " : "es ") +
                                 Join(missing, ", ") + " of '" + req.target +
                                 "' (only the validation part has): the model can never predict " +
                                 (missing.size() == 1 ? "it" : "them") + "; split another way");
      }
    }
  }
  const bool has_valid = valid_table.num_rows() > 0;
  auto on_iteration = [&](const IterationLog& log) {
    result.history.push_back(log);
    if (req.on_iteration) req.on_iteration(log);
  };
  // Per-round history only when there is validation data or someone watches progress.
  std::function<void(const IterationLog&)> watch;
  if (has_valid || req.on_iteration) watch = on_iteration;
  StopIfCancelled(req);
  Fitted f = FitOnce(train_table, has_valid ? &valid_table : nullptr, target, req, watch);
  result.train_rows = f.train_rows;
  result.valid_rows = f.valid_x.rows;
  warn_of_copies(f.encoding);
  result.warnings = copy_warnings;
  result.warnings.insert(result.warnings.end(), split_warnings.begin(), split_warnings.end());
  for (std::string& w : f.estimator->Warnings()) result.warnings.push_back(std::move(w));
  // Metrics come from validation data only: scores on the training rows flatter the model, and
  // computing them costs a full prediction pass (seconds on a million rows). Without validation
  // data (--split none) the run has no metrics; `mloop eval` measures the model on other data.
  if (f.valid_x.rows > 0) {
    result.metrics = StandardMetrics(target.task, f.valid_y, f.estimator->Predict(f.valid_x));
  }
  result.metrics_on_training_data = false;

  ModelBundle& b = result.bundle;
  FillBundleParts(f, target, &b);
  nlohmann::json inputs = InputSchema(f, target);
  nlohmann::json importance = nlohmann::json::object();
  std::vector<double> imp = f.estimator->FeatureImportance();
  for (size_t i = 0; i < imp.size() && i < f.encoding.feature_names().size(); ++i) {
    importance[f.encoding.feature_names()[i]] = imp[i];
  }
  b.manifest = {{"algorithm", req.algorithm},
                {"task", TaskName(target.task)},
                {"target", {{"name", target.column}, {"type", DataTypeName(target.type)}}},
                {"classes", target.classes},
                {"input_schema", inputs},
                {"output_schema", OutputSchema(target)},
                {"feature_names", f.encoding.feature_names()},
                {"params", req.params},
                {"metrics", result.metrics},
                {"metrics_on", f.valid_x.rows > 0 ? "validation" : "none"},
                {"feature_importance", importance},
                {"train_rows", result.train_rows},
                {"valid_rows", result.valid_rows}};
  if (target.task == Task::kRegression) b.manifest["prediction_buckets"] = f.prediction_buckets;
  if (!result.warnings.empty()) b.manifest["warnings"] = result.warnings;
  return result;
}

}  // namespace mloop
