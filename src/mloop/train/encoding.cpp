#include "mloop/train/encoding.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <unordered_map>

#include "mloop/core/error.h"
#include "mloop/core/pairwise_sum.h"
#include "mloop/core/strings.h"

namespace mloop {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The numeric value of row `i` of a non-string column, or NaN when missing.
double NumericAt(const Column& c, int64_t i) {
  if (!c.IsValid(i)) return kNaN;
  switch (c.type()) {
    case DataType::kFloat64:
      return c.f64()[i];
    case DataType::kInt64:
      return static_cast<double>(c.i64()[i]);
    case DataType::kBool:
      return c.bools()[i];
    case DataType::kTimestamp:
      return static_cast<double>(c.i64()[i]) / 1e6;
    case DataType::kString:
      break;
  }
  return kNaN;
}

}  // namespace

Encoding Encoding::Fit(const Table& train, const EncodingOptions& options) {
  Encoding e;
  e.impute_ = options.impute;
  for (int c = 0; c < train.num_columns(); ++c) {
    const Field& f = train.schema().field(c);
    if (f.role != Role::kFeature) continue;
    Input in;
    in.field = f;
    const Column& col = train.column(c);
    if (f.type == DataType::kString) {
      // Most frequent categories first; ties keep their first appearance.
      std::vector<int64_t> counts(col.dictionary().size(), 0);
      std::vector<int64_t> first(col.dictionary().size(), -1);
      for (int64_t i = 0; i < col.size(); ++i) {
        if (!col.IsValid(i)) continue;
        int32_t code = col.codes()[i];
        if (first[code] < 0) first[code] = i;
        ++counts[code];
      }
      std::vector<int32_t> order;
      for (size_t k = 0; k < counts.size(); ++k) {
        if (counts[k] > 0) order.push_back(static_cast<int32_t>(k));
      }
      std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
        return counts[a] != counts[b] ? counts[a] > counts[b] : first[a] < first[b];
      });
      if (static_cast<int>(order.size()) > options.max_categories) {
        order.resize(static_cast<size_t>(options.max_categories));
      }
      for (int32_t k : order) {
        in.categories.push_back(col.dictionary()[k]);
        e.feature_names_.push_back(f.name + "=" + col.dictionary()[k]);
      }
    } else {
      // The mean of the finite values (an infinite one, as a ratio over 0 in a derived
      // column, would make the fill infinite, and the saved model unreadable).
      int64_t n = 0;
      const double sum = PairwiseSum(static_cast<size_t>(col.size()), [&](size_t i) {
        const double v = NumericAt(col, static_cast<int64_t>(i));
        if (!std::isfinite(v)) return 0.0;
        ++n;
        return v;
      });
      in.fill = n > 0 ? sum / static_cast<double>(n) : 0.0;
      if (!std::isfinite(in.fill)) {  // the sum overflowed: a running mean cannot
        double mean = 0;
        int64_t k = 0;
        for (int64_t i = 0; i < col.size(); ++i) {
          const double v = NumericAt(col, i);
          if (std::isfinite(v)) mean += (v - mean) / static_cast<double>(++k);
        }
        in.fill = mean;
      }
      e.feature_names_.push_back(f.name);
    }
    e.inputs_.push_back(f);
    e.columns_.push_back(std::move(in));
  }
  if (e.feature_names_.empty()) {
    throw InvalidArgument("no feature columns to train on",
                          "every column is the target, an id, an event time or ignored");
  }
  // A column named like a category's feature ("cat=b" beside column "cat" holding "b") would
  // make two features of one name: their importances and explanations would be confused.
  std::set<std::string> seen;
  for (const std::string& name : e.feature_names_) {
    if (seen.insert(name).second) continue;
    const size_t eq = name.find('=');
    throw InvalidArgument(
        "two features are named '" + name + "': a column of that name, and the one-hot feature of" +
            (eq == std::string::npos
                 ? std::string(" a category")
                 : " value '" + name.substr(eq + 1) + "' of column '" + name.substr(0, eq) + "'"),
        "rename the column (a recipe's rename step, or in the file)");
  }
  return e;
}

