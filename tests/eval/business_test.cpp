#include "mloop/eval/business.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <set>
#include <vector>

#include "mloop/core/error.h"
#include "test_util.h"

namespace mloop {
namespace {

using ::testing::HasSubstr;

BusinessSpec Spec(double tp, double fp, double tn, double fn) {
  BusinessSpec s;
  s.true_positive = tp;
  s.false_positive = fp;
  s.true_negative = tn;
  s.false_negative = fn;
  return s;
}

// Profit per unit acting on score >= t, computed the obvious way.
double BruteProfit(const std::vector<int32_t>& y, const std::vector<double>& s,
                   const std::vector<double>& w, const BusinessSpec& spec, double t) {
  double value = 0, total = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    double wi = w.empty() ? 1.0 : w[i];
    bool act = s[i] >= t;
    double v = y[i] == 1 ? (act ? spec.true_positive : spec.false_negative)
                         : (act ? spec.false_positive : spec.true_negative);
    value += wi * v;
    total += wi;
  }
  return value / total - spec.cost_per_prediction;
}

// y = [1, 0, 1, 0, 0], scores [0.9, 0.8, 0.6, 0.3, 0.1], TP 100, FP -10, TN 0, FN -50.
// P = 2, N = 3. At t = 0.5: TP 2, FP 1, TN 2, FN 0 -> 190 / 5 = 38 per unit.
// Nobody: 2 * -50 = -100 -> -20. Everybody: 2 * 100 + 3 * -10 = 170 -> 34 (the no-model choice).
// Random at share 3/5: 0.6 * 34 + 0.4 * -20 = 12.4.
// Per threshold: nobody -20, 0.9 -> 10, 0.8 -> 8, 0.6 -> 38, 0.3 -> 36, 0.1 -> 34: best 0.6.
const std::vector<int32_t> kY = {1, 0, 1, 0, 0};
const std::vector<double> kS = {0.9, 0.8, 0.6, 0.3, 0.1};

TEST(BusinessTest, HandComputedSmallCase) {
  BusinessSpec spec = Spec(100, -10, 0, -50);
  BusinessResult r = EvaluateBusiness(kY, kS, {}, spec, 0.5);
  EXPECT_DOUBLE_EQ(r.total_weight, 5);
  EXPECT_DOUBLE_EQ(r.positives, 2);
  EXPECT_DOUBLE_EQ(r.negatives, 3);
  EXPECT_FALSE(r.population_given);
  EXPECT_DOUBLE_EQ(r.scale, 5);

  const OperatingPoint& at = r.at_threshold;
  EXPECT_DOUBLE_EQ(at.threshold, 0.5);
  EXPECT_FALSE(at.acts_on_nobody);
  EXPECT_DOUBLE_EQ(at.counts.tp, 2);
  EXPECT_DOUBLE_EQ(at.counts.fp, 1);
  EXPECT_DOUBLE_EQ(at.counts.tn, 2);
  EXPECT_DOUBLE_EQ(at.counts.fn, 0);
  EXPECT_DOUBLE_EQ(at.share_acted, 0.6);
  EXPECT_DOUBLE_EQ(at.profit.per_unit, 38);
  EXPECT_DOUBLE_EQ(at.profit.total, 190);

  EXPECT_DOUBLE_EQ(r.act_on_nobody.per_unit, -20);
  EXPECT_DOUBLE_EQ(r.act_on_everybody.per_unit, 34);
  EXPECT_EQ(r.no_model_choice, NoModelChoice::kActOnEverybody);
  EXPECT_DOUBLE_EQ(r.no_model.per_unit, 34);
  EXPECT_DOUBLE_EQ(r.no_model.total, 170);

  EXPECT_NEAR(at.random_profit.per_unit, 12.4, 1e-12);
  EXPECT_NEAR(at.uplift_vs_no_model.per_unit, 4, 1e-12);
  EXPECT_NEAR(at.uplift_vs_no_model.total, 20, 1e-12);
  EXPECT_NEAR(at.uplift_vs_random.per_unit, 25.6, 1e-12);
  EXPECT_NEAR(at.ratio_vs_no_model, 38.0 / 34.0, 1e-12);
  EXPECT_NEAR(at.ratio_vs_random, 38.0 / 12.4, 1e-12);
  EXPECT_TRUE(std::isnan(at.scoring_roi));  // no cost per prediction

  EXPECT_DOUBLE_EQ(r.best.threshold, 0.6);
  EXPECT_DOUBLE_EQ(r.best.profit.per_unit, 38);
  EXPECT_DOUBLE_EQ(r.best.counts.tp, 2);
  EXPECT_DOUBLE_EQ(r.best.counts.fp, 1);
}

TEST(BusinessTest, ThresholdIsInclusiveAndAboveAllScoresActsOnNobody) {
  BusinessSpec spec = Spec(100, -10, 0, -50);
  BusinessResult r = EvaluateBusiness(kY, kS, {}, spec, 0.8);  // acts on 0.9 and 0.8
  EXPECT_DOUBLE_EQ(r.at_threshold.counts.tp, 1);
  EXPECT_DOUBLE_EQ(r.at_threshold.counts.fp, 1);
  EXPECT_DOUBLE_EQ(r.at_threshold.profit.per_unit, 8);

  r = EvaluateBusiness(kY, kS, {}, spec, 0.95);
  EXPECT_TRUE(r.at_threshold.acts_on_nobody);
  EXPECT_DOUBLE_EQ(r.at_threshold.profit.per_unit, -20);
  EXPECT_DOUBLE_EQ(r.at_threshold.random_profit.per_unit, -20);

  r = EvaluateBusiness(kY, kS, {}, spec, -3);  // everybody
  EXPECT_DOUBLE_EQ(r.at_threshold.share_acted, 1);
  EXPECT_DOUBLE_EQ(r.at_threshold.profit.per_unit, 34);
}

TEST(BusinessTest, BestIsActingOnNobodyWhenEveryActionLoses) {
  BusinessSpec spec = Spec(-1, -5, 0, 0);  // acting never pays
  BusinessResult r = EvaluateBusiness(kY, kS, {}, spec, 0.5);
  EXPECT_TRUE(r.best.acts_on_nobody);
  EXPECT_DOUBLE_EQ(r.best.threshold, 1.9);  // max(score) + 1
  EXPECT_DOUBLE_EQ(r.best.profit.per_unit, 0);
  EXPECT_EQ(r.no_model_choice, NoModelChoice::kActOnNobody);
  EXPECT_THAT(BusinessSummary(r, spec), HasSubstr("loses"));
}

TEST(BusinessTest, TiesPreferTheHigherThreshold) {
  // Acting on the negative at 0.5 costs nothing: 0.9 and 0.5 give the same profit.
  BusinessSpec spec = Spec(10, 0, 0, 0);
  std::vector<int32_t> y = {1, 0};
  std::vector<double> s = {0.9, 0.5};
  BusinessResult r = EvaluateBusiness(y, s, {}, spec);
  EXPECT_DOUBLE_EQ(r.best.threshold, 0.9);
}

TEST(BusinessTest, BestThresholdEqualsBruteForce) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> u(0, 1);
  for (int trial = 0; trial < 20; ++trial) {
    size_t n = 50 + trial * 17;
    std::vector<int32_t> y(n);
    std::vector<double> s(n), w(n);
    for (size_t i = 0; i < n; ++i) {
      y[i] = u(rng) < 0.3 ? 1 : 0;
      // Rounded scores, so that there are ties, shifted by the label so that there is signal.
      s[i] = std::round((0.6 * u(rng) + 0.4 * y[i]) * 40) / 40;
      w[i] = trial % 2 == 0 ? 1.0 : 0.5 + u(rng);
    }
    if (trial % 4 == 0) w.clear();
    BusinessSpec spec = Spec(50 + trial, -10 - trial, 1, -80);
    spec.cost_per_prediction = 0.05 * trial;
    BusinessResult r = EvaluateBusiness(y, s, w, spec, 0.5);

    std::set<double> candidates(s.begin(), s.end());
    double best_t = *candidates.rbegin() + 1;
    double best = BruteProfit(y, s, w, spec, best_t);
    for (auto it = candidates.rbegin(); it != candidates.rend(); ++it) {
      double p = BruteProfit(y, s, w, spec, *it);
      if (p > best + 1e-9) {
        best = p;
        best_t = *it;
      }
    }
    EXPECT_NEAR(r.best.profit.per_unit, best, 1e-9) << "trial " << trial;
    EXPECT_DOUBLE_EQ(r.best.threshold, best_t) << "trial " << trial;
    EXPECT_NEAR(r.at_threshold.profit.per_unit, BruteProfit(y, s, w, spec, 0.5), 1e-9);
    // Every curve point is a real operating point, none beats the best.
    for (const ProfitPoint& p : r.curve) {
      EXPECT_NEAR(p.profit_per_unit, BruteProfit(y, s, w, spec, p.threshold), 1e-9);
      EXPECT_LE(p.profit_per_unit, r.best.profit.per_unit + 1e-12);
    }
    EXPECT_DOUBLE_EQ(r.curve.front().share_acted, 0.0);
    EXPECT_DOUBLE_EQ(r.curve.back().share_acted, 1.0);
  }
}

