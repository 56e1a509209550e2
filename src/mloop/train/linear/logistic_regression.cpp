#include "mloop/train/linear/logistic_regression.h"

#include <Eigen/Cholesky>
#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>

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
using Penalty = LogisticRegression::Penalty;

constexpr std::string_view kName = "logistic";
constexpr int64_t kBlockRows = 512;            // rows processed at a time (fit in L2 cache)
constexpr Index kMaxExplicitHessian = 256;     // above: truncated Newton for l2 / none
constexpr double kArmijo = 1e-4;               // sufficient-decrease constant of the line search
constexpr int64_t kHessianBudget = 256 << 20;  // bytes of per-part Hessians
constexpr int64_t kSampleStride = 8;           // sampled Hessians: every 8th block of rows
constexpr int64_t kMinSampledRows = 1 << 16;   // ... when the sample has at least this many

const std::vector<std::string>& ParameterNames() {
  static const std::vector<std::string> names = {"C", "penalty", "fit_intercept", "max_iter",
                                                 "tol"};
  return names;
}

std::string_view PenaltyName(Penalty p) {
  switch (p) {
    case Penalty::kL2:
      return "l2";
    case Penalty::kL1:
      return "l1";
    case Penalty::kNone:
      return "none";
  }
  return "l2";
}

double Sigmoid(double z) {
  if (z >= 0) return 1.0 / (1.0 + std::exp(-z));
  double e = std::exp(z);
  return e / (1.0 + e);
}

// The optimisation problem: parameters theta hold `outputs` rows of `stride` values (the
// coefficients, then the intercept when fitted), row-major. The smooth part is
//   c_loss * sum_i s_i logloss_i  [+ 1/2 ||coef||^2 for l2]  [+ the shift term]
// where the shift term 1/2 mu sum_j (sum_c theta_cj)^2 over the intercept column (and, without
// penalty, every column) pins the multinomial model's free direction to "sums to zero"; the loss
// does not change along that direction, so the solution is otherwise unchanged. l1 adds
// ||coef||_1 outside the smooth part.
class Problem {
 public:
  Problem(const DenseMatrix& x, std::vector<int> labels, std::vector<double> w, int outputs,
          const LogisticRegression::Params& params, int threads)
      : x_(x), labels_(std::move(labels)), w_(std::move(w)), outputs_(outputs) {
    p_ = x.cols;
    intercept_ = params.fit_intercept;
    stride_ = p_ + (intercept_ ? 1 : 0);
    m_ = outputs_ * stride_;
    penalty_ = params.penalty;
    c_loss_ = penalty_ == Penalty::kNone ? 1.0 : params.C;
    weight_sum_ = 0;
    for (double v : w_) weight_sum_ += v;
    scale_ = c_loss_ * weight_sum_;
    if (outputs_ > 1) {
      shift_mu_ = 0.25 * scale_;
      shift_coefs_ = penalty_ == Penalty::kNone;
    }
    threads_ = threads;
    explicit_hessian_ = penalty_ == Penalty::kL1 || m_ <= kMaxExplicitHessian;
    int max_parts = 16;
    if (explicit_hessian_) {
      int64_t bytes = static_cast<int64_t>(m_) * m_ * 8;
      max_parts = static_cast<int>(std::clamp<int64_t>(kHessianBudget / bytes, 1, 16));
    }
    parts_ = linear::SplitRows(x.rows, max_parts);
  }

  // The best model without features: intercepts at the weighted log class frequencies (centred
  // over the classes), coefficients 0. Zero when some class has no weight or there is no
  // intercept.
  VectorXd InitialPoint() const {
    VectorXd theta = VectorXd::Zero(m_);
    if (!intercept_) return theta;
    const int classes = outputs_ == 1 ? 2 : outputs_;
    std::vector<double> weight(classes, 0.0);
    for (size_t i = 0; i < w_.size(); ++i) weight[labels_[i]] += w_[i];
    for (double v : weight) {
      if (!(v > 0)) return theta;
    }
    if (outputs_ == 1) {
      theta[p_] = std::log(weight[1] / weight[0]);
    } else {
      double mean = 0;
      for (double v : weight) mean += std::log(v) / classes;
      for (int c = 0; c < classes; ++c) theta[c * stride_ + p_] = std::log(weight[c]) - mean;
    }
    return theta;
  }

