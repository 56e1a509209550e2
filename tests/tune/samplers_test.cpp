#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>

#include "mloop/core/error.h"
#include "mloop/tune/tune.h"

namespace mloop::tune {
namespace {

using nlohmann::json;

ParamSpec Cont(const std::string& name, double low, double high, Scale scale = Scale::kLinear) {
  ParamSpec p;
  p.name = name;
  p.low = low;
  p.high = high;
  p.scale = scale;
  return p;
}

ParamSpec Int(const std::string& name, double low, double high, Scale scale = Scale::kLinear) {
  ParamSpec p = Cont(name, low, high, scale);
  p.type = ParamType::kInteger;
  return p;
}

ParamSpec Cat(const std::string& name, std::vector<std::string> choices) {
  ParamSpec p;
  p.name = name;
  p.type = ParamType::kCategorical;
  p.choices = std::move(choices);
  return p;
}

SearchSpace Conditional() {
  return SearchSpace::FromJson(json::parse(R"({
    "kernel": {"values": ["linear", "rbf", "poly"]},
    "gamma": {"min": 1e-3, "max": 10, "scale": "log", "when": {"kernel": "rbf"}},
    "degree": {"type": "integer", "min": 2, "max": 5, "when": {"kernel": "poly"}},
    "c": {"min": 0.01, "max": 100, "scale": "log"},
    "momentum": {"min": 0.5, "max": 0.999, "scale": "reverse_log"}
  })"));
}

// Asks `n` points of `sampler`, telling each a value (the sum of the unit coordinates), as a
// study with an unlimited budget would.
std::vector<Trial> AskMany(Sampler& sampler, const SearchSpace& space, int n) {
  std::vector<Trial> trials;
  for (int i = 0; i < n; ++i) {
    SamplerContext ctx;
    ctx.space = &space;
    ctx.trials = &trials;
    ctx.trial_number = i;
    Trial t;
    t.number = i;
    t.params = sampler.Sample(ctx);
    double y = 0;
    for (const auto& p : space.params()) {
      auto it = t.params.find(p.name);
      if (it != t.params.end()) y += space.ToUnit(p, it->second);
    }
    t.state = TrialState::kComplete;
    t.value = y;
    trials.push_back(t);
  }
  return trials;
}

// Every active parameter, and only those, has a value of the right type inside its range.
void ExpectValid(const SearchSpace& space, const ParamValues& v) {
  ParamValues seen;
  for (const auto& p : space.params()) {
    bool active = space.Active(p, seen);
    auto it = v.find(p.name);
    ASSERT_EQ(active, it != v.end()) << p.name;
    if (!active) continue;
    seen[p.name] = it->second;
    switch (p.type) {
      case ParamType::kContinuous: {
        ASSERT_TRUE(std::holds_alternative<double>(it->second)) << p.name;
        double x = std::get<double>(it->second);
        EXPECT_GE(x, p.low);
        EXPECT_LE(x, p.high);
        break;
      }
      case ParamType::kInteger: {
        ASSERT_TRUE(std::holds_alternative<int64_t>(it->second)) << p.name;
        int64_t x = std::get<int64_t>(it->second);
        EXPECT_GE(x, p.low);
        EXPECT_LE(x, p.high);
        break;
      }
      case ParamType::kCategorical:
        ASSERT_TRUE(std::holds_alternative<std::string>(it->second)) << p.name;
        EXPECT_NE(std::find(p.choices.begin(), p.choices.end(), std::get<std::string>(it->second)),
                  p.choices.end());
        break;
    }
  }
  EXPECT_EQ(seen.size(), v.size());
}

TEST(SamplerTest, FactoryNamesAndErrors) {
  EXPECT_EQ(SamplerNames(),
            (std::vector<std::string>{"random", "grid", "sobol", "tpe", "bayesian"}));
  for (const auto& n : SamplerNames()) EXPECT_EQ(MakeSampler(n, 1)->name(), n);
  try {
    MakeSampler("sobal", 1);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("did you mean 'sobol'"), std::string::npos) << e.what();
  }
  try {
    MakeSampler("grid", 1, {{"point", 3}});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean 'points'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(MakeSampler("grid", 1, {{"points", 0}}), Error);
  try {
    MakeSampler("tpe", 1, {{"startup", 3}});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("sampler 'tpe': unknown option 'startup'"),
              std::string::npos)
        << e.what();
    EXPECT_NE(e.hint().find("n_startup_trials"), std::string::npos) << e.hint();
  }
  EXPECT_THROW(MakeSampler("random", 1, {{"x", 0}}), Error);
  EXPECT_THROW(MakeSampler("sobol", 1, {{"scramble", 3}}), Error);
}

TEST(SamplerTest, EverySamplerRespectsConditionsAndTypes) {
  SearchSpace space = Conditional();
  for (const auto& name : SamplerNames()) {
    SCOPED_TRACE(name);
    auto sampler = MakeSampler(name, 3);
    // The grid: c (5) x [linear x momentum (5) + rbf x gamma x momentum (25) + poly x degree (4)
    // x momentum (20)] = 250 points, each once.
    const int n = name == "grid" ? 250 : 25;
    std::vector<Trial> trials = AskMany(*sampler, space, n);
    std::set<std::string> kernels;
    std::set<ParamValues> distinct;
    for (const auto& t : trials) {
      ExpectValid(space, t.params);
      kernels.insert(std::get<std::string>(t.params.at("kernel")));
      distinct.insert(t.params);
    }
    EXPECT_EQ(kernels.size(), 3u);
    if (name == "grid") {
      EXPECT_EQ(distinct.size(), 250u);
    }
  }
}

// A `step` keeps every sampler on its grid (Optuna's step): values low + k * step, written as
// briefly as the bounds (0.3, not 0.30000000000000004); model-based samplers included, after
// their start-up trials.
TEST(SamplerTest, EverySamplerKeepsToAStep) {
  SearchSpace space = SearchSpace::FromJson(json::parse(R"({
    "frac": {"min": 0.1, "max": 0.9, "step": 0.1},
    "trees": {"type": "integer", "min": 100, "max": 1000, "step": 150},
    "lr": {"min": 0.001, "max": 1, "scale": "log"}
  })"));
  for (const auto& name : SamplerNames()) {
    SCOPED_TRACE(name);
    auto sampler = MakeSampler(name, 5);
    const std::vector<Trial> trials = AskMany(*sampler, space, name == "grid" ? 125 : 40);
    std::set<double> fracs;
    std::set<int64_t> trees;
    for (const auto& t : trials) {
      ExpectValid(space, t.params);
      const double frac = std::get<double>(t.params.at("frac"));
      const double tenths = std::round(frac * 10);
      EXPECT_EQ(frac, tenths / 10) << frac;  // exactly the double of the decimal
      fracs.insert(frac);
      const int64_t n = std::get<int64_t>(t.params.at("trees"));
      EXPECT_EQ((n - 100) % 150, 0) << n;
      trees.insert(n);
    }
    EXPECT_GE(fracs.size(), 5u);
    EXPECT_GE(trees.size(), 4u);
    if (name == "grid") {  // 9 x 7 points exceed 5 per axis: 5 spread points each, snapped
      EXPECT_EQ(fracs, (std::set<double>{0.1, 0.3, 0.5, 0.7, 0.9}));
      EXPECT_EQ(trees, (std::set<int64_t>{100, 400, 550, 850, 1000}));  // 325 -> 400, 775 -> 850
    }
  }
  // A grid of at most `points` values is enumerated whole.
  SearchSpace small =
      SearchSpace::FromJson(json::parse(R"({"q": {"min": 0, "max": 1, "step": 0.25}})"));
  std::vector<double> got;
  for (const auto& t : AskMany(*MakeSampler("grid", 0), small, 5)) {
    got.push_back(std::get<double>(t.params.at("q")));
  }
  EXPECT_EQ(got, (std::vector<double>{0, 0.25, 0.5, 0.75, 1}));
}

TEST(SamplerTest, RandomIsDeterministicPerSeedAndUniformPerScale) {
  SearchSpace space({Cont("x", 0, 1), Cont("lr", 1e-4, 1, Scale::kLog), Int("n", 1, 4),
                     Cat("k", {"a", "b", "c"})});
  auto a = AskMany(*MakeSampler("random", 42), space, 4000);
  auto b = AskMany(*MakeSampler("random", 42), space, 4000);
  auto c = AskMany(*MakeSampler("random", 43), space, 10);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(a[i].params, b[i].params);
    EXPECT_NE(a[i].params.at("x"), c[i].params.at("x"));
  }
  // The same trial number gives the same point whatever came before (parallel-safe).
  auto sampler = MakeSampler("random", 42);
  std::vector<Trial> none;
  SamplerContext ctx{&space, Direction::kMinimize, &none, 7};
  EXPECT_EQ(sampler->Sample(ctx), a[7].params);

