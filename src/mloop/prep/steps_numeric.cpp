// Numeric steps: clip, winsorize, scale, log, log1p, power, bucketize. Each works one
// column at a time (in parallel over columns) on a float64 view in which missing reads NaN, and
// gives float64 columns, as scikit-learn's transformers give float arrays.
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>
#include <map>

#include "mloop/core/pairwise_sum.h"
#include "mloop/core/strings.h"
#include "mloop/core/time.h"
#include "mloop/prep/steps.h"

namespace mloop::prep {

using nlohmann::json;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
const char* const kNumericColumns = "numeric columns (float64, int64, bool)";

template <typename F>
Column MapDoubles(const Column& x, F f) {
  const int64_t n = x.size();
  const double* in = x.f64();
  BigVector<double> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[i] = f(in[i]);
  return Float64Like(std::move(v), x);
}

// A step that replaces each selected numeric column by a float64 column computed from it alone,
// with learned parameters per column: T provides ParamNames(), LearnColumn() and Apply().
// Fitted state: {"columns": [...], "params": [names], "values": [[per column]]}.
template <typename T>
class PerColumnStep : public StepBase<T> {
 public:
  using StepBase<T>::StepBase;

  Schema Check(const Schema& in, CheckContext& ctx) const override {
    auto cols = selector_.Resolve(in, ctx, this->Where());
    for (const auto& name : cols) {
      const Field& f = in.field(in.IndexOf(name));
      RequireType(this->Where(), this->kind(), f, IsNumeric(f.type), kNumericColumns);
    }
    return SchemaWithTypes(in, cols, DataType::kFloat64);
  }
  void Learn(const Table& in, const FitContext& ctx) override {
    columns_ = selector_.Resolve(in.schema(), CheckContextFor(ctx), this->Where());
    params_.assign(columns_.size(), {});
    std::vector<std::string> notes(columns_.size());
    ForEachColumn(static_cast<int>(columns_.size()), ctx.threads, [&](int k) {
      Column x = ToDoubles(in.column(columns_[k]));
      if (self().NeedsFinite()) RequireFinite(this->Where(), columns_[k], x);
      params_[k] = self().LearnColumn(x);
      if (self().ChecksState()) RequireFiniteState(this->Where(), columns_[k], x, params_[k]);
      if (ctx.notes) notes[k] = self().NoteColumn(x, params_[k]);
    });
    for (size_t k = 0; k < notes.size() && ctx.notes; ++k) {
      if (!notes[k].empty()) {
        ctx.notes->push_back(this->Where() + ": column '" + Printable(columns_[k]) +
                             "': " + notes[k]);
      }
    }
  }
  Table Transform(const Table& in, const ApplyContext& ctx) const override {
    std::vector<int> idx;
    for (const auto& name : columns_) idx.push_back(this->Need(in, name));
    std::vector<Column> out(idx.size());
    ForEachColumn(static_cast<int>(idx.size()), ctx.threads,
                  [&](int k) { out[k] = self().Apply(ToDoubles(in.column(idx[k])), params_[k]); });
    TableEdit edit(in);
    for (size_t k = 0; k < idx.size(); ++k) edit.Replace(idx[k], std::move(out[k]));
    return edit.Finish();
  }
  json State() const override {
    json values = json::array();
    for (const auto& p : params_) values.push_back(DoublesToJson(p));
    return json{{"step", this->kind()},
                {"columns", columns_},
                {"params", self().ParamNames()},
                {"values", values}};
  }
  void LoadFrom(const json& state) {
    columns_ = state.at("columns").get<std::vector<std::string>>();
    const json& values = state.at("values");
    if (!values.is_array() || values.size() != columns_.size()) {
      throw Corruption("'values' must hold one entry per column");
    }
    params_.clear();
    const size_t want = self().ParamNames().size();
    for (const json& v : values) {
      params_.push_back(DoublesFromJson(v));
      if (!self().VariableParams() && params_.back().size() != want) {
        throw Corruption("each column needs " + std::to_string(want) + " values");
      }
      if (self().VariableParams() && params_.back().size() < 2) {
        throw Corruption("each column needs at least two bin edges");
      }
    }
  }
  std::vector<std::string> Reads() const override { return columns_; }