  Index m() const { return m_; }
  Index stride() const { return stride_; }
  double scale() const { return scale_; }
  bool explicit_hessian() const { return explicit_hessian_; }
  Penalty penalty() const { return penalty_; }
  bool Penalised(Index k) const { return !(intercept_ && k % stride_ == p_); }

  // kSampledHessian: the Hessian's data part from every kSampleStride-th block of rows only,
  // scaled up by the weight ratio (cheaper, for the early iterations far from the optimum).
  enum What { kLoss = 0, kGradient = 1, kHessian = 2, kProbabilities = 4, kSampledHessian = 8 };

  // Whether sampled Hessians are worth it: enough rows that the sample is large.
  bool CanSampleHessian() const {
    return explicit_hessian_ && x_.rows >= kSampleStride * kMinSampledRows;
  }

  struct Eval {
    double f = 0;   // smooth part of the objective
    VectorXd g;     // its gradient
    MatrixXd h;     // its Hessian (kHessian)
    MatrixXd prob;  // rows x outputs probabilities (kProbabilities), for Hessian-vector products
  };

  void Evaluate(const VectorXd& theta, int what, Eval& out) const {
    // kSampledHessian implies kHessian.
    const int count = parts_.count;
    const bool sampled = what & kSampledHessian;
    if (sampled) what |= kHessian;
    std::vector<double> loss(count, 0.0), sampled_weight(count, 0.0);
    std::vector<MatrixXd> grad(count), hess(count);
    if (what & kProbabilities) out.prob.resize(x_.rows, outputs_);
    RowMajorMap th(theta.data(), outputs_, stride_);
    ParallelFor(count, threads_, [&](int k) {
      if (what & kGradient) grad[k] = MatrixXd::Zero(outputs_, stride_);
      if (what & kHessian) hess[k] = MatrixXd::Zero(m_, m_);
      int64_t block = 0;
      MatrixXd z(kBlockRows, outputs_), r(kBlockRows, outputs_), prob(kBlockRows, outputs_);
      RowMajorMatrix b(kBlockRows, p_);
      VectorXd d(kBlockRows);
      for (int64_t r0 = parts_.Begin(k); r0 < parts_.End(k); r0 += kBlockRows) {
        const Index rows = std::min<int64_t>(kBlockRows, parts_.End(k) - r0);
        const RowMajorMap xb(x_.row(r0), rows, p_);
        auto zb = z.topRows(rows);
        Scores(xb, th, zb);
        double block_loss = 0;
        for (Index i = 0; i < rows; ++i) {
          const double wi = w_[r0 + i];
          const int yi = labels_[r0 + i];
          if (outputs_ == 1) {
            // One exponential for both: softplus(z) = max(z, 0) + log1p(e), e = exp(-|z|).
            const double zi = zb(i, 0);
            const double e = std::exp(-std::abs(zi));
            block_loss += wi * (std::max(zi, 0.0) + std::log1p(e) - (yi == 1 ? zi : 0.0));
            const double pi = zi >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
            prob(i, 0) = pi;
            r(i, 0) = wi * (pi - yi);
          } else {
            double mx = zb.row(i).maxCoeff();
            double se = 0;
            for (int c = 0; c < outputs_; ++c) {
              double e = std::exp(zb(i, c) - mx);
              prob(i, c) = e;
              se += e;
            }
            block_loss += wi * (mx + std::log(se) - zb(i, yi));
            for (int c = 0; c < outputs_; ++c) {
              prob(i, c) /= se;
              r(i, c) = wi * prob(i, c);
            }
            r(i, yi) -= wi;
          }
        }
        loss[k] += block_loss;
        if (what & kProbabilities) out.prob.middleRows(r0, rows) = prob.topRows(rows);
        if (what & kGradient) AddTransposeTimes(xb, r.topRows(rows), grad[k]);
        if ((what & kHessian) && (!sampled || block % kSampleStride == 0)) {
          AddHessian(r0, xb, prob.topRows(rows), b, d, hess[k]);
          if (sampled) sampled_weight[k] += Eigen::Map<const VectorXd>(w_.data() + r0, rows).sum();
        }
        ++block;
      }
    });
    double total = 0;
    for (double v : loss) total += v;
    out.f = c_loss_ * total;
    if (what & kGradient) {
      MatrixXd g = MatrixXd::Zero(outputs_, stride_);
      for (const MatrixXd& part : grad) g += part;
      out.g.resize(m_);
      Eigen::Map<RowMajorMatrix>(out.g.data(), outputs_, stride_) = c_loss_ * g;
    }
    if (what & kHessian) {
      out.h = MatrixXd::Zero(m_, m_);
      for (const MatrixXd& part : hess) out.h += part;
      double factor = c_loss_;
      if (sampled) {
        double weight = 0;
        for (double v : sampled_weight) weight += v;
        if (weight > 0) factor *= weight_sum_ / weight;
      }
      out.h *= factor;
    }
    AddRegularisation(theta, what, out);
    if (what & kHessian) out.h = out.h.selfadjointView<Eigen::Lower>();
  }

