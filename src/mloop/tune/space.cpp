// The search space: validation, the `parameters:` JSON form, conditions and the unit-cube
// mapping of each scale.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <set>

#include "mloop/core/error.h"
#include "mloop/core/strings.h"
#include "mloop/tune/tune.h"

namespace mloop::tune {
namespace {

// A reverse-log range reaching 1 stops this far below it (log(1 - v) is unbounded at 1).
constexpr double kReverseLogTopGap = 1e-6;

std::string_view TypeName(ParamType t) {
  switch (t) {
    case ParamType::kContinuous:
      return "continuous";
    case ParamType::kInteger:
      return "integer";
    case ParamType::kCategorical:
      return "categorical";
  }
  return "?";
}

std::string_view ScaleName(Scale s) {
  switch (s) {
    case Scale::kLinear:
      return "linear";
    case Scale::kLog:
      return "log";
    case Scale::kReverseLog:
      return "reverse_log";
  }
  return "?";
}

// The scalar of a JSON value as text, as conditions and categories compare it.
std::string JsonScalarText(const nlohmann::json& v, const std::string& where) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  if (v.is_number_unsigned()) return std::to_string(v.get<uint64_t>());
  if (v.is_number_float()) return ParamValueText(ParamValue(v.get<double>()));
  throw InvalidArgument(fmt::format("{}: expected a string or a number, got {}", where, v.dump()));
}

double JsonNumber(const nlohmann::json& v, const std::string& where) {
  if (!v.is_number()) {
    throw InvalidArgument(fmt::format("{}: expected a number, got {}", where, v.dump()));
  }
  return v.get<double>();
}

// The upper end of the mapped range (reverse log stops short of 1).
double EffectiveHigh(const ParamSpec& p) {
  if (p.scale == Scale::kReverseLog && p.high >= 1) return 1 - kReverseLogTopGap;
  return p.high;
}

// The numeric range actually mapped onto [0, 1]: a grid (integers, or a step) widens by half a
// step each side so every point owns an equal share of the cube.
std::pair<double, double> NumericRange(const ParamSpec& p) {
  double lo = p.low, hi = EffectiveHigh(p);
  const double step = GridStep(p);
  lo -= step / 2;
  hi += step / 2;
  return {lo, hi};
}

// A continuous grid of more points than this is refused: it is a continuous parameter (and the
// test of a whole number of steps below loses its meaning long before 2^53).
constexpr double kMaxStepPoints = 1e9;

// (high - low) / step, when it is a whole number (within the rounding of the division, which
// grows with the count): the grid's last index.
std::optional<double> StepsInRange(double low, double high, double step) {
  const double k = (high - low) / step;
  if (!std::isfinite(k)) return std::nullopt;
  const double whole = std::round(k);
  if (std::fabs(k - whole) > 1e-9 + 1e-12 * whole) return std::nullopt;
  return whole;
}

// Digits after the decimal point in the shortest text of x (0.25 -> 2, 1e-05 -> 5, 3 -> 0).
int Decimals(double x) {
  const std::string t = fmt::format("{}", std::fabs(x));
  const size_t e = t.find('e');
  const size_t dot = t.find('.');
  const int fraction = dot == std::string::npos
                           ? 0
                           : static_cast<int>((e == std::string::npos ? t.size() : e) - dot - 1);
  const int exponent = e == std::string::npos ? 0 : std::atoi(t.c_str() + e + 1);
  return std::max(0, fraction - exponent);
}

// low + k * step, written with no more decimals than low and step have (-0.3 + 3 * 0.1 is 0,
// not 5.55e-17; 0.1 + 2 * 0.1 is 0.3) when that moves it by rounding only.
double CleanGridPoint(double low, double step, double k) {
  const double v = low + k * step;
  const int decimals = std::max(Decimals(low), Decimals(step));
  if (decimals > 20) return v;
  const double clean = std::strtod(fmt::format("{:.{}f}", v, decimals).c_str(), nullptr) + 0.0;
  return std::fabs(clean - v) <= 1e-9 * step ? clean : v;
}

double Forward(Scale s, double v) {
  switch (s) {
    case Scale::kLinear:
      return v;
    case Scale::kLog:
      return std::log(v);
    case Scale::kReverseLog:
      return -std::log1p(-v);  // increasing in v
  }
  return v;
}

double Backward(Scale s, double t) {
  switch (s) {
    case Scale::kLinear:
      return t;
    case Scale::kLog:
      return std::exp(t);
    case Scale::kReverseLog:
      return -std::expm1(-t);  // 1 - exp(-t)
  }
  return t;
}

void CheckParam(const ParamSpec& p, const std::vector<ParamSpec>& before) {
  const std::string where = fmt::format("parameter '{}'", p.name);
  if (p.name.empty()) throw InvalidArgument("a tuning parameter has an empty name");
  for (const auto& q : before) {
    if (q.name == p.name) throw InvalidArgument(fmt::format("{} is defined twice", where));
  }
  if (p.type == ParamType::kCategorical) {
    if (p.choices.empty()) throw InvalidArgument(fmt::format("{}: 'values' is empty", where));
    std::set<std::string> seen;
    for (const auto& c : p.choices) {
      if (!seen.insert(c).second) {
        throw InvalidArgument(fmt::format("{}: value '{}' is listed twice", where, c));
      }
    }
    if (p.scale != Scale::kLinear) {
      throw InvalidArgument(fmt::format("{}: a categorical parameter has no 'scale'", where));
    }
  } else {
    if (!std::isfinite(p.low) || !std::isfinite(p.high)) {
      throw InvalidArgument(fmt::format("{}: 'min' and 'max' must be finite", where));
    }
    if (p.low > p.high) {
      throw InvalidArgument(
          fmt::format("{}: 'min' ({}) is above 'max' ({})", where, p.low, p.high));
    }
    if (!std::isfinite(p.high - p.low)) {  // samplers move through [min, max] by its width
      throw InvalidArgument(
          fmt::format("{}: the range from 'min' to 'max' is wider than a double holds", where),
          "keep 'max' - 'min' below 1.7e308 (or search the exponent: scale log)");
    }
    if (p.type == ParamType::kInteger) {
      if (p.low != std::floor(p.low) || p.high != std::floor(p.high)) {
        throw InvalidArgument(
            fmt::format("{}: an integer parameter needs integer 'min' and 'max'", where));
      }
      if (std::fabs(p.low) > 1e15 || std::fabs(p.high) > 1e15) {
        throw InvalidArgument(fmt::format("{}: 'min' and 'max' must be within 1e15", where));
      }
      if (p.scale == Scale::kReverseLog) {
        throw InvalidArgument(
            fmt::format("{}: scale reverse_log is for continuous parameters only", where));
      }
    }
    if (p.step != 0) {
      if (!(p.step > 0) || !std::isfinite(p.step)) {
        throw InvalidArgument(
            fmt::format("{}: 'step' must be a finite number above 0 (got {})", where, p.step));
      }
      if (p.type == ParamType::kInteger && p.step != std::floor(p.step)) {
        throw InvalidArgument(fmt::format(
            "{}: an integer parameter's 'step' is a whole number (got {})", where, p.step));
      }
      if (p.scale != Scale::kLinear) {
        throw InvalidArgument(
            fmt::format("{}: 'step' is for scale linear only (a grid of equal steps)", where),
            "drop 'step', or 'scale' (as Optuna, which takes step or log, not both)");
      }
      if (p.high > p.low && p.step > p.high - p.low) {
        throw InvalidArgument(
            fmt::format("{}: 'step' ({}) is larger than the range from 'min' to 'max' ({} to {})",
                        where, p.step, p.low, p.high));
      }
      if (p.type == ParamType::kContinuous && (p.high - p.low) / p.step > kMaxStepPoints) {
        throw InvalidArgument(fmt::format("{}: 'step' ({}) makes a grid of more than {:.0f} points",
                                          where, p.step, kMaxStepPoints),
                              "a grid that fine is a continuous range: drop 'step'");
      }
      if (!StepsInRange(p.low, p.high, p.step)) {
        const double below = CleanGridPoint(p.low, p.step, std::floor((p.high - p.low) / p.step));
        throw InvalidArgument(
            fmt::format("{}: 'max' ({}) is not 'min' ({}) plus a whole number of steps of {}",
                        where, p.high, p.low, p.step),
            below < p.high ? fmt::format("use max: {} (the grid's last point below it)", below)
                           : std::string());
      }
    }
    if (p.scale == Scale::kLog && p.low <= 0) {
      throw InvalidArgument(
          fmt::format("{}: scale log needs 'min' above 0 (got {})", where, p.low));
    }
    if (p.scale == Scale::kReverseLog) {
      if (p.high > 1) {
        throw InvalidArgument(
            fmt::format("{}: scale reverse_log needs 'max' at most 1 (got {})", where, p.high));
      }
      if (p.low >= EffectiveHigh(p)) {
        throw InvalidArgument(
            fmt::format("{}: scale reverse_log needs 'min' below 'max' and below {} (got {})",
                        where, 1 - kReverseLogTopGap, p.low));
      }
    }
  }
  if (p.condition) {
    const Condition& c = *p.condition;
    const ParamSpec* parent = nullptr;
    std::vector<std::string> names;
    for (const auto& q : before) {
      names.push_back(q.name);
      if (q.name == c.parent) parent = &q;
    }
    if (parent == nullptr) {
      throw InvalidArgument(
          fmt::format("{}: 'when' names '{}', which is not an earlier parameter{}", where, c.parent,
                      DidYouMean(c.parent, names)));
    }
    if (parent->type == ParamType::kContinuous) {
      throw InvalidArgument(fmt::format(
          "{}: 'when' needs a categorical or integer parent; '{}' is continuous", where, c.parent));
    }
    if (c.values.empty()) {
      throw InvalidArgument(fmt::format("{}: 'when' lists no values of '{}'", where, c.parent));
    }
    for (const auto& v : c.values) {
      if (parent->type == ParamType::kCategorical) {
        if (std::find(parent->choices.begin(), parent->choices.end(), v) == parent->choices.end()) {
          throw InvalidArgument(fmt::format("{}: 'when': '{}' is not a value of '{}'{}", where, v,
                                            c.parent, DidYouMean(v, parent->choices)));
        }
      } else {
        char* end = nullptr;
        double x = std::strtod(v.c_str(), &end);
        if (v.empty() || *end != '\0' || x != std::floor(x) || x < parent->low ||
            x > parent->high) {
          throw InvalidArgument(
              fmt::format("{}: 'when': '{}' is not an integer in [{}, {}] of '{}'", where, v,
                          parent->low, parent->high, c.parent));
        }
        if (SnapToGrid(*parent, x) != x) {
          throw InvalidArgument(
              fmt::format("{}: 'when': '{}' is not on the grid of '{}' ({}, {}, ...)", where, v,
                          c.parent, parent->low, parent->low + GridStep(*parent)));
        }
      }
    }
  }
}

ParamSpec ParseParam(const std::string& name, const nlohmann::json& j) {
  const std::string where = fmt::format("parameter '{}'", name);
  if (!j.is_object()) {
    throw InvalidArgument(fmt::format(
        "{}: expected a map like {{type: continuous, min: 0, max: 1}}, got {}", where, j.dump()));
  }
  static const std::vector<std::string> kKeys = {"type", "min",    "max", "scale",
                                                 "step", "values", "when"};
  // Optuna's names for the same things.
  static const std::map<std::string, std::string> kOptunaKeys = {
      {"low", "min"}, {"high", "max"}, {"log", "scale: log"}, {"choices", "values"}};
  for (const auto& [key, value] : j.items()) {
    if (std::find(kKeys.begin(), kKeys.end(), key) == kKeys.end()) {
      const auto optuna = kOptunaKeys.find(key);
      throw InvalidArgument(
          fmt::format("{}: unknown key '{}'{}", where, key,
                      optuna != kOptunaKeys.end()
                          ? fmt::format(" (Optuna's name; here it is '{}')", optuna->second)
                          : DidYouMean(key, kKeys)),
          "valid keys: " + Join(kKeys, ", "));
    }
  }
  ParamSpec p;
  p.name = name;
  if (j.contains("type")) {
    if (!j["type"].is_string()) {
      throw InvalidArgument(fmt::format("{}: 'type' must be a string", where));
    }
    std::string t = j["type"].get<std::string>();
    static const std::vector<std::string> kTypes = {"continuous", "integer", "categorical"};
    if (t == "continuous" || t == "float") {
      p.type = ParamType::kContinuous;
    } else if (t == "integer" || t == "int") {
      p.type = ParamType::kInteger;
    } else if (t == "categorical") {
      p.type = ParamType::kCategorical;
    } else {
      throw InvalidArgument(
          fmt::format("{}: 'type': unknown type '{}'{}", where, t, DidYouMean(t, kTypes)),
          "types: " + Join(kTypes, ", "));
    }
  } else {
    p.type = j.contains("values") ? ParamType::kCategorical : ParamType::kContinuous;
  }
  if (p.type == ParamType::kCategorical) {
    for (const char* k : {"min", "max", "scale", "step"}) {
      if (j.contains(k)) {
        throw InvalidArgument(fmt::format(
            "{}: '{}' is not a key of a categorical parameter (it has 'values')", where, k));
      }
    }
    if (!j.contains("values")) {
      throw InvalidArgument(fmt::format("{}: a categorical parameter needs 'values'", where));
    }
    if (!j["values"].is_array()) {
      throw InvalidArgument(fmt::format("{}: 'values' must be a list", where));
    }
    for (const auto& v : j["values"]) {
      p.choices.push_back(JsonScalarText(v, where + ": 'values'"));
    }
  } else {
    if (j.contains("values")) {
      throw InvalidArgument(fmt::format(
          "{}: 'values' is for categorical parameters; a {} parameter has 'min' and 'max'", where,
          TypeName(p.type)));
    }
    for (const char* k : {"min", "max"}) {
      if (!j.contains(k)) throw InvalidArgument(fmt::format("{}: '{}' is missing", where, k));
    }
    p.low = JsonNumber(j["min"], where + ": 'min'");
    p.high = JsonNumber(j["max"], where + ": 'max'");
    if (j.contains("step")) {
      p.step = JsonNumber(j["step"], where + ": 'step'");
      if (!(p.step > 0)) {  // 0 would mean no step
        throw InvalidArgument(
            fmt::format("{}: 'step' must be a finite number above 0 (got {})", where, p.step));
      }
    }
    if (j.contains("scale")) {
      if (!j["scale"].is_string()) {
        throw InvalidArgument(fmt::format("{}: 'scale' must be a string", where));
      }
      std::string s = j["scale"].get<std::string>();
      static const std::vector<std::string> kScales = {"linear", "log", "reverse_log"};
      if (s == "linear") {
        p.scale = Scale::kLinear;
      } else if (s == "log" || s == "logarithmic") {
        p.scale = Scale::kLog;
      } else if (s == "reverse_log" || s == "reverse_logarithmic") {
        p.scale = Scale::kReverseLog;
      } else {
        throw InvalidArgument(
            fmt::format("{}: 'scale': unknown scale '{}'{}", where, s, DidYouMean(s, kScales)),
            "scales: " + Join(kScales, ", "));
      }
    }
  }
  if (j.contains("when")) {
    const auto& w = j["when"];
    if (!w.is_object() || w.size() != 1) {
      throw InvalidArgument(fmt::format(
          "{}: 'when' must name one parent, like {{kernel: rbf}} or {{kernel: [rbf, poly]}}",
          where));
    }
    Condition c;
    c.parent = w.begin().key();
    const auto& vals = w.begin().value();
    if (vals.is_array()) {
      for (const auto& v : vals) c.values.push_back(JsonScalarText(v, where + ": 'when'"));
    } else {
      c.values.push_back(JsonScalarText(vals, where + ": 'when'"));
    }
    p.condition = std::move(c);
  }
  return p;
}

}  // namespace