TEST(BusinessTest, CurveIsThinnedForLargeInputsAndKeepsTheBest) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> u(0, 1);
  size_t n = 100000;
  std::vector<int32_t> y(n);
  std::vector<double> s(n);
  for (size_t i = 0; i < n; ++i) {
    y[i] = u(rng) < 0.2 ? 1 : 0;
    s[i] = 0.7 * u(rng) + 0.3 * y[i];
  }
  BusinessResult r = EvaluateBusiness(y, s, {}, Spec(100, -20, 0, -150));
  EXPECT_LE(r.curve.size(), 501u);
  EXPECT_GE(r.curve.size(), 100u);
  bool has_best = false;
  for (const ProfitPoint& p : r.curve) has_best = has_best || p.threshold == r.best.threshold;
  EXPECT_TRUE(has_best);
}

TEST(BusinessTest, WeightsEqualRepetition) {
  BusinessSpec spec = Spec(100, -10, 2, -50);
  std::vector<double> w = {2, 1, 3, 1, 0};  // the last sample is ignored
  BusinessResult weighted = EvaluateBusiness(kY, kS, w, spec, 0.5);
  std::vector<int32_t> y;
  std::vector<double> s;
  for (size_t i = 0; i < kY.size(); ++i) {
    for (int k = 0; k < static_cast<int>(w[i]); ++k) {
      y.push_back(kY[i]);
      s.push_back(kS[i]);
    }
  }
  BusinessResult repeated = EvaluateBusiness(y, s, {}, spec, 0.5);
  EXPECT_DOUBLE_EQ(weighted.total_weight, 7);
  EXPECT_DOUBLE_EQ(weighted.at_threshold.counts.tp, 5);
  EXPECT_DOUBLE_EQ(weighted.at_threshold.counts.fp, 1);
  EXPECT_DOUBLE_EQ(weighted.at_threshold.counts.tn, 1);
  EXPECT_NEAR(weighted.at_threshold.profit.per_unit, repeated.at_threshold.profit.per_unit, 1e-12);
  EXPECT_NEAR(weighted.best.profit.per_unit, repeated.best.profit.per_unit, 1e-12);
  EXPECT_DOUBLE_EQ(weighted.best.threshold, repeated.best.threshold);
  EXPECT_NEAR(weighted.no_model.per_unit, repeated.no_model.per_unit, 1e-12);
}

