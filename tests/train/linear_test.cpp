// The linear estimators against scikit-learn (tests/data/linear/fixtures.json, written by
// make_fixtures.py), plus their error cases and persistence.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>

#include "mloop/core/error.h"
#include "mloop/train/linear/linear_regression.h"
#include "mloop/train/linear/logistic_regression.h"
#include "mloop/train/linear/register.h"

namespace mloop {
namespace {

using nlohmann::json;

// Coefficients, intercepts and predictions must match scikit-learn's to this (absolute, or
// relative for values above 1 in magnitude: OLS on diabetes has coefficients near 800).
constexpr double kTolerance = 1e-6;

const json& Fixtures() {
  static const json fixtures = [] {
    std::ifstream in(std::string(MLOOP_TEST_DATA) + "/linear/fixtures.json");
    return json::parse(in);
  }();
  return fixtures;
}

struct Dataset {
  DenseMatrix x;
  std::vector<double> y, w;
};

Dataset LoadDataset(const std::string& name) {
  const json& d = Fixtures().at("datasets").at(name);
  Dataset ds;
  ds.x = DenseMatrix(d.at("rows").get<int64_t>(), d.at("cols").get<int64_t>());
  auto x = d.at("x").get<std::vector<double>>();
  ds.x.data.assign(x.begin(), x.end());
  ds.y = d.at("y").get<std::vector<double>>();
  ds.w = d.at("w").get<std::vector<double>>();
  return ds;
}

DenseMatrix FirstRows(const DenseMatrix& x, int64_t rows) {
  DenseMatrix out(rows, x.cols);
  std::copy(x.data.begin(), x.data.begin() + rows * x.cols, out.data.begin());
  return out;
}

std::string ErrorOf(const std::function<void()>& fn, ErrorCode* code = nullptr) {
  try {
    fn();
  } catch (const Error& e) {
    if (code) *code = e.code();
    return e.what();
  }
  return "no error";
}

void ExpectClose(double actual, double expected, const std::string& what) {
  double tolerance = kTolerance * std::max(1.0, std::abs(expected));
  EXPECT_NEAR(actual, expected, tolerance) << what;
}

std::vector<std::string> CaseNames() {
  std::vector<std::string> names;
  for (const json& c : Fixtures().at("cases")) names.push_back(c.at("name").get<std::string>());
  return names;
}

const json& Case(const std::string& name) {
  for (const json& c : Fixtures().at("cases")) {
    if (c.at("name") == name) return c;
  }
  throw std::runtime_error("no fixture case " + name);
}

// Subtracts, for every feature, the mean over the classes (rows) of its coefficients.
void CenterOverClasses(std::vector<double>& coef, size_t p) {
  const size_t k = coef.size() / p;
  for (size_t j = 0; j < p; ++j) {
    double mean = 0;
    for (size_t c = 0; c < k; ++c) mean += coef[c * p + j] / static_cast<double>(k);
    for (size_t c = 0; c < k; ++c) coef[c * p + j] -= mean;
  }
}

// scikit-learn's multinomial l1 objective: C sum_i s_i logloss_i + ||W||_1.
double LogisticObjective(const Dataset& ds, const FitInput& in, const json& c,
                         const std::vector<double>& coef, const std::vector<double>& intercept) {
  const double C = std::stod(c.at("params").value("C", std::string("1")));
  const size_t p = static_cast<size_t>(ds.x.cols), k = intercept.size();
  double loss = 0;
  for (int64_t i = 0; i < ds.x.rows; ++i) {
    std::vector<double> z(k);
    double mx = -std::numeric_limits<double>::infinity();
    for (size_t cl = 0; cl < k; ++cl) {
      z[cl] = intercept[cl];
      for (size_t j = 0; j < p; ++j) z[cl] += coef[cl * p + j] * ds.x.at(i, j);
      mx = std::max(mx, z[cl]);
    }
    double se = 0;
    for (double v : z) se += std::exp(v - mx);
    double w = in.weight.empty() ? 1.0 : in.weight[i];
    loss += w * (mx + std::log(se) - z[static_cast<size_t>(ds.y[i])]);
  }
  double l1 = 0;
  for (double v : coef) l1 += std::abs(v);
  return C * loss + l1;
}

class SklearnFixtureTest : public ::testing::TestWithParam<std::string> {};

TEST_P(SklearnFixtureTest, CoefficientsAndPredictionsMatchScikitLearn) {
  const json& c = Case(GetParam());
  const std::string model = c.at("model");
  Dataset ds = LoadDataset(c.at("dataset"));
  std::unique_ptr<Estimator> est =
      model == "linear" ? MakeLinearRegression() : MakeLogisticRegression();
  est->SetParams(c.at("params").get<std::map<std::string, std::string>>());

  FitInput in;
  in.x = &ds.x;
  in.y = ds.y;
  if (c.at("weighted").get<bool>()) in.weight = ds.w;
  in.task = model == "linear"          ? Task::kRegression
            : c.at("task") == "binary" ? Task::kBinary
                                       : Task::kMulticlass;
  in.num_classes = c.at("num_classes").get<int>();
  std::string progress;  // shown when the optimiser did not converge
  in.on_iteration = [&progress](const IterationLog& log) {
    progress += "\n  iteration " + std::to_string(log.iteration);
    for (const auto& [key, value] : log.metrics) {
      char text[64];
      std::snprintf(text, sizeof(text), " %s %.6g", key.c_str(), value);
      progress += text;
    }
  };
  est->Fit(in);

  std::vector<double> coef, intercept;
  if (model == "linear") {
    auto& lin = static_cast<LinearRegression&>(*est);
    coef = lin.coefficients();
    intercept = {lin.intercept()};
  } else {
    auto& log = static_cast<LogisticRegression&>(*est);
    coef = log.coefficients();
    intercept = log.intercepts();
    EXPECT_TRUE(log.converged()) << "iterations " << log.iterations() << progress;
  }
  auto expected_coef = c.at("coef").get<std::vector<std::vector<double>>>();
  auto expected_intercept = c.at("intercept").get<std::vector<double>>();
  const size_t p = static_cast<size_t>(ds.x.cols);
  ASSERT_EQ(coef.size(), expected_coef.size() * p);
  ASSERT_EQ(intercept.size(), expected_intercept.size());
  if (!c.at("unique").get<bool>()) {
    // A segment of optima (l1, even number of classes): equal objectives, and coefficients equal
    // up to the same shift for every class of a feature.
    const double mine = LogisticObjective(ds, in, c, coef, intercept);
    std::vector<double> theirs_coef;
    for (const auto& row : expected_coef)
      theirs_coef.insert(theirs_coef.end(), row.begin(), row.end());
    const double theirs = LogisticObjective(ds, in, c, theirs_coef, expected_intercept);
    EXPECT_NEAR(mine, theirs, 1e-9 * std::abs(theirs));
    EXPECT_LE(mine, theirs + 1e-12 * std::abs(theirs));
    CenterOverClasses(coef, p);
    for (auto& row : expected_coef) {
      for (size_t j = 0; j < p; ++j) row[j] = 0;
    }
    CenterOverClasses(theirs_coef, p);
    for (size_t k = 0; k < expected_coef.size(); ++k) {
      for (size_t j = 0; j < p; ++j) expected_coef[k][j] = theirs_coef[k * p + j];
    }
  }
  double worst = 0;
  for (size_t k = 0; k < expected_coef.size(); ++k) {
    for (size_t j = 0; j < p; ++j) {
      ExpectClose(coef[k * p + j], expected_coef[k][j],
                  "coef[" + std::to_string(k) + "][" + std::to_string(j) + "]");
      worst = std::max(worst, std::abs(coef[k * p + j] - expected_coef[k][j]));
    }
    ExpectClose(intercept[k], expected_intercept[k], "intercept[" + std::to_string(k) + "]");
    worst = std::max(worst, std::abs(intercept[k] - expected_intercept[k]));
  }
  char text[32];
  std::snprintf(text, sizeof(text), "%.3g", worst);
  RecordProperty("max_abs_diff", text);

  auto expected_predict = c.at("predict").get<std::vector<std::vector<double>>>();
  DenseMatrix head = FirstRows(ds.x, static_cast<int64_t>(expected_predict.size()));
  DenseMatrix predicted = est->Predict(head);
  ASSERT_EQ(predicted.rows, head.rows);
  ASSERT_EQ(predicted.cols, static_cast<int64_t>(expected_predict[0].size()));
  for (int64_t i = 0; i < predicted.rows; ++i) {
    for (int64_t j = 0; j < predicted.cols; ++j) {
      ExpectClose(predicted.at(i, j), expected_predict[i][j],
                  "predict[" + std::to_string(i) + "][" + std::to_string(j) + "]");
    }
  }

  // The saved model predicts identically; the configuration round-trips.
  std::unique_ptr<Estimator> loaded =
      model == "linear" ? MakeLinearRegression() : MakeLogisticRegression();
  loaded->LoadConfig(est->SaveConfig());
  loaded->LoadModel(est->SaveModel());
  EXPECT_EQ(loaded->SaveConfig(), est->SaveConfig());
  EXPECT_EQ(loaded->Predict(ds.x).data, est->Predict(ds.x).data);
  EXPECT_EQ(loaded->FeatureImportance(), est->FeatureImportance());
}

INSTANTIATE_TEST_SUITE_P(Linear, SklearnFixtureTest, ::testing::ValuesIn(CaseNames()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           for (char& ch : name) {
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           }
                           return name;
                         });

// A larger random problem, for determinism across thread counts (several row blocks).
Dataset RandomDataset(int64_t rows, int64_t cols, int classes, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> uniform(0, 1);
  Dataset ds;
  ds.x = DenseMatrix(rows, cols);
  for (double& v : ds.x.data) v = normal(rng);
  ds.y.resize(rows);
  ds.w.resize(rows);
  for (int64_t i = 0; i < rows; ++i) {
    double z = 0;
    for (int64_t j = 0; j < cols; ++j) z += ds.x.at(i, j) * (j % 3 == 0 ? 1.0 : -0.5);
    if (classes == 0) {
      ds.y[i] = z + normal(rng);
    } else {
      ds.y[i] = std::floor(classes / (1 + std::exp(-z + normal(rng))));
      ds.y[i] = std::min<double>(ds.y[i], classes - 1);
    }
    ds.w[i] = 0.5 + uniform(rng);
  }
  return ds;
}

TEST(LinearEstimatorTest, ResultsDoNotDependOnTheThreadCount) {
  struct Setup {
    std::function<std::unique_ptr<Estimator>()> make;
    std::map<std::string, std::string> params;
    Task task;
    int classes;
  };
  std::vector<Setup> setups = {
      {MakeLinearRegression, {{"alpha", "0.5"}}, Task::kRegression, 0},
      {MakeLinearRegression, {{"alpha", "0.05"}, {"l1_ratio", "0.5"}}, Task::kRegression, 0},
      {MakeLogisticRegression, {}, Task::kBinary, 2},
      {MakeLogisticRegression, {{"penalty", "l1"}, {"C", "0.01"}}, Task::kMulticlass, 3},
  };
  for (const Setup& s : setups) {
    Dataset ds = RandomDataset(40000, 6, s.classes, 7);
    std::vector<std::string> saved;
    for (int threads : {1, 2, 3}) {
      auto est = s.make();
      est->SetParams(s.params);
      FitInput in;
      in.x = &ds.x;
      in.y = ds.y;
      in.weight = ds.w;
      in.task = s.task;
      in.num_classes = s.classes;
      in.threads = threads;
      est->Fit(in);
      saved.push_back(est->SaveModel());
    }
    EXPECT_EQ(saved[0], saved[1]);
    EXPECT_EQ(saved[0], saved[2]);
  }
}

// Many rows: the solver's sampled early Hessians and chord steps. Checked against the optimality
// condition itself: the gradient of C sum_i logloss_i + 1/2 ||w||^2 vanishes.
TEST(LinearEstimatorTest, LargeBinaryProblemReachesTheOptimum) {
  const int64_t rows = 600000, cols = 4;
  Dataset ds = RandomDataset(rows, cols, 2, 11);
  auto est = MakeLogisticRegression();
  est->SetParams({{"C", "0.5"}});
  FitInput in;
  in.x = &ds.x;
  in.y = ds.y;
  in.weight = ds.w;
  in.task = Task::kBinary;
  est->Fit(in);
  auto& log = static_cast<LogisticRegression&>(*est);
  ASSERT_TRUE(log.converged());
  std::vector<double> grad(cols + 1, 0.0);
  double weight_sum = 0;
  for (int64_t i = 0; i < rows; ++i) {
    double z = log.intercepts()[0];
    for (int64_t j = 0; j < cols; ++j) z += log.coefficients()[j] * ds.x.at(i, j);
    double r = ds.w[i] * (1 / (1 + std::exp(-z)) - ds.y[i]);
    for (int64_t j = 0; j < cols; ++j) grad[j] += 0.5 * r * ds.x.at(i, j);
    grad[cols] += 0.5 * r;
    weight_sum += ds.w[i];
  }
  for (int64_t j = 0; j < cols; ++j) grad[j] += log.coefficients()[j];
  for (double g : grad) EXPECT_LT(std::abs(g) / (0.5 * weight_sum), 1e-9);
}

// Finite inputs whose prediction overflows (1.7e308 times a coefficient of 3, against another
// of -2) are refused, naming the row, rather than predicted as NaN (a null in a response).
TEST(LinearEstimatorTest, APredictionThatOverflowsIsRefused) {
  DenseMatrix x(6, 2);
  std::vector<double> y(6);
  for (int64_t i = 0; i < 6; ++i) {
    x.at(i, 0) = static_cast<double>(i);
    x.at(i, 1) = static_cast<double>((i * 7) % 5);
    y[static_cast<size_t>(i)] = 3 * x.at(i, 0) - 2 * x.at(i, 1) + 1;
  }
  auto est = MakeLinearRegression();
  FitInput in;
  in.x = &x;
  in.y = y;
  in.task = Task::kRegression;
  in.feature_names = {"a", "b"};
  est->Fit(in);
  DenseMatrix big(2, 2);
  big.at(0, 0) = 1;
  big.at(1, 0) = big.at(1, 1) = 1.7e308;
  ErrorCode code{};
  const std::string msg = ErrorOf([&] { est->Predict(big); }, &code);
  EXPECT_EQ(code, ErrorCode::kDataError);
  EXPECT_EQ(msg.rfind("row 2, the values are too large", 0), 0u) << msg;
}

TEST(LinearEstimatorTest, MissingValuesAreRejectedWithTheirPosition) {
  Dataset ds = LoadDataset("binary_random");
  ds.x.at(3, 2) = std::numeric_limits<double>::quiet_NaN();
  for (auto make : {MakeLinearRegression, MakeLogisticRegression}) {
    auto est = make();
    FitInput in;
    in.x = &ds.x;
    in.y = ds.y;
    in.task = est->name() == "linear" ? Task::kRegression : Task::kBinary;
    ErrorCode code{};
    std::string msg = ErrorOf([&] { est->Fit(in); }, &code);
    EXPECT_EQ(code, ErrorCode::kInvalidArgument);
    EXPECT_NE(msg.find("a missing value (NaN) at row 4, feature 3"), std::string::npos) << msg;

    Dataset clean = LoadDataset("binary_random");
    in.x = &clean.x;
    in.feature_names.clear();
    for (int64_t c = 0; c < clean.x.cols; ++c) in.feature_names.push_back("f" + std::to_string(c));
    est->Fit(in);
    // Data to predict is the caller's input: a DataError in RowMessage form, which serving
    // answers as a 400 naming the record (as for XGBoost models), not a model failure.
    msg = ErrorOf([&] { est->Predict(ds.x); }, &code);
    EXPECT_EQ(code, ErrorCode::kDataError);
    EXPECT_EQ(msg.rfind("row 4, feature 'f2': missing", 0), 0u) << msg;
    // An infinite value is named as such, with where it usually comes from.
    ds.x.at(3, 2) = -std::numeric_limits<double>::infinity();
    std::string hint;
    try {
      est->Predict(ds.x);
    } catch (const Error& e) {
      msg = e.what();
      hint = e.hint();
      code = e.code();
    }
    EXPECT_EQ(code, ErrorCode::kDataError);
    EXPECT_EQ(msg.rfind("row 4, feature 'f2': -inf is infinite", 0), 0u) << msg;
    EXPECT_NE(hint.find("log of 0"), std::string::npos) << hint;
    // Training data with one is refused as before.
    msg = ErrorOf(
        [&] {
          FitInput bad = in;
          bad.x = &ds.x;
          est->Fit(bad);
        },
        &code);
    EXPECT_EQ(code, ErrorCode::kInvalidArgument);
    EXPECT_NE(msg.find("an infinite value (-inf) at row 4, feature 'f2'"), std::string::npos)
        << msg;
    ds.x.at(3, 2) = std::numeric_limits<double>::quiet_NaN();
  }
}

TEST(LinearEstimatorTest, ParametersAreChecked) {
  auto lin = MakeLinearRegression();
  std::string msg = ErrorOf([&] { lin->SetParams({{"alpah", "1"}}); });
  EXPECT_NE(msg.find("unknown linear parameter 'alpah' (did you mean 'alpha'?)"), std::string::npos)
      << msg;
  EXPECT_NE(ErrorOf([&] {
              lin->SetParams({{"alpha", "much"}});
            }).find("alpha must be a number"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] {
              lin->SetParams({{"l1_ratio", "2"}});
            }).find("[0, 1]"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] {
              lin->SetParams({{"fit_intercept", "maybe"}});
            }).find("true or false"),
            std::string::npos);

