// Models trained by mloop load in Python's xgboost (python3-xgboost, Debian) and predict the
// same numbers; a model round-trips through the bundle unchanged.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

#include "mloop/core/error.h"
#include "mloop/model/bundle.h"
#include "mloop/model/trainer.h"
#include "mloop/store/artifact_store.h"
#include "test_util.h"

namespace mloop {
namespace {

using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

// 600 rows: three numeric features (one with missing values), a category, a label that depends
// on them; `classes` = 2 for binary, 3 for multiclass, 0 for regression.
Table MakeData(int classes) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> n01(0, 1);
  ColumnBuilder a(DataType::kFloat64), b(DataType::kFloat64), c(DataType::kInt64),
      cat(DataType::kString), y(classes ? DataType::kInt64 : DataType::kFloat64);
  for (int i = 0; i < 600; ++i) {
    double x1 = n01(rng), x2 = n01(rng);
    int64_t x3 = static_cast<int64_t>(rng() % 10);
    const char* k = (i % 3 == 0) ? "red" : (i % 3 == 1) ? "green" : "blue";
    a.AppendDouble(x1);
    if (i % 7 == 0) {
      b.AppendNull();
    } else {
      b.AppendDouble(x2);
    }
    c.AppendInt(x3);
    cat.AppendString(k);
    double s = 1.5 * x1 - x2 * (i % 7 ? 1 : 0) + 0.2 * static_cast<double>(x3) +
               (i % 3 == 0 ? 1.0 : 0.0) + 0.5 * n01(rng);
    if (classes == 0) {
      y.AppendDouble(s);
    } else if (classes == 2) {
      y.AppendInt(s > 1 ? 1 : 0);
    } else {
      y.AppendInt(s < 0 ? 0 : s < 2 ? 1 : 2);
    }
  }
  Schema schema({{"a", DataType::kFloat64},
                 {"b", DataType::kFloat64},
                 {"c", DataType::kInt64},
                 {"cat", DataType::kString},
                 {"y", classes ? DataType::kInt64 : DataType::kFloat64}});
  return Table(schema, {a.Finish(), b.Finish(), c.Finish(), cat.Finish(), y.Finish()});
}

// A set cancel flag stops training (Ctrl-C in `mloop train`): TrainingStopped, "interrupted".
TEST(TrainCancelTest, ACancelFlagStopsTraining) {
  Table data = MakeData(2);
  TrainRequest req;
  req.target = "y";
  req.params = {{"num_boost_round", "20"}};
  req.threads = 1;
  std::atomic<bool> cancel{true};
  req.cancel = &cancel;
  try {
    Train(data, req);
    ADD_FAILURE() << "training was not stopped";
  } catch (const TrainingStopped& e) {
    EXPECT_STREQ(e.what(), "interrupted");
  }
  cancel = false;
  EXPECT_NO_THROW(Train(data, req));
}

class XGBoostInteropTest : public ::testing::TestWithParam<int> {};

TEST_P(XGBoostInteropTest, PythonXGBoostPredictsTheSame) {
  TempDir dir;
  Table data = MakeData(GetParam());
  TrainRequest req;
  req.target = "y";
  req.params = {{"num_boost_round", "20"}, {"max_depth", "4"}};
  req.threads = 1;
  TrainResult r = Train(data, req);

  // Save and reload through the artifact store: the same predictions.
  auto store = OpenArtifactStore((dir / "artifacts").string(), true);
  std::string hash = SaveBundle(r.bundle, *store);
  Predictor predictor(LoadBundle(*store, hash));
  DenseMatrix x = predictor.encoding().Transform(data);
  DenseMatrix mine = predictor.Scores(data);

  // The encoded features (NaN as empty) and the model file for Python.
  std::ostringstream csv;
  csv.precision(17);
  for (int64_t i = 0; i < x.rows; ++i) {
    for (int64_t j = 0; j < x.cols; ++j) {
      if (j) csv << ',';
      if (!std::isnan(x.at(i, j))) csv << x.at(i, j);
    }
    csv << '\n';
  }
  WriteFile(dir / "x.csv", csv.str());
  WriteFile(dir / "model.json", r.bundle.model_json);
  WriteFile(dir / "check.py", R"(
import sys, numpy as np, xgboost as xgb
d = sys.argv[1]
x = np.genfromtxt(d + "/x.csv", delimiter=",", dtype=np.float64, filling_values=np.nan)
if x.ndim == 1: x = x.reshape(-1, 1)
b = xgb.Booster()
b.load_model(d + "/model.json")
assert b.feature_names and len(b.feature_names) == x.shape[1], b.feature_names
p = b.predict(xgb.DMatrix(x.astype(np.float32), missing=np.nan, feature_names=b.feature_names))
np.savetxt(d + "/py.txt", p.reshape(len(x), -1), fmt="%.9g")
)");
  std::string cmd =
      "/usr/bin/python3 '" + (dir / "check.py").string() + "' '" + dir.path().string() + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << "python3-xgboost failed";
  std::istringstream py(ReadFile(dir / "py.txt"));
  for (int64_t i = 0; i < mine.rows; ++i) {
    for (int64_t j = 0; j < mine.cols; ++j) {
      double v;
      ASSERT_TRUE(py >> v) << "row " << i;
      // Both sides run libxgboost 1.7.4 on float32 features: equal to float32 precision.
      EXPECT_NEAR(mine.at(i, j), v, 1e-6 * std::max(1.0, std::fabs(v))) << i << "," << j;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Tasks, XGBoostInteropTest, ::testing::Values(2, 3, 0),
                         [](const auto& info) {
                           return info.param == 2   ? std::string("binary")
                                  : info.param == 3 ? std::string("multiclass")
                                                    : std::string("regression");
                         });

// SHAP contributions add up to the raw score: log-odds of the probability (binary), the
// prediction itself (regression).
TEST(TrainerTest, ContributionsSumToTheRawScore) {
  for (int classes : {2, 0}) {
    Table data = MakeData(classes);
    TrainRequest req;
    req.target = "y";
    req.params = {{"num_boost_round", "15"}};
    Predictor p(Train(data, req).bundle);
    DenseMatrix scores = p.Scores(data);
    Table contributions = p.Explain(data);
    ASSERT_EQ(contributions.num_columns(),
              static_cast<int>(p.encoding().feature_names().size()) + 1);
    EXPECT_EQ(contributions.schema().field(0).name, "contribution_a");
    for (int64_t i = 0; i < data.num_rows(); i += 37) {
      double sum = 0;
      for (int c = 0; c < contributions.num_columns(); ++c) sum += contributions.column(c).f64()[i];
      double raw = classes ? std::log(scores.at(i, 0) / (1 - scores.at(i, 0))) : scores.at(i, 0);
      EXPECT_NEAR(sum, raw, 1e-4) << "row " << i;
    }
  }
  // Multiclass: one block per class; the softmax of the block sums gives the probabilities.
  {
    Table data = MakeData(3);
    TrainRequest req;
    req.target = "y";
    req.params = {{"num_boost_round", "10"}};
    Predictor p(Train(data, req).bundle);
    DenseMatrix proba = p.Scores(data);
    Table contributions = p.Explain(data);
    const int width = static_cast<int>(p.encoding().feature_names().size()) + 1;
    ASSERT_EQ(contributions.num_columns(), 3 * width);
    EXPECT_EQ(contributions.schema().field(width).name,
              "contribution_" + p.target().classes[1] + "_a");
    EXPECT_EQ(contributions.schema().field(2 * width - 1).name,
              "contribution_" + p.target().classes[1] + "_bias");
    for (int64_t i = 0; i < data.num_rows(); i += 41) {
      std::vector<double> margin(3, 0.0);
      for (int c = 0; c < contributions.num_columns(); ++c) {
        margin[c / width] += contributions.column(c).f64()[i];
      }
      double z = std::exp(margin[0]) + std::exp(margin[1]) + std::exp(margin[2]);
      for (int k = 0; k < 3; ++k) {
        EXPECT_NEAR(std::exp(margin[k]) / z, proba.at(i, k), 1e-4) << "row " << i;
      }
    }
  }
  // Algorithms without contributions say so.
  Table data = MakeData(2);
  TrainRequest req;
  req.target = "y";
  req.algorithm = "logistic";
  Predictor p(Train(data, req).bundle);
  EXPECT_THROW(p.Explain(data), Error);
}

TEST(TrainerTest, EarlyStoppingKeepsTheBestRounds) {
  Table data = MakeData(2);
  TrainRequest req;
  req.target = "y";
  req.params = {{"num_boost_round", "500"}, {"early_stopping_rounds", "5"}, {"eta", "0.3"}};
  TrainResult r = Train(data, req);
  EXPECT_LT(r.history.size(), 500u);
  auto config = nlohmann::json::parse(r.bundle.config_json);
  ASSERT_TRUE(config.contains("best_iteration"));
  EXPECT_EQ(static_cast<size_t>(config["best_iteration"].get<int>()) + 6, r.history.size());
}

TEST(TrainerTest, DeterministicForASeed) {
  Table data = MakeData(3);
  TrainRequest req;
  req.target = "y";
  req.params = {{"num_boost_round", "10"}, {"subsample", "0.7"}};
  req.seed = 11;
  EXPECT_EQ(Train(data, req).bundle.model_json, Train(data, req).bundle.model_json);
}

TEST(TrainerTest, UnknownParametersAndAlgorithmsNameTheNearest) {
  Table data = MakeData(2);
  TrainRequest req;
  req.target = "y";
  req.params = {{"max_dept", "3"}};
  try {
    Train(data, req);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean 'max_depth'"), std::string::npos)
        << e.what();
  }
  req.params.clear();
  req.algorithm = "xgbost";
  try {
    Train(data, req);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean 'xgboost'"), std::string::npos);
  }
}

TEST(TrainerTest, CrossValidationReportsMeanAndStd) {
  Table data = MakeData(2);
  TrainRequest req;
  req.target = "y";
  req.params = {{"num_boost_round", "10"}};
  req.cv_folds = 4;
  TrainResult r = Train(data, req);
  ASSERT_TRUE(r.cv.count("roc_auc"));
  EXPECT_GT(r.cv["roc_auc"].mean, 0.7);
  EXPECT_GT(r.cv["roc_auc"].std, 0.0);
}

}  // namespace
}  // namespace mloop