  // Hessian times v at the point whose probabilities `at.prob` holds.
  VectorXd HessianTimes(const Eval& at, const VectorXd& v) const {
    const int count = parts_.count;
    std::vector<MatrixXd> part_out(count);
    RowMajorMap vm(v.data(), outputs_, stride_);
    ParallelFor(count, threads_, [&](int k) {
      part_out[k] = MatrixXd::Zero(outputs_, stride_);
      MatrixXd zv(kBlockRows, outputs_);
      for (int64_t r0 = parts_.Begin(k); r0 < parts_.End(k); r0 += kBlockRows) {
        const Index rows = std::min<int64_t>(kBlockRows, parts_.End(k) - r0);
        const RowMajorMap xb(x_.row(r0), rows, p_);
        auto zb = zv.topRows(rows);
        Scores(xb, vm, zb);
        for (Index i = 0; i < rows; ++i) {
          const double wi = w_[r0 + i];
          auto pr = at.prob.row(r0 + i);
          if (outputs_ == 1) {
            zb(i, 0) *= wi * pr[0] * (1 - pr[0]);
          } else {
            double s = pr.dot(zb.row(i));
            for (int c = 0; c < outputs_; ++c) zb(i, c) = wi * pr[c] * (zb(i, c) - s);
          }
        }
        AddTransposeTimes(xb, zb, part_out[k]);
      }
    });
    MatrixXd sum = MatrixXd::Zero(outputs_, stride_);
    for (const MatrixXd& part : part_out) sum += part;
    VectorXd out(m_);
    Eigen::Map<RowMajorMatrix>(out.data(), outputs_, stride_) = c_loss_ * sum;
    for (Index k = 0; k < m_; ++k) {
      if (penalty_ == Penalty::kL2 && Penalised(k)) out[k] += v[k];
    }
    if (shift_mu_ > 0) {
      for (Index j = 0; j < stride_; ++j) {
        if (!ShiftColumn(j)) continue;
        double s = 0;
        for (int c = 0; c < outputs_; ++c) s += v[c * stride_ + j];
        for (int c = 0; c < outputs_; ++c) out[c * stride_ + j] += shift_mu_ * s;
      }
    }
    return out;
  }

  // ||coef||_1 (l1) or 0.
  double NonSmooth(const VectorXd& theta) const {
    if (penalty_ != Penalty::kL1) return 0;
    double s = 0;
    for (Index k = 0; k < m_; ++k) {
      if (Penalised(k)) s += std::abs(theta[k]);
    }
    return s;
  }

  // Largest violation of the optimality conditions (minimum-norm subgradient), absolute.
  double Violation(const VectorXd& theta, const VectorXd& g) const {
    double v = 0;
    for (Index k = 0; k < m_; ++k) {
      double e = std::abs(g[k]);
      if (penalty_ == Penalty::kL1 && Penalised(k)) {
        if (theta[k] > 0) {
          e = std::abs(g[k] + 1);
        } else if (theta[k] < 0) {
          e = std::abs(g[k] - 1);
        } else {
          e = std::max(0.0, std::abs(g[k]) - 1);
        }
      }
      v = std::max(v, e);
    }
    return v;
  }

 private:
  bool ShiftColumn(Index j) const { return shift_coefs_ || (intercept_ && j == p_); }

