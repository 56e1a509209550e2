// Categories of a column for the categorical encoders (one_hot, ordinal, target_encode);
// implemented in steps_encode.cpp.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mloop/core/column.h"
#include "mloop/prep/steps.h"

namespace mloop::prep {

inline constexpr const char* kMissingLabel = "__missing__";
inline constexpr const char* kOtherLabel = "__other__";
inline constexpr const char* kCategoricalColumns = "string, int64, bool or float64 columns";

inline bool IsCategorical(DataType t) {
  return t != DataType::kTimestamp;
}

// The distinct values of a column, sorted as scikit-learn sorts them (text by code point,
// numbers numerically, false before true), then the missing value when it was seen. For float64
// columns NaN counts as missing, and -0.0 is 0.0.
struct Categories {
  DataType type = DataType::kString;
  std::vector<std::string> text;  // string
  std::vector<double> numbers;    // float64
  std::vector<int64_t> ints;      // int64 and bool
  bool has_missing = false;

  int32_t values() const {
    return static_cast<int32_t>(type == DataType::kString    ? text.size()
                                : type == DataType::kFloat64 ? numbers.size()
                                                             : ints.size());
  }
  int32_t size() const { return values() + (has_missing ? 1 : 0); }
  int32_t missing_index() const { return has_missing ? values() : -1; }
  // The category as text for column names and messages ("__missing__" for the missing value).
  std::string Label(int32_t k) const;

  // {"type": "string", "values": [...], "missing": false}
  nlohmann::json ToJson() const;
  static Categories FromJson(const nlohmann::json& j);  // throws on malformed input
};

// Learns the categories of `c` and how many rows hold each (in category order).
Categories LearnCategories(const Column& c, std::vector<int64_t>* counts);

// The category index of every row; -1 where the value is not a category (unknown, or missing
// when no missing value was seen when fitting).
std::vector<int32_t> CategoryCodes(const Column& c, const Categories& cats);

// Missing, or NaN in a float64 column.
bool IsMissingAt(const Column& c, int64_t i);

// Resolves an encoder's columns into `cols`, checking their types; returns `in`.
Schema CheckCategorical(const Step& step, const ColumnSelector& selector, const Schema& in,
                        const CheckContext& ctx, std::vector<std::string>* cols);

}  // namespace mloop::prep
