// mloop_tune_bench: mloop's tuning samplers on fixed benchmark objectives, driven in process
// through the library's Study ask/tell loop; bench/tune_vs_optuna.sh runs it beside Optuna
// (bench/peers/optuna_tune.py, the same objectives, spaces and budgets).
//
//   mloop_tune_bench --objective OBJ --strategy S [--seeds N | --seed K] [--trials 100]
//                    [--data bc.csv] [--rounds 100]
//     One JSON line per (objective, strategy, seed): the best value after 25, 50 and 100 trials
//     (the checkpoints up to --trials), the sampler's time per trial (time inside Study::Ask
//     only) and the wall time. Seeds are 0 .. N-1, or K alone.
//   mloop_tune_bench --suggest-timing [--strategy bayesian] [--trials 200] [--params 10] [--seed 0]
//     Times every Ask of a study on the Ackley function in `params` continuous dimensions
//     ([-32.768, 32.768]); prints the mean over asks 150..199 (0-based; each with 150..199
//     finished trials before it) and the maximum over all asks, in milliseconds.
//   mloop_tune_bench --check --data bc.csv [--rounds 100]
//     The 5-fold mean AUC of three fixed XGBoost parameter sets (optuna_tune.py --check prints
//     the same from Python's xgboost, to confirm both sides optimise the same function).
//
// Objectives (minimised unless said):
//   branin       x1 in [-5, 10], x2 in [0, 15]; optimum 0.397887
//   hartmann6    x0..x5 in [0, 1], the standard Hartmann 6-d; optimum -3.32237
//   rosenbrock4  x0..x3 in [-5, 10], sum 100 (x[i+1] - x[i]^2)^2 + (1 - x[i])^2; optimum 0
//   xgboost      maximise the mean AUC over the 5 folds of the CSV written by
//                bench/peers/breast_cancer_folds.py (columns f0..f29, label, fold): mloop's
//                xgboost estimator (hist, nthread 1, seed 0, --rounds boosting rounds) fitted on
//                4 folds, scored (roc_auc) on the 5th. Space: max_depth int [2, 10], eta log
//                [0.005, 0.5], subsample [0.5, 1], colsample_bytree [0.3, 1], min_child_weight
//                log [0.1, 20], lambda log [1e-3, 10].
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "mloop/core/matrix.h"
#include "mloop/eval/metrics.h"
#include "mloop/train/estimator.h"
#include "mloop/train/registry.h"
#include "mloop/tune/tune.h"

