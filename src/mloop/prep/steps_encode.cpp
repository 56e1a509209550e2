// Categorical encoders: one_hot (OneHotEncoder), ordinal (OrdinalEncoder) and target_encode
// (TargetEncoder of scikit-learn 1.3).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <numeric>
#include <unordered_map>

#include "mloop/core/strings.h"
#include "mloop/prep/categories.h"
#include "mloop/prep/steps.h"

namespace mloop::prep {

using nlohmann::json;

uint64_t DoubleKey(double v) {
  if (v == 0) v = 0;  // -0.0 is 0.0
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  return bits;
}

// Learns the categories of `c` and how many rows hold each (in category order).
Categories LearnCategories(const Column& c, std::vector<int64_t>* counts) {
  Categories cats;
  cats.type = c.type();
  const int64_t n = c.size();
  int64_t missing = 0;
  counts->clear();
  if (c.type() == DataType::kString) {
    std::vector<int64_t> per_code(c.dictionary().size(), 0);
    const int32_t* codes = c.codes();
    for (int64_t i = 0; i < n; ++i) {
      if (c.IsValid(i)) {
        ++per_code[codes[i]];
      } else {
        ++missing;
      }
    }
    std::map<std::string, int64_t> by_text;
    for (size_t k = 0; k < per_code.size(); ++k) {
      if (per_code[k] > 0) by_text[c.dictionary()[k]] += per_code[k];
    }
    for (auto& [text, count] : by_text) {
      cats.text.push_back(text);
      counts->push_back(count);
    }
  } else if (c.type() == DataType::kFloat64) {
    std::unordered_map<uint64_t, std::pair<double, int64_t>> seen;
    const double* x = c.f64();
    for (int64_t i = 0; i < n; ++i) {
      if (!c.IsValid(i) || std::isnan(x[i])) {
        ++missing;
        continue;
      }
      auto& e = seen[DoubleKey(x[i])];
      e.first = x[i] == 0 ? 0.0 : x[i];
      ++e.second;
    }
    std::vector<std::pair<double, int64_t>> sorted;
    for (const auto& [key, e] : seen) sorted.push_back(e);
    std::sort(sorted.begin(), sorted.end());
    for (const auto& [v, count] : sorted) {
      cats.numbers.push_back(v);
      counts->push_back(count);
    }
  } else {
    std::unordered_map<int64_t, int64_t> seen;
    for (int64_t i = 0; i < n; ++i) {
      if (!c.IsValid(i)) {
        ++missing;
        continue;
      }
      ++seen[c.type() == DataType::kBool ? c.bools()[i] : c.i64()[i]];
    }
    std::vector<std::pair<int64_t, int64_t>> sorted(seen.begin(), seen.end());
    std::sort(sorted.begin(), sorted.end());
    for (const auto& [v, count] : sorted) {
      cats.ints.push_back(v);
      counts->push_back(count);
    }
  }
  if (missing > 0) {
    cats.has_missing = true;
    counts->push_back(missing);
  }
  return cats;
}

// The category index of every row; -1 where the value is not a category (unknown, or missing
// when no missing value was seen when fitting).
std::vector<int32_t> CategoryCodes(const Column& c, const Categories& cats) {
  const int64_t n = c.size();
  std::vector<int32_t> out(static_cast<size_t>(n));
  const int32_t missing = cats.missing_index();
  if (c.type() == DataType::kString) {
    std::vector<int32_t> lut(c.dictionary().size(), -1);
    for (size_t k = 0; k < lut.size(); ++k) {
      auto it = std::lower_bound(cats.text.begin(), cats.text.end(), c.dictionary()[k]);
      if (it != cats.text.end() && *it == c.dictionary()[k]) {
        lut[k] = static_cast<int32_t>(it - cats.text.begin());
      }
    }
    const int32_t* codes = c.codes();
    for (int64_t i = 0; i < n; ++i) out[i] = c.IsValid(i) ? lut[codes[i]] : missing;
  } else if (c.type() == DataType::kFloat64) {
    std::unordered_map<uint64_t, int32_t> index;
    for (int32_t k = 0; k < cats.values(); ++k) index[DoubleKey(cats.numbers[k])] = k;
    const double* x = c.f64();
    for (int64_t i = 0; i < n; ++i) {
      if (!c.IsValid(i) || std::isnan(x[i])) {
        out[i] = missing;
        continue;
      }
      auto it = index.find(DoubleKey(x[i]));
      out[i] = it == index.end() ? -1 : it->second;
    }
  } else {
    std::unordered_map<int64_t, int32_t> index;
    for (int32_t k = 0; k < cats.values(); ++k) index[cats.ints[k]] = k;
    for (int64_t i = 0; i < n; ++i) {
      if (!c.IsValid(i)) {
        out[i] = missing;
        continue;
      }
      auto it = index.find(c.type() == DataType::kBool ? c.bools()[i] : c.i64()[i]);
      out[i] = it == index.end() ? -1 : it->second;
    }
  }
  return out;
}

bool IsMissingAt(const Column& c, int64_t i) {
  return !c.IsValid(i) || (c.type() == DataType::kFloat64 && std::isnan(c.f64()[i]));
}

std::string Categories::Label(int32_t k) const {
  if (k == missing_index()) return kMissingLabel;
  if (type == DataType::kString) return text[k];
  if (type == DataType::kFloat64) return FormatDouble(numbers[k]);
  if (type == DataType::kBool) return ints[k] ? "true" : "false";
  return std::to_string(ints[k]);
}

json Categories::ToJson() const {
  json values_json = type == DataType::kString    ? json(text)
                     : type == DataType::kFloat64 ? DoublesToJson(numbers)
                                                  : json(ints);
  return json{{"type", DataTypeName(type)}, {"values", values_json}, {"missing", has_missing}};
}

Categories Categories::FromJson(const json& j) {
  Categories c;
  auto type = ParseDataType(j.at("type").get<std::string>());
  if (!type || !IsCategorical(*type)) throw Corruption("bad category type");
  c.type = *type;
  if (c.type == DataType::kString) {
    c.text = j.at("values").get<std::vector<std::string>>();
  } else if (c.type == DataType::kFloat64) {
    c.numbers = DoublesFromJson(j.at("values"));
  } else {
    c.ints = j.at("values").get<std::vector<int64_t>>();
  }
  c.has_missing = j.at("missing").get<bool>();
  return c;
}

Schema CheckCategorical(const Step& step, const ColumnSelector& selector, const Schema& in,
                        const CheckContext& ctx, std::vector<std::string>* cols) {
  *cols = selector.Resolve(in, ctx, step.Where());
  for (const auto& name : *cols) {
    const Field& f = in.field(in.IndexOf(name));
    RequireType(step.Where(), step.kind(), f, IsCategorical(f.type), kCategoricalColumns);
  }
  return in;
}

namespace {

// --- one_hot ----------------------------------------------------------------------------------

class OneHotStep : public StepBase<OneHotStep> {
 public:
  explicit OneHotStep(const StepSpec& spec) : StepBase(spec) {
    Options o(spec_, {"columns", "max_categories", "min_frequency", "handle_unknown"});
    selector_ = ColumnSelector::Read(o, "columns", true);
    max_categories_ = o.Int("max_categories", 0, 1, 1 << 30);
    const json& mf = o.Raw("min_frequency");
    if (mf.is_number_integer()) {
      min_count_ = o.Int("min_frequency", 0, 1, INT64_MAX);
    } else if (mf.is_number()) {
      min_fraction_ = mf.get<double>();
      if (!(min_fraction_ > 0 && min_fraction_ <= 1)) {
        throw o.Fail(
            "'min_frequency' must be a count (a whole number >= 1) or a fraction in "
            "(0, 1], not " +
            mf.dump());
      }
    } else if (!mf.is_null()) {
      throw o.Fail("'min_frequency' must be a count or a fraction, not " + mf.dump());
    }
    handle_unknown_ = o.Enum("handle_unknown", {"ignore", "error", "other"}, "ignore");
  }

