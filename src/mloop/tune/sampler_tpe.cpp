// The `tpe` sampler: Optuna 3.1's TPESampler with its default settings (univariate, prior and
// magic clipping on, endpoints off, n_startup_trials 10, n_ei_candidates 24,
// gamma(n) = min(ceil(0.1 n), 25), Optuna's default weights). Each active parameter is sampled
// on its own: the trials where it was active are split into the best gamma(n) ("below") and the
// rest ("above"), a Parzen estimator (a truncated-normal mixture, or for a categorical a mixture
// of smoothed one-hot distributions) is fitted to each group, n_ei_candidates are drawn from the
// "below" estimator and the one maximising log l(x) - log g(x) is returned. Continuous values
// live in the unit cube (which is Optuna's log space up to an affine map for log parameters);
// integers and stepped values live in their own (or log) space, widened by half a step at each
// end, their samples snapped to the grid. Running
// trials are ignored, as Optuna does without constant_liar.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "mloop/core/error.h"
#include "mloop/core/shuffle.h"
#include "mloop/core/strings.h"
#include "mloop/tune/samplers.h"
#include "mloop/tune/tune.h"

namespace mloop::tune {
namespace {

constexpr double kEps = 1e-12;

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  double Uniform() { return static_cast<double>(SplitMix64(state_) >> 11) * 0x1.0p-53; }
  double Normal() {
    double u1 = Uniform(), u2 = Uniform();
    if (u1 < 1e-300) u1 = 1e-300;
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
  }
  // An index drawn with probabilities proportional to `w` (non-negative, summing to > 0).
  size_t Choice(const std::vector<double>& w) {
    double total = std::accumulate(w.begin(), w.end(), 0.0);
    double r = Uniform() * total;
    for (size_t i = 0; i < w.size(); ++i) {
      r -= w[i];
      if (r < 0) return i;
    }
    return w.size() - 1;
  }

 private:
  uint64_t state_;
};

double NormalCdf(double z) {
  return 0.5 * std::erfc(-z / std::sqrt(2.0));
}

double LogSumExp(const std::vector<double>& v) {
  double m = -std::numeric_limits<double>::infinity();
  for (double x : v) m = std::max(m, x);
  if (!std::isfinite(m)) return m;
  double s = 0;
  for (double x : v) s += std::exp(x - m);
  return m + std::log(s);
}

// Optuna's default_gamma and default_weights.
int DefaultGamma(int n) {
  return std::min(static_cast<int>(std::ceil(0.1 * n)), 25);
}

std::vector<double> DefaultWeights(int n) {
  std::vector<double> w(n, 1.0);
  if (n >= 25) {
    int ramp = n - 25;
    // np.linspace(1 / n, 1.0, num=n - 25)
    for (int i = 0; i < ramp; ++i) {
      w[i] = ramp == 1 ? 1.0 / n : 1.0 / n + (1.0 - 1.0 / n) * i / (ramp - 1);
    }
  }
  return w;
}

struct Options {
  int n_startup_trials = 10;
  int n_ei_candidates = 24;
  double prior_weight = 1.0;
  bool consider_prior = true;
  bool consider_magic_clip = true;
  bool consider_endpoints = false;
};

Options ParseOptions(const nlohmann::json& options) {
  Options o;
  const std::vector<std::string> known = {"n_startup_trials",    "n_ei_candidates",
                                          "prior_weight",        "consider_prior",
                                          "consider_magic_clip", "consider_endpoints"};
  CheckOptions(options, known, "sampler 'tpe'");
  if (options.is_null()) return o;
  for (const auto& [key, value] : options.items()) {
    try {
      if (key == "n_startup_trials") {
        o.n_startup_trials = value.get<int>();
        if (o.n_startup_trials < 0)
          throw InvalidArgument("tpe option n_startup_trials must be >= 0");
      } else if (key == "n_ei_candidates") {
        o.n_ei_candidates = value.get<int>();
        if (o.n_ei_candidates < 1) throw InvalidArgument("tpe option n_ei_candidates must be >= 1");
      } else if (key == "prior_weight") {
        o.prior_weight = value.get<double>();
        if (!(o.prior_weight > 0)) throw InvalidArgument("tpe option prior_weight must be > 0");
      } else if (key == "consider_prior") {
        o.consider_prior = value.get<bool>();
      } else if (key == "consider_magic_clip") {
        o.consider_magic_clip = value.get<bool>();
      } else if (key == "consider_endpoints") {
        o.consider_endpoints = value.get<bool>();
      }
    } catch (const nlohmann::json::exception&) {
      throw InvalidArgument("tpe option '" + key + "' has the wrong type: " + value.dump());
    }
  }
  return o;
}

// A parameter's working space: continuous parameters in the unit cube; a grid (integers, or a
// `step`) as the value (or its log, for log integers) with bounds widened by half a step, as
// Optuna's stepped distributions.
struct Domain {
  double low = 0, high = 1;
  double step = 0;  // > 0: a grid
  bool log = false;
  bool stepped() const { return step > 0; }
};

Domain DomainOf(const ParamSpec& p) {
  Domain d;
  d.step = GridStep(p);
  if (d.stepped()) {
    d.log = p.scale == Scale::kLog;  // integers only: a step is linear
    d.low = p.low - d.step / 2;
    d.high = p.high + d.step / 2;
    if (d.log) {
      d.low = std::log(std::max(d.low, 1e-12));
      d.high = std::log(d.high);
    }
  }
  return d;
}

double ToWork(const SearchSpace& space, const ParamSpec& p, const Domain& d, const ParamValue& v) {
  if (!d.stepped()) return space.ToUnit(p, v);
  const double x = NumberOf(v);
  return d.log ? std::log(x) : x;
}

ParamValue FromWork(const SearchSpace& space, const ParamSpec& p, const Domain& d, double x) {
  if (!d.stepped()) return space.FromUnit(p, std::clamp(x, 0.0, 1.0));
  return GridValue(p, d.log ? std::exp(x) : x);
}

// A truncated-normal mixture on [low, high] (Optuna's _ParzenEstimator for one numerical
// parameter).
struct NumericalParzen {
  std::vector<double> weights, mus, sigmas;
  Domain d;

