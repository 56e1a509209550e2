#include "mloop/eval/business.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <functional>
#include <limits>
#include <set>
#include <sstream>

#include "mloop/core/error.h"
#include "mloop/core/strings.h"
#include "mloop/core/yaml_util.h"
#include "mloop/eval/numeric.h"
#include "mloop/report/svg.h"

namespace mloop {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

const std::vector<std::string> kTopKeys = {"currency", "period", "population",
                                           "cost_per_prediction", "outcomes"};
const std::vector<std::string> kOutcomeKeys = {"true_positive", "false_positive", "true_negative",
                                               "false_negative"};

std::string Where(const std::string& origin, const YAML::Mark& m) {
  if (m.line < 0) return origin;
  return origin + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
}

std::string Where(const std::string& origin, const YAML::Node& n) {
  return Where(origin, n.Mark());
}

std::string String(const std::string& origin, const YAML::Node& node, const std::string& key) {
  if (!node.IsScalar()) {
    throw InvalidArgument(Where(origin, node) + ": '" + key + "' must be a string");
  }
  return node.Scalar();
}

// Keys of a mapping, each checked against `valid` and for duplicates.
void CheckKey(const std::string& origin, const YAML::Node& key_node,
              const std::vector<std::string>& valid, std::set<std::string>& seen,
              const std::string& where_in) {
  if (!key_node.IsScalar()) {
    throw InvalidArgument(Where(origin, key_node) + ": keys " + where_in + " must be names");
  }
  const std::string key = key_node.Scalar();
  if (std::find(valid.begin(), valid.end(), key) == valid.end()) {
    throw InvalidArgument(Where(origin, key_node) + ": unknown key '" + Printable(key) + "' " +
                              where_in + DidYouMean(key, valid),
                          "valid keys " + where_in + ": " + Join(valid, ", "));
  }
  if (!seen.insert(key).second) {
    throw InvalidArgument(Where(origin, key_node) + ": duplicate key '" + key + "'");
  }
}

BusinessSpec ParseNodes(const std::string& yaml_text, const std::string& origin) {
  YAML::Node root;
  try {
    root = yaml::LoadOneYamlDocument(yaml_text);
  } catch (const YAML::Exception& e) {
    throw InvalidArgument(Where(origin, e.mark) + ": invalid YAML: " + e.msg);
  }
  if (!root.IsDefined() || root.IsNull()) {
    throw InvalidArgument(origin + ": the business spec is empty; it needs 'outcomes' with " +
                          Join(kOutcomeKeys, ", "));
  }
  if (!root.IsMap()) {
    throw InvalidArgument(Where(origin, root) +
                          ": a business spec is a mapping with 'outcomes' (and optional "
                          "currency, period, population, cost_per_prediction)");
  }
  BusinessSpec spec;
  spec.origin = origin;
  std::set<std::string> seen;
  YAML::Node outcomes;
  bool has_outcomes = false;
  for (const auto& kv : root) {
    CheckKey(origin, kv.first, kTopKeys, seen, "at the top level");
    const std::string key = kv.first.Scalar();
    const YAML::Node& v = kv.second;
    if (key == "currency") {
      spec.currency = String(origin, v, key);
      // It is written before amounts: a digit would run into them (5 and 0.00 read 50.00).
      if (std::any_of(spec.currency.begin(), spec.currency.end(),
                      [](char c) { return c >= '0' && c <= '9'; })) {
        throw InvalidArgument(Where(origin, v) +
                              ": 'currency' is a symbol or code shown with amounts "
                              "($ or EUR), not '" +
                              Printable(spec.currency) + "'");
      }
    } else if (key == "period") {
      spec.period = String(origin, v, key);
      // Read as "per month": a number would be "per 5".
      if (spec.period.empty() || std::all_of(spec.period.begin(), spec.period.end(), [](char c) {
            return (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+';
          })) {
        throw InvalidArgument(Where(origin, v) +
                              ": 'period' is the time the amounts are per, a "
                              "word such as month or year, not '" +
                              Printable(spec.period) + "'");
      }
    } else if (key == "population") {
      double p = yaml::Number(origin, v, key);
      if (p <= 0 || p != std::floor(p)) {
        throw InvalidArgument(Where(origin, v) +
                              ": 'population' is a count: a whole number > 0, got " +
                              report::FormatNumber(p, 10));
      }
      spec.population = p;
    } else if (key == "cost_per_prediction") {
      double c = yaml::Number(origin, v, key);
      if (c < 0) {
        throw InvalidArgument(Where(origin, v) + ": 'cost_per_prediction' must be >= 0, got " +
                              report::FormatNumber(c, 10));
      }
      spec.cost_per_prediction = c;
    } else {
      outcomes = v;
      has_outcomes = true;
      if (!outcomes.IsMap()) {
        throw InvalidArgument(Where(origin, v) + ": 'outcomes' maps " + Join(kOutcomeKeys, ", ") +
                              " to their values");
      }
    }
  }
  if (!has_outcomes) {
    throw InvalidArgument(origin + ": missing 'outcomes' (the value of " +
                          Join(kOutcomeKeys, ", ") + ")");
  }
  std::set<std::string> seen_outcomes;
  for (const auto& kv : outcomes) {
    CheckKey(origin, kv.first, kOutcomeKeys, seen_outcomes, "in 'outcomes'");
    const std::string key = kv.first.Scalar();
    double v = yaml::Number(origin, kv.second, key);
    if (key == "true_positive") spec.true_positive = v;
    if (key == "false_positive") spec.false_positive = v;
    if (key == "true_negative") spec.true_negative = v;
    if (key == "false_negative") spec.false_negative = v;
  }
  std::vector<std::string> missing;
  for (const auto& k : kOutcomeKeys) {
    if (!seen_outcomes.count(k)) missing.push_back(k);
  }
  if (!missing.empty()) {
    throw InvalidArgument(Where(origin, outcomes) + ": 'outcomes' is missing " +
                          Join(missing, ", "));
  }
  return spec;
}

// The profit per unit of the model for counts (tp, fp), cost included.
struct ProfitModel {
  double p, n, w;
  const BusinessSpec* spec;
  double Value(double tp, double fp) const {
    const BusinessSpec& s = *spec;
    return (tp * s.true_positive + fp * s.false_positive + (n - fp) * s.true_negative +
            (p - tp) * s.false_negative) /
           w;
  }
};

double Ratio(double model, double base) {
  return base > 0 ? model / base : kNaN;
}

Amount Scaled(double per_unit, double scale) {
  return Amount{per_unit, per_unit * scale};
}

}  // namespace

BusinessSpec ParseBusinessSpec(const std::string& yaml_text, const std::string& origin) {
  try {
    return ParseNodes(yaml_text, origin);
  } catch (const YAML::Exception& e) {
    throw InvalidArgument(Where(origin, e.mark) + ": this value has the wrong shape (" + e.msg +
                          ")");
  }
}

BusinessSpec LoadBusinessSpec(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw InvalidArgument("'" + path.string() + "' is a directory, not a business file",
                          "give the business YAML file (docs/formats.md)");
  }
  if (!std::filesystem::exists(path, ec)) {
    throw NotFound("no business file '" + path.string() + "'");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoErrorFromErrno("cannot read business file", path.string());
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw IoErrorFromErrno("reading", path.string());
  return ParseBusinessSpec(text.str(), path.string());
}

BusinessResult EvaluateBusiness(std::span<const int32_t> y_true, std::span<const double> score,
                                std::span<const double> weight, const BusinessSpec& spec,
                                double threshold) {
  constexpr std::string_view kWhat = "business value";
  internal::CheckSizes(kWhat, y_true.size(), score.size(), weight);
  if (!std::isfinite(threshold)) {
    throw InvalidArgument("business value: the threshold must be finite");
  }
  for (double w : weight) {
    if (!std::isfinite(w) || w < 0) {
      throw InvalidArgument("business value: sample weights must be finite and >= 0");
    }
  }
  // Cumulative weighted counts per distinct score, decreasing (zero weights dropped).
  internal::ClfCurve c = internal::BinaryClfCurve(kWhat, y_true, score, weight);
  const size_t m = c.tps.size();
  BusinessResult r;
  r.positives = c.tps.back();
  r.negatives = c.fps.back();
  r.total_weight = r.positives + r.negatives;
  r.weighted = !weight.empty();
  if (!(r.total_weight > 0)) throw InvalidArgument("business value: the weights sum to zero");
  r.population_given = spec.population.has_value();
  r.scale = spec.population.value_or(r.total_weight);
  r.cost_per_prediction = spec.cost_per_prediction;
  const double scale = r.scale;
  ProfitModel pm{r.positives, r.negatives, r.total_weight, &spec};
  const double cost = spec.cost_per_prediction;

  r.act_on_nobody = Scaled(pm.Value(0, 0), scale);
  r.act_on_everybody = Scaled(pm.Value(r.positives, r.negatives), scale);
  r.no_model_choice = r.act_on_everybody.per_unit > r.act_on_nobody.per_unit
                          ? NoModelChoice::kActOnEverybody
                          : NoModelChoice::kActOnNobody;
  r.no_model =
      r.no_model_choice == NoModelChoice::kActOnEverybody ? r.act_on_everybody : r.act_on_nobody;

  // Candidate k = 0 acts on nobody (threshold max + 1); k = i + 1 acts on scores >=
  // c.thresholds[i].
  auto tp_at = [&](size_t k) { return k == 0 ? 0.0 : c.tps[k - 1]; };
  auto fp_at = [&](size_t k) { return k == 0 ? 0.0 : c.fps[k - 1]; };
  auto threshold_at = [&](size_t k) { return k == 0 ? c.thresholds[0] + 1 : c.thresholds[k - 1]; };
  auto point = [&](size_t k, double t) {
    OperatingPoint op;
    op.threshold = t;
    op.acts_on_nobody = k == 0;
    double tp = tp_at(k), fp = fp_at(k);
    op.counts = {tp, fp, r.negatives - fp, r.positives - tp};
    op.share_acted = (tp + fp) / r.total_weight;
    op.profit = Scaled(pm.Value(tp, fp) - cost, scale);
    double q = op.share_acted;
    op.random_profit =
        Scaled(q * r.act_on_everybody.per_unit + (1 - q) * r.act_on_nobody.per_unit, scale);
    op.uplift_vs_no_model = Scaled(op.profit.per_unit - r.no_model.per_unit, scale);
    op.uplift_vs_random = Scaled(op.profit.per_unit - op.random_profit.per_unit, scale);
    op.ratio_vs_no_model = Ratio(op.profit.per_unit, r.no_model.per_unit);
    op.ratio_vs_random = Ratio(op.profit.per_unit, op.random_profit.per_unit);
    op.scoring_roi = cost > 0 ? op.uplift_vs_no_model.per_unit / cost : kNaN;
    return op;
  };

  // At the requested threshold: the last distinct score >= threshold (scores decrease).
  size_t k_at = static_cast<size_t>(
      std::upper_bound(c.thresholds.begin(), c.thresholds.end(), threshold, std::greater<>()) -
      c.thresholds.begin());
  r.at_threshold = point(k_at, threshold);

  // Best: every candidate; ties (within rounding) keep the higher threshold (the earlier k).
  std::vector<double> profit(m + 1);
  size_t k_best = 0;
  for (size_t k = 0; k <= m; ++k) {
    profit[k] = pm.Value(tp_at(k), fp_at(k)) - cost;
    double b = profit[k_best];
    if (profit[k] > b + 1e-12 * std::max(1.0, std::fabs(b))) k_best = k;
  }
  r.best = point(k_best, threshold_at(k_best));

  // The curve, thinned in (share, normalised profit) space; the best point always kept.
  std::vector<double> sx(m + 1), sy(m + 1);
  auto [lo, hi] = std::minmax_element(profit.begin(), profit.end());
  double span = *hi - *lo > 0 ? *hi - *lo : 1.0;
  for (size_t k = 0; k <= m; ++k) {
    sx[k] = (tp_at(k) + fp_at(k)) / r.total_weight;
    sy[k] = (profit[k] - *lo) / span;
  }
  std::vector<size_t> keep = report::ThinPolyline(sx, sy, 500);
  if (!std::binary_search(keep.begin(), keep.end(), k_best)) {
    keep.insert(std::lower_bound(keep.begin(), keep.end(), k_best), k_best);
  }
  r.curve.reserve(keep.size());
  for (size_t k : keep) r.curve.push_back({threshold_at(k), sx[k], profit[k]});
  return r;
}

std::string FormatMoney(double amount, const BusinessSpec& spec) {
  const double magnitude = std::fabs(amount);
  std::string digits = report::FormatGrouped(
      magnitude, magnitude < 100 && magnitude != std::round(magnitude) ? 2 : 0);
  bool negative = amount < 0 && digits.find_first_not_of("0.,") != std::string::npos;
  const std::string& cur = spec.currency;
  bool code = !cur.empty() && std::all_of(cur.begin(), cur.end(), [](char ch) {
    return std::isalpha(static_cast<unsigned char>(ch));
  });
  if (cur.empty()) return (negative ? "-" : "") + digits;
  if (code) return (negative ? "-" : "") + digits + " " + cur;
  return (negative ? "-" : "") + cur + digits;
}

std::string NoModelName(NoModelChoice choice) {
  return choice == NoModelChoice::kActOnEverybody ? "acting on everybody" : "acting on nobody";
}

bool BestBeatsOperatingPoint(const BusinessResult& r) {
  const OperatingPoint& at = r.at_threshold;
  const OperatingPoint& b = r.best;
  return (b.counts.tp != at.counts.tp || b.counts.fp != at.counts.fp) &&
         b.profit.total > at.profit.total;
}

std::string BusinessSummary(const BusinessResult& r, const BusinessSpec& spec) {
  const std::string per = spec.period.empty() ? "" : " per " + spec.period;
  const std::string scope =
      r.population_given ? "population " + report::FormatGrouped(r.scale, 0)
      : r.weighted ? "evaluated rows of total weight " + report::FormatNumber(r.total_weight, 6)
                   : report::FormatGrouped(r.total_weight, 0) +
                         (r.total_weight == 1 ? " evaluated row" : " evaluated rows");
  auto worth = [&](double uplift) {
    return uplift >= 0 ? "is worth " + FormatMoney(uplift, spec) + per + " over "
                       : "loses " + FormatMoney(-uplift, spec) + per + " compared with ";
  };
  const OperatingPoint& at = r.at_threshold;
  std::string s = (r.predicted_classes
                       ? std::string("As predicted, the model ")
                       : "At threshold " + report::FormatNumber(at.threshold, 3) + " the model ") +
                  worth(at.uplift_vs_no_model.total) + NoModelName(r.no_model_choice) + " (" +
                  scope + ")";
  const OperatingPoint& b = r.best;
  const bool acts_on_everybody = b.counts.tn == 0 && b.counts.fn == 0;
  if (BestBeatsOperatingPoint(r)) {
    if (b.acts_on_nobody) {
      s += "; acting on nobody would be better";
    } else if (acts_on_everybody) {
      s += "; acting on everybody would be better";
    } else {
      double u = b.uplift_vs_no_model.total;
      s += "; at the best threshold, " + report::FormatNumber(b.threshold, 3) + ", it would " +
           (u >= 0 ? "be worth " + FormatMoney(u, spec) : "lose " + FormatMoney(-u, spec));
    }
  }
  return s + ".";
}

}  // namespace mloop
