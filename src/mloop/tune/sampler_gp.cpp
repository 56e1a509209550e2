// The `bayesian` sampler: Gaussian-process Bayesian optimisation on the unit cube.
//
// - Inputs: each continuous or integer parameter is one coordinate in [0, 1] (SearchSpace's
//   unit-cube mapping: linear, log or reverse log); a categorical parameter with k values is
//   k one-hot coordinates. An inactive (conditional) parameter takes 0.5, or all zeros when
//   categorical. Outputs: the complete trials' values, negated when maximising, standardised.
// - Kernel: s2 * Matern 5/2 with one length scale per input coordinate (ARD), plus noise sn2 on
//   the diagonal; zero prior mean. Hyperparameters maximise the log marginal likelihood plus
//   weak log-normal priors (log l ~ N(log 0.5, 1), log s2 ~ N(0, 1.5^2), log sn2 ~ N(log 1e-4,
//   3^2)), with analytic gradients, by NLopt's L-BFGS inside bounds (l in [0.01, 20], s2 in
//   [0.01, 100], sn2 in [1e-8, 1]) from three starts (the previous fit or a default, and two
//   draws from the priors); past 40 trials, every second suggestion, from the previous fit.
// - Acquisition: log expected improvement over the best observed value, computed stably in the
//   tail (Ament et al. 2023: erfcx for moderate z, the asymptotic series for z << 0).
// - Optimiser: random candidates in the cube plus perturbations of the best trials, every one
//   evaluated at its decoded point (integers and `step` grids snapped, categories snapped,
//   inactive parameters imputed); the best three are improved by trying every category of each
//   categorical and one step either way of each integer or grid, then refined over the
//   continuous coordinates without a step by NLopt's BOBYQA (COBYLA
//   for one coordinate).
// - Startup: the first n_startup_trials (default max(5, 2 * parameters + 1)) are a scrambled
//   (randomly shifted) Halton sequence.
// - Batches: running trials are added to the GP, after fitting the hyperparameters on the
//   complete ones, with the constant liar "best observed value", so the acquisition vanishes
//   where a pending trial sits and parallel suggestions spread out.
#include <nlopt.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <optional>

#include "mloop/core/error.h"
#include "mloop/core/shuffle.h"
#include "mloop/core/strings.h"
#include "mloop/tune/samplers.h"
#include "mloop/tune/tune.h"

