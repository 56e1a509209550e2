#include "mloop/train/xgboost/xgboost_estimator.h"

#include <xgboost/c_api.h>
#include <xxhash.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <span>

#include "mloop/core/column.h"
#include "mloop/core/error.h"
#include "mloop/core/parallel.h"
#include "mloop/core/strings.h"
#include "mloop/train/xgboost/tree_ensemble.h"

namespace mloop {

namespace {

// XGBoost's last error without what is only for its developers: the "[09:18:11]
// ./src/data/data.cc:1104: " prefix and the "Stack trace:" with library addresses.
std::string LastXGBoostError() {
  std::string e = XGBGetLastError();
  const size_t trace = e.find("Stack trace:");
  if (trace != std::string::npos) e.erase(trace);
  if (!e.empty() && e[0] == '[') {  // "[hh:mm:ss] file:line: message"
    const size_t close = e.find("] ");
    const size_t colon = close == std::string::npos ? close : e.find(": ", close + 2);
    if (colon != std::string::npos) e.erase(0, colon + 2);
  }
  while (!e.empty() && std::isspace(static_cast<unsigned char>(e.back()))) e.pop_back();
  return e;
}

// Turns a failed C API call into an mloop::Error with XGBoost's own message.
void Check(int rc, const char* what) {
  if (rc != 0) {
    throw Error(ErrorCode::kInvalidArgument,
                std::string("XGBoost: ") + what + " failed: " + LastXGBoostError());
  }
}

// XGBoost's parameter names (1.7): general, tree booster, linear booster, learning task.
const std::vector<std::string>& XGBoostParameterNames() {
  static const std::vector<std::string> names = {"booster",
                                                 "verbosity",
                                                 "nthread",
                                                 "disable_default_eval_metric",
                                                 "eta",
                                                 "learning_rate",
                                                 "gamma",
                                                 "min_split_loss",
                                                 "max_depth",
                                                 "min_child_weight",
                                                 "max_delta_step",
                                                 "subsample",
                                                 "sampling_method",
                                                 "colsample_bytree",
                                                 "colsample_bylevel",
                                                 "colsample_bynode",
                                                 "lambda",
                                                 "reg_lambda",
                                                 "alpha",
                                                 "reg_alpha",
                                                 "tree_method",
                                                 "sketch_eps",
                                                 "scale_pos_weight",
                                                 "updater",
                                                 "refresh_leaf",
                                                 "process_type",
                                                 "grow_policy",
                                                 "max_leaves",
                                                 "max_bin",
                                                 "predictor",
                                                 "num_parallel_tree",
                                                 "monotone_constraints",
                                                 "interaction_constraints",
                                                 "max_cat_to_onehot",
                                                 "max_cat_threshold",
                                                 "feature_selector",
                                                 "top_k",
                                                 "objective",
                                                 "base_score",
                                                 "eval_metric",
                                                 "seed",
                                                 "seed_per_iteration",
                                                 "num_class",
                                                 "tweedie_variance_power",
                                                 "huber_slope",
                                                 "quantile_alpha",
                                                 "aft_loss_distribution",
                                                 "aft_loss_distribution_scale",
                                                 "lambdarank_pair_method",
                                                 "multi_strategy",
                                                 "rate_drop",
                                                 "one_drop",
                                                 "skip_drop",
                                                 "sample_type",
                                                 "normalize_type",
                                                 "validate_parameters"};
  return names;
}

const std::vector<std::string>& MloopParameterNames() {
  static const std::vector<std::string> names = {"num_boost_round", "early_stopping_rounds"};
  return names;
}

// The objectives whose output is what mloop reads for each task: probabilities of the positive
// class, probabilities per class, or values. Others (binary:logitraw, binary:hinge,
// multi:softmax, rank:*, survival:*) give margins or labels where mloop expects these.
bool ObjectiveFits(const std::string& objective, Task task) {
  switch (task) {
    case Task::kBinary:
      return objective == "binary:logistic" || objective == "reg:logistic";
    case Task::kMulticlass:
      return objective == "multi:softprob";
    case Task::kRegression:
      return objective.rfind("reg:", 0) == 0 || objective == "count:poisson";
    default:
      return false;
  }
}

// XGBoost checks parameter values only when it first trains: one round on a 4 x 1 matrix makes
// it check them (max_depth=abc, subsample=2, tree_method=nonsense) before mloop records a run.
// The objective and what depends on the data's shape or task are left out (checked by mloop or
// at training: num_class, eval_metric, monotone and interaction constraints, feature weights).
void CheckValuesWithXGBoost(const std::map<std::string, std::string>& params) {
  static const std::set<std::string> kLeftOut = {
      "objective",  "num_class", "eval_metric", "monotone_constraints", "interaction_constraints",
      "base_score", "nthread",   "verbosity",   "validate_parameters"};
  const float x[4] = {0, 1, 2, 3};
  const float y[4] = {0, 1, 0, 1};
  DMatrixHandle d = nullptr;
  if (XGDMatrixCreateFromMat(x, 4, 1, std::numeric_limits<float>::quiet_NaN(), &d) != 0) return;
  BoosterHandle b = nullptr;
  int rc = XGDMatrixSetFloatInfo(d, "label", y, 4);
  if (rc == 0) rc = XGBoosterCreate(&d, 1, &b);
  std::string failed;
  if (rc == 0) {
    for (const auto& [key, value] : params) {
      if (!kLeftOut.count(key) && rc == 0) rc = XGBoosterSetParam(b, key.c_str(), value.c_str());
    }
    if (rc == 0) rc = XGBoosterSetParam(b, "nthread", "1");
    if (rc == 0) rc = XGBoosterSetParam(b, "verbosity", "0");
    if (rc == 0) rc = XGBoosterUpdateOneIter(b, 0, d);
    if (rc != 0) failed = LastXGBoostError();
  }
  if (b) XGBoosterFree(b);
  XGDMatrixFree(d);
  if (!failed.empty()) {
    throw InvalidArgument("XGBoost refuses the parameters: " + failed,
                          "see XGBoost's parameter documentation for the valid values");
  }
}

int ParseInt(const std::string& key, const std::string& value, int min) {
  try {
    size_t used = 0;
    long v = std::stol(value, &used);
    if (used == value.size() && v >= min && v <= 1000000) return static_cast<int>(v);
  } catch (const std::exception&) {
  }
  throw InvalidArgument("parameter " + key + " must be a whole number >= " + std::to_string(min) +
                        ", not '" + value + "'");
}

// "<f8" array interface (version 3) for `n` values of a row-major rows x cols double array.
std::string ArrayInterface(const double* data, int64_t rows, int64_t cols) {
  nlohmann::json j;
  j["data"] = {reinterpret_cast<uintptr_t>(data), true};
  j["shape"] = cols > 0 ? nlohmann::json{rows, cols} : nlohmann::json{rows};
  j["typestr"] = "<f8";
  j["version"] = 3;
  return j.dump();
}

// Whether a value of `x` is infinite as float32 (a double beyond float's range included).
// XGBoost's DMatrix refuses such data ("Input data contains `inf`"); Predict leaves the error to
// it rather than predicting what XGBoost would not.
bool HasInfinity(const DenseMatrix& x) {
  bool any = false;
  for (double v : x.data) any |= std::fabs(static_cast<float>(v)) == HUGE_VALF;
  return any;
}

// Owns a DMatrix handle.
class DMatrix {
 public:
  // A plain DMatrix: XGBoost copies the rows into its own sparse pages.
  DMatrix(const DenseMatrix& x, const std::vector<std::string>& names, int threads) {
    std::vector<float> values(x.data.size());
    for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(x.data[i]);
    Check(XGDMatrixCreateFromMat_omp(values.data(), static_cast<bst_ulong>(x.rows),
                                     static_cast<bst_ulong>(x.cols),
                                     std::numeric_limits<float>::quiet_NaN(), &handle_, threads),
          "creating the training matrix");
    SetNames(names);
  }