double GridStep(const ParamSpec& p) {
  if (p.type == ParamType::kInteger) return std::max(p.step, 1.0);
  return p.type == ParamType::kContinuous ? p.step : 0.0;
}

int64_t GridPoints(const ParamSpec& p) {
  const double step = GridStep(p);
  if (step <= 0) return 0;
  return static_cast<int64_t>(StepsInRange(p.low, p.high, step).value_or(0)) + 1;
}

double SnapToGrid(const ParamSpec& p, double x) {
  const double step = GridStep(p);
  if (step <= 0 || !std::isfinite(x)) return x;
  const double last = static_cast<double>(std::max<int64_t>(GridPoints(p), 1) - 1);
  const double k = std::clamp(std::round((x - p.low) / step), 0.0, last);
  if (k == 0) return p.low;  // exactly the bounds given
  if (k == last) return p.high;
  if (p.type == ParamType::kInteger) return p.low + k * step;
  return std::clamp(CleanGridPoint(p.low, step, k), p.low, p.high);
}

ParamValue GridValue(const ParamSpec& p, double x) {
  const double snapped = SnapToGrid(p, x);
  if (p.type == ParamType::kInteger) return static_cast<int64_t>(snapped);
  return snapped;
}

double NumberOf(const ParamValue& v) {
  if (const auto* d = std::get_if<double>(&v)) return *d;
  if (const auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
  return std::numeric_limits<double>::quiet_NaN();
}

std::string ParamValueText(const ParamValue& v) {
  if (const auto* d = std::get_if<double>(&v)) {
    if (std::isnan(*d)) return "nan";
    if (std::isinf(*d)) return *d > 0 ? "inf" : "-inf";
    return fmt::format("{}", *d);  // shortest text that reads back to the same double
  }
  if (const auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  return std::get<std::string>(v);
}

nlohmann::json ParamValuesToJson(const ParamValues& values) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [name, v] : values) {
    if (const auto* d = std::get_if<double>(&v)) {
      j[name] = *d;
    } else if (const auto* i = std::get_if<int64_t>(&v)) {
      j[name] = *i;
    } else {
      j[name] = std::get<std::string>(v);
    }
  }
  return j;
}

