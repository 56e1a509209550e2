#include "mloop/train/linear/linear_regression.h"

#include <Eigen/Cholesky>
#include <Eigen/Dense>
#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>

#include "mloop/core/error.h"
#include "mloop/core/parallel.h"
#include "mloop/train/linear/linear_common.h"
#include "mloop/train/linear/register.h"

namespace mloop {

namespace {

using Eigen::Index;
using Eigen::MatrixXd;
using Eigen::VectorXd;
using RowMajorMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowMajorMap = Eigen::Map<const RowMajorMatrix>;

constexpr std::string_view kName = "linear";
constexpr int64_t kBlockRows = 512;  // rows copied at a time into the augmented block

const std::vector<std::string>& ParameterNames() {
  static const std::vector<std::string> names = {"alpha", "l1_ratio", "fit_intercept", "max_iter",
                                                 "tol"};
  return names;
}

// Weighted, centred sufficient statistics of the least-squares problem.
struct Moments {
  double weight_sum = 0;
  VectorXd x_mean;  // p
  double y_mean = 0;
  MatrixXd gram;   // sum_i s_i (x_i - x_mean)(x_i - x_mean)'   (p x p)
  VectorXd xty;    // sum_i s_i (x_i - x_mean)(y_i - y_mean)      (p)
  double yty = 0;  // sum_i s_i (y_i - y_mean)^2
};

// One pass over the rows: the Gram matrix of the augmented rows [x_i - c, y_i - c_y], weighted,
// about a provisional centre c (the weighted mean of the first rows), then corrected to the exact
// weighted mean: sum s (v - m)(v - m)' = sum s (v - c)(v - c)' - S (m - c)(m - c)'. With c near
// the mean the correction is small, so this is as accurate as centring first, in one pass.
Moments ComputeMoments(const DenseMatrix& x, std::span<const double> y,
                       const std::vector<double>& w, bool center, int threads) {
  const Index p = x.cols;
  const Index q = p + 1;  // features and the target
  const linear::RowParts parts = linear::SplitRows(x.rows);
  const bool unit_weights = std::all_of(w.begin(), w.end(), [](double v) { return v == 1.0; });

  VectorXd c = VectorXd::Zero(q);
  if (center) {
    double s = 0;
    for (int64_t r = 0; r < std::min<int64_t>(x.rows, 4096); ++r) {
      s += w[r];
      c.head(p) += w[r] * Eigen::Map<const VectorXd>(x.row(r), p);
      c[p] += w[r] * y[r];
    }
    if (s > 0) c /= s;
  }

  std::vector<MatrixXd> part_gram(parts.count);
  std::vector<VectorXd> part_sum(parts.count);
  std::vector<double> part_w(parts.count, 0.0);
  ParallelFor(parts.count, threads, [&](int k) {
    MatrixXd gram = MatrixXd::Zero(q, q);
    VectorXd sum = VectorXd::Zero(q);  // sum s (v - c)
    double wsum = 0;
    RowMajorMatrix block(kBlockRows, q);
    VectorXd sw(kBlockRows);
    for (int64_t r0 = parts.Begin(k); r0 < parts.End(k); r0 += kBlockRows) {
      const Index rows = std::min<int64_t>(kBlockRows, parts.End(k) - r0);
      auto b = block.topRows(rows);
      b.leftCols(p) = RowMajorMap(x.row(r0), rows, p);
      b.col(p) = Eigen::Map<const VectorXd>(y.data() + r0, rows);
      if (center) b.rowwise() -= c.transpose();
      if (unit_weights) {
        wsum += static_cast<double>(rows);
        sum += b.colwise().sum().transpose();
      } else {
        Eigen::Map<const VectorXd> wb(w.data() + r0, rows);
        wsum += wb.sum();
        sw.head(rows) = wb.array().sqrt();
        b.array().colwise() *= sw.head(rows).array();
        sum.noalias() += b.transpose() * sw.head(rows);
      }
      gram.selfadjointView<Eigen::Lower>().rankUpdate(b.transpose());
    }
    part_gram[k] = std::move(gram);
    part_sum[k] = std::move(sum);
    part_w[k] = wsum;
  });
  MatrixXd gram = MatrixXd::Zero(q, q);
  VectorXd sum = VectorXd::Zero(q);
  Moments m;
  for (int k = 0; k < parts.count; ++k) {
    gram += part_gram[k];
    sum += part_sum[k];
    m.weight_sum += part_w[k];
  }
  gram = gram.selfadjointView<Eigen::Lower>();
  if (center) {
    VectorXd delta = sum / m.weight_sum;  // mean - c
    gram.noalias() -= m.weight_sum * delta * delta.transpose();
    m.x_mean = c.head(p) + delta.head(p);
    m.y_mean = c[p] + delta[p];
  } else {
    m.x_mean = VectorXd::Zero(p);
    m.y_mean = 0;
  }
  m.gram = gram.topLeftCorner(p, p);
  m.xty = gram.col(p).head(p);
  m.yty = gram(p, p);
  return m;
}

// Ordinary least squares from the normal equations: Cholesky when well conditioned, else the
// minimum-norm solution through a pseudo-inverse.
VectorXd SolveLeastSquares(const MatrixXd& gram, const VectorXd& xty) {
  Eigen::LLT<MatrixXd> llt(gram);
  if (llt.info() == Eigen::Success && llt.rcond() > 1e-12) return llt.solve(xty);
  Eigen::SelfAdjointEigenSolver<MatrixXd> eig(gram);
  const VectorXd& values = eig.eigenvalues();
  double cutoff = 1e-12 * std::max(0.0, values.maxCoeff());
  VectorXd projected = eig.eigenvectors().transpose() * xty;
  for (Index i = 0; i < values.size(); ++i) {
    projected[i] = values[i] > cutoff ? projected[i] / values[i] : 0.0;
  }
  return eig.eigenvectors() * projected;
}

double SoftThreshold(double z, double t) {
  if (z > t) return z - t;
  if (z < -t) return z + t;
  return 0.0;
}

// Elastic net on the Gram matrix: minimise 1/2 w'Gw - c'w + l1 ||w||_1 + l2/2 ||w||^2 (+ const),
// with G = X'SX / sum(s), c = X'Sy / sum(s), yy = y'Sy / sum(s).
class ElasticNetGram {
 public:
  ElasticNetGram(const MatrixXd& g, const VectorXd& c, double yy, double l1, double l2)
      : g_(g), c_(c), yy_(yy), l1_(l1), l2_(l2) {}

