// Factories of the linear estimators, for the registry (train/registry.cpp):
//   "linear"    LinearRegression (linear_regression.h): least squares, ridge, lasso, elastic net
//   "logistic"  LogisticRegression (logistic_regression.h): binary and multinomial
#pragma once

#include <memory>

#include "mloop/train/estimator.h"

namespace mloop {

std::unique_ptr<Estimator> MakeLinearRegression();
std::unique_ptr<Estimator> MakeLogisticRegression();

}  // namespace mloop
