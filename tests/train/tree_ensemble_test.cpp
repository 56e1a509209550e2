// TreeEnsemble (train/xgboost/tree_ensemble.h), mloop's own evaluator of XGBoost tree models,
// against XGBoost itself: every objective mloop trains, random forests, missing values, deep trees,
// saved and loaded models, and hand-made models whose margins sweep the transforms' range. Equal
// means equal bits (memcmp), never a tolerance.
#include "mloop/train/xgboost/tree_ensemble.h"

#include <gtest/gtest.h>
#include <xgboost/c_api.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "mloop/core/error.h"
#include "mloop/train/registry.h"
#include "mloop/train/xgboost/xgboost_estimator.h"

namespace mloop {
namespace {

using nlohmann::json;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct Data {
  DenseMatrix x;
  std::vector<double> y;
};

// `rows` x `cols` features: normal values, every third feature small integers (so that rows hit
// split thresholds exactly), `missing` of the values NaN at random. The target depends on the
// first features: `classes` classes (2 binary, 3+ multiclass) or, for 0, a positive real value.
Data MakeData(int64_t rows, int64_t cols, int classes, double missing, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> n01(0, 1);
  std::uniform_real_distribution<double> u01(0, 1);
  Data d{DenseMatrix(rows, cols), {}};
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = 0; j < cols; ++j) {
      double v = j % 3 == 2 ? static_cast<double>(rng() % 5) : n01(rng);
      d.x.at(i, j) = u01(rng) < missing ? kNaN : v;
    }
    auto f = [&](int64_t j) {
      double v = d.x.at(i, j % cols);
      return std::isnan(v) ? 0.3 : v;
    };
    double s = 1.2 * f(0) - f(1) * f(3) + 0.5 * f(2) + std::sin(2 * f(4)) + 0.7 * n01(rng);
    if (classes == 0) {
      d.y.push_back(std::exp(0.4 * s));
    } else if (classes == 2) {
      d.y.push_back(s > 0.5 ? 1 : 0);
    } else {
      double k = std::floor((s + 2.5) / 5.0 * classes);
      d.y.push_back(std::clamp(k, 0.0, classes - 1.0));
    }
  }
  return d;
}

std::unique_ptr<Estimator> Fit(const std::string& algorithm, const Data& d, Task task, int classes,
                               std::map<std::string, std::string> params) {
  auto e = CreateEstimator(algorithm);
  e->SetParams(params);
  FitInput in;
  in.x = &d.x;
  in.y = d.y;
  in.task = task;
  in.num_classes = classes;
  in.seed = 3;
  in.threads = 1;  // the suite runs tests in parallel on a small machine
  e->Fit(in);
  return e;
}

// Counts the values of `a` and `b` whose bits differ (and shape mismatches as all).
int64_t Mismatches(const DenseMatrix& a, const DenseMatrix& b) {
  if (a.rows != b.rows || a.cols != b.cols) return std::max<int64_t>(1, a.rows * a.cols);
  int64_t n = 0;
  for (size_t i = 0; i < a.data.size(); ++i) {
    n += std::memcmp(&a.data[i], &b.data[i], sizeof(double)) != 0;
  }
  return n;
}

// XGBoost's inplace prediction (XGBoosterPredictFromDense) of a fresh booster loaded from
// `model_json`, on `x` narrowed to float32 as mloop does.
DenseMatrix PredictFromDense(const std::string& model_json, const DenseMatrix& x) {
  BoosterHandle booster = nullptr;
  EXPECT_EQ(XGBoosterCreate(nullptr, 0, &booster), 0);
  EXPECT_EQ(XGBoosterLoadModelFromBuffer(booster, model_json.data(), model_json.size()), 0);
  std::vector<float> values(x.data.begin(), x.data.end());
  json array = {{"data", {reinterpret_cast<uintptr_t>(values.data()), true}},
                {"shape", {x.rows, x.cols}},
                {"typestr", "<f4"},
                {"version", 3}};
  const std::string config =
      R"({"type": 0, "training": false, "iteration_begin": 0, "iteration_end": 0,)"
      R"( "strict_shape": true, "missing": NaN, "cache_id": 0})";
  const bst_ulong* shape = nullptr;
  bst_ulong dim = 0;
  const float* result = nullptr;
  const int rc = XGBoosterPredictFromDense(booster, array.dump().c_str(), config.c_str(), nullptr,
                                           &shape, &dim, &result);
  EXPECT_EQ(rc, 0) << XGBGetLastError();
  EXPECT_EQ(dim, 2u);
  if (rc != 0 || dim != 2) {
    XGBoosterFree(booster);
    return DenseMatrix();
  }
  DenseMatrix out(static_cast<int64_t>(shape[0]), static_cast<int64_t>(shape[1]));
  for (size_t i = 0; i < out.data.size(); ++i) out.data[i] = result[i];
  XGBoosterFree(booster);
  return out;
}