  // z = X W' + 1 b' for a block of rows, theta = [W b] (outputs x stride).
  template <typename Z>
  void Scores(const RowMajorMap& xb, const RowMajorMap& theta, Z& z) const {
    z.noalias() = xb * theta.leftCols(p_).transpose();
    if (intercept_) z.rowwise() += theta.col(p_).transpose();
  }

  // out += [r' X, r' 1] (outputs x stride).
  template <typename R>
  void AddTransposeTimes(const RowMajorMap& xb, const R& r, MatrixXd& out) const {
    out.leftCols(p_).noalias() += r.transpose() * xb;
    if (intercept_) out.col(p_) += r.colwise().sum().transpose();
  }

  // Adds D-weighted cross products [X 1]' diag(dv) [X 1] to the lower triangle of the
  // stride x stride block `h` (whose upper-left is the coefficient part).
  template <typename H, typename Dv>
  void AddCrossProducts(const RowMajorMap& xb, const Dv& dv, RowMajorMatrix& b, bool diagonal,
                        H&& h) const {
    const Index rows = xb.rows();
    auto bb = b.topRows(rows);
    if (diagonal) {
      // dv >= 0: a rank update with sqrt(dv)-scaled rows fills the lower triangle only.
      bb = xb.array().colwise() * dv.array().sqrt();
      h.topLeftCorner(p_, p_).template selfadjointView<Eigen::Lower>().rankUpdate(bb.transpose());
    } else {
      bb = xb.array().colwise() * dv.array();
      h.topLeftCorner(p_, p_).noalias() += xb.transpose() * bb;
    }
    if (intercept_) {
      Eigen::RowVectorXd xd = dv.transpose() * xb;
      h.row(p_).head(p_) += xd;
      if (!diagonal) h.col(p_).head(p_) += xd.transpose();
      h(p_, p_) += dv.sum();
    }
  }

  template <typename Prob>
  void AddHessian(int64_t r0, const RowMajorMap& xb, const Prob& prob, RowMajorMatrix& b,
                  VectorXd& d, MatrixXd& h) const {
    const Index rows = xb.rows();
    auto db = d.head(rows);
    const Eigen::Map<const VectorXd> wb(w_.data() + r0, rows);
    for (int c = 0; c < outputs_; ++c) {
      // Diagonal block: X' diag(s p_c (1 - p_c)) X.
      db = wb.array() * prob.col(c).array() * (1 - prob.col(c).array());
      AddCrossProducts(xb, db, b, true, h.block(c * stride_, c * stride_, stride_, stride_));
      // Blocks below the diagonal: -X' diag(s p_c p_e) X.
      for (int e = 0; e < c; ++e) {
        db = -(wb.array() * prob.col(c).array() * prob.col(e).array());
        AddCrossProducts(xb, db, b, false, h.block(c * stride_, e * stride_, stride_, stride_));
      }
    }
  }

  void AddRegularisation(const VectorXd& theta, int what, Eval& out) const {
    for (Index k = 0; k < m_; ++k) {
      if (penalty_ != Penalty::kL2 || !Penalised(k)) continue;
      out.f += 0.5 * theta[k] * theta[k];
      if (what & kGradient) out.g[k] += theta[k];
      if (what & kHessian) out.h(k, k) += 1.0;
    }
    if (shift_mu_ == 0) return;
    for (Index j = 0; j < stride_; ++j) {
      if (!ShiftColumn(j)) continue;
      double s = 0;
      for (int c = 0; c < outputs_; ++c) s += theta[c * stride_ + j];
      out.f += 0.5 * shift_mu_ * s * s;
      for (int c = 0; c < outputs_; ++c) {
        if (what & kGradient) out.g[c * stride_ + j] += shift_mu_ * s;
        if (what & kHessian) {
          for (int e = 0; e <= c; ++e) out.h(c * stride_ + j, e * stride_ + j) += shift_mu_;
        }
      }
    }
  }

  const DenseMatrix& x_;
  std::vector<int> labels_;
  std::vector<double> w_;
  int outputs_;
  Index p_ = 0, stride_ = 0, m_ = 0;
  bool intercept_ = true;
  Penalty penalty_ = Penalty::kL2;
  double c_loss_ = 1, weight_sum_ = 0, scale_ = 1;
  double shift_mu_ = 0;
  bool shift_coefs_ = false;
  bool explicit_hessian_ = true;
  int threads_ = 1;
  linear::RowParts parts_;
};