  // scikit-learn's duality gap (enet_coordinate_descent_gram), divided by sum(s).
  double DualityGap(const VectorXd& w, const VectorXd& gw) const {
    double r_norm2 = yy_ - 2 * c_.dot(w) + w.dot(gw);
    double r_y = yy_ - c_.dot(w);
    double w_norm2 = w.squaredNorm();
    double dual_norm = (c_ - gw - l2_ * w).cwiseAbs().maxCoeff();
    double gap, scale;
    if (dual_norm > l1_) {
      scale = l1_ / dual_norm;
      gap = 0.5 * (r_norm2 + r_norm2 * scale * scale);
    } else {
      scale = 1.0;
      gap = r_norm2;
    }
    gap += l1_ * w.lpNorm<1>() - scale * r_y + 0.5 * l2_ * (1 + scale * scale) * w_norm2;
    return gap;
  }

  // Cyclic coordinate descent from w = 0; returns the sweeps run.
  int Solve(VectorXd& w, int max_iter, double tol) const {
    const Index p = c_.size();
    w = VectorXd::Zero(p);
    if (p == 0) return 0;
    VectorXd gw = VectorXd::Zero(p);  // G w
    double gap_tol = tol * yy_;
    int sweep = 0;
    for (; sweep < max_iter;) {
      double max_change = 0, max_w = 0;
      for (Index j = 0; j < p; ++j) {
        double denom = g_(j, j) + l2_;
        if (!(denom > 0)) continue;
        double old = w[j];
        double updated = SoftThreshold(c_[j] - gw[j] + g_(j, j) * old, l1_) / denom;
        if (updated != old) {
          gw.noalias() += (updated - old) * g_.col(j);
          w[j] = updated;
        }
        max_change = std::max(max_change, std::abs(updated - old));
        max_w = std::max(max_w, std::abs(updated));
      }
      ++sweep;
      if (max_w == 0 || max_change / max_w < tol || sweep == max_iter) {
        if (DualityGap(w, gw) <= gap_tol) break;
      }
    }
    Polish(w);
    return sweep;
  }

