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
//
// Prediction: after Fit and after LoadModel the model is compiled into a TreeEnsemble
// (train/xgboost/tree_ensemble.h), mloop's own evaluator, whose results are bit for bit XGBoost's;
// it is checked against XGBoost on probe rows right away and dropped on any difference, and the
// configuration records a digest of those probe predictions (`ensemble_probe_xxh3`). LoadModel
// with a digest compiles the JSON and, when the compiled ensemble's probe predictions have that
// digest, defers XGBoost's own load until something needs the booster (it then loads once,
// thread-safely). Predict uses the ensemble (on the booster's nthread threads from 1,024 rows,
// on the calling thread below) when it exists and falls back to XGBoost's C API otherwise: dart,
// categorical splits, other objectives, and data with an infinite value (XGBoost's DMatrix
// refuses it with an error, which Predict keeps). Contributions always come from XGBoost.
#pragma once

#include <memory>

#include "mloop/train/estimator.h"

namespace mloop {

class TreeEnsemble;

std::unique_ptr<Estimator> MakeXGBoost();
std::unique_ptr<Estimator> MakeRandomForest();

// For tests and benchmarks; InvalidArgument when `estimator` is not xgboost or random_forest.
// XGBoost's own prediction through its C API (the fallback path of Predict), same shape.
DenseMatrix PredictWithXGBoost(const Estimator& estimator, const DenseMatrix& x);
// The compiled ensemble Predict uses, or null when it goes through XGBoost.
const TreeEnsemble* CompiledEnsemble(const Estimator& estimator);

}  // namespace mloop