// TreeEnsemble::PredictRow, row by row.
DenseMatrix PredictRows(const TreeEnsemble& e, const DenseMatrix& x) {
  DenseMatrix out(x.rows, e.num_outputs());
  std::vector<float> row(static_cast<size_t>(x.cols)), values(e.num_outputs());
  for (int64_t i = 0; i < x.rows; ++i) {
    for (int64_t j = 0; j < x.cols; ++j) row[j] = static_cast<float>(x.at(i, j));
    e.PredictRow(row.data(), values.data());
    for (int g = 0; g < e.num_outputs(); ++g) out.at(i, g) = values[g];
  }
  return out;
}

// Every way mloop predicts with `e` on `x` (and on probe rows sitting on the thresholds) gives
// XGBoost's bits: the estimator's Predict, the ensemble's batch path on one and two threads, its
// single-row path, and XGBoost's DMatrix and inplace predictions.
void ExpectSameAsXGBoost(const Estimator& estimator, const DenseMatrix& data) {
  const TreeEnsemble* e = CompiledEnsemble(estimator);
  ASSERT_NE(e, nullptr) << "the model was not compiled";
  const std::string model = estimator.SaveModel();
  const DenseMatrix probe = e->ProbeRows(3000);
  for (const DenseMatrix* x : {&data, &probe}) {
    DenseMatrix xgb = PredictWithXGBoost(estimator, *x);
    ASSERT_EQ(xgb.cols, e->num_outputs());
    EXPECT_EQ(Mismatches(estimator.Predict(*x), xgb), 0) << "Estimator::Predict";
    DenseMatrix one, two;
    e->Predict(*x, &one, 1);
    e->Predict(*x, &two, 2);
    EXPECT_EQ(Mismatches(one, xgb), 0) << "Predict, 1 thread";
    EXPECT_EQ(Mismatches(two, xgb), 0) << "Predict, 2 threads";
    EXPECT_EQ(Mismatches(PredictRows(*e, *x), xgb), 0) << "PredictRow";
    if (!e->is_linear()) {  // XGBoost 1.7 has no inplace prediction for gblinear
      EXPECT_EQ(Mismatches(PredictFromDense(model, *x), xgb), 0) << "XGBoosterPredictFromDense";
    }
  }
}

TEST(TreeEnsembleTest, BinaryDeepTreesWithMissingValues) {
  Data train = MakeData(3000, 12, 2, 0.15, 1), test = MakeData(2000, 12, 2, 0.15, 2);
  auto e = Fit("xgboost", train, Task::kBinary, 2, {{"max_depth", "8"}, {"num_boost_round", "60"}});
  ASSERT_NE(CompiledEnsemble(*e), nullptr);
  EXPECT_EQ(CompiledEnsemble(*e)->num_trees(), 60);
  EXPECT_EQ(CompiledEnsemble(*e)->objective(), "binary:logistic");
  ExpectSameAsXGBoost(*e, test.x);
  ExpectSameAsXGBoost(*e, train.x);
}

TEST(TreeEnsembleTest, Multiclass) {
  for (int classes : {3, 5}) {
    Data train = MakeData(3000, 10, classes, 0.1, 3), test = MakeData(1500, 10, classes, 0.1, 4);
    auto e = Fit("xgboost", train, Task::kMulticlass, classes,
                 {{"max_depth", "8"}, {"num_boost_round", "50"}});
    ASSERT_NE(CompiledEnsemble(*e), nullptr);
    EXPECT_EQ(CompiledEnsemble(*e)->num_outputs(), classes);
    EXPECT_EQ(CompiledEnsemble(*e)->num_trees(), 50 * classes);
    ExpectSameAsXGBoost(*e, test.x);
  }
}

TEST(TreeEnsembleTest, Regression) {
  Data train = MakeData(3000, 8, 0, 0.2, 5), test = MakeData(2000, 8, 0, 0.2, 6);
  auto e = Fit("xgboost", train, Task::kRegression, 0,
               {{"max_depth", "8"}, {"num_boost_round", "80"}, {"eta", "0.1"}});
  ExpectSameAsXGBoost(*e, test.x);
}