  Schema Check(const Schema& in, CheckContext& ctx) const override {
    std::vector<std::string> cols;
    CheckCategorical(*this, selector_, in, ctx, &cols);
    if (ctx.preflight) {
      for (const auto& c : cols) ctx.pending_prefixes.push_back(c + "=");
    }
    return SchemaWithout(in, cols);  // the new columns are known once fitted
  }

  void Learn(const Table& in, const FitContext& ctx) override {
    columns_ = selector_.Resolve(in.schema(), CheckContextFor(ctx), Where());
    enc_.assign(columns_.size(), Encoded{});
    ForEachColumn(static_cast<int>(columns_.size()), ctx.threads, [&](int k) {
      std::vector<int64_t> counts;
      Encoded& e = enc_[k];
      e.cats = LearnCategories(in.column(columns_[k]), &counts);
      std::vector<char> infrequent = Infrequent(counts, in.num_rows());
      bool any_infrequent = std::find(infrequent.begin(), infrequent.end(), 1) != infrequent.end();
      e.slot.assign(counts.size(), -1);
      for (size_t c = 0; c < counts.size(); ++c) {
        if (infrequent[c]) continue;
        e.slot[c] = static_cast<int32_t>(e.names.size());
        e.names.push_back(columns_[k] + "=" + e.cats.Label(static_cast<int32_t>(c)));
      }
      if (any_infrequent || handle_unknown_ == "other") {
        e.other = static_cast<int32_t>(e.names.size());
        e.names.push_back(columns_[k] + "=" + kOtherLabel);
        for (size_t c = 0; c < counts.size(); ++c) {
          if (infrequent[c]) e.slot[c] = e.other;
        }
      }
    });
    Schema rest = SchemaWithout(in.schema(), columns_);
    std::vector<std::string> made;
    for (const auto& e : enc_) {
      for (const auto& name : e.names) {
        RequireNewName(Where(), rest, name);
        if (std::find(made.begin(), made.end(), name) != made.end()) {
          throw Fail("two categories give the column name '" + Printable(name) + "'");
        }
        made.push_back(name);
      }
    }
  }