  // A quantile DMatrix for the hist tree method: XGBoost sketches the doubles in place and keeps
  // only their bin indices (one byte per value for up to 256 bins), never a copy of the values.
  // `ref` (the training matrix) supplies the bin boundaries for a validation matrix.
  DMatrix(const DenseMatrix& x, const std::vector<std::string>& names, int threads, int max_bin,
          const DMatrix* ref) {
    DMatrixHandle proxy = nullptr;
    Check(XGProxyDMatrixCreate(&proxy), "creating a proxy matrix");
    struct Batches {
      const DenseMatrix* x;
      DMatrixHandle proxy;
      std::string interface;
      bool done = false;
    } it{&x, proxy, ArrayInterface(x.data.data(), x.rows, x.cols)};
    auto reset = [](DataIterHandle h) { static_cast<Batches*>(h)->done = false; };
    auto next = [](DataIterHandle h) -> int {
      auto* b = static_cast<Batches*>(h);
      if (b->done) return 0;
      b->done = true;
      return XGProxyDMatrixSetDataDense(b->proxy, b->interface.c_str()) == 0 ? 1 : 0;
    };
    const std::string config = R"({"missing": NaN, "nthread": )" + std::to_string(threads) +
                               R"(, "max_bin": )" + std::to_string(max_bin) + "}";
    int rc = XGQuantileDMatrixCreateFromCallback(&it, proxy, ref ? ref->get() : nullptr, reset,
                                                 next, config.c_str(), &handle_);
    XGDMatrixFree(proxy);
    Check(rc, "creating the training matrix");
    SetNames(names);
  }