  NumericalParzen(const std::vector<double>& obs, const Domain& dom, const Options& o) : d(dom) {
    const int n = static_cast<int>(obs.size());
    weights = DefaultWeights(n);
    if (o.consider_prior) weights.push_back(o.prior_weight);
    double total = std::accumulate(weights.begin(), weights.end(), 0.0);
    for (double& w : weights) w /= total;

    const double low = d.low, high = d.high;
    const double prior_mu = 0.5 * (low + high), prior_sigma = high - low;
    mus = obs;
    if (o.consider_prior) mus.push_back(prior_mu);
    const int m = static_cast<int>(mus.size());
    sigmas.assign(m, prior_sigma);
    if (n > 0 || !o.consider_prior) {
      std::vector<int> order(m);
      std::iota(order.begin(), order.end(), 0);
      // The prior goes where np.searchsorted would put it (before equal observations).
      std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
        if (mus[a] != mus[b]) return mus[a] < mus[b];
        bool pa = o.consider_prior && a == n, pb = o.consider_prior && b == n;
        return pa && !pb;
      });
      std::vector<double> sorted(m + 2);
      sorted[0] = low;
      sorted[m + 1] = high;
      for (int i = 0; i < m; ++i) sorted[i + 1] = mus[order[i]];
      std::vector<double> sig(m);
      for (int i = 0; i < m; ++i) {
        double left = sorted[i + 1] - sorted[i], right = sorted[i + 2] - sorted[i + 1];
        sig[i] = std::max(left, right);
      }
      if (!o.consider_endpoints && m >= 2) {
        sig[0] = sorted[2] - sorted[1];
        sig[m - 1] = sorted[m] - sorted[m - 1];
      }
      for (int i = 0; i < m; ++i) sigmas[order[i]] = sig[i];
      if (o.consider_prior) sigmas[n] = prior_sigma;
    }
    const double max_sigma = high - low;
    const double min_sigma = o.consider_magic_clip ? (high - low) / std::min(100.0, 1.0 + m) : kEps;
    for (double& s : sigmas) s = std::clamp(s, min_sigma, max_sigma);
  }

  double Sample(Rng& rng) const {
    size_t k = rng.Choice(weights);
    for (int attempt = 0; attempt < 1000; ++attempt) {
      double x = mus[k] + sigmas[k] * rng.Normal();
      if (x >= d.low && x <= d.high) return x;
    }
    return std::clamp(mus[k], d.low, d.high);
  }

  // log density at x (a continuous value), or for a grid the log probability mass of the
  // point x (in the working space, the bin of half a step either side).
  double LogPdf(double x, double v_point) const {
    std::vector<double> terms(mus.size());
    for (size_t k = 0; k < mus.size(); ++k) {
      double mu = mus[k], s = sigmas[k];
      double z = NormalCdf((d.high - mu) / s) - NormalCdf((d.low - mu) / s);
      z = std::max(z, kEps);
      double log_p;
      if (d.stepped() && !d.log) {
        // Optuna's stepped distributions: the mass of the bin, clipped to the bounds.
        double lo = std::max(v_point - d.step / 2, d.low),
               hi = std::min(v_point + d.step / 2, d.high);
        double mass = NormalCdf((hi - mu) / s) - NormalCdf((lo - mu) / s);
        log_p = std::log(mass + kEps);
      } else {
        // Continuous parameters and log integers (Optuna uses the density in log space for
        // those, at the log of the rounded value).
        double u = (x - mu) / s;
        log_p = -0.5 * u * u - std::log(s) - 0.5 * std::log(2 * M_PI);
      }
      terms[k] = std::log(weights[k]) + log_p - std::log(z);
    }
    return LogSumExp(terms);
  }
};

