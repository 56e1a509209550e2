// Pruners: none, median (Optuna's MedianPruner) and asha (Optuna's SuccessiveHalvingPruner).
// Both read only the trials' intermediate values, so they hold no state of their own and a
// resumed study prunes as the original would have.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "mloop/core/error.h"
#include "mloop/core/strings.h"
#include "mloop/tune/samplers.h"
#include "mloop/tune/tune.h"

namespace mloop::tune {
namespace {

int64_t IntOpt(const nlohmann::json& o, const char* key, int64_t def, int64_t min,
               const std::string& what) {
  if (!o.is_object() || !o.contains(key)) return def;
  const auto& v = o[key];
  if (!v.is_number_integer() || v.get<int64_t>() < min) {
    throw InvalidArgument(
        fmt::format("{}: option '{}' must be an integer >= {}, got {}", what, key, min, v.dump()));
  }
  return v.get<int64_t>();
}

class NoPruner : public Pruner {
 public:
  std::string_view name() const override { return "none"; }
  bool ShouldPrune(const Trial&, int64_t, const std::vector<Trial>&, Direction) const override {
    return false;
  }
};

// Optuna's MedianPruner (PercentilePruner at 50): once `n_startup_trials` trials are complete,
// a trial past `n_warmup_steps`, at the first report of each `interval_steps` interval, is
// pruned when its best intermediate value so far is worse than the median of the complete
// trials' values at this step (at least `n_min_trials` of them must have one).
class MedianPruner : public Pruner {
 public:
  MedianPruner(int64_t startup, int64_t warmup, int64_t interval, int64_t min_trials)
      : startup_(startup), warmup_(warmup), interval_(interval), min_trials_(min_trials) {}
  std::string_view name() const override { return "median"; }

  bool ShouldPrune(const Trial& trial, int64_t step, const std::vector<Trial>& trials,
                   Direction direction) const override {
    std::vector<const Trial*> complete;
    for (const auto& t : trials) {
      if (t.state == TrialState::kComplete && t.number != trial.number) complete.push_back(&t);
    }
    if (complete.empty() || static_cast<int64_t>(complete.size()) < startup_) return false;
    if (step < warmup_) return false;
    // Only the first report in each interval is judged (Optuna's _is_first_in_interval_step).
    int64_t nearest_lower = (step - warmup_) / interval_ * interval_ + warmup_;
    int64_t second_last = -1;
    for (const auto& [s, v] : trial.intermediate) {
      if (s > second_last && s != step) second_last = s;
    }
    if (!(second_last < nearest_lower)) return false;

    const bool maximize = direction == Direction::kMaximize;
    double best = std::numeric_limits<double>::quiet_NaN();
    for (const auto& [s, v] : trial.intermediate) {
      if (std::isnan(v)) continue;
      if (std::isnan(best) || (maximize ? v > best : v < best)) best = v;
    }
    if (std::isnan(best)) return true;

    std::vector<double> at_step;
    for (const Trial* t : complete) {
      auto it = t->intermediate.find(step);
      if (it != t->intermediate.end() && !std::isnan(it->second)) at_step.push_back(it->second);
    }
    if (at_step.empty() || static_cast<int64_t>(at_step.size()) < min_trials_) return false;
    std::sort(at_step.begin(), at_step.end());
    size_t n = at_step.size();
    double median = n % 2 == 1 ? at_step[n / 2] : (at_step[n / 2 - 1] + at_step[n / 2]) / 2;
    return maximize ? best < median : best > median;
  }

 private:
  int64_t startup_, warmup_, interval_, min_trials_;
};

// Optuna's SuccessiveHalvingPruner (asynchronous successive halving). Rung k is reached at step
// min_resource * reduction_factor^(min_early_stopping_rate + k); a trial reaching it records
// the value it reports there and goes on only if that value is in the top 1/reduction_factor
// of all values recorded at rung k so far (with fewer than reduction_factor values, only if it
// is the best). Optuna keeps the recorded values as trial attributes; here they are recomputed
// from each trial's intermediate values (the value at its first step at or past the rung).
class AshaPruner : public Pruner {
 public:
  AshaPruner(int64_t min_resource, int64_t rf, int64_t rate, int64_t bootstrap)
      : min_resource_(min_resource), rf_(rf), rate_(rate), bootstrap_(bootstrap) {}
  std::string_view name() const override { return "asha"; }

