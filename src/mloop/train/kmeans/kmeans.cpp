#include "mloop/train/kmeans/kmeans.h"

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "mloop/core/error.h"
#include "mloop/core/strings.h"
#include "mloop/train/linear/linear_common.h"

namespace mloop {

namespace {

// splitmix64: the same numbers on every platform for a seed.
struct Rng {
  uint64_t state;
  uint64_t Next() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
};

double SquaredDistance(const double* a, const double* b, int64_t d) {
  double s = 0;
  for (int64_t j = 0; j < d; ++j) {
    double t = a[j] - b[j];
    s += t * t;
  }
  return s;
}

class KMeans : public Estimator {
 public:
  std::string_view name() const override { return "kmeans"; }
  bool Supports(Task task) const override { return task == Task::kClustering; }

  void SetParams(const std::map<std::string, std::string>& params) override {
    static const std::vector<std::string> kNames = {"k", "n_clusters", "n_init", "max_iter", "tol"};
    for (const auto& [key, value] : params) {
      double v;
      try {
        size_t used = 0;
        v = std::stod(value, &used);
        if (used != value.size()) throw std::invalid_argument(value);
      } catch (const std::exception&) {
        throw InvalidArgument("kmeans parameter " + key + " must be a number, not '" + value + "'");
      }
      if (key == "k" || key == "n_clusters") {
        k_ = static_cast<int>(v);
        if (k_ < 1 || v != k_) throw InvalidArgument("kmeans: k must be a whole number >= 1");
      } else if (key == "n_init") {
        n_init_ = std::max(1, static_cast<int>(v));
      } else if (key == "max_iter") {
        max_iter_ = std::max(1, static_cast<int>(v));
      } else if (key == "tol") {
        tol_ = v;
      } else {
        throw InvalidArgument("unknown kmeans parameter '" + key + "'" + DidYouMean(key, kNames),
                              "parameters: " + Join(kNames, ", "));
      }
    }
  }

  void Fit(const FitInput& in) override {
    const DenseMatrix& x = *in.x;
    // Infinite values would make every distance infinite (scikit-learn refuses them too).
    linear::CheckFinite(x, "kmeans", "the training data", in.threads, in.feature_names);
    feature_names_ = in.feature_names;
    if (x.rows < k_) {
      throw InvalidArgument("kmeans: " + std::to_string(x.rows) + " rows cannot make " +
                            std::to_string(k_) + " clusters");
    }
    d_ = x.cols;
    // Tolerance relative to the mean per-feature variance, as scikit-learn does.
    double var = 0;
    for (int64_t j = 0; j < d_; ++j) {
      double mean = 0, sq = 0;
      for (int64_t i = 0; i < x.rows; ++i) mean += x.at(i, j);
      mean /= static_cast<double>(x.rows);
      for (int64_t i = 0; i < x.rows; ++i) sq += (x.at(i, j) - mean) * (x.at(i, j) - mean);
      var += sq / static_cast<double>(x.rows);
    }
    const double tol = tol_ * var / static_cast<double>(std::max<int64_t>(d_, 1));
    double best_inertia = std::numeric_limits<double>::infinity();
    for (int run = 0; run < n_init_; ++run) {
      Rng rng{in.seed * 0x9E3779B97F4A7C15ULL + static_cast<uint64_t>(run)};
      DenseMatrix c = PlusPlus(x, rng);
      double inertia = Lloyd(x, c, tol, in, run == 0);
      if (inertia < best_inertia) {
        best_inertia = inertia;
        centres_ = std::move(c);
      }
    }
    inertia_ = best_inertia;
  }

  DenseMatrix Predict(const DenseMatrix& x) const override {
    if (x.cols != d_) {
      throw InvalidArgument("kmeans takes " + std::to_string(d_) + " features, got " +
                            std::to_string(x.cols));
    }
    linear::CheckPredictable(x, "kmeans", feature_names_);
    DenseMatrix out(x.rows, 1);
    for (int64_t i = 0; i < x.rows; ++i) {
      const int64_t c = Nearest(x.row(i));
      if (c < 0) {
        throw DataError(RowMessage(i + 1,
                                   "the values are too large: the squared distance to "
                                   "every cluster centre overflows"),
                        "send values of the size the model was trained on");
      }
      out.at(i, 0) = static_cast<double>(c);
    }
    return out;
  }

