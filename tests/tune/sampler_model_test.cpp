// The model-based samplers (tpe, bayesian), driven directly: ask = Sample, tell = push the
// Trial.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <set>

#include "mloop/core/error.h"
#include "mloop/tune/samplers.h"
#include "mloop/tune/tune.h"

namespace mloop::tune {
namespace {

using Objective = std::function<double(const ParamValues&)>;

double Num(const ParamValues& p, const std::string& name) {
  const ParamValue& v = p.at(name);
  if (const auto* d = std::get_if<double>(&v)) return *d;
  return static_cast<double>(std::get<int64_t>(v));
}

double Branin(const ParamValues& p) {
  double x1 = Num(p, "x1"), x2 = Num(p, "x2");
  const double a = 1, b = 5.1 / (4 * M_PI * M_PI), c = 5 / M_PI, r = 6, s = 10, t = 1 / (8 * M_PI);
  return a * std::pow(x2 - b * x1 * x1 + c * x1 - r, 2) + s * (1 - t) * std::cos(x1) + s;
}

SearchSpace BraninSpace() {
  return SearchSpace::FromJson(nlohmann::json::parse(R"({
    "x1": {"type": "continuous", "min": -5, "max": 10},
    "x2": {"type": "continuous", "min": 0, "max": 15}})"));
}

// Runs `n` sequential trials; returns them.
std::vector<Trial> RunTrials(Sampler& sampler, const SearchSpace& space, const Objective& f, int n,
                             Direction dir = Direction::kMinimize) {
  std::vector<Trial> trials;
  for (int i = 0; i < n; ++i) {
    SamplerContext ctx{&space, dir, &trials, i};
    Trial t;
    t.number = i;
    t.params = sampler.Sample(ctx);
    t.state = TrialState::kComplete;
    t.value = f(t.params);
    trials.push_back(std::move(t));
  }
  return trials;
}

double BestValue(const std::vector<Trial>& trials) {
  double best = INFINITY;
  for (const auto& t : trials) best = std::min(best, *t.value);
  return best;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

std::unique_ptr<Sampler> Make(const std::string& name, uint64_t seed,
                              const nlohmann::json& options = nlohmann::json::object()) {
  if (name == "tpe") return MakeTpeSampler(seed, options);
  if (name == "bayesian") return MakeGpSampler(seed, options);
  return MakeSampler(name, seed, options);
}

TEST(SamplerModel, DeterministicForASeed) {
  SearchSpace space = BraninSpace();
  for (std::string name : {"tpe", "bayesian"}) {
    auto a = Make(name, 3), b = Make(name, 3), c = Make(name, 4);
    auto ta = RunTrials(*a, space, Branin, 16), tb = RunTrials(*b, space, Branin, 16),
         tc = RunTrials(*c, space, Branin, 16);
    for (int i = 0; i < 16; ++i) {
      EXPECT_EQ(ParamValuesToJson(ta[i].params), ParamValuesToJson(tb[i].params)) << name << i;
    }
    EXPECT_NE(ParamValuesToJson(ta[15].params), ParamValuesToJson(tc[15].params)) << name;
  }
}

TEST(GpSampler, PosteriorMatchesHandComputed1d) {
  // Two points x = 0, 1 with y = 0, 1; l = 1, s2 = 1, no noise; query 0.5.
  auto matern = [](double r) {
    return (1 + std::sqrt(5.0) * r + 5.0 / 3.0 * r * r) * std::exp(-std::sqrt(5.0) * r);
  };
  double a = matern(1.0), b = matern(0.5);
  double mean = b / (1 + a);             // k*^T K^-1 y with K = [[1, a], [a, 1]]
  double var = 1 - 2 * b * b / (1 + a);  // 1 - k*^T K^-1 k*
  auto [m, v] = detail::GpPosterior({{0.0}, {1.0}}, {0.0, 1.0}, {1.0}, 1.0, 0.0, {0.5});
  EXPECT_NEAR(m, mean, 1e-8);
  EXPECT_NEAR(v, var, 1e-8);
  // With a signal variance of 2 and a length scale of 0.5 at query 0.25 (r = 0.5, 1.5).
  double a2 = 2 * matern(2.0), k0 = 2 * matern(0.5), k1 = 2 * matern(1.5);
  double det = 4 - a2 * a2;
  double alpha0 = (-a2 * 1.0) / det, alpha1 = (2 * 1.0) / det;  // K^-1 [0, 1]
  double mean2 = k0 * alpha0 + k1 * alpha1;
  double quad = (2 * k0 * k0 - 2 * a2 * k0 * k1 + 2 * k1 * k1) / det;
  auto [m2, v2] = detail::GpPosterior({{0.0}, {1.0}}, {0.0, 1.0}, {0.5}, 2.0, 0.0, {0.25});
  EXPECT_NEAR(m2, mean2, 1e-8);
  EXPECT_NEAR(v2, 2 - quad, 1e-8);
  // At an observed point the posterior is the observation with (almost) no variance.
  auto [m3, v3] = detail::GpPosterior({{0.0}, {1.0}}, {0.0, 1.0}, {0.5}, 2.0, 0.0, {1.0});
  EXPECT_NEAR(m3, 1.0, 1e-6);
  EXPECT_LT(v3, 1e-6);
}

TEST(GpSampler, LogEiEqualsLogOfEiAndStaysFiniteInTheTail) {
  auto ei = [](double mean, double sd, double best) {
    double z = (best - mean) / sd;
    double phi = std::exp(-0.5 * z * z) / std::sqrt(2 * M_PI);
    double cdf = 0.5 * std::erfc(-z / std::sqrt(2.0));
    return sd * (phi + z * cdf);
  };
  for (double z :
       {5.0, 2.0, 0.5, 0.0, -0.5, -0.99, -1.0, -1.5, -3.0, -5.0, -7.0, -7.1, -10.0, -20.0, -30.0}) {
    double sd = 0.7, best = 1.0, mean = best - z * sd;
    double direct = std::log(ei(mean, sd, best));
    double stable = detail::LogExpectedImprovement(mean, sd, best);
    // The direct formula cancels (about z^2 ulps), so compare relatively to z^2 eps.
    EXPECT_NEAR(stable, direct, 1e-10 * std::max(1.0, std::abs(direct))) << "z=" << z;
  }
  // Far in the tail EI underflows to 0, log EI stays finite, decreasing, and follows the
  // asymptote -z^2/2 - log(2 pi)/2 - 2 log|z|.
  double prev = detail::LogExpectedImprovement(-35.0, 1.0, 0.0);
  for (double z : {-38.0, -39.9, -40.0, -40.1, -50.0, -100.0, -1e3, -1e5, -1e8}) {
    double v = detail::LogExpectedImprovement(-z, 1.0, 0.0);
    EXPECT_TRUE(std::isfinite(v)) << z;
    EXPECT_LT(v, prev) << z;
    double asym = -0.5 * z * z - 0.5 * std::log(2 * M_PI) - 2 * std::log(-z);
    EXPECT_NEAR(v, asym, 4.0 / (z * z) * std::abs(1.0)) << z;
    prev = v;
  }
  // Continuity across the switch at z = -40.
  double below = detail::LogExpectedImprovement(40.0 + 1e-9, 1.0, 0.0);
  double above = detail::LogExpectedImprovement(40.0 - 1e-9, 1.0, 0.0);
  EXPECT_NEAR(below, above, 1e-6);
}

SearchSpace MixedSpace() {
  return SearchSpace::FromJson(nlohmann::json::parse(R"({
    "lr": {"type": "continuous", "min": 1e-4, "max": 1, "scale": "log"},
    "depth": {"type": "integer", "min": 2, "max": 10},
    "leaves": {"type": "integer", "min": 1, "max": 1000, "scale": "log"},
    "kernel": {"type": "categorical", "values": ["linear", "rbf", "poly"]},
    "gamma": {"type": "continuous", "min": 1e-3, "max": 10, "scale": "log",
              "when": {"kernel": "rbf"}},
    "degree": {"type": "integer", "min": 2, "max": 5, "when": {"kernel": "poly"}}})"));
}

double MixedObjective(const ParamValues& p) {
  double v = std::pow(std::log10(Num(p, "lr")) + 2, 2) + 0.1 * std::abs(Num(p, "depth") - 6) +
             0.05 * std::abs(std::log(Num(p, "leaves")) - 3);
  std::string kernel = std::get<std::string>(p.at("kernel"));
  if (kernel == "rbf") v += std::pow(std::log10(Num(p, "gamma")), 2) - 0.5;
  if (kernel == "poly") v += 0.2 * Num(p, "degree");
  return v;
}

TEST(SamplerModel, RespectsBoundsTypesAndConditionals) {
  SearchSpace space = MixedSpace();
  for (std::string name : {"tpe", "bayesian"}) {
    auto s = Make(name, 11);
    auto trials = RunTrials(*s, space, MixedObjective, 40);
    std::set<std::string> kernels;
    for (const Trial& t : trials) {
      SCOPED_TRACE(name + " trial " + std::to_string(t.number));
      const auto& p = t.params;
      ASSERT_TRUE(std::holds_alternative<double>(p.at("lr")));
      EXPECT_GE(std::get<double>(p.at("lr")), 1e-4);
      EXPECT_LE(std::get<double>(p.at("lr")), 1.0);
      ASSERT_TRUE(std::holds_alternative<int64_t>(p.at("depth")));
      EXPECT_GE(std::get<int64_t>(p.at("depth")), 2);
      EXPECT_LE(std::get<int64_t>(p.at("depth")), 10);
      ASSERT_TRUE(std::holds_alternative<int64_t>(p.at("leaves")));
      EXPECT_GE(std::get<int64_t>(p.at("leaves")), 1);
      EXPECT_LE(std::get<int64_t>(p.at("leaves")), 1000);
      std::string kernel = std::get<std::string>(p.at("kernel"));
      kernels.insert(kernel);
      EXPECT_EQ(p.contains("gamma"), kernel == "rbf");
      EXPECT_EQ(p.contains("degree"), kernel == "poly");
      if (kernel == "rbf") {
        ASSERT_TRUE(std::holds_alternative<double>(p.at("gamma")));
        EXPECT_GE(std::get<double>(p.at("gamma")), 1e-3);
        EXPECT_LE(std::get<double>(p.at("gamma")), 10.0);
      }
      if (kernel == "poly") {
        ASSERT_TRUE(std::holds_alternative<int64_t>(p.at("degree")));
        EXPECT_GE(std::get<int64_t>(p.at("degree")), 2);
        EXPECT_LE(std::get<int64_t>(p.at("degree")), 5);
      }
      EXPECT_EQ(p.size(), kernel == "linear" ? 4u : 5u);
    }
    EXPECT_EQ(kernels.size(), 3u) << name;
    // Both learn something: the second half is better on average than the first.
    double first = 0, second = 0;
    for (int i = 0; i < 20; ++i) first += *trials[i].value, second += *trials[20 + i].value;
    EXPECT_LT(second, first) << name;
  }
}

TEST(SamplerModel, MaximisationFindsTheTop) {
  SearchSpace space = BraninSpace();
  for (std::string name : {"tpe", "bayesian"}) {
    auto s = Make(name, 5);
    auto trials = RunTrials(
        *s, space, [](const ParamValues& p) { return -Branin(p); }, 30, Direction::kMaximize);
    double best = -INFINITY;
    for (const auto& t : trials) best = std::max(best, *t.value);
    EXPECT_GT(best, -2.0) << name;
  }
}

TEST(GpSampler, PendingTrialsGetDistinctSuggestions) {
  SearchSpace space = BraninSpace();
  auto s = Make("bayesian", 9);
  std::vector<Trial> trials = RunTrials(*s, space, Branin, 12);
  std::set<std::string> seen;
  for (int k = 0; k < 4; ++k) {
    SamplerContext ctx{&space, Direction::kMinimize, &trials, static_cast<int>(trials.size())};
    Trial t;
    t.number = static_cast<int>(trials.size());
    t.params = s->Sample(ctx);
    t.state = TrialState::kRunning;  // pending: told later
    seen.insert(ParamValuesToJson(t.params).dump());
    trials.push_back(t);
  }
  EXPECT_EQ(seen.size(), 4u);
  // The pending points are spread out, not stacked on one spot.
  double min_dist = INFINITY;
  for (int a = 12; a < 16; ++a) {
    for (int b = a + 1; b < 16; ++b) {
      double d1 = (Num(trials[a].params, "x1") - Num(trials[b].params, "x1")) / 15;
      double d2 = (Num(trials[a].params, "x2") - Num(trials[b].params, "x2")) / 15;
      min_dist = std::min(min_dist, std::hypot(d1, d2));
    }
  }
  EXPECT_GT(min_dist, 1e-3);
}

// A deterministic objective whose best point sits on a bound (x = 0.3) at an integer (d = 8):
// the model sampler kept suggesting that point again, 14 of 25 trials.
TEST(GpSampler, NeverSuggestsATriedPointAgain) {
  SearchSpace space = SearchSpace::FromJson(nlohmann::json::parse(R"({
    "x": {"type": "continuous", "min": 0.01, "max": 0.3, "scale": "log"},
    "d": {"type": "integer", "min": 4, "max": 10}})"));
  for (uint64_t seed : {2, 3}) {
    auto s = Make("bayesian", seed);
    auto trials = RunTrials(
        *s, space,
        [](const ParamValues& p) { return Num(p, "x") - 0.01 * std::pow(Num(p, "d") - 8, 2); }, 25,
        Direction::kMaximize);
    std::set<std::string> points;
    for (const auto& t : trials) {
      EXPECT_TRUE(points.insert(ParamValuesToJson(t.params).dump()).second)
          << "seed " << seed << ", trial " << t.number << " repeats "
          << ParamValuesToJson(t.params).dump();
    }
    double best = -INFINITY;
    for (const auto& t : trials) best = std::max(best, *t.value);
    EXPECT_GT(best, 0.28) << seed;  // found the corner: x near 0.3 at d = 8
  }
}

TEST(SamplerModel, OptionsAreChecked) {
  EXPECT_THROW(MakeTpeSampler(1, {{"n_startup_trial", 5}}), Error);
  EXPECT_THROW(MakeGpSampler(1, {{"n_startup", 5}}), Error);
  EXPECT_THROW(MakeGpSampler(1, {{"n_startup_trials", "x"}}), Error);
  EXPECT_NO_THROW(MakeTpeSampler(1, {{"n_startup_trials", 5}, {"n_ei_candidates", 10}}));
  EXPECT_NO_THROW(MakeGpSampler(1, {{"n_startup_trials", 3}}));
  EXPECT_EQ(MakeSampler("bayesian", 1)->name(), "bayesian");
  EXPECT_EQ(MakeSampler("tpe", 1)->name(), "tpe");
}

TEST(GpSampler, TenParametersSixtyTrials) {
  nlohmann::json params = nlohmann::json::object();
  for (int i = 0; i < 10; ++i) {
    params["p" + std::to_string(i)] = {{"type", "continuous"}, {"min", -1}, {"max", 1}};
  }
  SearchSpace space = SearchSpace::FromJson(params);
  auto sphere = [](const ParamValues& p) {
    double v = 0;
    for (const auto& [name, value] : p) v += std::pow(std::get<double>(value) - 0.3, 2);
    return v;
  };
  auto g = Make("bayesian", 1);
  auto start = std::chrono::steady_clock::now();
  auto trials = RunTrials(*g, space, sphere, 60);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("[ sphere 10-d ] best %.4f, %.1f ms per suggestion\n", BestValue(trials),
              1000 * seconds / 60);
  auto r = Make("random", 1);
  EXPECT_LT(BestValue(trials), BestValue(RunTrials(*r, space, sphere, 60)));
}

TEST(GpSampler, BeatsRandomOnBranin) {
  SearchSpace space = BraninSpace();
  std::vector<double> gp, random;
  int below = 0;
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    auto g = Make("bayesian", seed);
    auto r = Make("random", seed);
    gp.push_back(BestValue(RunTrials(*g, space, Branin, 40)));
    random.push_back(BestValue(RunTrials(*r, space, Branin, 40)));
    if (gp.back() < 0.5) ++below;
  }
  for (size_t i = 0; i < gp.size(); ++i) {
    std::printf("[ branin 40 ] seed %zu: bayesian %.5f random %.5f\n", i + 1, gp[i], random[i]);
  }
  EXPECT_GE(below, 3);
  EXPECT_LT(Median(gp), Median(random));
}

TEST(TpeSampler, BeatsRandomOnBranin) {
  SearchSpace space = BraninSpace();
  std::vector<double> tpe, random;
  // 15 seeds: with only seeds 1-5 random search is lucky (median 0.657 against 1.06 over 41
  // seeds) and TPE's median (0.709) is not below it; over 41 seeds TPE's median is 0.536.
  for (uint64_t seed = 1; seed <= 15; ++seed) {
    auto t = Make("tpe", seed);
    auto r = Make("random", seed);
    tpe.push_back(BestValue(RunTrials(*t, space, Branin, 50)));
    random.push_back(BestValue(RunTrials(*r, space, Branin, 50)));
  }
  for (size_t i = 0; i < tpe.size(); ++i) {
    std::printf("[ branin 50 ] seed %zu: tpe %.5f random %.5f\n", i + 1, tpe[i], random[i]);
  }
  EXPECT_LT(Median(tpe), Median(random));
}

TEST(TpeSampler, IgnoresRunningTrialsAndUsesPrunedOnes) {
  SearchSpace space = BraninSpace();
  auto s = Make("tpe", 2);
  std::vector<Trial> trials = RunTrials(*s, space, Branin, 12);
  // A running trial with no value and a pruned one with intermediate values do not break it.
  Trial running;
  running.number = 12;
  running.params = trials[0].params;
  trials.push_back(running);
  Trial pruned;
  pruned.number = 13;
  pruned.params = trials[1].params;
  pruned.state = TrialState::kPruned;
  pruned.intermediate = {{1, 50.0}, {2, 40.0}};
  trials.push_back(pruned);
  SamplerContext ctx{&space, Direction::kMinimize, &trials, 14};
  ParamValues p = s->Sample(ctx);
  EXPECT_EQ(p.size(), 2u);
  EXPECT_GE(Num(p, "x1"), -5.0);
  EXPECT_LE(Num(p, "x1"), 10.0);
}

}  // namespace
}  // namespace mloop::tune
