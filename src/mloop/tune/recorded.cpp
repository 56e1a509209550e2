#include "mloop/tune/recorded.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "mloop/core/clock.h"
#include "mloop/core/error.h"
#include "mloop/core/hash.h"
#include "mloop/core/strings.h"
#include "mloop/core/time.h"
#include "mloop/data/datasets.h"
#include "mloop/eval/metrics.h"
#include "mloop/git_version.h"
#include "mloop/prep/recipe.h"
#include "mloop/track/registry.h"
#include "mloop/track/runs.h"
#include "mloop/train/registry.h"
#include "mloop/train/target.h"
#include "mloop/version.h"

namespace mloop::tune {

namespace {

std::filesystem::path InJobDir(const TuningJob& job, const std::string& path) {
  std::filesystem::path p(path);
  return p.is_absolute() ? p : job.working_dir / p;
}

bool IsFile(const std::filesystem::path& p) {
  std::error_code ec;
  return std::filesystem::is_regular_file(p, ec);
}

// " (mean of K CV folds)", or " (mean of 3 of 4 CV folds)" when `defined` (> 0) of the K folds
// give the metric a value (as `train --cv` says it).
std::string CvMeanLabel(int64_t defined, int64_t k) {
  return " (mean of " +
         (defined > 0 && defined < k ? std::to_string(defined) + " of " : std::string()) +
         std::to_string(k) + " CV folds)";
}

// XGBoost's name for the per-round value of an mloop metric (for pruning on it).
std::string XgboostEvalMetric(const std::string& metric, Task task) {
  if (metric == "roc_auc") return "auc";
  if (metric == "average_precision") return "aucpr";
  if (metric == "log_loss") return task == Task::kMulticlass ? "mlogloss" : "logloss";
  if (metric == "rmse" || metric == "mae" || metric == "mape") return metric;
  return "";
}

// The best complete trial that is not a warm start, or null.
const nlohmann::json* BestTrial(const nlohmann::json& trials, Direction direction) {
  const nlohmann::json* best = nullptr;
  for (const auto& t : trials) {
    if (t.value("state", "") != "complete" || !t.contains("value") || !t["value"].is_number() ||
        t.value("warm_start", false)) {
      continue;
    }
    const double v = t["value"].get<double>();
    if (!best) {
      best = &t;
      continue;
    }
    const double b = (*best)["value"].get<double>();
    if (direction == Direction::kMinimize ? v < b : v > b) best = &t;
  }
  return best;
}

// A trial from a document is "unfinished" when it was running when the job stopped.
bool Unfinished(const Trial& t) {
  return t.state == TrialState::kRunning ||
         (t.state == TrialState::kFailed && t.error == "interrupted");
}

class Recorder {
 public:
  Recorder(Workspace& ws, const TuningJob& job, Study& study, const RecordedTuneOptions& options)
      : ws_(ws), job_(job), study_(study), options_(options) {}

  RecordedTuneResult Run();

 private:
  void PrepareTraining();
  void AddEarlierTrials(RecordedTuneResult* result);
  void CheckSameData(int64_t job_id, const std::vector<int64_t>& runs);
  nlohmann::json TrialsJson() const;  // under the runner's lock (or before it starts)
  // TrialsJson().dump(), with each ended trial's text made once: a job saves its trials after
  // every ask and tell, and a trial's curve may hold thousands of intermediate values.
  std::string TrialsText() const;
  nlohmann::json Summary() const;
  TrialResult TrainTrial(int number, const ParamValues& params,
                         const std::function<bool(int64_t, double)>& report,
                         const std::atomic<bool>* cancel);
  TrialResult CommandTrial(int number, const ParamValues& params,
                           const std::function<bool(int64_t, double)>& report,
                           const std::atomic<bool>* cancel);
  std::map<std::string, std::string> Tags(int number) const {
    return {{"tune.job", std::to_string(job_id_)}, {"tune.trial", std::to_string(number)}};
  }

