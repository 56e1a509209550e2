#include "mloop/eval/curves.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>

#include "eval/eval_fixtures.h"
#include "mloop/core/error.h"

namespace mloop {
namespace {

using testing::AllNear;
using testing::Doubles;
using testing::EvalFixtures;
using testing::Ints;
using testing::Near;

std::string ErrorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    return e.what();
  }
  return "no error";
}

TEST(CurvesFixtureTest, EveryCurveEqualsSklearn) {
  size_t checked = 0;
  for (const auto& c : EvalFixtures()["cases"]) {
    if (!c.contains("curves")) continue;
    std::string name = c["name"];
    SCOPED_TRACE(name);
    std::vector<int32_t> y = Ints(c["y_true"]);
    std::vector<double> s = Doubles(c["score"]);
    std::vector<double> w = c.contains("weight") ? Doubles(c["weight"]) : std::vector<double>{};
    const auto& curves = c["curves"];

    for (bool drop : {true, false}) {
      SCOPED_TRACE(drop ? "roc" : "roc_all");
      const auto& want = curves[drop ? "roc" : "roc_all"];
      RocCurve roc = ComputeRocCurve(y, s, w, drop);
      EXPECT_TRUE(AllNear(roc.fpr, Doubles(want["fpr"])));
      EXPECT_TRUE(AllNear(roc.tpr, Doubles(want["tpr"])));
      EXPECT_TRUE(AllNear(roc.thresholds, Doubles(want["thresholds"])));
    }
    {
      SCOPED_TRACE("pr");
      PrecisionRecallCurve pr = ComputePrecisionRecallCurve(y, s, w);
      EXPECT_TRUE(AllNear(pr.precision, Doubles(curves["pr"]["precision"])));
      EXPECT_TRUE(AllNear(pr.recall, Doubles(curves["pr"]["recall"])));
      EXPECT_TRUE(AllNear(pr.thresholds, Doubles(curves["pr"]["thresholds"])));
    }
    for (const auto& [key, want] : curves.items()) {
      SCOPED_TRACE(key);
      if (key.rfind("calibration_", 0) == 0) {
        bool uniform = key.find("uniform") != std::string::npos;
        int bins = std::stoi(key.substr(key.rfind('_') + 1));
        auto run = [&] {
          return ComputeCalibrationCurve(
              y, s, bins, uniform ? CalibrationStrategy::kUniform : CalibrationStrategy::kQuantile);
        };
        if (want.contains("error")) {
          EXPECT_NE(ErrorOf(run), "no error");
          continue;
        }
        CalibrationCurve cc = run();
        EXPECT_TRUE(AllNear(cc.prob_true, Doubles(want["prob_true"])));
        EXPECT_TRUE(AllNear(cc.prob_pred, Doubles(want["prob_pred"])));
      } else if (key.rfind("gain_", 0) == 0) {
        int points = std::stoi(key.substr(5));
        if (want.contains("error")) {
          EXPECT_NE(ErrorOf([&] { ComputeGainCurve(y, s, points, w); }), "no error");
          continue;
        }
        GainCurve g = ComputeGainCurve(y, s, points, w);
        EXPECT_TRUE(AllNear(g.fraction, Doubles(want["fraction"])));
        EXPECT_TRUE(AllNear(g.gain, Doubles(want["gain"])));
        EXPECT_TRUE(AllNear(g.lift, Doubles(want["lift"])));
      } else if (key == "best_threshold") {
        const std::pair<const char*, ThresholdMetric> kMetrics[] = {
            {"f1", ThresholdMetric::kF1},
            {"accuracy", ThresholdMetric::kAccuracy},
            {"balanced_accuracy", ThresholdMetric::kBalancedAccuracy},
            {"youden", ThresholdMetric::kYouden}};
        for (auto [metric_name, metric] : kMetrics) {
          SCOPED_TRACE(metric_name);
          if (want.contains("error")) {
            EXPECT_NE(ErrorOf([&] { BestThreshold(metric, y, s, w); }), "no error");
            continue;
          }
          ThresholdChoice t = BestThreshold(metric, y, s, w);
          EXPECT_TRUE(Near(t.value, want[metric_name]["value"].get<double>()));
          // Thresholds whose sklearn value is within 1e-9 of the best are all acceptable.
          std::vector<double> ok = Doubles(want[metric_name]["thresholds"]);
          EXPECT_NE(std::find(ok.begin(), ok.end(), t.threshold), ok.end()) << t.threshold;
        }
      }
    }
    ++checked;
  }
  EXPECT_GT(checked, 30u);
}

