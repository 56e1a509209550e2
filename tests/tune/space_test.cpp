#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>
#include <string>

#include "mloop/core/error.h"
#include "mloop/tune/tune.h"

namespace mloop::tune {
namespace {

using nlohmann::json;

// The message of the InvalidArgument thrown by `f`, or "" when nothing is thrown.
template <typename F>
std::string ErrorOf(F f) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument) << e.what();
    return e.what();
  }
  return "";
}

json Example() {
  return json::parse(R"({
    "lr": {"type": "continuous", "min": 1e-4, "max": 1, "scale": "log"},
    "depth": {"type": "integer", "min": 2, "max": 10},
    "kernel": {"type": "categorical", "values": ["linear", "rbf"]},
    "gamma": {"type": "continuous", "min": 1e-3, "max": 10, "scale": "log", "when": {"kernel": "rbf"}}
  })");
}

TEST(SearchSpaceTest, ParsesTheDocumentedExample) {
  SearchSpace s = SearchSpace::FromJson(Example());
  ASSERT_EQ(s.params().size(), 4u);
  // A JSON map is sorted by name; the parent moves before its child.
  EXPECT_EQ(s.params()[0].name, "depth");
  EXPECT_EQ(s.params()[1].name, "kernel");
  EXPECT_EQ(s.params()[2].name, "gamma");
  EXPECT_EQ(s.params()[3].name, "lr");
  const ParamSpec* lr = s.Find("lr");
  ASSERT_NE(lr, nullptr);
  EXPECT_EQ(lr->type, ParamType::kContinuous);
  EXPECT_EQ(lr->scale, Scale::kLog);
  EXPECT_DOUBLE_EQ(lr->low, 1e-4);
  const ParamSpec* depth = s.Find("depth");
  EXPECT_EQ(depth->type, ParamType::kInteger);
  EXPECT_EQ(s.Find("kernel")->choices, (std::vector<std::string>{"linear", "rbf"}));
  ASSERT_TRUE(s.Find("gamma")->condition);
  EXPECT_EQ(s.Find("gamma")->condition->parent, "kernel");
  EXPECT_EQ(s.Find("nope"), nullptr);
}

TEST(SearchSpaceTest, ListFormKeepsOrderAndTypesAreInferred) {
  SearchSpace s = SearchSpace::FromJson(json::parse(R"([
    {"name": "b", "min": 0, "max": 1},
    {"name": "a", "values": [16, 32, true]}
  ])"));
  ASSERT_EQ(s.params().size(), 2u);
  EXPECT_EQ(s.params()[0].name, "b");
  EXPECT_EQ(s.params()[0].type, ParamType::kContinuous);
  EXPECT_EQ(s.params()[1].type, ParamType::kCategorical);
  EXPECT_EQ(s.params()[1].choices, (std::vector<std::string>{"16", "32", "true"}));
}