  ~DMatrix() { XGDMatrixFree(handle_); }
  DMatrix(const DMatrix&) = delete;
  DMatrix& operator=(const DMatrix&) = delete;
  DMatrixHandle get() const { return handle_; }

  void SetFloats(const char* field, std::span<const double> v) {
    if (v.empty()) return;
    std::vector<float> f(v.begin(), v.end());
    Check(XGDMatrixSetFloatInfo(handle_, field, f.data(), f.size()), "setting labels");
  }

 private:
  void SetNames(const std::vector<std::string>& names) {
    if (names.empty()) return;
    std::vector<const char*> ptrs;
    for (const auto& n : names) ptrs.push_back(n.c_str());
    Check(XGDMatrixSetStrFeatureInfo(handle_, "feature_name", ptrs.data(), ptrs.size()),
          "setting feature names");
  }
  DMatrixHandle handle_ = nullptr;
};

class XGBoostEstimator : public Estimator {
 public:
  explicit XGBoostEstimator(bool random_forest) : random_forest_(random_forest) {
    if (random_forest_) {
      params_ = {{"num_parallel_tree", "100"},
                 {"subsample", "0.8"},
                 {"colsample_bynode", "0.8"},
                 {"learning_rate", "1"}};
      num_boost_round_ = 1;
    }
  }
  ~XGBoostEstimator() override { ForgetModel(); }

  std::string_view name() const override { return random_forest_ ? "random_forest" : "xgboost"; }
  bool Supports(Task task) const override { return task != Task::kClustering; }

  void SetParams(const std::map<std::string, std::string>& params) override {
    std::vector<std::string> valid = XGBoostParameterNames();
    valid.insert(valid.end(), MloopParameterNames().begin(), MloopParameterNames().end());
    // XGBoost's aliases name one parameter: a user's `eta` replaces random_forest's default
    // `learning_rate` (else XGBoost, given both, applied the default), and both at once is a
    // contradiction.
    static const std::vector<std::vector<std::string>> kAliases = {{"eta", "learning_rate"},
                                                                   {"gamma", "min_split_loss"},
                                                                   {"lambda", "reg_lambda"},
                                                                   {"alpha", "reg_alpha"}};
    for (const auto& group : kAliases) {
      std::vector<std::string> given;
      for (const auto& name : group) {
        if (params.count(name)) given.push_back(name);
      }
      if (given.size() > 1) {
        throw InvalidArgument(given[0] + " and " + given[1] + " are one XGBoost parameter",
                              "give one of them");
      }
      if (given.size() == 1) {
        for (const auto& name : group) {
          if (name != given[0]) params_.erase(name);
        }
      }
    }
    for (const auto& [key, value] : params) {
      if (key == "num_boost_round") {
        num_boost_round_ = ParseInt(key, value, 1);
      } else if (key == "early_stopping_rounds") {
        early_stopping_rounds_ = ParseInt(key, value, 1);
      } else if (std::find(valid.begin(), valid.end(), key) != valid.end()) {
        params_[key] = value;
      } else {
        throw InvalidArgument(
            "unknown " + std::string(name()) + " parameter '" + key + "'" + DidYouMean(key, valid),
            "parameters use XGBoost's names (max_depth, eta, subsample, ...) "
            "plus num_boost_round and early_stopping_rounds");
      }
    }
    if (params_.count("num_class")) {
      throw InvalidArgument("num_class is set by mloop from the target's classes",
                            "leave it out: mloop passes the number of classes of the data");
    }
    if (auto it = params_.find("objective"); it != params_.end()) {
      if (!ObjectiveFits(it->second, Task::kBinary) &&
          !ObjectiveFits(it->second, Task::kMulticlass) &&
          !ObjectiveFits(it->second, Task::kRegression)) {
        throw InvalidArgument(
            "objective '" + it->second + "' is not one mloop trains with",
            "binary: binary:logistic or reg:logistic; multiclass: multi:softprob; "
            "regression: "
            "reg:* (squarederror, absoluteerror, gamma, tweedie, ...) or "
            "count:poisson");
      }
    }
    if (!params_.empty()) CheckValuesWithXGBoost(params_);
  }