  bool ShouldPrune(const Trial& trial, int64_t step, const std::vector<Trial>& trials,
                   Direction direction) const override {
    auto it = trial.intermediate.find(step);
    if (it == trial.intermediate.end()) return false;
    const double value = it->second;
    // The previous report: rungs at or below it were judged then.
    int64_t prev = std::numeric_limits<int64_t>::min();
    for (const auto& [s, v] : trial.intermediate) {
      if (s < step) prev = std::max(prev, s);
    }
    for (int k = 0;; ++k) {
      double rung_step = RungStep(k);
      if (rung_step > static_cast<double>(step)) return false;
      if (rung_step <= static_cast<double>(prev)) continue;
      if (std::isnan(value)) return true;
      std::vector<double> competing;
      for (const auto& t : trials) {
        if (t.number == trial.number) continue;
        if (auto v = RungValue(t, rung_step)) competing.push_back(*v);
      }
      competing.push_back(value);
      if (static_cast<int64_t>(competing.size()) <= bootstrap_) return true;
      if (!Promotable(value, competing, direction)) return true;
    }
  }

 private:
  double RungStep(int k) const {
    return static_cast<double>(min_resource_) * std::pow(static_cast<double>(rf_), rate_ + k);
  }

  // The value trial `t` recorded at the rung of `rung_step`, if it got there.
  static std::optional<double> RungValue(const Trial& t, double rung_step) {
    for (const auto& [s, v] : t.intermediate) {  // ascending steps
      if (static_cast<double>(s) >= rung_step) {
        if (std::isnan(v)) return std::nullopt;
        return v;
      }
    }
    return std::nullopt;
  }

  bool Promotable(double value, std::vector<double> competing, Direction direction) const {
    int64_t idx = static_cast<int64_t>(competing.size()) / rf_ - 1;
    if (idx < 0) idx = 0;
    std::sort(competing.begin(), competing.end());
    if (direction == Direction::kMaximize) {
      return value >= competing[competing.size() - 1 - static_cast<size_t>(idx)];
    }
    return value <= competing[static_cast<size_t>(idx)];
  }

  int64_t min_resource_, rf_, rate_, bootstrap_;
};

}  // namespace

std::unique_ptr<Pruner> MakePruner(std::string_view name, const nlohmann::json& options) {
  const std::string what = fmt::format("pruner '{}'", name);
  if (name == "none" || name.empty()) {
    CheckOptions(options, {}, what);
    return std::make_unique<NoPruner>();
  }
  if (name == "median") {
    CheckOptions(options, {"n_startup_trials", "n_warmup_steps", "interval_steps", "n_min_trials"},
                 what);
    return std::make_unique<MedianPruner>(IntOpt(options, "n_startup_trials", 5, 0, what),
                                          IntOpt(options, "n_warmup_steps", 0, 0, what),
                                          IntOpt(options, "interval_steps", 1, 1, what),
                                          IntOpt(options, "n_min_trials", 1, 1, what));
  }
  if (name == "asha") {
    CheckOptions(options,
                 {"min_resource", "reduction_factor", "min_early_stopping_rate", "bootstrap_count"},
                 what);
    return std::make_unique<AshaPruner>(IntOpt(options, "min_resource", 1, 1, what),
                                        IntOpt(options, "reduction_factor", 4, 2, what),
                                        IntOpt(options, "min_early_stopping_rate", 0, 0, what),
                                        IntOpt(options, "bootstrap_count", 0, 0, what));
  }
  std::vector<std::string> names = {"none", "median", "asha"};
  throw InvalidArgument(fmt::format("unknown pruner '{}'{}", name, DidYouMean(name, names)),
                        "pruners: " + Join(names, ", "));
}

}  // namespace mloop::tune