TEST(SearchSpaceTest, ErrorsNameTheParameterKeyAndNearestValidKey) {
  auto parse = [](const char* text) { return [=] { SearchSpace::FromJson(json::parse(text)); }; };
  std::string m = ErrorOf(parse(R"({"lr": {"min": 1, "max": 2, "scal": "log"}})"));
  EXPECT_NE(m.find("parameter 'lr'"), std::string::npos) << m;
  EXPECT_NE(m.find("'scal'"), std::string::npos) << m;
  EXPECT_NE(m.find("did you mean 'scale'"), std::string::npos) << m;

  m = ErrorOf(parse(R"({"n": {"type": "integr", "min": 1, "max": 2}})"));
  EXPECT_NE(m.find("did you mean 'integer'"), std::string::npos) << m;
  m = ErrorOf(parse(R"({"n": {"min": 1, "max": 2, "scale": "logg"}})"));
  EXPECT_NE(m.find("did you mean 'log'"), std::string::npos) << m;
  m = ErrorOf(parse(R"({"lr": {"min": 0, "max": 1, "scale": "log"}})"));
  EXPECT_NE(m.find("parameter 'lr'"), std::string::npos) << m;
  EXPECT_NE(m.find("'min' above 0"), std::string::npos) << m;
  m = ErrorOf(parse(R"({"m": {"min": 0, "max": 1.5, "scale": "reverse_log"}})"));
  EXPECT_NE(m.find("'max' at most 1"), std::string::npos) << m;
  m = ErrorOf(parse(R"({"x": {"min": 3, "max": 2}})"));
  EXPECT_NE(m.find("'min' (3) is above 'max' (2)"), std::string::npos) << m;
  m = ErrorOf(parse(R"({"x": {"min": -1e308, "max": 1e308}})"));
  EXPECT_NE(m.find("wider than a double holds"), std::string::npos) << m;
  m = ErrorOf(parse(R"({"x": {"type": "integer", "min": 1.5, "max": 2}})"));
  EXPECT_NE(m.find("integer 'min' and 'max'"), std::string::npos) << m;
  m = ErrorOf(parse(R"({"x": {"max": 2}})"));
  EXPECT_NE(m.find("'min' is missing"), std::string::npos) << m;
  m = ErrorOf(parse(R"({"x": {"min": "a", "max": 2}})"));
  EXPECT_NE(m.find("'min': expected a number"), std::string::npos) << m;
  m = ErrorOf(parse(R"({"k": {"type": "categorical", "values": ["a"], "min": 1}})"));
  EXPECT_NE(m.find("'min' is not a key of a categorical"), std::string::npos) << m;
  m = ErrorOf(parse(R"({"k": {"type": "categorical", "values": ["a", "a"]}})"));
  EXPECT_NE(m.find("listed twice"), std::string::npos) << m;
  m = ErrorOf(parse(R"({"k": {"type": "categorical", "values": []}})"));
  EXPECT_NE(m.find("'values' is empty"), std::string::npos) << m;
  m = ErrorOf(parse(R"({"kernel": {"values": ["rbf", "linear"]},
                        "g": {"min": 0, "max": 1, "when": {"kernal": "rbf"}}})"));
  EXPECT_NE(m.find("parameter 'g'"), std::string::npos) << m;
  EXPECT_NE(m.find("did you mean 'kernel'"), std::string::npos) << m;
  m = ErrorOf(parse(R"({"kernel": {"values": ["rbf", "linear"]},
                        "g": {"min": 0, "max": 1, "when": {"kernel": "rbg"}}})"));
  EXPECT_NE(m.find("did you mean 'rbf'"), std::string::npos) << m;
  m = ErrorOf(parse(R"({"a": {"values": ["x"], "when": {"b": "y"}},
                        "b": {"values": ["y"], "when": {"a": "x"}}})"));
  EXPECT_NE(m.find("cycle"), std::string::npos) << m;
  m = ErrorOf(parse(R"({"a": {"min": 0, "max": 1}, "b": {"min": 0, "max": 1, "when": {"a": 1}}})"));
  EXPECT_NE(m.find("categorical or integer parent"), std::string::npos) << m;
  m = ErrorOf(parse(R"({"d": {"type": "integer", "min": 1, "max": 3},
                        "b": {"min": 0, "max": 1, "when": {"d": 4}}})"));
  EXPECT_NE(m.find("not an integer in [1, 3]"), std::string::npos) << m;
  EXPECT_NE(ErrorOf(parse(R"({})")), "");
  EXPECT_NE(ErrorOf(parse(R"([1])")), "");
  EXPECT_NE(ErrorOf(parse(R"({"x": 3})")), "");
  // The constructor validates too.
  ParamSpec dup;
  dup.name = "x";
  EXPECT_NE(ErrorOf([&] { SearchSpace({dup, dup}); }), "");
}

ParamSpec Spec(ParamType type, Scale scale, double low, double high) {
  ParamSpec p;
  p.name = "p";
  p.type = type;
  p.scale = scale;
  p.low = low;
  p.high = high;
  return p;
}