namespace {

using mloop::tune::Direction;
using mloop::tune::ParamSpec;
using mloop::tune::ParamType;
using mloop::tune::ParamValues;
using mloop::tune::Scale;
using mloop::tune::SearchSpace;
using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

ParamSpec Continuous(const std::string& name, double low, double high, bool log = false) {
  ParamSpec p;
  p.name = name;
  p.type = ParamType::kContinuous;
  p.scale = log ? Scale::kLog : Scale::kLinear;
  p.low = low;
  p.high = high;
  return p;
}

ParamSpec Integer(const std::string& name, double low, double high) {
  ParamSpec p = Continuous(name, low, high);
  p.type = ParamType::kInteger;
  return p;
}

double Num(const ParamValues& v, const std::string& name) {
  const auto& value = v.at(name);
  if (const auto* d = std::get_if<double>(&value)) return *d;
  return static_cast<double>(std::get<int64_t>(value));
}

// ---- Synthetic objectives -------------------------------------------------------------------

double Branin(double x1, double x2) {
  const double b = 5.1 / (4 * M_PI * M_PI), c = 5 / M_PI, t = 1 / (8 * M_PI);
  const double u = x2 - b * x1 * x1 + c * x1 - 6;
  return u * u + 10 * (1 - t) * std::cos(x1) + 10;
}

double Hartmann6(const std::vector<double>& x) {
  static const double kAlpha[4] = {1.0, 1.2, 3.0, 3.2};
  static const double kA[4][6] = {{10, 3, 17, 3.5, 1.7, 8},
                                  {0.05, 10, 17, 0.1, 8, 14},
                                  {3, 3.5, 1.7, 10, 17, 8},
                                  {17, 8, 0.05, 10, 0.1, 14}};
  static const double kP[4][6] = {{1312, 1696, 5569, 124, 8283, 5886},
                                  {2329, 4135, 8307, 3736, 1004, 9991},
                                  {2348, 1451, 3522, 2883, 3047, 6650},
                                  {4047, 8828, 8732, 5743, 1091, 381}};
  double f = 0;
  for (int i = 0; i < 4; ++i) {
    double s = 0;
    for (int j = 0; j < 6; ++j) {
      const double d = x[j] - 1e-4 * kP[i][j];
      s += kA[i][j] * d * d;
    }
    f -= kAlpha[i] * std::exp(-s);
  }
  return f;
}

double Rosenbrock(const std::vector<double>& x) {
  double f = 0;
  for (size_t i = 0; i + 1 < x.size(); ++i) {
    const double a = x[i + 1] - x[i] * x[i], b = 1 - x[i];
    f += 100 * a * a + b * b;
  }
  return f;
}

double Ackley(const std::vector<double>& x) {
  double sq = 0, cs = 0;
  for (double v : x) {
    sq += v * v;
    cs += std::cos(2 * M_PI * v);
  }
  const double n = static_cast<double>(x.size());
  return -20 * std::exp(-0.2 * std::sqrt(sq / n)) - std::exp(cs / n) + 20 + M_E;
}

std::vector<double> Vector(const ParamValues& v, const std::string& prefix, int n) {
  std::vector<double> x(n);
  for (int i = 0; i < n; ++i) x[i] = Num(v, prefix + std::to_string(i));
  return x;
}

// ---- XGBoost on breast cancer ---------------------------------------------------------------

struct Folds {
  mloop::DenseMatrix x;
  std::vector<double> y;
  std::vector<int> fold;
};

// Reads the numeric CSV of breast_cancer_folds.py: a header, then numbers only.
Folds ReadFolds(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::string line;
  std::getline(in, line);
  std::vector<std::string> header;
  {
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) header.push_back(cell);
  }
  const int cols = static_cast<int>(header.size());
  if (cols < 3 || header[cols - 2] != "label" || header[cols - 1] != "fold") {
    throw std::runtime_error(path + ": expected the columns f0.., label, fold");
  }
  std::vector<double> values;
  Folds f;
  int64_t rows = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const char* p = line.c_str();
    for (int c = 0; c < cols; ++c) {
      char* end = nullptr;
      const double v = std::strtod(p, &end);
      if (end == p)
        throw std::runtime_error(path + ": not a number in row " + std::to_string(rows));
      if (c < cols - 2) values.push_back(v);
      if (c == cols - 2) f.y.push_back(v);
      if (c == cols - 1) f.fold.push_back(static_cast<int>(v));
      p = *end == ',' ? end + 1 : end;
    }
    ++rows;
  }
  f.x = mloop::DenseMatrix(rows, cols - 2);
  std::copy(values.begin(), values.end(), f.x.data.begin());
  return f;
}

// The rows of `f` in fold k (in == true) or in every other fold.
void Select(const Folds& f, int k, bool in, mloop::DenseMatrix& x, std::vector<double>& y) {
  int64_t n = 0;
  for (int v : f.fold) n += (v == k) == in;
  x = mloop::DenseMatrix(n, f.x.cols);
  y.clear();
  int64_t r = 0;
  for (int64_t i = 0; i < f.x.rows; ++i) {
    if ((f.fold[i] == k) != in) continue;
    std::copy(f.x.row(i), f.x.row(i) + f.x.cols, x.row(r++));
    y.push_back(f.y[i]);
  }
}

std::string Text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  return buf;
}

class CrossValidation {
 public:
  CrossValidation(const Folds& f, int rounds) : rounds_(rounds) {
    for (int k = 0; k < 5; ++k) {
      Split s;
      Select(f, k, false, s.train_x, s.train_y);
      Select(f, k, true, s.test_x, s.test_y);
      splits_.push_back(std::move(s));
    }
  }

  // The mean AUC over the five folds for XGBoost parameters `p` (XGBoost's names).
  double MeanAuc(const std::map<std::string, std::string>& p) const {
    double sum = 0;
    for (const Split& s : splits_) {
      auto est = mloop::CreateEstimator("xgboost");
      std::map<std::string, std::string> params = p;
      params["num_boost_round"] = std::to_string(rounds_);
      params["tree_method"] = "hist";
      params["nthread"] = "1";
      params["seed"] = "0";
      est->SetParams(params);
      mloop::FitInput in;
      in.x = &s.train_x;
      in.y = s.train_y;
      in.task = mloop::Task::kBinary;
      in.seed = 0;
      in.threads = 1;
      est->Fit(in);
      mloop::DenseMatrix proba = est->Predict(s.test_x);
      mloop::EvalInputs ev;
      ev.y_true = s.test_y;
      ev.y_score = std::span<const double>(proba.data.data(), proba.data.size());
      sum += mloop::ComputeMetric("roc_auc", ev);
    }
    return sum / static_cast<double>(splits_.size());
  }

 private:
  struct Split {
    mloop::DenseMatrix train_x, test_x;
    std::vector<double> train_y, test_y;
  };
  std::vector<Split> splits_;
  int rounds_;
};

