// Helpers shared by the linear estimators (linear_regression, logistic_regression): parameter
// parsing, input checks, and fixed row partitions for deterministic parallel sums.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "mloop/core/matrix.h"
#include "mloop/train/estimator.h"

namespace mloop::linear {

// `threads` as FitInput documents it: 0 (or less) means one per core.
int ResolveThreads(int threads);

// Rows split into a fixed number of contiguous parts that depends only on the row count, never
// on the thread count: per-part sums added in part order give bit-identical results however many
// threads run the parts.
struct RowParts {
  int64_t rows = 0;
  int count = 1;
  int64_t Begin(int part) const { return rows * part / count; }
  int64_t End(int part) const { return rows * (part + 1) / count; }
};
RowParts SplitRows(int64_t rows, int max_parts = 16, int64_t min_rows_per_part = 8192);

// Throws InvalidArgument naming the first row (1-based) and feature (by `names` when given,
// else its 1-based position) holding NaN or infinity. `what` names the matrix ("the training
// data"). Data to predict (`what` empty) is the caller's input instead: DataError with a
// RowMessage, which serving answers as a 400 naming the record. Also used by kmeans.
void CheckFinite(const DenseMatrix& x, std::string_view model, std::string_view what,
                 int threads = 1, const std::vector<std::string>& names = {});
inline void CheckPredictable(const DenseMatrix& x, std::string_view model,
                             const std::vector<std::string>& names) {
  CheckFinite(x, model, {}, 1, names);
}
// Finite inputs may still overflow the linear predictor (1e308 times a coefficient above 1): a
// prediction that is not finite is refused (DataError naming the row, a 400 when serving) rather
// than answered as null or NaN.
void CheckPredictionsFinite(const DenseMatrix& out, std::string_view model);

// Checks a FitInput's shapes, targets and weights (finite, weights >= 0 with a positive sum) and
// its features (CheckFinite). Returns the sample weights (all 1 when none were given).
std::vector<double> CheckFitInput(const FitInput& in, std::string_view model);

// Parameter values. Each throws InvalidArgument naming the parameter when `value` does not parse.
double ParseDouble(std::string_view model, const std::string& key, const std::string& value);
int ParseInt(std::string_view model, const std::string& key, const std::string& value, int min);
bool ParseBool(std::string_view model, const std::string& key, const std::string& value);

// InvalidArgument for an unknown parameter, with the nearest valid name.
[[noreturn]] void ThrowUnknownParameter(std::string_view model, const std::string& key,
                                        const std::vector<std::string>& valid);

// Shortest text that parses back to exactly `v`.
std::string FormatNumber(double v);

// Task from TaskName() text; InvalidArgument for anything else.
Task ParseTask(std::string_view name);

// The configuration document (SaveConfig/LoadConfig): model name, task, classes and parameters.
// Parameters are kept as the strings SetParams takes; in JSON, "true"/"false" become booleans and
// numeric text becomes numbers.
struct ConfigDoc {
  Task task = Task::kRegression;
  int num_classes = 0;
  std::map<std::string, std::string> params;
};
std::string WriteConfig(std::string_view model, const ConfigDoc& config);
// Corruption when `json` is not a configuration of `model`.
ConfigDoc ReadConfig(std::string_view model, std::string_view json);

// The learned state (SaveModel/LoadModel): `outputs` rows of coefficients (one per class for
// multinomial models, else one), one intercept per row.
struct ModelDoc {
  Task task = Task::kRegression;
  int num_classes = 0;
  int64_t num_features = 0;
  std::vector<std::string> feature_names;  // empty or num_features names
  int outputs = 1;
  std::vector<double> coefficients;  // outputs x num_features, row-major
  std::vector<double> intercepts;    // outputs
};
inline constexpr int kModelFormatVersion = 1;
std::string WriteModel(std::string_view model, const ModelDoc& doc);
// Corruption when `json` is not a well-formed model of `model` (wrong kind, version or shapes).
ModelDoc ReadModel(std::string_view model, std::string_view json);

}  // namespace mloop::linear
