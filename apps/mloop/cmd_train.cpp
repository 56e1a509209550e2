// mloop train | runs list | runs show | predict
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>

#include "cli.h"
#include "mloop/core/error.h"
#include "mloop/core/strings.h"
#include "mloop/core/time.h"
#include "mloop/io/atomic_file.h"
#include "mloop/io/csv_reader.h"
#include "mloop/io/csv_writer.h"
#include "mloop/io/jsonl_writer.h"
#include "mloop/io/value_parse.h"
#include "mloop/model/bundle.h"
#include "mloop/prep/recipe.h"
#include "mloop/track/registry.h"
#include "mloop/track/run_query.h"
#include "mloop/track/runs.h"
#include "mloop/train/registry.h"

namespace mloop::cli {

namespace {

// --- train ------------------------------------------------------------------------------------

struct TrainArgs {
  std::string dataset, target, algo = "xgboost", valid, split, task, experiment = "default", recipe;
  std::vector<std::string> params, tags;
  std::optional<int> cv;  // --cv K; absent: no cross-validation
  uint64_t seed = 42;
  bool json = false, quiet = false;
};

// A data file given to train is imported first, as a dataset named after the file, so that the
// run's lineage points at a stored version. The imported table is kept for training.
DatasetRef ImportForTraining(Workspace& ws, const std::string& file, bool announce,
                             ImportResult* imported) {
  *imported = ImportDataFile(ws, file, announce);
  return {imported->version.name, imported->version.version};
}

bool IsFile(const std::string& arg) {
  std::error_code ec;
  return std::filesystem::is_regular_file(arg, ec);
}

void RunTrain(const GlobalOptions& global, TrainArgs a) {
  IgnoreBrokenPipe();
  TrainCommand cmd;
  if (!IsFile(a.dataset)) cmd.data = DatasetRefArg(a.dataset);
  if (!a.valid.empty()) {
    if (!a.split.empty()) throw UsageError("give --valid or --split, not both");
    if (!IsFile(a.valid)) cmd.valid = DatasetRefArg(a.valid);
  }
  TrainRequest& req = cmd.request;
  req.algorithm = a.algo;
  req.target = a.target;
  req.seed = a.seed;
  req.cv_folds = a.cv.value_or(0);
  if (a.cv && *a.cv < 2)
    throw UsageError("--cv needs 2 or more folds, got " + std::to_string(*a.cv));
  try {
    if (!a.split.empty()) req.split = ParseSplit(a.split);
  } catch (const Error& e) {
    throw UsageError(e.what(), e.hint());
  }
  if (!a.task.empty()) {
    req.task = ParseTask(a.task);
    if (!req.task || *req.task == Task::kClustering || a.task == "classification") {
      throw UsageError("unknown task '" + a.task + "'",
                       "tasks: binary, multiclass, regression (default: from the target)");
    }
  }
  req.params = ParseKeyValues("--param", a.params);
  cmd.tags = ParseKeyValues("--tag", a.tags);
  if (a.experiment.empty()) throw UsageError("--experiment needs a name");
  cmd.experiment = a.experiment;
  // An unknown algorithm or parameter, or a target missing for a supervised algorithm, is a
  // usage error, reported before a run is recorded.
  std::unique_ptr<Estimator> estimator;
  try {
    estimator = CreateEstimator(a.algo);
    estimator->SetParams(req.params);
  } catch (const Error& e) {
    throw UsageError(e.what(), e.hint());
  }
  if (req.params.count("early_stopping_rounds") && a.valid.empty() && a.split == "none") {
    throw UsageError("early_stopping_rounds needs validation data, and --split none has none",
                     "give --valid DATASET or a --split");
  }
  const bool needs_target = !estimator->Supports(Task::kClustering);
  auto no_target = [&] {
    return UsageError(a.algo + " needs a target: --target COL",
                      "without a target only clustering (--algo kmeans) trains");
  };
  // (A file named with a '/' or '.' is a file whatever is stored: without a workspace, said
  // before the workspace is asked for.)
  auto ws = OptionalWorkspace(global);
  if (!ws) {
    if (a.target.empty() && needs_target && IsFile(a.dataset) &&
        a.dataset.find_first_of("/.") != std::string::npos) {
      throw no_target();
    }
    ws = OpenWorkspace(global);  // says that there is none
  }
  // A plain name of a stored dataset is that dataset even beside a file of that name.
  const bool data_file = IsDataFileArg(*ws, a.dataset);
  const bool valid_file = !a.valid.empty() && IsDataFileArg(*ws, a.valid);
  if (!data_file && IsFile(a.dataset)) cmd.data = DatasetRefArg(a.dataset);
  if (!a.valid.empty() && !valid_file && IsFile(a.valid)) cmd.valid = DatasetRefArg(a.valid);
  if (a.target.empty() && needs_target && data_file) {
    // The target declared when this file was imported before (data import --target), which
    // its import here keeps (FileImportRequest).
    for (const auto& [column, role] : FileImportRequest(*ws, a.dataset).read.roles) {
      if (role == Role::kTarget) a.target = column;
    }
    if (a.target.empty()) throw no_target();
    req.target = a.target;
  }

  CheckExperimentName(*ws, a.experiment);
  // The stored dataset version's catalogue entry, looked up once (not for a file imported below,
  // whose table is at hand): its schema and size answer the checks before a run is recorded.
  std::optional<DatasetVersion> stored;
  auto stored_version = [&]() -> const DatasetVersion& {
    if (!stored) stored = ResolveDataset(*ws, cmd.data);
    return *stored;
  };
  const bool declared_target = a.target.empty() && needs_target;
  if (declared_target) {
    // The target declared when the dataset was imported (--target, --role COL=target).
    a.target = SchemaFromJson(stored_version().schema_json).DeclaredTarget();
    if (a.target.empty()) throw no_target();
    req.target = a.target;
  }
  req.threads = ws->config().threads;
  const bool show_progress = !a.json && !a.quiet;
  ImportResult data_import, valid_import;
  if (data_file) {
    cmd.data = ImportForTraining(*ws, a.dataset, show_progress, &data_import);
    cmd.data_table = &data_import.table;
  }
  if (valid_file) {
    cmd.valid = ImportForTraining(*ws, a.valid, show_progress, &valid_import);
    cmd.valid_table = &valid_import.table;
  }
  // Said even with --quiet / --json: the command is waiting, not hanging.
  cmd.on_notice = [](const std::string& text) { std::cerr << "note: " << text << "\n"; };
  cmd.on_start = [&](int64_t id) {
    if (show_progress) {
      std::cerr << "run " << id << ": training " << a.algo << " on " << a.dataset
                << (a.target.empty() ? std::string(" (clustering)")
                                     : " (target " + a.target +
                                           (declared_target ? ", declared at import)" : ")"))
                << "\n";
    }
  };
  if (show_progress)
    req.on_iteration = [&](const IterationLog& log) {
      // The first round, every 10th and the last: "[10] train-logloss 0.2311  valid-logloss
      // 0.2590".
      if (log.iteration % 10 != 0 && !log.last) return;
      std::cerr << "[" << log.iteration << "]";
      for (const auto& [k, v] : log.metrics) std::cerr << "  " << k << " " << MetricText(v);
      std::cerr << "\n";
    };
  const Schema schema =
      cmd.data_table ? cmd.data_table->schema() : SchemaFromJson(stored_version().schema_json);
  const int64_t data_rows = cmd.data_table ? cmd.data_table->num_rows() : stored_version().num_rows;
  std::optional<Recipe> recipe;
  if (!a.recipe.empty()) {
    recipe = Recipe::Load(a.recipe);
    req.recipe = &*recipe;
    cmd.recipe_file = a.recipe;
    // Said even with --quiet / --json, as `prep fit` says them.
    req.on_recipe_note = [](const std::string& note) { std::cerr << "note: " << note << "\n"; };
    // A recipe that does not fit the data is reported before a run is recorded.
    RecipeFitOptions check;
    check.target = a.target;
    recipe->Check(schema, check);
  }
  // What the dataset already tells is wrong (a misspelt target or time column, more folds than
  // rows) is said before a run is recorded: a failed run per typo is noise in `runs list`.
  if (!req.target.empty() && !recipe) schema.Require(req.target);  // a recipe may derive it
  if (!cmd.valid && req.split.kind == SplitSpec::Kind::kTime) {
    CheckTimeSplitColumn(schema.field(schema.Require(req.split.time_column)).type,
                         "--split time:" + req.split.time_column);
  }
  // The validation data: the target and every feature the training data has (without a recipe,
  // which may make or drop columns); named as --valid's, not as the training data's.
  if (cmd.valid && !recipe) {
    const Schema valid_schema = cmd.valid_table
                                    ? cmd.valid_table->schema()
                                    : SchemaFromJson(ResolveDataset(*ws, *cmd.valid).schema_json);
    auto require = [&](const std::string& column, const std::string& what) {
      if (valid_schema.IndexOf(column) >= 0) return;
      throw NotFound("--valid " + a.valid + " has no column '" + column + "', " + what +
                         DidYouMean(column, valid_schema.names()),
                     "columns of the validation data: " + Join(valid_schema.names(), ", "));
    };
    if (!req.target.empty()) require(req.target, "the target");
    if (const std::string missing = FeatureMissingFrom(schema, valid_schema, req.target);
        !missing.empty()) {
      require(missing, "a feature of the training data");
    }
  }
  if (req.cv_folds > data_rows) {
    throw InvalidArgument("cross-validation needs 2 to " + std::to_string(data_rows) +
                          " folds, not " + std::to_string(req.cv_folds));
  }
  InterruptGuard interrupt_guard;
  cmd.request.cancel = interrupt_guard.flag();
  int64_t run_id = 0;
  const auto on_start = cmd.on_start;
  cmd.on_start = [&](int64_t id) {
    run_id = id;
    on_start(id);
  };
  TrainOutcome out;
  try {
    out = TrainAndRecord(*ws, cmd);
  } catch (const TrainingStopped&) {
    throw Error(ErrorCode::kFailedPrecondition,
                "interrupted: training stopped" +
                    (run_id > 0 ? "; run " + std::to_string(run_id) + " is recorded as killed"
                                : std::string()));
  }
  const TrainResult& r = out.result;
  // Said even with --quiet / --json, as scikit-learn's ConvergenceWarning.
  for (const std::string& w : r.warnings) std::cerr << "warning: " << w << "\n";
  if (a.json) {
    nlohmann::json cv = nlohmann::json::object();
    for (const auto& [k, s] : r.cv) cv[k] = {{"mean", s.mean}, {"std", s.std}, {"folds", s.folds}};
    PrintJson({{"run_id", out.run_id},
               {"model", out.model_hash},
               {"algorithm", a.algo},
               {"task", TaskName(r.task)},
               {"dataset", out.dataset.name + "@" + std::to_string(out.dataset.version)},
               {"train_rows", r.train_rows},
               {"valid_rows", r.valid_rows},
               {"dropped_rows", r.dropped_rows},
               {"metrics", r.metrics},
               {"metrics_on", r.metrics.empty()            ? "none"
                              : r.metrics_on_training_data ? "training"
                                                           : "validation"},
               {"cv", cv},
               {"warnings", r.warnings}});
    return;
  }
  std::cout << "Run " << out.run_id << " finished: " << a.algo << " (" << TaskName(r.task)
            << ") on " << out.dataset.name << "@" << out.dataset.version << ", "
            << HumanCount(r.train_rows) << " training rows";
  if (r.valid_rows > 0) std::cout << ", " << HumanCount(r.valid_rows) << " validation rows";
  std::cout << "\n";
  if (req.task == Task::kMulticlass && r.task == Task::kBinary) {
    std::cout << "  (--task multiclass: the target has 2 classes, so the model is binary, the "
                 "two-class case of the multiclass one)\n";
  }
  if (r.dropped_rows > 0) {
    std::cout << "  (" << HumanCount(r.dropped_rows) << " rows without a target were left out)\n";
  }
  if (r.metrics.empty() && r.task != Task::kClustering) {
    std::cout << (a.split == "none"  ? "No validation data (--split none)"
                  : !a.valid.empty() ? "No validation row has a label"
                                     : "No validation rows (the data is too small to split)")
              << ", so no metrics of the model; measure it with `mloop eval run:" << out.run_id
              << " --data DATASET`\n"
              << (r.cv.empty() ? "" : "Cross-validation on the training data:\n");
  } else {
    std::cout << "Metrics on the " << (r.metrics_on_training_data ? "training" : "validation")
              << " data:\n";
  }
  // The headline metrics of the task; every metric is in --json and `mloop runs show`.
  static const std::map<Task, std::vector<std::string>> kHeadline = {
      {Task::kBinary,
       {"roc_auc", "average_precision", "accuracy", "balanced_accuracy", "precision", "recall",
        "f1", "log_loss", "brier"}},
      {Task::kMulticlass,
       {"accuracy", "balanced_accuracy", "f1_macro", "f1_weighted", "log_loss",
        "roc_auc_ovr_macro"}},
      {Task::kRegression, {"rmse", "mae", "r2", "mape", "explained_variance"}},
      {Task::kClustering, {"silhouette"}}};
  // Without validation metrics (--split none), the cross-validation's are shown alone.
  const bool value_column = !r.metrics.empty();
  std::vector<std::vector<std::string>> rows;
  for (const auto& k : kHeadline.at(r.task)) {
    auto it = r.metrics.find(k);
    auto cv = r.cv.find(k);
    if (value_column ? it == r.metrics.end() : cv == r.cv.end()) continue;
    std::vector<std::string> row{k};
    if (value_column) row.push_back(MetricText(it->second));
    if (!r.cv.empty()) {
      // A mean over fewer folds than asked says so: the others left the metric undefined.
      const int k_folds = a.cv.value_or(0);
      row.push_back(cv == r.cv.end()
                        ? ""
                        : MetricText(cv->second.mean) + " ± " + MetricText(cv->second.std) +
                              (cv->second.folds < k_folds
                                   ? " (" + std::to_string(cv->second.folds) + " of " +
                                         std::to_string(k_folds) + " folds)"
                                   : ""));
    }
    rows.push_back(std::move(row));
  }
  std::vector<std::string> header{"METRIC"};
  if (value_column) header.push_back("VALUE");
  if (!r.cv.empty()) header.push_back(std::to_string(a.cv.value_or(0)) + "-FOLD CV (MEAN ± STD)");
  if (!rows.empty()) PrintTable(header, rows, "  ");
  std::cout << "Model: " << out.model_hash.substr(0, 12) << " (mloop runs show " << out.run_id
            << ")\n";
}

// --- runs -------------------------------------------------------------------------------------

nlohmann::json RunJson(const RunRecord& r) {
  return {{"id", r.id},
          {"experiment", r.experiment},
          {"status", RunStatusName(r.status)},
          {"algorithm", r.algorithm},
          {"task", r.task},
          {"params", nlohmann::json::parse(r.params_json)},
          {"tags", nlohmann::json::parse(r.tags_json)},
          {"lineage", nlohmann::json::parse(r.lineage_json)},
          {"model", r.model_hash},
          {"host", r.host},
          {"pid", r.pid},
          {"started", FormatTimestamp(r.started_at_us)},
          {"ended",
           r.ended_at_us && !IsProcessDiedError(r.error) ? FormatTimestamp(r.ended_at_us) : ""},
          {"noticed_dead", r.ended_at_us && IsProcessDiedError(r.error)
                               ? nlohmann::json(FormatTimestamp(r.ended_at_us))
                               : nlohmann::json(nullptr)},
          {"error", r.error},
          {"metrics", r.metrics}};
}

void RunsList(const GlobalOptions& global, const std::string& experiment, const std::string& where,
              const std::string& sort, int64_t limit, bool json) {
  if (limit < 0) throw UsageError("--limit must be 0 or more, not " + std::to_string(limit));
  std::optional<RunFilter> filter;
  try {
    if (!where.empty()) filter = RunFilter::Parse(where);
  } catch (const Error& e) {
    throw UsageError(e.what(), e.hint());
  }
  auto ws = OpenWorkspace(global);
  RecoverStaleRuns(*ws);
  auto runs = ws->metadata().ListRuns(experiment);
  std::vector<std::string> unknown;  // fields of --where no run has: why nothing matches
  if (filter) {
    unknown = filter->FieldsNoneHas(runs);
    std::erase_if(runs, [&](const RunRecord& r) { return !filter->Matches(r); });
  }
  if (!sort.empty()) {
    SortedBy sorted;
    try {
      sorted = SortRuns(runs, sort);
    } catch (const Error& e) {
      throw UsageError(e.what(), e.hint());
    }
    if (!runs.empty() && !sorted.found) {
      std::cerr << "note: no run listed has " << sorted.field
                << ", so --sort left the order as it was; `mloop runs show ID` lists a run's "
                   "fields\n";
    }
  }
  const size_t matching = runs.size();
  if (limit > 0 && runs.size() > static_cast<size_t>(limit)) runs.resize(limit);
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : runs) out.push_back(RunJson(r));
    PrintJson(out);
    return;
  }
  if (runs.empty()) {
    std::cout << (filter ? "No run matches.\n"
                  : !experiment.empty() && experiment != "default"
                      ? "No runs in experiment '" + experiment + "'.\n"
                      : "No runs yet. Train one: mloop train DATASET --target COL\n");
    if (!filter && !experiment.empty()) {  // a misspelt experiment name
      const std::string near = DidYouMean(experiment, ws->metadata().ListExperiments());
      if (!near.empty()) std::cerr << "note: no experiment '" << experiment << "'" << near << "\n";
    }
    // A field no run has is most likely a misspelt name ("metrics.auc" for metrics.roc_auc).
    for (const std::string& field : unknown) {
      std::cerr << "note: no run has " << field;
      if (field == "metrics.auc") std::cerr << " (the metric is metrics.roc_auc)";
      std::cerr << "; `mloop runs show ID` lists a run's fields\n";
    }
    return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : runs) {
    auto lineage = nlohmann::json::parse(r.lineage_json);
    std::string data = lineage.contains("dataset")
                           ? lineage["dataset"]["name"].get<std::string>() + "@" +
                                 std::to_string(lineage["dataset"]["version"].get<int64_t>())
                           : "";
    std::string key_metric;
    for (const char* k : {"roc_auc", "roc_auc_ovr_macro", "accuracy", "rmse", "r2", "silhouette"}) {
      auto it = r.metrics.find(k);
      if (it != r.metrics.end()) {
        key_metric = std::string(k) + " " + MetricText(it->second);
        break;
      }
    }
    // Another metric (a tuning command's own `loss`): the first one, rather than none.
    if (key_metric.empty() && !r.metrics.empty()) {
      key_metric = r.metrics.begin()->first + " " + MetricText(r.metrics.begin()->second);
    }
    rows.push_back({std::to_string(r.id), r.experiment, std::string(RunStatusName(r.status)),
                    r.algorithm, data, key_metric, FormatTimestamp(r.started_at_us)});
  }
  PrintTable({"ID", "EXPERIMENT", "STATUS", "ALGORITHM", "DATASET", "METRIC", "STARTED"}, rows);
  if (runs.size() < matching) {
    std::cout << "(" << runs.size() << " of " << matching << " runs; --limit 0 lists all)\n";
  }
}