ParamValues ParamValuesFromJson(const nlohmann::json& json) {
  if (!json.is_object()) {
    throw InvalidArgument(fmt::format("parameter values: expected an object, got {}", json.dump()));
  }
  ParamValues out;
  for (const auto& [name, v] : json.items()) {
    if (v.is_number_float()) {
      out[name] = v.get<double>();
    } else if (v.is_number_integer()) {
      out[name] = v.get<int64_t>();
    } else if (v.is_number_unsigned()) {
      out[name] = static_cast<int64_t>(v.get<uint64_t>());
    } else if (v.is_string()) {
      out[name] = v.get<std::string>();
    } else {
      throw InvalidArgument(fmt::format(
          "parameter values: '{}' must be a number or a string, got {}", name, v.dump()));
    }
  }
  return out;
}

std::string_view TrialStateName(TrialState s) {
  switch (s) {
    case TrialState::kRunning:
      return "running";
    case TrialState::kComplete:
      return "complete";
    case TrialState::kPruned:
      return "pruned";
    case TrialState::kFailed:
      return "failed";
  }
  return "?";
}

SearchSpace::SearchSpace(std::vector<ParamSpec> params) {
  for (auto& p : params) {
    CheckParam(p, params_);
    params_.push_back(std::move(p));
  }
}

