#include "mloop/eval/metrics.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <functional>
#include <map>
#include <set>

#include "eval/eval_fixtures.h"
#include "mloop/core/error.h"

namespace mloop {
namespace {

using testing::AllNear;
using testing::Doubles;
using testing::EvalFixtures;
using testing::Ints;
using testing::Near;

// Owns what an EvalInputs of one fixture case points at.
struct CaseInputs {
  std::vector<double> y_true;
  std::vector<int32_t> y_pred;
  std::vector<double> score;
  std::vector<double> weight;
  DenseMatrix proba;
  DenseMatrix x;
  EvalInputs in;

  explicit CaseInputs(const nlohmann::json& c) {
    std::string kind = c["kind"];
    if (c.contains("y_true")) y_true = Doubles(c["y_true"]);
    if (c.contains("weight")) weight = Doubles(c["weight"]);
    if (kind == "regression") {
      score = Doubles(c["y_pred"]);
    } else {
      y_pred = Ints(c["y_pred"]);
    }
    if (kind == "binary") score = Doubles(c["score"]);
    if (kind == "multiclass") proba = testing::Matrix(c["proba"], c["k"].get<int64_t>());
    if (kind == "clustering") x = testing::Matrix(c["x"], c["d"].get<int64_t>());
    in.y_true = y_true;
    in.y_pred = y_pred;
    in.y_score = score;
    in.weight = weight;
    if (kind == "multiclass") in.proba = &proba;
    if (kind == "clustering") in.x = &x;
  }
};

Task TaskOf(const std::string& kind) {
  if (kind == "binary") return Task::kBinary;
  if (kind == "multiclass") return Task::kMulticlass;
  if (kind == "regression") return Task::kRegression;
  return Task::kClustering;
}

TEST(MetricsFixtureTest, EveryMetricEqualsSklearn) {
  const auto& cases = EvalFixtures()["cases"];
  ASSERT_GT(cases.size(), 50u);
  size_t values = 0;
  size_t errors = 0;
  for (const auto& c : cases) {
    CaseInputs inputs(c);
    for (const auto& [name, expected] : c["metrics"].items()) {
      SCOPED_TRACE(c["name"].get<std::string>() + " / " + name);
      if (expected.is_object()) {
        ++errors;
        try {
          double v = ComputeMetric(name, inputs.in);
          ADD_FAILURE() << "expected an error like sklearn's '"
                        << expected["error"].get<std::string>() << "', got " << v;
        } catch (const Error& e) {
          EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument) << e.what();
        }
        continue;
      }
      ++values;
      try {
        EXPECT_TRUE(Near(ComputeMetric(name, inputs.in), testing::JsonNumber(expected)));
      } catch (const Error& e) {
        ADD_FAILURE() << "unexpected error: " << e.what();
      }
    }
  }
  EXPECT_GT(values, 1500u);
  EXPECT_GT(errors, 50u);
}

// Each name MetricNames offers for a task is checked against sklearn by some fixture case.
TEST(MetricsFixtureTest, FixturesCoverEveryMetricName) {
  std::map<Task, std::set<std::string>> covered;
  for (const auto& c : EvalFixtures()["cases"]) {
    for (const auto& [name, expected] : c["metrics"].items()) {
      if (!expected.is_object()) covered[TaskOf(c["kind"])].insert(name);
    }
  }
  for (Task t : {Task::kBinary, Task::kMulticlass, Task::kRegression, Task::kClustering}) {
    for (const std::string& name : MetricNames(t)) {
      EXPECT_TRUE(covered[t].count(name)) << name << " for task " << static_cast<int>(t);
    }
  }
}

TEST(MetricsFixtureTest, ConfusionMatrixEqualsSklearn) {
  for (const auto& c : EvalFixtures()["cases"]) {
    if (!c.contains("confusion_matrix")) continue;
    SCOPED_TRACE(c["name"].get<std::string>());
    CaseInputs inputs(c);
    std::vector<int32_t> y_true(inputs.y_true.begin(), inputs.y_true.end());
    int k = c["kind"] == "binary" ? 2 : c["k"].get<int>();
    DenseMatrix cm = ConfusionMatrix(y_true, inputs.y_pred, k, inputs.weight);
    EXPECT_EQ(cm.rows, k);
    EXPECT_TRUE(AllNear({cm.data.begin(), cm.data.end()}, Doubles(c["confusion_matrix"])));
  }
}

// ---- Hand-written edge cases --------------------------------------------------------------

std::string ErrorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    return e.what();
  }
  return "no error";
}

TEST(MetricsTest, UnknownNameSuggestsNearest) {
  EvalInputs in;
  try {
    ComputeMetric("f1_macor", in);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("unknown metric 'f1_macor'"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("did you mean 'f1_macro'"), std::string::npos);
    EXPECT_NE(e.hint().find("roc_auc_ovr_weighted"), std::string::npos);
  }
}

