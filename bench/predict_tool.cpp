// mloop_predict_bench [PREDICT_ROWS] [TRAIN_ROWS] [SINGLE_ROWS] [ROUNDS] [MISSING]: XGBoost's
// own prediction against mloop's TreeEnsemble (train/xgboost/tree_ensemble.h) on one model, side by
// side in one run.
//
// Trains a binary model through mloop's xgboost estimator (hist, depth 8, eta 0.1, 100 rounds,
// 2 threads) on TRAIN_ROWS (default 200,000) synthetic rows of 28 features, the function of
// bench/gen_classification_csv.py (MISSING, default 0, is the fraction of feature values made
// missing), then measures on PREDICT_ROWS (default 1,000,000) fresh rows:
//   single row   SINGLE_ROWS (default 100,000) rows one call each, one thread:
//                XGBoosterPredictFromDense (a float32 1 x 28 array) vs TreeEnsemble::PredictRow;
//                mean, p50 and p99 of the per-call times (the timer covers the call only)
//   batch        all rows as doubles, 1 thread and 2 threads: XGBoosterPredictFromDense on the
//                whole float64 array (nthread set on the booster) vs TreeEnsemble::Predict; and
//                on 2 threads the estimator's Predict (the compiled ensemble, what `mloop
//                predict` runs) vs its XGBoost path (DMatrix + XGBoosterPredictFromDMatrix, what
//                mloop ran before)
// The batch runs are interleaved and repeated ROUNDS times (default 3); the median is reported.
// Every output is compared bit for bit with XGBoost's and the mismatches are counted.
#include <sys/resource.h>
#include <xgboost/c_api.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "mloop/core/matrix.h"
#include "mloop/train/registry.h"
#include "mloop/train/xgboost/tree_ensemble.h"
#include "mloop/train/xgboost/xgboost_estimator.h"

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// CPU seconds this process has used (all threads): against the wall time, how many cores a run
// really had on a machine that other work shares.
double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         1e-6 * static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

void Check(int rc, const char* what) {
  if (rc != 0) {
    std::fprintf(stderr, "XGBoost: %s failed: %s\n", what, XGBGetLastError());
    std::exit(1);
  }
}

// bench/gen_classification_csv.py's function: 28 normal features, label from a nonlinear score.
void MakeData(int64_t rows, uint64_t seed, double missing, mloop::DenseMatrix* x,
              std::vector<double>* y) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> n01(0, 1);
  std::uniform_real_distribution<double> u01(0, 1);
  *x = mloop::DenseMatrix(rows, 28);
  y->assign(static_cast<size_t>(rows), 0);
  for (int64_t i = 0; i < rows; ++i) {
    double* r = x->row(i);
    for (int j = 0; j < 28; ++j) r[j] = n01(rng);
    double s = 0;
    for (int j = 6; j < 12; ++j) s += r[j];
    double z = 1.5 * r[0] - 2.0 * r[1] * r[2] + std::sin(3 * r[3]) + 0.8 * r[4] * r[4] -
               0.5 * r[5] + 0.3 * s + n01(rng);
    (*y)[static_cast<size_t>(i)] = z > 0.5 ? 1 : 0;
    if (missing > 0) {
      for (int j = 0; j < 28; ++j) {
        if (u01(rng) < missing) r[j] = std::nan("");
      }
    }
  }
}

std::string ArrayInterface(const void* data, int64_t rows, int64_t cols, const char* type) {
  nlohmann::json j;
  j["data"] = {reinterpret_cast<uintptr_t>(data), true};
  j["shape"] = {rows, cols};
  j["typestr"] = type;
  j["version"] = 3;
  return j.dump();
}

const char kPredictConfig[] =
    R"({"type": 0, "training": false, "iteration_begin": 0, "iteration_end": 0,)"
    R"( "strict_shape": false, "missing": NaN, "cache_id": 0})";

struct Latency {
  double mean, p50, p99;
};