SearchSpace SearchSpace::FromJson(const nlohmann::json& parameters) {
  std::vector<ParamSpec> specs;
  if (parameters.is_array()) {
    // A list of {name: N, type: ...} keeps the user's order.
    for (const auto& item : parameters) {
      if (!item.is_object() || !item.contains("name") || !item["name"].is_string()) {
        throw InvalidArgument("parameters: each list item needs a string 'name'");
      }
      nlohmann::json rest = item;
      rest.erase("name");
      specs.push_back(ParseParam(item["name"].get<std::string>(), rest));
    }
  } else if (parameters.is_object()) {
    for (const auto& [name, spec] : parameters.items()) specs.push_back(ParseParam(name, spec));
  } else {
    throw InvalidArgument(
        fmt::format("parameters: expected a map of name -> {{type, min, max, ...}}, got {}",
                    parameters.dump()));
  }
  if (specs.empty()) throw InvalidArgument("parameters: the search space is empty");
  // Order: as given (a JSON map is sorted by name), moved so that parents come before children
  // (a stable topological order; a cycle or an unknown parent is reported by the constructor).
  std::vector<ParamSpec> ordered;
  std::vector<bool> placed(specs.size(), false);
  bool progress = true;
  while (ordered.size() < specs.size() && progress) {
    progress = false;
    for (size_t i = 0; i < specs.size(); ++i) {
      if (placed[i]) continue;
      bool ready = !specs[i].condition;
      if (!ready) {
        for (const auto& q : ordered) ready = ready || q.name == specs[i].condition->parent;
      }
      if (ready) {
        ordered.push_back(specs[i]);
        placed[i] = true;
        progress = true;
        break;  // restart so the earliest ready parameter goes first
      }
    }
  }
  for (size_t i = 0; i < specs.size(); ++i) {
    if (placed[i]) continue;
    const auto& c = *specs[i].condition;
    bool exists = false;
    std::vector<std::string> names;
    for (const auto& q : specs) {
      names.push_back(q.name);
      exists = exists || q.name == c.parent;
    }
    if (exists) {
      throw InvalidArgument(fmt::format(
          "parameter '{}': 'when' on '{}' makes a cycle of conditions", specs[i].name, c.parent));
    }
    throw InvalidArgument(fmt::format("parameter '{}': 'when' names unknown parameter '{}'{}",
                                      specs[i].name, c.parent, DidYouMean(c.parent, names)));
  }
  return SearchSpace(std::move(ordered));
}

