// Internal pieces of the profile stage shared by its .cpp files. Not part of the public API.
//
// column_sort.cpp: the one sort every numeric column goes through (and the sort of row
// hashes); stats.cpp: NumPy's quantiles and histograms, pandas' moments, ROC AUC and mutual
// information; correlation.cpp: Pearson, Spearman and Cramer's V; duplicates.cpp: duplicate
// rows; profile.cpp puts them together (ComputeProfile).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
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

// Packed to 12 bytes: the sort moves these through memory, so every byte counts.
struct __attribute__((packed)) KeyRow {
  uint64_t key;
  uint32_t row;
};
static_assert(sizeof(KeyRow) == 12);
// Large work buffers use huge pages: in a VM, page faults on fresh memory otherwise cost more
// than the sort itself.
using KeyRows = BigVector<KeyRow>;

// Sorts by key, not stably (column_sort.cpp). `scratch` is reused between calls.
void SortByKey(KeyRows& items, KeyRows& scratch);
// The same on items[0, n), with scratch[0, n).
void SortByKey(KeyRow* items, KeyRow* scratch, size_t n);

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

// The i-th smallest finite value of a sorted column.
using SortedAt = std::function<double(size_t)>;

// numpy.quantile of the n sorted values at(0) .. at(n - 1), method "linear"; NaN for n == 0.
double Quantile(size_t n, double q, const SortedAt& at);

// numpy.histogram(x, bins) edges for values in [min, max]: numpy.linspace(min, max, bins + 1),
// and [v - 0.5, v + 0.5] when min == max.
std::vector<double> HistogramEdges(double min, double max, int bins);
// The bin numpy.histogram counts v in (v within [edges.front(), edges.back()]): in effect
// edges[i] <= v < edges[i + 1], the last bin closed, except where rounding made edges equal.
int BinOf(const std::vector<double>& edges, double v);
// Counts of the n sorted values per bin, under BinOf.
std::vector<int64_t> HistogramCounts(size_t n, const std::vector<double>& edges,
                                     const SortedAt& at);

struct Moments {
  double mean = kNaN;
  double std = kNaN;
  double skewness = kNaN;
  double kurtosis = kNaN;
};

// The sums of v and of the powers of (v - shift), so that the moments need no pass of their
// own. Callers sum blocks of values and add the blocks' partial sums, which keeps rounding
// small. With the median as shift, |mean - shift| <= std, so the central moments recovered
// from these raw ones lose nothing to cancellation; a constant column gives exact zeros.
class PowerSums {
 public:
  explicit PowerSums(double shift) : shift_(shift) {}
  double shift() const { return shift_; }
  // mean - shift, exactly as summed (shift + offset may round: values near 2^62).
  double offset() const { return count_ ? total_[1] / static_cast<double>(count_) : 0.0; }
  // Adds a block's partial sums: of v, and of (v - shift)^1..4, over `count` values.
  void AddBlock(const double partial[5], int64_t count) {
    NeumaierAdd(total_[0], sum_error_, partial[0]);
    for (int k = 1; k < 5; ++k) total_[k] += partial[k];
    count_ += count;
  }
  // The sum of the values, compensated: large values that cancel (1e17, -1e17, 1, 2, 3) keep
  // the small ones.
  double sum() const { return total_[0] + sum_error_; }
  // sum += x, with the rounding error of each addition kept in `error` (Neumaier's variant of
  // Kahan summation, which also holds when |x| > |sum|). Branchless.
  static void NeumaierAdd(double& sum, double& error, double x) {
    const double t = sum + x;
    const double big = std::fabs(sum) >= std::fabs(x) ? sum : x;
    const double small = std::fabs(sum) >= std::fabs(x) ? x : sum;
    error += (big - t) + small;
    sum = t;
  }
  // pandas' Series.mean / std (ddof 1) / skew / kurt, corner cases included.
  Moments Finish() const;

 private:
  double shift_;
  double total_[5] = {0, 0, 0, 0, 0};
  double sum_error_ = 0;
  int64_t count_ = 0;
};

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
  double shift = 0;       // the mean of the finite values is shift + offset (see PowerSums)
  double offset = 0;
  // Twice the average rank (1-based, ties averaged) among the finite values, per row; 0 where
  // the value is missing or not finite. Doubled ranks are integers (an average rank is a
  // multiple of 1/2), and half the size of doubles.
  BigVector<uint32_t> twice_rank;
  // Rows of the finite values in ascending order (ties in any order): built from the ranks by
  // ComputeCorrelations, and only when some numeric column is incomplete (Spearman then
  // re-ranks over each pair's complete rows).
  BigVector<uint32_t> order;
};

// Pearson and Spearman over `numeric` (pairwise complete rows, as pandas' DataFrame.corr) and
// Cramer's V over the string columns `categorical` (table indices).
Correlations ComputeCorrelations(const Table& table, std::vector<NumericWork>& numeric,
                                 const std::vector<int>& categorical, int threads);

// For tests: use the portable code (Eigen, scalar loops) even when the CPU has AVX2 and FMA.
void ForcePortableKernels(bool on);

// Rows equal to an earlier row in every column (pandas' DataFrame.duplicated().sum()).
// `items` and `scratch` are work buffers (a row's hash and index each).
int64_t CountDuplicateRows(const Table& table, int threads, KeyRows& items, KeyRows& scratch);

// Code -> canonical code (the first code with the same text), so that equal strings compare
// equal even if a dictionary held one twice.
std::vector<int32_t> CanonicalCodes(const Dictionary& dictionary);

}  // namespace mloop::profile_internal
