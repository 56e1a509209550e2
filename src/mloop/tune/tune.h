// Hyperparameter tuning, in Optuna's split: a SearchSpace says what may vary; a Sampler proposes
// parameter values from the trials so far; a Pruner stops unpromising trials early from their
// intermediate values; a Study owns the ask/tell loop, the stopping rules and the trial list.
// Samplers and pruners are small strategies reading read-only trial snapshots, so a program can
// drive the loop itself (ask, evaluate, tell) or let `mloop tune` drive it.
//
// Values live in two forms: the user's (ParamValue: a double, an integer or a category) and the
// unit cube's (each active parameter mapped to [0, 1] by its scale: linear, log, or reverse log
// for values in [0, 1) that crowd near 1, like a momentum), which the model-based samplers use.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace mloop::tune {

// ---- Search space -------------------------------------------------------------------------

enum class ParamType { kContinuous, kInteger, kCategorical };
enum class Scale { kLinear, kLog, kReverseLog };

// A parameter that exists only when `parent` takes one of `values` (e.g. `gamma` only for
// kernel = rbf). Parents come before their children in the space.
struct Condition {
  std::string parent;
  std::vector<std::string> values;  // the parent's value as text (categories, or numbers)
};

struct ParamSpec {
  std::string name;
  ParamType type = ParamType::kContinuous;
  Scale scale = Scale::kLinear;
  double low = 0, high = 1;          // continuous and integer (inclusive)
  double step = 0;                   // the grid low, low + step, ..., high (0: none; linear scale)
  std::vector<std::string> choices;  // categorical
  std::optional<Condition> condition;
};

// The step of a parameter's grid: `step` for a continuous parameter that has one, at least 1
// for an integer; 0 for a continuous parameter without one, and for a categorical.
double GridStep(const ParamSpec& p);
// The number of points of a stepped parameter's grid (GridStep(p) > 0).
int64_t GridPoints(const ParamSpec& p);
// x moved to the nearest point of p's grid within [low, high], written as briefly as the
// numbers the user gave (0.1 + 2 * 0.1 is 0.3, not 0.30000000000000004); x itself without a
// grid.
double SnapToGrid(const ParamSpec& p, double x);

using ParamValue = std::variant<double, int64_t, std::string>;
using ParamValues = std::map<std::string, ParamValue>;  // active parameters only

// The grid point nearest x as p's value: an int64 for an integer, else a double.
ParamValue GridValue(const ParamSpec& p, double x);
// A number's value as a double (a category: NaN).
double NumberOf(const ParamValue& v);
std::string ParamValueText(const ParamValue& v);  // 0.1, 7, "rbf" -> "0.1", "7", "rbf"
nlohmann::json ParamValuesToJson(const ParamValues& values);
ParamValues ParamValuesFromJson(const nlohmann::json& json);

class SearchSpace {
 public:
  SearchSpace() = default;
  explicit SearchSpace(std::vector<ParamSpec> params);  // validates (InvalidArgument)

  // The `parameters:` map of a tuning job, as JSON (YAML converted by the caller):
  //   lr:     {type: continuous, min: 1e-4, max: 1, scale: log}
  //   depth:  {type: integer, min: 2, max: 10}
  //   kernel: {type: categorical, values: [linear, rbf]}
  //   gamma:  {type: continuous, min: 1e-3, max: 10, scale: log, when: {kernel: rbf}}
  //   trees:  {type: integer, min: 100, max: 1000, step: 100}   (Optuna's step; linear only)
  // Errors name the parameter and key, with the nearest valid key.
  static SearchSpace FromJson(const nlohmann::json& parameters);

  const std::vector<ParamSpec>& params() const { return params_; }
  const ParamSpec* Find(std::string_view name) const;
  // Whether `p` is active given the values chosen for the parameters before it.
  bool Active(const ParamSpec& p, const ParamValues& values) const;

  // Unit-cube mapping of one parameter, by its scale (categorical: index / (k - 1) on a grid of
  // k points, FromUnit rounding to the nearest; integer, or continuous with a step: the range
  // widened by half a step each side so each point of the grid owns an equal share of the
  // cube, snapped to the grid on the way back; reverse log: -log(1 - v), with a `max` of 1 treated
  // as 1 - 1e-6). Values outside the range are clamped; FromUnit(ToUnit(v)) == v for every valid v.
  double ToUnit(const ParamSpec& p, const ParamValue& v) const;
  ParamValue FromUnit(const ParamSpec& p, double u) const;

  nlohmann::json ToJson() const;

 private:
  std::vector<ParamSpec> params_;
};

// ---- Trials ---------------------------------------------------------------------------------

enum class TrialState { kRunning, kComplete, kPruned, kFailed };
std::string_view TrialStateName(TrialState s);  // running, complete, pruned, failed

enum class Direction { kMinimize, kMaximize };

struct Trial {
  int number = 0;  // 0, 1, ... in the order asked
  ParamValues params;
  TrialState state = TrialState::kRunning;
  std::optional<double> value;             // complete trials (pruned: the last reported)
  std::map<int64_t, double> intermediate;  // step -> value (boosting round, data fraction)
  double seconds = 0;                      // wall time of the evaluation
  std::string error;                       // failed trials
  bool warm_start = false;                 // copied from an earlier job
};

