// target_encode: scikit-learn 1.3's TargetEncoder for binary and continuous targets.
//
//   smooth: auto   encoding = lambda * mean_c + (1 - lambda) * mean_y, with
//                  lambda = var_y * n_c / (var_y * n_c + ss_c / n_c), ss_c the sum of squared
//                  deviations of y from mean_c within the category (Micci-Barreca, eq. 7; the
//                  target mean when lambda is NaN: no rows, or no variance at all)
//   smooth: m      encoding = (sum_c + m * mean_y) / (n_c + m)
// Fitting encodes the training rows out of fold: each row by encodings learned on the other
// folds (k folds from AssignFolds in core/shuffle.h, as the trainer makes them: stratified for a
// binary target), so a model never sees its own label. Transform uses the encodings learned on
// every row; unknown categories get the target mean.
#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "mloop/core/pairwise_sum.h"
#include "mloop/core/shuffle.h"
#include "mloop/core/strings.h"
#include "mloop/prep/categories.h"
#include "mloop/prep/steps.h"

namespace mloop::prep {

using nlohmann::json;

namespace {

struct YStats {
  double mean = 0;
  double var = 0;
};

// numpy.mean and numpy.var (ddof=0) over the rows not in fold `skip` (-1: every row).
// Summed pairwise, in NumPy's order, over the rows taken.
YStats Stats(const std::vector<double>& y, const std::vector<int>& fold_of, int skip) {
  std::vector<double> taken;
  taken.reserve(y.size());
  for (size_t i = 0; i < y.size(); ++i) {
    if (skip < 0 || fold_of[i] != skip) taken.push_back(y[i]);
  }
  const size_t n = taken.size();
  YStats s;
  s.mean = PairwiseSum(n, [&](size_t i) { return taken[i]; }) / static_cast<double>(n);
  s.var = PairwiseSum(n,
                      [&](size_t i) {
                        const double d = taken[i] - s.mean;
                        return d * d;
                      }) /
          static_cast<double>(n);
  return s;
}

class TargetEncodeStep : public StepBase<TargetEncodeStep> {
 public:
  explicit TargetEncodeStep(const StepSpec& spec) : StepBase(spec) {
    Options o(spec_, {"columns", "smooth", "cv"});
    selector_ = ColumnSelector::Read(o, "columns", true);
    const json& smooth = o.Raw("smooth");
    if (smooth.is_number()) {
      smooth_ = smooth.get<double>();
      if (!(smooth_ >= 0)) throw o.Fail("'smooth' must be auto or a number >= 0");
    } else if (!smooth.is_null() && smooth != "auto") {
      throw o.Fail("'smooth' must be auto or a number >= 0, not " + smooth.dump());
    }
    cv_ = static_cast<int>(o.Int("cv", 5, 2, 1000));
  }

  Schema Check(const Schema& in, CheckContext& ctx) const override {
    if (ctx.target.empty()) {
      throw Fail("needs the target column to learn from",
                 "fit the recipe with a target column (--target)");
    }
    std::vector<std::string> cols;
    CheckCategorical(*this, selector_, in, ctx, &cols);
    const Field& t = in.field(in.IndexOf(ctx.target));
    if (t.type == DataType::kTimestamp) {
      throw Fail("the target '" + t.name +
                 "' is a timestamp; target_encode needs a binary or "
                 "numeric target");
    }
    return SchemaWithTypes(in, cols, DataType::kFloat64);
  }

  std::shared_ptr<const Step> Fit(const Table& in, const FitContext& ctx,
                                  Table* out) const override {
    auto fitted = std::make_shared<TargetEncodeStep>(*this);
    std::vector<Column> oof;
    fitted->LearnAll(in, ctx, out ? &oof : nullptr);
    if (out) {
      TableEdit edit(in);
      for (size_t k = 0; k < oof.size(); ++k) {
        edit.Replace(edit.IndexOf(fitted->columns_[k]), std::move(oof[k]));
      }
      *out = edit.Finish();
    }
    return fitted;
  }
  void Learn(const Table& in, const FitContext& ctx) override { LearnAll(in, ctx, nullptr); }

