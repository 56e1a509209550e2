// The "linear" algorithm: least-squares regression, plain or with a ridge, lasso or elastic-net
// penalty. Its coefficients equal scikit-learn's (LinearRegression, Ridge, Lasso, ElasticNet) for
// the same data, weights and parameters, to the precision the solvers reach (~1e-9 relative).
//
// Parameters (strings, as SetParams takes them):
//   alpha          penalty strength >= 0 (default 0: no penalty, ordinary least squares)
//   l1_ratio       share of the L1 penalty in [0, 1] (default 0: ridge; 1: lasso; between:
//                  elastic net)
//   fit_intercept  true (default): fit an unpenalised intercept (by centring X and y on their
//                  weighted means, as scikit-learn does); false: the model passes through 0
//   max_iter       coordinate-descent sweeps (l1_ratio > 0 only), default 10000
//   tol            coordinate descent stops when the duality gap is at most tol times the
//                  weighted mean of the centred y^2 (scikit-learn's test), default 1e-10; a final
//                  exact solve on the active set makes the result as precise as the data allow
//
// Objectives. w: coefficients, b: intercept, s_i: sample weights (all 1 when none are given),
// r_i = y_i - x_i.w - b. The two penalised forms scale alpha differently, exactly as
// scikit-learn's Ridge and ElasticNet do, so the same alpha means the same thing here and there:
//   alpha = 0                  minimise  sum_i s_i r_i^2
//                              (LinearRegression; the minimum-norm solution when X'X is
//                              singular)
//   alpha > 0, l1_ratio = 0    minimise  sum_i s_i r_i^2 + alpha ||w||_2^2             (Ridge)
//   alpha > 0, l1_ratio > 0    minimise  1/(2 sum_i s_i) sum_i s_i r_i^2
//                                        + alpha l1_ratio ||w||_1
//                                        + alpha (1 - l1_ratio) / 2 ||w||_2^2
//                              (ElasticNet; Lasso at l1_ratio = 1. Without weights the loss is
//                              1/(2n) ||y - Xw - b||^2; scikit-learn rescales weights to sum to n,
//                              which is the same objective.)
//
// Solvers: one pass over the rows builds the weighted, centred Gram matrix X'SX (p x p) and X'Sy
// (in parallel over fixed row blocks, so results do not depend on the thread count). Least
// squares and ridge then solve the normal equations by Cholesky (least squares falls back to an
// eigen-decomposition pseudo-inverse, dropping eigenvalues below 1e-12 of the largest, when X'SX
// is singular or nearly so). Lasso and elastic net run cyclic coordinate descent on the Gram
// matrix until the duality gap test passes, then solve the optimality conditions exactly on the
// active set and keep that solution when it satisfies them. The Gram matrix limits the features
// to a few thousand (p^2 doubles of memory).
//
// Missing values are not allowed: Fit and Predict throw InvalidArgument naming the first row and
// column with NaN (impute first). Predict returns n x 1 predictions. FeatureImportance is |w|.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "mloop/train/estimator.h"

namespace mloop {

class LinearRegression : public Estimator {
 public:
  struct Params {
    double alpha = 0.0;
    double l1_ratio = 0.0;
    bool fit_intercept = true;
    int max_iter = 10000;
    double tol = 1e-10;
  };

  std::string_view name() const override { return "linear"; }
  bool Supports(Task task) const override { return task == Task::kRegression; }
  void SetParams(const std::map<std::string, std::string>& params) override;
  void Fit(const FitInput& in) override;
  DenseMatrix Predict(const DenseMatrix& x) const override;
  std::string SaveModel() const override;
  void LoadModel(std::string_view json) override;
  std::string SaveConfig() const override;
  void LoadConfig(std::string_view json) override;
  std::vector<double> FeatureImportance() const override;

  const Params& params() const { return params_; }
  bool fitted() const { return fitted_; }
  const std::vector<double>& coefficients() const { return coef_; }
  double intercept() const { return intercept_; }
  // Coordinate-descent sweeps of the last Fit (0 for the direct solvers).
  int iterations() const { return iterations_; }
  std::vector<std::string> Warnings() const override;

 private:
  Params params_;
  bool fitted_ = false;
  std::vector<double> coef_;
  double intercept_ = 0.0;
  std::vector<std::string> feature_names_;
  int iterations_ = 0;
};

}  // namespace mloop
