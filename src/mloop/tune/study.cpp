// The study: the ask/tell loop, stop rules and the trial list, guarded by one mutex.
#include <fmt/format.h>

#include <cmath>

#include "mloop/core/error.h"
#include "mloop/tune/tune.h"

namespace mloop::tune {
namespace {

bool Better(double a, double b, Direction d) {
  return d == Direction::kMinimize ? a < b : a > b;
}

}  // namespace

Study::Study(SearchSpace space, Direction direction, std::unique_ptr<Sampler> sampler,
             std::unique_ptr<Pruner> pruner, StopRules stop)
    : space_(std::move(space)),
      direction_(direction),
      sampler_(std::move(sampler)),
      pruner_(std::move(pruner)),
      stop_(std::move(stop)) {
  if (!sampler_) throw InvalidArgument("a study needs a sampler");
  if (!pruner_) pruner_ = MakePruner("none");
  if (stop_.max_trials < 0 || stop_.max_seconds < 0 || stop_.patience < 0) {
    throw InvalidArgument("stop rules: max_trials, max_seconds and patience must be >= 0");
  }
}

void Study::AddTrials(const std::vector<Trial>& trials, bool count_towards_limit) {
  std::lock_guard lock(mu_);
  for (const Trial& in : trials) {
    Trial t = in;
    t.number = static_cast<int>(trials_.size());
    if (!count_towards_limit) t.warm_start = true;
    if (t.state == TrialState::kRunning) {
      t.state = TrialState::kFailed;
      if (t.error.empty()) t.error = "interrupted";
    }
    if (t.state == TrialState::kComplete && (!t.value || !std::isfinite(*t.value))) {
      t.state = TrialState::kFailed;
      if (t.error.empty()) t.error = "no objective value";
    }
    if (count_towards_limit) ++counted_;
    trials_.push_back(std::move(t));
  }
}

Trial Study::Ask() {
  std::lock_guard lock(mu_);
  if (auto reason = StopReasonLocked()) {
    throw FailedPrecondition(fmt::format("the study has stopped ({})", *reason));
  }
  if (!start_) start_ = std::chrono::steady_clock::now();
  const SamplerContext ctx = ContextLocked();
  Trial t;
  t.number = ctx.trial_number;
  t.params = sampler_->Sample(ctx);
  t.state = TrialState::kRunning;
  trials_.push_back(t);
  ++counted_;
  return t;
}

Trial& Study::Running(int trial) {
  if (trial < 0 || trial >= static_cast<int>(trials_.size())) {
    throw NotFound(fmt::format("trial {} does not exist", trial));
  }
  Trial& t = trials_[static_cast<size_t>(trial)];
  if (t.state != TrialState::kRunning) {
    throw FailedPrecondition(
        fmt::format("trial {} is {}, not running", trial, TrialStateName(t.state)));
  }
  return t;
}

bool Study::Report(int trial, int64_t step, double value) {
  std::lock_guard lock(mu_);
  Trial& t = Running(trial);
  t.intermediate[step] = value;
  return pruner_->ShouldPrune(t, step, trials_, direction_);
}

void Study::Tell(int trial, TrialState state, std::optional<double> value, double seconds,
                 std::string error) {
  std::lock_guard lock(mu_);
  Trial& t = Running(trial);
  if (state == TrialState::kRunning) {
    throw InvalidArgument(fmt::format("trial {}: tell needs a finished state", trial));
  }
  if (state == TrialState::kComplete && !value) {
    throw InvalidArgument(fmt::format("trial {}: a complete trial needs a value", trial));
  }
  if (state == TrialState::kPruned && !value && !t.intermediate.empty()) {
    value = t.intermediate.rbegin()->second;
  }
  if (state == TrialState::kComplete && !std::isfinite(*value)) {
    state = TrialState::kFailed;
    if (error.empty()) error = fmt::format("the objective value is {}", *value);
  }
  t.state = state;
  t.value = value;
  t.seconds = seconds;
  t.error = std::move(error);
}

std::vector<Trial> Study::Snapshot() const {
  std::lock_guard lock(mu_);
  return trials_;
}

const Trial* Study::BestLocked() const {
  const Trial* best = nullptr;
  for (const auto& t : trials_) {
    if (t.warm_start || t.state != TrialState::kComplete || !t.value) continue;
    if (best == nullptr || Better(*t.value, *best->value, direction_)) best = &t;
  }
  return best;
}

const Trial* Study::Best() const {
  std::lock_guard lock(mu_);
  return BestLocked();
}

std::optional<std::string> Study::StopReasonLocked() const {
  if (stop_.target) {
    const Trial* best = BestLocked();
    if (best != nullptr && (direction_ == Direction::kMinimize ? *best->value <= *stop_.target
                                                               : *best->value >= *stop_.target)) {
      return "target";
    }
  }
  if (stop_.patience > 0) {
    // Finished trials (any state) since the last strict improvement, in trial-number order.
    std::optional<double> best;
    int since = 0;
    for (const auto& t : trials_) {
      if (t.warm_start || t.state == TrialState::kRunning) continue;
      if (t.state == TrialState::kComplete && t.value &&
          (!best || Better(*t.value, *best, direction_))) {
        best = t.value;
        since = 0;
      } else {
        ++since;
      }
    }
    if (best && since >= stop_.patience) return "patience";
  }
  if (stop_.max_trials > 0 && counted_ >= stop_.max_trials) return "max_trials";
  if (sampler_->Exhausted(ContextLocked())) return "grid_exhausted";
  if (stop_.max_seconds > 0 && start_) {
    std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - *start_;
    if (elapsed.count() >= stop_.max_seconds) return "max_seconds";
  }
  return std::nullopt;
}

SamplerContext Study::ContextLocked() const {
  SamplerContext ctx;
  ctx.space = &space_;
  ctx.direction = direction_;
  ctx.trials = &trials_;
  ctx.trial_number = static_cast<int>(trials_.size());
  return ctx;
}

std::optional<std::string> Study::StopReason() const {
  std::lock_guard lock(mu_);
  return StopReasonLocked();
}

}  // namespace mloop::tune