Encoding Encoding::Numeric(const std::vector<std::string>& columns,
                           std::optional<double> missing_value,
                           const std::vector<DataType>& types) {
  if (columns.empty()) throw InvalidArgument("a model needs at least one input column");
  if (!types.empty() && types.size() != columns.size()) {
    throw InvalidArgument("Encoding::Numeric: " + std::to_string(types.size()) + " types for " +
                          std::to_string(columns.size()) + " columns");
  }
  Encoding e;
  if (missing_value && !std::isnan(*missing_value)) {
    e.missing_value_ = static_cast<float>(*missing_value);
  }
  for (size_t i = 0; i < columns.size(); ++i) {
    const std::string& name = columns[i];
    Input in;
    in.field = {name, types.empty() ? DataType::kFloat64 : types[i], Role::kFeature};
    e.inputs_.push_back(in.field);
    e.columns_.push_back(std::move(in));
    e.feature_names_.push_back(name);
  }
  return e;
}

DenseMatrix Encoding::Transform(const Table& table) const {
  // Resolve and check every input column first, and build the one-hot lookup of each string
  // column once.
  struct Source {
    const Column* col;
    const Input* in;
    std::vector<int64_t> code_to_pos;  // string columns: dictionary code -> one-hot position
    int64_t offset;
  };
  std::vector<std::string> absent;
  for (const Input& in : columns_) {
    if (table.schema().IndexOf(in.field.name) < 0) absent.push_back(in.field.name);
  }
  if (!absent.empty()) {  // every one named at once, the first with the nearest column
    std::string names;
    for (size_t k = 0; k < std::min<size_t>(absent.size(), 5); ++k) {
      names += (k ? ", '" : "'") + absent[k] + "'";
    }
    if (absent.size() > 5) names += ", ... (" + std::to_string(absent.size()) + " in all)";
    throw InvalidArgument((absent.size() == 1
                               ? "the data has no column " + names + ", which the model takes"
                               : "the data has no columns " + names + ", which the model takes") +
                          " as input" + DidYouMean(absent[0], table.schema().names()));
  }
  std::vector<Source> sources;
  int64_t offset = 0;
  for (const Input& in : columns_) {
    const int idx = table.schema().IndexOf(in.field.name);
    const Column& col = table.column(idx);
    Source src{&col, &in, {}, offset};
    if (in.field.type == DataType::kString) {
      if (col.type() != DataType::kString) {
        throw InvalidArgument("column '" + in.field.name + "' holds " +
                              std::string(DataTypeName(col.type())) +
                              " values; the model was trained on strings");
      }
      std::unordered_map<std::string_view, int64_t> position;
      for (size_t k = 0; k < in.categories.size(); ++k) {
        position[in.categories[k]] = static_cast<int64_t>(k);
      }
      src.code_to_pos.assign(col.dictionary().size(), -1);
      for (size_t k = 0; k < col.dictionary().size(); ++k) {
        auto it = position.find(col.dictionary()[k]);
        if (it != position.end()) src.code_to_pos[k] = it->second;
      }
      offset += static_cast<int64_t>(in.categories.size());
    } else {
      if (col.type() == DataType::kString) {
        throw InvalidArgument("column '" + in.field.name +
                              "' holds strings; the model was trained on " +
                              std::string(DataTypeName(in.field.type)) + " values");
      }
      offset += 1;
    }
    sources.push_back(std::move(src));
  }
  DenseMatrix out(table.num_rows(), static_cast<int64_t>(feature_names_.size()));
  // Fill in blocks of rows, so that the block of the row-major output stays in cache while
  // every column writes into it (column by column over the whole matrix is several times
  // slower on large tables).
  constexpr int64_t kBlock = 2048;
  for (int64_t start = 0; start < table.num_rows(); start += kBlock) {
    const int64_t end = std::min(table.num_rows(), start + kBlock);
    for (const Source& src : sources) {
      const Column& col = *src.col;
      if (src.in->field.type == DataType::kString) {
        for (int64_t i = start; i < end; ++i) {
          if (!col.IsValid(i)) continue;
          int64_t pos = src.code_to_pos[col.codes()[i]];
          if (pos >= 0) out.at(i, src.offset + pos) = 1.0;
        }
      } else {
        for (int64_t i = start; i < end; ++i) {
          double v = NumericAt(col, i);
          out.at(i, src.offset) = std::isnan(v) && impute_ ? src.in->fill : v;
        }
        if (missing_value_) {
          for (int64_t i = start; i < end; ++i) {
            double& v = out.at(i, src.offset);
            if (static_cast<float>(v) == *missing_value_) v = kNaN;
          }
        }
      }
    }
  }
  return out;
}