  int below_mid = 0, small_lr = 0;
  std::map<int64_t, int> ns;
  std::map<std::string, int> ks;
  for (const auto& t : a) {
    ExpectValid(space, t.params);
    below_mid += std::get<double>(t.params.at("x")) < 0.5;
    small_lr += std::get<double>(t.params.at("lr")) < 1e-2;  // the geometric middle
    ++ns[std::get<int64_t>(t.params.at("n"))];
    ++ks[std::get<std::string>(t.params.at("k"))];
  }
  EXPECT_NEAR(below_mid / 4000.0, 0.5, 0.04);
  EXPECT_NEAR(small_lr / 4000.0, 0.5, 0.04);
  for (int64_t v = 1; v <= 4; ++v) EXPECT_NEAR(ns[v] / 4000.0, 0.25, 0.03) << v;
  for (const char* k : {"a", "b", "c"}) EXPECT_NEAR(ks[k] / 4000.0, 1 / 3.0, 0.03) << k;
}

TEST(SamplerTest, GridEnumeratesInAFixedOrderThenCycles) {
  SearchSpace space({Cont("x", 0, 1), Cat("k", {"a", "b"})});
  auto trials = AskMany(*MakeSampler("grid", 0, {{"points", 3}}), space, 8);
  std::vector<std::pair<double, std::string>> got;
  for (const auto& t : trials) {
    got.emplace_back(std::get<double>(t.params.at("x")), std::get<std::string>(t.params.at("k")));
  }
  std::vector<std::pair<double, std::string>> want = {{0, "a"}, {0, "b"}, {0.5, "a"}, {0.5, "b"},
                                                      {1, "a"}, {1, "b"}, {0, "a"},   {0, "b"}};
  EXPECT_EQ(got, want);
}

