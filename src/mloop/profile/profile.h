// Profiles: what is in a dataset (exploratory data analysis), computed in one pass per column.
//
// A profile holds, per column, its counts, moments, quantiles, histogram and most frequent
// values; for the dataset, duplicate rows and correlations; against a target, the class balance
// and each feature's univariate association; and alerts, each with its evidence. Every figure
// follows a documented definition that equals pandas / SciPy / scikit-learn on the same data
// (see docs/formats.md, "Profile"):
//   - std: sample standard deviation (ddof = 1, pandas' default);
//   - skewness, kurtosis: pandas' bias-corrected sample skewness (G1) and excess kurtosis (G2);
//   - quantiles: linear interpolation between order statistics (pandas / NumPy default);
//   - histogram: `bins` equal-width bins over [min, max], the last bin closed (numpy.histogram);
//   - Pearson and Spearman: over the rows where both columns are present (pandas' corr);
//   - Cramer's V: without bias correction (scipy.stats.contingency.association);
//   - outliers: values below Q1 - 1.5 IQR or above Q3 + 1.5 IQR.
// The profile is also the baseline that monitoring compares live data with, so it keeps the
// full histograms and frequency tables. It is saved as versioned JSON (ToJson / FromJson).
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "mloop/core/table.h"

namespace mloop {

inline constexpr int kProfileFormatVersion = 1;

// What a column looks like it means, beyond its storage type.
enum class SemanticType {
  kNumeric,
  kCategorical,
  kBoolean,
  kDatetime,
  kText,      // strings that are mostly distinct and long: free text
  kIdLike,    // every present value distinct (integers or strings): an identifier
  kConstant,  // at most one distinct present value
  kEmpty,     // every value missing
};
std::string_view SemanticTypeName(SemanticType t);

struct ValueCount {
  std::string value;  // as text (CellToString)
  int64_t count = 0;
};

struct Histogram {
  std::vector<double> edges;    // bins + 1 edges, ascending
  std::vector<int64_t> counts;  // bins counts
};

struct ColumnProfile {
  std::string name;
  DataType type = DataType::kFloat64;
  SemanticType semantic = SemanticType::kNumeric;
  int64_t count = 0;  // present values
  int64_t missing = 0;
  double missing_percent = 0;          // 0..100
  int64_t distinct = 0;                // exact count of distinct present values
  std::vector<ValueCount> top_values;  // most frequent first, ties by value; at most top_k

  // Numeric (float64, int64, bool as 0/1) columns; NaN when undefined (no values, one value).
  std::optional<double> min, max, mean, std, skewness, kurtosis, sum;
  std::map<std::string, double> quantiles;  // "p1", "p5", "p25", "p50", "p75", "p95", "p99"
  std::optional<Histogram> histogram;
  int64_t zeros = 0;
  int64_t negatives = 0;
  int64_t outliers = 0;  // IQR rule
  int64_t infinite = 0;  // float64 +-inf (excluded from the moments and quantiles)

  // String columns: lengths in UTF-8 code points.
  std::optional<double> length_min, length_max, length_mean;
  // Timestamp columns: the range, as ISO 8601 text (and the raw micros in min/max).
  std::optional<std::string> first_time, last_time;

  // Against the target (when one is given and this column is not it).
  std::optional<double> target_association;  // see TargetProfile::association_kind
};

struct TargetProfile {
  std::string column;
  std::string task;                       // "binary", "multiclass" or "regression"
  std::vector<ValueCount> class_counts;   // classification: every class, most frequent first
  std::optional<Histogram> distribution;  // regression
  // "roc_auc" (binary: the ROC AUC of the feature as a score, max(auc, 1 - auc)),
  // "mutual_information" (multiclass, nats, over the feature's histogram bins or categories),
  // "pearson" (regression, absolute value).
  std::string association_kind;
  std::vector<std::pair<std::string, double>> ranking;  // features, strongest first
};

struct Alert {
  std::string kind;     // constant, high_missing, high_cardinality, high_correlation, imbalance,
                        // possible_leakage, id_like, skewed, duplicates, infinite_values
  std::string column;   // or "a,b" for a pair; empty for the dataset
  std::string message;  // one line a person reads
  nlohmann::json evidence;  // the numbers behind it
};

// At most this many numeric, and this many categorical, columns (the first, in table order) are
// correlated: a matrix of 1,000 x 1,000 is 10 MB of profile JSON.
inline constexpr size_t kMaxCorrelationColumns = 1000;

struct Correlations {
  std::vector<std::string> numeric;  // row/column order of pearson and spearman
  std::vector<std::vector<double>> pearson;
  std::vector<std::vector<double>> spearman;
  std::vector<std::string> categorical;  // row/column order of cramers_v
  std::vector<std::vector<double>> cramers_v;
  int64_t numeric_left_out = 0;  // numeric columns beyond kMaxCorrelationColumns
  int64_t categorical_left_out = 0;
};

struct Profile {
  int format_version = kProfileFormatVersion;
  int64_t rows = 0;
  int64_t columns = 0;
  int64_t duplicate_rows = 0;  // rows equal to an earlier row (pandas' duplicated().sum())
  int64_t memory_bytes = 0;    // Table::MemoryBytes
  std::vector<ColumnProfile> column_profiles;
  Correlations correlations;
  std::optional<TargetProfile> target;
  std::vector<Alert> alerts;
  double seconds = 0;  // time to compute
  // ProfileOptions::bins and top_k it was computed with; 0 when not recorded (profiles stored
  // before they were).
  int bins = 0;
  int top_k = 0;

  const ColumnProfile* Find(std::string_view column) const;
};

struct ProfileOptions {
  std::string target;  // empty: none
  int bins = 20;       // histogram bins
  int top_k = 20;      // most frequent values kept per column
  int threads = 0;     // 0: all cores
  // Alert thresholds.
  double high_missing_percent = 20;
  int64_t high_cardinality = 50;      // distinct values of a categorical column
  double high_correlation = 0.9;      // |Pearson| or Cramer's V
  double imbalance_ratio = 0.1;       // minority / majority class share
  double leakage_association = 0.98;  // ROC AUC (or |r|) of one feature against the target
  double skewness = 2.0;              // |skewness|
  // Columns with more distinct values than this are left out of Cramer's V.
  int64_t max_cramers_categories = 100;
};

// Computes the profile of `table`. Throws NotFound (naming the nearest column) for an unknown
// target.
Profile ComputeProfile(const Table& table, const ProfileOptions& options = {});

// Versioned JSON ({"format": "mloop.profile", "format_version": 1, ...}); FromJson refuses a
// newer version and throws Corruption for malformed input.
nlohmann::json ProfileToJson(const Profile& profile);
Profile ProfileFromJson(const nlohmann::json& json);

}  // namespace mloop