  Table Transform(const Table& in, const ApplyContext& ctx) const override {
    std::vector<int> idx;
    for (const auto& name : columns_) idx.push_back(Need(in, name));
    std::vector<std::vector<Column>> out(idx.size());
    ForEachColumn(static_cast<int>(idx.size()), ctx.threads,
                  [&](int k) { out[k] = Encode(in.column(idx[k]), enc_[k], columns_[k]); });
    TableEdit edit(in);
    for (size_t k = 0; k < idx.size(); ++k) {
      int at = edit.IndexOf(columns_[k]);
      edit.Remove(at);
      for (size_t j = 0; j < out[k].size(); ++j) {
        edit.Insert(at + static_cast<int>(j), Field{enc_[k].names[j]}, std::move(out[k][j]));
      }
    }
    return edit.Finish();
  }

  json State() const override {
    json cols = json::array();
    for (size_t k = 0; k < columns_.size(); ++k) {
      const Encoded& e = enc_[k];
      cols.push_back(json{{"column", columns_[k]},
                          {"categories", e.cats.ToJson()},
                          {"slot", e.slot},
                          {"other", e.other},
                          {"names", e.names}});
    }
    return json{{"step", kind()}, {"columns", cols}};
  }
  void LoadFrom(const json& state) {
    columns_.clear();
    enc_.clear();
    for (const json& c : state.at("columns")) {
      columns_.push_back(c.at("column").get<std::string>());
      Encoded e;
      e.cats = Categories::FromJson(c.at("categories"));
      e.slot = c.at("slot").get<std::vector<int32_t>>();
      e.other = c.at("other").get<int32_t>();
      e.names = c.at("names").get<std::vector<std::string>>();
      const auto width = static_cast<int32_t>(e.names.size());
      if (static_cast<int32_t>(e.slot.size()) != e.cats.size() || e.other >= width ||
          std::any_of(e.slot.begin(), e.slot.end(),
                      [&](int32_t s) { return s < -1 || s >= width; })) {
        throw Corruption("inconsistent one-hot state for column '" + columns_.back() + "'");
      }
      enc_.push_back(std::move(e));
    }
  }
  std::vector<std::string> Reads() const override { return columns_; }