TEST(MetricsTest, NamesPerTask) {
  auto binary = MetricNames(Task::kBinary);
  EXPECT_EQ(binary.front(), "roc_auc");
  for (const char* n : {"accuracy", "f0.5", "f2", "precision_macro", "f1_weighted", "brier",
                        "average_precision", "log_loss", "balanced_accuracy"}) {
    EXPECT_NE(std::find(binary.begin(), binary.end(), n), binary.end()) << n;
  }
  auto multi = MetricNames(Task::kMulticlass);
  EXPECT_EQ(multi.front(), "log_loss");
  EXPECT_EQ(std::find(multi.begin(), multi.end(), "precision"), multi.end());
  EXPECT_NE(std::find(multi.begin(), multi.end(), "roc_auc_ovr_macro"), multi.end());
  EXPECT_EQ(MetricNames(Task::kRegression).front(), "rmse");
  EXPECT_EQ(MetricNames(Task::kClustering), std::vector<std::string>{"silhouette"});
  auto all = AllMetricNames();
  EXPECT_TRUE(std::is_sorted(all.begin(), all.end()));
  EXPECT_TRUE(GreaterIsBetter("r2"));
  EXPECT_FALSE(GreaterIsBetter("log_loss"));
  EXPECT_FALSE(GreaterIsBetter("mape"));
}

TEST(MetricsTest, RocAucSingleClassThrowsLikeSklearn) {
  std::vector<int32_t> y{1, 1, 1};
  std::vector<double> s{0.2, 0.4, 0.9};
  EXPECT_NE(ErrorOf([&] { RocAuc(y, s); }).find("Only one class present in y_true"),
            std::string::npos);
}

TEST(MetricsTest, AveragePrecisionSingleClassFollowsSklearn) {
  std::vector<double> s{0.2, 0.4, 0.9};
  // sklearn 1.2 does not raise: no positives -> 0 (recall is taken as 1), all positives -> 1.
  EXPECT_EQ(AveragePrecision(std::vector<int32_t>{0, 0, 0}, s), 0.0);
  EXPECT_EQ(AveragePrecision(std::vector<int32_t>{1, 1, 1}, s), 1.0);
}

TEST(MetricsTest, SklearnDocExamples) {
  std::vector<int32_t> y{0, 0, 1, 1};
  std::vector<double> s{0.1, 0.4, 0.35, 0.8};
  EXPECT_DOUBLE_EQ(RocAuc(y, s), 0.75);
  EXPECT_NEAR(AveragePrecision(y, s), 0.8333333333333333, 1e-15);
  // All scores tied: one diagonal step.
  EXPECT_DOUBLE_EQ(RocAuc(y, std::vector<double>{0.5, 0.5, 0.5, 0.5}), 0.5);
  // log_loss(["spam", "ham", "ham", "spam"], [[.1, .9], [.9, .1], [.8, .2], [.35, .65]])
  DenseMatrix p(4, 2);
  p.data = {0.1, 0.9, 0.9, 0.1, 0.8, 0.2, 0.35, 0.65};
  EXPECT_NEAR(LogLoss(std::vector<int32_t>{1, 0, 0, 1}, p), 0.21616187468057912, 1e-15);
}

TEST(MetricsTest, ZeroDivisionGivesZero) {
  std::vector<int32_t> y{1, 0, 1, 0};
  std::vector<int32_t> none{0, 0, 0, 0};
  EXPECT_EQ(Precision(y, none), 0.0);  // no predicted positives
  EXPECT_EQ(F1(y, none), 0.0);
  EXPECT_EQ(Recall(none, none), 0.0);  // no true positives
  EXPECT_EQ(F1(none, none), 0.0);
  EXPECT_EQ(Precision(none, none, Average::kMacro), 1.0);  // only class 0, all right
}

TEST(MetricsTest, BinaryAverageRejectsMulticlassLabels) {
  std::vector<int32_t> y{0, 1, 2};
  EXPECT_NE(ErrorOf([&] { Precision(y, y); }).find("average='binary'"), std::string::npos);
  EXPECT_DOUBLE_EQ(Precision(y, y, Average::kMicro), 1.0);
}

TEST(MetricsTest, LogLossClipsAtMachineEpsilon) {
  std::vector<int32_t> y{1};
  EXPECT_DOUBLE_EQ(LogLoss(y, std::vector<double>{0.0}), -std::log(DBL_EPSILON));
  EXPECT_DOUBLE_EQ(LogLoss(std::vector<int32_t>{0}, std::vector<double>{0.0}),
                   -std::log((1 - DBL_EPSILON) / (1 - DBL_EPSILON + DBL_EPSILON)));
  // Binary log loss is defined with a single class in y_true (labels=[0, 1]).
  EXPECT_NEAR(LogLoss(std::vector<int32_t>{1, 1}, std::vector<double>{0.5, 0.5}), std::log(2.0),
              1e-15);
}

