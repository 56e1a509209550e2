// Business value of a binary classifier: "what is this model worth?".
//
// The model scores units (customers, transactions); we *act* on a unit (send the offer, block
// the payment) when its score >= threshold, as in curves.h. Each of the four outcomes has a value
// in money given by a small YAML file:
//
//   currency: "$"              # optional: a symbol ("$") is a prefix, a code ("EUR") a suffix
//   period: month              # optional, for wording ("per month")
//   population: 20000          # optional: units scored per period (scales the totals)
//   cost_per_prediction: 0.01  # optional, >= 0: the cost of scoring one unit with the model
//   outcomes:                  # required, all four
//     true_positive: 150       # acted on, and the event was real (a churner we retain)
//     false_positive: -20      # acted on needlessly (an offer to someone who would have stayed)
//     true_negative: 0         # left alone, rightly
//     false_negative: -200     # left alone, wrongly (a churner we miss)
//
// Definitions (y = 1 is the positive class; every count is a sum of sample weights, samples with
// weight 0 are ignored; W = P + N the total weight of the P positives and N negatives):
//  - value(TP, FP, TN, FN) = TP v_tp + FP v_fp + TN v_tn + FN v_fn, in money.
//  - Profit of the model at threshold t, per scored unit:
//        profit(t) = value(counts of score >= t) / W - cost_per_prediction.
//    Every amount is given per unit and as a total, total = per unit * scale, where scale is
//    `population` when given and W (the evaluated rows) otherwise.
//  - Best threshold: the t maximising profit(t) over every distinct score and max(score) + 1
//    (acting on nobody); on equal profits (within 1e-12 relative) the highest t wins, i.e. act
//    on fewer units. The search is exact, O(n log n).
//  - No model: the better of acting on nobody (P v_fn + N v_tn) / W and acting on everybody
//    (P v_tp + N v_fp) / W; a tie goes to nobody. Neither scores anyone, so neither pays
//    cost_per_prediction.
//  - Random model at share q: acting on a random q of the population, q = (TP + FP) / W the
//    share the model acts on at the same threshold: q * everybody + (1 - q) * nobody, again
//    without cost_per_prediction.
//  - Uplift versus a baseline: profit(model) - profit(baseline) (per unit and total): what the
//    model is worth over it. Ratio: profit(model) / profit(baseline), only when the baseline's
//    profit is > 0 (NaN otherwise, as a ratio to a loss or to zero means nothing).
//  - Scoring ROI: uplift versus no model / cost of scoring (cost_per_prediction * scale), the
//    money returned per unit of money spent on predictions; NaN when cost_per_prediction = 0.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace mloop {

struct BusinessSpec {
  std::string currency;              // "" = none
  std::string period;                // "" = none
  std::optional<double> population;  // > 0
  double cost_per_prediction = 0.0;  // >= 0
  double true_positive = 0.0;
  double false_positive = 0.0;
  double true_negative = 0.0;
  double false_negative = 0.0;
  std::string origin;  // where the spec came from (a file name), for messages
};

// Reads a business spec. A missing file is NotFound; invalid YAML, an unknown key (named with
// file:line:column and the nearest valid key), a value of the wrong shape or out of range, or a
// missing outcome is InvalidArgument.
BusinessSpec LoadBusinessSpec(const std::filesystem::path& path);
// The same from YAML text; `origin` names the source in messages.
BusinessSpec ParseBusinessSpec(const std::string& yaml_text, const std::string& origin);

// Weighted outcome counts at one threshold.
struct OutcomeCounts {
  double tp = 0.0;
  double fp = 0.0;
  double tn = 0.0;
  double fn = 0.0;
};

// An amount of money per scored unit and scaled to the population (see `scale`).
struct Amount {
  double per_unit = 0.0;
  double total = 0.0;
};

// The model acting at one threshold, and how it compares with the baselines.
struct OperatingPoint {
  double threshold = 0.0;
  bool acts_on_nobody = false;  // threshold above every score
  OutcomeCounts counts;
  double share_acted = 0.0;  // (TP + FP) / W
  Amount profit;
  Amount random_profit;  // a random model acting on the same share
  Amount uplift_vs_no_model;
  Amount uplift_vs_random;
  double ratio_vs_no_model = 0.0;  // NaN unless the no-model profit is > 0
  double ratio_vs_random = 0.0;    // NaN unless the random profit is > 0
  double scoring_roi = 0.0;        // NaN when cost_per_prediction is 0
};

enum class NoModelChoice { kActOnNobody, kActOnEverybody };

// One point of the profit curve: acting on scores >= threshold.
struct ProfitPoint {
  double threshold = 0.0;
  double share_acted = 0.0;
  double profit_per_unit = 0.0;  // the model's, cost_per_prediction included
};

struct BusinessResult {
  double total_weight = 0.0;  // W: the evaluated rows, or their total sample weight
  bool weighted = false;      // sample weights were given
  double positives = 0.0;     // P
  double negatives = 0.0;     // N
  double scale = 0.0;         // population, or W when no population is given
  bool population_given = false;
  double cost_per_prediction = 0.0;
  OperatingPoint at_threshold;  // at the threshold asked for
  OperatingPoint best;          // at the profit-maximising threshold
  Amount act_on_nobody;
  Amount act_on_everybody;
  NoModelChoice no_model_choice = NoModelChoice::kActOnNobody;
  Amount no_model;  // the better of the two
  // The scores were predicted classes (0/1): the decisions as predicted, no threshold to choose.
  bool predicted_classes = false;
  // Profit versus threshold from acting on nobody (share 0) to everybody (share 1), decreasing
  // thresholds, thinned to at most ~500 points (the best point and both ends always kept).
  std::vector<ProfitPoint> curve;
};

// Business value of scores `score` (higher = more likely 1) for labels `y_true` (0/1) with
// optional weights (empty = all 1; must be finite and >= 0 with a positive sum). Labels other
// than 0/1, sizes that differ, non-finite scores or a non-finite threshold are InvalidArgument.
BusinessResult EvaluateBusiness(std::span<const int32_t> y_true, std::span<const double> score,
                                std::span<const double> weight, const BusinessSpec& spec,
                                double threshold = 0.5);

// Money with the spec's currency and thousands separators: "$41,200", "-$20.50", "1,200 EUR".
// Amounts below 100 in magnitude keep two decimals, unless whole ("$0", "$240").
std::string FormatMoney(double amount, const BusinessSpec& spec);

// "acting on nobody" / "acting on everybody".
std::string NoModelName(NoModelChoice choice);

// Whether the profit-maximising threshold earns more than the operating one: only then is it
// named (the summary) and drawn (the report). A tie, such as every outcome worth 0, is not.
bool BestBeatsOperatingPoint(const BusinessResult& result);

// One plain sentence, e.g. "At threshold 0.5 the model is worth $41,200 per month over acting on
// nobody (population 20,000); at the best threshold, 0.37, it would be worth $45,100."
std::string BusinessSummary(const BusinessResult& result, const BusinessSpec& spec);

}  // namespace mloop