TEST(SearchSpaceTest, ContinuousUnitMappingRoundTripsForEveryScale) {
  for (auto [scale, low, high] :
       std::vector<std::tuple<Scale, double, double>>{{Scale::kLinear, -5, 10},
                                                      {Scale::kLog, 1e-4, 1},
                                                      {Scale::kReverseLog, 0, 0.999},
                                                      {Scale::kReverseLog, 0.5, 1}}) {
    SearchSpace s({Spec(ParamType::kContinuous, scale, low, high)});
    const ParamSpec& p = s.params()[0];
    EXPECT_DOUBLE_EQ(std::get<double>(s.FromUnit(p, 0)), low);
    double top = scale == Scale::kReverseLog && high >= 1 ? 1 - 1e-6 : high;
    EXPECT_NEAR(std::get<double>(s.FromUnit(p, 1)), top, 1e-12);
    for (double u = 0; u <= 1.0; u += 0.05) {
      ParamValue v = s.FromUnit(p, u);
      double x = std::get<double>(v);
      EXPECT_GE(x, low);
      EXPECT_LE(x, top);
      EXPECT_NEAR(s.ToUnit(p, v), u, 1e-9) << static_cast<int>(scale) << " u=" << u;
      EXPECT_NEAR(std::get<double>(s.FromUnit(p, s.ToUnit(p, v))), x, 1e-9 * (1 + std::fabs(x)));
    }
  }
  // Log: the middle of the cube is the geometric mean.
  SearchSpace lg({Spec(ParamType::kContinuous, Scale::kLog, 1e-4, 1)});
  EXPECT_NEAR(std::get<double>(lg.FromUnit(lg.params()[0], 0.5)), 1e-2, 1e-12);
  // Reverse log: 1 - v is log-uniform, so the middle of [0, 0.99] is 1 - sqrt(0.01) = 0.9.
  SearchSpace rl({Spec(ParamType::kContinuous, Scale::kReverseLog, 0, 0.99)});
  EXPECT_NEAR(std::get<double>(rl.FromUnit(rl.params()[0], 0.5)), 0.9, 1e-12);
  // Out-of-range values clamp.
  EXPECT_DOUBLE_EQ(rl.ToUnit(rl.params()[0], 5.0), 1.0);
  EXPECT_DOUBLE_EQ(rl.ToUnit(rl.params()[0], -5.0), 0.0);
}

TEST(SearchSpaceTest, IntegerUnitMappingGivesEveryValueAnEqualShare) {
  for (Scale scale : {Scale::kLinear, Scale::kLog}) {
    SearchSpace s({Spec(ParamType::kInteger, scale, 1, 10)});
    const ParamSpec& p = s.params()[0];
    for (int64_t v = 1; v <= 10; ++v) {
      double u = s.ToUnit(p, v);
      EXPECT_GT(u, 0);
      EXPECT_LT(u, 1);
      EXPECT_EQ(std::get<int64_t>(s.FromUnit(p, u)), v);
    }
    EXPECT_EQ(std::get<int64_t>(s.FromUnit(p, 0)), 1);
    EXPECT_EQ(std::get<int64_t>(s.FromUnit(p, 1)), 10);
    if (scale == Scale::kLinear) {
      std::map<int64_t, int> count;
      for (int i = 0; i < 10000; ++i) ++count[std::get<int64_t>(s.FromUnit(p, (i + 0.5) / 10000))];
      for (int64_t v = 1; v <= 10; ++v) EXPECT_EQ(count[v], 1000) << v;
    }
  }
  SearchSpace one({Spec(ParamType::kInteger, Scale::kLinear, 3, 3)});
  EXPECT_EQ(std::get<int64_t>(one.FromUnit(one.params()[0], 0.7)), 3);
  EXPECT_EQ(one.ToUnit(one.params()[0], int64_t{3}), 0.5);
}