  auto log = MakeLogisticRegression();
  msg = ErrorOf([&] { log->SetParams({{"c", "1"}}); });
  EXPECT_NE(msg.find("did you mean 'C'?"), std::string::npos) << msg;
  EXPECT_NE(ErrorOf([&] {
              log->SetParams({{"penalty", "elasticnet"}});
            }).find("l2, l1 or none"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] {
              log->SetParams({{"C", "0"}});
            }).find("C must be > 0"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] { log->SetParams({{"max_iter", "0"}}); }).find(">= 1"), std::string::npos);
  // A failed SetParams changes nothing.
  std::string before = log->SaveConfig();
  ErrorOf([&] { log->SetParams({{"C", "3"}, {"bogus", "1"}}); });
  EXPECT_EQ(log->SaveConfig(), before);
}

TEST(LinearEstimatorTest, UnsupportedTasksAndBadLabelsAreRejected) {
  Dataset ds = LoadDataset("binary_random");
  auto lin = MakeLinearRegression();
  auto log = MakeLogisticRegression();
  EXPECT_TRUE(lin->Supports(Task::kRegression));
  EXPECT_FALSE(lin->Supports(Task::kBinary));
  EXPECT_FALSE(log->Supports(Task::kRegression));
  EXPECT_TRUE(log->Supports(Task::kMulticlass));
  FitInput in;
  in.x = &ds.x;
  in.y = ds.y;
  in.task = Task::kBinary;
  ErrorCode code{};
  EXPECT_NE(ErrorOf([&] { lin->Fit(in); }, &code).find("linear cannot do binary"),
            std::string::npos);
  EXPECT_EQ(code, ErrorCode::kInvalidArgument);
  in.task = Task::kClustering;
  EXPECT_NE(ErrorOf([&] { log->Fit(in); }, &code).find("logistic cannot do clustering"),
            std::string::npos);
  EXPECT_EQ(code, ErrorCode::kInvalidArgument);

  std::vector<double> y = ds.y;
  y[5] = 2;
  in.y = y;
  in.task = Task::kBinary;
  EXPECT_NE(ErrorOf([&] { log->Fit(in); }).find("label 2 at row 5"), std::string::npos);
  std::vector<double> w(ds.y.size(), 1.0);
  w[1] = -1;
  in.y = ds.y;
  in.weight = w;
  EXPECT_NE(ErrorOf([&] { log->Fit(in); }).find("weight at row 1"), std::string::npos);
  EXPECT_EQ(ErrorOf([&] { log->Predict(ds.x); }, &code), "the logistic model is not trained");
  EXPECT_EQ(code, ErrorCode::kFailedPrecondition);
}