// A mixture of smoothed one-hot distributions (Optuna's categorical Parzen estimator): the
// component of observation c puts 1 + prior_weight / k on c and prior_weight / k elsewhere
// (normalised); the prior component is uniform.
struct CategoricalParzen {
  std::vector<double> probs;  // the mixture's probability of each category

  CategoricalParzen(const std::vector<int>& obs, int k, const Options& o) {
    const int n = static_cast<int>(obs.size());
    std::vector<double> weights = DefaultWeights(n);
    if (o.consider_prior) weights.push_back(o.prior_weight);
    double total = std::accumulate(weights.begin(), weights.end(), 0.0);
    for (double& w : weights) w /= total;
    probs.assign(k, 0.0);
    // Optuna fills every cell with prior_weight / (n + 1) (or / n without the prior), adds 1 at
    // each observation's category and normalises each row.
    const double base =
        o.consider_prior ? o.prior_weight / (n + 1) : (n > 0 ? o.prior_weight / n : 0.0);
    for (int i = 0; i < n; ++i) {
      double row_total = base * k + 1.0;
      for (int c = 0; c < k; ++c) {
        probs[c] += weights[i] * (base + (c == obs[i] ? 1.0 : 0.0)) / row_total;
      }
    }
    if (o.consider_prior) {
      for (int c = 0; c < k; ++c) probs[c] += weights[n] / k;
    }
  }
};

int CategoryIndex(const ParamSpec& p, const ParamValue& v) {
  std::string text = ParamValueText(v);
  for (size_t i = 0; i < p.choices.size(); ++i) {
    if (p.choices[i] == text) return static_cast<int>(i);
  }
  return -1;
}

// Optuna's ranking for the split: complete trials by value (better first), then pruned trials
// by the step they reached (later first) and their last intermediate value.
struct Scored {
  int index;    // into the trials vector
  double key0;  // -inf for complete, -step for pruned
  double key1;  // the value (minimisation form)
  int number;
};

class TpeSampler final : public Sampler {
 public:
  TpeSampler(uint64_t seed, Options o) : seed_(seed), o_(o) {}
  std::string_view name() const override { return "tpe"; }

  ParamValues Sample(const SamplerContext& ctx) override {
    if (ctx.space == nullptr || ctx.trials == nullptr) {
      throw InvalidArgument("tpe: the sampler context needs a space and trials");
    }
    const SearchSpace& space = *ctx.space;
    const double sign = ctx.direction == Direction::kMaximize ? -1.0 : 1.0;
    std::vector<Scored> scored;
    for (size_t i = 0; i < ctx.trials->size(); ++i) {
      const Trial& t = (*ctx.trials)[i];
      if (t.state == TrialState::kComplete && t.value && std::isfinite(*t.value)) {
        scored.push_back({static_cast<int>(i), -std::numeric_limits<double>::infinity(),
                          sign * *t.value, t.number});
      } else if (t.state == TrialState::kPruned) {
        if (!t.intermediate.empty()) {
          auto last = std::prev(t.intermediate.end());
          double v = std::isfinite(last->second) ? sign * last->second
                                                 : std::numeric_limits<double>::infinity();
          scored.push_back({static_cast<int>(i), -static_cast<double>(last->first), v, t.number});
        } else {
          scored.push_back(
              {static_cast<int>(i), std::numeric_limits<double>::infinity(), 0.0, t.number});
        }
      }
    }
    // One stream per (seed, trial number): the result does not depend on earlier calls.
    // Not seed ^ (splitmix64's increment * (n + 1)): trial n + 1's draws would be trial n's
    // shifted by one.
    Rng rng(TrialRandomState(seed_, ctx.trial_number));
    const bool startup = static_cast<int>(scored.size()) < o_.n_startup_trials;

    ParamValues out;
    for (const ParamSpec& p : space.params()) {
      if (!space.Active(p, out)) continue;
      if (startup) {
        out[p.name] = RandomValue(space, p, rng);
      } else {
        out[p.name] = SampleParam(ctx, scored, p, rng);
      }
    }
    return out;
  }