  Table Transform(const Table& in, const ApplyContext& ctx) const override {
    std::vector<int> idx;
    for (const auto& name : columns_) idx.push_back(Need(in, name));
    std::vector<Column> out(idx.size());
    ForEachColumn(static_cast<int>(idx.size()), ctx.threads, [&](int k) {
      std::vector<int32_t> codes = CategoryCodes(in.column(idx[k]), cats_[k]);
      BigVector<double> v(codes.size());
      for (size_t i = 0; i < codes.size(); ++i) {
        v[i] = codes[i] >= 0 ? encodings_[k][codes[i]] : target_mean_;
      }
      out[k] = Float64Column(std::move(v));
    });
    TableEdit edit(in);
    for (size_t k = 0; k < idx.size(); ++k) edit.Replace(idx[k], std::move(out[k]));
    return edit.Finish();
  }

  json State() const override {
    json cols = json::array();
    for (size_t k = 0; k < columns_.size(); ++k) {
      cols.push_back(json{{"column", columns_[k]},
                          {"categories", cats_[k].ToJson()},
                          {"encodings", DoublesToJson(encodings_[k])}});
    }
    return json{{"step", kind()},
                {"target_type", binary_ ? "binary" : "continuous"},
                {"target_mean", DoubleToJson(target_mean_)},
                {"columns", cols}};
  }
  void LoadFrom(const json& state) {
    binary_ = state.at("target_type").get<std::string>() == "binary";
    target_mean_ = DoubleFromJson(state.at("target_mean"));
    columns_.clear();
    cats_.clear();
    encodings_.clear();
    for (const json& c : state.at("columns")) {
      columns_.push_back(c.at("column").get<std::string>());
      cats_.push_back(Categories::FromJson(c.at("categories")));
      encodings_.push_back(DoublesFromJson(c.at("encodings")));
      if (static_cast<int32_t>(encodings_.back().size()) != cats_.back().size()) {
        throw Corruption("column '" + columns_.back() + "' needs one encoding per category");
      }
    }
  }
  std::vector<std::string> Reads() const override { return columns_; }

 private:
  // The label as numbers: binary targets (two classes, or fewer) become 0/1 by sorted class, as
  // LabelEncoder does; numeric targets with more values are continuous.
  std::vector<double> Labels(const Column& t, const std::string& name, bool classes) {
    const int64_t n = t.size();
    if (t.has_nulls()) {
      throw DataError(Where() + ": the target '" + Printable(name) + "' has missing values",
                      "drop those rows first (filter: \"not is_missing(" + name + ")\")");
    }
    std::vector<double> y(static_cast<size_t>(n));
    if (t.type() == DataType::kString) {
      std::vector<int64_t> counts;
      Categories classes = LearnCategories(t, &counts);
      if (classes.values() > 2) {
        throw Fail("the target '" + Printable(name) + "' has " + std::to_string(classes.values()) +
                   " classes; target_encode takes binary or numeric targets");
      }
      std::vector<int32_t> codes = CategoryCodes(t, classes);
      for (int64_t i = 0; i < n; ++i) y[i] = codes[i];
      binary_ = true;
      return y;
    }
    Column x = ToDoubles(t);
    const double* v = x.f64();
    bool integral = true;
    std::vector<double> distinct;
    for (int64_t i = 0; i < n; ++i) {
      if (std::isnan(v[i])) {
        throw DataError(Where() + ": the target '" + Printable(name) + "' has NaN values");
      }
      if (std::isinf(v[i])) {  // its means would be infinite or NaN (scikit-learn refuses too)
        throw DataError(Where() + ": the target '" + Printable(name) +
                        "' holds an infinite value (" + std::string(v[i] > 0 ? "inf" : "-inf") +
                        " at row " + std::to_string(i + 1) + ")");
      }
      integral = integral && v[i] == std::floor(v[i]);
      if (distinct.size() <= 2 &&
          std::find(distinct.begin(), distinct.end(), v[i]) == distinct.end()) {
        distinct.push_back(v[i]);
      }
    }
    binary_ = integral && distinct.size() <= 2;
    if (!binary_ && classes) {
      throw Fail("the target '" + Printable(name) +
                 "' has more than 2 classes; target_encode takes binary or numeric targets");
    }
    if (!binary_) return std::vector<double>(v, v + n);
    std::sort(distinct.begin(), distinct.end());
    for (int64_t i = 0; i < n; ++i) y[i] = v[i] == distinct[0] ? 0.0 : 1.0;
    return y;
  }