// A linear booster trains and predicts; its importance is the size of its coefficients
// (XGBoost has no gain without splits), summed over classes.
TEST(TreeEnsembleTest, LinearBoosterImportanceIsItsCoefficients) {
  for (int classes : {0, 3}) {
    SCOPED_TRACE(classes);
    Data train = MakeData(1000, 5, classes, 0.0, 31), test = MakeData(200, 5, classes, 0.0, 32);
    auto e = Fit("xgboost", train, classes ? Task::kMulticlass : Task::kRegression, classes,
                 {{"booster", "gblinear"}, {"num_boost_round", "20"}});
    EXPECT_EQ(e->Predict(test.x).rows, 200);
    const json weights =
        json::parse(e->SaveModel())["learner"]["gradient_booster"]["model"]["weights"];
    const size_t groups = classes ? 3 : 1;
    ASSERT_EQ(weights.size(), (5 + 1) * groups);  // a row per feature, then the bias
    const std::vector<double> importance = e->FeatureImportance();
    ASSERT_EQ(importance.size(), 5u);
    for (size_t f = 0; f < 5; ++f) {
      double want = 0;
      for (size_t g = 0; g < groups; ++g) {
        want += std::fabs(static_cast<float>(weights[f * groups + g].get<double>()));
      }
      EXPECT_NEAR(importance[f], want, 1e-6 * (1 + want)) << f;
    }
  }
}

TEST(TreeEnsembleTest, RandomForest) {
  Data train = MakeData(3000, 10, 2, 0.1, 7), test = MakeData(2000, 10, 2, 0.1, 8);
  auto binary = Fit("random_forest", train, Task::kBinary, 2, {{"max_depth", "8"}});
  ASSERT_NE(CompiledEnsemble(*binary), nullptr);
  EXPECT_EQ(CompiledEnsemble(*binary)->num_trees(), 100);
  ExpectSameAsXGBoost(*binary, test.x);

  Data rtrain = MakeData(3000, 10, 0, 0.1, 9), rtest = MakeData(2000, 10, 0, 0.1, 10);
  auto regression = Fit("random_forest", rtrain, Task::kRegression, 0,
                        {{"max_depth", "8"}, {"num_parallel_tree", "60"}});
  ExpectSameAsXGBoost(*regression, rtest.x);

  Data mtrain = MakeData(3000, 10, 4, 0.1, 11), mtest = MakeData(1000, 10, 4, 0.1, 12);
  auto multiclass =
      Fit("random_forest", mtrain, Task::kMulticlass, 4,
          {{"max_depth", "6"}, {"num_parallel_tree", "30"}, {"num_boost_round", "2"}});
  ASSERT_NE(CompiledEnsemble(*multiclass), nullptr);
  EXPECT_EQ(CompiledEnsemble(*multiclass)->num_trees(), 30 * 4 * 2);
  ExpectSameAsXGBoost(*multiclass, mtest.x);
}

// Objectives beyond mloop's defaults, and base scores other than 0.5 (the base margin is the
// logit of base_score for the logistic objectives, its log for poisson/gamma/tweedie).
TEST(TreeEnsembleTest, OtherObjectivesAndBaseScores) {
  Data train = MakeData(2000, 8, 0, 0.1, 13), test = MakeData(1000, 8, 0, 0.1, 14);
  Data btrain = MakeData(2000, 8, 2, 0.1, 15), btest = MakeData(1000, 8, 2, 0.1, 16);
  struct Case {
    std::string objective, base_score;
    bool binary;
  };
  for (const Case& c : std::vector<Case>{{"binary:logistic", "0.3", true},
                                         {"binary:logistic", "0.77", true},
                                         {"reg:logistic", "0.5", true},
                                         {"binary:logitraw", "0.2", true},
                                         {"reg:squarederror", "1.7", false},
                                         {"reg:squaredlogerror", "0.5", false},
                                         {"reg:pseudohubererror", "0.1", false},
                                         {"reg:absoluteerror", "0.5", false},
                                         {"count:poisson", "0.5", false},
                                         {"count:poisson", "2.3", false},
                                         {"reg:gamma", "1.3", false},
                                         {"reg:tweedie", "0.5", false}}) {
    SCOPED_TRACE(c.objective + " base_score " + c.base_score);
    // mloop does not train with binary:logitraw (margins where it reads probabilities), but
    // imports such models: the same trees as binary:logistic, renamed.
    const bool raw = c.objective == "binary:logitraw";
    auto e =
        Fit("xgboost", c.binary ? btrain : train, c.binary ? Task::kBinary : Task::kRegression, 2,
            {{"objective", raw ? "binary:logistic" : c.objective},
             {"base_score", c.base_score},
             {"max_depth", "6"},
             {"num_boost_round", "30"}});
    if (raw) {
      nlohmann::json m = nlohmann::json::parse(e->SaveModel());
      m["learner"]["objective"]["name"] = c.objective;
      auto renamed = CreateEstimator("xgboost");
      renamed->LoadConfig(e->SaveConfig());
      renamed->LoadModel(m.dump());
      e = std::move(renamed);
    }
    ASSERT_NE(CompiledEnsemble(*e), nullptr);
    EXPECT_EQ(CompiledEnsemble(*e)->objective(), c.objective);
    ExpectSameAsXGBoost(*e, c.binary ? btest.x : test.x);
  }
}