const ParamSpec* SearchSpace::Find(std::string_view name) const {
  for (const auto& p : params_) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

bool SearchSpace::Active(const ParamSpec& p, const ParamValues& values) const {
  if (!p.condition) return true;
  auto it = values.find(p.condition->parent);
  if (it == values.end()) return false;  // the parent is itself inactive (or not chosen yet)
  std::string text = ParamValueText(it->second);
  const auto& vals = p.condition->values;
  return std::find(vals.begin(), vals.end(), text) != vals.end();
}

double SearchSpace::ToUnit(const ParamSpec& p, const ParamValue& v) const {
  if (p.type == ParamType::kCategorical) {
    std::string text = ParamValueText(v);
    auto it = std::find(p.choices.begin(), p.choices.end(), text);
    if (it == p.choices.end()) {
      throw InvalidArgument(fmt::format("parameter '{}': '{}' is not one of its values{}", p.name,
                                        text, DidYouMean(text, p.choices)));
    }
    size_t k = p.choices.size();
    return k <= 1 ? 0.0 : static_cast<double>(it - p.choices.begin()) / static_cast<double>(k - 1);
  }
  double x;
  if (const auto* d = std::get_if<double>(&v)) {
    x = *d;
  } else if (const auto* i = std::get_if<int64_t>(&v)) {
    x = static_cast<double>(*i);
  } else {
    throw InvalidArgument(fmt::format("parameter '{}': expected a number, got '{}'", p.name,
                                      std::get<std::string>(v)));
  }
  auto [lo, hi] = NumericRange(p);
  if (hi <= lo) return 0.5;
  x = std::clamp(x, p.low, EffectiveHigh(p));
  double a = Forward(p.scale, lo), b = Forward(p.scale, hi);
  return std::clamp((Forward(p.scale, x) - a) / (b - a), 0.0, 1.0);
}

ParamValue SearchSpace::FromUnit(const ParamSpec& p, double u) const {
  if (!std::isfinite(u)) u = 0.5;
  u = std::clamp(u, 0.0, 1.0);
  if (p.type == ParamType::kCategorical) {
    size_t k = p.choices.size();
    size_t idx = k <= 1 ? 0 : static_cast<size_t>(std::lround(u * static_cast<double>(k - 1)));
    return p.choices[std::min(idx, k - 1)];
  }
  auto [lo, hi] = NumericRange(p);
  double x = lo;
  if (u == 1) {
    x = hi;  // exact ends, whatever exp(log(x)) rounds to
  } else if (hi > lo && u > 0) {
    double a = Forward(p.scale, lo), b = Forward(p.scale, hi);
    x = Backward(p.scale, a + u * (b - a));
  }
  if (GridStep(p) > 0) return GridValue(p, x);
  return std::clamp(x, p.low, EffectiveHigh(p));
}

nlohmann::json SearchSpace::ToJson() const {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& p : params_) {
    nlohmann::json j = nlohmann::json::object();
    j["type"] = std::string(TypeName(p.type));
    if (p.type == ParamType::kCategorical) {
      j["values"] = p.choices;
    } else {
      if (p.type == ParamType::kInteger) {
        j["min"] = static_cast<int64_t>(p.low);
        j["max"] = static_cast<int64_t>(p.high);
        if (p.step > 1) j["step"] = static_cast<int64_t>(p.step);
      } else {
        j["min"] = p.low;
        j["max"] = p.high;
        if (p.step > 0) j["step"] = p.step;
      }
      j["scale"] = std::string(ScaleName(p.scale));
    }
    if (p.condition) {
      nlohmann::json w = nlohmann::json::object();
      if (p.condition->values.size() == 1) {
        w[p.condition->parent] = p.condition->values[0];
      } else {
        w[p.condition->parent] = p.condition->values;
      }
      j["when"] = w;
    }
    out[p.name] = j;
  }
  return out;
}

}  // namespace mloop::tune