namespace mloop::tune {

namespace {

const double kSqrt5 = std::sqrt(5.0);

double Unit(uint64_t& state) {
  return UnitRandom(state);
}
double Gauss(uint64_t& state) {
  double u1 = std::max(Unit(state), 1e-300), u2 = Unit(state);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

// erfcx(x) = exp(x^2) erfc(x) for x >= 0.
double Erfcx(double x) {
  if (x < 5.0) return std::exp(x * x) * std::erfc(x);
  // Continued fraction (Abramowitz and Stegun 7.1.14), converging fast for x >= 5.
  double f = x;
  for (int k = 120; k >= 1; --k) f = x + (0.5 * k) / f;
  return 1.0 / (std::sqrt(M_PI) * f);
}

// log h(z), h(z) = phi(z) + z Phi(z): EI = sd * h((best - mean) / sd).
double LogH(double z) {
  const double log_phi = -0.5 * z * z - 0.5 * std::log(2.0 * M_PI);
  if (z > -1.0) {
    double phi = std::exp(log_phi);
    double cdf = 0.5 * std::erfc(-z / std::sqrt(2.0));
    return std::log(phi + z * cdf);
  }
  double a = -z;
  if (a < 40.0) {
    // h = phi(z) (1 - |z| Phi(z) / phi(z)), Phi(z) / phi(z) = sqrt(pi / 2) erfcx(|z| / sqrt 2).
    double t = a * std::sqrt(M_PI / 2.0) * Erfcx(a / std::sqrt(2.0));
    return log_phi + std::log1p(-t);
  }
  // 1 - |z| Phi/phi = w (1 - 3w + 15w^2 - 105w^3 + 945w^4 - 10395w^5 ...), w = 1/z^2.
  double w = 1.0 / (z * z);
  double s = 1.0 + w * (-3.0 + w * (15.0 + w * (-105.0 + w * (945.0 + w * -10395.0))));
  return log_phi + std::log(w) + std::log(s);
}

double Matern52(double r2, double s2) {
  double r = std::sqrt(std::max(r2, 0.0));
  return s2 * (1.0 + kSqrt5 * r + 5.0 / 3.0 * r2) * std::exp(-kSqrt5 * r);
}

struct Hyper {
  std::vector<double> log_ls;
  double log_s2 = 0, log_sn2 = std::log(1e-4);
};

constexpr double kLogLsMean = -0.6931471805599453;  // log 0.5
constexpr double kLogLsSd = 1.0;
constexpr double kLogS2Sd = 1.5;
const double kLogSn2Mean = std::log(1e-4);
constexpr double kLogSn2Sd = 3.0;

// A fitted GP (latent posterior).
class Gp {
 public:
  Gp(Eigen::MatrixXd x, Eigen::VectorXd y, const Hyper& h) : x_(std::move(x)), y_(std::move(y)) {
    inv_ls2_.resize(x_.cols());
    for (int d = 0; d < x_.cols(); ++d) inv_ls2_[d] = std::exp(-2.0 * h.log_ls[d]);
    s2_ = std::exp(h.log_s2);
    sn2_ = std::exp(h.log_sn2);
    const int n = static_cast<int>(x_.rows());
    Eigen::MatrixXd k(n, n);
    for (int i = 0; i < n; ++i) {
      for (int j = 0; j <= i; ++j) k(i, j) = k(j, i) = Kernel(x_.row(i), x_.row(j));
    }
    double jitter = 1e-10 * s2_;
    for (int attempt = 0; attempt < 10; ++attempt) {
      Eigen::MatrixXd kk = k;
      kk.diagonal().array() += sn2_ + jitter;
      llt_.compute(kk);
      if (llt_.info() == Eigen::Success) break;
      jitter *= 10;
    }
    alpha_ = llt_.solve(y_);
  }

  template <class A, class B>
  double Kernel(const A& a, const B& b) const {
    double r2 = 0;
    for (int d = 0; d < static_cast<int>(inv_ls2_.size()); ++d) {
      double diff = a(d) - b(d);
      r2 += diff * diff * inv_ls2_[d];
    }
    return Matern52(r2, s2_);
  }

  // Log expected improvement over `best` at each row of `q` (a batch of points): one kernel
  // matrix and one triangular solve with many right-hand sides, much faster than point by point.
  Eigen::VectorXd LogEiBatch(const Eigen::MatrixXd& q, double best) const {
    const int n = static_cast<int>(x_.rows());
    const int c = static_cast<int>(q.rows());
    Eigen::MatrixXd ks(n, c);
    for (int j = 0; j < c; ++j) {
      for (int i = 0; i < n; ++i) ks(i, j) = Kernel(x_.row(i), q.row(j));
    }
    Eigen::VectorXd mean = ks.transpose() * alpha_;
    llt_.matrixL().solveInPlace(ks);
    Eigen::VectorXd out(c);
    for (int j = 0; j < c; ++j) {
      const double var = std::max(s2_ - ks.col(j).squaredNorm(), 1e-12 * s2_);
      out(j) = detail::LogExpectedImprovement(mean(j), std::sqrt(var), best);
    }
    return out;
  }

  // Mean and variance of the latent function at `q`.
  std::pair<double, double> Predict(const Eigen::VectorXd& q) const {
    const int n = static_cast<int>(x_.rows());
    Eigen::VectorXd ks(n);
    for (int i = 0; i < n; ++i) ks(i) = Kernel(x_.row(i), q);
    double mean = ks.dot(alpha_);
    Eigen::VectorXd v = llt_.matrixL().solve(ks);
    double var = std::max(s2_ - v.squaredNorm(), 1e-12 * s2_);
    return {mean, var};
  }

 private:
  Eigen::MatrixXd x_;
  Eigen::VectorXd y_;
  std::vector<double> inv_ls2_;
  double s2_ = 1, sn2_ = 0;
  Eigen::LLT<Eigen::MatrixXd> llt_;
  Eigen::VectorXd alpha_;
};

// The log marginal likelihood plus log priors, with its gradient, for NLopt.
// Every n x n matrix an evaluation needs is allocated once per fit, not per evaluation: with
// 200 trials each is 320 KB, and allocating (and page-faulting) ten of them at each of the
// optimiser's evaluations cost more than the arithmetic.
struct LmlData {
  const Eigen::VectorXd* y;
  std::vector<Eigen::MatrixXd> diff2;  // per input coordinate, squared differences
  Eigen::MatrixXd r2, r, e, ks, k, w;  // workspaces
  Eigen::VectorXd alpha;
  int evals = 0;
};

double LogPosterior(unsigned dim, const double* theta, double* grad, void* data) {
  auto* ld = static_cast<LmlData*>(data);
  ++ld->evals;
  const Eigen::VectorXd& y = *ld->y;
  const int n = static_cast<int>(y.size());
  const int dims = static_cast<int>(ld->diff2.size());
  const double s2 = std::exp(theta[dims]), sn2 = std::exp(theta[dims + 1]);
  Eigen::MatrixXd &r2 = ld->r2, &r = ld->r, &e = ld->e, &ks = ld->ks, &k = ld->k, &w = ld->w;
  r2.setZero();
  for (int d = 0; d < dims; ++d) r2 += ld->diff2[d] * std::exp(-2.0 * theta[d]);
  r = r2.array().sqrt();
  e = (-kSqrt5 * r.array()).exp();
  ks = s2 * (1.0 + kSqrt5 * r.array() + 5.0 / 3.0 * r2.array()) * e.array();
  k = ks;
  k.diagonal().array() += sn2 + 1e-10 * s2;
  Eigen::LLT<Eigen::Ref<Eigen::MatrixXd>> llt(k);  // in place: k holds L afterwards
  if (llt.info() != Eigen::Success) {
    if (grad) std::fill(grad, grad + dim, 0.0);
    return -1e300;
  }
  ld->alpha = y;
  llt.solveInPlace(ld->alpha);
  const Eigen::VectorXd& alpha = ld->alpha;
  const double log_det = 2.0 * k.diagonal().array().log().sum();
  double value = -0.5 * y.dot(alpha) - 0.5 * log_det - 0.5 * n * std::log(2.0 * M_PI);
  // Priors.
  for (int d = 0; d < dims; ++d) {
    double u = (theta[d] - kLogLsMean) / kLogLsSd;
    value -= 0.5 * u * u;
  }
  value -= 0.5 * std::pow(theta[dims] / kLogS2Sd, 2);
  value -= 0.5 * std::pow((theta[dims + 1] - kLogSn2Mean) / kLogSn2Sd, 2);
  if (grad) {
    // W = alpha alpha^T - K^-1; d value / d theta = 0.5 tr(W dK/dtheta).
    w.setIdentity();
    llt.solveInPlace(w);
    w *= -1.0;
    w.noalias() += alpha * alpha.transpose();
    // dK/dlog l_d = s2 (5/3) (1 + sqrt5 r) e^{-sqrt5 r} (diff_d / l_d)^2; e becomes W times the
    // common factor.
    e = w.array() * (s2 * 5.0 / 3.0 * (1.0 + kSqrt5 * r.array()) * e.array());
    for (int d = 0; d < dims; ++d) {
      grad[d] = 0.5 * (e.array() * ld->diff2[d].array()).sum() * std::exp(-2.0 * theta[d]);
      grad[d] -= (theta[d] - kLogLsMean) / (kLogLsSd * kLogLsSd);
    }
    grad[dims] = 0.5 * (w.array() * ks.array()).sum() - theta[dims] / (kLogS2Sd * kLogS2Sd);
    grad[dims + 1] =
        0.5 * w.trace() * sn2 - (theta[dims + 1] - kLogSn2Mean) / (kLogSn2Sd * kLogSn2Sd);
  }
  return value;
}

// `restarts` random starts (drawn from the priors) besides the previous fit (or a default), each
// run for at most `max_evals` evaluations.
Hyper FitHyper(const Eigen::MatrixXd& x, const Eigen::VectorXd& y, const Hyper* previous,
               uint64_t& rng, int restarts, int max_evals) {
  const int dims = static_cast<int>(x.cols());
  const int n = static_cast<int>(x.rows());
  LmlData data;
  data.y = &y;
  data.diff2.resize(dims);
  for (int d = 0; d < dims; ++d) {
    Eigen::MatrixXd m(n, n);
    for (int i = 0; i < n; ++i) {
      for (int j = 0; j < n; ++j) m(i, j) = (x(i, d) - x(j, d)) * (x(i, d) - x(j, d));
    }
    data.diff2[d] = std::move(m);
  }
  for (Eigen::MatrixXd* m : {&data.r2, &data.r, &data.e, &data.ks, &data.k, &data.w}) {
    m->resize(n, n);
  }
  const int dim = dims + 2;
  std::vector<double> lb(dim), ub(dim);
  for (int d = 0; d < dims; ++d) lb[d] = std::log(0.01), ub[d] = std::log(20.0);
  lb[dims] = std::log(0.01), ub[dims] = std::log(100.0);
  lb[dims + 1] = std::log(1e-8), ub[dims + 1] = 0.0;

  std::vector<std::vector<double>> starts;
  std::vector<double> s0(dim);
  if (previous && static_cast<int>(previous->log_ls.size()) == dims) {
    for (int d = 0; d < dims; ++d) s0[d] = previous->log_ls[d];
    s0[dims] = previous->log_s2;
    s0[dims + 1] = previous->log_sn2;
  } else {
    for (int d = 0; d < dims; ++d) s0[d] = kLogLsMean;
    s0[dims] = 0.0;
    s0[dims + 1] = std::log(1e-3);
  }
  starts.push_back(s0);
  for (int s = 0; s < restarts; ++s) {
    std::vector<double> st(dim);
    for (int d = 0; d < dims; ++d) st[d] = kLogLsMean + kLogLsSd * Gauss(rng);
    st[dims] = 0.5 * Gauss(rng);
    st[dims + 1] = std::log(1e-3) + Gauss(rng);
    starts.push_back(st);
  }
  std::vector<double> best;
  double best_value = -std::numeric_limits<double>::infinity();
  for (auto& st : starts) {
    for (int i = 0; i < dim; ++i) st[i] = std::clamp(st[i], lb[i], ub[i]);
    nlopt_opt opt = nlopt_create(NLOPT_LD_LBFGS, dim);
    nlopt_set_lower_bounds(opt, lb.data());
    nlopt_set_upper_bounds(opt, ub.data());
    nlopt_set_max_objective(opt, LogPosterior, &data);
    nlopt_set_maxeval(opt, max_evals);
    nlopt_set_ftol_rel(opt, 1e-8);
    double f = -std::numeric_limits<double>::infinity();
    nlopt_result res = nlopt_optimize(opt, st.data(), &f);
    nlopt_destroy(opt);
    if (res < 0 && res != NLOPT_ROUNDOFF_LIMITED) {
      f = LogPosterior(dim, st.data(), nullptr, &data);
    }
    if (std::isfinite(f) && f > best_value) best_value = f, best = st;
  }
  if (best.empty()) best = starts[0];
  Hyper h;
  h.log_ls.assign(best.begin(), best.begin() + dims);
  h.log_s2 = best[dims];
  h.log_sn2 = best[dims + 1];
  return h;
}

// The first primes, one Halton base per parameter.
uint64_t NthPrime(int i) {
  static const std::vector<uint64_t> primes = [] {
    std::vector<uint64_t> p;
    for (uint64_t c = 2; p.size() < 256; ++c) {
      bool prime = true;
      for (uint64_t q : p) {
        if (q * q > c) break;
        if (c % q == 0) {
          prime = false;
          break;
        }
      }
      if (prime) p.push_back(c);
    }
    return p;
  }();
  return primes[static_cast<size_t>(i) % primes.size()];
}

double RadicalInverse(uint64_t i, uint64_t base) {
  double f = 1.0, r = 0.0;
  while (i > 0) {
    f /= static_cast<double>(base);
    r += f * static_cast<double>(i % base);
    i /= base;
  }
  return r;
}

struct Options {
  int n_startup_trials = -1;  // -1: max(5, 2 * parameters + 1)
  int n_candidates = -1;      // -1: min(2000, 500 + 50 * parameters)
};

Options ParseOptions(const nlohmann::json& options) {
  Options o;
  if (options.is_null()) return o;
  CheckOptions(options, {"n_startup_trials", "n_candidates"}, "sampler 'bayesian'");
  for (const char* key : {"n_startup_trials", "n_candidates"}) {
    if (options.contains(key) &&
        (!options.at(key).is_number_integer() || options.at(key).get<int64_t>() > 1000000 ||
         options.at(key).get<int64_t>() < 0)) {
      throw InvalidArgument(std::string("sampler 'bayesian': ") + key +
                            " must be a whole number from 0 to 1000000, got " +
                            options.at(key).dump());
    }
  }
  try {
    if (options.contains("n_startup_trials")) {
      o.n_startup_trials = options.at("n_startup_trials").get<int>();
      if (o.n_startup_trials < 0) {
        throw InvalidArgument("sampler 'bayesian': n_startup_trials must be >= 0");
      }
    }
    if (options.contains("n_candidates")) {
      o.n_candidates = options.at("n_candidates").get<int>();
      if (o.n_candidates < 1)
        throw InvalidArgument("sampler 'bayesian': n_candidates must be >= 1");
    }
  } catch (const nlohmann::json::exception& e) {
    throw InvalidArgument(std::string("sampler 'bayesian': an option has the wrong type: ") +
                          e.what());
  }
  return o;
}

class GpSampler final : public Sampler {
 public:
  GpSampler(uint64_t seed, Options o) : seed_(seed), o_(o) {}
  std::string_view name() const override { return "bayesian"; }

  ParamValues Sample(const SamplerContext& ctx) override {
    if (ctx.space == nullptr || ctx.trials == nullptr) {
      throw InvalidArgument("bayesian: the sampler context needs a space and trials");
    }
    const SearchSpace& space = *ctx.space;
    const auto& params = space.params();
    const int np = static_cast<int>(params.size());
    if (np == 0) return {};
    // Input layout.
    offsets_.assign(np, 0);
    int dims = 0;
    for (int i = 0; i < np; ++i) {
      offsets_[i] = dims;
      dims += params[i].type == ParamType::kCategorical
                  ? static_cast<int>(std::max<size_t>(params[i].choices.size(), 1))
                  : 1;
    }
    dims_ = dims;

    const double sign = ctx.direction == Direction::kMaximize ? -1.0 : 1.0;
    std::vector<const Trial*> done, pending;
    for (const Trial& t : *ctx.trials) {
      if (t.state == TrialState::kComplete && t.value && std::isfinite(*t.value)) {
        done.push_back(&t);
      } else if (t.state == TrialState::kRunning && t.number != ctx.trial_number) {
        pending.push_back(&t);
      }
    }
    uint64_t rng = seed_ ^ (0xD1B54A32D192ED03ULL * (static_cast<uint64_t>(ctx.trial_number) + 1));
    const int n_startup = o_.n_startup_trials >= 0 ? o_.n_startup_trials : std::max(5, 2 * np + 1);
    if (static_cast<int>(done.size()) < std::max(n_startup, 2)) {
      return Halton(space, static_cast<uint64_t>(std::max(ctx.trial_number, 0)));
    }

    const int n = static_cast<int>(done.size());
    const int m = static_cast<int>(pending.size());
    Eigen::MatrixXd x(n, dims);
    Eigen::VectorXd y(n);
    for (int i = 0; i < n; ++i) {
      x.row(i) = Encode(space, done[i]->params).transpose();
      y(i) = sign * *done[i]->value;
    }
    double mean = y.mean();
    double sd = std::sqrt((y.array() - mean).square().sum() / std::max(n - 1, 1));
    if (!(sd > 1e-12)) sd = 1.0;
    Eigen::VectorXd ys = (y.array() - mean) / sd;
    // Hyperparameters: from three starts while the data are few and the fit moves; past 40
    // trials, refitted every second trial from the previous fit (one or two trials' worth of
    // data away from the new optimum), with a fresh random start every tenth trial against a
    // local optimum. This keeps a suggestion at 200 trials with 10 parameters in tens of ms.
    const bool settled = have_hyper_ && n > 40;
    if (!settled || n % 2 == 0) {
      const int restarts = !settled ? 2 : (n % 10 == 0 ? 1 : 0);
      hyper_ = FitHyper(x, ys, have_hyper_ ? &hyper_ : nullptr, rng, restarts, settled ? 25 : 100);
      have_hyper_ = true;
    }
    const Hyper& h = hyper_;
    const double best = ys.minCoeff();

    // Pending trials with the constant liar "best observed".
    Eigen::MatrixXd xa(n + m, dims);
    Eigen::VectorXd ya(n + m);
    xa.topRows(n) = x;
    ya.head(n) = ys;
    for (int j = 0; j < m; ++j) {
      xa.row(n + j) = Encode(space, pending[j]->params).transpose();
      ya(n + j) = best;
    }
    Gp gp(xa, ya, h);
    auto acquisition = [&](const std::vector<double>& raw) {
      Eigen::VectorXd q = Encode(space, Decode(space, raw));
      auto [mu, var] = gp.Predict(q);
      return detail::LogExpectedImprovement(mu, std::sqrt(var), best);
    };

    // Candidates: uniform points and perturbations of the best trials.
    struct Cand {
      std::vector<double> raw;
      double value;
    };
    std::vector<Cand> cands;
    const int n_uniform = o_.n_candidates > 0 ? o_.n_candidates : std::min(2000, 500 + 50 * np);
    for (int c = 0; c < n_uniform; ++c) {
      std::vector<double> raw(np);
      for (double& u : raw) u = Unit(rng);
      cands.push_back({raw, 0});
    }
    std::vector<int> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](int a, int b) { return ys(a) < ys(b); });
    for (int k = 0; k < std::min(n, 5); ++k) {
      std::vector<double> base = Raw(space, done[order[k]]->params);
      for (int c = 0; c < 60; ++c) {
        std::vector<double> raw = base;
        double scale = c < 30 ? 0.02 : 0.1;
        for (int i = 0; i < np; ++i) {
          if (params[i].type == ParamType::kCategorical) {
            if (Unit(rng) < 0.2) raw[i] = Unit(rng);
          } else {
            raw[i] = std::clamp(raw[i] + scale * Gauss(rng), 0.0, 1.0);
          }
        }
        cands.push_back({raw, 0});
      }
    }
    Eigen::MatrixXd q(static_cast<int>(cands.size()), dims);
    for (size_t c = 0; c < cands.size(); ++c) {
      const ParamValues decoded = Decode(space, cands[c].raw);
      cands[c].raw = Raw(space, decoded);
      q.row(static_cast<int>(c)) = Encode(space, decoded).transpose();
    }
    const Eigen::VectorXd scores = gp.LogEiBatch(q, best);
    for (size_t c = 0; c < cands.size(); ++c) cands[c].value = scores(static_cast<int>(c));
    std::sort(cands.begin(), cands.end(),
              [](const Cand& a, const Cand& b) { return a.value > b.value; });

    // A point already tried (or being tried) is never suggested again: the objective is taken
    // as deterministic, and a repeat would spend a trial to learn nothing. (With the noise the
    // model allows, a best point on a bound or at an integer keeps a high acquisition.)
    std::vector<const ParamValues*> tried;
    for (const Trial& t : *ctx.trials) {
      if (t.number != ctx.trial_number) tried.push_back(&t.params);
    }
    auto is_tried = [&](const std::vector<double>& raw) {
      const ParamValues p = Decode(space, raw);
      return std::any_of(tried.begin(), tried.end(), [&](const ParamValues* t) { return *t == p; });
    };
    std::optional<std::vector<double>> best_raw;
    double best_value = -std::numeric_limits<double>::infinity();
    int refined = 0;
    for (size_t c = 0; c < cands.size() && refined < 3; ++c) {
      bool duplicate = false;
      for (size_t e = 0; e < c && !duplicate; ++e) duplicate = cands[e].raw == cands[c].raw;
      if (duplicate || is_tried(cands[c].raw)) continue;
      ++refined;
      std::vector<double> raw = cands[c].raw;
      double value = cands[c].value;
      ImproveDiscrete(space, acquisition, raw, value);
      RefineContinuous(space, acquisition, raw, value);
      if (is_tried(raw)) {  // refined onto a tried point: the candidate as it was
        raw = cands[c].raw;
        value = cands[c].value;
      }
      if (value > best_value) best_value = value, best_raw = raw;
    }
    // Every candidate tried already (a small space of integers and categories): the best one.
    return Decode(space, best_raw ? *best_raw : cands[0].raw);
  }