  void Fit(const FitInput& in) override {
    if (!Supports(in.task)) {
      throw InvalidArgument(std::string(name()) + " cannot do " + std::string(TaskName(in.task)));
    }
    if (early_stopping_rounds_ > 0 && !in.valid_x) {
      throw InvalidArgument("early_stopping_rounds needs validation data",
                            "give --valid DATASET or --split");
    }
    if (auto it = params_.find("objective");
        it != params_.end() && !ObjectiveFits(it->second, in.task)) {
      throw InvalidArgument("objective '" + it->second + "' does not fit a " +
                                std::string(TaskName(in.task)) + " target",
                            in.task == Task::kBinary       ? "use binary:logistic (the default)"
                            : in.task == Task::kMulticlass ? "use multi:softprob (the default)"
                                                           : "use a reg:* objective");
    }
    task_ = in.task;
    num_classes_ = in.num_classes;
    num_features_ = in.x->cols;
    feature_names_ = in.feature_names;
    const int threads = in.threads > 0 ? in.threads : DefaultThreads();
    std::map<std::string, std::string> p = params_;
    if (!p.count("objective")) {
      p["objective"] = task_ == Task::kBinary       ? "binary:logistic"
                       : task_ == Task::kMulticlass ? "multi:softprob"
                                                    : "reg:squarederror";
    }
    if (task_ == Task::kMulticlass) p["num_class"] = std::to_string(num_classes_);
    if (!p.count("nthread")) p["nthread"] = std::to_string(threads);
    if (!p.count("seed")) p["seed"] = std::to_string(in.seed);
    if (!p.count("verbosity")) p["verbosity"] = "0";
    if (!p.count("validate_parameters")) p["validate_parameters"] = "1";
    const bool trees = !p.count("booster") || p["booster"] != "gblinear";
    // Histogram trees by default, as in XGBoost 2.0 (1.7 picks exact or approx by data size).
    if (trees && !p.count("tree_method")) p["tree_method"] = "hist";
    const bool quantile = trees && p.count("tree_method") && p["tree_method"] == "hist";
    const int max_bin = p.count("max_bin") ? ParseInt("max_bin", p["max_bin"], 2) : 256;

    auto make = [&](const DenseMatrix& x, const DMatrix* ref) {
      return quantile ? std::make_unique<DMatrix>(x, feature_names_, threads, max_bin, ref)
                      : std::make_unique<DMatrix>(x, feature_names_, threads);
    };
    std::unique_ptr<DMatrix> train = make(*in.x, nullptr);
    train->SetFloats("label", in.y);
    train->SetFloats("weight", in.weight);
    std::unique_ptr<DMatrix> valid;
    std::vector<DMatrixHandle> handles{train->get()};
    std::vector<const char*> names{"train"};
    if (in.valid_x) {
      valid = make(*in.valid_x, train.get());
      valid->SetFloats("label", in.valid_y);
      handles.push_back(valid->get());
      names.push_back("valid");
    }
    ForgetModel();
    Check(XGBoosterCreate(handles.data(), handles.size(), &booster_), "creating the booster");
    for (const auto& [k, v] : p) {
      Check(XGBoosterSetParam(booster_, k.c_str(), v.c_str()), ("setting " + k).c_str());
    }
    resolved_params_ = p;

    double best = 0;
    int best_iter = -1;
    bool minimise = true;
    // Evaluating a round costs XGBoost a prediction transform and a metric over every row (about
    // a quarter of a round of depth-8 trees on 1M rows): only when someone reads the result.
    const bool evaluate = in.on_iteration || early_stopping_rounds_ > 0;
    for (int iter = 0; iter < num_boost_round_; ++iter) {
      if (in.cancel && in.cancel->load(std::memory_order_relaxed)) {
        throw TrainingStopped("interrupted");
      }
      Check(XGBoosterUpdateOneIter(booster_, iter, train->get()), "training a round");
      if (!evaluate) continue;
      const char* eval = nullptr;
      Check(
          XGBoosterEvalOneIter(booster_, iter, handles.data(), names.data(), handles.size(), &eval),
          "evaluating a round");
      IterationLog log = ParseEval(iter, eval);
      bool stop = false;
      if (early_stopping_rounds_ > 0) {
        // The last validation metric decides, as in Python's xgboost.
        auto it = std::find_if(log.metrics.rbegin(), log.metrics.rend(),
                               [](const auto& kv) { return kv.first.rfind("valid-", 0) == 0; });
        if (it != log.metrics.rend()) {
          minimise = !(it->first.find("auc") != std::string::npos ||
                       it->first.find("map") != std::string::npos ||
                       it->first.find("ndcg") != std::string::npos);
          double v = it->second;
          if (best_iter < 0 || (minimise ? v < best : v > best)) {
            best = v;
            best_iter = iter;
          } else if (iter - best_iter >= early_stopping_rounds_) {
            stop = true;
          }
        }
      }
      log.last = stop || iter + 1 == num_boost_round_;
      if (in.on_iteration) in.on_iteration(log);
      if (stop) break;
    }
    // Feature names in the saved model, so that Python's xgboost shows them too.
    if (!feature_names_.empty()) {
      std::vector<const char*> ptrs;
      for (const auto& n : feature_names_) ptrs.push_back(n.c_str());
      Check(XGBoosterSetStrFeatureInfo(booster_, "feature_name", ptrs.data(), ptrs.size()),
            "recording feature names");
    }
    if (early_stopping_rounds_ > 0 && best_iter >= 0) {
      BoosterHandle sliced = nullptr;
      Check(XGBoosterSlice(booster_, 0, best_iter + 1, 1, &sliced), "keeping the best rounds");
      XGBoosterFree(booster_);
      booster_ = sliced;
      best_iteration_ = best_iter;
    }
    // XGBoost predicted with the booster's nthread; the compiled ensemble uses as many.
    predict_threads_ = threads;
    try {
      const int n = std::stoi(p["nthread"]);
      predict_threads_ = n > 0 ? n : DefaultThreads();  // XGBoost's 0: every core
    } catch (const std::exception&) {
    }
    CompileEnsemble();
  }

