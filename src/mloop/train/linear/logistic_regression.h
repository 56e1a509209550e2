// The "logistic" algorithm: logistic regression for binary and multiclass tasks (multinomial
// softmax for more than two classes). Its coefficients equal scikit-learn's LogisticRegression
// (multi_class="multinomial" for more than two classes, the default with lbfgs) for the same
// data, weights and parameters, to the precision the solvers reach (~1e-9).
//
// Parameters (strings, as SetParams takes them):
//   C              inverse penalty strength > 0 (default 1)
//   penalty        l2 (default), l1 or none
//   fit_intercept  true (default): fit unpenalised intercepts
//   max_iter       Newton iterations, default 100 (the solvers converge in about 5-15)
//   tol            stop when the largest component of the objective's (sub)gradient, divided
//                  by C * sum_i s_i (by sum_i s_i for penalty none), is at most tol; default 1e-10
//
// Objective, exactly scikit-learn's. s_i: sample weights (all 1 when none are given); W: the
// coefficients (one row for binary, one per class for multiclass), b: intercepts;
// logloss_i = -log P(y_i | x_i) with P = sigmoid(x_i.w + b) (binary) or softmax(W x_i + b):
//   penalty l2    minimise  C sum_i s_i logloss_i + 1/2 ||W||_F^2
//   penalty l1    minimise  C sum_i s_i logloss_i + ||W||_1          (sum of absolute values)
//   penalty none  minimise  sum_i s_i logloss_i
// Intercepts are never penalised. The softmax is unchanged when a constant is added to every
// class's intercept (and, without penalty, to every class's coefficients of one feature); of
// the equivalent solutions the one whose intercepts (coefficients) sum to zero over the classes
// is returned, which is the one scikit-learn's solvers return. With penalty l1 and an even
// number of classes the optimum can be a segment (shifting one feature's coefficients of every
// class by the same amount keeps the probabilities and, between the two middle values, the
// penalty); then any point of it may be returned, and scikit-learn's saga may return another.
// Without penalty on separable data there is no finite solution; the fit stops after max_iter
// iterations (converged() is false).
//
// Solvers. penalty l2 or none: Newton's method with a backtracking line search, the Hessian
// formed explicitly and solved by Cholesky; with more than 256 coefficients, truncated Newton
// (conjugate gradients on Hessian-vector products) instead. penalty l1: proximal Newton (as
// glmnet / LIBLINEAR's newGLMNET): each quadratic model is minimised by coordinate descent,
// then a line search (at most 8192 coefficients: the Hessian is formed). The gradient is always
// exact, so the solution does not depend on how the Hessian is obtained; to save time the Hessian
// is formed from 1/8 of the rows in the early iterations on large data (>= 524288 rows, while the
// optimality measure is above 1e-2 and the steps behave), and reused for the next step once
// convergence is fast (a chord step). Sums over the rows run in parallel (FitInput::threads) over
// fixed row blocks added in a fixed order, so results are identical for any thread count.
//
// Labels: binary y in {0, 1}; multiclass y in {0 .. num_classes - 1}. Predict returns n x 1
// probabilities of class 1 (binary) or n x num_classes probabilities (multiclass). Missing values
// are not allowed: Fit and Predict throw InvalidArgument naming the first row and column with NaN
// (impute first). FeatureImportance is |w| (multiclass: the mean of |W| over the classes).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "mloop/train/estimator.h"

namespace mloop {

class LogisticRegression : public Estimator {
 public:
  enum class Penalty { kL2, kL1, kNone };
  struct Params {
    double C = 1.0;
    Penalty penalty = Penalty::kL2;
    bool fit_intercept = true;
    int max_iter = 100;
    double tol = 1e-10;
  };

  std::string_view name() const override { return "logistic"; }
  bool Supports(Task task) const override {
    return task == Task::kBinary || task == Task::kMulticlass;
  }
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
  // Rows of coefficients: 1 for two classes (those of class 1), else one per class.
  int outputs() const { return outputs_; }
  int num_classes() const { return num_classes_; }
  const std::vector<double>& coefficients() const { return coef_; }  // outputs x features
  const std::vector<double>& intercepts() const { return intercept_; }
  // Newton iterations of the last Fit, and whether it met tol.
  int iterations() const { return iterations_; }
  bool converged() const { return converged_; }
  std::vector<std::string> Warnings() const override;

 private:
  Params params_;
  bool fitted_ = false;
  Task task_ = Task::kBinary;
  int num_classes_ = 2;
  int outputs_ = 1;
  int64_t num_features_ = 0;
  std::vector<double> coef_;
  std::vector<double> intercept_;
  std::vector<std::string> feature_names_;
  int iterations_ = 0;
  bool converged_ = false;
};

}  // namespace mloop
