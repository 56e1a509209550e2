// `mloop tune` end to end: the real binary on the Branin example (examples/tune/branin.yaml)
// with the example program built beside the tests.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "mloop/store/workspace.h"
#include "mloop/track/runs.h"
#include "test_util.h"

namespace mloop {
namespace {

using testing::RunMloop;
using testing::TempDir;

// The example job in a fresh directory beside a copy of the branin program, with the strategy
// switched to random (fast and independent of the model-based samplers).
void SetUpBranin(const TempDir& dir) {
  namespace fs = std::filesystem;
  fs::copy_file(MLOOP_BRANIN, dir / "branin");
  std::string yaml =
      testing::ReadFile(fs::path(MLOOP_SOURCE_DIR) / "examples" / "tune" / "branin.yaml");
  const size_t at = yaml.find("strategy: bayesian");
  ASSERT_NE(at, std::string::npos);
  yaml.replace(at, std::string("strategy: bayesian").size(), "strategy: random");
  testing::WriteFile(dir / "branin.yaml", yaml);
}

nlohmann::json LastJson(const std::string& out) {
  // --json ends stdout with one JSON document.
  return nlohmann::json::parse(out);
}

TEST(TuneCli, TunesBraninAndEndsWithJson) {
  TempDir dir;
  SetUpBranin(dir);
  auto r = RunMloop(dir.path(), "tune branin.yaml --json --max-trials 15");
  ASSERT_EQ(r.code, 0) << r.err << r.out;
  nlohmann::json j = LastJson(r.out);
  EXPECT_EQ(j["name"], "branin");
  EXPECT_EQ(j["strategy"], "random");
  EXPECT_EQ(j["stop_reason"], "max_trials");
  EXPECT_TRUE(j["seconds"].is_number());
  ASSERT_EQ(j["trials"].size(), 15u);
  for (const auto& t : j["trials"]) EXPECT_EQ(t["state"], "complete") << t.dump();
  const double best = j["best"]["value"].get<double>();
  EXPECT_TRUE(std::isfinite(best));
  EXPECT_GE(best, 0.397887 - 1e-6);
  EXPECT_TRUE(j["best"]["params"].contains("x1"));
  EXPECT_TRUE(j["best"]["params"].contains("x2"));
  const int number = j["best"]["number"].get<int>();
  EXPECT_DOUBLE_EQ(j["trials"][number]["value"].get<double>(), best);
  for (const auto& t : j["trials"]) EXPECT_GE(t["value"].get<double>(), best);
  EXPECT_FALSE(std::filesystem::exists(dir / ".mloop"));  // no workspace: nothing saved
}

TEST(TuneCli, RecordsTheJobAndEveryTrialAsARun) {
  TempDir dir;
  ASSERT_EQ(RunMloop(dir.path(), "init .").code, 0);
  SetUpBranin(dir);
  auto r = RunMloop(dir.path(), "tune branin.yaml --parallel 3 --max-trials 9 --seed 11");
  ASSERT_EQ(r.code, 0) << r.err << r.out;
  EXPECT_CONTAINS(r.out, "Tuning job branin (job 1): 9 trials (9 complete, 0 pruned, 0 failed)");
  EXPECT_CONTAINS(r.out, "stopped: max_trials");
  EXPECT_CONTAINS(r.out, "Best: trial ");
  EXPECT_CONTAINS(r.out, "  x1 = ");

  r = RunMloop(dir.path(), "tune show branin --json");
  ASSERT_EQ(r.code, 0) << r.err;
  nlohmann::json job = nlohmann::json::parse(r.out);
  EXPECT_EQ(job["id"], 1);
  EXPECT_EQ(job["status"], "finished");
  EXPECT_EQ(job["job"]["seed"], 11);
  ASSERT_EQ(job["trials"].size(), 9u);
  std::set<int64_t> run_ids;
  for (const auto& t : job["trials"]) run_ids.insert(t["run_id"].get<int64_t>());
  EXPECT_EQ(run_ids.size(), 9u);
  // Each trial is a run in the job's experiment, tagged with the job and the trial.
  const int64_t best_run = job["best"]["run_id"].get<int64_t>();
  r = RunMloop(dir.path(), "runs show " + std::to_string(best_run) + " --json");
  ASSERT_EQ(r.code, 0) << r.err;
  nlohmann::json run = nlohmann::json::parse(r.out);
  EXPECT_EQ(run["experiment"], "tune-branin");
  EXPECT_EQ(run["status"], "finished");
  EXPECT_EQ(run["tags"]["tune.job"], "1");
  EXPECT_EQ(run["tags"]["tune.trial"], std::to_string(job["best"]["number"].get<int>()));
  EXPECT_DOUBLE_EQ(run["metrics"]["loss"].get<double>(), job["best"]["value"].get<double>());
  r = RunMloop(dir.path(), "runs list --experiment tune-branin --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out).size(), 9u);

  // A finished job goes on when given a higher limit; the earlier trials count towards it.
  r = RunMloop(dir.path(), "tune resume branin");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "already meets its stop rule (max_trials)");
  EXPECT_CONTAINS(r.err, "--max-trials");
  // A resumed job keeps its seed: trials with another would not compare with the first ones.
  r = RunMloop(dir.path(), "tune resume 1 --max-trials 12 --seed 2");
  EXPECT_EQ(r.code, 2);
  EXPECT_CONTAINS(r.err, "--seed changes a job; a resumed job keeps its own");
  EXPECT_EQ(RunMloop(dir.path(), "tune --warm-start branin resume 1 --max-trials 12").code, 2);
  r = RunMloop(dir.path(), "tune resume 1 --max-trials 12 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  job = nlohmann::json::parse(r.out);
  EXPECT_EQ(job["id"], 2);
  EXPECT_EQ(job["resumed_from"], 1);
  ASSERT_EQ(job["trials"].size(), 12u);
  for (int i = 0; i < 9; ++i) EXPECT_TRUE(run_ids.count(job["trials"][i]["run_id"]));

  // A warm start: the earlier trials inform the sampler but are not this job's.
  r = RunMloop(dir.path(), "tune --warm-start branin branin.yaml --max-trials 3 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  job = nlohmann::json::parse(r.out);
  EXPECT_EQ(job["warm_start"], nlohmann::json::array({2}));
  ASSERT_EQ(job["trials"].size(), 15u);
  int warm = 0;
  for (const auto& t : job["trials"]) warm += t.value("warm_start", false);
  EXPECT_EQ(warm, 12);
  EXPECT_GE(job["best"]["number"].get<int>(), 12);
  // Job 2 resumed job 1: warm-starting from both (or from one twice) takes each trial once.
  r = RunMloop(
      dir.path(),
      "tune --warm-start 2 --warm-start 1 --warm-start 1 branin.yaml --max-trials 1 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  job = nlohmann::json::parse(r.out);
  EXPECT_EQ(job["warm_start"], nlohmann::json::array({2, 1}));
  EXPECT_EQ(job["trials"].size(), 13u);

  // Trials of another objective cannot seed a job.
  std::string other = testing::ReadFile(dir / "branin.yaml");
  other.replace(other.find("goal: minimize"), 14, "goal: maximize");
  testing::WriteFile(dir / "other.yaml", other);
  r = RunMloop(dir.path(), "tune other.yaml --warm-start branin");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "its trials cannot seed this one");

  // A report into the workspace's own files is refused before any trial runs.
  r = RunMloop(dir.path(), "tune branin.yaml --max-trials 1 --html .mloop/report.html");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "");

  r = RunMloop(dir.path(), "tune list");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "branin  finished  12");
  r = RunMloop(dir.path(), "tune show 2 --html report.html");
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string html = testing::ReadFile(dir / "report.html");
  EXPECT_CONTAINS(html, "Convergence");
  EXPECT_CONTAINS(html, "<svg");
  r = RunMloop(dir.path(), "tune show nosuch");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "no tuning job named 'nosuch'");
  // A job another process is resuming (a live pid on this host) is not resumed twice.
  {
    auto ws = Workspace::Open(dir.path(), dir.path(), {});
    TuningJobRecord other;
    other.name = "branin";
    other.summary_json = R"({"resumed_from": 1})";
    other.host = HostName();
    other.pid = ::getpid();
    const int64_t id = ws->metadata().CreateTuningJob(other);
    r = RunMloop(dir.path(), "tune resume 1 --max-trials 12");
    EXPECT_EQ(r.code, 1);
    EXPECT_CONTAINS(r.err, "tuning job 1 is already being resumed, as job " + std::to_string(id));
    ws->metadata().EndTuningJob(id, RunStatus::kKilled, "[]", "{}", "interrupted", 1, "");
  }
}

TEST(TuneCli, AKilledJobIsMarkedAndResumed) {
  TempDir dir;
  ASSERT_EQ(RunMloop(dir.path(), "init .").code, 0);
  SetUpBranin(dir);
  // The fifth trial kills mloop itself (the parent of the shell's parent, the guard of its
  // process group), as a power cut would, then sleeps: the guard kills it with mloop.
  std::string yaml = testing::ReadFile(dir / "branin.yaml");
  const size_t at = yaml.find("command: ");
  yaml = yaml.substr(0, at) +
         "command: n=$(cat count 2>/dev/null || echo 0); echo $((n+1)) > count; "
         "if [ $n -eq 4 ]; then echo $$ > orphan; kill -9 $(cut -d' ' -f4 /proc/$PPID/stat); "
         "sleep 30; fi; ./branin {x1} {x2}\n"
         "metric_regex: 'loss=([-+0-9.eE]+)'\n";
  testing::WriteFile(dir / "branin.yaml", yaml);
  auto r = RunMloop(dir.path(), "tune branin.yaml --max-trials 8");
  EXPECT_NE(r.code, 0);
  // The shell of the trial that was running does not outlive mloop (a zombie is dead).
  const std::string pid = testing::ReadFile(dir / "orphan");
  ASSERT_FALSE(pid.empty());
  const std::string stat_file = "/proc/" + pid.substr(0, pid.find('\n')) + "/stat";
  auto alive = [&] {
    const std::string stat = testing::ReadFile(stat_file);
    return !stat.empty() && stat.find(") Z ") == std::string::npos;
  };
  for (int i = 0; i < 50 && alive(); ++i) usleep(100000);
  EXPECT_FALSE(alive()) << stat_file;
  r = RunMloop(dir.path(), "tune list --json");
  ASSERT_EQ(r.code, 0) << r.err;
  nlohmann::json jobs = nlohmann::json::parse(r.out);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0]["status"], "killed");
  EXPECT_EQ(jobs[0]["stop_reason"], "interrupted");
  EXPECT_EQ(jobs[0]["trials"], 5);  // four finished, and the one running when it died
  // The trial that was running keeps the link to its run (from the run's tags).
  r = RunMloop(dir.path(), "tune show 1 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json killed = nlohmann::json::parse(r.out);
  for (const auto& t : killed["trials"]) {
    EXPECT_GT(t.value("run_id", int64_t{0}), 0) << t.dump();
  }
  // When the process died is unknown: only that it was before it was noticed (no duration).
  EXPECT_TRUE(killed["ended"].is_null());
  EXPECT_TRUE(killed.contains("noticed_dead"));
  EXPECT_FALSE(killed.contains("seconds"));
  EXPECT_CONTAINS(RunMloop(dir.path(), "tune show 1").out, "), its process ended before ");
  const int64_t run = killed["trials"][4]["run_id"].get<int64_t>();
  const auto shown = RunMloop(dir.path(), "runs show " + std::to_string(run));
  EXPECT_CONTAINS(shown.out, "  ended:     unknown, before ");
  EXPECT_CONTAINS(shown.out, "ended without finishing the run");
  r = RunMloop(dir.path(), "tune resume branin --json");
  ASSERT_EQ(r.code, 0) << r.err << r.out;
  nlohmann::json job = nlohmann::json::parse(r.out);
  EXPECT_EQ(job["resumed_from"], 1);
  ASSERT_EQ(job["trials"].size(), 8u);
  // The trial that was running keeps its number, as interrupted; it counts towards the limit.
  for (const auto& t : job["trials"]) {
    if (t["number"] == 4) {
      EXPECT_EQ(t["state"], "failed");
      EXPECT_EQ(t["error"], "interrupted");
    } else {
      EXPECT_EQ(t["state"], "complete") << t.dump();
    }
  }
}