  Workspace& ws_;
  const TuningJob& job_;
  Study& study_;
  const RecordedTuneOptions& options_;
  int64_t job_id_ = 0;
  std::map<int, int64_t> run_ids_;  // trial number -> run (guarded by the runner's lock)
  mutable std::map<int, std::string> ended_text_;  // TrialsText's (under the same lock)
  std::mutex run_ids_mu_;
  std::map<std::string, int64_t> earlier_;  // what seeded the study: "resumed_from", ...
  // The fewest cross-validation folds a trial's value was the mean of, when fewer than the
  // job's K (a fold whose validation part leaves the metric undefined); 0: all K. Every trial
  // has the same folds (the job's seed), so this is one number for the job.
  std::atomic<int> cv_folds_defined_{0};
  std::vector<int64_t> warm_ids_;
  int threads_per_trial_ = 0;
  std::optional<Recipe> recipe_;
  std::filesystem::path recipe_file_;
  Task task_ = Task::kBinary;
  std::string eval_metric_;  // XGBoost's per-round name of the objective, for pruning
};

void Recorder::PrepareTraining() {
  const TrainObjective& t = *job_.train;
  if (!options_.train_data) throw Internal("a training job needs its data");
  // `register: {name: Cancer}` beside a registered `cancer`: refused now, not after the trials.
  if (!job_.register_name.empty()) RefuseNameDifferingInCase(ws_, job_.register_name);
  const TrainData& d = *options_.train_data;
  // An unknown algorithm, or a fixed or tuned parameter it does not know, before any trial;
  // then each tuned parameter at both ends of its range (and every category), the others in
  // the middle: a range the algorithm refuses in part would fail trials one by one.
  std::map<std::string, std::string> middle = t.params;
  for (const ParamSpec& p : job_.space.params()) {
    middle[p.name] = ParamValueText(job_.space.FromUnit(p, 0.5));
  }
  auto check = [&](const std::map<std::string, std::string>& params, const std::string& what) {
    try {
      CreateEstimator(t.algorithm)->SetParams(params);
    } catch (const Error& e) {
      throw Error(e.code(), job_.origin + ": " + what + e.what(),
                  what.empty() ? e.hint() : "narrow the range in parameters:");
    }
  };
  check(middle, "");
  for (const ParamSpec& p : job_.space.params()) {
    std::vector<double> ends = {0.0, 1.0};
    if (p.type == ParamType::kCategorical) {
      ends.clear();
      const size_t n = p.choices.size();
      for (size_t k = 0; k < n; ++k) {
        ends.push_back(n > 1 ? static_cast<double>(k) / static_cast<double>(n - 1) : 0.0);
      }
    }
    for (double u : ends) {
      std::map<std::string, std::string> probe = middle;
      probe[p.name] = ParamValueText(job_.space.FromUnit(p, u));
      check(probe, "parameter " + p.name + " = " + probe[p.name] + " (in its range): ");
    }
  }
  std::optional<Task> task;
  if (!t.task.empty()) {
    task = ParseTask(t.task);
    if (!task || *task == Task::kClustering) {
      throw InvalidArgument(job_.origin + ": train.task '" + t.task + "' is not a task",
                            "tasks: binary, multiclass, regression (default: from the target)");
    }
  }
  const Target target = InferTarget(d.table, t.target, task);
  task_ = target.task;
  // Settings under which no trial could ever be measured fail the job now, not trial by trial.
  if (t.split == "none" && t.cv_folds < 2 && t.valid.empty()) {
    throw InvalidArgument(job_.origin +
                              ": train.split 'none' leaves no validation rows to measure " +
                              job_.metric + " on",
                          "use a split (stratified:0.2), a valid dataset, or cv: 5");
  }
  if (d.valid && task_ != Task::kRegression) {
    if (d.valid_table.schema().IndexOf(t.target) < 0) {
      throw InvalidArgument(job_.origin + ": the validation data has no column '" + t.target + "'");
    }
    int64_t unknown_rows = 0;
    const auto unknown =
        target.UnknownLabels(d.valid_table, target.Encode(d.valid_table), &unknown_rows);
    if (unknown_rows > 0) {
      throw InvalidArgument(job_.origin + ": the validation data has " +
                                std::to_string(unknown_rows) + " rows whose '" + t.target +
                                "' is not a class of the training data (" + Join(unknown, ", ") +
                                ")",
                            "classes: " + Join(target.classes, ", "));
    }
  }
  const std::vector<std::string> metrics = MetricNames(task_);
  if (std::find(metrics.begin(), metrics.end(), job_.metric) == metrics.end()) {
    throw InvalidArgument(job_.origin + ": the objective's metric '" + job_.metric +
                              "' is not measured for a " + std::string(TaskName(task_)) +
                              " target ('" + t.target + "')",
                          "metrics: " + Join(metrics, ", "));
  }
  if (!t.split.empty()) {
    const SplitSpec split = ParseSplit(t.split);
    if (split.kind == SplitSpec::Kind::kTime && d.table.schema().IndexOf(split.time_column) < 0) {
      const std::string nearest = NearestName(split.time_column, d.table.schema().names());
      throw InvalidArgument(job_.origin + ": train.split '" + t.split +
                                "': the data has no column '" + split.time_column + "'" +
                                (nearest.empty() ? "" : " (did you mean '" + nearest + "'?)"),
                            "columns: " + Join(d.table.schema().names(), ", "));
    }
    if (split.kind == SplitSpec::Kind::kTime) {  // as `train` checks it, before any trial
      CheckTimeSplitColumn(d.table.schema().field(d.table.schema().IndexOf(split.time_column)).type,
                           job_.origin + ": train.split '" + t.split + "'");
    }
  }
  // Validation data without a column the model reads fails every trial after its training.
  if (d.valid && t.recipe.empty()) {
    const std::string missing =
        FeatureMissingFrom(d.table.schema(), d.valid_table.schema(), t.target);
    if (!missing.empty()) {
      throw InvalidArgument(job_.origin + ": the validation data has no column '" + missing +
                                "', which the training data has and the model reads",
                            "give validation data with the training data's columns");
    }
  }
  if (!t.recipe.empty()) {
    recipe_file_ = InJobDir(job_, t.recipe);
    recipe_ = Recipe::Load(recipe_file_);
    RecipeFitOptions check;
    check.target = t.target;
    recipe_->Check(d.table.schema(), check);
  }
  if (job_.pruner != "none" && t.algorithm == "xgboost") {
    const std::string name = XgboostEvalMetric(job_.metric, task_);
    if (name.empty()) {
      throw InvalidArgument(job_.origin + ": pruning needs each boosting round's value of '" +
                                job_.metric + "', which XGBoost does not compute",
                            "prune on roc_auc, average_precision, log_loss, rmse, mae or mape");
    }
    eval_metric_ = "valid-" + (t.params.count("eval_metric") ? t.params.at("eval_metric") : name);
  }
  const int cores = ws_.config().threads > 0
                        ? ws_.config().threads
                        : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  threads_per_trial_ = std::max(1, cores / std::max(1, options_.parallel));
}

// Trials are comparable only on the same data: a resumed job whose data file or dataset now
// holds other content (a file edited, a name re-imported) is refused, naming both versions.
void Recorder::CheckSameData(int64_t job_id, const std::vector<int64_t>& runs) {
  for (int64_t run_id : runs) {
    if (run_id == 0) continue;
    auto run = ws_.metadata().GetRun(run_id);
    if (!run) continue;
    const nlohmann::json lineage = nlohmann::json::parse(run->lineage_json, nullptr, false);
    if (!lineage.is_object() || !lineage.contains("dataset")) continue;
    const std::string cannot = "cannot resume tuning job " + std::to_string(job_id) + ": ";
    const std::string hint =
        "values on other data are not comparable: restore it, or start a new job";
    // The training and the validation data, by content.
    auto same = [&](const char* key, const DatasetRef& ref, const char* what) {
      if (!lineage.contains(key)) return;
      const nlohmann::json& was = lineage[key];
      const DatasetVersion now = ResolveDataset(ws_, ref);
      if (was.value("hash", now.content_hash) != now.content_hash) {
        throw FailedPrecondition(
            cannot + "its trials " + what + " " + was.value("name", std::string("?")) + "@" +
                std::to_string(was.value("version", int64_t{0})) + ", and the data is now " +
                now.name + "@" + std::to_string(now.version) + " (other content)",
            hint);
      }
    };
    same("dataset", options_.train_data->data, "trained on");
    if (options_.train_data->valid) {
      same("valid_dataset", *options_.train_data->valid, "were validated on");
    }
    // The recipe file, by content: another recipe makes other features.
    if (lineage.contains("recipe") && lineage["recipe"].contains("sha256") &&
        !recipe_file_.empty()) {
      const std::string was = lineage["recipe"]["sha256"].get<std::string>();
      if (was != Sha256File(recipe_file_)) {
        throw FailedPrecondition(
            cannot + "the recipe " + recipe_file_.string() + " changed since its trials ran",
            "values of other features are not comparable: restore it, or start a new job");
      }
    }
    return;
  }
}

void Recorder::AddEarlierTrials(RecordedTuneResult* result) {
  auto load = [&](int64_t id) {
    auto record = ws_.metadata().GetTuningJob(id);
    if (!record) throw NotFound("no tuning job " + std::to_string(id));
    if (record->status == RunStatus::kRunning) {
      throw FailedPrecondition("tuning job " + std::to_string(id) + " is still running (pid " +
                               std::to_string(record->pid) + " on " + record->host + ")");
    }
    // Values of another metric, or of the same one optimised the other way, mislead.
    const nlohmann::json spec = nlohmann::json::parse(record->spec_json, nullptr, false);
    const nlohmann::json objective =
        spec.is_object() ? spec.value("objective", nlohmann::json::object()) : nlohmann::json();
    const std::string goal = job_.direction == Direction::kMinimize ? "minimize" : "maximize";
    if (objective.value("metric", "") != job_.metric || objective.value("goal", "") != goal) {
      throw InvalidArgument("tuning job " + std::to_string(id) + " (" + record->name + ") " +
                            objective.value("goal", "?") + "s " + objective.value("metric", "?") +
                            "; this job " + goal + "s " + job_.metric +
                            ": its trials cannot seed this one");
    }
    return std::make_pair(*record, nlohmann::json::parse(record->trials_json));
  };
  // The runs of the trials added: one trial reached twice (a job and its resume both given as
  // warm starts, or a job named twice) is added once.
  std::set<int64_t> added_runs;
  // Adds `trials` (with their runs) as warm starts or as this job's own.
  auto add = [&](std::vector<Trial> trials, const std::vector<int64_t>& runs, bool own) {
    for (int64_t run : runs) {
      if (run != 0) added_runs.insert(run);
    }
    const size_t first = study_.trials().size();
    study_.AddTrials(trials, own);
    for (size_t i = 0; i < runs.size(); ++i) {
      if (runs[i] != 0) run_ids_[static_cast<int>(first + i)] = runs[i];
    }
    if (!own) result->warm_start_trials += static_cast<int>(trials.size());
  };
  // Resuming: the job's trials in their order, so every trial keeps its number (and its run's
  // tune.trial tag): its seeds first, as seeds again, then its own. A trial that was running
  // when the job stopped stays, as failed "interrupted" (AddTrials), and counts.
  if (options_.resume) {
    auto [record, trials] = load(*options_.resume);
    // Another process already resuming it would number the same trials twice.
    for (const TuningJobRecord& other : ws_.metadata().ListTuningJobs(record.name)) {
      if (other.status != RunStatus::kRunning) continue;
      const nlohmann::json summary = nlohmann::json::parse(other.summary_json, nullptr, false);
      if (summary.is_object() && summary.value("resumed_from", int64_t{0}) == *options_.resume) {
        throw FailedPrecondition("tuning job " + std::to_string(*options_.resume) +
                                 " is already being resumed, as job " + std::to_string(other.id) +
                                 " (pid " + std::to_string(other.pid) + " on " + other.host + ")");
      }
    }
    std::vector<Trial> seeds, own;
    std::vector<int64_t> seed_runs, own_runs;
    for (const auto& j : trials) {
      Trial t = TrialFromJson(j);
      FitToSpace(study_.space(), &t.params);  // the same space: only the value types change
      (t.warm_start ? seed_runs : own_runs).push_back(j.value("run_id", int64_t{0}));
      (t.warm_start ? seeds : own).push_back(std::move(t));
    }
    if (options_.train_data) CheckSameData(*options_.resume, own_runs);
    add(std::move(seeds), seed_runs, false);
    add(std::move(own), own_runs, true);
    earlier_["resumed_from"] = *options_.resume;
    // Its trials' values were means over the folds it counted (the same folds again now).
    const nlohmann::json summary = nlohmann::json::parse(record.summary_json, nullptr, false);
    if (summary.is_object() && summary.value("cv_folds_defined", 0) > 0) {
      cv_folds_defined_.store(summary.value("cv_folds_defined", 0));
    }
  }
  // Warm starts: the finished trials of earlier jobs (their seeds too) that are points of this
  // search space.
  for (int64_t id : options_.warm_start) {
    auto [record, trials] = load(id);
    std::vector<Trial> kept;
    std::vector<int64_t> runs;
    for (const auto& j : trials) {
      Trial t = TrialFromJson(j);
      // Without a value (unfinished, or failed) a trial tells the sampler nothing.
      if (Unfinished(t) || t.state == TrialState::kFailed) continue;
      const int64_t run = j.value("run_id", int64_t{0});
      if (run != 0 && added_runs.count(run)) continue;  // already here, through another job
      if (!FitToSpace(study_.space(), &t.params)) {
        ++result->skipped_warm_start;
        continue;
      }
      kept.push_back(std::move(t));
      runs.push_back(run);
    }
    add(std::move(kept), runs, false);
    if (std::find(warm_ids_.begin(), warm_ids_.end(), id) == warm_ids_.end()) {
      warm_ids_.push_back(id);
    }
  }
  if (auto reason = study_.StopReason()) {
    throw FailedPrecondition(
        (options_.resume ? "tuning job " + std::to_string(*options_.resume)
                         : std::string("the job")) +
            " already meets its stop rule (" + *reason + "): no trial would run",
        *reason == "max_trials" ? "give a higher limit: --max-trials N"
        : *reason == "patience" ? "give more patience: --patience N (0: no such rule), with "
                                  "--max-trials N when the limit is reached too"
                                : "change the job's " + *reason + " and run it anew");
  }
}

nlohmann::json Recorder::TrialsJson() const {
  nlohmann::json out = nlohmann::json::array();
  for (const Trial& t : study_.trials()) {
    nlohmann::json j = TrialToJson(t);
    auto it = run_ids_.find(t.number);
    if (it != run_ids_.end()) j["run_id"] = it->second;
    out.push_back(std::move(j));
  }
  return out;
}

std::string Recorder::TrialsText() const {
  std::string out = "[";
  for (const Trial& t : study_.trials()) {
    if (out.size() > 1) out += ',';
    auto cached = ended_text_.find(t.number);
    if (cached != ended_text_.end()) {
      out += cached->second;
      continue;
    }
    nlohmann::json j = TrialToJson(t);
    auto it = run_ids_.find(t.number);
    if (it != run_ids_.end()) j["run_id"] = it->second;
    std::string text = j.dump();
    out += text;
    // An ended trial with its run (if it has one) never changes again.
    if (t.state != TrialState::kRunning && (it != run_ids_.end() || t.warm_start)) {
      ended_text_.emplace(t.number, std::move(text));
    }
  }
  return out + "]";
}

nlohmann::json Recorder::Summary() const {
  nlohmann::json s = nlohmann::json::object();
  for (const auto& [k, v] : earlier_) s[k] = v;
  if (const int folds = cv_folds_defined_.load(); folds > 0) s["cv_folds_defined"] = folds;
  if (!warm_ids_.empty()) s["warm_start"] = warm_ids_;
  return s;
}

TrialResult Recorder::TrainTrial(int number, const ParamValues& params,
                                 const std::function<bool(int64_t, double)>& report,
                                 const std::atomic<bool>* cancel) {
  const TrainObjective& t = *job_.train;
  const TrainData& d = *options_.train_data;
  TrainCommand cmd;
  cmd.data = d.data;
  cmd.data_table = &d.table;
  if (d.valid) {
    cmd.valid = d.valid;
    cmd.valid_table = &d.valid_table;
  }
  TrainRequest& req = cmd.request;
  req.algorithm = t.algorithm;
  req.params = t.params;
  for (const auto& [name, value] : params) req.params[name] = ParamValueText(value);
  if (!eval_metric_.empty() && !t.params.count("eval_metric")) {
    req.params["eval_metric"] = eval_metric_.substr(6);  // after "valid-"
  }
  req.target = t.target;
  if (!t.task.empty()) req.task = ParseTask(t.task);
  if (!t.split.empty()) req.split = ParseSplit(t.split);
  req.cv_folds = t.cv_folds;
  req.recipe = recipe_ ? &*recipe_ : nullptr;
  req.seed = job_.seed;  // the same split and folds for every trial: values compare
  req.threads = threads_per_trial_;
  cmd.recipe_file = recipe_file_.string();
  cmd.experiment = JobExperiment(job_);
  cmd.tags = Tags(number);
  int64_t run_id = 0;
  cmd.on_start = [&](int64_t id) {
    run_id = id;
    std::lock_guard lock(run_ids_mu_);
    run_ids_[number] = id;
  };
  TrialResult r;
  bool pruned = false;
  const auto start = std::chrono::steady_clock::now();
  // An interrupt or the trial's timeout stops training between two rounds, in the folds too.
  req.on_fold_iteration = [&](const IterationLog& log) {
    if (cancel && cancel->load()) throw TrainingStopped("interrupted");
    if (job_.timeout_seconds > 0 &&
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() >
            job_.timeout_seconds) {
      char text[96];
      std::snprintf(text, sizeof text, "timed out after %g s (timeout_seconds), at round %d",
                    job_.timeout_seconds, log.iteration);
      throw TrainingStopped(text);
    }
  };
  req.on_iteration = [&](const IterationLog& log) {
    req.on_fold_iteration(log);
    if (eval_metric_.empty()) return;
    auto it = log.metrics.find(eval_metric_);
    if (it == log.metrics.end()) return;
    r.intermediate[log.iteration] = it->second;
    if (report && report(log.iteration, it->second)) {
      pruned = true;
      r.value = it->second;
      throw TrainingStopped("pruned at round " + std::to_string(log.iteration) + " (" +
                            job_.pruner + " pruner)");
    }
  };
  // A trial without the objective's value fails, and so does its run (it is no model to pick).
  cmd.check_result = [&](const TrainResult& result) -> std::string {
    const auto cv = result.cv.find(job_.metric);
    const auto m = result.metrics.find(job_.metric);
    if (t.cv_folds > 1 && cv != result.cv.end()) {
      r.value = cv->second.mean;
      if (cv->second.folds < t.cv_folds) {
        int seen = cv_folds_defined_.load();
        while ((seen == 0 || cv->second.folds < seen) &&
               !cv_folds_defined_.compare_exchange_weak(seen, cv->second.folds)) {
        }
      }
    } else if (t.cv_folds <= 1 && m != result.metrics.end()) {
      r.value = m->second;
    }
    if (r.value) return "";
    return "no value of " + job_.metric +
           (t.cv_folds > 1 ? " from cross-validation" : " on the validation data") +
           " (a single class in the validation data?)";
  };
  try {
    TrainAndRecord(ws_, cmd);
    r.state = TrialState::kComplete;
  } catch (const TrainingStopped& e) {
    r.state = pruned ? TrialState::kPruned : TrialState::kFailed;
    r.error = pruned ? "" : e.what();
  } catch (const std::exception& e) {
    r.state = TrialState::kFailed;
    r.error = e.what();
    r.value.reset();  // (a value found before the run failed to be recorded)
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.run_id = run_id;
  return r;
}

TrialResult Recorder::CommandTrial(int number, const ParamValues& params,
                                   const std::function<bool(int64_t, double)>& report,
                                   const std::atomic<bool>* cancel) {
  RunRecord run;
  run.experiment = JobExperiment(job_);
  run.algorithm = "command";
  run.task = "external";
  nlohmann::json p = nlohmann::json::object();
  for (const auto& [name, value] : params) p[name] = ParamValueText(value);
  run.params_json = p.dump();
  run.tags_json = nlohmann::json(Tags(number)).dump();
  run.lineage_json = nlohmann::json{
      {"command", SubstituteCommand(job_.command, job_.space, params)},
      {"working_dir", job_.working_dir.string()},
      {"seed", job_.seed},
      {"mloop_version", kVersion},
      {"git_commit", kGitCommit},
      {"host",
       HostName()}}.dump();
  run.host = HostName();
  run.pid = ::getpid();
  run.started_at_us = ws_.clock().NowMicros();
  const int64_t run_id = ws_.metadata().CreateRun(run);
  {
    std::lock_guard lock(run_ids_mu_);
    run_ids_[number] = run_id;
  }
  TrialResult r;
  try {
    r = RunCommandTrial(job_, params, report, cancel);
  } catch (const std::exception& e) {
    r.state = TrialState::kFailed;
    r.error = e.what();
  }
  r.run_id = run_id;
  try {
    ws_.metadata().LogMetricSeries(run_id, job_.metric,
                                   {r.intermediate.begin(), r.intermediate.end()});
    if (r.value && r.state == TrialState::kComplete) {
      ws_.metadata().LogMetrics(run_id, -1, {{job_.metric, *r.value}});
    }
    const RunStatus status = r.state == TrialState::kComplete ? RunStatus::kFinished
                             : r.state == TrialState::kPruned ? RunStatus::kKilled
                             : r.error == "interrupted"       ? RunStatus::kKilled
                                                              : RunStatus::kFailed;
    const std::string why =
        r.state == TrialState::kPruned
            ? "pruned at step " +
                  std::to_string(r.intermediate.empty() ? 0 : r.intermediate.rbegin()->first) +
                  " (" + job_.pruner + " pruner)"
            : r.error;
    ws_.metadata().EndRun(run_id, status, ws_.clock().NowMicros(), "", why);
  } catch (const std::exception& e) {
    if (r.state == TrialState::kComplete) {
      r.state = TrialState::kFailed;
      r.error = std::string("recording the run failed: ") + e.what();
    }
  }
  return r;
}

RecordedTuneResult Recorder::Run() {
  RecordedTuneResult result;
  if (job_.train) PrepareTraining();
  RecoverStaleRuns(ws_);
  RecoverStaleTuningJobs(ws_);
  AddEarlierTrials(&result);

  TuningJobRecord record;
  record.name = job_.name;
  record.spec_json = TuningJobToJson(job_).dump();
  record.host = HostName();
  record.pid = ::getpid();
  record.started_at_us = ws_.clock().NowMicros();
  {
    std::lock_guard lock(run_ids_mu_);
    record.trials_json = TrialsText();
  }
  record.summary_json = Summary().dump();
  job_id_ = ws_.metadata().CreateTuningJob(record);
  result.job_id = job_id_;

  TrialEvaluator evaluate = [this](int number, const ParamValues& params,
                                   const std::function<bool(int64_t, double)>& report,
                                   const std::atomic<bool>* cancel) {
    return job_.train ? TrainTrial(number, params, report, cancel)
                      : CommandTrial(number, params, report, cancel);
  };
  // Called under the runner's lock after each Ask and Tell: the trial list is stable. A failure
  // to save the progress is not a reason to lose the trials still running: the job's end saves
  // them again.
  auto on_change = [&] {
    try {
      std::lock_guard lock(run_ids_mu_);
      ws_.metadata().UpdateTuningJob(job_id_, TrialsText(), Summary().dump());
    } catch (const std::exception&) {
    }
  };
  try {
    result.outcome = RunTuningJob(study_, options_.parallel, evaluate, options_.on_progress,
                                  options_.cancel, on_change);
  } catch (const std::exception& e) {
    std::lock_guard lock(run_ids_mu_);
    ws_.metadata().EndTuningJob(job_id_, RunStatus::kFailed, TrialsText(), Summary().dump(),
                                "error", ws_.clock().NowMicros(), e.what());
    throw;
  }
  nlohmann::json trials;
  {
    std::lock_guard lock(run_ids_mu_);
    trials = TrialsJson();
  }
  // The best model goes to the registry (training jobs only), once the job has ended by one of
  // its rules: an interrupted job registers nothing (its resume does, when it ends).
  nlohmann::json summary = Summary();
  const bool interrupted = result.outcome.stop_reason == "interrupted";
  if (!job_.register_name.empty() && !interrupted) {
    if (const nlohmann::json* best = BestTrial(trials, job_.direction)) {
      const int64_t run_id = best->value("run_id", int64_t{0});
      auto run = ws_.metadata().GetRun(run_id);
      // A resumed job's best may be a model the first run of the job registered already.
      std::optional<ModelVersionRecord> existing;
      if (run && !run->model_hash.empty()) {
        for (const auto& v : ws_.metadata().ListModelVersions(job_.register_name)) {
          if (v.name == job_.register_name && v.model_hash == run->model_hash) existing = v;
        }
      }
      if (existing) {
        result.registered = existing;
        summary["registered"] = {
            {"name", existing->name}, {"version", existing->version}, {"earlier", true}};
      } else if (run && !run->model_hash.empty()) {
        char value[64];
        std::snprintf(value, sizeof value, "%.6g", (*best)["value"].get<double>());
        result.registered = ws_.metadata().RegisterModelVersion(
            job_.register_name, run->model_hash, run_id,
            "tuning job " + std::to_string(job_id_) + " (" + job_.name + "), trial " +
                std::to_string((*best)["number"].get<int>()) + ": " + job_.metric +
                (job_.train && job_.train->cv_folds > 1
                     ? CvMeanLabel(cv_folds_defined_.load(), job_.train->cv_folds)
                     : std::string()) +
                " " + value,
            {{"tune.job", std::to_string(job_id_)}}, CurrentActor(), ws_.clock().NowMicros());
        summary["registered"] = {{"name", result.registered->name},
                                 {"version", result.registered->version}};
      }
    }
  }
  // A job none of whose trials completed failed (the command then exits 1), whatever rule
  // ended it; it can still be resumed.
  const bool none_completed = BestTrial(trials, job_.direction) == nullptr;
  ws_.metadata().EndTuningJob(job_id_,
                              interrupted      ? RunStatus::kKilled
                              : none_completed ? RunStatus::kFailed
                                               : RunStatus::kFinished,
                              trials.dump(), summary.dump(), result.outcome.stop_reason,
                              ws_.clock().NowMicros(),
                              none_completed && !interrupted ? "no trial completed" : "");
  return result;
}

}  // namespace

namespace {

// The dataset version (lineage key "dataset" or "valid_dataset") the trials of tuning job
// `job_id` ran on: the first of its runs that recorded one.
std::optional<DatasetRef> TrialsData(Workspace& ws, int64_t job_id, const char* key) {
  const auto record = ws.metadata().GetTuningJob(job_id);
  if (!record) return std::nullopt;
  const nlohmann::json trials = nlohmann::json::parse(record->trials_json, nullptr, false);
  if (!trials.is_array()) return std::nullopt;
  for (const nlohmann::json& t : trials) {
    const int64_t run_id = t.is_object() ? t.value("run_id", int64_t{0}) : 0;
    const auto run = run_id > 0 ? ws.metadata().GetRun(run_id) : std::nullopt;
    if (!run) continue;
    const nlohmann::json lineage = nlohmann::json::parse(run->lineage_json, nullptr, false);
    if (!lineage.is_object() || !lineage.contains(key) || !lineage[key].is_object()) continue;
    const nlohmann::json& d = lineage[key];
    if (!d.contains("name") || !d.contains("version")) continue;
    return DatasetRef{d.value("name", std::string()), d.value("version", int64_t{0})};
  }
  return std::nullopt;
}

}  // namespace

TrainData LoadTrainData(Workspace& ws, const TuningJob& job, const ImportFile& import,
                        std::optional<int64_t> resume) {
  if (!job.train) throw Internal("LoadTrainData: not a training job");
  TrainData d;
  auto load = [&](const std::string& text, DatasetRef* ref, Table* table, const char* key) {
    const std::filesystem::path file = InJobDir(job, text);
    // A plain name of a stored dataset is that dataset even beside a file of that name (as
    // `train NAME`).
    if (IsFile(file) && !IsStoredDatasetName(ws, text)) {
      const ImportRequest request = FileImportRequest(ws, file);
      if (resume) {
        // A file that changed since the trials ran is refused before it is imported (a new
        // version of its dataset, left behind by a refused resume, would move its latest).
        const std::optional<DatasetRef> ran = TrialsData(ws, *resume, key);
        const std::optional<DatasetVersion> was =
            ran ? ws.metadata().FindDatasetVersion(ran->name, ran->version) : std::nullopt;
        if (was && was->name == request.name && !was->import_key.empty() &&
            FileImportKey(request) != was->import_key) {
          throw FailedPrecondition(
              "cannot resume tuning job " + std::to_string(*resume) + ": its trials " +
                  (std::string(key) == "dataset" ? "trained on " : "were validated on ") +
                  was->name + "@" + std::to_string(was->version) + ", imported from " + text +
                  ", and " + text + " is not that file any more (other content or ingest settings)",
              "values on other data are not comparable: restore it, or start a new job");
        }
      }
      ImportResult imported = import ? import(text, request) : ImportFileRequest(ws, request);
      *ref = {imported.version.name, imported.version.version};
      *table = std::move(imported.table);
      return true;
    }
    try {
      *ref = ParseDatasetRef(text);
    } catch (const Error&) {
      throw NotFound(job.origin + ": train data '" + text + "' is neither a file (in " +
                     job.working_dir.string() + ") nor a dataset");
    }
    if (ref->version == 0 && resume) {  // the version the trials ran on
      const std::optional<DatasetRef> ran = TrialsData(ws, *resume, key);
      if (ran && ran->name == ref->name && ran->version > 0) ref->version = ran->version;
    }
    const DatasetVersion v = ResolveDataset(ws, *ref);
    *ref = {v.name, v.version};
    *table = LoadDataset(ws, v);
    return false;
  };
  d.imported = load(job.train->data, &d.data, &d.table, "dataset");
  if (!job.train->valid.empty()) {
    d.valid.emplace();
    load(job.train->valid, &*d.valid, &d.valid_table, "valid_dataset");
  }
  return d;
}

RecordedTuneResult RunRecordedTuningJob(Workspace& ws, const TuningJob& job, Study& study,
                                        const RecordedTuneOptions& options) {
  Recorder recorder(ws, job, study, options);
  return recorder.Run();
}

TuningJobRecord FindTuningJob(Workspace& ws, const std::string& ref) {
  const bool numeric = !ref.empty() && std::all_of(ref.begin(), ref.end(),
                                                   [](char c) { return c >= '0' && c <= '9'; });
  if (numeric && ref.size() < 18) {
    if (auto r = ws.metadata().GetTuningJob(std::stoll(ref))) return *r;
    throw NotFound("no tuning job " + ref, "list them: mloop tune list");
  }
  std::vector<TuningJobRecord> named = ws.metadata().ListTuningJobs(ref);
  if (!named.empty()) return named.front();
  std::vector<std::string> names;
  for (const auto& r : ws.metadata().ListTuningJobs("")) {
    if (std::find(names.begin(), names.end(), r.name) == names.end()) names.push_back(r.name);
  }
  throw NotFound(
      "no tuning job named '" + ref + "'" + DidYouMean(ref, names),
      names.empty() ? "run one: mloop tune JOB.yaml" : "tuning jobs: " + Join(names, ", "));
}

int RecoverStaleTuningJobs(Workspace& ws) {
  int marked = 0;
  const std::string host = HostName();
  for (const TuningJobRecord& r : ws.metadata().ListTuningJobs("")) {
    if (r.status != RunStatus::kRunning || r.host != host) continue;
    if (r.pid == ::getpid()) continue;
    if (ProcessAlive(r.pid)) continue;
    // The trials it was running when it died end as its interrupted ones. A trial's run is
    // created after the trial was saved: one without its run_id gets it back from the run's
    // tags (tune.job, tune.trial).
    nlohmann::json trials = nlohmann::json::parse(r.trials_json, nullptr, false);
    std::optional<std::vector<RunRecord>> runs;
    if (trials.is_array()) {
      for (auto& t : trials) {
        if (t.value("state", "") != "running") continue;
        t["state"] = "failed";
        t["error"] = "interrupted";
        if (t.value("run_id", int64_t{0}) != 0 || !t.contains("number")) continue;
        if (!runs) {
          const nlohmann::json spec = nlohmann::json::parse(r.spec_json, nullptr, false);
          runs = ws.metadata().ListRuns(spec.is_object() ? spec.value("experiment", "") : "");
        }
        const std::string number = std::to_string(t["number"].get<int64_t>());
        for (const RunRecord& run : *runs) {
          const nlohmann::json tags = nlohmann::json::parse(run.tags_json, nullptr, false);
          if (tags.is_object() && tags.value("tune.job", "") == std::to_string(r.id) &&
              tags.value("tune.trial", "") == number) {
            t["run_id"] = run.id;
            break;
          }
        }
      }
    }
    try {
      ws.metadata().EndTuningJob(
          r.id, RunStatus::kKilled, trials.is_array() ? trials.dump() : r.trials_json,
          r.summary_json, "interrupted", ws.clock().NowMicros(), ProcessDiedError(r.pid, "job"));
      ++marked;
    } catch (const Error&) {
      // Another process got there first.
    }
  }
  return marked;
}

std::string ObjectiveLabel(const nlohmann::json& document) {
  const nlohmann::json empty = nlohmann::json::object();
  const nlohmann::json& objective =
      document.contains("objective") && document["objective"].is_object() ? document["objective"]
                                                                          : empty;
  std::string label = objective.value("metric", "");
  if (label.empty()) label = "value";
  const nlohmann::json* job = document.contains("job") ? &document["job"] : nullptr;
  if (job && job->is_object() && job->contains("train") && (*job)["train"].is_object()) {
    const nlohmann::json& cv = (*job)["train"].value("cv", nlohmann::json());
    if (cv.is_number_integer() && cv.get<int64_t>() > 1) {
      // "3 of 4" when a fold leaves the metric undefined (as `train --cv` says it).
      label += CvMeanLabel(document.value("cv_folds_defined", int64_t{0}), cv.get<int64_t>());
    }
  }
  return label;
}

nlohmann::json TuningJobDocument(const TuningJobRecord& record) {
  const nlohmann::json spec = nlohmann::json::parse(record.spec_json, nullptr, false);
  const nlohmann::json trials = nlohmann::json::parse(record.trials_json, nullptr, false);
  const nlohmann::json summary = nlohmann::json::parse(record.summary_json, nullptr, false);
  if (spec.is_discarded() || trials.is_discarded() || summary.is_discarded() ||
      !trials.is_array()) {
    throw Corruption("tuning job " + std::to_string(record.id) + " has malformed JSON");
  }
  nlohmann::json d;
  d["id"] = record.id;
  d["name"] = record.name;
  d["status"] = std::string(RunStatusName(record.status));
  const nlohmann::json objective = spec.value("objective", nlohmann::json::object());
  d["objective"] = objective;
  d["strategy"] = spec.value("strategy", "");
  const Direction direction = objective.value("goal", "minimize") == "maximize"
                                  ? Direction::kMaximize
                                  : Direction::kMinimize;
  if (const nlohmann::json* best = BestTrial(trials, direction)) {
    d["best"] = {
        {"number", (*best)["number"]}, {"value", (*best)["value"]}, {"params", (*best)["params"]}};
    if (best->contains("run_id")) d["best"]["run_id"] = (*best)["run_id"];
  } else {
    d["best"] = nullptr;
  }
  d["trials"] = trials;
  d["stop_reason"] = record.stop_reason;
  if (!record.error.empty()) d["error"] = record.error;
  const int64_t end = record.ended_at_us > 0 ? record.ended_at_us : 0;
  d["started"] = FormatTimestamp(record.started_at_us);
  if (IsProcessDiedError(record.error) && end > 0) {
    // Its process died unseen: the end is known only to be before a later command noticed it.
    d["ended"] = nullptr;
    d["noticed_dead"] = FormatTimestamp(end);
  } else {
    // A running job: the time so far.
    const int64_t until = end > 0                                ? end
                          : record.status == RunStatus::kRunning ? SystemClock().NowMicros()
                                                                 : record.started_at_us;
    d["seconds"] = static_cast<double>(until - record.started_at_us) / 1e6;
    d["ended"] = end > 0 ? nlohmann::json(FormatTimestamp(end)) : nlohmann::json(nullptr);
  }
  for (const auto& [k, v] : summary.items()) d[k] = v;
  d["job"] = spec;
  return d;
}

Trial TrialFromJson(const nlohmann::json& j) {
  Trial t;
  t.number = j.value("number", 0);
  const std::string state = j.value("state", "failed");
  t.state = state == "complete"  ? TrialState::kComplete
            : state == "pruned"  ? TrialState::kPruned
            : state == "running" ? TrialState::kRunning
                                 : TrialState::kFailed;
  if (j.contains("value") && j["value"].is_number()) t.value = j["value"].get<double>();
  t.params = ParamValuesFromJson(j.value("params", nlohmann::json::object()));
  t.seconds = j.value("seconds", 0.0);
  t.error = j.value("error", "");
  t.warm_start = j.value("warm_start", false);
  if (j.contains("intermediate")) {
    for (const auto& step : j["intermediate"]) {
      t.intermediate[step.at(0).get<int64_t>()] = step.at(1).get<double>();
    }
  }
  return t;
}

bool FitToSpace(const SearchSpace& space, ParamValues* params) {
  size_t active = 0;
  for (const ParamSpec& p : space.params()) {
    if (!space.Active(p, *params)) continue;
    ++active;
    auto it = params->find(p.name);
    if (it == params->end()) return false;
    ParamValue& v = it->second;
    switch (p.type) {
      case ParamType::kCategorical: {
        // JSON gives a category that reads as a number ("3") back as a number.
        const std::string text = ParamValueText(v);
        if (std::find(p.choices.begin(), p.choices.end(), text) == p.choices.end()) return false;
        v = text;
        break;
      }
      case ParamType::kInteger: {
        const int64_t* i = std::get_if<int64_t>(&v);
        if (!i || *i < p.low || *i > p.high) return false;
        if (SnapToGrid(p, static_cast<double>(*i)) != static_cast<double>(*i)) return false;
        break;
      }
      case ParamType::kContinuous: {
        const double* d = std::get_if<double>(&v);
        const int64_t* i = std::get_if<int64_t>(&v);
        const double x = d ? *d : i ? static_cast<double>(*i) : NAN;
        if (!(x >= p.low && x <= p.high)) return false;
        // Off the grid of a step: by up to rounding (values are stored as JSON text).
        if (p.step > 0 && std::fabs(SnapToGrid(p, x) - x) > 1e-9 * p.step) return false;
        v = p.step > 0 ? SnapToGrid(p, x) : x;  // the grid's own double, as samplers give it
        break;
      }
    }
  }
  return active == params->size();
}

}  // namespace mloop::tune
