// The sampler factory and the model-free samplers: random, grid and sobol.
#include "mloop/tune/samplers.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <limits>
#include <unordered_map>
#include <unordered_set>

#include "mloop/core/error.h"
#include "mloop/core/shuffle.h"
#include "mloop/core/strings.h"

namespace mloop::tune {

double UnitRandom(uint64_t& state) {
  return static_cast<double>(SplitMix64(state) >> 11) * 0x1.0p-53;
}

ParamValue ValueFromSample(const SearchSpace& space, const ParamSpec& p, double u) {
  if (p.type == ParamType::kCategorical) {
    size_t k = p.choices.size();
    size_t idx = static_cast<size_t>(std::floor(std::clamp(u, 0.0, 1.0) * static_cast<double>(k)));
    return p.choices[std::min(idx, k - 1)];
  }
  return space.FromUnit(p, u);
}

ParamValues RandomPoint(const SearchSpace& space, uint64_t& state) {
  ParamValues out;
  for (const auto& p : space.params()) {
    double u = UnitRandom(state);
    if (space.Active(p, out)) out[p.name] = ValueFromSample(space, p, u);
  }
  return out;
}

void CheckOptions(const nlohmann::json& options, const std::vector<std::string>& allowed,
                  const std::string& what) {
  if (options.is_null()) return;
  if (!options.is_object()) {
    throw InvalidArgument(fmt::format("{}: options must be a map, got {}", what, options.dump()));
  }
  for (const auto& [key, value] : options.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      throw InvalidArgument(
          fmt::format("{}: unknown option '{}'{}", what, key, DidYouMean(key, allowed)),
          allowed.empty() ? std::string("it takes no options") : "options: " + Join(allowed, ", "));
    }
  }
}

namespace {

int64_t IntOption(const nlohmann::json& options, const char* key, int64_t def, int64_t min,
                  const std::string& what) {
  if (!options.is_object() || !options.contains(key)) return def;
  const auto& v = options[key];
  if (!v.is_number_integer() || v.get<int64_t>() < min) {
    throw InvalidArgument(
        fmt::format("{}: option '{}' must be an integer >= {}, got {}", what, key, min, v.dump()));
  }
  return v.get<int64_t>();
}

// ---- random -------------------------------------------------------------------------------

class RandomSampler : public Sampler {
 public:
  explicit RandomSampler(uint64_t seed) : seed_(seed) {}
  std::string_view name() const override { return "random"; }
  ParamValues Sample(const SamplerContext& ctx) override {
    uint64_t s = TrialRandomState(seed_, ctx.trial_number);
    return RandomPoint(*ctx.space, s);
  }

 private:
  uint64_t seed_;
};

// ---- grid ---------------------------------------------------------------------------------

constexpr size_t kMaxGridPoints = 1'000'000;

class GridSampler : public Sampler {
 public:
  explicit GridSampler(int points) : points_(points) {}
  std::string_view name() const override { return "grid"; }

  bool Exhausted(const SamplerContext& ctx) override {
    Prepare(*ctx.space);
    std::unordered_set<std::string> used;
    if (ctx.trials != nullptr) {
      for (const auto& t : *ctx.trials) used.insert(ParamValuesToJson(t.params).dump());
    }
    for (const auto& k : keys_) {
      if (!used.count(k)) return false;
    }
    return true;
  }

  ParamValues Sample(const SamplerContext& ctx) override {
    Prepare(*ctx.space);
    // The first point asked least often so far (running trials included): every point once in
    // order, then the grid again.
    std::unordered_map<std::string, int> used;
    if (ctx.trials != nullptr) {
      for (const auto& t : *ctx.trials) ++used[ParamValuesToJson(t.params).dump()];
    }
    size_t best = 0;
    int best_count = std::numeric_limits<int>::max();
    for (size_t i = 0; i < grid_.size(); ++i) {
      auto it = used.find(keys_[i]);
      int c = it == used.end() ? 0 : it->second;
      if (c < best_count) {
        best = i;
        best_count = c;
        if (c == 0) break;
      }
    }
    return grid_[best];
  }

  // The values of one parameter on the grid.
  std::vector<ParamValue> Axis(const SearchSpace& space, const ParamSpec& p) const {
    std::vector<ParamValue> out;
    if (p.type == ParamType::kCategorical) {
      for (const auto& c : p.choices) out.emplace_back(c);
      return out;
    }
    if (GridStep(p) > 0) {  // integers, and values with a step
      const int64_t count = GridPoints(p);
      if (count <= points_) {
        for (int64_t k = 0; k < count; ++k) {
          out.push_back(GridValue(p, p.low + static_cast<double>(k) * GridStep(p)));
        }
        return out;
      }
      // `points` values evenly spaced on the scale, snapped to the grid.
      ParamSpec cont = p;
      cont.type = ParamType::kContinuous;
      cont.step = 0;
      for (int i = 0; i < points_; ++i) {
        double u = points_ == 1 ? 0.5 : static_cast<double>(i) / (points_ - 1);
        const ParamValue v = GridValue(p, std::get<double>(space.FromUnit(cont, u)));
        if (out.empty() || out.back() != v) out.push_back(v);
      }
      return out;
    }
    for (int i = 0; i < points_; ++i) {
      double u = points_ == 1 ? 0.5 : static_cast<double>(i) / (points_ - 1);
      out.push_back(space.FromUnit(p, u));
    }
    return out;
  }