// A step: every point of the grid owns an equal share of the cube, values come back snapped
// and clean; bad steps are refused with what to write instead.
TEST(SearchSpaceTest, StepGridsAndTheirErrors) {
  SearchSpace s = SearchSpace::FromJson(json::parse(
      R"({"x": {"min": -0.5, "max": 0.7, "step": 0.1}, "n": {"type": "integer", "min": 2, "max": 14, "step": 4}})"));
  const ParamSpec& x = *s.Find("x");
  const ParamSpec& n = *s.Find("n");
  EXPECT_EQ(GridPoints(x), 13);
  EXPECT_EQ(GridPoints(n), 4);
  std::map<double, int> count;
  for (int i = 0; i < 13000; ++i) ++count[std::get<double>(s.FromUnit(x, (i + 0.5) / 13000))];
  ASSERT_EQ(count.size(), 13u);
  int k = 0;
  for (const auto& [v, c] : count) {
    EXPECT_EQ(v, std::strtod(std::to_string(-0.5 + 0.1 * k).c_str(), nullptr));
    EXPECT_EQ(c, 1000) << v;
    EXPECT_EQ(std::get<double>(s.FromUnit(x, s.ToUnit(x, v))), v);
    ++k;
  }
  EXPECT_EQ(std::get<double>(s.FromUnit(x, 0.0)), -0.5);
  EXPECT_EQ(std::get<double>(s.FromUnit(x, 1.0)), 0.7);
  EXPECT_EQ(SnapToGrid(x, 0.26), 0.3);
  EXPECT_EQ(SnapToGrid(x, 5.0), 0.7);
  std::set<int64_t> ns;
  for (int i = 0; i < 100; ++i) ns.insert(std::get<int64_t>(s.FromUnit(n, i / 99.0)));
  EXPECT_EQ(ns, (std::set<int64_t>{2, 6, 10, 14}));
  // The step survives the JSON form (how a recorded job is read back).
  const json out = s.ToJson();
  EXPECT_EQ(out["x"]["step"], 0.1);
  EXPECT_EQ(out["n"]["step"], 4);
  EXPECT_EQ(SearchSpace::FromJson(out).ToJson(), out);

  auto error = [](const char* text) {
    return ErrorOf([&] { SearchSpace::FromJson(json::parse(text)); });
  };
  EXPECT_NE(error(R"({"x": {"min": 0, "max": 1, "step": 0.3}})")
                .find("'max' (1) is not 'min' (0) plus a whole number of steps of 0.3"),
            std::string::npos);
  EXPECT_NE(error(R"({"x": {"min": 0, "max": 1, "step": 0}})")
                .find("'step' must be a finite number above 0"),
            std::string::npos);
  EXPECT_NE(error(R"({"x": {"min": 0.1, "max": 1, "step": 0.1, "scale": "log"}})")
                .find("'step' is for scale linear only"),
            std::string::npos);
  EXPECT_NE(error(R"({"n": {"type": "integer", "min": 0, "max": 10, "step": 2.5}})")
                .find("an integer parameter's 'step' is a whole number"),
            std::string::npos);
  EXPECT_NE(
      error(R"({"c": {"values": ["a"], "step": 1}})").find("'step' is not a key of a categorical"),
      std::string::npos);
  EXPECT_NE(
      error(
          R"({"n": {"type": "integer", "min": 0, "max": 10, "step": 5}, "y": {"min": 0, "max": 1, "when": {"n": 3}}})")
          .find("'when': '3' is not on the grid of 'n' (0, 5, ...)"),
      std::string::npos);
  EXPECT_NE(error(R"({"x": {"min": 0, "max": 1, "step": 1e-20}})")
                .find("'step' (1e-20) makes a grid of more than 1000000000 points"),
            std::string::npos);
  EXPECT_NE(error(R"({"n": {"type": "integer", "min": 0, "max": 10, "step": 100000000000}})")
                .find("'step' (100000000000) is larger than the range"),
            std::string::npos);
  EXPECT_NE(error(R"({"x": {"min": 0, "max": 1, "step": 3e-9}})").find("whole number of steps"),
            std::string::npos);
  // Optuna's names of keys are named as such.
  EXPECT_NE(error(R"({"x": {"low": 0, "high": 1}})")
                .find("unknown key 'high' (Optuna's name; here it is 'max')"),
            std::string::npos);
  EXPECT_NE(error(R"({"x": {"min": 0.1, "max": 1, "log": true}})").find("here it is 'scale: log'"),
            std::string::npos);
}