double SoftThreshold(double z, double t) {
  if (z > t) return z - t;
  if (z < -t) return z + t;
  return 0.0;
}

// Newton direction: solves H d = -g by Cholesky, adding a small ridge when H is singular.
VectorXd NewtonDirection(const MatrixXd& h, const VectorXd& g) {
  Eigen::LLT<MatrixXd> llt(h);
  double damping = 0;
  const double base = 1e-10 * std::max(1.0, h.diagonal().cwiseAbs().maxCoeff());
  while (llt.info() != Eigen::Success || !(llt.rcond() > 1e-14)) {
    damping = damping == 0 ? base : damping * 100;
    if (damping > 1e10 * base) break;
    MatrixXd damped = h;
    damped.diagonal().array() += damping;
    llt.compute(damped);
  }
  return llt.solve(-g);
}

// Truncated Newton direction: conjugate gradients on H d = -g with Hessian-vector products.
VectorXd ConjugateGradientDirection(const Problem& problem, const Problem::Eval& at,
                                    double relative_violation) {
  const VectorXd& g = at.g;
  VectorXd d = VectorXd::Zero(g.size());
  VectorXd r = -g;
  VectorXd q = r;
  double rr = r.squaredNorm();
  const double stop = std::min(0.1, std::sqrt(relative_violation)) * std::sqrt(rr);
  const Index max_steps = std::min<Index>(g.size(), 500);
  for (Index step = 0; step < max_steps && std::sqrt(rr) > stop; ++step) {
    VectorXd hq = problem.HessianTimes(at, q);
    double curvature = q.dot(hq);
    if (!(curvature > 0)) {
      if (step == 0) d = -g;
      break;
    }
    double alpha = rr / curvature;
    d += alpha * q;
    r -= alpha * hq;
    double rr_next = r.squaredNorm();
    q = r + (rr_next / rr) * q;
    rr = rr_next;
  }
  return d;
}

// Proximal Newton direction for l1: minimises the quadratic model
//   g'd + 1/2 d'Hd + ||coef + d||_1   by cyclic coordinate descent.
VectorXd ProximalNewtonDirection(const Problem& problem, const VectorXd& theta, const VectorXd& g,
                                 const MatrixXd& h, double inner_tol) {
  const Index m = problem.m();
  VectorXd d = VectorXd::Zero(m);
  VectorXd hd = VectorXd::Zero(m);
  const int max_sweeps =
      static_cast<int>(std::clamp<int64_t>((int64_t{1} << 30) / (m * m), 50, 2000));
  for (int sweep = 0; sweep < max_sweeps; ++sweep) {
    double largest = 0;
    for (Index k = 0; k < m; ++k) {
      const double a = h(k, k);
      if (!(a > 0)) continue;
      const double gk = g[k] + hd[k];
      double delta;
      if (problem.Penalised(k)) {
        const double z = theta[k] + d[k];
        delta = SoftThreshold(z - gk / a, 1.0 / a) - z;
      } else {
        delta = -gk / a;
      }
      if (delta != 0) {
        d[k] += delta;
        hd.noalias() += delta * h.col(k);
        largest = std::max(largest, a * std::abs(delta));
      }
    }
    if (largest <= inner_tol) break;
  }
  return d;
}

struct Solution {
  VectorXd theta;
  int iterations = 0;
  bool converged = false;
};