void RunsShow(const GlobalOptions& global, int64_t id, bool json) {
  auto ws = OpenWorkspace(global);
  RecoverStaleRuns(*ws);
  auto run = ws->metadata().GetRun(id);
  if (!run) throw NotFound("no run " + std::to_string(id), "list them with `mloop runs list`");
  if (json) {
    PrintJson(RunJson(*run));
    return;
  }
  const RunRecord& r = *run;
  std::cout << "run " << r.id << " (" << r.experiment << "): " << RunStatusName(r.status) << "\n"
            << "  algorithm: " << r.algorithm << "\n"
            << "  params:    " << r.params_json << "\n"
            << "  lineage:   " << r.lineage_json << "\n";
  const nlohmann::json tags = nlohmann::json::parse(r.tags_json, nullptr, false);
  if (tags.is_object() && !tags.empty()) {
    std::string text;
    for (const auto& [k, v] : tags.items()) {
      text +=
          (text.empty() ? "" : ", ") + k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
    }
    std::cout << "  tags:      " << text << "\n";
  }
  std::cout << "  started:   " << FormatTimestamp(r.started_at_us) << " on " << r.host << " (pid "
            << r.pid << ")\n";
  if (r.ended_at_us && IsProcessDiedError(r.error)) {
    // When the process died is unknown: only that it was before a later command noticed.
    std::cout << "  ended:     unknown, before " << FormatTimestamp(r.ended_at_us)
              << " (when its death was noticed)\n";
  } else if (r.ended_at_us) {
    std::cout << "  ended:     " << FormatTimestamp(r.ended_at_us) << " ("
              << HumanSeconds(static_cast<double>(r.ended_at_us - r.started_at_us) / 1e6) << ")\n";
  }
  if (!r.error.empty()) std::cout << "  error:     " << r.error << "\n";
  if (!r.model_hash.empty()) std::cout << "  model:     " << r.model_hash << "\n";
  if (!r.metrics.empty()) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& [k, v] : r.metrics) rows.push_back({k, MetricText(v, 6)});
    std::cout << "metrics:\n";
    PrintTable({"METRIC", "VALUE"}, rows, "  ");
  }
}

