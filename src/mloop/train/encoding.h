// The default encoding from a Table to the numeric matrix an estimator trains on, fitted on the
// training data and saved with the model, so that prediction always sees what training saw.
// (Recipes, a later stage, replace this default with user-defined steps.)
//
// Features: every column whose role is `feature` (target, id, event_time and ignored columns are
// left out). Per type:
//   float64, int64   the value; missing -> NaN, or the training mean when `impute` is set
//   bool             0 / 1; missing as above
//   timestamp        seconds since the Unix epoch; missing as above
//   string           one-hot: one 0/1 column per category seen in training (the `max_categories`
//                    most frequent, ties by first appearance); other or unseen categories, and
//                    missing values, are all zeros
// Estimators that handle missing values natively (xgboost) get NaN; the others (linear,
// logistic, kmeans) ask for `impute`.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "mloop/core/matrix.h"
#include "mloop/core/table.h"
#include "mloop/io/value_parse.h"

namespace mloop {

struct EncodingOptions {
  bool impute = false;
  int max_categories = 50;
};

class Encoding {
 public:
  // Learns the feature columns, category lists and means from `train`.
  static Encoding Fit(const Table& train, const EncodingOptions& options);

  // An encoding that passes numeric columns through unchanged, in this order (missing -> NaN):
  // what a model trained elsewhere on a plain numeric matrix expects. `missing_value` (a
  // scikit-learn XGBClassifier(missing=-999.0)) is a number that means missing too: a value
  // equal to it as float32, as XGBoost compares, becomes NaN. `types` (empty: all float64) gives
  // each column's type: kBool for a feature trained on booleans (XGBoost's type "i"), read as
  // 0/1.
  static Encoding Numeric(const std::vector<std::string>& columns,
                          std::optional<double> missing_value = std::nullopt,
                          const std::vector<DataType>& types = {});

  // Encodes `table`, which must hold every input column (extra columns are ignored; a missing
  // or mistyped one is InvalidArgument naming it).
  DenseMatrix Transform(const Table& table) const;

  // One record as Transform encodes a one-row table holding it: `values` are the record's
  // values of inputs(), in that order (each parsed for its input's type); `out` receives
  // feature_names().size() values. For callers that take records one at a time (the server).
  void EncodeRow(const TypedValue* values, double* out) const;

  // Names of the encoded columns ("age", "plan=premium", ...).
  const std::vector<std::string>& feature_names() const { return feature_names_; }
  // The input columns the encoding reads, with their types.
  const std::vector<Field>& inputs() const { return inputs_; }

  std::string ToJson() const;
  static Encoding FromJson(const std::string& json);

 private:
  struct Input {
    Field field;
    std::vector<std::string> categories;  // string columns
    double fill = 0;                      // imputed value for missing numbers
  };
  std::vector<Input> columns_;
  std::vector<Field> inputs_;
  std::vector<std::string> feature_names_;
  bool impute_ = false;
  std::optional<float> missing_value_;  // a number read as missing (Numeric's)
};

}  // namespace mloop