Solution Minimise(const Problem& problem, const LogisticRegression::Params& params,
                  const std::function<void(const IterationLog&)>& on_iteration) {
  const bool l1 = problem.penalty() == Penalty::kL1;
  // Far from the optimum on many rows, Hessians from a sample of the rows (1/8) give nearly the
  // same Newton steps at a fraction of the cost. Exact Hessians take over for good once the
  // violation is below kSampledUntil, or at the first sign of a poor step (a shortened step or a
  // slow decrease), so the final iterations converge quadratically; the gradient is always exact,
  // so the solution is the same.
  constexpr double kSampledUntil = 1e-2;
  bool sample_hessian = problem.CanSampleHessian();
  auto full = [&] {
    if (!problem.explicit_hessian()) return Problem::kGradient | Problem::kProbabilities;
    return Problem::kGradient | (sample_hessian ? Problem::kSampledHessian : Problem::kHessian);
  };
  Solution sol;
  sol.theta = problem.InitialPoint();
  Problem::Eval cur, trial;
  problem.Evaluate(sol.theta, full(), cur);
  double objective = cur.f + problem.NonSmooth(sol.theta);
  double previous_violation = std::numeric_limits<double>::infinity();
  bool full_step = false;
  for (;;) {
    const double violation = problem.Violation(sol.theta, cur.g) / problem.scale();
    if (sample_hessian && (violation <= kSampledUntil || violation > 0.5 * previous_violation ||
                           (sol.iterations > 0 && !full_step))) {
      sample_hessian = false;
    }
    // In the region of fast local convergence the Hessian changes little between iterates: the
    // next point reuses this one's (a chord step), which saves its most expensive part. A slow
    // step afterwards brings a fresh Hessian back.
    const bool reuse_hessian = problem.explicit_hessian() && !sample_hessian && full_step &&
                               violation < 0.05 * previous_violation;
    previous_violation = violation;
    if (on_iteration) {
      IterationLog log;
      log.iteration = sol.iterations;
      log.metrics["objective"] = objective / problem.scale();
      log.metrics["optimality"] = violation;
      log.last = violation <= params.tol || sol.iterations >= params.max_iter;
      on_iteration(log);
    }
    if (violation <= params.tol) {
      sol.converged = true;
      break;
    }
    if (sol.iterations >= params.max_iter) break;
    ++sol.iterations;

    VectorXd d;
    if (l1) {
      double inner = std::max(std::min(0.1 * violation, violation * violation), 0.1 * params.tol);
      d = ProximalNewtonDirection(problem, sol.theta, cur.g, cur.h, inner * problem.scale());
    } else if (problem.explicit_hessian()) {
      d = NewtonDirection(cur.h, cur.g);
    } else {
      d = ConjugateGradientDirection(problem, cur, violation);
    }
    // Predicted decrease (negative for a descent direction). Near the optimum it falls below the
    // rounding error of the objective (`noise`), which can then neither confirm nor refute a
    // step; there a step is taken when it lowers the optimality violation instead.
    double decrease = cur.g.dot(d);
    if (l1) decrease += problem.NonSmooth(sol.theta + d) - problem.NonSmooth(sol.theta);
    const double noise = 1e-12 * (std::abs(objective) + 1);
    const bool in_noise = std::abs(decrease) <= noise;
    if (!(decrease < 0) && !in_noise) break;  // not a descent direction

    // Backtracking line search. The full step is evaluated with its gradient (and Hessian),
    // since it is nearly always taken.
    double t = 1;
    VectorXd next = sol.theta + d;
    problem.Evaluate(next, reuse_hessian ? Problem::kGradient : full(), trial);
    double next_objective = trial.f + problem.NonSmooth(next);
    bool accepted = in_noise
                        ? next_objective <= objective + noise &&
                              problem.Violation(next, trial.g) < problem.Violation(sol.theta, cur.g)
                        : next_objective <= objective + kArmijo * decrease;
    if (!accepted) {
      if (in_noise) break;  // no further progress is possible in floating point
      Problem::Eval probe;
      while (t > 1e-12) {
        t *= 0.5;
        next = sol.theta + t * d;
        problem.Evaluate(next, Problem::kLoss, probe);
        next_objective = probe.f + problem.NonSmooth(next);
        if (next_objective <= objective + kArmijo * t * decrease) {
          accepted = true;
          break;
        }
      }
      if (!accepted) break;
      sample_hessian = false;
      problem.Evaluate(next, full(), trial);
    } else if (reuse_hessian) {
      trial.h = std::move(cur.h);
    }
    full_step = t == 1;
    sol.theta = next;
    objective = next_objective;
    std::swap(cur, trial);
  }
  return sol;
}

}  // namespace

