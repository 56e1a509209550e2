#include <gtest/gtest.h>

#include <cmath>

#include "mloop/core/error.h"
#include "mloop/tune/tune.h"

namespace mloop::tune {
namespace {

Trial Make(int number, TrialState state, std::map<int64_t, double> intermediate) {
  Trial t;
  t.number = number;
  t.state = state;
  t.intermediate = std::move(intermediate);
  if (state != TrialState::kRunning && !t.intermediate.empty()) {
    t.value = t.intermediate.rbegin()->second;
  }
  return t;
}

// Five complete trials: step 0 values 5..9 (median 7), step 1 values 1..5 (median 3).
std::vector<Trial> FiveComplete() {
  std::vector<Trial> v;
  for (int i = 0; i < 5; ++i)
    v.push_back(Make(i, TrialState::kComplete, {{0, 5.0 + i}, {1, 1.0 + i}}));
  return v;
}

// Whether `p` prunes a running trial with `intermediate`, judged at its last step.
bool Prunes(const Pruner& p, std::vector<Trial> trials, std::map<int64_t, double> intermediate,
            Direction d = Direction::kMinimize) {
  Trial t = Make(static_cast<int>(trials.size()), TrialState::kRunning, std::move(intermediate));
  trials.push_back(t);
  return p.ShouldPrune(t, t.intermediate.rbegin()->first, trials, d);
}

TEST(PrunerTest, FactoryAndNone) {
  EXPECT_EQ(MakePruner("none")->name(), "none");
  EXPECT_EQ(MakePruner("median")->name(), "median");
  EXPECT_EQ(MakePruner("asha")->name(), "asha");
  EXPECT_FALSE(Prunes(*MakePruner("none"), FiveComplete(), {{0, 1e9}}));
  try {
    MakePruner("medain");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean 'median'"), std::string::npos) << e.what();
  }
  try {
    MakePruner("asha", {{"reduction_factr", 3}});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean 'reduction_factor'"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(MakePruner("asha", {{"reduction_factor", 1}}), Error);
}

TEST(PrunerTest, MedianAsOptunaMedianPruner) {
  auto median = MakePruner("median");
  // Step 0: median 7.
  EXPECT_FALSE(Prunes(*median, FiveComplete(), {{0, 6.5}}));
  EXPECT_FALSE(Prunes(*median, FiveComplete(), {{0, 7.0}}));  // not worse than the median
  EXPECT_TRUE(Prunes(*median, FiveComplete(), {{0, 7.5}}));
  // Step 1: the trial's best so far (3.5) against the median 3.
  EXPECT_TRUE(Prunes(*median, FiveComplete(), {{0, 6.5}, {1, 3.5}}));
  // ... and its best so far may come from an earlier step (2.5 at step 0 <= 3).
  EXPECT_FALSE(Prunes(*median, FiveComplete(), {{0, 2.5}, {1, 9.0}}));
  // No complete trial has step 2: nothing to compare with.
  EXPECT_FALSE(Prunes(*median, FiveComplete(), {{0, 6.5}, {2, 100.0}}));
  // Maximising: worse means below the median.
  EXPECT_TRUE(Prunes(*median, FiveComplete(), {{0, 6.5}}, Direction::kMaximize));
  EXPECT_FALSE(Prunes(*median, FiveComplete(), {{0, 7.5}}, Direction::kMaximize));
  // Fewer than n_startup_trials (5) complete trials: never.
  auto four = FiveComplete();
  four.pop_back();
  EXPECT_FALSE(Prunes(*median, four, {{0, 1000.0}}));
  // Pruned, failed and running trials do not count (Optuna uses complete trials only).
  auto mixed = four;
  mixed.push_back(Make(4, TrialState::kPruned, {{0, 0.0}}));
  mixed.push_back(Make(5, TrialState::kRunning, {{0, 0.0}}));
  EXPECT_FALSE(Prunes(*median, mixed, {{0, 1000.0}}));
  auto six = FiveComplete();
  six.push_back(Make(5, TrialState::kPruned, {{0, 0.0}}));
  six.push_back(Make(6, TrialState::kComplete, {{0, 10.0}}));  // step 0: 5..10, median 7.5
  EXPECT_FALSE(Prunes(*median, six, {{0, 7.5}}));
  EXPECT_TRUE(Prunes(*median, six, {{0, 7.6}}));
  // A NaN-only trial is pruned.
  EXPECT_TRUE(Prunes(*median, FiveComplete(), {{0, std::nan("")}}));
}

TEST(PrunerTest, MedianWarmupIntervalAndStartupOptions) {
  auto warm = MakePruner("median", {{"n_warmup_steps", 1}});
  EXPECT_FALSE(Prunes(*warm, FiveComplete(), {{0, 100.0}}));
  EXPECT_TRUE(Prunes(*warm, FiveComplete(), {{0, 100.0}, {1, 100.0}}));
  // interval_steps 2: judged at steps 0, 2, 4, ... (the first report in each interval).
  auto every2 = MakePruner("median", {{"interval_steps", 2}});
  EXPECT_FALSE(Prunes(*every2, FiveComplete(), {{0, 6.0}, {1, 100.0}}));
  // ... but a trial that skipped step 0 is judged at its first report in [0, 2).
  EXPECT_TRUE(Prunes(*every2, FiveComplete(), {{1, 100.0}}));
  auto startup1 = MakePruner("median", {{"n_startup_trials", 1}});
  std::vector<Trial> one = {Make(0, TrialState::kComplete, {{0, 1.0}})};
  EXPECT_TRUE(Prunes(*startup1, one, {{0, 2.0}}));
  auto min2 = MakePruner("median", {{"n_startup_trials", 1}, {"n_min_trials", 2}});
  EXPECT_FALSE(Prunes(*min2, one, {{0, 2.0}}));
}

// SuccessiveHalvingPruner(min_resource=1, reduction_factor=4, min_early_stopping_rate=0):
// rungs at steps 1, 4, 16, 64, ...
TEST(PrunerTest, AshaAsOptunaSuccessiveHalving) {
  auto asha = MakePruner("asha");
  std::vector<Trial> trials;
  // Step 0 is below the first rung.
  EXPECT_FALSE(Prunes(*asha, trials, {{0, 100.0}}));
  // Fewer than 4 competitors: only the best goes on.
  EXPECT_FALSE(Prunes(*asha, trials, {{1, 5.0}}));  // alone at rung 0
  trials.push_back(Make(0, TrialState::kComplete, {{1, 5.0}}));
  EXPECT_FALSE(Prunes(*asha, trials, {{1, 3.0}}));  // [3, 5]: best
  trials.push_back(Make(1, TrialState::kRunning, {{1, 3.0}}));
  EXPECT_TRUE(Prunes(*asha, trials, {{1, 4.0}}));  // [3, 4, 5]: not the best
  trials.push_back(Make(2, TrialState::kPruned, {{1, 4.0}}));
  EXPECT_FALSE(Prunes(*asha, trials, {{1, 2.0}}));  // [2, 3, 4, 5]: 4 // 4 - 1 = 0, the best
  trials.push_back(Make(3, TrialState::kRunning, {{1, 2.0}}));
  EXPECT_TRUE(Prunes(*asha, trials, {{1, 3.5}}));  // 5 values, index 0: 3.5 > 2
  // With 8 competitors the top 8 // 4 = 2 go on.
  std::vector<Trial> seven;
  for (int i = 0; i < 7; ++i) seven.push_back(Make(i, TrialState::kComplete, {{1, 1.0 + i}}));
  EXPECT_FALSE(Prunes(*asha, seven, {{1, 2.0}}));  // sorted [1, 2, 2, ...]: 2 <= 2
  EXPECT_TRUE(Prunes(*asha, seven, {{1, 2.5}}));   // 2.5 > 2
  EXPECT_FALSE(Prunes(*asha, seven, {{1, 6.0}}, Direction::kMaximize));  // [.., 6, 6, 7]: 6 >= 6
  EXPECT_TRUE(Prunes(*asha, seven, {{1, 5.5}}, Direction::kMaximize));
  // Between rungs nothing is judged: a trial already past rung 0 reporting step 2.
  EXPECT_FALSE(Prunes(*asha, seven, {{1, 1.0}, {2, 1000.0}}));
  // Rung 1 (step 4): competitors are the values at each trial's first step >= 4.
  std::vector<Trial> deep = {Make(0, TrialState::kComplete, {{1, 1.0}, {4, 0.5}}),
                             Make(1, TrialState::kComplete, {{1, 1.0}, {5, 0.2}})};
  EXPECT_TRUE(Prunes(*asha, deep, {{1, 0.1}, {4, 0.3}}));   // [0.2, 0.3, 0.5]: not the best
  EXPECT_FALSE(Prunes(*asha, deep, {{1, 0.1}, {4, 0.1}}));  // the best
  // A report that jumps past several rungs is judged at each in turn (rung 0 first).
  EXPECT_TRUE(Prunes(*asha, deep, {{6, 0.9}}));  // rung 0: [1, 1, 0.9] best; rung 1: worst
  EXPECT_FALSE(Prunes(*asha, deep, {{6, 0.1}}));
  EXPECT_TRUE(Prunes(*asha, deep, {{1, std::nan("")}}));
  // min_early_stopping_rate 1: the first rung is at step 4.
  auto later = MakePruner("asha", {{"min_early_stopping_rate", 1}});
  EXPECT_FALSE(Prunes(*later, seven, {{1, 100.0}}));
  EXPECT_TRUE(Prunes(*later, deep, {{4, 100.0}}));
  // min_resource 2, reduction_factor 2: rungs at 2, 4, 8.
  auto r2 = MakePruner("asha", {{"min_resource", 2}, {"reduction_factor", 2}});
  EXPECT_FALSE(Prunes(*r2, seven, {{1, 100.0}}));
}

}  // namespace
}  // namespace mloop::tune