TEST(BusinessTest, PopulationScalesTotalsAndCostApplesToTheModelOnly) {
  BusinessSpec spec = Spec(100, -10, 0, -50);
  spec.population = 20000;
  spec.cost_per_prediction = 0.5;
  spec.currency = "$";
  spec.period = "month";
  BusinessResult r = EvaluateBusiness(kY, kS, {}, spec, 0.5);
  EXPECT_TRUE(r.population_given);
  EXPECT_DOUBLE_EQ(r.scale, 20000);
  EXPECT_DOUBLE_EQ(r.at_threshold.profit.per_unit, 37.5);
  EXPECT_DOUBLE_EQ(r.at_threshold.profit.total, 37.5 * 20000);
  EXPECT_DOUBLE_EQ(r.no_model.total, 34 * 20000);  // no scoring cost without a model
  EXPECT_NEAR(r.at_threshold.uplift_vs_no_model.total, 3.5 * 20000, 1e-6);
  EXPECT_NEAR(r.at_threshold.scoring_roi, 3.5 / 0.5, 1e-12);
  EXPECT_EQ(BusinessSummary(r, spec),
            "At threshold 0.5 the model is worth $70,000 per month over acting on everybody "
            "(population 20,000).");

  spec.cost_per_prediction = 0;
  spec.population.reset();
  spec.period.clear();
  r = EvaluateBusiness(kY, kS, {}, spec, 0.85);
  EXPECT_EQ(BusinessSummary(r, spec),
            "At threshold 0.85 the model loses $120 compared with acting on everybody (5 "
            "evaluated rows); at the best threshold, 0.6, it would be worth $20.");

  // Every outcome worth nothing: no threshold is better than another, and none is said to be.
  r = EvaluateBusiness(kY, kS, {}, Spec(0, 0, 0, 0), 0.5);
  EXPECT_EQ(BusinessSummary(r, Spec(0, 0, 0, 0)),
            "At threshold 0.5 the model is worth 0 over acting on nobody (5 evaluated rows).");
  // With sample weights, W is their sum, not a number of rows.
  const std::vector<double> w = {2, 0.5, 1, 1, 1};
  r = EvaluateBusiness(kY, kS, w, Spec(0, 0, 0, 0), 0.5);
  EXPECT_EQ(BusinessSummary(r, Spec(0, 0, 0, 0)),
            "At threshold 0.5 the model is worth 0 over acting on nobody (evaluated rows of "
            "total weight 5.5).");
  // When acting on everybody does best, that is said (not "at the best threshold, 0.1, it would
  // be worth 0": no better than having no model).
  r = EvaluateBusiness(kY, kS, {}, Spec(10, 1, 0, -100), 0.85);
  EXPECT_EQ(BusinessSummary(r, Spec(10, 1, 0, -100)),
            "At threshold 0.85 the model loses 113 compared with acting on everybody (5 evaluated "
            "rows); acting on everybody would be better.");
}

