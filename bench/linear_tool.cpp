// mloop_linear_bench MODEL X.npy Y.npy [THREADS]: fits mloop's linear estimator on numpy arrays
// and prints one JSON line: fit seconds, iterations, coefficients and intercepts.
//   MODEL logistic  LogisticRegression, C=1, penalty l2 (binary; y in {0, 1})
//   MODEL linear    LinearRegression, alpha=1, l1_ratio=0 (ridge)
// X.npy: float64, C order, rows x cols; Y.npy: float64, rows. bench/peers/linear_vs_sklearn.py
// writes both and runs this beside scikit-learn on the same data. The time covers Fit only (the
// arrays are already in memory, as for scikit-learn's fit).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>

#include "mloop/core/error.h"
#include "mloop/train/linear/linear_regression.h"
#include "mloop/train/linear/logistic_regression.h"

namespace {

// Reads a little-endian float64, C-order .npy array of one or two dimensions.
mloop::DenseMatrix ReadNpy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw mloop::IoErrorFromErrno("opening", path);
  char magic[8];
  in.read(magic, 8);
  if (!in || std::memcmp(magic, "\x93NUMPY", 6) != 0) {
    throw mloop::InvalidArgument(path + " is not a .npy file");
  }
  uint32_t header_len = 0;
  if (magic[6] == 1) {
    unsigned char b[2];
    in.read(reinterpret_cast<char*>(b), 2);
    header_len = b[0] | (b[1] << 8);
  } else {
    unsigned char b[4];
    in.read(reinterpret_cast<char*>(b), 4);
    header_len = b[0] | (b[1] << 8) | (b[2] << 16) | (static_cast<uint32_t>(b[3]) << 24);
  }
  std::string header(header_len, '\0');
  in.read(header.data(), header_len);
  if (header.find("'descr': '<f8'") == std::string::npos ||
      header.find("'fortran_order': False") == std::string::npos) {
    throw mloop::InvalidArgument(path + ": expected a float64 C-order array, got " + header);
  }
  size_t open = header.find('(', header.find("'shape'"));
  size_t close = header.find(')', open);
  std::string shape = header.substr(open + 1, close - open - 1);
  int64_t rows = std::stoll(shape);
  size_t comma = shape.find(',');
  std::string rest = comma == std::string::npos ? "" : shape.substr(comma + 1);
  int64_t cols = rest.find_first_of("0123456789") == std::string::npos ? 1 : std::stoll(rest);
  mloop::DenseMatrix m(rows, cols);
  in.read(reinterpret_cast<char*>(m.data.data()),
          static_cast<std::streamsize>(m.data.size() * sizeof(double)));
  if (!in) throw mloop::InvalidArgument(path + " is truncated");
  return m;
}

std::string JsonArray(const std::vector<double>& v) {
  std::string s = "[";
  char buf[32];
  for (size_t i = 0; i < v.size(); ++i) {
    std::snprintf(buf, sizeof(buf), "%s%.17g", i ? ", " : "", v[i]);
    s += buf;
  }
  return s + "]";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s logistic|linear X.npy Y.npy [THREADS]\n", argv[0]);
    return 2;
  }
  try {
    const std::string model = argv[1];
    mloop::DenseMatrix x = ReadNpy(argv[2]);
    mloop::DenseMatrix y = ReadNpy(argv[3]);
    if (y.rows != x.rows) throw mloop::InvalidArgument("X and y have different row counts");
    mloop::FitInput in;
    in.x = &x;
    in.y = y.data;
    in.threads = argc > 4 ? std::atoi(argv[4]) : 0;
    if (std::getenv("MLOOP_BENCH_VERBOSE")) {  // progress of the optimiser on stderr
      auto t0 = std::chrono::steady_clock::now();
      in.on_iteration = [t0](const mloop::IterationLog& log) {
        double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::fprintf(stderr, "%8.4f s  iteration %d", s, log.iteration);
        for (const auto& [k, v] : log.metrics) std::fprintf(stderr, "  %s %.6g", k.c_str(), v);
        std::fprintf(stderr, "\n");
      };
    }
    std::vector<double> coef, intercepts;
    int iterations = 0;
    double seconds = 0;
    if (model == "logistic") {
      mloop::LogisticRegression est;
      est.SetParams({{"C", "1"}, {"penalty", "l2"}});
      in.task = mloop::Task::kBinary;
      auto t0 = std::chrono::steady_clock::now();
      est.Fit(in);
      seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      coef = est.coefficients();
      intercepts = est.intercepts();
      iterations = est.iterations();
    } else if (model == "linear") {
      mloop::LinearRegression est;
      est.SetParams({{"alpha", "1"}, {"l1_ratio", "0"}});
      in.task = mloop::Task::kRegression;
      auto t0 = std::chrono::steady_clock::now();
      est.Fit(in);
      seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      coef = est.coefficients();
      intercepts = {est.intercept()};
      iterations = est.iterations();
    } else {
      throw mloop::InvalidArgument("unknown model '" + model + "' (logistic or linear)");
    }
    std::printf(
        "{\"model\": \"%s\", \"rows\": %lld, \"cols\": %lld, \"fit_seconds\": %.4f, "
        "\"iterations\": %d, \"coefficients\": %s, \"intercepts\": %s}\n",
        model.c_str(), static_cast<long long>(x.rows), static_cast<long long>(x.cols), seconds,
        iterations, JsonArray(coef).c_str(), JsonArray(intercepts).c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
