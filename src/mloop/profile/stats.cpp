// The numeric building blocks of the profile: NumPy's quantiles and histogram edges, pandas'
// moments, Pearson over complete pairs, ROC AUC and mutual information (definitions in
// docs/formats.md, "Profile").
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <unordered_map>

#include "mloop/core/pairwise_sum.h"
#include "mloop/profile/internal.h"

namespace mloop::profile_internal {

namespace {

// pandas' nanops._zero_out_fperr: sums of powers below 1e-14 count as floating-point noise.
double ZeroOutFpErr(double v) {
  return std::fabs(v) < 1e-14 ? 0.0 : v;
}

}  // namespace

double PairwiseSum(const double* v, size_t n) {
  return ::mloop::PairwiseSum(0, n, [v](size_t i) { return v[i]; });
}

double Quantile(size_t n, double q, const SortedAt& at) {
  if (n == 0) return kNaN;
  // numpy.lib.function_base._quantile, method "linear" (alpha = beta = 1).
  const double nd = static_cast<double>(n);
  const double virtual_index = nd * q + (1.0 + q * (1.0 - 1.0 - 1.0)) - 1.0;
  const double previous = std::floor(virtual_index);
  auto clamp = [n](double i) {
    return static_cast<size_t>(std::clamp(i, 0.0, static_cast<double>(n - 1)));
  };
  const double a = at(clamp(previous));
  const double b = at(clamp(previous + 1));
  const double t = virtual_index - previous;
  // numpy's _lerp: from the nearer end, so that t = 1 gives b exactly.
  const double diff = b - a;
  return t >= 0.5 ? b - diff * (1.0 - t) : a + diff * t;
}

std::vector<double> HistogramEdges(double min, double max, int bins) {
  if (min == max) {
    min -= 0.5;
    max += 0.5;
  }
  std::vector<double> edges(bins + 1);
  const double delta = max - min;
  const double step = delta / bins;
  for (int i = 0; i < bins; ++i) {
    // numpy.linspace: i * step + start, or (i / div) * delta when the step underflows to 0.
    const double scaled =
        step == 0 ? (static_cast<double>(i) / bins) * delta : static_cast<double>(i) * step;
    edges[i] = scaled + min;
  }
  edges[bins] = max;
  return edges;
}

int BinOf(const std::vector<double>& edges, double v) {
  // numpy.histogram's own assignment (lib/histograms.py, equal bins): an index from the value's
  // position, then one correction against the edges. It differs from "the last edge <= v" when
  // rounding makes edges equal (a range of a few ulps, as [v - 0.5, v + 0.5] around 1.6e15).
  const int bins = static_cast<int>(edges.size()) - 1;
  const double norm = bins / (edges.back() - edges.front());
  if (!std::isfinite(norm)) return 0;  // v +- 0.5 == v (|v| > 2^53): every edge is v
  int index = static_cast<int>((v - edges.front()) * norm);
  if (index >= bins) index = bins - 1;
  if (v < edges[index]) {
    --index;
  } else if (index != bins - 1 && v >= edges[index + 1]) {
    ++index;
  }
  return index;
}

std::vector<int64_t> HistogramCounts(size_t n, const std::vector<double>& edges,
                                     const SortedAt& at) {
  // BinOf is non-decreasing in v, so each bin is one stretch of the sorted values.
  const int bins = static_cast<int>(edges.size()) - 1;
  std::vector<int64_t> counts(bins);
  size_t start = 0;
  for (int b = 0; b < bins; ++b) {
    size_t end = n;
    if (b + 1 < bins) {  // the first position whose bin is past b
      size_t lo = start;
      size_t hi = n;
      while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        if (BinOf(edges, at(mid)) <= b) {
          lo = mid + 1;
        } else {
          hi = mid;
        }
      }
      end = lo;
    }
    counts[b] = static_cast<int64_t>(end - start);
    start = end;
  }
  return counts;
}

Moments PowerSums::Finish() const {
  Moments m;
  const int64_t n = count_;
  if (n == 0) return m;
  const double c = static_cast<double>(n);
  // Central sums from the sums about the shift: with d = mean - shift,
  // m_k = sum((v - shift - d)^k), expanded.
  const double d = total_[1] / c;
  // The mean from the compensated sum: (v - shift) rounds away what large values cancel.
  m.mean = std::isfinite(sum()) ? sum() / c : shift_ + d;
  const double s2 = total_[2];
  const double s3 = total_[3];
  const double s4 = total_[4];
  if (!std::isfinite(s2)) {
    // Squared deviations beyond double's range (values near 1e160 and up): pandas' std is
    // inf, its skewness and kurtosis NaN (never 0, which a NaN m2 would turn into below).
    if (n >= 2) m.std = std::numeric_limits<double>::infinity();
    return m;
  }
  const double m2 = std::max(0.0, s2 - d * total_[1]);
  const double m3 = s3 - 3 * d * s2 + 2 * c * d * d * d;
  const double m4 = s4 - 4 * d * s3 + 6 * d * d * s2 - 3 * c * d * d * d * d;
  if (n >= 2) m.std = std::sqrt(m2 / (c - 1));
  // pandas.core.nanops.nanskew and nankurt, corner cases included.
  if (n >= 3) {
    const double z2 = ZeroOutFpErr(m2);
    const double z3 = ZeroOutFpErr(m3);
    m.skewness = z2 == 0 ? 0.0 : (c * std::pow(c - 1, 0.5) / (c - 2)) * (z3 / std::pow(z2, 1.5));
  }
  if (n >= 4) {
    const double adj = 3 * (c - 1) * (c - 1) / ((c - 2) * (c - 3));
    const double numerator = ZeroOutFpErr(c * (c + 1) * (c - 1) * m4);
    const double denominator = ZeroOutFpErr((c - 2) * (c - 3) * m2 * m2);
    m.kurtosis = denominator == 0 ? 0.0 : numerator / denominator - adj;
  }
  return m;
}