TEST(BusinessTest, FormatMoney) {
  BusinessSpec spec;
  spec.currency = "$";
  EXPECT_EQ(FormatMoney(41200, spec), "$41,200");
  EXPECT_EQ(FormatMoney(-20.5, spec), "-$20.50");
  EXPECT_EQ(FormatMoney(20, spec), "$20");  // whole amounts without decimals, small or large
  EXPECT_EQ(FormatMoney(0, spec), "$0");
  EXPECT_EQ(FormatMoney(1234567.4, spec), "$1,234,567");
  spec.currency = "EUR";
  EXPECT_EQ(FormatMoney(1200, spec), "1,200 EUR");
  spec.currency = "";
  EXPECT_EQ(FormatMoney(-0.001, spec), "0.00");
}

TEST(BusinessTest, RejectsBadInputs) {
  BusinessSpec spec = Spec(1, -1, 0, -1);
  std::vector<int32_t> bad_labels = {0, 2};
  std::vector<double> s2 = {0.1, 0.2};
  EXPECT_THROW(EvaluateBusiness(bad_labels, s2, {}, spec), Error);
  EXPECT_THROW(EvaluateBusiness(kY, s2, {}, spec), Error);
  std::vector<double> neg = {1, -1, 1, 1, 1};
  EXPECT_THROW(EvaluateBusiness(kY, kS, neg, spec), Error);
  std::vector<double> zeros(5, 0.0);
  EXPECT_THROW(EvaluateBusiness(kY, kS, zeros, spec), Error);
  EXPECT_THROW(EvaluateBusiness(kY, kS, {}, spec, std::nan("")), Error);
}