  // Defaults for steps without learned parameters.
  std::vector<std::string> ParamNames() const { return {}; }
  std::vector<double> LearnColumn(const Column&) const { return {}; }
  bool VariableParams() const { return false; }
  // Whether LearnColumn needs finite values (see RequireFinite).
  bool NeedsFinite() const { return false; }
  // Whether a non-finite learnt value means overflow (see RequireFiniteState).
  bool ChecksState() const { return false; }
  // What fitting on `x` did that scikit-learn would warn about (FitContext::notes); "" for none.
  std::string NoteColumn(const Column&, const std::vector<double>&) const { return ""; }

 protected:
  const T& self() const { return static_cast<const T&>(*this); }
  ColumnSelector selector_;
  std::vector<std::string> columns_;
  std::vector<std::vector<double>> params_;
};

// --- scale ------------------------------------------------------------------------------------

class ScaleStep : public PerColumnStep<ScaleStep> {
 public:
  explicit ScaleStep(const StepSpec& spec) : PerColumnStep(spec) {
    Options o(spec_, {"columns", "method"});
    selector_ = ColumnSelector::Read(o, "columns", true);
    method_ = o.Enum("method", {"standard", "minmax", "robust"}, "standard");
  }
  std::vector<std::string> ParamNames() const {
    if (method_ == "minmax") return {"scale", "min"};
    return {"center", "scale"};
  }
  bool NeedsFinite() const { return true; }
  // Overflow learns NaN here (scikit-learn's scalers learn inf or NaN with a RuntimeWarning and
  // answer 0 or NaN for every value).
  bool ChecksState() const { return true; }
  std::vector<double> LearnColumn(const Column& x) const {
    const double* v = x.f64();
    const int64_t n = x.size();
    if (method_ == "standard") {
      // StandardScaler: sklearn's _incremental_mean_and_var (corrected two-pass variance,
      // ddof=0); a feature within the two-pass error bound of a constant gets scale 1. Its
      // np.nansum runs down a column of a pandas frame's (column-major) values, so NumPy sums
      // pairwise: the same order here, or the centre of 40 copies of 0.1 is 0.10000000000000005
      // and not 0.1, and data far from 0 drifts by 1e-8.
      const size_t un = static_cast<size_t>(n);
      const double sum = PairwiseSum(un, [&](size_t i) { return std::isnan(v[i]) ? 0.0 : v[i]; });
      int64_t count = 0;
      for (int64_t i = 0; i < n; ++i) count += !std::isnan(v[i]);
      if (count == 0) return {kNaN, kNaN};
      const double c = static_cast<double>(count);
      const double t = sum / c;
      const double correction =
          PairwiseSum(un, [&](size_t i) { return std::isnan(v[i]) ? 0.0 : v[i] - t; });
      const double squares = PairwiseSum(un, [&](size_t i) {
        const double d = v[i] - t;
        return std::isnan(v[i]) ? 0.0 : d * d;
      });
      double var = (squares - correction * correction / c) / c;
      double mean = sum / c;
      if (!std::isfinite(var) || !std::isfinite(mean)) return {mean, kNaN};
      const double eps = DBL_EPSILON;
      double bound = c * eps * var + (c * mean * eps) * (c * mean * eps);
      return {mean, var <= bound ? 1.0 : std::sqrt(var)};
    }
    if (method_ == "minmax") {
      // MinMaxScaler(feature_range=(0, 1)): x * scale + min.
      double lo = std::numeric_limits<double>::infinity(), hi = -lo;
      bool any = false;
      for (int64_t i = 0; i < n; ++i) {
        if (std::isnan(v[i])) continue;
        lo = std::min(lo, v[i]);
        hi = std::max(hi, v[i]);
        any = true;
      }
      if (!any) return {kNaN, kNaN};
      double range = hi - lo;
      if (!std::isfinite(range)) return {kNaN, kNaN};
      if (range < 10 * DBL_EPSILON) range = 1.0;
      double scale = 1.0 / range;
      return {scale, 0.0 - lo * scale};
    }
    // RobustScaler: median, and the 25th to 75th percentile range.
    Scratch scratch;
    std::vector<double>& present = scratch.values();
    PresentValues(x, &present);
    if (present.empty()) return {kNaN, kNaN};
    double center;
    std::vector<double> q = Quantiles(present, {0.25, 0.75}, &center);
    double scale = q[1] - q[0];
    if (!std::isfinite(scale)) return {center, kNaN};
    if (scale < 10 * DBL_EPSILON) scale = 1.0;
    return {center, scale};
  }
  Column Apply(const Column& x, const std::vector<double>& p) const {
    const double a = p[0], b = p[1];
    if (method_ == "minmax") return MapDoubles(x, [=](double v) { return v * a + b; });
    return MapDoubles(x, [=](double v) { return (v - a) / b; });
  }