TEST(MetricsTest, RegressionEdgeCases) {
  std::vector<double> one{1.0};
  EXPECT_TRUE(std::isnan(R2(one, one)));
  std::vector<double> constant{2.0, 2.0, 2.0};
  EXPECT_EQ(R2(constant, constant), 1.0);
  EXPECT_EQ(R2(constant, std::vector<double>{2.0, 1.0, 2.0}), 0.0);
  EXPECT_EQ(ExplainedVariance(constant, std::vector<double>{2.0, 1.0, 2.0}), 0.0);
  // The mean of three 0.1 is 0.10000000000000002: sklearn's SS_tot is not zero.
  double r2 = R2(std::vector<double>{0.1, 0.1, 0.1}, std::vector<double>{0.2, 0.2, 0.2});
  EXPECT_TRUE(Near(r2, -5.192296858534829e+31));
  // MAPE divides by max(|y|, eps).
  EXPECT_DOUBLE_EQ(
      MeanAbsolutePercentageError(std::vector<double>{0.0, 2.0}, std::vector<double>{1.0, 1.0}),
      (1.0 / DBL_EPSILON + 0.5) / 2);
  EXPECT_DOUBLE_EQ(RootMeanSquaredError(std::vector<double>{0, 0}, std::vector<double>{3, 4}),
                   std::sqrt(12.5));
  EXPECT_NE(ErrorOf([] {
              MeanAbsoluteError(std::vector<double>{1, 2}, std::vector<double>{1, 2},
                                std::vector<double>{0, 0});
            }).find("sum to zero"),
            std::string::npos);
}

TEST(MetricsTest, IntegerWeightsEqualRepetition) {
  std::vector<int32_t> y{0, 1, 1, 0, 1, 0};
  std::vector<double> s{0.3, 0.7, 0.3, 0.5, 0.9, 0.1};
  std::vector<double> w{2, 1, 3, 1, 2, 1};
  std::vector<int32_t> y_rep;
  std::vector<double> s_rep;
  for (size_t i = 0; i < y.size(); ++i) {
    for (int r = 0; r < w[i]; ++r) {
      y_rep.push_back(y[i]);
      s_rep.push_back(s[i]);
    }
  }
  EXPECT_NEAR(RocAuc(y, s, w), RocAuc(y_rep, s_rep), 1e-15);
  EXPECT_NEAR(AveragePrecision(y, s, w), AveragePrecision(y_rep, s_rep), 1e-15);
  EXPECT_NEAR(LogLoss(y, s, w), LogLoss(y_rep, s_rep), 1e-15);
}

TEST(MetricsTest, InputValidation) {
  std::vector<int32_t> y{0, 1};
  std::vector<double> s{0.1, 0.9};
  EXPECT_NE(ErrorOf([&] { RocAuc(y, std::vector<double>{0.1}); }).find("inconsistent lengths"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] {
              RocAuc(y, std::vector<double>{0.1, NAN});
            }).find("NaN"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] {
              RocAuc(std::vector<int32_t>{0, 2}, s);
            }).find("0 or 1"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] { Accuracy(y, y, std::vector<double>{1}); }).find("sample weights"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] { Accuracy({}, {}); }).find("no samples"), std::string::npos);
  EXPECT_NE(ErrorOf([&] {
              BrierScore(y, std::vector<double>{0.1, 1.5});
            }).find("greater than 1"),
            std::string::npos);
  DenseMatrix p(2, 3, 0.5);
  EXPECT_NE(ErrorOf([&] {
              RocAucOvr(std::vector<int32_t>{0, 1}, p);
            }).find("sum up to 1.0"),
            std::string::npos);
  // A class of the model without a row: micro-averaging is defined (scikit-learn 1.2.1,
  // roc_auc_score(y, P, multi_class='ovr', average='micro', labels=[0, 1, 2]) =
  // 0.9166666666666666); a per-class average is not ("Only one class present in y_true").
  {
    DenseMatrix q(6, 3);
    q.data = {0.6, 0.3, 0.1, 0.2, 0.5, 0.3, 0.3, 0.3, 0.4,
              0.1, 0.8, 0.1, 0.4, 0.4, 0.2, 0.5, 0.1, 0.4};
    const std::vector<int32_t> two{0, 1, 0, 1, 1, 0};
    EXPECT_NEAR(RocAucOvr(two, q, Average::kMicro), 0.9166666666666666, 1e-12);
    EXPECT_NE(ErrorOf([&] { RocAucOvr(two, q, Average::kMacro); }).find("Only one class present"),
              std::string::npos);
  }
  EXPECT_NE(ErrorOf([&] {
              Silhouette(DenseMatrix(3, 2, 0.0), std::vector<int32_t>{1, 1, 1});
            }).find("Number of labels is 1"),
            std::string::npos);
  EvalInputs in;
  std::vector<double> yt{0.0, 1.5};
  in.y_true = yt;
  in.y_score = s;
  EXPECT_NE(ErrorOf([&] { ComputeMetric("roc_auc", in); }).find("not a class index"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] { ComputeMetric("roc_auc_ovr_macro", in); }).find("needs proba"),
            std::string::npos);
}