void RunsCompare(const GlobalOptions& global, const std::vector<int64_t>& ids, bool only_differ,
                 bool json) {
  if (ids.size() < 2) throw UsageError("runs compare needs at least two run ids");
  for (size_t i = 0; i < ids.size(); ++i) {
    if (std::find(ids.begin(), ids.begin() + static_cast<long>(i), ids[i]) !=
        ids.begin() + static_cast<long>(i)) {
      throw UsageError("run " + std::to_string(ids[i]) + " is named twice",
                       "compare different runs");
    }
  }
  auto ws = OpenWorkspace(global);
  RecoverStaleRuns(*ws);  // a run whose process died is failed here too, as in list and show
  std::vector<RunRecord> runs;
  for (int64_t id : ids) {
    auto r = ws->metadata().GetRun(id);
    if (!r) throw NotFound("no run " + std::to_string(id));
    runs.push_back(*r);
  }
  // Every parameter and metric any of the runs has, as rows; one column per run.
  std::map<std::string, std::vector<std::string>> table;
  auto add = [&](const std::string& key, size_t i, const std::string& value) {
    auto& row = table[key];
    row.resize(runs.size());
    row[i] = value;
  };
  for (size_t i = 0; i < runs.size(); ++i) {
    const RunRecord& r = runs[i];
    add(" algorithm", i, r.algorithm);
    // What the run learned from and how: a different version, recipe or split explains
    // different metrics as much as a parameter does.
    const nlohmann::json lineage = nlohmann::json::parse(r.lineage_json);
    std::string dataset = lineage.value("/dataset/name"_json_pointer, std::string());
    if (lineage.contains("/dataset/version"_json_pointer)) {
      dataset += "@" + lineage.at("/dataset/version"_json_pointer).dump();
    }
    add(" dataset", i, dataset);
    add(" status", i, std::string(RunStatusName(r.status)));
    add(" target", i, lineage.value("target", std::string()));
    add(" task", i, r.task);
    add(" split", i, lineage.value("split", std::string()));
    const int64_t folds = lineage.value("cv_folds", int64_t{0});
    add(" cv folds", i, folds > 0 ? std::to_string(folds) : "");
    add(" seed", i, lineage.contains("seed") ? lineage.at("seed").dump() : "");
    add(" recipe", i,
        lineage.contains("recipe")
            ? lineage.value("/recipe/sha256"_json_pointer, std::string()).substr(0, 12)
            : "");
    const nlohmann::json params = nlohmann::json::parse(r.params_json);  // outlives the loop
    for (const auto& [k, v] : params.items()) {
      add("params." + k, i, v.is_string() ? v.get<std::string>() : v.dump());
    }
    const nlohmann::json tags = nlohmann::json::parse(r.tags_json);
    for (const auto& [k, v] : tags.items()) {
      add("tags." + k, i, v.is_string() ? v.get<std::string>() : v.dump());
    }
    // Every digit: the JSON has the exact value, and runs differing in the 7th digit differ.
    for (const auto& [k, v] : r.metrics) add("metrics." + k, i, FormatDouble(v));
  }
  auto differs = [](const std::vector<std::string>& values) {
    return std::any_of(values.begin(), values.end(),
                       [&](const std::string& v) { return v != values[0]; });
  };
  if (only_differ) std::erase_if(table, [&](const auto& field) { return !differs(field.second); });
  if (json) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [k, row] : table) out[k.substr(k[0] == ' ' ? 1 : 0)] = row;
    PrintJson({{"runs", ids}, {"fields", out}});
    return;
  }
  const bool tty = isatty(1) == 1;
  std::vector<std::string> header{"FIELD"};
  for (int64_t id : ids) header.push_back("RUN " + std::to_string(id));
  header.push_back("");
  std::vector<std::vector<std::string>> rows;
  std::vector<bool> bold;
  if (table.empty()) {
    std::cout << "The runs agree in every field (without --diff: the fields and values).\n";
    return;
  }
  for (const auto& [key, values] : table) {
    const bool differ = differs(values);
    std::vector<std::string> row{key[0] == ' ' ? key.substr(1) : key};
    const bool metric = key.rfind("metrics.", 0) == 0;
    // Metrics to 6 significant digits, or every digit when that would show two different
    // values alike.
    auto shown = [&](bool every_digit) {
      std::vector<std::string> cells;
      for (const auto& v : values) {
        double d;
        cells.push_back(v.empty()                                       ? "-"
                        : metric && ParseFloat64(v, &d) && !every_digit ? SignificantText(d, 6)
                                                                        : v);
      }
      return cells;
    };
    std::vector<std::string> cells = shown(false);
    bool alike = false;  // two different values that would read the same
    for (size_t i = 0; i < values.size() && !alike; ++i) {
      for (size_t j = i + 1; j < values.size() && !alike; ++j) {
        alike = values[i] != values[j] && cells[i] == cells[j];
      }
    }
    if (alike) cells = shown(true);
    row.insert(row.end(), cells.begin(), cells.end());
    // Differences are marked: a '*' at the end, and in bold on a terminal.
    row.push_back(differ ? "*" : "");
    bold.push_back(differ && tty);
    rows.push_back(std::move(row));
  }
  PrintTable(header, rows, "", bold);
}