// A model saved and loaded as a bundle does (config, then model) compiles again; so does a model
// cut short by early stopping.
TEST(TreeEnsembleTest, LoadedAndEarlyStoppedModels) {
  Data train = MakeData(3000, 10, 2, 0.1, 17), valid = MakeData(1000, 10, 2, 0.1, 18);
  auto e = CreateEstimator("xgboost");
  e->SetParams({{"max_depth", "8"},
                {"num_boost_round", "300"},
                {"eta", "0.5"},
                {"early_stopping_rounds", "5"}});
  FitInput in;
  in.x = &train.x;
  in.y = train.y;
  in.valid_x = &valid.x;
  in.valid_y = valid.y;
  in.threads = 1;
  e->Fit(in);
  ASSERT_NE(CompiledEnsemble(*e), nullptr);
  const int trees = CompiledEnsemble(*e)->num_trees();
  EXPECT_LT(trees, 300);
  ExpectSameAsXGBoost(*e, valid.x);

  auto loaded = CreateEstimator("xgboost");
  loaded->LoadConfig(e->SaveConfig());
  loaded->LoadModel(e->SaveModel());
  ASSERT_NE(CompiledEnsemble(*loaded), nullptr);
  EXPECT_EQ(CompiledEnsemble(*loaded)->num_trees(), trees);
  EXPECT_EQ(Mismatches(loaded->Predict(valid.x), e->Predict(valid.x)), 0);
  ExpectSameAsXGBoost(*loaded, valid.x);
}

// A model whose configuration records that its ensemble agreed with XGBoost loads without
// XGBoost's booster; whatever needs the booster (contributions, importance, XGBoost's own
// prediction) loads it then, from any thread, with the same results as an eager load.
TEST(TreeEnsembleTest, LoadingDefersXGBoostUntilNeeded) {
  Data train = MakeData(2000, 6, 3, 0.1, 21), test = MakeData(300, 6, 3, 0.2, 22);
  auto e = Fit("xgboost", train, Task::kMulticlass, 3, {{"num_boost_round", "15"}});
  const std::string model = e->SaveModel();
  const json config = json::parse(e->SaveConfig());
  ASSERT_EQ(config.value("ensemble_probe_xxh3", std::string()).size(), 16u);
  json old_config = config;
  old_config.erase("ensemble_probe_xxh3");  // as bundles written before the digest
  json wrong_digest = config;               // another build's, or an edited model's
  wrong_digest["ensemble_probe_xxh3"] = "0123456789abcdef";

  for (const json& c : {config, old_config, wrong_digest}) {
    SCOPED_TRACE(c.value("ensemble_probe_xxh3", std::string("no digest")));
    auto loaded = CreateEstimator("xgboost");
    loaded->LoadConfig(c.dump());
    loaded->LoadModel(model);
    ASSERT_NE(CompiledEnsemble(*loaded), nullptr);
    EXPECT_EQ(Mismatches(loaded->Predict(test.x), e->Predict(test.x)), 0);
    // The deferred JSON is handed back unchanged, before and after the booster is loaded.
    EXPECT_EQ(loaded->SaveModel(), model);
    // Two threads ask for the booster at once.
    DenseMatrix a, b;
    std::thread other([&] { a = loaded->Contributions(test.x); });
    b = loaded->Contributions(test.x);
    other.join();
    const DenseMatrix want = e->Contributions(test.x);
    EXPECT_EQ(Mismatches(a, want), 0);
    EXPECT_EQ(Mismatches(b, want), 0);
    EXPECT_EQ(loaded->FeatureImportance(), e->FeatureImportance());
    ExpectSameAsXGBoost(*loaded, test.x);
    EXPECT_EQ(loaded->SaveModel(), model);
    // Saved again, the (right) digest is written.
    EXPECT_EQ(json::parse(loaded->SaveConfig())["ensemble_probe_xxh3"],
              config["ensemble_probe_xxh3"]);
  }

  // Deferred indeed: a model XGBoost refuses (attributes not an object) but whose trees compile
  // to the digest predicts; XGBoost's error comes when the booster is first needed.
  {
    json edited = json::parse(model);
    edited["learner"]["attributes"] = 5;
    auto loaded = CreateEstimator("xgboost");
    loaded->LoadConfig(config.dump());
    loaded->LoadModel(edited.dump());
    EXPECT_EQ(Mismatches(loaded->Predict(test.x), e->Predict(test.x)), 0);
    EXPECT_THROW(loaded->Contributions(test.x), Error);
    auto eager = CreateEstimator("xgboost");
    eager->LoadConfig(old_config.dump());
    EXPECT_THROW(eager->LoadModel(edited.dump()), Error);
  }

  // A digest with a model the compiler does not take: XGBoost loads it at once, as without one.
  auto dart =
      Fit("xgboost", train, Task::kMulticlass, 3, {{"booster", "dart"}, {"num_boost_round", "5"}});
  json flagged = json::parse(dart->SaveConfig());
  EXPECT_FALSE(flagged.contains("ensemble_probe_xxh3"));
  flagged["ensemble_probe_xxh3"] = config["ensemble_probe_xxh3"];
  auto loaded = CreateEstimator("xgboost");
  loaded->LoadConfig(flagged.dump());
  loaded->LoadModel(dart->SaveModel());
  EXPECT_EQ(CompiledEnsemble(*loaded), nullptr);
  EXPECT_EQ(Mismatches(loaded->Predict(test.x), dart->Predict(test.x)), 0);
  EXPECT_THROW(loaded->LoadModel("{\"learner\": 1}"), Error);
}