 private:
  std::string method_;
};

// --- clip / winsorize -------------------------------------------------------------------------

double ClipValue(double v, double lo, double hi) {
  if (v < lo) v = lo;  // NaN compares false and stays NaN
  if (v > hi) v = hi;
  return v;
}

class ClipStep : public PerColumnStep<ClipStep> {
 public:
  explicit ClipStep(const StepSpec& spec) : PerColumnStep(spec) {
    Options o(spec_, {"columns", "min", "max"});
    selector_ = ColumnSelector::Read(o, "columns", true);
    if (!o.Has("min") && !o.Has("max")) throw o.Fail("needs 'min', 'max' or both");
    lo_ = o.Number("min", -std::numeric_limits<double>::infinity());
    hi_ = o.Number("max", std::numeric_limits<double>::infinity());
    if (lo_ > hi_) throw o.Fail("'min' is greater than 'max'");
  }
  Column Apply(const Column& x, const std::vector<double>&) const {
    const double lo = lo_, hi = hi_;
    return MapDoubles(x, [=](double v) { return ClipValue(v, lo, hi); });
  }

 private:
  double lo_ = 0, hi_ = 0;
};

class WinsorizeStep : public PerColumnStep<WinsorizeStep> {
 public:
  explicit WinsorizeStep(const StepSpec& spec) : PerColumnStep(spec) {
    Options o(spec_, {"columns", "lower", "upper"});
    selector_ = ColumnSelector::Read(o, "columns", true);
    lower_ = o.Number("lower", 0.01);
    upper_ = o.Number("upper", 0.99);
    if (!(lower_ >= 0 && lower_ < upper_ && upper_ <= 1)) {
      throw o.Fail("needs 0 <= lower < upper <= 1 (quantiles), got lower " + FormatDouble(lower_) +
                   " and upper " + FormatDouble(upper_));
    }
  }
  std::vector<std::string> ParamNames() const { return {"min", "max"}; }
  // An infinite value makes NumPy's interpolated quantile NaN (inf * 0), which clips nothing.
  bool NeedsFinite() const { return true; }
  std::vector<double> LearnColumn(const Column& x) const {
    Scratch scratch;
    std::vector<double>& present = scratch.values();
    PresentValues(x, &present);
    if (present.empty()) return {kNaN, kNaN};
    return Quantiles(present, {lower_, upper_});
  }
  Column Apply(const Column& x, const std::vector<double>& p) const {
    const double lo = p[0], hi = p[1];
    return MapDoubles(x, [=](double v) { return ClipValue(v, lo, hi); });
  }