 private:
  // The value of each parameter as a cube coordinate (active ones; 0.5 otherwise).
  static std::vector<double> Raw(const SearchSpace& space, const ParamValues& values) {
    const auto& params = space.params();
    std::vector<double> raw(params.size(), 0.5);
    for (size_t i = 0; i < params.size(); ++i) {
      auto it = values.find(params[i].name);
      if (it != values.end()) raw[i] = space.ToUnit(params[i], it->second);
    }
    return raw;
  }

  static ParamValues Decode(const SearchSpace& space, const std::vector<double>& raw) {
    ParamValues out;
    const auto& params = space.params();
    for (size_t i = 0; i < params.size(); ++i) {
      if (!space.Active(params[i], out)) continue;
      out[params[i].name] = space.FromUnit(params[i], raw[i]);
    }
    return out;
  }

  Eigen::VectorXd Encode(const SearchSpace& space, const ParamValues& values) const {
    const auto& params = space.params();
    Eigen::VectorXd x = Eigen::VectorXd::Zero(dims_);
    for (size_t i = 0; i < params.size(); ++i) {
      const ParamSpec& p = params[i];
      auto it = values.find(p.name);
      if (p.type == ParamType::kCategorical) {
        if (it == values.end()) continue;
        std::string text = ParamValueText(it->second);
        for (size_t c = 0; c < p.choices.size(); ++c) {
          if (p.choices[c] == text) x(offsets_[i] + static_cast<int>(c)) = 1.0;
        }
      } else {
        x(offsets_[i]) = it == values.end() ? 0.5 : space.ToUnit(p, it->second);
      }
    }
    return x;
  }