// Empty input, single rows, a row block's tail, and rows of only missing values.
TEST(TreeEnsembleTest, BatchShapes) {
  Data train = MakeData(2000, 6, 2, 0.1, 19);
  auto e = Fit("xgboost", train, Task::kBinary, 2, {{"num_boost_round", "20"}});
  // Fewer rows than one step take the single-row walk; the rest walk whole steps of rows.
  for (int64_t rows : {0, 1, 7, 8, 9, 15, 16, 17, 33, 127, 128, 129, 1025}) {
    Data d = MakeData(rows, 6, 2, 0.3, 20 + rows);
    if (rows > 0) {
      for (int64_t j = 0; j < 6; ++j) d.x.at(0, j) = kNaN;
    }
    DenseMatrix out = e->Predict(d.x);
    EXPECT_EQ(out.rows, rows);
    EXPECT_EQ(out.cols, 1);
    if (rows > 0) {
      EXPECT_EQ(Mismatches(out, PredictWithXGBoost(*e, d.x)), 0) << rows;
    }
  }
  // The wrong number of features is the same error as before; so is an infinite value (or a
  // double beyond float's range), which XGBoost's DMatrix refuses.
  EXPECT_THROW(e->Predict(DenseMatrix(3, 5)), Error);
  for (double bad : std::vector<double>{INFINITY, -INFINITY, 1e300}) {
    DenseMatrix x(2000, 6, 0.5);
    x.at(1500, 2) = bad;
    EXPECT_THROW(PredictWithXGBoost(*e, x), Error);
    EXPECT_THROW(e->Predict(x), Error);
  }
}

// ---- Hand-made models: margins over the whole range of the transforms ----

// A balanced tree on `feature` with leaves `leaf[k]` for x in [k, k+1) (x < 1: leaf 0) and
// missing values going to the left (default_left) or right half of the leaves, in XGBoost's JSON.
json BalancedTree(int id, int feature, const std::vector<float>& leaf, int num_feature) {
  json t;
  std::vector<int> left, right, parents, indices, dleft, types;
  std::vector<float> cond, weights, loss, hess;
  // XGBoost allocates a node's two children together (right = left + 1) and relies on it.
  auto add = [&](int parent) {
    left.push_back(-1);
    right.push_back(-1);
    parents.push_back(parent);
    indices.push_back(0);
    dleft.push_back(0);
    types.push_back(0);
    cond.push_back(0);
    weights.push_back(0);
    loss.push_back(0);
    hess.push_back(1);
    return static_cast<int>(left.size()) - 1;
  };
  std::function<void(int, int, int)> build = [&](int id, int lo, int hi) {
    if (hi - lo == 1) {
      cond[id] = weights[id] = leaf[lo];
      return;
    }
    const int mid = (lo + hi) / 2;
    indices[id] = feature;
    cond[id] = static_cast<float>(mid);
    dleft[id] = (mid % 2);
    left[id] = add(id);
    right[id] = add(id);
    build(left[id], lo, mid);
    build(right[id], mid, hi);
  };
  build(add(2147483647), 0, static_cast<int>(leaf.size()));
  t["base_weights"] = weights;
  t["categories"] = json::array();
  t["categories_nodes"] = json::array();
  t["categories_segments"] = json::array();
  t["categories_sizes"] = json::array();
  t["default_left"] = dleft;
  t["id"] = id;
  t["left_children"] = left;
  t["loss_changes"] = loss;
  t["parents"] = parents;
  t["right_children"] = right;
  t["split_conditions"] = cond;
  t["split_indices"] = indices;
  t["split_type"] = types;
  t["sum_hessian"] = hess;
  t["tree_param"] = {{"num_deleted", "0"},
                     {"num_feature", std::to_string(num_feature)},
                     {"num_nodes", std::to_string(left.size())},
                     {"size_leaf_vector", "0"}};
  return t;
}