// --- predict ----------------------------------------------------------------------------------

// The class labels of `pred` in the target's type (an int64 target's 0, not "0"), as transform
// and serve write them; unchanged for a string target, or a label that does not read back.
Table WithTypedLabels(const Table& pred, const Target& target) {
  const int idx = pred.schema().IndexOf("prediction");
  if (idx < 0 || pred.column(idx).type() != DataType::kString ||
      (target.type != DataType::kInt64 && target.type != DataType::kBool &&
       target.type != DataType::kFloat64)) {
    return pred;
  }
  const Column& text = pred.column(idx);
  ColumnBuilder typed(target.type);
  for (int64_t i = 0; i < text.size(); ++i) {
    if (!text.IsValid(i)) {
      typed.AppendNull();
      continue;
    }
    const std::string_view v = text.StringAt(i);
    int64_t n;
    double d;
    bool b;
    if (target.type == DataType::kInt64 && ParseInt64(v, &n)) {
      typed.AppendInt(n);
    } else if (target.type == DataType::kFloat64 && ParseFloat64(v, &d)) {
      typed.AppendDouble(d);
    } else if (target.type == DataType::kBool && ParseBool(v, &b)) {
      typed.AppendBool(b);
    } else {
      return pred;
    }
  }
  std::vector<Field> fields = pred.schema().fields();
  std::vector<Column> cols = pred.columns();
  fields[static_cast<size_t>(idx)].type = target.type;
  cols[static_cast<size_t>(idx)] = typed.Finish();
  return Table(Schema(std::move(fields)), std::move(cols));
}