 private:
  static ParamValue RandomValue(const SearchSpace& space, const ParamSpec& p, Rng& rng) {
    if (p.type == ParamType::kCategorical) {
      size_t k = p.choices.size();
      size_t i = std::min(k - 1, static_cast<size_t>(rng.Uniform() * k));
      return p.choices[i];
    }
    Domain d = DomainOf(p);
    if (d.stepped()) return FromWork(space, p, d, d.low + rng.Uniform() * (d.high - d.low));
    return space.FromUnit(p, rng.Uniform());
  }

  ParamValue SampleParam(const SamplerContext& ctx, const std::vector<Scored>& scored,
                         const ParamSpec& p, Rng& rng) const {
    const SearchSpace& space = *ctx.space;
    const auto& trials = *ctx.trials;
    // Optuna 3.1: the split (and gamma) runs over every complete and pruned trial; each
    // estimator then uses the trials of its side where p was active.
    const int n = static_cast<int>(scored.size());
    const int n_below = DefaultGamma(n);
    std::vector<int> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
      if (scored[a].key0 != scored[b].key0) return scored[a].key0 < scored[b].key0;
      return scored[a].key1 < scored[b].key1;
    });
    std::vector<char> is_below(n, 0);
    for (int i = 0; i < n_below; ++i) is_below[order[i]] = 1;
    // Observations in trial order (the weights favour later trials).
    std::vector<int> by_number(n);
    std::iota(by_number.begin(), by_number.end(), 0);
    std::stable_sort(by_number.begin(), by_number.end(),
                     [&](int a, int b) { return scored[a].number < scored[b].number; });

    if (p.type == ParamType::kCategorical) {
      const int k = static_cast<int>(p.choices.size());
      std::vector<int> below, above;
      for (int i : by_number) {
        if (!trials[scored[i].index].params.contains(p.name)) continue;
        int c = CategoryIndex(p, trials[scored[i].index].params.at(p.name));
        if (c < 0) continue;
        (is_below[i] ? below : above).push_back(c);
      }
      CategoricalParzen l(below, k, o_), g(above, k, o_);
      int best = -1;
      double best_score = -std::numeric_limits<double>::infinity();
      for (int j = 0; j < o_.n_ei_candidates; ++j) {
        int c = static_cast<int>(rng.Choice(l.probs));
        double score = std::log(std::max(l.probs[c], kEps)) - std::log(std::max(g.probs[c], kEps));
        if (best < 0 || score > best_score) best = c, best_score = score;
      }
      return p.choices[best];
    }

    Domain d = DomainOf(p);
    std::vector<double> below, above;
    for (int i : by_number) {
      if (!trials[scored[i].index].params.contains(p.name)) continue;
      double x = ToWork(space, p, d, trials[scored[i].index].params.at(p.name));
      if (!std::isfinite(x)) continue;
      x = std::clamp(x, d.low, d.high);
      (is_below[i] ? below : above).push_back(x);
    }
    NumericalParzen l(below, d, o_), g(above, d, o_);
    double best_x = 0;
    double best_score = -std::numeric_limits<double>::infinity();
    bool have = false;
    for (int j = 0; j < o_.n_ei_candidates; ++j) {
      double x = l.Sample(rng);
      double point = 0;
      if (d.stepped()) {
        // Snap to the grid, as Optuna rounds samples of stepped distributions.
        point = NumberOf(FromWork(space, p, d, x));
        x = d.log ? std::log(point) : point;
      }
      double score = l.LogPdf(x, point) - g.LogPdf(x, point);
      if (!have || score > best_score) best_x = x, best_score = score, have = true;
    }
    return FromWork(space, p, d, best_x);
  }

  uint64_t seed_;
  Options o_;
};

}  // namespace

std::unique_ptr<Sampler> MakeTpeSampler(uint64_t seed, const nlohmann::json& options) {
  return std::make_unique<TpeSampler>(seed, ParseOptions(options));
}

}  // namespace mloop::tune