void LogisticRegression::SetParams(const std::map<std::string, std::string>& params) {
  Params next = params_;
  for (const auto& [key, value] : params) {
    if (key == "C") {
      next.C = linear::ParseDouble(kName, key, value);
      if (!(next.C > 0)) throw InvalidArgument("logistic parameter C must be > 0, not " + value);
    } else if (key == "penalty") {
      if (value == "l2") {
        next.penalty = Penalty::kL2;
      } else if (value == "l1") {
        next.penalty = Penalty::kL1;
      } else if (value == "none" || value == "None") {
        next.penalty = Penalty::kNone;
      } else {
        throw InvalidArgument("logistic parameter penalty must be l2, l1 or none, not '" + value +
                              "'");
      }
    } else if (key == "fit_intercept") {
      next.fit_intercept = linear::ParseBool(kName, key, value);
    } else if (key == "max_iter") {
      next.max_iter = linear::ParseInt(kName, key, value, 1);
    } else if (key == "tol") {
      next.tol = linear::ParseDouble(kName, key, value);
      if (next.tol < 0) throw InvalidArgument("logistic parameter tol must be >= 0");
    } else {
      linear::ThrowUnknownParameter(kName, key, ParameterNames());
    }
  }
  params_ = next;
}

void LogisticRegression::Fit(const FitInput& in) {
  if (!Supports(in.task)) {
    throw InvalidArgument("logistic cannot do " + std::string(TaskName(in.task)) +
                              ": it is a classification algorithm",
                          "use linear for regression");
  }
  std::vector<double> w = linear::CheckFitInput(in, kName);
  const DenseMatrix& x = *in.x;
  const int classes = in.task == Task::kBinary ? 2 : in.num_classes;
  if (classes < 2) {
    throw InvalidArgument("logistic: multiclass needs at least 2 classes, not " +
                          std::to_string(classes));
  }
  if (!in.feature_names.empty() && in.feature_names.size() != static_cast<size_t>(x.cols)) {
    throw InvalidArgument("logistic: " + std::to_string(in.feature_names.size()) +
                          " feature names for " + std::to_string(x.cols) + " columns");
  }
  std::vector<int> labels(static_cast<size_t>(x.rows));
  for (int64_t i = 0; i < x.rows; ++i) {
    double y = in.y[i];
    if (!(y >= 0 && y < classes && y == std::floor(y))) {
      throw InvalidArgument("logistic: label " + linear::FormatNumber(y) + " at row " +
                            std::to_string(i) + " is not a class index 0.." +
                            std::to_string(classes - 1));
    }
    labels[i] = static_cast<int>(y);
  }
  const int outputs = classes == 2 ? 1 : classes;
  const int64_t m = static_cast<int64_t>(outputs) * (x.cols + (params_.fit_intercept ? 1 : 0));
  if (params_.penalty == Penalty::kL1 && m > 8192) {
    throw InvalidArgument("logistic: penalty l1 handles at most 8192 coefficients, not " +
                          std::to_string(m));
  }

  Problem problem(x, std::move(labels), std::move(w), outputs, params_,
                  linear::ResolveThreads(in.threads));
  Solution sol = Minimise(problem, params_, in.on_iteration);

  const Index stride = problem.stride();
  coef_.assign(static_cast<size_t>(outputs * x.cols), 0.0);
  intercept_.assign(static_cast<size_t>(outputs), 0.0);
  for (int c = 0; c < outputs; ++c) {
    for (int64_t j = 0; j < x.cols; ++j) coef_[c * x.cols + j] = sol.theta[c * stride + j];
    if (params_.fit_intercept) intercept_[c] = sol.theta[c * stride + x.cols];
  }
  task_ = in.task;
  num_classes_ = classes;
  outputs_ = outputs;
  num_features_ = x.cols;
  feature_names_ = in.feature_names;
  iterations_ = sol.iterations;
  converged_ = sol.converged;
  fitted_ = true;
}