  std::string SaveModel() const override {
    nlohmann::json j = {{"format_version", 1},
                        {"k", k_},
                        {"features", d_},
                        {"centres", centres_.data},
                        {"inertia", inertia_}};
    if (!feature_names_.empty()) j["feature_names"] = feature_names_;
    return j.dump();
  }
  void LoadModel(std::string_view text) override {
    try {
      auto j = nlohmann::json::parse(text);
      k_ = j.at("k").get<int>();
      d_ = j.at("features").get<int64_t>();
      centres_ = DenseMatrix(k_, d_);
      auto centres = j.at("centres").get<std::vector<double>>();
      centres_.data.assign(centres.begin(), centres.end());
      inertia_ = j.at("inertia").get<double>();
      feature_names_ = j.value("feature_names", std::vector<std::string>{});  // older models: none
      if (static_cast<int64_t>(centres_.data.size()) != k_ * d_) throw Corruption("centre count");
    } catch (const nlohmann::json::exception& e) {
      throw Corruption(std::string("kmeans model is not valid: ") + e.what());
    }
  }
  std::string SaveConfig() const override {
    return nlohmann::json({{"algorithm", "kmeans"},
                           {"task", "clustering"},
                           {"k", k_},
                           {"n_init", n_init_},
                           {"max_iter", max_iter_},
                           {"tol", tol_}})
        .dump();
  }
  void LoadConfig(std::string_view text) override {
    try {
      auto j = nlohmann::json::parse(text);
      k_ = j.at("k").get<int>();
      n_init_ = j.at("n_init").get<int>();
      max_iter_ = j.at("max_iter").get<int>();
      tol_ = j.at("tol").get<double>();
    } catch (const nlohmann::json::exception& e) {
      throw Corruption(std::string("kmeans configuration is not valid: ") + e.what());
    }
  }

 private:
  // The nearest centre; -1 when every distance overflows to infinity.
  int64_t Nearest(const double* row) const {
    int64_t best = -1;
    double best_d = std::numeric_limits<double>::infinity();
    for (int64_t c = 0; c < k_; ++c) {
      double dist = SquaredDistance(row, centres_.row(c), d_);
      if (dist < best_d) {
        best_d = dist;
        best = c;
      }
    }
    return best;
  }

  // k-means++: each next centre drawn with probability proportional to its squared distance to
  // the nearest centre chosen so far.
  DenseMatrix PlusPlus(const DenseMatrix& x, Rng& rng) const {
    DenseMatrix c(k_, x.cols);
    std::vector<double> dist(static_cast<size_t>(x.rows), std::numeric_limits<double>::infinity());
    int64_t pick = static_cast<int64_t>(rng.Next() % static_cast<uint64_t>(x.rows));
    for (int ci = 0; ci < k_; ++ci) {
      std::copy(x.row(pick), x.row(pick) + x.cols, c.row(ci));
      double total = 0;
      for (int64_t i = 0; i < x.rows; ++i) {
        dist[i] = std::min(dist[i], SquaredDistance(x.row(i), c.row(ci), x.cols));
        total += dist[i];
      }
      if (ci + 1 == k_) break;
      double target = rng.Uniform() * total;
      pick = x.rows - 1;
      for (int64_t i = 0; i < x.rows; ++i) {
        target -= dist[i];
        if (target < 0) {
          pick = i;
          break;
        }
      }
    }
    return c;
  }

  double Lloyd(const DenseMatrix& x, DenseMatrix& c, double tol, const FitInput& in, bool log) {
    std::vector<int64_t> label(static_cast<size_t>(x.rows), 0);
    double inertia = 0;
    for (int iter = 0; iter < max_iter_; ++iter) {
      inertia = 0;
      for (int64_t i = 0; i < x.rows; ++i) {
        int64_t best = 0;
        double best_d = std::numeric_limits<double>::infinity();
        for (int64_t ci = 0; ci < k_; ++ci) {
          double dist = SquaredDistance(x.row(i), c.row(ci), x.cols);
          if (dist < best_d) {
            best_d = dist;
            best = ci;
          }
        }
        label[i] = best;
        inertia += best_d;
      }
      DenseMatrix next(k_, x.cols);
      std::vector<int64_t> count(static_cast<size_t>(k_), 0);
      for (int64_t i = 0; i < x.rows; ++i) {
        ++count[label[i]];
        for (int64_t j = 0; j < x.cols; ++j) next.at(label[i], j) += x.at(i, j);
      }
      double shift = 0;
      for (int64_t ci = 0; ci < k_; ++ci) {
        for (int64_t j = 0; j < x.cols; ++j) {
          // An empty cluster keeps its centre.
          next.at(ci, j) =
              count[ci] ? next.at(ci, j) / static_cast<double>(count[ci]) : c.at(ci, j);
        }
        shift += SquaredDistance(next.row(ci), c.row(ci), x.cols);
      }
      c = std::move(next);
      const bool last = shift <= tol || iter + 1 == max_iter_;
      if (log && in.on_iteration) in.on_iteration({iter, {{"inertia", inertia}}, last});
      if (last) break;
    }
    return inertia;
  }

  int k_ = 8;
  int n_init_ = 1;
  int max_iter_ = 300;
  double tol_ = 1e-4;
  int64_t d_ = 0;
  double inertia_ = 0;
  DenseMatrix centres_;
  std::vector<std::string> feature_names_;  // for messages; empty in models saved before
};

}  // namespace

std::unique_ptr<Estimator> MakeKMeans() {
  return std::make_unique<KMeans>();
}

}  // namespace mloop