  template <class Acq>
  static void ImproveDiscrete(const SearchSpace& space, const Acq& acquisition,
                              std::vector<double>& raw, double& value) {
    const auto& params = space.params();
    for (size_t i = 0; i < params.size(); ++i) {
      const ParamSpec& p = params[i];
      if (GridStep(p) == 0 && p.type != ParamType::kCategorical) continue;  // continuous
      std::vector<double> units;  // the cube coordinates to try
      if (p.type == ParamType::kCategorical) {
        const size_t k = p.choices.size();
        for (size_t c = 0; c < k; ++c) {
          units.push_back(k <= 1 ? 0.0 : static_cast<double>(c) / static_cast<double>(k - 1));
        }
      } else {
        // The grid's neighbours (integers, or values with a step), by index: low + k * step
        // may round past max where the point itself is max.
        const double x = NumberOf(space.FromUnit(p, raw[i]));
        const double step = GridStep(p);
        const double k = std::round((x - p.low) / step);
        const double last = static_cast<double>(GridPoints(p) - 1);
        for (double nk : {k - 1, k + 1}) {
          if (nk < 0 || nk > last) continue;
          units.push_back(space.ToUnit(p, GridValue(p, p.low + nk * step)));
        }
      }
      for (double unit : units) {
        std::vector<double> trial = raw;
        trial[i] = unit;
        trial = Raw(space, Decode(space, trial));
        double v = acquisition(trial);
        if (v > value) value = v, raw = trial;
      }
    }
  }