// Grids that cross zero, bounds written with every digit of a double (as Python prints them),
// large magnitudes and a single point: the values are the grid's, inside the bounds, each a
// fixed point of SnapToGrid, and none lost to rounding.
TEST(SearchSpaceTest, StepGridEdgeCases) {
  auto values = [](const char* text) {
    SearchSpace s = SearchSpace::FromJson(json::parse(text));
    const ParamSpec& p = s.params()[0];
    std::set<double> out;
    for (int i = 0; i <= 1000; ++i) {
      const double v = std::get<double>(s.FromUnit(p, i / 1000.0));
      EXPECT_GE(v, p.low);
      EXPECT_LE(v, p.high);
      EXPECT_EQ(SnapToGrid(p, v), v);
      out.insert(v);
    }
    return out;
  };
  EXPECT_EQ(values(R"({"x": {"min": -0.3, "max": 0.3, "step": 0.1}})"),
            (std::set<double>{-0.3, -0.2, -0.1, 0.0, 0.1, 0.2, 0.3}));
  EXPECT_EQ(values(R"({"x": {"min": -0.7, "max": 0.5, "step": 0.1}})").count(-0.1), 1u);
  const auto python =
      values(R"({"x": {"min": 0.30000000000000004, "max": 0.7000000000000001, "step": 0.1}})");
  EXPECT_EQ(python.size(), 5u);
  EXPECT_EQ(*python.begin(), 0.30000000000000004);
  EXPECT_EQ(values(R"({"x": {"min": 1e15, "max": 1000000000000002.0, "step": 0.5}})").size(), 5u);
  EXPECT_EQ(values(R"({"x": {"min": 2, "max": 2, "step": 0.5}})"), (std::set<double>{2.0}));
  EXPECT_EQ(values(R"({"x": {"min": 0, "max": 1e-6, "step": 1e-7}})").size(), 11u);
}

TEST(SearchSpaceTest, CategoricalUnitMapping) {
  ParamSpec p;
  p.name = "k";
  p.type = ParamType::kCategorical;
  p.choices = {"a", "b", "c"};
  SearchSpace s({p});
  const ParamSpec& q = s.params()[0];
  EXPECT_EQ(s.ToUnit(q, std::string("a")), 0.0);
  EXPECT_EQ(s.ToUnit(q, std::string("b")), 0.5);
  EXPECT_EQ(s.ToUnit(q, std::string("c")), 1.0);
  for (const auto& c : q.choices)
    EXPECT_EQ(std::get<std::string>(s.FromUnit(q, s.ToUnit(q, c))), c);
  EXPECT_EQ(std::get<std::string>(s.FromUnit(q, 0.2)), "a");
  EXPECT_EQ(std::get<std::string>(s.FromUnit(q, 0.3)), "b");
  EXPECT_THROW(s.ToUnit(q, std::string("d")), Error);
}

