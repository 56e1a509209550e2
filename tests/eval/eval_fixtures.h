// Shared by the eval tests: tests/data/eval/fixtures.json (written by make_fixtures.py with
// scikit-learn 1.2.1) and the comparison every check uses.
//
// Tolerance: |actual - expected| <= 1e-9 * max(1, |expected|), i.e. absolute 1e-9 for values of
// magnitude <= 1 (scores, rates, probabilities) and relative 1e-9 above (errors of large targets,
// R2 of -5e31). A null in the JSON is NaN and must be NaN.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mloop/core/matrix.h"

namespace mloop::testing {

inline const nlohmann::json& EvalFixtures() {
  static const nlohmann::json doc = [] {
    std::ifstream in(MLOOP_TEST_DATA "/eval/fixtures.json");
    if (!in) throw std::runtime_error("cannot open " MLOOP_TEST_DATA "/eval/fixtures.json");
    return nlohmann::json::parse(in);
  }();
  return doc;
}

inline double JsonNumber(const nlohmann::json& v) {
  return v.is_null() ? std::nan("") : v.get<double>();
}

inline std::vector<double> Doubles(const nlohmann::json& v) {
  std::vector<double> out;
  out.reserve(v.size());
  for (const auto& x : v) out.push_back(JsonNumber(x));
  return out;
}

inline std::vector<int32_t> Ints(const nlohmann::json& v) {
  return v.get<std::vector<int32_t>>();
}

inline DenseMatrix Matrix(const nlohmann::json& flat, int64_t cols) {
  DenseMatrix m(static_cast<int64_t>(flat.size()) / cols, cols);
  std::vector<double> values = Doubles(flat);
  m.data.assign(values.begin(), values.end());
  return m;
}

inline ::testing::AssertionResult Near(double actual, double expected) {
  if (std::isnan(expected)) {
    if (std::isnan(actual)) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "expected NaN, got " << actual;
  }
  double tol = 1e-9 * std::max(1.0, std::fabs(expected));
  if (std::fabs(actual - expected) <= tol) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "got " << ::testing::PrintToString(actual) << ", sklearn "
         << ::testing::PrintToString(expected) << " (diff " << actual - expected << ")";
}

inline ::testing::AssertionResult AllNear(const std::vector<double>& actual,
                                          const std::vector<double>& expected) {
  if (actual.size() != expected.size()) {
    return ::testing::AssertionFailure()
           << "size " << actual.size() << ", sklearn " << expected.size();
  }
  for (size_t i = 0; i < actual.size(); ++i) {
    auto r = Near(actual[i], expected[i]);
    if (!r) return r << " at index " << i;
  }
  return ::testing::AssertionSuccess();
}

}  // namespace mloop::testing