TEST(SamplerTest, GridAxesForIntegersLogAndConditionals) {
  // Integers: every value when there are at most `points`, else `points` spread values.
  SearchSpace ints({Int("small", 2, 4), Int("big", 1, 100)});
  auto t = AskMany(*MakeSampler("grid", 0), ints, 15);
  std::vector<std::pair<int64_t, int64_t>> got;
  for (const auto& x : t) {
    got.emplace_back(std::get<int64_t>(x.params.at("small")),
                     std::get<int64_t>(x.params.at("big")));
  }
  std::vector<int64_t> big = {1, 26, 51, 75, 100};
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].first, 2 + static_cast<int64_t>(i / 5));
    EXPECT_EQ(got[i].second, big[i % 5]);
  }
  // Log scale: points evenly spaced in log.
  SearchSpace lg({Cont("lr", 1e-4, 1, Scale::kLog)});
  auto l = AskMany(*MakeSampler("grid", 0), lg, 5);
  double want[] = {1e-4, 1e-3, 1e-2, 1e-1, 1};
  for (int i = 0; i < 5; ++i) EXPECT_NEAR(std::get<double>(l[i].params.at("lr")), want[i], 1e-12);
  // Conditionals: a branch multiplies only its own points.
  SearchSpace cond = SearchSpace::FromJson(json::parse(R"({
    "kernel": {"values": ["linear", "rbf"]},
    "gamma": {"min": 0, "max": 1, "when": {"kernel": "rbf"}}
  })"));
  auto c = AskMany(*MakeSampler("grid", 0, {{"points", 2}}), cond, 3);
  EXPECT_EQ(c[0].params, (ParamValues{{"kernel", std::string("linear")}}));
  EXPECT_EQ(c[1].params, (ParamValues{{"kernel", std::string("rbf")}, {"gamma", 0.0}}));
  EXPECT_EQ(c[2].params, (ParamValues{{"kernel", std::string("rbf")}, {"gamma", 1.0}}));
}