// ---- Hand-written cases -------------------------------------------------------------------

TEST(CurvesTest, RocSklearnDocExample) {
  // roc_curve([1, 1, 2, 2], [0.1, 0.4, 0.35, 0.8], pos_label=2)
  RocCurve roc =
      ComputeRocCurve(std::vector<int32_t>{0, 0, 1, 1}, std::vector<double>{0.1, 0.4, 0.35, 0.8});
  EXPECT_EQ(roc.fpr, (std::vector<double>{0, 0, 0.5, 0.5, 1}));
  EXPECT_EQ(roc.tpr, (std::vector<double>{0, 0.5, 0.5, 1, 1}));
  EXPECT_EQ(roc.thresholds, (std::vector<double>{1.8, 0.8, 0.4, 0.35, 0.1}));
}

TEST(CurvesTest, RocDropsCollinearPointsOnly) {
  // Scores 0.9 .. 0.6 all positive: the points (0, 1/4) .. (0, 3/4) are collinear.
  std::vector<int32_t> y{1, 1, 1, 1, 0};
  std::vector<double> s{0.9, 0.8, 0.7, 0.6, 0.1};
  RocCurve dropped = ComputeRocCurve(y, s);
  EXPECT_EQ(dropped.thresholds, (std::vector<double>{1.9, 0.9, 0.6, 0.1}));
  RocCurve all = ComputeRocCurve(y, s, {}, false);
  EXPECT_EQ(all.thresholds.size(), 6u);
}

TEST(CurvesTest, RocSingleClassIsNaNNotError) {
  RocCurve roc = ComputeRocCurve(std::vector<int32_t>{1, 1}, std::vector<double>{0.3, 0.6});
  for (double f : roc.fpr) EXPECT_TRUE(std::isnan(f));
  EXPECT_EQ(roc.tpr.back(), 1.0);
}

TEST(CurvesTest, PrecisionRecallSklearnDocExample) {
  PrecisionRecallCurve pr = ComputePrecisionRecallCurve(std::vector<int32_t>{0, 0, 1, 1},
                                                        std::vector<double>{0.1, 0.4, 0.35, 0.8});
  EXPECT_TRUE(AllNear(pr.precision, {0.5, 2.0 / 3, 0.5, 1, 1}));
  EXPECT_EQ(pr.recall, (std::vector<double>{1, 1, 0.5, 0.5, 0}));
  EXPECT_EQ(pr.thresholds, (std::vector<double>{0.1, 0.35, 0.4, 0.8}));
}

TEST(CurvesTest, ZeroWeightSamplesAreNotThresholds) {
  std::vector<int32_t> y{0, 1, 0, 1};
  std::vector<double> s{0.1, 0.9, 0.5, 0.7};
  RocCurve roc = ComputeRocCurve(y, s, std::vector<double>{1, 1, 0, 1}, false);
  EXPECT_EQ(roc.thresholds, (std::vector<double>{1.9, 0.9, 0.7, 0.1}));
  EXPECT_NE(ErrorOf([&] {
              ComputeRocCurve(y, s, std::vector<double>{0, 0, 0, 0});
            }).find("every sample weight is zero"),
            std::string::npos);
}