  DenseMatrix Predict(const DenseMatrix& x) const override {
    const int64_t cols = task_ == Task::kMulticlass ? num_classes_ : 1;
    if (ensemble_ && ensemble_->num_outputs() == cols && x.cols == num_features_ &&
        !HasInfinity(x)) {
      DenseMatrix out;
      // Threads pay off from about a thousand rows; below that, the calling thread alone (a
      // server predicts small batches from many threads at once).
      ensemble_->Predict(x, &out, x.rows >= 1024 ? predict_threads_ : 1);
      return out;
    }
    return PredictWithXGBoost(x);
  }

  // XGBoost's own prediction, whatever the compiled ensemble.
  DenseMatrix PredictWithXGBoost(const DenseMatrix& x) const {
    return Run(x, 0, task_ == Task::kMulticlass ? num_classes_ : 1, "predicting");
  }

  const TreeEnsemble* ensemble() const { return ensemble_ ? &*ensemble_ : nullptr; }

  DenseMatrix Contributions(const DenseMatrix& x) const override {
    // Type 2: SHAP contributions (TreeSHAP), one column per feature plus the bias; for
    // multiclass one such block per class (XGBoost's rows x classes x (features + 1) order).
    const int64_t blocks = task_ == Task::kMulticlass ? num_classes_ : 1;
    return Run(x, 2, blocks * (num_features_ + 1), "computing contributions");
  }

  void SetPredictThreads(int threads) override {
    predict_threads_ = threads > 0 ? threads : DefaultThreads();
  }

  std::string SaveModel() const override {
    {
      std::lock_guard lock(booster_mu_);
      if (!deferred_json_.empty()) return deferred_json_;  // exactly what was loaded
    }
    BoosterHandle booster = Booster();
    bst_ulong len = 0;
    const char* buf = nullptr;
    Check(XGBoosterSaveModelToBuffer(booster, R"({"format": "json"})", &len, &buf),
          "saving the model");
    return std::string(buf, len);
  }