std::map<std::string, std::string> XgbParams(const ParamValues& v) {
  return {{"max_depth", std::to_string(std::get<int64_t>(v.at("max_depth")))},
          {"eta", Text(Num(v, "eta"))},
          {"subsample", Text(Num(v, "subsample"))},
          {"colsample_bytree", Text(Num(v, "colsample_bytree"))},
          {"min_child_weight", Text(Num(v, "min_child_weight"))},
          {"lambda", Text(Num(v, "lambda"))}};
}

// ---- Objectives -----------------------------------------------------------------------------

struct Objective {
  SearchSpace space;
  Direction direction = Direction::kMinimize;
  std::function<double(const ParamValues&)> f;
};

Objective MakeObjective(const std::string& name, const std::string& data, int rounds) {
  Objective o;
  std::vector<ParamSpec> ps;
  if (name == "branin") {
    ps = {Continuous("x1", -5, 10), Continuous("x2", 0, 15)};
    o.f = [](const ParamValues& v) { return Branin(Num(v, "x1"), Num(v, "x2")); };
  } else if (name == "hartmann6") {
    for (int i = 0; i < 6; ++i) ps.push_back(Continuous("x" + std::to_string(i), 0, 1));
    o.f = [](const ParamValues& v) { return Hartmann6(Vector(v, "x", 6)); };
  } else if (name == "rosenbrock4") {
    for (int i = 0; i < 4; ++i) ps.push_back(Continuous("x" + std::to_string(i), -5, 10));
    o.f = [](const ParamValues& v) { return Rosenbrock(Vector(v, "x", 4)); };
  } else if (name == "xgboost") {
    if (data.empty()) throw std::runtime_error("--objective xgboost needs --data CSV");
    ps = {Integer("max_depth", 2, 10),
          Continuous("eta", 0.005, 0.5, true),
          Continuous("subsample", 0.5, 1),
          Continuous("colsample_bytree", 0.3, 1),
          Continuous("min_child_weight", 0.1, 20, true),
          Continuous("lambda", 1e-3, 10, true)};
    o.direction = Direction::kMaximize;
    auto cv = std::make_shared<CrossValidation>(ReadFolds(data), rounds);
    o.f = [cv](const ParamValues& v) { return cv->MeanAuc(XgbParams(v)); };
  } else {
    throw std::runtime_error("unknown objective '" + name +
                             "' (branin, hartmann6, rosenbrock4, xgboost)");
  }
  o.space = SearchSpace(std::move(ps));
  return o;
}

// One study: `trials` asks and tells; the best value at each checkpoint and the Ask time.
nlohmann::json RunStudy(const std::string& objective_name, const Objective& o,
                        const std::string& strategy, uint64_t seed, int trials) {
  mloop::tune::StopRules stop;
  stop.max_trials = trials;
  mloop::tune::Study study(o.space, o.direction, mloop::tune::MakeSampler(strategy, seed), nullptr,
                           stop);
  const bool maximise = o.direction == Direction::kMaximize;
  double best = maximise ? -INFINITY : INFINITY;
  double ask_seconds = 0, max_ask = 0;
  nlohmann::json best_at = nlohmann::json::object();
  const auto start = Clock::now();
  for (int i = 1; i <= trials; ++i) {
    const auto t0 = Clock::now();
    mloop::tune::Trial t = study.Ask();
    const double s = Seconds(t0, Clock::now());
    ask_seconds += s;
    max_ask = std::max(max_ask, s);
    const double value = o.f(t.params);
    study.Tell(t.number, mloop::tune::TrialState::kComplete, value);
    if (std::isfinite(value) && (maximise ? value > best : value < best)) best = value;
    if (i == 25 || i == 50 || i == 100 || i == trials) best_at[std::to_string(i)] = best;
  }
  return {{"side", "mloop"},
          {"objective", objective_name},
          {"strategy", strategy},
          {"seed", seed},
          {"trials", trials},
          {"best", best_at},
          {"sampler_ms_per_trial", 1e3 * ask_seconds / trials},
          {"sampler_ms_max", 1e3 * max_ask},
          {"wall_seconds", Seconds(start, Clock::now())}};
}

