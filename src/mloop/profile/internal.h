// Internal pieces of the profile stage shared by its .cpp files. Not part of the public API.
//
// stats.cpp: order-preserving keys and the stable sort every numeric column goes through once,
// NumPy's quantiles and histogram edges, pandas' moments, ROC AUC and mutual information.
// correlation.cpp: Pearson, Spearman and Cramer's V. duplicates.cpp: duplicate rows.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "mloop/core/big_allocator.h"
#include "mloop/core/table.h"
#include "mloop/profile/profile.h"

namespace mloop::profile_internal {

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
inline constexpr uint64_t kSignBit = uint64_t{1} << 63;

// --- Keys: uint64 values whose unsigned order is the order of the numbers --------------------

// -0.0 becomes 0.0 first (x + 0.0), so that equal numbers have equal keys (pandas counts them as
// one). Branchless: the signs of real data are random, and a mispredicted branch per value
// costs more than the rest of the conversion.
inline uint64_t KeyOfDouble(double v) {
  const double normalized = v + 0.0;
  uint64_t b;
  std::memcpy(&b, &normalized, sizeof b);
  const uint64_t flip = static_cast<uint64_t>(static_cast<int64_t>(b) >> 63) | kSignBit;
  return b ^ flip;
}
inline double DoubleOfKey(uint64_t k) {
  const uint64_t flip = static_cast<uint64_t>(static_cast<int64_t>(~k) >> 63) | kSignBit;
  const uint64_t b = k ^ flip;
  double v;
  std::memcpy(&v, &b, sizeof v);
  return v;
}
inline uint64_t KeyOfInt(int64_t v) {
  return static_cast<uint64_t>(v) ^ kSignBit;
}
inline int64_t IntOfKey(uint64_t k) {
  return static_cast<int64_t>(k ^ kSignBit);
}

struct KeyRow {
  uint64_t key;
  uint32_t row;
};
// Large work buffers use huge pages: in a VM, page faults on fresh memory otherwise cost more
// than the sort itself.
using KeyRows = BigVector<KeyRow>;

// Sorts by key, not stably (column_sort.cpp). `scratch` is reused between calls.
void SortByKey(KeyRows& items, KeyRows& scratch);

// The present, non-NaN values of a float64, int64, timestamp or bool column (bool keys are 0 and
// 1) with their rows, sorted by key, not stably: -inf first, the finite values, +inf last.
// Returns where the finite values are in `items`. (column_sort.cpp)
struct FiniteRange {
  size_t begin = 0;
  size_t end = 0;
};
FiniteRange SortColumnKeys(const Column& column, KeyRows& items, KeyRows& scratch);

// --- Numbers ---------------------------------------------------------------------------------

// Pairwise summation (as NumPy's ndarray.sum): accurate and vectorisable.
double PairwiseSum(const double* v, size_t n);

// numpy.quantile(sorted[0..n), q) with method "linear"; NaN for n == 0.
double Quantile(const double* sorted, size_t n, double q);

// numpy.histogram(x, bins) edges for values in [min, max]: numpy.linspace(min, max, bins + 1),
// and [v - 0.5, v + 0.5] when min == max.
std::vector<double> HistogramEdges(double min, double max, int bins);
// The bin numpy.histogram counts v in (v within [edges.front(), edges.back()]): in effect
// edges[i] <= v < edges[i + 1], the last bin closed, except where rounding made edges equal.
int BinOf(const std::vector<double>& edges, double v);
// Counts of sorted values per bin, under BinOf.
std::vector<int64_t> HistogramCounts(const double* sorted, size_t n,
                                     const std::vector<double>& edges);

struct Moments {
  double mean = kNaN;
  double std = kNaN;
  double skewness = kNaN;
  double kurtosis = kNaN;
};
// pandas' Series.mean / std (ddof 1) / skew / kurt over v[0..n).
Moments ComputeMoments(const double* v, size_t n);

// Pearson r of x and y over the rows where both are finite (two passes: means, then centred
// sums); NaN when fewer than 2 rows or either side is constant. Not clipped to [-1, 1].
double PearsonComplete(const double* x, const double* y, size_t n);

// sklearn.metrics.mutual_info_score from a contingency table (rows x cols, row-major counts),
// in nats. `normalized` (optional) receives MI / H(rows), NaN when H is 0.
double MutualInformation(const std::vector<int64_t>& table, int rows, int cols,
                         double* normalized = nullptr);

// ROC AUC from groups of tied scores in ascending score order, each with its positive and
// negative counts (Mann-Whitney U with ties counted half, which equals roc_auc_score).
// NaN when either class is absent.
struct TieGroup {
  int64_t positives = 0;
  int64_t negatives = 0;
};
double RocAucOfGroups(const std::vector<TieGroup>& groups);

// --- Per-column products consumed by the correlations -----------------------------------------

struct NumericWork {
  int column = -1;        // index in the table
  bool complete = false;  // every row present and finite
  bool constant = false;  // at most one distinct finite value
  double mean = kNaN;     // of the finite values
  // Twice the average rank (1-based, ties averaged) among the finite values, per row; 0 where
  // the value is missing or not finite. Doubled ranks are integers (an average rank is a
  // multiple of 1/2), and half the size of doubles.
  BigVector<uint32_t> twice_rank;
  // Rows of the finite values in ascending order; kept only when some numeric column is
  // incomplete (Spearman then re-ranks over each pair's complete rows).
  BigVector<uint32_t> order;
};

// Pearson and Spearman over `numeric` (pairwise complete rows, as pandas' DataFrame.corr) and
// Cramer's V over the string columns `categorical` (table indices).
Correlations ComputeCorrelations(const Table& table, const std::vector<NumericWork>& numeric,
                                 const std::vector<int>& categorical, int threads);

// Rows equal to an earlier row in every column (pandas' DataFrame.duplicated().sum()).
// `items` and `scratch` are work buffers (a row's hash and index each).
int64_t CountDuplicateRows(const Table& table, int threads, KeyRows& items, KeyRows& scratch);

// Code -> canonical code (the first code with the same text), so that equal strings compare
// equal even if a dictionary held one twice.
std::vector<int32_t> CanonicalCodes(const Dictionary& dictionary);

}  // namespace mloop::profile_internal