// A model trained by mloop with `objective`, its trees replaced by `trees` (tree i in group
// info[i]).
std::string HandMadeModel(const std::string& objective, Task task, int classes,
                          const std::vector<json>& trees, const std::vector<int>& info) {
  Data d = MakeData(300, 3, task == Task::kRegression ? 0 : classes, 0.0, 30);
  auto e = Fit("xgboost", d, task, classes,
               {{"objective", objective}, {"num_boost_round", "1"}, {"max_depth", "1"}});
  json model = json::parse(e->SaveModel());
  json& m = model["learner"]["gradient_booster"]["model"];
  m["trees"] = trees;
  m["tree_info"] = info;
  m["gbtree_model_param"]["num_trees"] = std::to_string(trees.size());
  return model.dump();
}

// 1024-leaf trees whose leaves sweep [-span, span] (denser near 0), plus a small second term,
// so that the sums cover the transform's whole range (sigmoid saturating at both ends, exp
// overflowing), predicted on every leaf and on missing values.
void ExpectHandMadeSame(const std::string& objective, Task task, int classes, float span) {
  SCOPED_TRACE(objective);
  const int groups = task == Task::kMulticlass ? classes : 1;
  std::mt19937_64 rng(41);
  std::uniform_real_distribution<float> small(-0.37f, 0.37f);
  std::vector<json> trees;
  std::vector<int> info;
  for (int g = 0; g < groups; ++g) {
    std::vector<float> big(1024), tweak(64);
    for (int k = 0; k < 1024; ++k) {
      const float u = (k - 511.5f) / 511.5f;
      big[k] = span * u * std::fabs(u) + small(rng) * (g + 1);
    }
    for (float& v : tweak) v = small(rng);
    trees.push_back(BalancedTree(static_cast<int>(trees.size()), 0, big, 3));
    info.push_back(g);
    trees.push_back(BalancedTree(static_cast<int>(trees.size()), 1 + g % 2, tweak, 3));
    info.push_back(g);
  }
  const std::string model = HandMadeModel(objective, task, classes, trees, info);

  std::optional<TreeEnsemble> e = TreeEnsemble::FromXgboostJson(model);
  ASSERT_TRUE(e.has_value());
  DenseMatrix x(6000, 3);
  std::uniform_int_distribution<int> leaf(-1, 1024), tweak(-1, 64);
  for (int64_t i = 0; i < x.rows; ++i) {
    const int a = i < 1026 ? static_cast<int>(i) - 1 : leaf(rng);
    x.at(i, 0) = a == 1024 ? kNaN : a + 0.5;
    x.at(i, 1) = tweak(rng) + 0.25;
    x.at(i, 2) = i % 11 == 0 ? kNaN : tweak(rng);
  }
  auto loaded = CreateEstimator("xgboost");
  nlohmann::json config = {
      {"task", std::string(TaskName(task))}, {"num_classes", classes},   {"num_features", 3},
      {"feature_names", json::array()},      {"params", json::object()}, {"num_boost_round", 1},
      {"early_stopping_rounds", 0}};
  loaded->LoadConfig(config.dump());
  loaded->LoadModel(model);
  ASSERT_NE(CompiledEnsemble(*loaded), nullptr) << "the self-check at load failed";
  DenseMatrix xgb = PredictWithXGBoost(*loaded, x);
  DenseMatrix mine;
  e->Predict(x, &mine, 1);
  EXPECT_EQ(Mismatches(mine, xgb), 0);
  EXPECT_EQ(Mismatches(PredictRows(*e, x), xgb), 0);
  EXPECT_EQ(Mismatches(PredictFromDense(model, x), xgb), 0);
  // The sweep reached both ends of the transform.
  double lo = INFINITY, hi = -INFINITY;
  for (double v : xgb.data) lo = std::min(lo, v), hi = std::max(hi, v);
  if (objective == "binary:logistic" && span > 100) {
    EXPECT_LT(lo, 1e-30);  // 3.0e-39: XGBoost caps the argument of exp at 88.7
    EXPECT_GT(lo, 0.0);
    EXPECT_EQ(hi, 1.0);
  }
}