 private:
  // Solves the optimality conditions exactly for the current active set and signs; keeps the
  // solution when it satisfies all of them.
  void Polish(VectorXd& w) const {
    const Index p = c_.size();
    std::vector<Index> active;
    for (Index j = 0; j < p; ++j) {
      if (w[j] != 0) active.push_back(j);
    }
    if (active.empty()) return;
    const Index a = static_cast<Index>(active.size());
    MatrixXd ga(a, a);
    VectorXd rhs(a);
    for (Index i = 0; i < a; ++i) {
      for (Index k = 0; k < a; ++k) ga(i, k) = g_(active[i], active[k]);
      ga(i, i) += l2_;
      rhs[i] = c_[active[i]] - l1_ * (w[active[i]] > 0 ? 1.0 : -1.0);
    }
    Eigen::LLT<MatrixXd> llt(ga);
    if (llt.info() != Eigen::Success || !(llt.rcond() > 1e-13)) return;
    VectorXd wa = llt.solve(rhs);
    VectorXd candidate = VectorXd::Zero(p);
    for (Index i = 0; i < a; ++i) {
      if ((wa[i] > 0) != (w[active[i]] > 0) || wa[i] == 0) return;
      candidate[active[i]] = wa[i];
    }
    VectorXd gradient = c_ - g_ * candidate;  // -(smooth gradient) without the l2 term
    double slack = 1e-9 * std::max(l1_, gradient.cwiseAbs().maxCoeff());
    for (Index j = 0; j < p; ++j) {
      if (candidate[j] == 0 && std::abs(gradient[j]) > l1_ + slack) return;
    }
    w = candidate;
  }

