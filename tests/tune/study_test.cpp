#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <thread>

#include "mloop/core/error.h"
#include "mloop/tune/tune.h"

namespace mloop::tune {
namespace {

using nlohmann::json;

SearchSpace Branin() {
  return SearchSpace::FromJson(json::parse(R"({
    "x1": {"type": "continuous", "min": -5, "max": 10},
    "x2": {"type": "continuous", "min": 0, "max": 15}
  })"));
}

double BraninAt(const ParamValues& v) {
  double x1 = std::get<double>(v.at("x1")), x2 = std::get<double>(v.at("x2"));
  const double pi = 3.14159265358979323846;
  double b = 5.1 / (4 * pi * pi), c = 5 / pi, t = 1 / (8 * pi);
  return std::pow(x2 - b * x1 * x1 + c * x1 - 6, 2) + 10 * (1 - t) * std::cos(x1) + 10;
}

std::unique_ptr<Study> MakeStudy(StopRules stop, Direction d = Direction::kMinimize,
                                 std::string pruner = "none") {
  return std::make_unique<Study>(Branin(), d, MakeSampler("random", 1), MakePruner(pruner), stop);
}

TEST(StudyTest, MaxTrialsCountsAskedTrials) {
  StopRules stop;
  stop.max_trials = 3;
  auto study = MakeStudy(stop);
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(study->StopReason());
    Trial t = study->Ask();
    EXPECT_EQ(t.number, i);
    EXPECT_EQ(t.state, TrialState::kRunning);
    EXPECT_EQ(t.params.size(), 2u);
  }
  EXPECT_EQ(study->StopReason(), "max_trials");
  try {
    study->Ask();
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kFailedPrecondition);
  }
  EXPECT_EQ(study->Best(), nullptr);
  study->Tell(1, TrialState::kComplete, 2.0, 0.5);
  study->Tell(0, TrialState::kComplete, 3.0);
  study->Tell(2, TrialState::kFailed, std::nullopt, 0, "boom");
  ASSERT_NE(study->Best(), nullptr);
  EXPECT_EQ(study->Best()->number, 1);
  EXPECT_EQ(study->trials()[1].seconds, 0.5);
  EXPECT_EQ(study->trials()[2].error, "boom");
}

// A grid is done once every point has been asked (Optuna's GridSampler), whatever max_trials.
TEST(StudyTest, GridStopsWhenEveryPointWasTried) {
  StopRules stop;
  stop.max_trials = 50;
  Study study(Branin(), Direction::kMinimize, MakeSampler("grid", 1, {{"points", 2}}),
              MakePruner("none"), stop);
  for (int i = 0; i < 4; ++i) {
    EXPECT_FALSE(study.StopReason()) << i;
    Trial t = study.Ask();
    study.Tell(t.number, TrialState::kComplete, BraninAt(t.params));
  }
  EXPECT_EQ(study.StopReason(), "grid_exhausted");
}

TEST(StudyTest, TellChecksItsArguments) {
  auto study = MakeStudy(StopRules{});
  Trial t = study->Ask();
  EXPECT_THROW(study->Tell(t.number, TrialState::kComplete, std::nullopt), Error);
  EXPECT_THROW(study->Tell(t.number, TrialState::kRunning, 1.0), Error);
  EXPECT_THROW(study->Tell(99, TrialState::kComplete, 1.0), Error);
  study->Tell(t.number, TrialState::kComplete, std::nan(""));
  EXPECT_EQ(study->trials()[0].state, TrialState::kFailed);
  EXPECT_NE(study->trials()[0].error.find("nan"), std::string::npos);
  EXPECT_THROW(study->Tell(t.number, TrialState::kComplete, 1.0), Error);  // told twice
  EXPECT_THROW(study->Report(t.number, 0, 1.0), Error);                    // not running
}

TEST(StudyTest, TargetStopsOnceReached) {
  StopRules stop;
  stop.target = 1.0;
  auto study = MakeStudy(stop);
  study->Tell(study->Ask().number, TrialState::kComplete, 2.0);
  EXPECT_FALSE(study->StopReason());
  study->Tell(study->Ask().number, TrialState::kComplete, 1.0);
  EXPECT_EQ(study->StopReason(), "target");

  auto up = MakeStudy(stop, Direction::kMaximize);
  up->Tell(up->Ask().number, TrialState::kComplete, 0.5);
  EXPECT_FALSE(up->StopReason());
  up->Tell(up->Ask().number, TrialState::kComplete, 1.5);
  EXPECT_EQ(up->StopReason(), "target");
  EXPECT_EQ(up->Best()->number, 1);
}

TEST(StudyTest, PatienceCountsTrialsSinceTheLastImprovement) {
  StopRules stop;
  stop.patience = 2;
  auto study = MakeStudy(stop);
  for (double v : {5.0, 4.0, 4.5}) {
    study->Tell(study->Ask().number, TrialState::kComplete, v);
    EXPECT_FALSE(study->StopReason()) << v;
  }
  Trial t = study->Ask();
  study->Tell(t.number, TrialState::kFailed, std::nullopt);  // failures count as no improvement
  EXPECT_EQ(study->StopReason(), "patience");
}

