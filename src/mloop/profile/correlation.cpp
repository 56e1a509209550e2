// Correlations of the profile: Pearson and Spearman between numeric columns over pairwise
// complete rows (pandas' DataFrame.corr), Cramer's V between categorical columns
// (scipy.stats.contingency.association without correction).
//
// Columns without a missing or infinite value (the usual case) go through one pass over row
// blocks that accumulates X'X of the centred values and of the centred ranks (a matrix product,
// BLAS-3 speed); only pairs involving an incomplete column are computed pair by pair.
#include <Eigen/Core>

#if defined(__x86_64__)
#include <immintrin.h>
#endif
#include <algorithm>
#include <atomic>
#include <cmath>

#include "mloop/core/parallel.h"
#include "mloop/profile/internal.h"

namespace mloop::profile_internal {

namespace {

using Matrix = std::vector<std::vector<double>>;

Matrix NaNMatrix(size_t k) {
  return Matrix(k, std::vector<double>(k, kNaN));
}

// A numeric column's values as doubles, NaN where missing (bool as 0/1).
BigVector<double> DenseValues(const Column& c) {
  const int64_t n = c.size();
  BigVector<double> out(n);
  for (int64_t i = 0; i < n; ++i) {
    if (!c.IsValid(i)) {
      out[i] = kNaN;
    } else if (c.type() == DataType::kFloat64) {
      out[i] = c.f64()[i];
    } else if (c.type() == DataType::kBool) {
      out[i] = c.bools()[i];
    } else {
      out[i] = static_cast<double>(c.i64()[i]);
    }
  }
  return out;
}

#if defined(__x86_64__)
std::atomic<bool> force_portable{false};

bool HasAvx2Fma() {
  static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return has && !force_portable.load(std::memory_order_relaxed);
}

// dst[i] = (v[i] - shift) - offset, four at a time.
__attribute__((target("avx2"))) void CentreAvx2(const double* v, int64_t len, double shift,
                                                double offset, double* dst) {
  const __m256d s = _mm256_set1_pd(shift);
  const __m256d o = _mm256_set1_pd(offset);
  int64_t i = 0;
  for (; i + 4 <= len; i += 4) {
    _mm256_storeu_pd(dst + i, _mm256_sub_pd(_mm256_sub_pd(_mm256_loadu_pd(v + i), s), o));
  }
  for (; i < len; ++i) dst[i] = (v[i] - shift) - offset;
}

// dst[i] = r[i] - mean for doubled ranks (below 2^31, so converted as int32), four at a time.
__attribute__((target("avx2"))) void CentreRanksAvx2(const uint32_t* r, int64_t len, double mean,
                                                     double* dst) {
  const __m256d m = _mm256_set1_pd(mean);
  int64_t i = 0;
  for (; i + 4 <= len; i += 4) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(r + i));
    _mm256_storeu_pd(dst + i, _mm256_sub_pd(_mm256_cvtepi32_pd(x), m));
  }
  for (; i < len; ++i) dst[i] = static_cast<double>(r[i]) - mean;
}
#endif

// Doubled ranks less their mean, for rows [begin, begin + len) into `dst`.
void FillCentredRanks(const uint32_t* r, int64_t len, double mean, double* dst) {
#if defined(__x86_64__)
  if (HasAvx2Fma()) return CentreRanksAvx2(r, len, mean, dst);
#endif
  for (int64_t i = 0; i < len; ++i) dst[i] = static_cast<double>(r[i]) - mean;
}