TEST(TreeEnsembleTest, HandMadeModelsSweepTheTransforms) {
  ExpectHandMadeSame("binary:logistic", Task::kBinary, 2, 120.0f);
  ExpectHandMadeSame("binary:logistic", Task::kBinary, 2, 8.0f);
  ExpectHandMadeSame("multi:softprob", Task::kMulticlass, 3, 90.0f);
  ExpectHandMadeSame("multi:softprob", Task::kMulticlass, 4, 6.0f);
  ExpectHandMadeSame("count:poisson", Task::kRegression, 0, 95.0f);
  ExpectHandMadeSame("reg:squarederror", Task::kRegression, 0, 1e6f);
}

// ---- gblinear: dense coefficients -------------------------------------------------------------

TEST(TreeEnsembleTest, LinearBoosterModels) {
  struct Case {
    Task task;
    int classes;
    std::map<std::string, std::string> params;
  };
  for (const Case& c : std::vector<Case>{
           {Task::kBinary, 2, {}},
           {Task::kMulticlass, 4, {}},
           {Task::kRegression, 0, {}},
           {Task::kRegression, 0, {{"objective", "count:poisson"}}},
           {Task::kBinary, 2, {{"alpha", "0.5"}, {"lambda", "2"}, {"updater", "coord_descent"}}}}) {
    SCOPED_TRACE(std::string(TaskName(c.task)) + " " + json(c.params).dump());
    Data train = MakeData(3000, 9, std::max(c.classes, 2), 0.15, 70 + c.classes);
    Data test = MakeData(1000, 9, std::max(c.classes, 2), 0.15, 80 + c.classes);
    if (c.task == Task::kRegression) {
      for (double& y : train.y) y = std::fabs(y) + 0.5;  // positive, for count:poisson
    }
    auto params = c.params;
    params["booster"] = "gblinear";
    params["num_boost_round"] = "20";
    auto e = Fit("xgboost", train, c.task, c.classes, params);
    const TreeEnsemble* compiled = CompiledEnsemble(*e);
    ASSERT_NE(compiled, nullptr);
    EXPECT_TRUE(compiled->is_linear());
    EXPECT_EQ(compiled->num_trees(), 0);
    ExpectSameAsXGBoost(*e, test.x);
    // Loaded back (the configuration says it was verified): the same numbers.
    auto loaded = CreateEstimator("xgboost");
    loaded->LoadConfig(e->SaveConfig());
    loaded->LoadModel(e->SaveModel());
    ASSERT_NE(CompiledEnsemble(*loaded), nullptr);
    EXPECT_EQ(Mismatches(loaded->Predict(test.x), e->Predict(test.x)), 0);
  }
  // Weights that do not fit the feature count: not compiled.
  Data train = MakeData(500, 4, 2, 0.1, 90);
  auto e = Fit("xgboost", train, Task::kBinary, 2, {{"booster", "gblinear"}});
  json m = json::parse(e->SaveModel());
  m["learner"]["gradient_booster"]["model"]["weights"].erase(0);
  EXPECT_FALSE(TreeEnsemble::FromXgboostJson(m.dump()).has_value());
}

// ---- What the compiler refuses: nullopt, and the estimator keeps predicting with XGBoost ----

