// impute: scikit-learn's SimpleImputer, with MissingIndicator columns (add_indicator) for the
// columns that had missing values when fitted.
#include <algorithm>
#include <cmath>
#include <map>

#include "mloop/core/pairwise_sum.h"
#include "mloop/core/strings.h"
#include "mloop/core/time.h"
#include "mloop/prep/steps.h"

namespace mloop::prep {

using nlohmann::json;

namespace {

const char* const kNumericColumns = "numeric columns (float64, int64, bool)";

// --- impute -----------------------------------------------------------------------------------

// SimpleImputer (+ MissingIndicator for the columns that had missing values when fitted).
class ImputeStep : public StepBase<ImputeStep> {
 public:
  explicit ImputeStep(const StepSpec& spec) : StepBase(spec) {
    Options o(spec_, {"columns", "strategy", "fill_value", "add_indicator"});
    selector_ = ColumnSelector::Read(o, "columns", true);
    strategy_ = o.Enum("strategy", {"mean", "median", "most_frequent", "constant"}, "mean");
    fill_ = o.Raw("fill_value");
    if (!fill_.is_null() && !fill_.is_number() && !fill_.is_string()) {
      throw o.Fail("'fill_value' must be a number or a string");
    }
    if (fill_.is_number() && !std::isfinite(fill_.get<double>())) {
      throw o.Fail("'fill_value' must be a finite number; it reads as infinite (beyond a double)");
    }
    if (!fill_.is_null() && strategy_ != "constant") {
      throw o.Fail("'fill_value' is only used with strategy: constant");
    }
    add_indicator_ = o.Bool("add_indicator", false);
  }

  Schema Check(const Schema& in, CheckContext& ctx) const override {
    auto cols = selector_.Resolve(in, ctx, Where());
    std::vector<Field> fields = in.fields();
    for (const auto& name : cols) {
      Field& f = fields[in.IndexOf(name)];
      bool numeric = IsNumeric(f.type);
      bool ok = numeric || ((f.type == DataType::kString || f.type == DataType::kTimestamp) &&
                            (strategy_ == "most_frequent" || strategy_ == "constant"));
      RequireType(Where(), kind() + " with strategy " + strategy_, f, ok,
                  strategy_ == "mean" || strategy_ == "median"
                      ? kNumericColumns
                      : "numeric, string or timestamp columns");
      if (strategy_ == "constant" && fill_.is_null() && f.type == DataType::kTimestamp) {
        // scikit-learn's default fill of 0 would be 1970-01-01, a date no one means.
        throw Fail("strategy constant on the timestamp column '" + name +
                   "' needs 'fill_value', a date such as '2024-01-01'");
      }
      if (strategy_ == "constant" && !fill_.is_null()) {
        if (numeric && !fill_.is_number()) {
          throw Fail("'fill_value' " + fill_.dump() + " is not a number, but column '" + name +
                     "' is numeric");
        }
        int64_t t;
        if (f.type == DataType::kString && !fill_.is_string()) {
          throw Fail("'fill_value' must be a string (quoted) for the string column '" + name + "'");
        }
        if (f.type == DataType::kTimestamp &&
            (!fill_.is_string() || !ParseIsoTimestamp(fill_.get<std::string>(), &t))) {
          throw Fail("'fill_value' must be a date such as '2024-01-01' for the timestamp column '" +
                     name + "'");
        }
      }
      if (numeric) f.type = DataType::kFloat64;
    }
    Schema out(std::move(fields));
    if (add_indicator_) {
      // Which columns get an indicator depends on the data; before fitting, assume all do.
      for (const auto& name : cols) {
        if (!ctx.preflight) break;
        RequireNewName(Where(), out, name + "_missing");
        std::vector<Field> more = out.fields();
        more.push_back(Field{name + "_missing", DataType::kFloat64, Role::kFeature});
        out = Schema(std::move(more));
      }
    }
    return out;
  }

  void Learn(const Table& in, const FitContext& ctx) override {
    columns_ = selector_.Resolve(in.schema(), CheckContextFor(ctx), Where());
    fills_.assign(columns_.size(), json());
    std::vector<char> had_missing(columns_.size(), 0);
    ForEachColumn(static_cast<int>(columns_.size()), ctx.threads, [&](int k) {
      const Column& c = in.column(columns_[k]);
      fills_[k] = LearnColumn(columns_[k], c, &had_missing[k]);
    });
    indicators_.clear();
    if (add_indicator_) {
      for (size_t k = 0; k < columns_.size(); ++k) {
        if (!had_missing[k]) continue;
        RequireNewName(Where(), in.schema(), columns_[k] + "_missing");
        indicators_.push_back(columns_[k]);
      }
    }
  }

  Table Transform(const Table& in, const ApplyContext& ctx) const override {
    std::vector<int> idx;
    for (const auto& name : columns_) idx.push_back(Need(in, name));
    std::vector<Column> out(idx.size());
    std::vector<Column> flags(indicators_.size());
    ForEachColumn(static_cast<int>(idx.size() + indicators_.size()), ctx.threads, [&](int k) {
      if (k < static_cast<int>(idx.size())) {
        out[k] = Fill(in.column(idx[k]), fills_[k]);
      } else {
        flags[k - idx.size()] = Indicator(in.column(indicators_[k - idx.size()]));
      }
    });
    TableEdit edit(in);
    for (size_t k = 0; k < idx.size(); ++k) edit.Replace(idx[k], std::move(out[k]));
    for (size_t k = 0; k < indicators_.size(); ++k) {
      edit.Append(Field{indicators_[k] + "_missing"}, std::move(flags[k]));
    }
    return edit.Finish();
  }