// ---- Strategies -----------------------------------------------------------------------------

// Everything a sampler may look at; read-only.
struct SamplerContext {
  const SearchSpace* space = nullptr;
  Direction direction = Direction::kMinimize;
  const std::vector<Trial>* trials = nullptr;  // every trial so far, finished or running
  int trial_number = 0;                        // the number of the trial being asked for
};

class Sampler {
 public:
  virtual ~Sampler() = default;
  virtual std::string_view name() const = 0;
  // Values for every active parameter of the next trial. Running trials in the context are
  // pending: a batch-aware sampler (parallel trials) must not propose the same point again.
  virtual ParamValues Sample(const SamplerContext& ctx) = 0;
  // Whether the sampler has nothing new to propose (grid: every point has been asked).
  virtual bool Exhausted(const SamplerContext& /*ctx*/) { return false; }
};

// random, grid, sobol, tpe, bayesian (the default). `options` are the strategy's own (e.g.
// {"n_startup_trials": 10}); unknown names and options are InvalidArgument naming the nearest.
std::unique_ptr<Sampler> MakeSampler(std::string_view name, uint64_t seed,
                                     const nlohmann::json& options = nlohmann::json::object());
std::vector<std::string> SamplerNames();

class Pruner {
 public:
  virtual ~Pruner() = default;
  virtual std::string_view name() const = 0;
  // Whether `trial`, having just reported `step`, should stop (trials holds every trial).
  virtual bool ShouldPrune(const Trial& trial, int64_t step, const std::vector<Trial>& trials,
                           Direction direction) const = 0;
};

// none, median, asha (successive halving; Hyperband's asynchronous form).
std::unique_ptr<Pruner> MakePruner(std::string_view name,
                                   const nlohmann::json& options = nlohmann::json::object());

// ---- Study ----------------------------------------------------------------------------------

struct StopRules {
  int max_trials = 50;           // 0: no limit
  double max_seconds = 0;        // 0: no limit
  std::optional<double> target;  // stop once the best value reaches it
  int patience = 0;              // stop after this many trials without improvement; 0: never
                                 // (finished trials in number order, after the best one)
};

class Study {
 public:
  Study(SearchSpace space, Direction direction, std::unique_ptr<Sampler> sampler,
        std::unique_ptr<Pruner> pruner, StopRules stop);

  // Earlier trials (a warm start, or the trials of an interrupted job being resumed) that
  // inform the sampler; `count_towards_limit` = true when resuming the same job. Trials are
  // renumbered to their position in trials(); with count_towards_limit = false they are marked
  // warm_start (they inform the sampler and the pruner, but not Best or the stop rules). A trial
  // still running in the input (the job was interrupted) becomes kFailed "interrupted".
  void AddTrials(const std::vector<Trial>& trials, bool count_towards_limit);

  // Thread safety: Ask, Report, Tell, AddTrials, StopReason, Best and Snapshot take one mutex,
  // so trials may run in parallel threads; the sampler and the pruner are called with it held
  // (they need not be thread-safe themselves). trials() is a reference to the live list: read
  // it only when no other thread is inside the study; use Snapshot() otherwise.

  // A new running trial with sampled parameters (a copy: the list may grow under other
  // threads). Throws FailedPrecondition once a stop rule holds (check StopReason first).
  // max_trials counts trials asked, so it holds while the last trials still run.
  Trial Ask();
  // An intermediate value; returns true when the pruner says stop (the caller then tells
  // kPruned).
  bool Report(int trial, int64_t step, double value);
  // Finishes a running trial (FailedPrecondition when it is not running). kComplete needs a
  // value; a non-finite one makes the trial kFailed. kPruned without a value takes the last
  // intermediate value.
  void Tell(int trial, TrialState state, std::optional<double> value, double seconds = 0,
            std::string error = {});

  // Why the study should stop now ("max_trials", "max_seconds", "target", "patience",
  // "grid_exhausted"), or
  // nullopt to go on.
  std::optional<std::string> StopReason() const;

  const std::vector<Trial>& trials() const { return trials_; }
  std::vector<Trial> Snapshot() const;  // a copy of the trials, taken under the lock
  // The best complete trial of this study (warm-start trials excluded), or null. The pointer
  // is into trials(): the same caveat applies.
  const Trial* Best() const;
  const SearchSpace& space() const { return space_; }
  Direction direction() const { return direction_; }
  const StopRules& stop_rules() const { return stop_; }

 private:
  SearchSpace space_;
  Direction direction_;
  std::unique_ptr<Sampler> sampler_;
  std::unique_ptr<Pruner> pruner_;
  StopRules stop_;
  std::vector<Trial> trials_;
  int counted_ = 0;  // trials that count towards max_trials
  // When the first trial was asked for: max_seconds counts from there, not from the loading of
  // the data (an import of a large file would eat the budget).
  std::optional<std::chrono::steady_clock::time_point> start_;
  mutable std::mutex mu_;

  Trial& Running(int trial);  // the running trial `trial`, or throws
  const Trial* BestLocked() const;
  std::optional<std::string> StopReasonLocked() const;
  SamplerContext ContextLocked() const;  // what the sampler sees of the study now
};

}  // namespace mloop::tune
