// Internal to the tuning stage: the constructors of the model-based samplers (defined in
// sampler_tpe.cpp and sampler_gp.cpp) that MakeSampler calls, and small helpers every sampler
// shares. Not part of the public interface (tune.h).
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "mloop/tune/tune.h"

namespace mloop::tune {

// "tpe" and "bayesian". `options` are the strategy's own; unknown keys are InvalidArgument.
std::unique_ptr<Sampler> MakeTpeSampler(uint64_t seed, const nlohmann::json& options);
std::unique_ptr<Sampler> MakeGpSampler(uint64_t seed, const nlohmann::json& options);

// A per-trial random state: the same seed and trial number give the same draws, whichever
// thread asks and in whatever order, and the streams of consecutive trials do not overlap (the
// trial number is mixed by a multiplier other than splitmix64's own increment, then one step).
uint64_t TrialRandomState(uint64_t seed, int trial_number);

// A uniform double in [0, 1) from 53 bits of splitmix64 (the same on every platform).
double UnitRandom(uint64_t& state);

// The value of `p` for a point `u` in [0, 1) of a uniform unit-cube sample: categorical
// parameters take equal-width bins (floor(u * k)), so every category is equally likely;
// continuous and integer parameters use SearchSpace::FromUnit.
ParamValue ValueFromSample(const SearchSpace& space, const ParamSpec& p, double u);

// One point drawn uniformly at random (per scale) from `space`, only active parameters set.
// Deterministic for a state; consumes one draw per parameter, active or not.
ParamValues RandomPoint(const SearchSpace& space, uint64_t& state);

// Throws InvalidArgument for a key of `options` that is not in `allowed`, naming the nearest.
// `what` names the strategy in the message ("sampler 'grid'" / "pruner 'median'").
void CheckOptions(const nlohmann::json& options, const std::vector<std::string>& allowed,
                  const std::string& what);

namespace detail {
// Pieces of the bayesian sampler (sampler_gp.cpp), exposed for its tests: log expected
// improvement over `best` (minimising) of a normal with `mean` and `sd`, computed stably in the
// tail; and a GP's latent posterior mean and variance at `query`.
double LogExpectedImprovement(double mean, double sd, double best);
std::pair<double, double> GpPosterior(const std::vector<std::vector<double>>& x,
                                      const std::vector<double>& y,
                                      const std::vector<double>& length_scales,
                                      double signal_variance, double noise_variance,
                                      const std::vector<double>& query);
}  // namespace detail

}  // namespace mloop::tune
