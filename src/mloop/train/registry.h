// The algorithms mloop can train, looked up by name. The registry is filled explicitly in
// registry.cpp (no self-registering statics): adding an algorithm is one line there.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "mloop/train/estimator.h"

namespace mloop {

// A new, unfitted estimator. An unknown name is InvalidArgument listing every valid one.
std::unique_ptr<Estimator> CreateEstimator(const std::string& name);

// Every registered name, sorted.
std::vector<std::string> EstimatorNames();

}  // namespace mloop