 private:
  double lower_ = 0.01, upper_ = 0.99;
};

// --- log / log1p / power ----------------------------------------------------------------------

class LogStep : public PerColumnStep<LogStep> {
 public:
  LogStep(const StepSpec& spec, bool plus_one) : PerColumnStep(spec), plus_one_(plus_one) {
    Options o(spec_, {"columns"});
    selector_ = ColumnSelector::Read(o, "columns", true);
  }
  Column Apply(const Column& x, const std::vector<double>&) const {
    if (plus_one_) return MapDoubles(x, [](double v) { return std::log1p(v); });
    return MapDoubles(x, [](double v) { return std::log(v); });
  }
  // Values without a (finite) logarithm: numpy warns "divide by zero" / "invalid value".
  std::string NoteColumn(const Column& x, const std::vector<double>&) const {
    const double floor = plus_one_ ? -1.0 : 0.0;
    int64_t n = 0;
    for (int64_t i = 0; i < x.size(); ++i) n += x.IsValid(i) && x.f64()[i] <= floor;
    if (n == 0) return "";
    return std::to_string(n) + " value" + (n == 1 ? "" : "s") +
           " <= " + std::string(plus_one_ ? "-1" : "0") + (n == 1 ? " has" : " have") +
           " no finite logarithm: " +
           (plus_one_ ? "-1 gives -inf, below it NaN" : "0 gives -inf, below it NaN") +
           "; clip them first, or use log1p";
  }

 private:
  bool plus_one_ = false;
};

class PowerStep : public PerColumnStep<PowerStep> {
 public:
  explicit PowerStep(const StepSpec& spec) : PerColumnStep(spec) {
    Options o(spec_, {"columns", "exponent"});
    selector_ = ColumnSelector::Read(o, "columns", true);
    if (!o.Has("exponent")) throw o.Fail("missing key 'exponent'");
    exponent_ = o.Number("exponent", 1);
  }
  Column Apply(const Column& x, const std::vector<double>&) const {
    const double e = exponent_;
    if (e == 2) return MapDoubles(x, [](double v) { return v * v; });
    if (e == 0.5) return MapDoubles(x, [](double v) { return std::sqrt(v); });
    return MapDoubles(x, [=](double v) { return std::pow(v, e); });
  }