// Writes (value - shift) - offset, the value less the mean, for rows [begin, begin + len) into
// `dst`. Kept in two steps: summing shift and offset into the mean would round it (to 1024 for
// values near 2^62), and a rounded mean adds n * error^2 to the sum of squares.
void FillCentred(const Column& c, int64_t begin, int64_t len, double shift, double offset,
                 double* dst) {
  switch (c.type()) {
    case DataType::kFloat64: {
      const double* v = c.f64() + begin;
#if defined(__x86_64__)
      if (HasAvx2Fma()) return CentreAvx2(v, len, shift, offset, dst);
#endif
      for (int64_t i = 0; i < len; ++i) dst[i] = (v[i] - shift) - offset;
      break;
    }
    case DataType::kBool: {
      const uint8_t* v = c.bools() + begin;
      for (int64_t i = 0; i < len; ++i) dst[i] = (static_cast<double>(v[i]) - shift) - offset;
      break;
    }
    default: {
      const int64_t* v = c.i64() + begin;
      for (int64_t i = 0; i < len; ++i) dst[i] = (static_cast<double>(v[i]) - shift) - offset;
      break;
    }
  }
}

#if defined(__x86_64__)

// g (s x s, column-major, lower triangle) += B'B for the column-major block B (column j at
// block + j * stride, `rows` rows, a multiple of 4). Tiles of 2 x 4 columns keep 8 accumulators
// of 4 rows in registers: 6 loads per 8 fused multiply-adds. `zeros` (`rows` zeros) stands in
// for the columns past s in the last tiles.
__attribute__((target("avx2,fma"))) void GramAvx2(const double* block, int64_t stride, int64_t rows,
                                                  int s, const double* zeros, double* g) {
  auto col = [&](int j) { return j < s ? block + j * stride : zeros; };
  for (int a = 0; a < s; a += 2) {
    const double* a0 = col(a);
    const double* a1 = col(a + 1);
    for (int b = 0; b <= a + 1 && b < s; b += 4) {
      const double* b0 = col(b);
      const double* b1 = col(b + 1);
      const double* b2 = col(b + 2);
      const double* b3 = col(b + 3);
      __m256d acc[2][4];
      for (auto& row : acc) {
        for (auto& v : row) v = _mm256_setzero_pd();
      }
      for (int64_t r = 0; r < rows; r += 4) {
        const __m256d x0 = _mm256_loadu_pd(a0 + r);
        const __m256d x1 = _mm256_loadu_pd(a1 + r);
        __m256d y = _mm256_loadu_pd(b0 + r);
        acc[0][0] = _mm256_fmadd_pd(x0, y, acc[0][0]);
        acc[1][0] = _mm256_fmadd_pd(x1, y, acc[1][0]);
        y = _mm256_loadu_pd(b1 + r);
        acc[0][1] = _mm256_fmadd_pd(x0, y, acc[0][1]);
        acc[1][1] = _mm256_fmadd_pd(x1, y, acc[1][1]);
        y = _mm256_loadu_pd(b2 + r);
        acc[0][2] = _mm256_fmadd_pd(x0, y, acc[0][2]);
        acc[1][2] = _mm256_fmadd_pd(x1, y, acc[1][2]);
        y = _mm256_loadu_pd(b3 + r);
        acc[0][3] = _mm256_fmadd_pd(x0, y, acc[0][3]);
        acc[1][3] = _mm256_fmadd_pd(x1, y, acc[1][3]);
      }
      for (int i = 0; i < 2; ++i) {
        for (int j = 0; j < 4; ++j) {
          if (a + i >= s || b + j > a + i) continue;
          alignas(32) double lanes[4];
          _mm256_store_pd(lanes, acc[i][j]);
          g[(b + j) * s + a + i] += (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
        }
      }
    }
  }
}
#endif

// g (s x s, lower triangle) += B'B for the first `rows` rows of `block` (s columns).
void AddGram(const Eigen::MatrixXd& block, int64_t rows, const std::vector<double>& zeros,
             Eigen::MatrixXd& g) {
#if defined(__x86_64__)
  if (HasAvx2Fma()) {
    GramAvx2(block.data(), block.rows(), (rows + 3) / 4 * 4, static_cast<int>(block.cols()),
             zeros.data(), g.data());  // column-major, as Eigen stores g
    return;
  }
#endif
  g.selfadjointView<Eigen::Lower>().rankUpdate(block.topRows(rows).transpose());
}

// X'X of the centred values and of the centred ranks of the complete columns `cols`, summed
// over fixed row chunks in chunk order, so that the result does not depend on the thread count.
void CompleteGrams(const Table& table, const std::vector<NumericWork>& numeric,
                   const std::vector<int>& cols, int threads, Eigen::MatrixXd* values,
                   Eigen::MatrixXd* ranks) {
  const int64_t n = table.num_rows();
  const int s = static_cast<int>(cols.size());
  constexpr int64_t kBlock = 512;  // s columns of it stay in L2 while every pair is multiplied
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  const int chunks = static_cast<int>(std::min<int64_t>(64, blocks));
  std::vector<Eigen::MatrixXd> partial_values(chunks), partial_ranks(chunks);
  const double twice_rank_mean = static_cast<double>(n) + 1;  // of ranks 1..n, ties averaged
  const std::vector<double> zeros(kBlock, 0.0);
  ParallelFor(chunks, threads, [&](int chunk) {
    // Rows past the end of the table stay 0 and add nothing.
    Eigen::MatrixXd block = Eigen::MatrixXd::Zero(kBlock, s);
    Eigen::MatrixXd gv = Eigen::MatrixXd::Zero(s, s);
    Eigen::MatrixXd gr = Eigen::MatrixXd::Zero(s, s);
    for (int64_t b = blocks * chunk / chunks; b < blocks * (chunk + 1) / chunks; ++b) {
      const int64_t begin = b * kBlock;
      const int64_t len = std::min(kBlock, n - begin);
      for (int j = 0; j < s; ++j) {
        const NumericWork& w = numeric[cols[j]];
        FillCentred(table.column(w.column), begin, len, w.shift, w.offset, block.col(j).data());
      }
      AddGram(block, len, zeros, gv);
      for (int j = 0; j < s; ++j) {
        // Doubled ranks: the factor 2 cancels in the correlation.
        FillCentredRanks(numeric[cols[j]].twice_rank.data() + begin, len, twice_rank_mean,
                         block.col(j).data());
      }
      AddGram(block, len, zeros, gr);
    }
    partial_values[chunk] = std::move(gv);
    partial_ranks[chunk] = std::move(gr);
  });
  *values = Eigen::MatrixXd::Zero(s, s);
  *ranks = Eigen::MatrixXd::Zero(s, s);
  for (int c = 0; c < chunks; ++c) {
    *values += partial_values[c];
    *ranks += partial_ranks[c];
  }
}

// NaN when a side is constant, or when its spread overflows a double (values near +-1e308: an
// infinite standard deviation, as pandas' std says), where sxy / inf would read as "no
// correlation".
double CorrelationOf(double sxy, double sxx, double syy) {
  const double divisor = std::sqrt(sxx * syy);
  return divisor == 0 || !std::isfinite(divisor) ? kNaN : sxy / divisor;
}

// The rows of the finite values in rank order: a counting sort of the rows by doubled rank.
void OrderFromRanks(NumericWork& w) {
  const size_t n = w.twice_rank.size();
  std::vector<uint32_t> offsets(2 * n + 3, 0);
  size_t finite = 0;
  for (uint32_t r : w.twice_rank) {
    if (r == 0) continue;
    ++offsets[r + 1];
    ++finite;
  }
  for (size_t i = 1; i < offsets.size(); ++i) offsets[i] += offsets[i - 1];
  w.order.resize(finite);
  for (size_t row = 0; row < n; ++row) {
    const uint32_t r = w.twice_rank[row];
    if (r != 0) w.order[offsets[r]++] = static_cast<uint32_t>(row);
  }
}

// Average ranks of a's finite values among the rows where b is finite too, written at those
// rows of `out` (pandas re-ranks each pair's complete rows). Ties in a share a column rank.
void SubsetRanks(const NumericWork& a, const NumericWork& b, BigVector<double>& out) {
  const BigVector<uint32_t>& order = a.order;
  size_t position = 0;
  for (size_t i = 0; i < order.size();) {
    const uint32_t tie = a.twice_rank[order[i]];
    const size_t first = position;
    size_t j = i;
    for (; j < order.size() && a.twice_rank[order[j]] == tie; ++j) {
      if (b.twice_rank[order[j]] != 0) ++position;
    }
    const double average = (static_cast<double>(first) + 1 + static_cast<double>(position)) / 2;
    for (size_t k = i; k < j; ++k) {
      if (b.twice_rank[order[k]] != 0) out[order[k]] = average;
    }
    i = j;
  }
}

double SpearmanPair(const NumericWork& a, const NumericWork& b, BigVector<double>& ra,
                    BigVector<double>& rb) {
  SubsetRanks(a, b, ra);
  SubsetRanks(b, a, rb);
  const size_t n = a.twice_rank.size();
  size_t nobs = 0;
  for (size_t i = 0; i < n; ++i) nobs += a.twice_rank[i] != 0 && b.twice_rank[i] != 0;
  if (nobs == 0) return kNaN;
  const double mean = (static_cast<double>(nobs) + 1) / 2;
  double sxy = 0;
  double sxx = 0;
  double syy = 0;
  for (size_t i = 0; i < n; ++i) {
    if (a.twice_rank[i] == 0 || b.twice_rank[i] == 0) continue;
    const double dx = ra[i] - mean;
    const double dy = rb[i] - mean;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return CorrelationOf(sxy, sxx, syy);
}

// Pairs (a <= b) that involve an incomplete column, computed one by one on `threads` workers.
void IncompletePairs(const Table& table, const std::vector<NumericWork>& numeric, int threads,
                     Matrix& pearson, Matrix& spearman) {
  const size_t k = numeric.size();
  std::vector<std::pair<int, int>> pairs;
  for (size_t a = 0; a < k; ++a) {
    for (size_t b = a; b < k; ++b) {
      if (!numeric[a].complete || !numeric[b].complete) pairs.emplace_back(a, b);
    }
  }
  if (pairs.empty()) return;
  std::vector<BigVector<double>> values(k);
  ParallelFor(static_cast<int>(k), threads, [&](int c) {
    bool needed = false;
    for (const auto& [a, b] : pairs) needed |= a == c || b == c;
    if (needed) values[c] = DenseValues(table.column(numeric[c].column));
  });
  std::atomic<size_t> next{0};
  ParallelFor(threads, threads, [&](int) {
    BigVector<double> ra(table.num_rows());
    BigVector<double> rb(table.num_rows());
    for (size_t p = next++; p < pairs.size(); p = next++) {
      const auto [a, b] = pairs[p];
      const double r = PearsonComplete(values[a].data(), values[b].data(), values[a].size());
      const double rho = SpearmanPair(numeric[a], numeric[b], ra, rb);
      pearson[a][b] = pearson[b][a] = r;
      spearman[a][b] = spearman[b][a] = rho;
    }
  });
}

// Dense category ids (0..d-1 in first-seen order of canonical codes), -1 where missing.
std::vector<int32_t> CategoryIds(const Column& c, int* categories) {
  const std::vector<int32_t> canonical = CanonicalCodes(c.dictionary());
  std::vector<int32_t> dense(canonical.size(), -1);
  const int32_t* codes = c.codes();
  std::vector<int32_t> out(c.size(), -1);
  int next = 0;
  for (int64_t i = 0; i < c.size(); ++i) {
    if (!c.IsValid(i)) continue;
    int32_t& id = dense[canonical[codes[i]]];
    if (id < 0) id = next++;
    out[i] = id;
  }
  *categories = next;
  return out;
}

// Cramer's V of two category id vectors over the rows where both are present: the observed
// table keeps only the categories seen in those rows (pandas.crosstab), chi2 without Yates'
// correction, V = sqrt(chi2 / n / min(r - 1, c - 1)); NaN when that minimum is 0.
double CramersV(const std::vector<int32_t>& x, int dx, const std::vector<int32_t>& y, int dy) {
  std::vector<int64_t> table(static_cast<size_t>(dx) * dy, 0);
  for (size_t i = 0; i < x.size(); ++i) {
    if (x[i] >= 0 && y[i] >= 0) ++table[static_cast<size_t>(x[i]) * dy + y[i]];
  }
  std::vector<int64_t> rows(dx, 0), cols(dy, 0);
  int64_t n = 0;
  for (int i = 0; i < dx; ++i) {
    for (int j = 0; j < dy; ++j) {
      rows[i] += table[static_cast<size_t>(i) * dy + j];
      cols[j] += table[static_cast<size_t>(i) * dy + j];
    }
    n += rows[i];
  }
  const int r =
      static_cast<int>(std::count_if(rows.begin(), rows.end(), [](int64_t v) { return v > 0; }));
  const int c =
      static_cast<int>(std::count_if(cols.begin(), cols.end(), [](int64_t v) { return v > 0; }));
  if (n == 0 || std::min(r, c) < 2) return kNaN;
  std::vector<double> terms;
  terms.reserve(static_cast<size_t>(r) * c);
  const double total = static_cast<double>(n);
  for (int i = 0; i < dx; ++i) {
    if (rows[i] == 0) continue;
    for (int j = 0; j < dy; ++j) {
      if (cols[j] == 0) continue;
      const double expected = static_cast<double>(rows[i] * cols[j]) / total;
      const double d = static_cast<double>(table[static_cast<size_t>(i) * dy + j]) - expected;
      terms.push_back(d * d / expected);
    }
  }
  const double chi2 = PairwiseSum(terms.data(), terms.size());
  return std::sqrt(chi2 / total / std::min(r - 1, c - 1));
}

Matrix CramersVMatrix(const Table& table, const std::vector<int>& categorical, int threads) {
  const size_t k = categorical.size();
  std::vector<std::vector<int32_t>> ids(k);
  std::vector<int> sizes(k, 0);
  ParallelFor(static_cast<int>(k), threads,
              [&](int i) { ids[i] = CategoryIds(table.column(categorical[i]), &sizes[i]); });
  std::vector<std::pair<int, int>> pairs;
  for (size_t a = 0; a < k; ++a) {
    for (size_t b = a; b < k; ++b) pairs.emplace_back(a, b);
  }
  Matrix v = NaNMatrix(k);
  ParallelFor(static_cast<int>(pairs.size()), threads, [&](int p) {
    const auto [a, b] = pairs[p];
    v[a][b] = v[b][a] = CramersV(ids[a], sizes[a], ids[b], sizes[b]);
  });
  return v;
}

}  // namespace

void ForcePortableKernels(bool on) {
#if defined(__x86_64__)
  force_portable = on;
#endif
}

Correlations ComputeCorrelations(const Table& table, std::vector<NumericWork>& numeric,
                                 const std::vector<int>& categorical, int threads) {
  Correlations out;
  const size_t k = numeric.size();
  for (const NumericWork& w : numeric) out.numeric.push_back(table.schema().field(w.column).name);
  out.pearson = NaNMatrix(k);
  out.spearman = NaNMatrix(k);
  std::vector<int> complete;
  for (size_t i = 0; i < k; ++i) {
    if (numeric[i].complete) complete.push_back(static_cast<int>(i));
  }
  if (!complete.empty() && table.num_rows() > 0) {
    Eigen::MatrixXd gv, gr;
    CompleteGrams(table, numeric, complete, threads, &gv, &gr);
    for (size_t i = 0; i < complete.size(); ++i) {
      for (size_t j = 0; j <= i; ++j) {
        const int a = complete[i];
        const int b = complete[j];
        out.pearson[a][b] = out.pearson[b][a] = CorrelationOf(gv(i, j), gv(i, i), gv(j, j));
        out.spearman[a][b] = out.spearman[b][a] = CorrelationOf(gr(i, j), gr(i, i), gr(j, j));
      }
    }
  }
  if (complete.size() < k) {
    ParallelFor(static_cast<int>(k), threads, [&](int i) { OrderFromRanks(numeric[i]); });
    IncompletePairs(table, numeric, threads, out.pearson, out.spearman);
  }
  for (int c : categorical) out.categorical.push_back(table.schema().field(c).name);
  out.cramers_v = CramersVMatrix(table, categorical, threads);
  return out;
}

}  // namespace mloop::profile_internal