  template <class Acq>
  static void RefineContinuous(const SearchSpace& space, const Acq& acquisition,
                               std::vector<double>& raw, double& value) {
    const auto& params = space.params();
    ParamValues decoded = Decode(space, raw);
    std::vector<int> free;
    for (size_t i = 0; i < params.size(); ++i) {
      if (params[i].type == ParamType::kContinuous && params[i].step == 0 &&
          decoded.contains(params[i].name)) {
        free.push_back(static_cast<int>(i));
      }
    }
    if (free.empty()) return;
    struct Data {
      const Acq* acq;
      std::vector<double> raw;
      const std::vector<int>* free;
    } data{&acquisition, raw, &free};
    auto f = [](unsigned n, const double* z, double*, void* d) -> double {
      auto* dd = static_cast<Data*>(d);
      for (unsigned k = 0; k < n; ++k) dd->raw[(*dd->free)[k]] = z[k];
      double v = (*dd->acq)(dd->raw);
      return std::isfinite(v) ? v : -1e300;
    };
    const unsigned nf = static_cast<unsigned>(free.size());
    nlopt_opt opt = nlopt_create(nf >= 2 ? NLOPT_LN_BOBYQA : NLOPT_LN_COBYLA, nf);
    std::vector<double> lb(nf, 0.0), ub(nf, 1.0), z(nf);
    for (unsigned k = 0; k < nf; ++k) z[k] = raw[free[k]];
    nlopt_set_lower_bounds(opt, lb.data());
    nlopt_set_upper_bounds(opt, ub.data());
    nlopt_set_max_objective(opt, f, &data);
    nlopt_set_maxeval(opt, 20 * static_cast<int>(nf) + 40);
    nlopt_set_xtol_abs1(opt, 1e-6);
    nlopt_set_initial_step1(opt, 0.02);
    double fz = value;
    nlopt_result res = nlopt_optimize(opt, z.data(), &fz);
    nlopt_destroy(opt);
    if (res < 0 && res != NLOPT_ROUNDOFF_LIMITED) return;
    std::vector<double> candidate = raw;
    for (unsigned k = 0; k < nf; ++k) candidate[free[k]] = std::clamp(z[k], 0.0, 1.0);
    double v = acquisition(candidate);
    if (v > value) value = v, raw = candidate;
  }