void RunPredict(const GlobalOptions& global, const std::string& model, const std::string& data,
                const std::string& output, bool keep_input, bool explain) {
  OutputIsJsonLines(output);  // a compressed name is refused (exit 2) before any work
  if (output != "-") {
    CheckOutputPath(output, "--output");  // a directory, a missing one, an empty name
    RefuseOverwritingInput(output, data, "--output");
  }
  auto ws = OpenWorkspace(global);
  const ResolvedModel resolved = ResolveModelRef(*ws, model);
  if (const std::string w = RejectedWarning(resolved); !w.empty()) {
    std::cerr << "warning: " << w << "; predicting with it all the same\n";
  }
  Predictor predictor(LoadBundle(ws->artifacts(), resolved.model_hash));
  // Kept input columns the model does not read come back as their text (an id "007" stays
  // "007"), not as a type inferred from them.
  Table input =
      LoadTableArg(*ws, data, predictor.inputs(), keep_input, &predictor.missing_tokens());
  Table pred = WithTypedLabels(predictor.Predict(input), predictor.target());
  if (explain) {
    Table contributions = predictor.Explain(input);
    std::vector<Field> fields = pred.schema().fields();
    std::vector<Column> cols = pred.columns();
    for (int c = 0; c < contributions.num_columns(); ++c) {
      fields.push_back(contributions.schema().field(c));
      cols.push_back(contributions.column(c));
    }
    pred = Table(Schema(std::move(fields)), std::move(cols));
  }
  if (keep_input) {
    std::vector<Field> fields = input.schema().fields();
    std::vector<Column> cols = input.columns();
    for (int c = 0; c < pred.num_columns(); ++c) {
      Field f = pred.schema().field(c);
      while (input.schema().IndexOf(f.name) >= 0) f.name = "predicted_" + f.name;
      fields.push_back(f);
      cols.push_back(pred.column(c));
    }
    pred = Table(Schema(std::move(fields)), std::move(cols));
  }
  if (output == "-") {
    WriteCsv(pred, std::cout);
  } else if (OutputIsJsonLines(output)) {
    WriteJsonLinesFile(pred, output);
  } else {
    WriteCsvFile(pred, output);
  }
  if (output != "-" && DescriptorOfPath(output) != 1) {  // not after the data on stdout
    std::cout << "Wrote " << HumanCount(pred.num_rows()) << " predictions to " << output << "\n";
  }
}

}  // namespace