 private:
  struct Encoded {
    Categories cats;
    std::vector<int32_t> slot;  // per category: its output column
    int32_t other = -1;         // the output column of infrequent / unknown values, or -1
    std::vector<std::string> names;
  };

  // OneHotEncoder._identify_infrequent: below min_frequency, then the least frequent until
  // max_categories columns remain (counting the infrequent column; ties by category order).
  std::vector<char> Infrequent(const std::vector<int64_t>& counts, int64_t rows) const {
    std::vector<char> mask(counts.size(), 0);
    for (size_t c = 0; c < counts.size(); ++c) {
      if (min_count_ > 0) mask[c] = counts[c] < min_count_;
      if (min_fraction_ > 0) mask[c] = static_cast<double>(counts[c]) < rows * min_fraction_;
    }
    int64_t infrequent = std::count(mask.begin(), mask.end(), 1);
    int64_t current = static_cast<int64_t>(counts.size()) - infrequent + 1;
    if (max_categories_ > 0 && max_categories_ < current) {
      std::vector<size_t> order(counts.size());
      std::iota(order.begin(), order.end(), 0);
      std::stable_sort(order.begin(), order.end(),
                       [&](size_t a, size_t b) { return counts[a] < counts[b]; });
      int64_t take = static_cast<int64_t>(counts.size()) - max_categories_ + 1;
      for (int64_t i = 0; i < take && i < static_cast<int64_t>(order.size()); ++i) {
        mask[order[i]] = 1;
      }
    }
    return mask;
  }

  std::vector<Column> Encode(const Column& c, const Encoded& e, const std::string& name) const {
    const int64_t n = c.size();
    std::vector<int32_t> codes = CategoryCodes(c, e.cats);
    const int32_t unknown_slot = handle_unknown_ == "other" ? e.other : -1;
    std::vector<int32_t> slot(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      if (codes[i] >= 0) {
        slot[i] = e.slot[codes[i]];
        continue;
      }
      if (handle_unknown_ == "error") {
        std::string value =
            IsMissingAt(c, i) ? "a missing value" : "'" + Printable(CellToString(c, i)) + "'";
        throw DataError(RowMessage(i + 1, "column '" + Printable(name) + "': " + Where() + ": " +
                                              value + " was not seen when the recipe was fitted"),
                        "use handle_unknown: ignore (all zeros) or other");
      }
      slot[i] = unknown_slot;
    }
    std::vector<BigVector<double>> values(e.names.size());
    for (auto& v : values) v.assign(static_cast<size_t>(n), 0.0);
    for (int64_t i = 0; i < n; ++i) {
      if (slot[i] >= 0) values[slot[i]][i] = 1.0;
    }
    std::vector<Column> out;
    for (auto& v : values) out.push_back(Float64Column(std::move(v)));
    return out;
  }

  ColumnSelector selector_;
  int64_t max_categories_ = 0;
  int64_t min_count_ = 0;
  double min_fraction_ = 0;
  std::string handle_unknown_;
  std::vector<std::string> columns_;
  std::vector<Encoded> enc_;
};

// --- ordinal ----------------------------------------------------------------------------------

class OrdinalStep : public StepBase<OrdinalStep> {
 public:
  explicit OrdinalStep(const StepSpec& spec) : StepBase(spec) {
    Options o(spec_, {"columns", "handle_unknown", "unknown_value"});
    selector_ = ColumnSelector::Read(o, "columns", true);
    handle_unknown_ = o.Enum("handle_unknown", {"error", "use_encoded_value"}, "error");
    const bool given = spec_.options.contains("unknown_value");
    if (given && handle_unknown_ != "use_encoded_value") {
      throw o.Fail("'unknown_value' needs handle_unknown: use_encoded_value");
    }
    // null, .nan or "nan": unknown categories become missing, as scikit-learn's
    // unknown_value=np.nan (a fitted recipe's JSON writes NaN as null).
    const json& raw = o.Raw("unknown_value");
    const bool nan =
        given && (raw.is_null() || (raw.is_number_float() && std::isnan(raw.get<double>())) ||
                  (raw.is_string() && (raw == "nan" || raw == "NaN" || raw == ".nan")));
    unknown_value_ = nan ? std::numeric_limits<double>::quiet_NaN() : o.Number("unknown_value", -1);
  }

