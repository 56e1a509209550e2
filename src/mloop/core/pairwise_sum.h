// NumPy's pairwise summation (numpy/core/src/umath/loops_utils.h): blocks of 8 partial sums,
// halves recursively above 128 values. Sums that must equal NumPy's (and so pandas' and
// scikit-learn's) bit for bit use it: the eval metrics and the profile statistics.
#pragma once

#include <cstddef>

namespace mloop {

// The sum of f(begin) .. f(begin + n - 1), in NumPy's order.
template <class F>
double PairwiseSum(size_t begin, size_t n, const F& f) {
  if (n < 8) {
    double res = 0.0;
    for (size_t i = 0; i < n; ++i) res += f(begin + i);
    return res;
  }
  if (n <= 128) {
    double r[8];
    for (size_t j = 0; j < 8; ++j) r[j] = f(begin + j);
    size_t i = 8;
    for (; i < n - (n % 8); i += 8) {
      for (size_t j = 0; j < 8; ++j) r[j] += f(begin + i + j);
    }
    double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) res += f(begin + i);
    return res;
  }
  size_t n2 = n / 2;
  n2 -= n2 % 8;
  return PairwiseSum(begin, n2, f) + PairwiseSum(begin + n2, n - n2, f);
}

template <class F>
double PairwiseSum(size_t n, const F& f) {
  return PairwiseSum(0, n, f);
}

}  // namespace mloop