void RegisterTrain(CLI::App& app, GlobalOptions& global) {
  auto a = std::make_shared<TrainArgs>();
  auto* train = app.add_subcommand("train", "Train a model on a dataset; the run is recorded");
  train
      ->add_option("DATASET", a->dataset,
                   "NAME or NAME@VERSION, or a CSV / JSON Lines file (imported as a dataset "
                   "named after it)")
      ->required();
  train->add_option("-t,--target", a->target,
                    "The column to predict (none for clustering: --algo kmeans)");
  train->add_option("-a,--algo", a->algo,
                    "Algorithm: " + Join(EstimatorNames(), ", ") + " (default xgboost)");
  train->add_option("-p,--param", a->params, "KEY=VALUE, the algorithm's own names; repeatable")
      ->allow_extra_args(false);
  train->add_option("--recipe", a->recipe,
                    "Preprocessing recipe (YAML): fitted on the training rows, saved with the "
                    "model, applied wherever it predicts");
  train->add_option("--valid", a->valid, "Validation dataset or file (instead of --split)");
  train->add_option("--split", a->split,
                    "random[:F] | stratified[:F] | time:COL[:F] | none (default: stratified:0.2 "
                    "for classification, random:0.2 for regression)");
  train->add_option("--cv", a->cv,
                    "Also cross-validate with K folds (stratified when classifying)");
  train->add_option("--task", a->task,
                    "binary | multiclass | regression (default: from the target)");
  train->add_option("--seed", a->seed, "Random seed (default 42)")->check(SeedValidator());
  train->add_option("--experiment", a->experiment, "Experiment name (default: default)");
  train->add_option("--tag", a->tags, "KEY=VALUE; repeatable")->allow_extra_args(false);
  train->add_flag("-q,--quiet", a->quiet, "No progress on stderr");
  train->add_flag("--json", a->json, "Print the result as JSON");
  train->callback([&global, a] {
    TrainArgs args = *a;
    if (args.split.empty() && args.valid.empty()) args.split = "";
    RunTrain(global, args);
  });

  auto* runs = app.add_subcommand("runs", "List, show and compare training runs");
  runs->require_subcommand(1);
  auto list_exp = std::make_shared<std::string>();
  auto list_where = std::make_shared<std::string>();
  auto list_sort = std::make_shared<std::string>();
  auto list_json = std::make_shared<bool>(false);
  auto* list = runs->add_subcommand("list", "Runs, newest first");
  list->add_option("--experiment", *list_exp, "Only this experiment");
  list->add_option("--where", *list_where,
                   "Conditions, e.g. 'metrics.roc_auc > 0.8 and params.max_depth = 6'");
  list->add_option("--sort", *list_sort, "FIELD[:asc|:desc], e.g. metrics.roc_auc");
  auto list_limit = std::make_shared<int64_t>(0);
  list->add_option("--limit", *list_limit, "At most N runs, after --where and --sort (0: all)");
  list->add_flag("--json", *list_json, "Print as JSON");
  list->callback([&global, list_exp, list_where, list_sort, list_limit, list_json] {
    RunsList(global, *list_exp, *list_where, *list_sort, *list_limit, *list_json);
  });
  auto cmp_ids = std::make_shared<std::vector<int64_t>>();
  auto cmp_diff = std::make_shared<bool>(false);
  auto cmp_json = std::make_shared<bool>(false);
  auto* cmp = runs->add_subcommand("compare", "Parameters and metrics of runs side by side");
  cmp->add_option("IDS", *cmp_ids, "Two or more run ids")->required()->transform(RunIdValidator());
  cmp->add_flag("--diff", *cmp_diff, "Only the fields whose values differ between the runs");
  cmp->add_flag("--json", *cmp_json, "Print as JSON");
  cmp->callback([&global, cmp_ids, cmp_diff, cmp_json] {
    RunsCompare(global, *cmp_ids, *cmp_diff, *cmp_json);
  });
  auto show_id = std::make_shared<int64_t>(0);
  auto show_json = std::make_shared<bool>(false);
  auto* show = runs->add_subcommand("show", "One run: parameters, metrics, lineage, model");
  show->add_option("ID", *show_id, "Run id")->required()->transform(RunIdValidator());
  show->add_flag("--json", *show_json, "Print as JSON");
  show->callback([&global, show_id, show_json] { RunsShow(global, *show_id, *show_json); });

  auto model = std::make_shared<std::string>();
  auto data = std::make_shared<std::string>();
  auto output = std::make_shared<std::string>("-");
  auto keep = std::make_shared<bool>(false);
  auto explain = std::make_shared<bool>(false);
  auto* predict = app.add_subcommand("predict", "Predict with a trained model");
  predict
      ->add_option("MODEL", *model,
                   "NAME/VERSION, NAME@ALIAS, NAME@latest, a run id (3 or run:3) or a model "
                   "address prefix")
      ->required();
  predict
      ->add_option("-d,--data", *data,
                   "A data file (CSV or JSON Lines) or a dataset NAME[@VERSION]")
      ->required();
  predict->add_option("-o,--output", *output,
                      "CSV or JSON Lines (.jsonl, .ndjson, .json) file, or - for stdout (default)");
  predict->add_flag("--keep-input", *keep, "Write the input columns too");
  predict->add_flag("--explain", *explain,
                    "Add each feature's contribution (SHAP value) to the raw score (xgboost, "
                    "random_forest)");
  predict->callback([&global, model, data, output, keep, explain] {
    RunPredict(global, *model, *data, *output, *keep, *explain);
  });
}

}  // namespace mloop::cli