TEST(SamplerTest, GridSkipsPointsAlreadyTakenByRunningOrEarlierTrials) {
  SearchSpace space({Cat("k", {"a", "b", "c"})});
  auto grid = MakeSampler("grid", 0);
  std::vector<Trial> trials(1);
  trials[0].params = {{"k", std::string("a")}};  // running
  SamplerContext ctx{&space, Direction::kMinimize, &trials, 1};
  EXPECT_EQ(std::get<std::string>(grid->Sample(ctx).at("k")), "b");
}

// Sobol point `index` (0 = the origin) of the unscrambled sequence in `dims` dimensions.
std::vector<double> SobolPoint(Sampler& s, const SearchSpace& space, int index) {
  std::vector<Trial> none;
  SamplerContext ctx{&space, Direction::kMinimize, &none, index - 1};
  ParamValues v = s.Sample(ctx);
  std::vector<double> out;
  for (const auto& p : space.params()) out.push_back(std::get<double>(v.at(p.name)));
  return out;
}

TEST(SamplerTest, SobolMatchesTheKnownSequence) {
  SearchSpace space({Cont("a", 0, 1), Cont("b", 0, 1), Cont("c", 0, 1)});
  auto sobol = MakeSampler("sobol", 0, {{"scramble", false}});
  // The first points after the origin (as scipy.stats.qmc.Sobol(scramble=False) gives them).
  std::vector<std::vector<double>> want = {
      {0.5, 0.5, 0.5},       {0.75, 0.25, 0.25},    {0.25, 0.75, 0.75},   {0.375, 0.375, 0.625},
      {0.875, 0.875, 0.125}, {0.625, 0.125, 0.875}, {0.125, 0.625, 0.375}};
  auto trials = AskMany(*sobol, space, 7);
  for (int i = 0; i < 7; ++i) {
    EXPECT_EQ(std::get<double>(trials[i].params.at("a")), want[i][0]) << i;
    EXPECT_EQ(std::get<double>(trials[i].params.at("b")), want[i][1]) << i;
    EXPECT_EQ(std::get<double>(trials[i].params.at("c")), want[i][2]) << i;
  }
}

TEST(SamplerTest, SobolFirst2PowKPointsStratifyEveryDimension) {
  std::vector<ParamSpec> specs;
  for (int d = 0; d < 46; ++d) specs.push_back(Cont("x" + std::to_string(100 + d), 0, 1));
  SearchSpace space(specs);
  for (bool scramble : {false, true}) {
    SCOPED_TRACE(scramble);
    auto sobol = MakeSampler("sobol", 11, {{"scramble", scramble}});
    std::vector<std::vector<double>> pts;
    for (int i = 0; i < 64; ++i) pts.push_back(SobolPoint(*sobol, space, i));
    for (size_t d = 0; d < specs.size(); ++d) {
      std::set<int> bins;
      for (const auto& p : pts) bins.insert(static_cast<int>(p[d] * 64));
      EXPECT_EQ(bins.size(), 64u) << "dimension " << d;
    }
    // Dimensions 1 and 2 form a (0, m, 2)-net: 16 points, one in each 4x4 cell.
    std::set<int> cells;
    for (int i = 0; i < 16; ++i) {
      cells.insert(static_cast<int>(pts[i][0] * 4) * 4 + static_cast<int>(pts[i][1] * 4));
    }
    EXPECT_EQ(cells.size(), 16u);
  }
  // Scrambling depends on the seed and is deterministic.
  auto a = MakeSampler("sobol", 1), b = MakeSampler("sobol", 1), c = MakeSampler("sobol", 2);
  EXPECT_EQ(SobolPoint(*a, space, 5), SobolPoint(*b, space, 5));
  EXPECT_NE(SobolPoint(*a, space, 5), SobolPoint(*c, space, 5));
  // Past the table, dimensions are still filled.
  specs.push_back(Cont("z", 0, 1));
  SearchSpace wide(specs);
  auto pt = SobolPoint(*a, wide, 3);
  EXPECT_GE(pt.back(), 0);
  EXPECT_LT(pt.back(), 1);
}

}  // namespace
}  // namespace mloop::tune