TEST(LinearEstimatorTest, MulticlassWithTwoClassesGivesTwoColumns) {
  Dataset ds = LoadDataset("binary_random");
  FitInput in;
  in.x = &ds.x;
  in.y = ds.y;
  in.task = Task::kBinary;
  auto binary = MakeLogisticRegression();
  binary->Fit(in);
  in.task = Task::kMulticlass;
  in.num_classes = 2;
  auto multi = MakeLogisticRegression();
  multi->Fit(in);
  DenseMatrix pb = binary->Predict(ds.x), pm = multi->Predict(ds.x);
  ASSERT_EQ(pb.cols, 1);
  ASSERT_EQ(pm.cols, 2);
  for (int64_t i = 0; i < ds.x.rows; ++i) {
    EXPECT_DOUBLE_EQ(pm.at(i, 1), pb.at(i, 0));
    EXPECT_DOUBLE_EQ(pm.at(i, 0) + pm.at(i, 1), 1.0);
  }
  std::unique_ptr<Estimator> loaded = MakeLogisticRegression();
  loaded->LoadModel(multi->SaveModel());
  EXPECT_EQ(loaded->Predict(ds.x).data, pm.data);
}

TEST(LinearEstimatorTest, ModelJsonCarriesFeatureNamesAndIsChecked) {
  Dataset ds = LoadDataset("iris");
  FitInput in;
  in.x = &ds.x;
  in.y = ds.y;
  in.task = Task::kMulticlass;
  in.num_classes = 3;
  in.feature_names = {"sepal_length", "sepal_width", "petal_length", "petal_width"};
  auto est = MakeLogisticRegression();
  est->Fit(in);
  json model = json::parse(est->SaveModel());
  EXPECT_EQ(model.at("format_version"), 1);
  EXPECT_EQ(model.at("model"), "logistic");
  EXPECT_EQ(model.at("num_classes"), 3);
  EXPECT_EQ(model.at("feature_names"), json(in.feature_names));
  EXPECT_EQ(model.at("coefficients").size(), 3u);
  EXPECT_EQ(model.at("intercepts").size(), 3u);
  json config = json::parse(est->SaveConfig());
  EXPECT_EQ(config.at("task"), "multiclass");
  EXPECT_EQ(config.at("params").at("penalty"), "l2");
  EXPECT_EQ(config.at("params").at("C"), 1.0);

  std::vector<double> importance = est->FeatureImportance();
  ASSERT_EQ(importance.size(), 4u);
  for (int j = 0; j < 4; ++j) {
    double mean = 0;
    for (int c = 0; c < 3; ++c) mean += std::abs(model["coefficients"][c][j].get<double>()) / 3;
    EXPECT_NEAR(importance[j], mean, 1e-15);
  }

  auto other = MakeLogisticRegression();
  ErrorCode code{};
  ErrorOf([&] { other->LoadModel("{\"model\": \"linear\"}"); }, &code);
  EXPECT_EQ(code, ErrorCode::kCorruption);
  model["coefficients"][1].erase(0);
  std::string msg = ErrorOf([&] { other->LoadModel(model.dump()); }, &code);
  EXPECT_EQ(code, ErrorCode::kCorruption) << msg;
  ErrorOf([&] { other->LoadModel("not json"); }, &code);
  EXPECT_EQ(code, ErrorCode::kCorruption);
  EXPECT_FALSE(static_cast<LogisticRegression&>(*other).fitted());

  auto lin = MakeLinearRegression();
  ErrorOf([&] { lin->LoadModel(est->SaveModel()); }, &code);
  EXPECT_EQ(code, ErrorCode::kCorruption);
  std::string wrong_columns = ErrorOf([&] { est->Predict(DenseMatrix(2, 3)); }, &code);
  EXPECT_EQ(code, ErrorCode::kInvalidArgument);
  EXPECT_NE(wrong_columns.find("takes 4 features, not 3"), std::string::npos) << wrong_columns;
}

}  // namespace
}  // namespace mloop