  const MatrixXd& g_;
  const VectorXd& c_;
  double yy_, l1_, l2_;
};

}  // namespace

void LinearRegression::SetParams(const std::map<std::string, std::string>& params) {
  Params next = params_;
  for (const auto& [key, value] : params) {
    if (key == "alpha") {
      next.alpha = linear::ParseDouble(kName, key, value);
      if (next.alpha < 0) throw InvalidArgument("linear parameter alpha must be >= 0");
    } else if (key == "l1_ratio") {
      next.l1_ratio = linear::ParseDouble(kName, key, value);
      if (next.l1_ratio < 0 || next.l1_ratio > 1) {
        throw InvalidArgument("linear parameter l1_ratio must be in [0, 1], not " + value);
      }
    } else if (key == "fit_intercept") {
      next.fit_intercept = linear::ParseBool(kName, key, value);
    } else if (key == "max_iter") {
      next.max_iter = linear::ParseInt(kName, key, value, 1);
    } else if (key == "tol") {
      next.tol = linear::ParseDouble(kName, key, value);
      if (next.tol < 0) throw InvalidArgument("linear parameter tol must be >= 0");
    } else {
      linear::ThrowUnknownParameter(kName, key, ParameterNames());
    }
  }
  params_ = next;
}

void LinearRegression::Fit(const FitInput& in) {
  if (!Supports(in.task)) {
    throw InvalidArgument(
        "linear cannot do " + std::string(TaskName(in.task)) + ": it is a regression algorithm",
        "use logistic for classification");
  }
  std::vector<double> w = linear::CheckFitInput(in, kName);
  const DenseMatrix& x = *in.x;
  const Index p = x.cols;
  if (p > 16384) {
    throw InvalidArgument("linear: " + std::to_string(p) +
                          " features are too many for its Gram-matrix solvers (at most 16384)");
  }
  if (!in.feature_names.empty() && in.feature_names.size() != static_cast<size_t>(p)) {
    throw InvalidArgument("linear: " + std::to_string(in.feature_names.size()) +
                          " feature names for " + std::to_string(p) + " columns");
  }
  const int threads = linear::ResolveThreads(in.threads);
  Moments m = ComputeMoments(x, in.y, w, params_.fit_intercept, threads);

  VectorXd coef;
  iterations_ = 0;
  if (params_.alpha == 0) {
    coef = SolveLeastSquares(m.gram, m.xty);
  } else if (params_.l1_ratio == 0) {
    MatrixXd a = m.gram;
    a.diagonal().array() += params_.alpha;
    coef = a.llt().solve(m.xty);
  } else {
    const double s = m.weight_sum;
    MatrixXd g = m.gram / s;
    VectorXd c = m.xty / s;
    ElasticNetGram enet(g, c, m.yty / s, params_.alpha * params_.l1_ratio,
                        params_.alpha * (1 - params_.l1_ratio));
    iterations_ = enet.Solve(coef, params_.max_iter, params_.tol);
    if (in.on_iteration) {
      IterationLog log;
      log.iteration = iterations_;
      VectorXd gw = g * coef;
      log.metrics["duality_gap"] = enet.DualityGap(coef, gw);
      log.last = true;
      in.on_iteration(log);
    }
  }
  coef_.assign(coef.data(), coef.data() + coef.size());
  intercept_ = params_.fit_intercept ? m.y_mean - m.x_mean.dot(coef) : 0.0;
  feature_names_ = in.feature_names;
  fitted_ = true;
}

DenseMatrix LinearRegression::Predict(const DenseMatrix& x) const {
  if (!fitted_) throw FailedPrecondition("the linear model is not trained");
  if (x.cols != static_cast<int64_t>(coef_.size())) {
    throw InvalidArgument("the linear model takes " + std::to_string(coef_.size()) +
                          " features, not " + std::to_string(x.cols));
  }
  linear::CheckPredictable(x, kName, feature_names_);
  DenseMatrix out(x.rows, 1);
  const Index p = x.cols;
  Eigen::Map<const VectorXd> coef(coef_.data(), p);
  Eigen::Map<VectorXd> result(out.data.data(), x.rows);
  if (x.rows > 0) result.noalias() = RowMajorMap(x.data.data(), x.rows, p) * coef;
  result.array() += intercept_;
  linear::CheckPredictionsFinite(out, kName);
  return out;
}

std::string LinearRegression::SaveModel() const {
  if (!fitted_) throw FailedPrecondition("the linear model is not trained");
  linear::ModelDoc doc;
  doc.task = Task::kRegression;
  doc.num_classes = 0;
  doc.num_features = static_cast<int64_t>(coef_.size());
  doc.feature_names = feature_names_;
  doc.outputs = 1;
  doc.coefficients = coef_;
  doc.intercepts = {intercept_};
  return linear::WriteModel(kName, doc);
}

void LinearRegression::LoadModel(std::string_view json) {
  linear::ModelDoc doc = linear::ReadModel(kName, json);
  if (doc.task != Task::kRegression || doc.outputs != 1) {
    throw Corruption("linear model must be a regression model with one row of coefficients");
  }
  coef_ = std::move(doc.coefficients);
  intercept_ = doc.intercepts[0];
  feature_names_ = std::move(doc.feature_names);
  fitted_ = true;
}

std::string LinearRegression::SaveConfig() const {
  linear::ConfigDoc config;
  config.task = Task::kRegression;
  config.params = {{"alpha", linear::FormatNumber(params_.alpha)},
                   {"l1_ratio", linear::FormatNumber(params_.l1_ratio)},
                   {"fit_intercept", params_.fit_intercept ? "true" : "false"},
                   {"max_iter", std::to_string(params_.max_iter)},
                   {"tol", linear::FormatNumber(params_.tol)}};
  return linear::WriteConfig(kName, config);
}

void LinearRegression::LoadConfig(std::string_view json) {
  linear::ConfigDoc config = linear::ReadConfig(kName, json);
  if (config.task != Task::kRegression) {
    throw Corruption("linear configuration has task " + std::string(TaskName(config.task)) +
                     "; linear does regression only");
  }
  params_ = Params();
  SetParams(config.params);
}

std::vector<double> LinearRegression::FeatureImportance() const {
  std::vector<double> importance(coef_.size());
  for (size_t j = 0; j < coef_.size(); ++j) importance[j] = std::abs(coef_[j]);
  return importance;
}

std::unique_ptr<Estimator> MakeLinearRegression() {
  return std::make_unique<LinearRegression>();
}

std::vector<std::string> LinearRegression::Warnings() const {
  // Only the coordinate descent (l1_ratio > 0) iterates; it stops at max_iter sweeps.
  if (!fitted_ || params_.alpha == 0 || params_.l1_ratio == 0 || iterations_ < params_.max_iter) {
    return {};
  }
  return {"linear: the coordinate descent did not converge in max_iter=" +
          std::to_string(params_.max_iter) +
          " sweeps; the coefficients are not the optimum: raise max_iter (or tol)"};
}

}  // namespace mloop