TEST(MetricsTest, ComputeMetricDerivesPredictedLabels) {
  std::vector<double> y{0, 1, 1, 0};
  std::vector<double> s{0.2, 0.5, 0.9, 0.7};  // 0.5 is not above the 0.5 cut
  EvalInputs in;
  in.y_true = y;
  in.y_score = s;
  EXPECT_DOUBLE_EQ(ComputeMetric("accuracy", in), 0.5);
  EXPECT_DOUBLE_EQ(ComputeMetric("recall", in), 0.5);

  // Binary metrics also read a 2-column proba (column 1).
  DenseMatrix two(4, 2);
  for (int64_t i = 0; i < 4; ++i) {
    two.at(i, 0) = 1 - s[i];
    two.at(i, 1) = s[i];
  }
  EvalInputs from_proba;
  from_proba.y_true = y;
  from_proba.proba = &two;
  EXPECT_DOUBLE_EQ(ComputeMetric("roc_auc", from_proba),
                   RocAuc(std::vector<int32_t>{0, 1, 1, 0}, s));
  EXPECT_DOUBLE_EQ(ComputeMetric("accuracy", from_proba), 0.5);

  // Multiclass: the arg-max column, the first on ties.
  DenseMatrix p(3, 3);
  p.data = {0.4, 0.4, 0.2, 0.1, 0.3, 0.6, 0.2, 0.5, 0.3};
  std::vector<double> yk{1, 2, 1};
  EvalInputs multi;
  multi.y_true = yk;
  multi.proba = &p;
  EXPECT_NEAR(ComputeMetric("accuracy", multi), 2.0 / 3, 1e-15);
}

TEST(MetricsTest, ConfusionMatrixInfersSizeAndIgnoresOutOfRange) {
  std::vector<int32_t> y{0, 2, 1, 2};
  std::vector<int32_t> p{0, 1, 1, 2};
  std::vector<double> w{1, 0.5, 2, 3};
  DenseMatrix cm = ConfusionMatrix(y, p, 0, w);
  ASSERT_EQ(cm.rows, 3);
  EXPECT_EQ(cm.at(0, 0), 1);
  EXPECT_EQ(cm.at(2, 1), 0.5);
  EXPECT_EQ(cm.at(1, 1), 2);
  EXPECT_EQ(cm.at(2, 2), 3);
  DenseMatrix small = ConfusionMatrix(y, p, 2);
  EXPECT_EQ(std::vector<double>(small.data.begin(), small.data.end()),
            (std::vector<double>{1, 0, 0, 1}));
}

TEST(MetricsTest, SilhouetteTwoClusters) {
  // Two points per cluster on a line: 0, 1 | 10, 11.
  DenseMatrix x(4, 1);
  x.data = {0, 1, 10, 11};
  std::vector<int32_t> labels{5, 5, 9, 9};
  double s0 = (10.5 - 1) / 10.5;  // point 0: a = 1, b = (10 + 11) / 2
  double s1 = (9.5 - 1) / 9.5;    // point 1: a = 1, b = (9 + 10) / 2
  EXPECT_NEAR(Silhouette(x, labels), (s0 + s1 + s1 + s0) / 4, 1e-15);
}

TEST(MetricsTest, AucIsLinearithmic) {
  // 400k samples with heavy ties: a quadratic implementation would not finish.
  size_t n = 400000;
  std::vector<int32_t> y(n);
  std::vector<double> s(n);
  for (size_t i = 0; i < n; ++i) {
    y[i] = static_cast<int32_t>((i * 7919) % 3 == 0);
    s[i] = static_cast<double>((i * 104729) % 1000) / 1000.0 + 0.2 * y[i];
  }
  double auc = RocAuc(y, s);
  EXPECT_GT(auc, 0.5);
  EXPECT_LT(auc, 1.0);
  EXPECT_GT(AveragePrecision(y, s), 0.0);
}

}  // namespace
}  // namespace mloop