TEST(CurvesTest, CalibrationBinsIncludeRightEdge) {
  // Uniform edges 0, 0.5, 1: 0.5 falls in the first bin (searchsorted left on inner edges).
  CalibrationCurve cc = ComputeCalibrationCurve(std::vector<int32_t>{0, 1, 1, 0},
                                                std::vector<double>{0.2, 0.5, 0.9, 0.7}, 2);
  EXPECT_EQ(cc.prob_true, (std::vector<double>{0.5, 0.5}));
  EXPECT_TRUE(AllNear(cc.prob_pred, {0.35, 0.8}));
  EXPECT_NE(ErrorOf([] {
              ComputeCalibrationCurve(std::vector<int32_t>{0, 1}, std::vector<double>{-0.1, 0.5});
            }).find("outside [0, 1]"),
            std::string::npos);
  EXPECT_NE(ErrorOf([] {
              ComputeCalibrationCurve(std::vector<int32_t>{0, 1}, std::vector<double>{0.1, 0.5}, 0);
            }).find("n_bins"),
            std::string::npos);
}

TEST(CurvesTest, GainAndLift) {
  // Perfect ranking, 2 positives of 4: the top half captures everything.
  GainCurve g = ComputeGainCurve(std::vector<int32_t>{1, 0, 1, 0},
                                 std::vector<double>{0.9, 0.1, 0.8, 0.2}, 4);
  EXPECT_EQ(g.fraction, (std::vector<double>{0.25, 0.5, 0.75, 1.0}));
  EXPECT_EQ(g.gain, (std::vector<double>{0.5, 1, 1, 1}));
  EXPECT_EQ(g.lift, (std::vector<double>{2, 2, 4.0 / 3, 1}));
  // All scores tied: the gain is the diagonal whatever the order of the samples.
  GainCurve tied = ComputeGainCurve(std::vector<int32_t>{1, 1, 0, 0},
                                    std::vector<double>{0.5, 0.5, 0.5, 0.5}, 4);
  EXPECT_EQ(tied.gain, (std::vector<double>{0.25, 0.5, 0.75, 1}));
  GainCurve tied2 = ComputeGainCurve(std::vector<int32_t>{0, 0, 1, 1},
                                     std::vector<double>{0.5, 0.5, 0.5, 0.5}, 4);
  EXPECT_EQ(tied.gain, tied2.gain);
  EXPECT_NE(ErrorOf([] {
              ComputeGainCurve(std::vector<int32_t>{0, 0}, std::vector<double>{0.1, 0.2});
            }).find("no positive"),
            std::string::npos);
}

TEST(CurvesTest, BestThreshold) {
  std::vector<int32_t> y{0, 0, 1, 1, 0, 1};
  std::vector<double> s{0.1, 0.3, 0.35, 0.8, 0.6, 0.7};
  ThresholdChoice acc = BestThreshold(ThresholdMetric::kAccuracy, y, s);
  EXPECT_EQ(acc.threshold, 0.7);  // predicts {0.8, 0.7}: 5 of 6 right
  EXPECT_NEAR(acc.value, 5.0 / 6, 1e-15);
  ThresholdChoice youden = BestThreshold(ThresholdMetric::kYouden, y, s);
  EXPECT_NEAR(youden.value, 2.0 / 3, 1e-15);
  EXPECT_EQ(youden.threshold, 0.7);  // 0.35 reaches the same J; the higher threshold wins
  ThresholdChoice f1 = BestThreshold(ThresholdMetric::kF1, y, s);
  EXPECT_EQ(f1.threshold, 0.35);  // tp 3, fp 1: f1 = 6 / 7
  EXPECT_NEAR(f1.value, 6.0 / 7, 1e-15);
  EXPECT_NE(ErrorOf([] {
              BestThreshold(ThresholdMetric::kF1, std::vector<int32_t>{1, 1},
                            std::vector<double>{0.1, 0.2});
            }).find("both classes"),
            std::string::npos);
}

}  // namespace
}  // namespace mloop