// ---- YAML -------------------------------------------------------------------------------------

const char* kGoodSpec = R"(# business.yaml
currency: "$"
period: month              # optional, for wording
population: 20000
cost_per_prediction: 0.01
outcomes:
  true_positive: 150
  false_positive: -20
  true_negative: 0
  false_negative: -200
)";

TEST(BusinessSpecTest, ParsesAFullSpec) {
  BusinessSpec s = ParseBusinessSpec(kGoodSpec, "business.yaml");
  EXPECT_EQ(s.currency, "$");
  EXPECT_EQ(s.period, "month");
  ASSERT_TRUE(s.population.has_value());
  EXPECT_DOUBLE_EQ(*s.population, 20000);
  EXPECT_DOUBLE_EQ(s.cost_per_prediction, 0.01);
  EXPECT_DOUBLE_EQ(s.true_positive, 150);
  EXPECT_DOUBLE_EQ(s.false_positive, -20);
  EXPECT_DOUBLE_EQ(s.true_negative, 0);
  EXPECT_DOUBLE_EQ(s.false_negative, -200);
  EXPECT_EQ(s.origin, "business.yaml");
}

TEST(BusinessSpecTest, OnlyOutcomesAreRequired) {
  BusinessSpec s = ParseBusinessSpec(
      "outcomes: {true_positive: 1, false_positive: -1, true_negative: 0, false_negative: -2}\n",
      "b.yaml");
  EXPECT_FALSE(s.population.has_value());
  EXPECT_EQ(s.currency, "");
  EXPECT_DOUBLE_EQ(s.cost_per_prediction, 0);
  EXPECT_DOUBLE_EQ(s.false_negative, -2);
}