DenseMatrix LogisticRegression::Predict(const DenseMatrix& x) const {
  if (!fitted_) throw FailedPrecondition("the logistic model is not trained");
  if (x.cols != num_features_) {
    throw InvalidArgument("the logistic model takes " + std::to_string(num_features_) +
                          " features, not " + std::to_string(x.cols));
  }
  linear::CheckPredictable(x, kName, feature_names_);
  const int out_cols = task_ == Task::kBinary ? 1 : num_classes_;
  DenseMatrix out(x.rows, out_cols);
  if (x.rows == 0) return out;
  RowMajorMap xm(x.data.data(), x.rows, x.cols);
  RowMajorMap coef(coef_.data(), outputs_, num_features_);
  Eigen::Map<const Eigen::RowVectorXd> intercept(intercept_.data(), outputs_);
  RowMajorMatrix z = xm * coef.transpose();
  z.rowwise() += intercept;
  for (int64_t i = 0; i < x.rows; ++i) {
    double* o = out.row(i);
    if (outputs_ == 1) {
      double p = Sigmoid(z(i, 0));
      if (out_cols == 1) {
        o[0] = p;
      } else {
        o[0] = 1 - p;
        o[1] = p;
      }
    } else {
      double mx = z.row(i).maxCoeff();
      double se = 0;
      for (int c = 0; c < outputs_; ++c) se += (o[c] = std::exp(z(i, c) - mx));
      for (int c = 0; c < outputs_; ++c) o[c] /= se;
    }
  }
  linear::CheckPredictionsFinite(out, kName);
  return out;
}

std::string LogisticRegression::SaveModel() const {
  if (!fitted_) throw FailedPrecondition("the logistic model is not trained");
  linear::ModelDoc doc;
  doc.task = task_;
  doc.num_classes = num_classes_;
  doc.num_features = num_features_;
  doc.feature_names = feature_names_;
  doc.outputs = outputs_;
  doc.coefficients = coef_;
  doc.intercepts = intercept_;
  return linear::WriteModel(kName, doc);
}

void LogisticRegression::LoadModel(std::string_view json) {
  linear::ModelDoc doc = linear::ReadModel(kName, json);
  if (!Supports(doc.task) || doc.num_classes < 2 ||
      (doc.task == Task::kBinary && doc.num_classes != 2) ||
      doc.outputs != (doc.num_classes == 2 ? 1 : doc.num_classes)) {
    throw Corruption("logistic model has an inconsistent task, classes and coefficient rows");
  }
  task_ = doc.task;
  num_classes_ = doc.num_classes;
  outputs_ = doc.outputs;
  num_features_ = doc.num_features;
  coef_ = std::move(doc.coefficients);
  intercept_ = std::move(doc.intercepts);
  feature_names_ = std::move(doc.feature_names);
  fitted_ = true;
}

std::string LogisticRegression::SaveConfig() const {
  linear::ConfigDoc config;
  config.task = task_;
  config.num_classes = num_classes_;
  config.params = {{"C", linear::FormatNumber(params_.C)},
                   {"penalty", std::string(PenaltyName(params_.penalty))},
                   {"fit_intercept", params_.fit_intercept ? "true" : "false"},
                   {"max_iter", std::to_string(params_.max_iter)},
                   {"tol", linear::FormatNumber(params_.tol)}};
  return linear::WriteConfig(kName, config);
}

void LogisticRegression::LoadConfig(std::string_view json) {
  linear::ConfigDoc config = linear::ReadConfig(kName, json);
  if (!Supports(config.task)) {
    throw Corruption("logistic configuration has task " + std::string(TaskName(config.task)) +
                     "; logistic does binary and multiclass");
  }
  params_ = Params();
  SetParams(config.params);
  task_ = config.task;
  if (config.num_classes >= 2) num_classes_ = config.num_classes;
}

std::vector<double> LogisticRegression::FeatureImportance() const {
  std::vector<double> importance(static_cast<size_t>(num_features_), 0.0);
  if (!fitted_) return {};
  for (int c = 0; c < outputs_; ++c) {
    for (int64_t j = 0; j < num_features_; ++j) {
      importance[j] += std::abs(coef_[c * num_features_ + j]) / outputs_;
    }
  }
  return importance;
}

std::unique_ptr<Estimator> MakeLogisticRegression() {
  return std::make_unique<LogisticRegression>();
}

std::vector<std::string> LogisticRegression::Warnings() const {
  if (!fitted_ || converged_) return {};
  return {"logistic: did not converge in max_iter=" + std::to_string(params_.max_iter) +
          " iterations; the coefficients are not the optimum: raise max_iter" +
          (params_.penalty == Penalty::kNone
               ? " (without a penalty, separable classes have no finite optimum)"
               : "")};
}

}  // namespace mloop