  ParamValues Halton(const SearchSpace& space, uint64_t index) const {
    const auto& params = space.params();
    std::vector<double> raw(params.size());
    uint64_t state = seed_ ^ 0x5851F42D4C957F2DULL;
    for (size_t i = 0; i < params.size(); ++i) {
      double shift = Unit(state);
      double u = RadicalInverse(index + 1, NthPrime(static_cast<int>(i))) + shift;
      u -= std::floor(u);
      if (params[i].type == ParamType::kCategorical) {
        // Equal-width bins so every category is equally likely.
        size_t k = std::max<size_t>(params[i].choices.size(), 1);
        size_t c = std::min(k - 1, static_cast<size_t>(u * static_cast<double>(k)));
        raw[i] = k <= 1 ? 0.0 : static_cast<double>(c) / static_cast<double>(k - 1);
      } else {
        raw[i] = u;
      }
    }
    return Decode(space, raw);
  }

  uint64_t seed_;
  Options o_;
  std::vector<int> offsets_;
  int dims_ = 0;
  Hyper hyper_;
  bool have_hyper_ = false;
};

}  // namespace

namespace detail {

double LogExpectedImprovement(double mean, double sd, double best) {
  if (!(sd > 0)) {
    double imp = best - mean;
    return imp > 0 ? std::log(imp) : -std::numeric_limits<double>::infinity();
  }
  return std::log(sd) + LogH((best - mean) / sd);
}

std::pair<double, double> GpPosterior(const std::vector<std::vector<double>>& x,
                                      const std::vector<double>& y,
                                      const std::vector<double>& length_scales,
                                      double signal_variance, double noise_variance,
                                      const std::vector<double>& query) {
  const int n = static_cast<int>(x.size());
  const int d = static_cast<int>(length_scales.size());
  Eigen::MatrixXd xm(n, d);
  Eigen::VectorXd yv(n);
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < d; ++j) xm(i, j) = x[i][j];
    yv(i) = y[i];
  }
  Hyper h;
  for (double l : length_scales) h.log_ls.push_back(std::log(l));
  h.log_s2 = std::log(signal_variance);
  h.log_sn2 = std::log(std::max(noise_variance, 1e-300));
  Gp gp(xm, yv, h);
  Eigen::VectorXd q(d);
  for (int j = 0; j < d; ++j) q(j) = query[j];
  return gp.Predict(q);
}

}  // namespace detail

std::unique_ptr<Sampler> MakeGpSampler(uint64_t seed, const nlohmann::json& options) {
  return std::make_unique<GpSampler>(seed, ParseOptions(options));
}

}  // namespace mloop::tune