std::string ErrorOf(const std::string& yaml) {
  try {
    ParseBusinessSpec(yaml, "b.yaml");
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no error for:\n" << yaml;
  return "";
}

TEST(BusinessSpecTest, UnknownKeysNameTheLineAndTheNearestKey) {
  std::string text = kGoodSpec;
  text.replace(text.find("population"), 10, "populaton");
  std::string msg = ErrorOf(text);
  EXPECT_THAT(msg, HasSubstr("b.yaml:4:1"));
  EXPECT_THAT(msg, HasSubstr("unknown key 'populaton'"));
  EXPECT_THAT(msg, HasSubstr("did you mean 'population'"));

  text = kGoodSpec;
  text.replace(text.find("false_positive"), 14, "false_postive");
  msg = ErrorOf(text);
  EXPECT_THAT(msg, HasSubstr("b.yaml:8:3"));
  EXPECT_THAT(msg, HasSubstr("did you mean 'false_positive'"));
}

TEST(BusinessSpecTest, MissingOutcomesAreErrors) {
  std::string msg = ErrorOf("currency: $\npopulation: 10\n");
  EXPECT_THAT(msg, HasSubstr("missing 'outcomes'"));
  msg = ErrorOf("outcomes:\n  true_positive: 1\n  false_positive: 2\n");
  EXPECT_THAT(msg, HasSubstr("b.yaml:2:3"));
  EXPECT_THAT(msg, HasSubstr("true_negative, false_negative"));
  msg = ErrorOf("");
  EXPECT_THAT(msg, HasSubstr("empty"));
}

TEST(BusinessSpecTest, WrongShapesAreErrorsWithLines) {
  std::string base =
      "outcomes: {true_positive: 1, false_positive: -1, true_negative: 0, false_negative: -2}\n";
  EXPECT_THAT(ErrorOf(base + "population: [1, 2]\n"), HasSubstr("b.yaml:2:13"));
  EXPECT_THAT(ErrorOf(base + "population: many\n"),
              HasSubstr("'population' must be a finite number, got 'many'"));
  EXPECT_THAT(ErrorOf(base + "population: -5\n"), HasSubstr("a whole number > 0, got -5"));
  EXPECT_THAT(ErrorOf(base + "population: 1.5\n"), HasSubstr("a whole number > 0, got 1.5"));
  EXPECT_THAT(ErrorOf(base + "cost_per_prediction: -1\n"), HasSubstr("must be >= 0"));
  EXPECT_THAT(ErrorOf(base + "currency: {a: 1}\n"), HasSubstr("b.yaml:2:11"));
  EXPECT_THAT(ErrorOf("outcomes: [1, 2]\n"), HasSubstr("b.yaml:1:11"));
  EXPECT_THAT(ErrorOf("outcomes:\n  true_positive: lots\n"), HasSubstr("b.yaml:2:18"));
  EXPECT_THAT(ErrorOf("- 1\n- 2\n"), HasSubstr("mapping"));
  EXPECT_THAT(ErrorOf("outcomes: {true_positive: 1\n"), HasSubstr("invalid YAML"));
  EXPECT_THAT(ErrorOf(base + "period: month\nperiod: week\n"), HasSubstr("duplicate key"));
  // A quoted number is text; a currency with digits runs into the amounts ("5" + "0.00").
  EXPECT_THAT(ErrorOf(base + "population: \"5000\"\n"),
              HasSubstr("'population' must be a number, not the quoted text \"5000\""));
  EXPECT_THAT(ErrorOf("outcomes: {true_positive: '1', false_positive: -1, true_negative: 0, "
                      "false_negative: -2}\n"),
              HasSubstr("must be a number, not the quoted text"));
  EXPECT_THAT(ErrorOf(base + "currency: 5\n"),
              HasSubstr("'currency' is a symbol or code shown with amounts ($ or EUR), not '5'"));
  // A period is read "per month": a number would be "per 5".
  EXPECT_THAT(ErrorOf(base + "period: 5\n"),
              HasSubstr("b.yaml:2:9: 'period' is the time the amounts are per, a word such as "
                        "month or year, not '5'"));
  EXPECT_EQ(ParseBusinessSpec(base + "period: quarter\n", "b.yaml").period, "quarter");
}

TEST(BusinessSpecTest, LoadsFilesAndReportsMissingOnes) {
  testing::TempDir dir;
  auto path = testing::WriteFile(dir / "business.yaml", kGoodSpec);
  BusinessSpec s = LoadBusinessSpec(path);
  EXPECT_DOUBLE_EQ(s.true_positive, 150);
  EXPECT_EQ(s.origin, path.string());
  try {
    LoadBusinessSpec(dir / "nope.yaml");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
    EXPECT_THAT(std::string(e.what()), HasSubstr("no business file '"));
  }
  try {
    LoadBusinessSpec(dir.path());  // a directory read as a file read as "empty"
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_THAT(std::string(e.what()), HasSubstr("is a directory, not a business file"));
  }
  auto bad = testing::WriteFile(dir / "bad.yaml", "outcome:\n  true_positive: 1\n");
  try {
    LoadBusinessSpec(bad);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_THAT(std::string(e.what()), HasSubstr(bad.string() + ":1:1"));
    EXPECT_THAT(std::string(e.what()), HasSubstr("did you mean 'outcomes'"));
  }
}

}  // namespace
}  // namespace mloop