Latency Summarise(std::vector<double> us) {
  Latency l{0, 0, 0};
  for (double v : us) l.mean += v;
  l.mean /= static_cast<double>(us.size());
  std::sort(us.begin(), us.end());
  l.p50 = us[us.size() / 2];
  l.p99 = us[std::min(us.size() - 1, us.size() * 99 / 100)];
  return l;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

int64_t Mismatches(const float* xgb, const double* mine, size_t n) {
  int64_t bad = 0;
  for (size_t i = 0; i < n; ++i) {
    const float m = static_cast<float>(mine[i]);
    bad += std::memcmp(&m, &xgb[i], sizeof(float)) != 0;
  }
  return bad;
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t predict_rows = argc > 1 ? std::atoll(argv[1]) : 1000000;
  const int64_t train_rows = argc > 2 ? std::atoll(argv[2]) : 200000;
  const int64_t single_rows =
      std::min<int64_t>(predict_rows, argc > 3 ? std::atoll(argv[3]) : 100000);
  const int rounds = argc > 4 ? std::atoi(argv[4]) : 3;
  const double missing = argc > 5 ? std::atof(argv[5]) : 0.0;

  // ---- The model ----
  mloop::DenseMatrix train_x, x;
  std::vector<double> train_y, y;
  MakeData(train_rows, 1, missing, &train_x, &train_y);
  MakeData(predict_rows, 2, missing, &x, &y);
  auto estimator = mloop::CreateEstimator("xgboost");
  estimator->SetParams(
      {{"max_depth", "8"}, {"eta", "0.1"}, {"num_boost_round", "100"}, {"tree_method", "hist"}});
  mloop::FitInput in;
  in.x = &train_x;
  in.y = train_y;
  in.task = mloop::Task::kBinary;
  in.threads = 2;
  auto t0 = Clock::now();
  estimator->Fit(in);
  const double train_s = Seconds(t0, Clock::now());
  const std::string model = estimator->SaveModel();

  t0 = Clock::now();
  std::optional<mloop::TreeEnsemble> ensemble = mloop::TreeEnsemble::FromXgboostJson(model);
  const double compile_ms = Seconds(t0, Clock::now()) * 1e3;
  if (!ensemble) {
    std::fprintf(stderr, "the model did not compile\n");
    return 1;
  }
  BoosterHandle booster = nullptr;
  Check(XGBoosterCreate(nullptr, 0, &booster), "creating the booster");
  Check(XGBoosterLoadModelFromBuffer(booster, model.data(), model.size()), "loading the model");
  std::printf(
      "model: %d trees, depth 8, 28 features, binary:logistic; trained on %lld rows in "
      "%.1f s; %zu bytes of JSON compiled in %.1f ms\n",
      ensemble->num_trees(), static_cast<long long>(train_rows), train_s, model.size(), compile_ms);
  std::printf("data: %lld rows, %.0f%% missing\n", static_cast<long long>(predict_rows),
              missing * 100);

  std::vector<float> xf(x.data.begin(), x.data.end());

  // ---- Single row, one thread ----
  Check(XGBoosterSetParam(booster, "nthread", "1"), "setting nthread");
  std::vector<float> row(28);
  const std::string row_interface = ArrayInterface(row.data(), 1, 28, "<f4");
  std::vector<float> xgb_single(static_cast<size_t>(single_rows));
  std::vector<double> mine_single(static_cast<size_t>(single_rows));
  std::vector<double> xgb_us(static_cast<size_t>(single_rows)),
      mine_us(static_cast<size_t>(single_rows));
  // Alternating chunks of 1,000 rows, so that a change in the machine's load hits both sides.
  for (int64_t begin = 0; begin < single_rows; begin += 1000) {
    const int64_t end = std::min<int64_t>(single_rows, begin + 1000);
    for (int64_t i = begin; i < end; ++i) {
      std::memcpy(row.data(), xf.data() + i * 28, 28 * sizeof(float));
      const bst_ulong* shape = nullptr;
      bst_ulong dim = 0;
      const float* result = nullptr;
      auto a = Clock::now();
      int rc = XGBoosterPredictFromDense(booster, row_interface.c_str(), kPredictConfig, nullptr,
                                         &shape, &dim, &result);
      auto b = Clock::now();
      Check(rc, "predicting a row");
      xgb_single[static_cast<size_t>(i)] = result[0];
      xgb_us[static_cast<size_t>(i)] = Seconds(a, b) * 1e6;
    }
    for (int64_t i = begin; i < end; ++i) {
      float out = 0;
      auto a = Clock::now();
      ensemble->PredictRow(xf.data() + i * 28, &out);
      auto b = Clock::now();
      mine_single[static_cast<size_t>(i)] = out;
      mine_us[static_cast<size_t>(i)] = Seconds(a, b) * 1e6;
    }
  }
  const Latency lx = Summarise(xgb_us), lm = Summarise(mine_us);
  const int64_t single_bad =
      Mismatches(xgb_single.data(), mine_single.data(), static_cast<size_t>(single_rows));
  std::printf("\nsingle row (%lld rows, 1 thread)      mean      p50      p99   (microseconds)\n",
              static_cast<long long>(single_rows));
  std::printf("  XGBoosterPredictFromDense    %8.2f %8.2f %8.2f\n", lx.mean, lx.p50, lx.p99);
  std::printf("  TreeEnsemble::PredictRow     %8.2f %8.2f %8.2f\n", lm.mean, lm.p50, lm.p99);
  std::printf("  ratio (XGBoost / mloop)      %7.1fx %7.1fx %7.1fx   mismatches %lld of %lld\n",
              lx.mean / lm.mean, lx.p50 / lm.p50, lx.p99 / lm.p99,
              static_cast<long long>(single_bad), static_cast<long long>(single_rows));

  // ---- Batch ----
  const std::string batch_interface = ArrayInterface(x.data.data(), x.rows, x.cols, "<f8");
  std::printf("\nbatch (%lld rows, median of %d)        XGBoost   mloop    ratio\n",
              static_cast<long long>(predict_rows), rounds);
  int64_t batch_bad = 0;
  for (int threads : {1, 2}) {
    Check(XGBoosterSetParam(booster, "nthread", std::to_string(threads).c_str()), "nthread");
    std::vector<double> xgb_s, mine_s, now_s, old_s, xgb_cpu, mine_cpu;
    for (int r = 0; r < rounds; ++r) {
      const bst_ulong* shape = nullptr;
      bst_ulong dim = 0;
      const float* result = nullptr;
      auto a = Clock::now();
      double cpu = CpuSeconds();
      Check(XGBoosterPredictFromDense(booster, batch_interface.c_str(), kPredictConfig, nullptr,
                                      &shape, &dim, &result),
            "predicting the batch");
      xgb_s.push_back(Seconds(a, Clock::now()));
      xgb_cpu.push_back(CpuSeconds() - cpu);
      std::vector<float> xgb(result, result + x.rows);

      mloop::DenseMatrix mine;
      a = Clock::now();
      cpu = CpuSeconds();
      ensemble->Predict(x, &mine, threads);
      mine_s.push_back(Seconds(a, Clock::now()));
      mine_cpu.push_back(CpuSeconds() - cpu);
      batch_bad += Mismatches(xgb.data(), mine.data.data(), xgb.size());

      // The estimator (trained with 2 threads, so predicting on 2): Predict, what `mloop
      // predict`, batch scoring and serving run, and its XGBoost path, what mloop ran before.
      if (threads == 2) {
        a = Clock::now();
        mloop::DenseMatrix now = estimator->Predict(x);
        now_s.push_back(Seconds(a, Clock::now()));
        batch_bad += Mismatches(xgb.data(), now.data.data(), xgb.size());
        a = Clock::now();
        mloop::DenseMatrix old = mloop::PredictWithXGBoost(*estimator, x);
        old_s.push_back(Seconds(a, Clock::now()));
        batch_bad += Mismatches(xgb.data(), old.data.data(), xgb.size());
      }
    }
    const double xs = Median(xgb_s), ms = Median(mine_s);
    std::printf(
        "  %d thread%s                       %7.3f s %7.3f s %6.1fx   (cpu/wall: XGBoost %.2f, "
        "mloop %.2f)\n",
        threads, threads == 1 ? " " : "s", xs, ms, xs / ms, Median(xgb_cpu) / xs,
        Median(mine_cpu) / ms);
    if (threads == 2) {
      const double now = Median(now_s), old = Median(old_s);
      std::printf(
          "  estimator, 2 threads: Predict %.3f s, its XGBoost path (DMatrix + predict, "
          "mloop before) %.3f s: %.1fx\n",
          now, old, old / now);
    }
  }
  std::printf("  mismatches (all runs, all rows): %lld\n", static_cast<long long>(batch_bad));
  XGBoosterFree(booster);
  return single_bad == 0 && batch_bad == 0 ? 0 : 2;
}