  void LoadModel(std::string_view json) override {
    ForgetModel();
    predict_threads_ = DefaultThreads();
    if (!probe_digest_.empty()) {
      // The configuration holds the digest of XGBoost's predictions on the ensemble's probe
      // rows when the model was saved: if this build's compilation of this JSON predicts the
      // same bits there, XGBoost's own copy waits until something needs it (contributions,
      // importance, data the ensemble does not take). Loading the booster costs three times
      // the compilation.
      std::optional<TreeEnsemble> e = TreeEnsemble::FromXgboostJson(json);
      if (e && ProbeDigest(*e) == probe_digest_) {
        ensemble_ = std::move(e);
        num_features_ = ensemble_->num_features();
        deferred_json_ = std::string(json);
        return;
      }
    }
    Check(XGBoosterCreate(nullptr, 0, &booster_), "creating the booster");
    Check(XGBoosterLoadModelFromBuffer(booster_, json.data(), json.size()), "loading the model");
    bst_ulong n = 0;
    Check(XGBoosterGetNumFeature(booster_, &n), "reading the feature count");
    num_features_ = static_cast<int64_t>(n);
    CompileEnsemble(json);
  }

  std::string SaveConfig() const override {
    nlohmann::json j;
    j["algorithm"] = name();
    j["task"] = TaskName(task_);
    j["num_classes"] = num_classes_;
    j["num_features"] = num_features_;
    j["feature_names"] = feature_names_;
    j["params"] = resolved_params_.empty() ? params_ : resolved_params_;
    j["num_boost_round"] = num_boost_round_;
    j["early_stopping_rounds"] = early_stopping_rounds_;
    if (best_iteration_ >= 0) j["best_iteration"] = best_iteration_;
    if (ensemble_) j["ensemble_probe_xxh3"] = ProbeDigest(*ensemble_);
    return j.dump();
  }

  void LoadConfig(std::string_view json) override {
    try {
      auto j = nlohmann::json::parse(json);
      std::string task = j.at("task").get<std::string>();
      task_ = task == "binary"       ? Task::kBinary
              : task == "multiclass" ? Task::kMulticlass
                                     : Task::kRegression;
      num_classes_ = j.at("num_classes").get<int>();
      num_features_ = j.at("num_features").get<int64_t>();
      feature_names_ = j.at("feature_names").get<std::vector<std::string>>();
      params_ = j.at("params").get<std::map<std::string, std::string>>();
      resolved_params_ = params_;
      num_boost_round_ = j.at("num_boost_round").get<int>();
      early_stopping_rounds_ = j.at("early_stopping_rounds").get<int>();
      best_iteration_ = j.value("best_iteration", -1);
      probe_digest_ = j.value("ensemble_probe_xxh3", std::string());
    } catch (const nlohmann::json::exception& e) {
      throw Corruption(std::string("xgboost configuration is not valid: ") + e.what());
    }
  }

  std::vector<double> FeatureImportance() const override {
    if (num_features_ == 0 || !HasModel()) return {};
    BoosterHandle booster = Booster();
    bst_ulong n_features = 0, out_dim = 0;
    const char** features = nullptr;
    const bst_ulong* shape = nullptr;
    const float* scores = nullptr;
    // Trees: the average gain of a feature's splits. A linear booster has no splits: the size
    // of its coefficients (XGBoost's "weight" for gblinear), summed over classes.
    const auto& params = resolved_params_.empty() ? params_ : resolved_params_;
    const auto booster_param = params.find("booster");
    const bool linear = booster_param != params.end() && booster_param->second == "gblinear";
    Check(
        XGBoosterFeatureScore(
            booster, linear ? R"({"importance_type": "weight"})" : R"({"importance_type": "gain"})",
            &n_features, &features, &out_dim, &shape, &scores),
        "computing feature importance");
    // Scores per feature, or per feature and class ([features, classes]) for a linear booster.
    const bst_ulong per_feature = out_dim == 2 ? shape[1] : 1;
    std::vector<double> out(static_cast<size_t>(num_features_), 0.0);
    for (bst_ulong i = 0; i < n_features; ++i) {
      std::string f = features[i];
      auto it = std::find(feature_names_.begin(), feature_names_.end(), f);
      size_t idx;
      if (it != feature_names_.end()) {
        idx = static_cast<size_t>(it - feature_names_.begin());
      } else if (f.size() > 1 && f[0] == 'f') {
        idx = std::stoul(f.substr(1));
      } else {
        continue;
      }
      if (idx >= out.size()) continue;
      double score = 0;
      for (bst_ulong c = 0; c < per_feature; ++c) {
        score += linear ? std::fabs(scores[i * per_feature + c]) : scores[i * per_feature + c];
      }
      out[idx] = score;
    }
    return out;
  }