  Schema Check(const Schema& in, CheckContext& ctx) const override {
    std::vector<std::string> cols;
    CheckCategorical(*this, selector_, in, ctx, &cols);
    return SchemaWithTypes(in, cols, DataType::kFloat64);
  }
  void Learn(const Table& in, const FitContext& ctx) override {
    columns_ = selector_.Resolve(in.schema(), CheckContextFor(ctx), Where());
    cats_.assign(columns_.size(), Categories{});
    ForEachColumn(static_cast<int>(columns_.size()), ctx.threads, [&](int k) {
      std::vector<int64_t> counts;
      cats_[k] = LearnCategories(in.column(columns_[k]), &counts);
      cats_[k].has_missing = false;  // missing stays missing (encoded_missing_value=NaN)
    });
    if (handle_unknown_ == "use_encoded_value") {
      for (size_t k = 0; k < cats_.size(); ++k) {
        if (!std::isnan(unknown_value_) && unknown_value_ >= 0 &&
            unknown_value_ < cats_[k].values() && unknown_value_ == std::floor(unknown_value_)) {
          throw Fail("unknown_value " + FormatDouble(unknown_value_) +
                         " is already the code of a category of '" + columns_[k] + "'",
                     "use a negative value such as -1");
        }
      }
    }
  }
  Table Transform(const Table& in, const ApplyContext& ctx) const override {
    std::vector<int> idx;
    for (const auto& name : columns_) idx.push_back(Need(in, name));
    std::vector<Column> out(idx.size());
    ForEachColumn(static_cast<int>(idx.size()), ctx.threads, [&](int k) {
      const Column& c = in.column(idx[k]);
      std::vector<int32_t> codes = CategoryCodes(c, cats_[k]);
      const int64_t n = c.size();
      BigVector<double> v(static_cast<size_t>(n));
      const double nan = std::numeric_limits<double>::quiet_NaN();
      for (int64_t i = 0; i < n; ++i) {
        if (codes[i] >= 0) {
          v[i] = codes[i];
        } else if (IsMissingAt(c, i)) {
          v[i] = nan;
        } else if (handle_unknown_ == "error") {
          throw DataError(RowMessage(i + 1, "column '" + Printable(columns_[k]) + "': " + Where() +
                                                ": '" + Printable(CellToString(c, i)) +
                                                "' was not seen when the recipe was fitted"),
                          "use handle_unknown: use_encoded_value");
        } else {
          v[i] = unknown_value_;
        }
      }
      // Missing and NaN in, missing out (NaN is a number's missing value everywhere else).
      out[k] = Float64MissingWhereNaN(std::move(v));
    });
    TableEdit edit(in);
    for (size_t k = 0; k < idx.size(); ++k) edit.Replace(idx[k], std::move(out[k]));
    return edit.Finish();
  }
  json State() const override {
    json cats = json::array();
    for (const auto& c : cats_) cats.push_back(c.ToJson());
    return json{{"step", kind()}, {"columns", columns_}, {"categories", cats}};
  }
  void LoadFrom(const json& state) {
    columns_ = state.at("columns").get<std::vector<std::string>>();
    cats_.clear();
    for (const json& c : state.at("categories")) cats_.push_back(Categories::FromJson(c));
    if (cats_.size() != columns_.size()) throw Corruption("one category list per column needed");
  }
  std::vector<std::string> Reads() const override { return columns_; }

 private:
  ColumnSelector selector_;
  std::string handle_unknown_;
  double unknown_value_ = -1;
  std::vector<std::string> columns_;
  std::vector<Categories> cats_;
};

}  // namespace

std::shared_ptr<const Step> MakeOneHot(const StepSpec& spec) {
  return std::make_shared<OneHotStep>(spec);
}
std::shared_ptr<const Step> MakeOrdinal(const StepSpec& spec) {
  return std::make_shared<OrdinalStep>(spec);
}

}  // namespace mloop::prep