void Encoding::EncodeRow(const TypedValue* values, double* out) const {
  for (const Input& in : columns_) {
    const TypedValue& v = *values++;
    if (in.field.type == DataType::kString) {
      const size_t k = in.categories.size();
      std::fill(out, out + k, 0.0);
      if (v.valid) {
        for (size_t c = 0; c < k; ++c) {
          if (in.categories[c] == v.s) {
            out[c] = 1.0;
            break;
          }
        }
      }
      out += k;
      continue;
    }
    double x = kNaN;
    if (v.valid) {
      switch (in.field.type) {
        case DataType::kFloat64:
          x = v.d;
          break;
        case DataType::kInt64:
        case DataType::kBool:
          x = static_cast<double>(v.i);
          break;
        case DataType::kTimestamp:
          x = static_cast<double>(v.i) / 1e6;
          break;
        case DataType::kString:
          break;
      }
    }
    if (missing_value_ && static_cast<float>(x) == *missing_value_) x = kNaN;
    *out++ = std::isnan(x) && impute_ ? in.fill : x;
  }
}

std::string Encoding::ToJson() const {
  nlohmann::json j;
  // Version 2 adds missing_value; an encoding without one is written as version 1.
  j["format_version"] = missing_value_ ? 2 : 1;
  if (missing_value_) j["missing_value"] = static_cast<double>(*missing_value_);
  j["impute"] = impute_;
  j["feature_names"] = feature_names_;
  nlohmann::json cols = nlohmann::json::array();
  for (const Input& in : columns_) {
    nlohmann::json c = {
        {"name", in.field.name}, {"type", DataTypeName(in.field.type)}, {"fill", in.fill}};
    if (in.field.type == DataType::kString) c["categories"] = in.categories;
    cols.push_back(std::move(c));
  }
  j["inputs"] = std::move(cols);
  return j.dump();
}

Encoding Encoding::FromJson(const std::string& json) {
  try {
    auto j = nlohmann::json::parse(json);
    const int version = j.at("format_version").get<int>();
    if (version != 1 && version != 2) {
      throw FailedPrecondition("encoding format version " +
                               std::to_string(j.at("format_version").get<int>()) +
                               " is not supported");
    }
    Encoding e;
    e.impute_ = j.at("impute").get<bool>();
    if (version >= 2 && j.contains("missing_value")) {
      e.missing_value_ = static_cast<float>(j.at("missing_value").get<double>());
    }
    e.feature_names_ = j.at("feature_names").get<std::vector<std::string>>();
    for (const auto& c : j.at("inputs")) {
      Input in;
      in.field.name = c.at("name").get<std::string>();
      auto type = ParseDataType(c.at("type").get<std::string>());
      if (!type) throw Corruption("encoding names an unknown type");
      in.field.type = *type;
      in.fill = c.at("fill").get<double>();
      if (c.contains("categories")) {
        in.categories = c.at("categories").get<std::vector<std::string>>();
      }
      e.inputs_.push_back(in.field);
      e.columns_.push_back(std::move(in));
    }
    return e;
  } catch (const nlohmann::json::exception& ex) {
    throw Corruption(std::string("encoding is not valid: ") + ex.what());
  }
}

}  // namespace mloop
