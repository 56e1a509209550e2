// The xgboost and random_forest algorithms, through XGBoost's C API (Debian's libxgboost-dev).
//
// Parameters pass through under XGBoost's own names (max_depth, eta, subsample, nthread, ...;
// an unknown name is an error naming the nearest one), plus two of mloop's:
//   num_boost_round        boosting rounds (default 100; random_forest: 1)
//   early_stopping_rounds  stop when the validation metric has not improved for this many rounds
//                          (needs validation data); the model keeps the rounds up to the best.
// The objective follows the task unless given: binary:logistic, multi:softprob (num_class set
// from the data), reg:squarederror. random_forest is XGBoost's random-forest mode: one round of
// num_parallel_tree trees (default 100) with row and column subsampling and learning rate 1.
// Missing values (NaN) are handled natively. SaveModel() is XGBoost's JSON model format, which
// Python's xgboost loads unchanged.
#pragma once

#include <memory>

#include "mloop/train/estimator.h"

namespace mloop {

std::unique_ptr<Estimator> MakeXGBoost();
std::unique_ptr<Estimator> MakeRandomForest();

}  // namespace mloop