  // Encodings of categories 0..ncat-1 from the rows not in fold `skip` (-1: every row).
  std::vector<double> Encodings(const std::vector<int32_t>& codes, const std::vector<double>& y,
                                const std::vector<int>& fold_of, int skip, int32_t ncat,
                                const YStats& s) const {
    std::vector<double> enc(static_cast<size_t>(ncat));
    const size_t n = y.size();
    if (smooth_ < 0) {  // auto
      std::vector<double> means(ncat, 0.0), ss(ncat, 0.0);
      std::vector<int64_t> counts(ncat, 0);
      for (size_t i = 0; i < n; ++i) {
        if (codes[i] < 0 || (skip >= 0 && fold_of[i] == skip)) continue;
        ++counts[codes[i]];
        means[codes[i]] += y[i];
      }
      for (int32_t c = 0; c < ncat; ++c) means[c] /= static_cast<double>(counts[c]);
      for (size_t i = 0; i < n; ++i) {
        if (codes[i] < 0 || (skip >= 0 && fold_of[i] == skip)) continue;
        double d = y[i] - means[codes[i]];
        ss[codes[i]] += d * d;
      }
      for (int32_t c = 0; c < ncat; ++c) {
        double cnt = static_cast<double>(counts[c]);
        double lambda = s.var * cnt / (s.var * cnt + ss[c] / cnt);
        enc[c] = std::isnan(lambda) ? s.mean : lambda * means[c] + (1 - lambda) * s.mean;
      }
      return enc;
    }
    std::vector<double> sums(ncat, smooth_ * s.mean), counts(ncat, smooth_);
    for (size_t i = 0; i < n; ++i) {
      if (codes[i] < 0 || (skip >= 0 && fold_of[i] == skip)) continue;
      sums[codes[i]] += y[i];
      counts[codes[i]] += 1.0;
    }
    // A category without rows here (smooth 0, only in the held-out fold) gets the mean, as an
    // unknown one does (scikit-learn: counts == 0 -> y_mean).
    for (int32_t c = 0; c < ncat; ++c) enc[c] = counts[c] > 0 ? sums[c] / counts[c] : s.mean;
    return enc;
  }

  void LearnAll(const Table& in, const FitContext& ctx, std::vector<Column>* oof) {
    columns_ = selector_.Resolve(in.schema(), CheckContextFor(ctx), Where());
    const int64_t n = in.num_rows();
    if (n == 0) throw Fail("cannot learn encodings from no rows");
    std::vector<double> y = Labels(in.column(ctx.target), ctx.target, ctx.target_classes);
    std::vector<int> fold_of;
    YStats all = Stats(y, fold_of, -1);
    target_mean_ = all.mean;
    std::vector<YStats> fold_stats;
    if (oof) {
      if (n < cv_) {
        throw Fail("cv: " + std::to_string(cv_) + " needs at least " + std::to_string(cv_) +
                   " rows, and there are " + std::to_string(n));
      }
      fold_of = AssignFolds(n, cv_, binary_ ? &y : nullptr, ctx.seed);
      for (int f = 0; f < cv_; ++f) fold_stats.push_back(Stats(y, fold_of, f));
      oof->assign(columns_.size(), Column());
    }
    cats_.assign(columns_.size(), Categories{});
    encodings_.assign(columns_.size(), {});
    ForEachColumn(static_cast<int>(columns_.size()), ctx.threads, [&](int k) {
      const Column& c = in.column(columns_[k]);
      std::vector<int64_t> counts;
      cats_[k] = LearnCategories(c, &counts);
      std::vector<int32_t> codes = CategoryCodes(c, cats_[k]);
      const int32_t ncat = cats_[k].size();
      encodings_[k] = Encodings(codes, y, fold_of, -1, ncat, all);
      if (!oof) return;
      BigVector<double> v(static_cast<size_t>(n));
      for (int f = 0; f < cv_; ++f) {
        std::vector<double> enc = Encodings(codes, y, fold_of, f, ncat, fold_stats[f]);
        for (int64_t i = 0; i < n; ++i) {
          if (fold_of[i] == f) v[i] = enc[codes[i]];
        }
      }
      (*oof)[k] = Float64Column(std::move(v));
    });
  }

  ColumnSelector selector_;
  double smooth_ = -1;  // -1: auto
  int cv_ = 5;
  std::vector<std::string> columns_;
  bool binary_ = false;
  double target_mean_ = 0;
  std::vector<Categories> cats_;
  std::vector<std::vector<double>> encodings_;
};

}  // namespace

std::shared_ptr<const Step> MakeTargetEncode(const StepSpec& spec) {
  return std::make_shared<TargetEncodeStep>(spec);
}

}  // namespace mloop::prep