double PearsonComplete(const double* x, const double* y, size_t n) {
  size_t count = 0;
  double shift_x = 0;
  double shift_y = 0;
  double sum_x = 0;
  double sum_y = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(x[i]) || !std::isfinite(y[i])) continue;
    if (count == 0) {
      shift_x = x[i];
      shift_y = y[i];
    }
    ++count;
    sum_x += x[i] - shift_x;
    sum_y += y[i] - shift_y;
  }
  if (count < 2) return kNaN;
  // The means less the shifts, kept apart from them (their sum could round).
  const double offset_x = sum_x / static_cast<double>(count);
  const double offset_y = sum_y / static_cast<double>(count);
  double sxx = 0;
  double syy = 0;
  double sxy = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(x[i]) || !std::isfinite(y[i])) continue;
    const double dx = (x[i] - shift_x) - offset_x;
    const double dy = (y[i] - shift_y) - offset_y;
    sxx += dx * dx;
    syy += dy * dy;
    sxy += dx * dy;
  }
  const double divisor = std::sqrt(sxx * syy);
  // A spread beyond a double (an infinite standard deviation) leaves r undefined, not 0.
  return divisor == 0 || !std::isfinite(divisor) ? kNaN : sxy / divisor;
}

double MutualInformation(const std::vector<int64_t>& table, int rows, int cols,
                         double* normalized) {
  if (normalized) *normalized = kNaN;
  std::vector<int64_t> pi(rows, 0);
  std::vector<int64_t> pj(cols, 0);
  int64_t total = 0;
  for (int i = 0; i < rows; ++i) {
    for (int j = 0; j < cols; ++j) {
      const int64_t c = table[static_cast<size_t>(i) * cols + j];
      pi[i] += c;
      pj[j] += c;
      total += c;
    }
  }
  if (total == 0) return kNaN;
  const double n = static_cast<double>(total);
  const double log_n = std::log(n);
  double mi = 0;
  const auto nonzero = [](const std::vector<int64_t>& v) {
    return std::count_if(v.begin(), v.end(), [](int64_t c) { return c > 0; });
  };
  // sklearn.metrics.mutual_info_score; one row or one column means no information.
  if (nonzero(pi) > 1 && nonzero(pj) > 1) {
    for (int i = 0; i < rows; ++i) {
      for (int j = 0; j < cols; ++j) {
        const int64_t c = table[static_cast<size_t>(i) * cols + j];
        if (c == 0) continue;
        const double p = static_cast<double>(c) / n;
        const double log_outer = -std::log(static_cast<double>(pi[i] * pj[j])) + log_n + log_n;
        double term = p * (std::log(static_cast<double>(c)) - log_n) + p * log_outer;
        if (std::fabs(term) < std::numeric_limits<double>::epsilon()) term = 0;
        mi += term;
      }
    }
    mi = std::max(mi, 0.0);
  }
  if (normalized) {
    double entropy = 0;  // of the rows (the target), over the same counts
    for (int64_t c : pi) {
      if (c > 0) entropy -= (static_cast<double>(c) / n) * std::log(static_cast<double>(c) / n);
    }
    *normalized = entropy > 0 ? mi / entropy : kNaN;
  }
  return mi;
}

double RocAucOfGroups(const std::vector<TieGroup>& groups) {
  // 2U = sum over groups of positives * (2 * negatives scored lower + negatives tied), exact.
  unsigned __int128 twice_u = 0;
  int64_t negatives_below = 0;
  int64_t positives = 0;
  for (const TieGroup& g : groups) {
    twice_u += static_cast<unsigned __int128>(g.positives) *
               static_cast<uint64_t>(2 * negatives_below + g.negatives);
    negatives_below += g.negatives;
    positives += g.positives;
  }
  if (positives == 0 || negatives_below == 0) return kNaN;
  return static_cast<double>(twice_u) /
         (2.0 * static_cast<double>(positives) * static_cast<double>(negatives_below));
}

std::vector<int32_t> CanonicalCodes(const Dictionary& dictionary) {
  std::vector<int32_t> canonical(dictionary.size());
  std::unordered_map<std::string_view, int32_t> first;
  first.reserve(dictionary.size());
  for (size_t i = 0; i < dictionary.size(); ++i) {
    canonical[i] = first.emplace(dictionary[i], static_cast<int32_t>(i)).first->second;
  }
  return canonical;
}

}  // namespace mloop::profile_internal