 private:
  void Prepare(const SearchSpace& space) {
    if (cached_space_ != &space || grid_.empty()) {
      grid_ = Enumerate(space);
      cached_space_ = &space;
    }
  }

  std::vector<ParamValues> Enumerate(const SearchSpace& space) {
    std::vector<std::vector<ParamValue>> axes;
    for (const auto& p : space.params()) axes.push_back(Axis(space, p));
    std::vector<ParamValues> out;
    ParamValues current;
    // Depth-first over the parameters in order: the first varies slowest, the last fastest;
    // an inactive parameter is skipped, so a conditional branch multiplies only its own points.
    std::function<void(size_t)> walk = [&](size_t i) {
      if (i == space.params().size()) {
        if (out.size() >= kMaxGridPoints) {
          throw InvalidArgument(
              fmt::format("sampler 'grid': the grid has more than {} points; lower "
                          "'points' or use another strategy",
                          kMaxGridPoints));
        }
        out.push_back(current);
        return;
      }
      const ParamSpec& p = space.params()[i];
      if (!space.Active(p, current)) {
        walk(i + 1);
        return;
      }
      for (const auto& v : axes[i]) {
        current[p.name] = v;
        walk(i + 1);
      }
      current.erase(p.name);
    };
    walk(0);
    keys_.clear();
    for (const auto& g : out) keys_.push_back(ParamValuesToJson(g).dump());
    return out;
  }

  int points_;
  const SearchSpace* cached_space_ = nullptr;
  std::vector<ParamValues> grid_;
  std::vector<std::string> keys_;
};

// ---- sobol --------------------------------------------------------------------------------

// Joe and Kuo's direction numbers (new-joe-kuo-6.21201) for dimensions 2..46: the degree s of
// the primitive polynomial, its coefficients a, and the initial m_1..m_s. Dimension 1 is the
// van der Corput sequence (all m = 1).
struct JoeKuo {
  int s;
  uint32_t a;
  std::array<uint32_t, 8> m;
};
constexpr JoeKuo kJoeKuo[] = {
    {1, 0, {1}},
    {2, 1, {1, 3}},
    {3, 1, {1, 3, 1}},
    {3, 2, {1, 1, 1}},
    {4, 1, {1, 1, 3, 3}},
    {4, 4, {1, 3, 5, 13}},
    {5, 2, {1, 1, 5, 5, 17}},
    {5, 4, {1, 1, 5, 5, 5}},
    {5, 7, {1, 1, 7, 11, 19}},
    {5, 11, {1, 1, 5, 1, 1}},
    {5, 13, {1, 1, 1, 3, 11}},
    {5, 14, {1, 3, 5, 5, 31}},
    {6, 1, {1, 3, 3, 9, 7, 49}},
    {6, 13, {1, 1, 1, 15, 21, 21}},
    {6, 16, {1, 3, 1, 13, 27, 49}},
    {6, 19, {1, 1, 1, 15, 7, 5}},
    {6, 22, {1, 3, 1, 15, 13, 25}},
    {6, 25, {1, 1, 5, 5, 19, 61}},
    {7, 1, {1, 3, 7, 11, 23, 15, 103}},
    {7, 4, {1, 3, 7, 13, 13, 15, 69}},
    {7, 7, {1, 1, 3, 13, 7, 35, 63}},
    {7, 8, {1, 3, 5, 9, 1, 25, 53}},
    {7, 14, {1, 3, 1, 13, 9, 35, 107}},
    {7, 19, {1, 3, 1, 5, 27, 61, 31}},
    {7, 21, {1, 1, 5, 11, 19, 41, 61}},
    {7, 28, {1, 3, 5, 3, 3, 13, 69}},
    {7, 31, {1, 1, 7, 13, 1, 19, 1}},
    {7, 32, {1, 3, 7, 5, 13, 19, 59}},
    {7, 37, {1, 1, 3, 9, 25, 29, 41}},
    {7, 41, {1, 3, 5, 13, 23, 1, 55}},
    {7, 42, {1, 3, 7, 3, 13, 59, 17}},
    {7, 50, {1, 3, 1, 3, 5, 53, 69}},
    {7, 55, {1, 1, 5, 5, 23, 33, 13}},
    {7, 56, {1, 1, 7, 7, 1, 61, 123}},
    {7, 59, {1, 1, 7, 9, 13, 61, 49}},
    {7, 62, {1, 3, 3, 5, 3, 55, 33}},
    {8, 14, {1, 3, 1, 15, 31, 13, 49, 245}},
    {8, 21, {1, 3, 5, 15, 31, 59, 63, 97}},
    {8, 22, {1, 3, 1, 11, 11, 11, 77, 249}},
    {8, 38, {1, 3, 1, 11, 27, 43, 71, 9}},
    {8, 47, {1, 1, 7, 15, 21, 11, 81, 45}},
    {8, 49, {1, 3, 7, 3, 25, 31, 65, 79}},
    {8, 50, {1, 3, 1, 1, 19, 11, 3, 205}},
    {8, 52, {1, 1, 5, 9, 19, 21, 29, 157}},
    {8, 56, {1, 3, 7, 11, 1, 33, 89, 1}},
};
constexpr int kSobolBits = 32;
constexpr size_t kSobolDims = 1 + std::size(kJoeKuo);

// The 32 direction numbers V_k (as 32-bit fractions) of dimension `d` (0-based).
std::array<uint32_t, kSobolBits> Directions(size_t d) {
  std::array<uint32_t, kSobolBits> v{};
  if (d == 0) {
    for (int k = 0; k < kSobolBits; ++k) v[k] = 1u << (31 - k);
    return v;
  }
  const JoeKuo& jk = kJoeKuo[d - 1];
  const int s = jk.s;
  for (int k = 0; k < kSobolBits; ++k) {
    if (k < s) {
      v[k] = jk.m[k] << (31 - k);
    } else {
      uint32_t x = v[k - s] ^ (v[k - s] >> s);
      for (int j = 1; j < s; ++j) {
        if ((jk.a >> (s - 1 - j)) & 1u) x ^= v[k - j];
      }
      v[k] = x;
    }
  }
  return v;
}

class SobolSampler : public Sampler {
 public:
  SobolSampler(uint64_t seed, bool scramble) : seed_(seed), scramble_(scramble) {}
  std::string_view name() const override { return "sobol"; }