TEST(StudyTest, MaxSeconds) {
  StopRules stop;
  stop.max_seconds = 0.02;
  auto study = MakeStudy(stop);
  // The clock starts with the first trial, not when the study (and its data) is made.
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  EXPECT_FALSE(study->StopReason());
  const Trial t = study->Ask();
  EXPECT_FALSE(study->StopReason());
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  EXPECT_EQ(study->StopReason(), "max_seconds");
  study->Tell(t.number, TrialState::kComplete, 1.0);
}

TEST(StudyTest, WarmStartInformsButResumeCounts) {
  std::vector<Trial> earlier(3);
  for (int i = 0; i < 3; ++i) {
    earlier[i].number = 10 + i;
    earlier[i].params = {{"x1", 1.0 * i}, {"x2", 2.0}};
    earlier[i].state = TrialState::kComplete;
    earlier[i].value = 0.1 * i;
  }
  earlier[2].state = TrialState::kRunning;  // interrupted
  StopRules stop;
  stop.max_trials = 4;
  stop.target = 0.05;
  auto warm = MakeStudy(stop);
  warm->AddTrials(earlier, false);
  EXPECT_EQ(warm->trials().size(), 3u);
  EXPECT_TRUE(warm->trials()[0].warm_start);
  EXPECT_EQ(warm->trials()[2].state, TrialState::kFailed);
  EXPECT_EQ(warm->trials()[2].error, "interrupted");
  EXPECT_EQ(warm->Best(), nullptr);  // warm-start trials are not this study's best
  EXPECT_FALSE(warm->StopReason());  // and do not meet its target
  EXPECT_EQ(warm->Ask().number, 3);  // numbering continues

  auto resumed = MakeStudy(stop);
  resumed->AddTrials(earlier, true);
  EXPECT_FALSE(resumed->trials()[0].warm_start);
  EXPECT_EQ(resumed->trials()[1].number, 1);
  EXPECT_EQ(resumed->StopReason(), "target");  // trial 0 has 0.0
  EXPECT_EQ(resumed->Best()->number, 0);
  StopRules limit;
  limit.max_trials = 4;
  auto r2 = MakeStudy(limit);
  r2->AddTrials(earlier, true);
  r2->Ask();
  EXPECT_EQ(r2->StopReason(), "max_trials");
}

TEST(StudyTest, ReportAsksThePruner) {
  StopRules stop;
  stop.max_trials = 0;  // no limit
  auto study = MakeStudy(stop, Direction::kMinimize, "median");
  for (int i = 0; i < 5; ++i) {
    Trial t = study->Ask();
    EXPECT_FALSE(study->Report(t.number, 0, 1.0 + i));
    study->Tell(t.number, TrialState::kComplete, 1.0 + i);
  }
  Trial t = study->Ask();
  EXPECT_FALSE(study->Report(t.number, 0, 2.5));  // median 3
  Trial u = study->Ask();
  EXPECT_TRUE(study->Report(u.number, 0, 3.5));
  study->Tell(u.number, TrialState::kPruned, std::nullopt);
  EXPECT_EQ(study->trials()[u.number].state, TrialState::kPruned);
  EXPECT_EQ(study->trials()[u.number].value, 3.5);  // the last reported value
  EXPECT_EQ(study->trials()[u.number].intermediate.at(0), 3.5);
}

TEST(StudyTest, AskAndTellFromTwoThreads) {
  StopRules stop;
  stop.max_trials = 400;
  auto study = MakeStudy(stop, Direction::kMinimize, "median");
  auto worker = [&] {
    while (!study->StopReason()) {
      Trial t;
      try {
        t = study->Ask();
      } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::kFailedPrecondition);
        break;  // the other thread took the last trial
      }
      double y = BraninAt(t.params);
      bool pruned = false;
      for (int step = 0; step < 3 && !pruned; ++step)
        pruned = study->Report(t.number, step, y + 3 - step);
      study->Tell(t.number, pruned ? TrialState::kPruned : TrialState::kComplete, y);
    }
  };
  std::thread a(worker), b(worker);
  a.join();
  b.join();
  auto trials = study->Snapshot();
  ASSERT_EQ(trials.size(), 400u);
  std::set<ParamValues> distinct;
  for (size_t i = 0; i < trials.size(); ++i) {
    EXPECT_EQ(trials[i].number, static_cast<int>(i));
    EXPECT_NE(trials[i].state, TrialState::kRunning);
    distinct.insert(trials[i].params);
  }
  EXPECT_EQ(distinct.size(), 400u);
  EXPECT_NE(study->Best(), nullptr);
}

TEST(StudyTest, RandomSearchOnBraninReachesASaneValue) {
  StopRules stop;
  stop.max_trials = 200;
  auto study = MakeStudy(stop);
  while (!study->StopReason()) {
    Trial t = study->Ask();
    study->Tell(t.number, TrialState::kComplete, BraninAt(t.params));
  }
  const Trial* best = study->Best();
  ASSERT_NE(best, nullptr);
  // The optimum is 0.397887; 200 uniform points land within ~1 of it.
  EXPECT_GT(*best->value, 0.3978);
  EXPECT_LT(*best->value, 1.0);
}

}  // namespace
}  // namespace mloop::tune