// Times each Ask on Ackley with `params` continuous parameters.
nlohmann::json SuggestTiming(const std::string& strategy, uint64_t seed, int trials, int params) {
  std::vector<ParamSpec> ps;
  for (int i = 0; i < params; ++i)
    ps.push_back(Continuous("x" + std::to_string(i), -32.768, 32.768));
  mloop::tune::StopRules stop;
  stop.max_trials = trials;
  mloop::tune::Study study(SearchSpace(ps), Direction::kMinimize,
                           mloop::tune::MakeSampler(strategy, seed), nullptr, stop);
  std::vector<double> ms;
  for (int i = 0; i < trials; ++i) {
    const auto t0 = Clock::now();
    mloop::tune::Trial t = study.Ask();
    ms.push_back(1e3 * Seconds(t0, Clock::now()));
    study.Tell(t.number, mloop::tune::TrialState::kComplete, Ackley(Vector(t.params, "x", params)));
  }
  const int from = std::min(150, trials - 1), to = std::min(200, trials);
  double sum = 0;
  for (int i = from; i < to; ++i) sum += ms[i];
  double total = 0, mx = 0;
  for (double v : ms) {
    total += v;
    mx = std::max(mx, v);
  }
  return {{"side", "mloop"},
          {"timing", "suggest"},
          {"strategy", strategy},
          {"seed", seed},
          {"trials", trials},
          {"params", params},
          {"mean_ms_asks_150_199", sum / (to - from)},
          {"max_ms", mx},
          {"mean_ms_all", total / trials},
          {"ms_at_ask",
           {{"50", ms[std::min(49, trials - 1)]},
            {"100", ms[std::min(99, trials - 1)]},
            {"150", ms[std::min(149, trials - 1)]},
            {"200", ms[trials - 1]}}}};
}

// Fixed parameter sets for the cross-check with Python's xgboost (optuna_tune.py --check).
const std::vector<std::map<std::string, std::string>>& CheckParams() {
  static const std::vector<std::map<std::string, std::string>> sets = {
      {{"max_depth", "6"},
       {"eta", "0.3"},
       {"subsample", "1"},
       {"colsample_bytree", "1"},
       {"min_child_weight", "1"},
       {"lambda", "1"}},
      {{"max_depth", "3"},
       {"eta", "0.05"},
       {"subsample", "0.8"},
       {"colsample_bytree", "0.5"},
       {"min_child_weight", "2.5"},
       {"lambda", "0.01"}},
      {{"max_depth", "10"},
       {"eta", "0.01"},
       {"subsample", "0.6"},
       {"colsample_bytree", "0.35"},
       {"min_child_weight", "0.2"},
       {"lambda", "5"}}};
  return sets;
}

}  // namespace

int main(int argc, char** argv) {
  std::string objective, strategy = "bayesian", data;
  int seeds = 10, single_seed = -1, trials = -1, rounds = 100, params = 10;
  bool suggest_timing = false, check = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--objective") {
      objective = next();
    } else if (a == "--strategy") {
      strategy = next();
    } else if (a == "--seeds") {
      seeds = std::stoi(next());
    } else if (a == "--seed") {
      single_seed = std::stoi(next());
    } else if (a == "--trials") {
      trials = std::stoi(next());
    } else if (a == "--data") {
      data = next();
    } else if (a == "--rounds") {
      rounds = std::stoi(next());
    } else if (a == "--params") {
      params = std::stoi(next());
    } else if (a == "--suggest-timing") {
      suggest_timing = true;
    } else if (a == "--check") {
      check = true;
    } else {
      std::fprintf(stderr,
                   "usage: %s --objective branin|hartmann6|rosenbrock4|xgboost --strategy S "
                   "[--seeds N | --seed K] [--trials 100] [--data CSV] [--rounds 100]\n"
                   "       %s --suggest-timing [--strategy bayesian] [--trials 200] "
                   "[--params 10] [--seed 0]\n"
                   "       %s --check --data CSV [--rounds 100]\n",
                   argv[0], argv[0], argv[0]);
      return 2;
    }
  }
  try {
    if (suggest_timing) {
      const uint64_t seed = single_seed >= 0 ? single_seed : 0;
      std::printf("%s\n",
                  SuggestTiming(strategy, seed, trials > 0 ? trials : 200, params).dump().c_str());
      return 0;
    }
    if (check) {
      CrossValidation cv(ReadFolds(data), rounds);
      for (size_t k = 0; k < CheckParams().size(); ++k) {
        nlohmann::json line = {{"side", "mloop"},
                               {"check", k},
                               {"params", CheckParams()[k]},
                               {"mean_auc", cv.MeanAuc(CheckParams()[k])}};
        std::printf("%s\n", line.dump().c_str());
      }
      return 0;
    }
    const Objective o = MakeObjective(objective, data, rounds);
    std::vector<int> seed_list;
    if (single_seed >= 0) {
      seed_list = {single_seed};
    } else {
      for (int s = 0; s < seeds; ++s) seed_list.push_back(s);
    }
    for (int s : seed_list) {
      std::printf("%s\n",
                  RunStudy(objective, o, strategy, s, trials > 0 ? trials : 100).dump().c_str());
      std::fflush(stdout);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
