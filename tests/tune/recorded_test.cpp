// Recorded tuning jobs in a workspace: what an interrupted job leaves behind, and which earlier
// trials a warm start takes.
#include "mloop/tune/recorded.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "mloop/store/workspace.h"
#include "mloop/tune/job.h"
#include "mloop/tune/objective.h"
#include "test_util.h"

namespace mloop::tune {
namespace {

using testing::TempDir;

// Tunes mloop's XGBoost on the breast-cancer data (copied beside the job), registering the best.
TuningJob BreastCancerJob(const TempDir& dir, int max_trials) {
  std::filesystem::copy_file(
      std::filesystem::path(MLOOP_SOURCE_DIR) / "examples" / "data" / "breast_cancer.csv",
      dir / "bc.csv", std::filesystem::copy_options::skip_existing);
  return ParseTuningJob(
      "name: bc\n"
      "objective: {metric: roc_auc}\n"
      "strategy: random\n"
      "max_trials: " +
          std::to_string(max_trials) +
          "\n"
          "seed: 3\n"
          "train:\n"
          "  data: bc.csv\n"
          "  target: target\n"
          "  params: {num_boost_round: 5, nthread: 1}\n"
          "register: {name: bc_model}\n"
          "parameters:\n"
          "  max_depth: {type: integer, min: 2, max: 6}\n",
      "bc.yaml", dir.path());
}

TEST(RecordedTune, AnInterruptedJobRegistersNothingAndItsResumeDoes) {
  TempDir dir;
  auto ws = Workspace::Init(dir / "ws");
  TuningJob job = BreastCancerJob(dir, 10);
  TrainData data = LoadTrainData(*ws, job);
  auto study = MakeStudy(job);
  std::atomic<bool> cancel{false};
  RecordedTuneOptions options;
  options.train_data = &data;
  options.cancel = &cancel;
  options.on_progress = [&](const TuneProgress& p) {
    if (p.done >= 2) cancel = true;  // Ctrl-C after two trials
  };
  RecordedTuneResult r = RunRecordedTuningJob(*ws, job, *study, options);
  EXPECT_EQ(r.outcome.stop_reason, "interrupted");
  EXPECT_FALSE(r.registered);
  EXPECT_TRUE(ws->metadata().ListModelVersions("bc_model").empty());
  const nlohmann::json summary =
      nlohmann::json::parse(ws->metadata().GetTuningJob(r.job_id)->summary_json);
  EXPECT_FALSE(summary.contains("registered")) << summary.dump();

  // Resumed to its end: the best trial's model is registered, once.
  TuningJob resumed = BreastCancerJob(dir, 4);
  auto again = MakeStudy(resumed);
  RecordedTuneOptions go_on;
  go_on.train_data = &data;
  go_on.resume = r.job_id;
  RecordedTuneResult end = RunRecordedTuningJob(*ws, resumed, *again, go_on);
  EXPECT_EQ(end.outcome.stop_reason, "max_trials");
  ASSERT_TRUE(end.registered);
  EXPECT_EQ(ws->metadata().ListModelVersions("bc_model").size(), 1u);
}

TEST(RecordedTune, AWarmStartTakesOnlyTrialsWithAValue) {
  TempDir dir;
  auto ws = Workspace::Init(dir / "ws");
  // x < 0.5 fails (the command exits 3): those trials have no value to learn from.
  auto job = [&](const std::string& name) {
    return ParseTuningJob(
        "name: " + name +
            "\n"
            "objective: {metric: loss, goal: minimize}\n"
            "strategy: random\n"
            "max_trials: 12\n"
            "seed: 5\n"
            "parameters:\n"
            "  x: {type: continuous, min: 0, max: 1}\n"
            "command: awk 'BEGIN { if ({x} < 0.5) exit 3; print \"loss=\" {x} }'\n"
            "metric_regex: 'loss=([-+0-9.eE]+)'\n",
        name + ".yaml", dir.path());
  };
  TuningJob first = job("first");
  auto study = MakeStudy(first);
  RecordedTuneResult r = RunRecordedTuningJob(*ws, first, *study, {});
  int with_value = 0;
  int failed = 0;
  for (const Trial& t : study->trials()) {
    with_value += t.value.has_value();
    failed += t.state == TrialState::kFailed;
  }
  ASSERT_GT(failed, 0);
  ASSERT_GT(with_value, 0);

  TuningJob second = job("second");
  auto seeded = MakeStudy(second);
  RecordedTuneOptions options;
  options.warm_start = {r.job_id};
  RecordedTuneResult s = RunRecordedTuningJob(*ws, second, *seeded, options);
  EXPECT_EQ(s.warm_start_trials, with_value);
  for (const Trial& t : seeded->trials()) {
    if (t.warm_start) {
      EXPECT_NE(t.state, TrialState::kFailed);
    }
  }
}

}  // namespace
}  // namespace mloop::tune