  json State() const override {
    return json{
        {"step", kind()}, {"columns", columns_}, {"fill", fills_}, {"indicators", indicators_}};
  }
  void LoadFrom(const json& state) {
    columns_ = state.at("columns").get<std::vector<std::string>>();
    fills_ = state.at("fill").get<std::vector<json>>();
    indicators_ = state.at("indicators").get<std::vector<std::string>>();
    if (fills_.size() != columns_.size()) throw Corruption("'fill' needs one value per column");
    for (const json& f : fills_) {
      if (!f.is_number() && !f.is_string()) throw Corruption("bad fill value " + f.dump());
    }
  }
  std::vector<std::string> Reads() const override { return columns_; }

 private:
  static bool Missing(const Column& c, int64_t i) {
    return !c.IsValid(i) || (c.type() == DataType::kFloat64 && std::isnan(c.f64()[i]));
  }

  // The fill value: a number (numeric columns; "nan"/"inf" as DoubleToJson writes them), a string
  // (string columns) or an ISO timestamp (timestamp columns).
  json LearnColumn(const std::string& name, const Column& c, char* had_missing) const {
    const int64_t n = c.size();
    if (c.type() == DataType::kString || c.type() == DataType::kTimestamp) {
      const bool text = c.type() == DataType::kString;
      for (int64_t i = 0; i < n && !*had_missing; ++i) *had_missing = !c.IsValid(i);
      if (strategy_ == "constant") {
        if (!fill_.is_null()) return fill_;
        return json("missing_value");  // Check requires fill_value for timestamp columns
      }
      // most_frequent: ties go to the smallest value, as in scikit-learn.
      if (text) {
        std::vector<int64_t> counts(c.dictionary().size(), 0);
        for (int64_t i = 0; i < n; ++i) {
          if (c.IsValid(i)) ++counts[c.codes()[i]];
        }
        std::map<std::string_view, int64_t> by_text;
        for (size_t k = 0; k < counts.size(); ++k) {
          if (counts[k] > 0) by_text[c.dictionary()[k]] += counts[k];
        }
        std::string best = "missing_value";
        int64_t best_count = 0;
        for (const auto& [s, count] : by_text) {
          if (count > best_count) best = std::string(s), best_count = count;
        }
        return best;
      }
      std::map<int64_t, int64_t> counts;
      for (int64_t i = 0; i < n; ++i) {
        if (c.IsValid(i)) ++counts[c.i64()[i]];
      }
      int64_t best = 0, best_count = 0;
      for (const auto& [v, count] : counts) {
        if (count > best_count) best = v, best_count = count;
      }
      return FormatTimestamp(best);
    }
    Column x = ToDoubles(c);
    if (strategy_ == "mean" || strategy_ == "median") RequireFinite(Where(), name, x);
    const double* v = x.f64();
    Scratch scratch;
    std::vector<double>& present = scratch.values();
    PresentValues(x, &present);
    *had_missing = static_cast<int64_t>(present.size()) < n;
    if (strategy_ == "constant") return fill_.is_null() ? json(0) : fill_;
    if (present.empty()) return 0;  // keep_empty_features=True: an all-missing column gets 0
    if (strategy_ == "mean") {      // as numpy.nanmean: missing values as 0 in a pairwise sum
      const double sum = PairwiseSum(static_cast<size_t>(n),
                                     [&](size_t i) { return std::isnan(v[i]) ? 0.0 : v[i]; });
      return DoubleToJson(sum / static_cast<double>(present.size()));
    }
    if (strategy_ == "median") {
      double median;
      Quantiles(present, {}, &median);
      return DoubleToJson(median);
    }
    std::sort(present.begin(), present.end());
    double best = present[0];
    size_t best_count = 0;
    for (size_t i = 0; i < present.size();) {
      size_t j = i;
      while (j < present.size() && present[j] == present[i]) ++j;
      if (j - i > best_count) best = present[i], best_count = j - i;
      i = j;
    }
    return DoubleToJson(best);
  }

  static Column Fill(const Column& c, const json& fill) {
    const int64_t n = c.size();
    if (c.type() == DataType::kString || c.type() == DataType::kTimestamp) {
      if (!c.has_nulls()) return c;
      ColumnBuilder b(c.type());
      b.Reserve(n);
      if (c.type() == DataType::kString) {
        const std::string text = fill.get<std::string>();
        for (int64_t i = 0; i < n; ++i) b.AppendString(c.IsValid(i) ? c.StringAt(i) : text);
      } else {
        int64_t t = 0;
        ParseIsoTimestamp(fill.get<std::string>(), &t);
        for (int64_t i = 0; i < n; ++i) b.AppendInt(c.IsValid(i) ? c.i64()[i] : t);
      }
      return b.Finish();
    }
    Column x = ToDoubles(c);
    const double* v = x.f64();
    bool any = false;
    for (int64_t i = 0; i < n && !any; ++i) any = std::isnan(v[i]);
    if (!any) return x;
    const double value = DoubleFromJson(fill);
    BigVector<double> out(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) out[i] = std::isnan(v[i]) ? value : v[i];
    return Float64Column(std::move(out));
  }

  static Column Indicator(const Column& c) {
    const int64_t n = c.size();
    BigVector<double> out(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) out[i] = Missing(c, i) ? 1.0 : 0.0;
    return Float64Column(std::move(out));
  }

  ColumnSelector selector_;
  std::string strategy_;
  json fill_;
  bool add_indicator_ = false;
  std::vector<std::string> columns_;
  std::vector<json> fills_;
  std::vector<std::string> indicators_;
};

}  // namespace

std::shared_ptr<const Step> MakeImpute(const StepSpec& spec) {
  return std::make_shared<ImputeStep>(spec);
}

}  // namespace mloop::prep