TEST(TreeEnsembleTest, UnsupportedModelsFallBackToXGBoost) {
  Data train = MakeData(1000, 6, 2, 0.1, 50), test = MakeData(500, 6, 2, 0.1, 51);
  for (auto params : std::vector<std::map<std::string, std::string>>{
           {{"booster", "dart"}, {"rate_drop", "0.2"}, {"num_boost_round", "10"}}}) {
    SCOPED_TRACE(params["booster"]);
    auto e = Fit("xgboost", train, Task::kBinary, 2, params);
    EXPECT_FALSE(TreeEnsemble::FromXgboostJson(e->SaveModel()).has_value());
    EXPECT_EQ(CompiledEnsemble(*e), nullptr);
    EXPECT_EQ(Mismatches(e->Predict(test.x), PredictWithXGBoost(*e, test.x)), 0);
    EXPECT_EQ(e->Predict(test.x).rows, 500);
  }

  auto e = Fit("xgboost", train, Task::kBinary, 2, {{"num_boost_round", "5"}});
  const json model = json::parse(e->SaveModel());
  ASSERT_TRUE(TreeEnsemble::FromXgboostJson(model.dump()).has_value());
  auto edited = [&](const std::function<void(json&)>& edit) {
    json m = model;
    edit(m);
    return TreeEnsemble::FromXgboostJson(m.dump());
  };
  auto tree0 = [](json& m) -> json& {
    return m["learner"]["gradient_booster"]["model"]["trees"][0];
  };
  // A categorical split.
  EXPECT_FALSE(edited([&](json& m) { tree0(m)["split_type"][0] = 1; }).has_value());
  EXPECT_FALSE(edited([&](json& m) { tree0(m)["categories_nodes"] = {0}; }).has_value());
  // Objectives it does not evaluate.
  for (const char* objective :
       {"multi:softmax", "rank:pairwise", "survival:cox", "binary:hinge", "no:such"}) {
    EXPECT_FALSE(
        edited([&](json& m) { m["learner"]["objective"]["name"] = objective; }).has_value())
        << objective;
  }
  // Vector leaves, multiple targets.
  EXPECT_FALSE(
      edited([&](json& m) { tree0(m)["tree_param"]["size_leaf_vector"] = "2"; }).has_value());
  EXPECT_FALSE(edited([&](json& m) {
                 m["learner"]["learner_model_param"]["num_target"] = "2";
               }).has_value());
}

// Malformed or inconsistent JSON gives nullopt too (never an exception or a crash): the caller
// has already had XGBoost load the model, and XGBoost's error says what is wrong.
TEST(TreeEnsembleTest, MalformedModelsGiveNullopt) {
  for (const char* text : {"", "{", "[]", "null", "42", R"({"learner": {}})",
                           R"({"learner": {"learner_model_param": []}})"}) {
    EXPECT_FALSE(TreeEnsemble::FromXgboostJson(text).has_value()) << text;
  }
  Data train = MakeData(500, 4, 2, 0.1, 60);
  auto e = Fit("xgboost", train, Task::kBinary, 2, {{"num_boost_round", "3"}});
  const std::string text = e->SaveModel();
  EXPECT_FALSE(TreeEnsemble::FromXgboostJson(text.substr(0, text.size() / 2)).has_value());
  const json model = json::parse(text);
  auto edited = [&](const std::function<void(json&)>& edit) {
    json m = model;
    edit(m);
    return TreeEnsemble::FromXgboostJson(m.dump());
  };
  auto tree0 = [](json& m) -> json& {
    return m["learner"]["gradient_booster"]["model"]["trees"][0];
  };
  ASSERT_GE(tree0(const_cast<json&>(model))["left_children"].size(), 3u);
  // Children out of range, a cycle back to the root, a child shared by two parents.
  EXPECT_FALSE(edited([&](json& m) { tree0(m)["left_children"][0] = 99999; }).has_value());
  EXPECT_FALSE(edited([&](json& m) { tree0(m)["right_children"][0] = 0; }).has_value());
  EXPECT_FALSE(edited([&](json& m) {
                 tree0(m)["right_children"][0] = tree0(m)["left_children"][0];
               }).has_value());
  EXPECT_FALSE(edited([&](json& m) { tree0(m)["left_children"][0] = -1; }).has_value());
  // Children not allocated together: XGBoost's predictor would take left + 1 as the right child.
  EXPECT_FALSE(edited([&](json& m) {
                 json& t = tree0(m);
                 std::swap(t["left_children"][0], t["right_children"][0]);
               }).has_value());
  // Arrays of different lengths, a split on a feature the model does not have, a tree count
  // that disagrees, a wrong type, a tree in a group that does not exist.
  EXPECT_FALSE(edited([&](json& m) { tree0(m)["split_conditions"].erase(0); }).has_value());
  EXPECT_FALSE(edited([&](json& m) { tree0(m)["split_indices"][0] = 4; }).has_value());
  EXPECT_FALSE(edited([&](json& m) {
                 m["learner"]["gradient_booster"]["model"]["gbtree_model_param"]["num_trees"] = "7";
               }).has_value());
  EXPECT_FALSE(edited([&](json& m) { tree0(m)["split_conditions"][0] = "x"; }).has_value());
  EXPECT_FALSE(edited([&](json& m) {
                 m["learner"]["gradient_booster"]["model"]["tree_info"][0] = 1;
               }).has_value());
  EXPECT_FALSE(edited([&](json& m) {
                 m["learner"]["learner_model_param"]["base_score"] = "half";
               }).has_value());
}

}  // namespace
}  // namespace mloop