 private:
  double exponent_ = 1;
};

// --- bucketize --------------------------------------------------------------------------------

class BucketizeStep : public PerColumnStep<BucketizeStep> {
 public:
  explicit BucketizeStep(const StepSpec& spec) : PerColumnStep(spec) {
    Options o(spec_, {"columns", "bins", "strategy", "edges"});
    selector_ = ColumnSelector::Read(o, "columns", true);
    if (o.Has("edges")) {
      if (o.Has("bins") || o.Has("strategy")) {
        throw o.Fail("give either 'edges' or 'bins' and 'strategy', not both");
      }
      edges_ = o.NumberList("edges");
      if (edges_.size() < 2) throw o.Fail("'edges' needs at least two values");
      for (size_t i = 1; i < edges_.size(); ++i) {
        if (!(edges_[i] > edges_[i - 1])) throw o.Fail("'edges' must be increasing");
      }
    }
    bins_ = static_cast<int>(o.Int("bins", 5, 2, 100000));
    strategy_ = o.Enum("strategy", {"quantile", "uniform"}, "quantile");
  }
  std::vector<std::string> ParamNames() const { return {"edges"}; }
  bool VariableParams() const { return true; }
  bool NeedsFinite() const { return edges_.empty(); }
  std::vector<double> LearnColumn(const Column& x) const {
    if (!edges_.empty()) return edges_;
    const double inf = std::numeric_limits<double>::infinity();
    std::vector<double> edges;
    if (strategy_ == "uniform") {
      const double* v = x.f64();
      double lo = inf, hi = -inf;
      for (int64_t i = 0; i < x.size(); ++i) {
        if (std::isnan(v[i])) continue;
        lo = std::min(lo, v[i]);
        hi = std::max(hi, v[i]);
      }
      if (lo > hi || lo == hi) return {-inf, inf};  // no values, or constant: one bin
      // numpy.linspace(lo, hi, bins + 1)
      double step = (hi - lo) / bins_;
      for (int i = 0; i <= bins_; ++i) edges.push_back(i == bins_ ? hi : i * step + lo);
      return edges;
    }
    // numpy.percentile(column, numpy.linspace(0, 100, bins + 1))
    std::vector<double> qs;
    double step = 100.0 / bins_;
    for (int i = 0; i <= bins_; ++i) qs.push_back((i == bins_ ? 100.0 : i * step) / 100);
    Scratch scratch;
    std::vector<double>& present = scratch.values();
    PresentValues(x, &present);
    if (present.empty()) return {-inf, inf};
    edges = Quantiles(present, qs);
    if (edges.front() == edges.back()) return {-inf, inf};
    // Edges closer than 1e-8 to the previous one are removed (KBinsDiscretizer).
    std::vector<double> kept = {edges[0]};
    for (size_t i = 1; i < edges.size(); ++i) {
      if (edges[i] - edges[i - 1] > 1e-8) kept.push_back(edges[i]);
    }
    // A spread of 1e-8 or less leaves one edge: one bin, every value 0 (KBinsDiscretizer warns
    // and maps everything to bin 0).
    if (kept.size() < 2) return {-inf, inf};
    return kept;
  }
  // Fewer quantile bins than asked (KBinsDiscretizer warns and removes the narrow ones).
  std::string NoteColumn(const Column&, const std::vector<double>& edges) const {
    if (!edges_.empty() || strategy_ != "quantile") return "";
    const int got = static_cast<int>(edges.size()) - 1;
    if (got >= bins_) return "";
    return std::to_string(got) + " quantile bin" + (got == 1 ? "" : "s") + ", not " +
           std::to_string(bins_) + ": equal quantiles (repeated values) were merged";
  }
  Column Apply(const Column& x, const std::vector<double>& edges) const {
    // np.searchsorted(edges[1:-1], x, side="right"): the number of inner edges <= x.
    const std::vector<double> inner(edges.begin() + 1, edges.end() - 1);
    const size_t m = inner.size();
    if (m > 32) {
      return MapDoubles(x, [&](double v) {
        if (std::isnan(v)) return v;
        return static_cast<double>(std::upper_bound(inner.begin(), inner.end(), v) - inner.begin());
      });
    }
    // Few edges: count them in blocks of rows, a loop the compiler vectorises.
    const int64_t n = x.size();
    const double* in = x.f64();
    BigVector<double> out(static_cast<size_t>(n));
    constexpr int64_t kBlock = 1024;
    for (int64_t start = 0; start < n; start += kBlock) {
      const int64_t end = std::min(n, start + kBlock);
      double* o = out.data();
      for (int64_t i = start; i < end; ++i) o[i] = 0;
      for (size_t j = 0; j < m; ++j) {
        const double edge = inner[j];
        for (int64_t i = start; i < end; ++i) o[i] += in[i] >= edge ? 1.0 : 0.0;
      }
      for (int64_t i = start; i < end; ++i) {
        if (std::isnan(in[i])) o[i] = in[i];
      }
    }
    return Float64Like(std::move(out), x);
  }

 private:
  std::vector<double> edges_;
  int bins_ = 5;
  std::string strategy_;
};

}  // namespace

std::shared_ptr<const Step> MakeClip(const StepSpec& spec) {
  return std::make_shared<ClipStep>(spec);
}
std::shared_ptr<const Step> MakeWinsorize(const StepSpec& spec) {
  return std::make_shared<WinsorizeStep>(spec);
}
std::shared_ptr<const Step> MakeScale(const StepSpec& spec) {
  return std::make_shared<ScaleStep>(spec);
}
std::shared_ptr<const Step> MakeLog(const StepSpec& spec) {
  return std::make_shared<LogStep>(spec, false);
}
std::shared_ptr<const Step> MakeLog1p(const StepSpec& spec) {
  return std::make_shared<LogStep>(spec, true);
}
std::shared_ptr<const Step> MakePower(const StepSpec& spec) {
  return std::make_shared<PowerStep>(spec);
}
std::shared_ptr<const Step> MakeBucketize(const StepSpec& spec) {
  return std::make_shared<BucketizeStep>(spec);
}

}  // namespace mloop::prep