TEST(SearchSpaceTest, ConditionsOnCategoriesListsAndIntegers) {
  SearchSpace s = SearchSpace::FromJson(json::parse(R"({
    "kernel": {"values": ["linear", "rbf", "poly"]},
    "gamma": {"min": 0.1, "max": 1, "when": {"kernel": ["rbf", "poly"]}},
    "degree": {"type": "integer", "min": 2, "max": 4, "when": {"kernel": "poly"}},
    "coef": {"min": 0, "max": 1, "when": {"degree": [3, 4]}}
  })"));
  const ParamSpec& gamma = *s.Find("gamma");
  const ParamSpec& degree = *s.Find("degree");
  const ParamSpec& coef = *s.Find("coef");
  EXPECT_FALSE(s.Active(gamma, {{"kernel", std::string("linear")}}));
  EXPECT_TRUE(s.Active(gamma, {{"kernel", std::string("rbf")}}));
  EXPECT_TRUE(s.Active(gamma, {{"kernel", std::string("poly")}}));
  EXPECT_FALSE(s.Active(degree, {{"kernel", std::string("rbf")}}));
  EXPECT_TRUE(s.Active(degree, {{"kernel", std::string("poly")}}));
  EXPECT_FALSE(s.Active(coef, {{"kernel", std::string("poly")}, {"degree", int64_t{2}}}));
  EXPECT_TRUE(s.Active(coef, {{"kernel", std::string("poly")}, {"degree", int64_t{3}}}));
  EXPECT_FALSE(s.Active(coef, {{"kernel", std::string("rbf")}}));  // parent inactive
  // Parents come before children.
  auto pos = [&](const char* n) {
    for (size_t i = 0; i < s.params().size(); ++i) {
      if (s.params()[i].name == n) return i;
    }
    return size_t{99};
  };
  EXPECT_LT(pos("kernel"), pos("gamma"));
  EXPECT_LT(pos("kernel"), pos("degree"));
  EXPECT_LT(pos("degree"), pos("coef"));
}

TEST(SearchSpaceTest, ToJsonRoundTrips) {
  json in = Example();
  in["m"] = json::parse(R"({"min": 0.5, "max": 1, "scale": "reverse_log"})");
  in["c"] = json::parse(R"({"type": "integer", "min": 1, "max": 3})");
  in["d"] = json::parse(R"({"min": 0, "max": 1, "when": {"c": [1, 2]}})");
  SearchSpace a = SearchSpace::FromJson(in);
  json out = a.ToJson();
  SearchSpace b = SearchSpace::FromJson(out);
  EXPECT_EQ(b.ToJson(), out);
  ASSERT_EQ(a.params().size(), b.params().size());
  for (size_t i = 0; i < a.params().size(); ++i) {
    EXPECT_EQ(a.params()[i].name, b.params()[i].name);
    EXPECT_EQ(a.params()[i].scale, b.params()[i].scale);
    EXPECT_EQ(a.params()[i].type, b.params()[i].type);
  }
  EXPECT_EQ(out["lr"]["scale"], "log");
  EXPECT_EQ(out["m"]["scale"], "reverse_log");
  EXPECT_EQ(out["gamma"]["when"]["kernel"], "rbf");
  EXPECT_EQ(out["d"]["when"]["c"], json::parse(R"(["1", "2"])"));
}

TEST(TuneTest, ParamValueTextAndJson) {
  EXPECT_EQ(ParamValueText(0.1), "0.1");
  EXPECT_EQ(ParamValueText(2.5), "2.5");
  EXPECT_EQ(ParamValueText(int64_t{7}), "7");
  EXPECT_EQ(ParamValueText(std::string("rbf")), "rbf");
  ParamValues v = {{"lr", 0.1}, {"n", int64_t{7}}, {"k", std::string("rbf")}, {"w", 2.0}};
  json j = ParamValuesToJson(v);
  EXPECT_EQ(j.dump(), R"({"k":"rbf","lr":0.1,"n":7,"w":2.0})");
  ParamValues back = ParamValuesFromJson(json::parse(j.dump()));
  EXPECT_EQ(back, v);
  EXPECT_TRUE(std::holds_alternative<double>(back["w"]));
  EXPECT_THROW(ParamValuesFromJson(json::parse(R"({"a": [1]})")), Error);
  EXPECT_EQ(TrialStateName(TrialState::kRunning), "running");
  EXPECT_EQ(TrialStateName(TrialState::kComplete), "complete");
  EXPECT_EQ(TrialStateName(TrialState::kPruned), "pruned");
  EXPECT_EQ(TrialStateName(TrialState::kFailed), "failed");
}

}  // namespace
}  // namespace mloop::tune