 private:
  bool HasModel() const {
    std::lock_guard lock(booster_mu_);
    return booster_ || !deferred_json_.empty();
  }

  // XXH3-64 (hex) of the ensemble's predictions on its 64 probe rows: what LoadModel compares
  // with the configuration's `ensemble_probe_xxh3`, saved when those predictions were XGBoost's.
  static std::string ProbeDigest(const TreeEnsemble& e) {
    DenseMatrix out;
    e.Predict(e.ProbeRows(64), &out, 1);
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx",
                  static_cast<unsigned long long>(
                      XXH3_64bits(out.data.data(), out.data.size() * sizeof(double))));
    return hex;
  }

  // The booster, loaded now from the deferred JSON if LoadModel left it. Its first prediction
  // (which configures XGBoost's learner) runs here too, under the lock, so that threads calling
  // XGBoost at once find it configured.
  BoosterHandle Booster() const {
    std::lock_guard lock(booster_mu_);
    if (!booster_ && !deferred_json_.empty()) {
      BoosterHandle b = nullptr;
      Check(XGBoosterCreate(nullptr, 0, &b), "creating the booster");
      if (XGBoosterLoadModelFromBuffer(b, deferred_json_.data(), deferred_json_.size()) != 0) {
        const std::string error = LastXGBoostError();
        XGBoosterFree(b);
        throw Corruption("XGBoost cannot load the model it saved: " + error);
      }
      booster_ = b;
      DMatrix one(DenseMatrix(1, num_features_, std::numeric_limits<double>::quiet_NaN()),
                  feature_names_, 1);
      const bst_ulong* shape = nullptr;
      bst_ulong dim = 0;
      const float* result = nullptr;
      Check(XGBoosterPredictFromDMatrix(b, one.get(), PredictConfig(0).c_str(), &shape, &dim,
                                        &result),
            "predicting");
    }
    if (!booster_) throw FailedPrecondition("the model is not trained");
    return booster_;
  }

  // Drops the model in every form (booster, deferred JSON, compiled ensemble): before a Fit or
  // LoadModel replaces it, and on destruction.
  void ForgetModel() {
    std::lock_guard lock(booster_mu_);
    if (booster_) XGBoosterFree(booster_);
    booster_ = nullptr;
    deferred_json_.clear();
    ensemble_.reset();
  }

  // XGBoosterPredictFromDMatrix's configuration for prediction `type` (0: values, 2:
  // contributions), every tree.
  static std::string PredictConfig(int type) {
    return R"({"type": )" + std::to_string(type) +
           R"(, "training": false, "iteration_begin": 0, "iteration_end": 0, )"
           R"("strict_shape": false})";
  }

  // XGBoost refuses a whole matrix holding an infinite float ("Input data contains `inf`"):
  // name the first such value instead, as bad input (DataError).
  void RequireNoFloatInfinity(const DenseMatrix& x) const {
    if (!HasInfinity(x)) return;
    for (int64_t r = 0; r < x.rows; ++r) {
      for (int64_t c = 0; c < x.cols; ++c) {
        const double v = x.at(r, c);
        if (std::fabs(static_cast<float>(v)) != HUGE_VALF) continue;
        const std::string feature = c < static_cast<int64_t>(feature_names_.size())
                                        ? feature_names_[c]
                                        : "f" + std::to_string(c);
        throw DataError(
            RowMessage(r + 1, "feature '" + feature + "': " + FormatDouble(v) +
                                  (std::isinf(v) ? " is infinite" : " is beyond float32's range") +
                                  "; XGBoost models take finite float32 values"),
            "send a finite number within +-3.4e38, or a missing value");
      }
    }
  }

  // XGBoost's prediction of `type` (0: values, 2: contributions) for every row of `x`, as an
  // n x `cols` matrix.
  DenseMatrix Run(const DenseMatrix& x, int type, int64_t cols, const char* what) const {
    BoosterHandle booster = Booster();
    if (x.cols != num_features_) {
      throw InvalidArgument("the model takes " + std::to_string(num_features_) +
                            " features, the data has " + std::to_string(x.cols));
    }
    RequireNoFloatInfinity(x);
    DMatrix d(x, feature_names_, 1);
    const std::string config = PredictConfig(type);
    const bst_ulong* shape = nullptr;
    bst_ulong dim = 0;
    const float* result = nullptr;
    Check(XGBoosterPredictFromDMatrix(booster, d.get(), config.c_str(), &shape, &dim, &result),
          what);
    DenseMatrix out(x.rows, cols);
    for (size_t i = 0; i < out.data.size(); ++i) out.data[i] = result[i];
    return out;
  }