  ParamValues Sample(const SamplerContext& ctx) override {
    const SearchSpace& space = *ctx.space;
    std::vector<double> u =
        Point(static_cast<uint64_t>(ctx.trial_number) + 1, space.params().size());
    ParamValues out;
    for (size_t i = 0; i < space.params().size(); ++i) {
      const ParamSpec& p = space.params()[i];
      if (space.Active(p, out)) out[p.name] = ValueFromSample(space, p, u[i]);
    }
    return out;
  }

  // Point `index` of the sequence in `dims` dimensions (index 0 is the origin before the
  // shift). Dimensions past the table are filled with seeded pseudo-random numbers.
  std::vector<double> Point(uint64_t index, size_t dims) {
    while (directions_.size() < std::min(dims, kSobolDims)) {
      directions_.push_back(Directions(directions_.size()));
    }
    uint64_t shift_state = seed_ ^ 0x5B0B01ULL;
    uint64_t gray = index ^ (index >> 1);
    std::vector<double> out(dims);
    for (size_t d = 0; d < dims; ++d) {
      uint32_t shift = static_cast<uint32_t>(SplitMix64(shift_state) >> 32);
      if (d >= kSobolDims) {
        uint64_t s = seed_ ^ (index * 0x9E3779B97F4A7C15ULL) ^ (d * 0xBF58476D1CE4E5B9ULL);
        out[d] = UnitRandom(s);
        continue;
      }
      uint32_t x = 0;
      for (int k = 0; k < kSobolBits && (gray >> k) != 0; ++k) {
        if ((gray >> k) & 1u) x ^= directions_[d][k];
      }
      if (scramble_) x ^= shift;  // a random digital shift keeps the net structure
      out[d] = static_cast<double>(x) * 0x1.0p-32;
    }
    return out;
  }

 private:
  uint64_t seed_;
  bool scramble_;
  std::vector<std::array<uint32_t, kSobolBits>> directions_;
};

}  // namespace

uint64_t TrialRandomState(uint64_t seed, int trial_number) {
  uint64_t s = seed ^ (0xD1B54A32D192ED03ULL * (static_cast<uint64_t>(trial_number) + 1));
  SplitMix64(s);
  return s;
}

std::vector<std::string> SamplerNames() {
  return {"random", "grid", "sobol", "tpe", "bayesian"};
}

std::unique_ptr<Sampler> MakeSampler(std::string_view name, uint64_t seed,
                                     const nlohmann::json& options) {
  const std::string what = fmt::format("sampler '{}'", name);
  if (name == "random") {
    CheckOptions(options, {}, what);
    return std::make_unique<RandomSampler>(seed);
  }
  if (name == "grid") {
    CheckOptions(options, {"points"}, what);
    int points = static_cast<int>(IntOption(options, "points", 5, 1, what));
    return std::make_unique<GridSampler>(points);
  }
  if (name == "sobol") {
    CheckOptions(options, {"scramble"}, what);
    bool scramble = true;
    if (options.is_object() && options.contains("scramble")) {
      if (!options["scramble"].is_boolean()) {
        throw InvalidArgument(what + ": option 'scramble' must be true or false");
      }
      scramble = options["scramble"].get<bool>();
    }
    return std::make_unique<SobolSampler>(seed, scramble);
  }
  if (name == "tpe") return MakeTpeSampler(seed, options);
  if (name == "bayesian") return MakeGpSampler(seed, options);
  auto names = SamplerNames();
  throw InvalidArgument(fmt::format("unknown sampler '{}'{}", name, DidYouMean(name, names)),
                        "samplers: " + Join(names, ", "));
}

}  // namespace mloop::tune
