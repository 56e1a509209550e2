// mloop_prep_bench FILE [THREADS] [ROUNDS]: fits and applies the benchmark recipe on a numeric
// CSV (bench/gen_numeric_csv.py: id, f1..f28) and prints one JSON line with the seconds of each
// part. bench/prep_vs_sklearn.sh runs it beside bench/peers/prep_sklearn.py, which builds the
// same transformations as a scikit-learn Pipeline:
//   impute every column with its median, standard-scale f1..f14, robust-scale f15..f21,
//   10 quantile bins on f22..f28, and two derived columns (f1 / (abs(f2) + 1), f3 * f4).
// "fit" is Recipe::Fit with the transformed training table (what a Pipeline's fit computes on
// its way); "transform" is FittedRecipe::Transform of the same table. Reading the CSV is timed
// separately and left out of both, as the peer leaves out pandas.read_csv.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "mloop/core/error.h"
#include "mloop/io/csv_reader.h"
#include "mloop/prep/recipe.h"

namespace {

double Seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::string Columns(int from, int to) {
  std::string s = "[";
  for (int i = from; i <= to; ++i) s += (i > from ? ", f" : "f") + std::to_string(i);
  return s + "]";
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s FILE [THREADS] [ROUNDS]\n", argv[0]);
    return 2;
  }
  try {
    const int threads = argc > 2 ? std::atoi(argv[2]) : 0;
    const int rounds = argc > 3 ? std::max(1, std::atoi(argv[3])) : 1;
    mloop::ReadOptions read;
    read.threads = threads;
    auto t0 = std::chrono::steady_clock::now();
    mloop::Table table = mloop::ReadCsv(argv[1], read).table;
    double read_s = Seconds(t0);

    const std::string yaml =
        "steps:\n"
        "  - impute: {columns: all, strategy: median}\n"
        "  - scale: {columns: " +
        Columns(1, 14) +
        ", method: standard}\n"
        "  - scale: {columns: " +
        Columns(15, 21) +
        ", method: robust}\n"
        "  - bucketize: {columns: " +
        Columns(22, 28) +
        ", bins: 10, strategy: quantile}\n"
        "  - derive: \"r1 = f1 / (abs(f2) + 1)\"\n"
        "  - derive: \"r2 = f3 * f4\"\n";
    mloop::Recipe recipe = mloop::Recipe::Parse(yaml);
    mloop::RecipeFitOptions options;
    options.threads = threads;
    std::vector<double> fit_s, transform_s;
    int64_t out_cols = 0;
    for (int r = 0; r < rounds; ++r) {
      t0 = std::chrono::steady_clock::now();
      mloop::Table fitted_out;
      mloop::FittedRecipe fitted = recipe.Fit(table, options, &fitted_out);
      fit_s.push_back(Seconds(t0));
      t0 = std::chrono::steady_clock::now();
      mloop::Table out = fitted.Transform(table, mloop::ApplyMode::kScoring);
      transform_s.push_back(Seconds(t0));
      out_cols = out.num_columns();
    }
    std::printf(
        "{\"rows\": %lld, \"columns_in\": %d, \"columns_out\": %lld, \"read_s\": %.4f, "
        "\"fit_s\": %.4f, \"transform_s\": %.4f, \"threads\": %d}\n",
        static_cast<long long>(table.num_rows()), table.num_columns(),
        static_cast<long long>(out_cols), read_s, Median(fit_s), Median(transform_s), threads);
  } catch (const mloop::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
