// DenseMatrix: a row-major matrix of doubles, the numeric form models train and predict on.
// Missing values are NaN. Tables become matrices through a fitted encoding (train/encoding.h).
#pragma once

#include <cstdint>
#include <vector>

#include "mloop/core/big_allocator.h"

namespace mloop {

struct DenseMatrix {
  int64_t rows = 0;
  int64_t cols = 0;
  BigVector<double> data;  // rows * cols, row-major; huge pages when large

  DenseMatrix() = default;
  DenseMatrix(int64_t r, int64_t c, double fill = 0.0)
      : rows(r), cols(c), data(static_cast<size_t>(r * c), fill) {}

  double& at(int64_t r, int64_t c) { return data[static_cast<size_t>(r * cols + c)]; }
  double at(int64_t r, int64_t c) const { return data[static_cast<size_t>(r * cols + c)]; }
  const double* row(int64_t r) const { return data.data() + r * cols; }
  double* row(int64_t r) { return data.data() + r * cols; }
};

}  // namespace mloop