  // Compiles XGBoost's own JSON of the current booster into ensemble_, when the model is one
  // TreeEnsemble evaluates, and keeps it only if it agrees bit for bit with XGBoost on probe rows
  // (a guard against any model detail the compiler reads differently from XGBoost). `loaded`:
  // the JSON the booster was just loaded from, compiled as it is (saving the booster again only
  // to parse the same model costs as much as the compilation); empty, or not XGBoost's JSON
  // model: the booster's own JSON.
  void CompileEnsemble(std::string_view loaded = {}) {
    ensemble_.reset();
    std::optional<TreeEnsemble> e;
    if (!loaded.empty()) e = TreeEnsemble::FromXgboostJson(loaded);
    if (!e) e = TreeEnsemble::FromXgboostJson(SaveModel());
    if (!e || e->num_features() != num_features_) return;
    DenseMatrix probe = e->ProbeRows(64);
    DenseMatrix mine;
    e->Predict(probe, &mine, 1);
    DenseMatrix theirs;
    try {
      theirs = Run(probe, 0, e->num_outputs(), "predicting");
    } catch (const Error&) {
      return;  // XGBoost's own path reports whatever this is when Predict is called
    }
    for (size_t i = 0; i < mine.data.size(); ++i) {
      if (std::memcmp(&mine.data[i], &theirs.data[i], sizeof(double)) != 0) return;
    }
    ensemble_ = std::move(e);
  }

  // "[3]\ttrain-logloss:0.31\tvalid-logloss:0.35" -> {train-logloss: 0.31, ...}
  static IterationLog ParseEval(int iter, const char* text) {
    IterationLog log;
    log.iteration = iter;
    std::string s(text ? text : "");
    size_t pos = s.find('\t');
    while (pos != std::string::npos) {
      size_t next = s.find('\t', pos + 1);
      std::string item = s.substr(pos + 1, next == std::string::npos ? next : next - pos - 1);
      size_t colon = item.rfind(':');
      if (colon != std::string::npos) {
        try {
          log.metrics[item.substr(0, colon)] = std::stod(item.substr(colon + 1));
        } catch (const std::exception&) {
        }
      }
      pos = next;
    }
    return log;
  }

  bool random_forest_;
  std::map<std::string, std::string> params_;
  std::map<std::string, std::string> resolved_params_;
  int num_boost_round_ = 100;
  int early_stopping_rounds_ = 0;
  int best_iteration_ = -1;
  Task task_ = Task::kBinary;
  int num_classes_ = 2;
  int64_t num_features_ = 0;
  std::vector<std::string> feature_names_;
  // XGBoost's booster. After a LoadModel that deferred it, null with the JSON in deferred_json_
  // until Booster() first needs it (from any thread: booster_mu_).
  mutable BoosterHandle booster_ = nullptr;
  mutable std::string deferred_json_;  // kept: SaveModel gives back exactly what was loaded
  mutable std::mutex booster_mu_;
  std::string probe_digest_;              // from the configuration: see LoadModel
  std::optional<TreeEnsemble> ensemble_;  // Predict's engine when set (see the header)
  int predict_threads_ = 1;
};

}  // namespace

std::unique_ptr<Estimator> MakeXGBoost() {
  return std::make_unique<XGBoostEstimator>(false);
}
std::unique_ptr<Estimator> MakeRandomForest() {
  return std::make_unique<XGBoostEstimator>(true);
}

namespace {
const XGBoostEstimator& AsXGBoost(const Estimator& estimator) {
  const auto* e = dynamic_cast<const XGBoostEstimator*>(&estimator);
  if (!e) {
    throw InvalidArgument(std::string(estimator.name()) + " is not an XGBoost estimator");
  }
  return *e;
}
}  // namespace

DenseMatrix PredictWithXGBoost(const Estimator& estimator, const DenseMatrix& x) {
  return AsXGBoost(estimator).PredictWithXGBoost(x);
}

const TreeEnsemble* CompiledEnsemble(const Estimator& estimator) {
  return AsXGBoost(estimator).ensemble();
}

}  // namespace mloop