// A job that tunes mloop's own XGBoost on the breast-cancer data (a file beside the job,
// imported on the first run).
std::string BreastCancerJob(const std::string& extra) {
  return "name: bc\n"
         "objective: {metric: roc_auc}\n"
         "strategy: random\n"
         "max_trials: 4\n"
         "seed: 3\n"
         "train:\n"
         "  data: bc.csv\n"
         "  target: target\n"
         "  params: {num_boost_round: 20, nthread: 1}\n" +
         extra +
         "parameters:\n"
         "  max_depth: {type: integer, min: 2, max: 6}\n"
         "  eta: {type: continuous, min: 0.05, max: 0.5, scale: log}\n";
}

TEST(TuneCli, TunesABuiltInAlgorithmAndRegistersTheBestModel) {
  TempDir dir;
  ASSERT_EQ(RunMloop(dir.path(), "init .").code, 0);
  std::filesystem::copy_file(
      std::filesystem::path(MLOOP_SOURCE_DIR) / "examples" / "data" / "breast_cancer.csv",
      dir / "bc.csv");
  testing::WriteFile(dir / "bc.yaml", BreastCancerJob("  cv: 3\nregister: {name: bc_model}\n"));
  auto r = RunMloop(dir.path(), "tune bc.yaml --json");
  ASSERT_EQ(r.code, 0) << r.err << r.out;
  nlohmann::json job = nlohmann::json::parse(r.out);
  EXPECT_EQ(job["objective"]["goal"], "maximize");  // from the metric
  ASSERT_EQ(job["trials"].size(), 4u);
  double best = 0;
  for (const auto& t : job["trials"]) {
    ASSERT_EQ(t["state"], "complete") << t.dump();
    best = std::max(best, t["value"].get<double>());
    // The objective is the mean over the folds, as the run records it.
    auto run =
        RunMloop(dir.path(), "runs show " + std::to_string(t["run_id"].get<int64_t>()) + " --json");
    ASSERT_EQ(run.code, 0) << run.err;
    nlohmann::json rj = nlohmann::json::parse(run.out);
    EXPECT_EQ(rj["algorithm"], "xgboost");
    EXPECT_EQ(rj["experiment"], "tune-bc");
    EXPECT_DOUBLE_EQ(rj["metrics"]["cv_roc_auc_mean"].get<double>(), t["value"].get<double>());
    EXPECT_EQ(rj["params"]["max_depth"], std::to_string(t["params"]["max_depth"].get<int>()));
    EXPECT_EQ(rj["params"]["num_boost_round"], "20");
  }
  EXPECT_DOUBLE_EQ(job["best"]["value"].get<double>(), best);
  EXPECT_GT(best, 0.95);
  ASSERT_TRUE(job.contains("registered")) << job.dump();
  EXPECT_EQ(job["registered"]["name"], "bc_model");
  r = RunMloop(dir.path(), "models show bc_model/1 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["registry"]["run_id"], job["best"]["run_id"]);
  // The value is the folds' mean, and the description says so.
  EXPECT_CONTAINS(nlohmann::json::parse(r.out)["registry"]["description"].get<std::string>(),
                  ": roc_auc (mean of 3 CV folds) 0.");
  EXPECT_EQ(nlohmann::json::parse(r.out)["registry"]["tags"]["tune.job"],
            std::to_string(job["id"].get<int64_t>()));
  // The trials' values are labelled the folds' mean on screen and in the report too.
  r = RunMloop(dir.path(), "tune show 1 --html t.html");
  EXPECT_CONTAINS(r.out, "Best: trial ");
  EXPECT_CONTAINS(r.out, ", roc_auc (mean of 3 CV folds) = 0.");
  EXPECT_CONTAINS(RunMloop(dir.path(), "tune list").out, "roc_auc (mean of 3 CV folds) 0.");
  EXPECT_CONTAINS(testing::ReadFile(dir / "t.html"), "roc_auc (mean of 3 CV folds)");
  // The registered model predicts.
  r = RunMloop(dir.path(), "predict bc_model/1 --data bc.csv -o p.csv");
  ASSERT_EQ(r.code, 0) << r.err;
  // Resumed for two more trials: a model is registered once, whichever trial is best.
  r = RunMloop(dir.path(), "tune resume bc --max-trials 6 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto resumed = nlohmann::json::parse(r.out);
  EXPECT_EQ(resumed["trials"].size(), 6u);
  r = RunMloop(dir.path(), "models list bc_model --json");
  ASSERT_EQ(r.code, 0) << r.err;
  std::set<std::string> models;
  for (const auto& v : nlohmann::json::parse(r.out)) {
    EXPECT_TRUE(models.insert(v["model"].get<std::string>()).second) << r.out;
  }
  // The text says whether the resume registered a model or found the best one registered.
  r = RunMloop(dir.path(), "tune show bc");
  EXPECT_CONTAINS(r.out, resumed["registered"].value("earlier", false)
                             ? "The best model is registered as bc_model/1 already"
                             : "Registered bc_model/2");
}

TEST(TuneCli, PrunedTrainingTrialsAreKilledRunsNotFailures) {
  TempDir dir;
  ASSERT_EQ(RunMloop(dir.path(), "init .").code, 0);
  std::filesystem::copy_file(
      std::filesystem::path(MLOOP_SOURCE_DIR) / "examples" / "data" / "breast_cancer.csv",
      dir / "bc.csv");
  // Successive halving from round 1 with a reduction factor of 4: at each rung only the best
  // quarter goes on, so most of 12 trials stop early.
  std::string yaml = BreastCancerJob("  split: stratified:0.3\n");
  yaml.replace(yaml.find("max_trials: 4"), 13, "max_trials: 12");
  yaml += "pruner: {name: asha, options: {min_resource: 1, reduction_factor: 4}}\n";
  testing::WriteFile(dir / "bc.yaml", yaml);
  auto r = RunMloop(dir.path(), "tune bc.yaml --json");
  ASSERT_EQ(r.code, 0) << r.err << r.out;
  nlohmann::json job = nlohmann::json::parse(r.out);
  int pruned = 0;
  for (const auto& t : job["trials"]) {
    ASSERT_NE(t["state"], "failed") << t.dump();
    EXPECT_TRUE(t.contains("intermediate")) << t.dump();  // per-round validation AUC
    if (t["state"] != "pruned") continue;
    ++pruned;
    auto run =
        RunMloop(dir.path(), "runs show " + std::to_string(t["run_id"].get<int64_t>()) + " --json");
    ASSERT_EQ(run.code, 0) << run.err;
    nlohmann::json rj = nlohmann::json::parse(run.out);
    EXPECT_EQ(rj["status"], "killed");
    EXPECT_CONTAINS(rj["error"].get<std::string>(), "pruned at round");
  }
  EXPECT_GT(pruned, 0) << job.dump();
}

TEST(TuneCli, TrainingJobErrorsComeBeforeAnyTrial) {
  TempDir dir;
  ASSERT_EQ(RunMloop(dir.path(), "init .").code, 0);
  std::filesystem::copy_file(
      std::filesystem::path(MLOOP_SOURCE_DIR) / "examples" / "data" / "breast_cancer.csv",
      dir / "bc.csv");
  auto error_of = [&](const std::string& yaml) {
    testing::WriteFile(dir / "bad.yaml", yaml);
    auto r = RunMloop(dir.path(), "tune bad.yaml");
    EXPECT_NE(r.code, 0) << yaml;
    return r.err;
  };
  std::string yaml = BreastCancerJob("");
  std::string e = error_of(std::string(yaml).replace(yaml.find("roc_auc"), 7, "rmse"));
  EXPECT_CONTAINS(e, "'rmse' is not measured for a binary target");
  e = error_of(std::string(yaml).replace(yaml.find("roc_auc"), 7, "roc_acu"));
  EXPECT_CONTAINS(e, "did you mean 'roc_auc'");
  e = error_of(std::string(yaml).replace(yaml.find("max_depth:"), 10, "max_dept:"));
  EXPECT_CONTAINS(e, "max_dept");
  e = error_of(std::string(yaml).replace(yaml.find("target: target"), 14, "target: nosuch"));
  EXPECT_CONTAINS(e, "nosuch");
  e = error_of(std::string(yaml).replace(yaml.find("{metric: roc_auc}"), 17,
                                         "{metric: roc_auc, goal: minimize}"));
  EXPECT_CONTAINS(e, "roc_auc is maximized");
  e = error_of(std::string(yaml).replace(yaml.find("nthread: 1"), 10, "eta: 0.1"));
  EXPECT_CONTAINS(e, "'eta' is both fixed");
  // No trial could be measured, or some would be refused by XGBoost: before any trial.
  e = error_of(BreastCancerJob("  split: none\n"));
  EXPECT_CONTAINS(e, "train.split 'none' leaves no validation rows");
  e = error_of(std::string(yaml) + "  subsample: {type: continuous, min: 0.6, max: 1.3}\n");
  EXPECT_CONTAINS(e, "parameter subsample = 1.3 (in its range)");
  testing::WriteFile(dir / "other.csv", "mean_radius,target\n1,7\n");
  e = error_of(BreastCancerJob("  valid: other.csv\n"));
  EXPECT_CONTAINS(e, "is not a class of the training data (7)");
  testing::WriteFile(dir / "narrow.csv", "mean_radius,target\n1,0\n2,1\n");
  e = error_of(BreastCancerJob("  valid: narrow.csv\n"));
  EXPECT_CONTAINS(e, "the validation data has no column 'mean_texture'");
  e = error_of(BreastCancerJob("  split: 'time:mean_radios:0.2'\n"));
  EXPECT_CONTAINS(e, "the data has no column 'mean_radios' (did you mean 'mean_radius'?)");
  // A time split on a text column is refused as `train` refuses it.
  {
    std::string text = "mean_radius,mean_texture,day,target\n";
    for (int i = 0; i < 40; ++i) {
      text += std::to_string(i) + "," + std::to_string(i % 7) + ",d" + std::to_string(i) + "," +
              std::to_string(i % 2) + "\n";
    }
    testing::WriteFile(dir / "text.csv", text);
    std::string job = BreastCancerJob("  split: 'time:day:0.25'\n");
    job.replace(job.find("data: bc.csv"), 12, "data: text.csv");
    e = error_of(job);
    EXPECT_CONTAINS(e, "train.split 'time:day:0.25': the column is string");
  }
  // --html is never the job file or its data (both were overwritten by the report).
  testing::WriteFile(dir / "good.yaml", yaml);
  const std::string data_before = testing::ReadFile(dir / "bc.csv");
  for (const char* html : {"good.yaml", "bc.csv", "./bc.csv"}) {
    auto r = RunMloop(dir.path(), std::string("tune good.yaml --html ") + html);
    EXPECT_EQ(r.code, 2) << html;
    EXPECT_CONTAINS(r.err, "is the input file");
  }
  EXPECT_EQ(testing::ReadFile(dir / "good.yaml"), yaml);
  EXPECT_EQ(testing::ReadFile(dir / "bc.csv"), data_before);
  // An experiment name follows the name rule, and does not differ from another in case only.
  e = error_of(yaml + "experiment: 'bad name!'\n");
  EXPECT_CONTAINS(e, "invalid experiment name 'bad name!'");
  ASSERT_EQ(RunMloop(dir.path(),
                     "train bc.csv --target target --experiment Tune-bc -q "
                     "--param num_boost_round=2")
                .code,
            0);
  e = error_of(yaml);
  EXPECT_CONTAINS(e, "experiment 'tune-bc' differs from the existing 'Tune-bc' only in case");
  // Nothing was recorded by the failed attempts.
  auto r = RunMloop(dir.path(), "tune list --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out).size(), 0u);
}

// A trial whose objective has no value (one class in the validation rows) fails, and so does
// its run; a cross-validated value over fewer folds than K says so.
TEST(TuneCli, TrialsWithoutAValueFailTheirRuns) {
  TempDir dir;
  ASSERT_EQ(RunMloop(dir.path(), "init .").code, 0);
  std::string csv = "x,y\n";
  for (int i = 0; i < 30; ++i) {
    csv += std::to_string((i * 37) % 101) + "," + (i == 3 || i == 11 || i == 25 ? "1" : "0") + "\n";
  }
  testing::WriteFile(dir / "tiny.csv", csv);
  const std::string job =
      "name: tiny\nobjective: {metric: roc_auc}\nstrategy: random\nmax_trials: 2\n"
      "train:\n  data: tiny.csv\n  target: y\n  split: 'random:0.1'\n"
      "  params: {num_boost_round: 3}\n"
      "parameters:\n  max_depth: {type: integer, min: 2, max: 4}\n";
  testing::WriteFile(dir / "tiny.yaml", job);
  auto r = RunMloop(dir.path(), "tune tiny.yaml");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.out, "no value of roc_auc on the validation data");
  r = RunMloop(dir.path(), "runs list --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto runs = nlohmann::json::parse(r.out);
  ASSERT_EQ(runs.size(), 2u);
  for (const auto& run : runs) {
    EXPECT_EQ(run["status"], "failed");
    EXPECT_CONTAINS(run["error"].get<std::string>(), "no value of roc_auc");
  }
  std::string cv = job;
  cv.replace(cv.find("name: tiny"), 10, "name: tcv");
  cv.replace(cv.find("split: 'random:0.1'"), 19, "cv: 4");
  testing::WriteFile(dir / "cv.yaml", cv);
  r = RunMloop(dir.path(), "tune cv.yaml");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "roc_auc (mean of 3 of 4 CV folds)");
  r = RunMloop(dir.path(), "tune show tcv --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["cv_folds_defined"], 3);
}

// Values measured on other data are not comparable: resuming after the data file changed is
// refused; with the same data again, it goes on.
TEST(TuneCli, ResumeRefusesChangedData) {
  TempDir dir;
  ASSERT_EQ(RunMloop(dir.path(), "init .").code, 0);
  const std::string csv = testing::ReadFile(std::filesystem::path(MLOOP_SOURCE_DIR) / "examples" /
                                            "data" / "breast_cancer.csv");
  testing::WriteFile(dir / "bc.csv", csv);
  testing::WriteFile(dir / "bc.yaml", BreastCancerJob(""));
  auto r = RunMloop(dir.path(), "tune bc.yaml --max-trials 2");
  ASSERT_EQ(r.code, 0) << r.err;
  testing::WriteFile(dir / "bc.csv", csv.substr(0, csv.find('\n', csv.size() / 2) + 1));
  r = RunMloop(dir.path(), "tune resume bc --max-trials 3");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err,
                  "its trials trained on bc@1, imported from bc.csv, and bc.csv is not that "
                  "file any more");
  // Refused before the file was imported: no bc@2 left behind to move bc's latest.
  EXPECT_CONTAINS(RunMloop(dir.path(), "data list").out, "bc    1       1 ");
  testing::WriteFile(dir / "bc.csv", csv);
  r = RunMloop(dir.path(), "tune resume bc --max-trials 3");
  EXPECT_EQ(r.code, 0) << r.err;

  // The validation file and the recipe count too.
  TempDir two;
  ASSERT_EQ(RunMloop(two.path(), "init .").code, 0);
  const size_t half = csv.find('\n', csv.size() / 2) + 1;
  const std::string header = csv.substr(0, csv.find('\n') + 1);
  testing::WriteFile(two / "bc.csv", csv.substr(0, half));
  testing::WriteFile(two / "va.csv", header + csv.substr(half));
  testing::WriteFile(two / "rec.yaml", "steps: []\n");
  testing::WriteFile(two / "bc.yaml", BreastCancerJob("  valid: va.csv\n  recipe: rec.yaml\n"));
  r = RunMloop(two.path(), "tune bc.yaml --max-trials 1");
  ASSERT_EQ(r.code, 0) << r.err;
  testing::WriteFile(two / "va.csv", header + csv.substr(half, 3000));
  r = RunMloop(two.path(), "tune resume bc --max-trials 2");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "its trials were validated on va@1, imported from va.csv");
  testing::WriteFile(two / "va.csv", header + csv.substr(half));
  testing::WriteFile(two / "rec.yaml", "steps:\n  - drop: [mean_radius]\n");
  r = RunMloop(two.path(), "tune resume bc --max-trials 2");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "rec.yaml changed since its trials ran");

  // A job on a stored dataset named without a version resumes on the version its trials used,
  // though another import moved the latest since.
  TempDir three;
  ASSERT_EQ(RunMloop(three.path(), "init .").code, 0);
  testing::WriteFile(three / "bc.csv", csv);
  testing::WriteFile(three / "half.csv", csv.substr(0, half));
  ASSERT_EQ(RunMloop(three.path(), "data import bc.csv --name bcd").code, 0);
  std::string by_name = BreastCancerJob("");
  by_name.replace(by_name.find("data: bc.csv"), 12, "data: bcd");
  testing::WriteFile(three / "bc.yaml", by_name);
  r = RunMloop(three.path(), "tune bc.yaml --max-trials 1");
  ASSERT_EQ(r.code, 0) << r.err;
  ASSERT_EQ(RunMloop(three.path(), "data import half.csv --name bcd").code, 0);  // bcd@2
  r = RunMloop(three.path(), "tune resume bc --max-trials 2 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto trials = nlohmann::json::parse(r.out)["trials"];
  ASSERT_EQ(trials.size(), 2u);
  const auto run = nlohmann::json::parse(
      RunMloop(three.path(),
               "runs show " + std::to_string(trials[1]["run_id"].get<int64_t>()) + " --json")
          .out);
  EXPECT_EQ(run["lineage"]["dataset"]["version"], 1);
}

// Parameters given as a list of {name, ...} show as named columns (not the list's indices).
TEST(TuneCli, AListOfParametersNamesTheColumns) {
  TempDir dir;
  ASSERT_EQ(RunMloop(dir.path(), "init .").code, 0);
  testing::WriteFile(dir / "lf.yaml",
                     "name: lf\nobjective: {metric: loss, goal: minimize}\nmax_trials: 2\n"
                     "parameters:\n  - {name: x, type: continuous, min: 0, max: 1}\n"
                     "command: echo loss={x}\nmetric_regex: 'loss=(\\S+)'\n");
  auto r = RunMloop(dir.path(), "tune lf.yaml");
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string header = r.out.substr(0, r.out.find('\n'));
  EXPECT_CONTAINS(header, "run  x");
  EXPECT_EQ(header.find(" 0 "), std::string::npos) << header;
}

// A job stopped by its patience goes on when resumed with more patience.
TEST(TuneCli, APatientJobResumesWithMorePatience) {
  TempDir dir;
  ASSERT_EQ(RunMloop(dir.path(), "init .").code, 0);
  testing::WriteFile(dir / "p.yaml",
                     "name: p\nobjective: {metric: v, goal: minimize}\nmax_trials: 30\n"
                     "patience: 3\nstrategy: random\n"
                     "parameters: {x: {type: continuous, min: 0, max: 1}}\n"
                     "command: echo v=5\nmetric_regex: 'v=(\\S+)'\n");
  auto r = RunMloop(dir.path(), "tune p.yaml --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["trials"].size(), 4u);  // the best, then 3 more
  r = RunMloop(dir.path(), "tune resume p");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "--patience N");
  r = RunMloop(dir.path(), "tune resume p --patience 6 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto job = nlohmann::json::parse(r.out);
  EXPECT_EQ(job["trials"].size(), 7u);
  EXPECT_EQ(job["stop_reason"], "patience");
}

// `tune show` on a job still running says so, with the time so far (it read "in 0.00 s; stopped:").
TEST(TuneCli, AJobStillRunningIsShownAsRunning) {
  TempDir dir;
  ASSERT_EQ(RunMloop(dir.path(), "init .").code, 0);
  testing::WriteFile(dir / "slow.yaml",
                     "objective: {metric: v, goal: minimize}\nmax_trials: 1\nstrategy: random\n"
                     "parameters: {x: {type: continuous, min: 0, max: 1}}\n"
                     "command: sleep 4; echo v={x}\nmetric_regex: 'v=(\\S+)'\n");
  const std::string start =
      "cd '" + dir.path().string() + "' && (" + MLOOP_BINARY + " tune slow.yaml > out.txt 2>&1 &)";
  ASSERT_EQ(std::system(start.c_str()), 0);
  testing::CliResult r;
  for (int i = 0; i < 60; ++i) {  // until the job is recorded
    r = RunMloop(dir.path(), "tune show slow");
    if (r.code == 0) break;
    usleep(100000);
  }
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "0 failed), running for ");
  EXPECT_EQ(r.out.find("stopped:"), std::string::npos) << r.out;
  for (int i = 0; i < 30 && r.out.find("\n0 ") == std::string::npos; ++i) {  // trial 0 asked
    usleep(100000);
    r = RunMloop(dir.path(), "tune show slow");
  }
  // A running trial has no value and no duration yet (it read 0.000 s).
  EXPECT_TRUE(std::regex_search(r.out, std::regex("\n0 +running +- +- "))) << r.out;
  for (int i = 0; i < 100 && r.out.find("stopped:") == std::string::npos; ++i) {
    usleep(100000);
    r = RunMloop(dir.path(), "tune show slow");
  }
  EXPECT_CONTAINS(r.out, "stopped: max_trials");
}

TEST(TuneCli, ErrorsAreClear) {
  TempDir dir;
  SetUpBranin(dir);
  testing::WriteFile(dir / "typo.yaml", testing::ReadFile(dir / "branin.yaml") + "max_trail: 3\n");
  auto r = RunMloop(dir.path(), "tune typo.yaml");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "unknown key 'max_trail'");
  EXPECT_CONTAINS(r.err, "did you mean 'max_trials'");
  r = RunMloop(dir.path(), "tune missing.yaml");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "no tuning job file 'missing.yaml'");
  EXPECT_EQ(r.err.find("tune show missing.yaml"), std::string::npos) << r.err;  // a path
  // An option of the wrong type is named (not a JSON library's message).
  testing::WriteFile(dir / "opt.yaml", testing::ReadFile(dir / "branin.yaml") +
                                           "strategy_options: {n_startup_trials: abc}\n");
  std::string opt = testing::ReadFile(dir / "opt.yaml");
  opt.replace(opt.find("strategy: random"), 16, "strategy: bayesian");
  testing::WriteFile(dir / "opt.yaml", opt);
  r = RunMloop(dir.path(), "tune opt.yaml");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "n_startup_trials must be a whole number from 0 to 1000000, got \"abc\"");
  // A recorded job's name where its file belongs, and a directory, are told apart.
  r = RunMloop(dir.path(), "tune nightly");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "`mloop tune show nightly`");
  std::filesystem::create_directory(dir / "jobs");
  r = RunMloop(dir.path(), "tune jobs");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "'jobs' is a directory, not a tuning job file");
  // A bad option value names the option, not the job file.
  r = RunMloop(dir.path(), "tune branin.yaml --max-trials 0");
  EXPECT_EQ(r.code, 2);
  EXPECT_CONTAINS(r.err, "--max-trials: Value 0 not in range");
  r = RunMloop(dir.path(), "tune branin.yaml --seed -1");
  EXPECT_CONTAINS(r.err, "--seed: a seed is a whole number");
  // A name that fits alone but not in its default experiment, tune-NAME.
  {
    std::string yaml = testing::ReadFile(dir / "branin.yaml");
    yaml.replace(yaml.find("name: branin"), 12, "name: " + std::string(124, 'b'));
    std::filesystem::create_directory(dir / "w");  // in a workspace, where trials are runs
    testing::WriteFile(dir / "w" / "long.yaml", yaml);
  }
  ASSERT_EQ(RunMloop(dir / "w", "init .").code, 0);
  r = RunMloop(dir / "w", "tune long.yaml");
  EXPECT_EQ(r.code, 2);
  EXPECT_CONTAINS(r.err, "the job name is 124 characters long; its trials' experiment");
  EXPECT_CONTAINS(r.err, "set 'experiment:'");
  // Every trial failing is an error after the table.
  std::filesystem::remove(dir / "branin");
  r = RunMloop(dir.path(), "tune branin.yaml --max-trials 2");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.out, "failed");
  EXPECT_CONTAINS(r.err, "no trial of tuning job 'branin' completed");
  // ... and in a workspace the job is recorded as failed, not finished.
  ASSERT_EQ(RunMloop(dir.path(), "init .").code, 0);
  r = RunMloop(dir.path(), "tune branin.yaml --max-trials 2");
  EXPECT_EQ(r.code, 1);
  r = RunMloop(dir.path(), "tune list --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto jobs = nlohmann::json::parse(r.out);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0]["status"], "failed") << jobs[0].dump();
}

}  // namespace
}  // namespace mloop
