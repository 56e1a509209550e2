#!/usr/bin/python3
"""Writes fixtures.json: scikit-learn's coefficients for mloop's linear and logistic estimators.

Run with Debian's interpreter, which sees python3-sklearn (1.2.1):
    /usr/bin/python3 tests/data/linear/make_fixtures.py
Deterministic: fixed seeds, and the data are stored rounded (and fitted after rounding), so the
C++ test (tests/train/linear_test.cpp) reads exactly the numbers scikit-learn saw.

Each case stores the expected coef_ / intercept_ and predictions on the first rows. References
are computed with scikit-learn solvers run to (near) machine precision on the same objective:
  linear    LinearRegression (lstsq), Ridge (cholesky), Lasso / ElasticNet (coordinate descent,
            tol=1e-13: duality gap <= tol * ||y||^2)
  logistic  l2 / none, binary:     solver="newton-cholesky", tol=1e-12
            l2 / none, multiclass: solver="newton-cg", tol=1e-10 (multinomial)
            l1:                    solver="saga", tol=1e-13 (its step-size test), 1e6 epochs
The lbfgs solver is not used for references: scipy's L-BFGS-B also stops on a relative decrease
of the objective (ftol 2.2e-9, not settable through LogisticRegression), so even with tol=1e-10
it stops ~1e-5..1e-3 from the optimum; each l2 / none case records that distance as
"lbfgs_max_abs_diff" (lbfgs, tol=1e-10, max_iter=10000 vs the reference). liblinear is not used:
it penalises the intercept. For saga, "reference_change" is the largest change between tol=1e-11
and the stored tol=1e-13 fit, a bound on how far the reference itself is from the optimum.
"unique" is false where the optimum is not unique (l1, multinomial, an even number of classes):
there the test compares class-centred coefficients, predictions and the objective.
"""
import json
import os
import warnings

import numpy as np
import sklearn
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_iris
from sklearn.linear_model import ElasticNet, Lasso, LinearRegression, LogisticRegression, Ridge

HERE = os.path.dirname(os.path.abspath(__file__))
PREDICT_ROWS = 5


def rounded(a, decimals=None, sig=None):
    a = np.asarray(a, dtype=np.float64)
    if decimals is not None:
        return np.round(a, decimals)
    # significant digits
    return np.array([float(f"{v:.{sig}g}") for v in a.ravel()]).reshape(a.shape)


def make_datasets():
    rng = np.random.default_rng(20261127)
    data = {}

    x, y = load_diabetes(return_X_y=True)
    data["diabetes"] = (rounded(x, sig=6), y.astype(np.float64))

    n, p = 80, 6
    x = rng.standard_normal((n, p)) * np.array([1.0, 2.0, 0.5, 1.0, 3.0, 1.0])
    x[:, 3] += 0.8 * x[:, 0]
    y = x @ np.array([1.5, -2.0, 0.0, 3.0, 0.25, -1.0]) + 3.0 + rng.standard_normal(n)
    data["regression_random"] = (rounded(x, sig=6), rounded(y, sig=8))

    x, y = load_breast_cancer(return_X_y=True)
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    data["breast_cancer"] = (rounded(x, decimals=4), y.astype(np.float64))

    x, y = load_iris(return_X_y=True)
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    data["iris"] = (rounded(x, decimals=4), y.astype(np.float64))

    n, p = 150, 5
    x = rng.standard_normal((n, p))
    z = x @ np.array([1.0, -0.5, 0.25, 0.0, 2.0]) - 0.5
    y = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(np.float64)
    data["binary_random"] = (rounded(x, sig=6), y)

    n, p, k = 200, 6, 4
    x = rng.standard_normal((n, p))
    beta = rng.normal(0, 1.0, (p, k))
    z = x @ beta
    prob = np.exp(z - z.max(axis=1, keepdims=True))
    prob /= prob.sum(axis=1, keepdims=True)
    y = np.array([rng.choice(k, p=pr) for pr in prob], dtype=np.float64)
    data["multiclass_random"] = (rounded(x, sig=6), y)

    n, p, k = 180, 5, 3
    x = rng.standard_normal((n, p))
    z = x @ rng.normal(0, 1.0, (p, k))
    prob = np.exp(z - z.max(axis=1, keepdims=True))
    prob /= prob.sum(axis=1, keepdims=True)
    y = np.array([rng.choice(k, p=pr) for pr in prob], dtype=np.float64)
    data["multiclass3_random"] = (rounded(x, sig=6), y)

    # Exactly collinear columns (a copy and a double of others): X'X is singular, and
    # LinearRegression returns the minimum-norm least-squares solution.
    x, y = data["regression_random"]
    data["regression_collinear"] = (np.hstack([x, x[:, :1], 2 * x[:, 1:2]]), y)

    # Many coefficients (10 classes x 65): mloop's truncated-Newton path.
    x, y = load_digits(return_X_y=True)
    data["digits"] = (x[:400].astype(np.float64), y[:400].astype(np.float64))

    out = {}
    for name, (x, y) in data.items():
        w = rounded(rng.uniform(0.2, 3.0, len(y)), decimals=3)
        out[name] = {"x": x, "y": y, "w": w}
    return out


def linear_cases():
    cd = dict(tol=1e-13, max_iter=1_000_000)
    return [
        ("ols_diabetes", "diabetes", False, {}, lambda: LinearRegression()),
        ("ols_diabetes_weighted", "diabetes", True, {}, lambda: LinearRegression()),
        ("ols_random_no_intercept", "regression_random", False, {"fit_intercept": "false"},
         lambda: LinearRegression(fit_intercept=False)),
        ("ridge_diabetes", "diabetes", False, {"alpha": "1"}, lambda: Ridge(alpha=1.0)),
        ("ridge_diabetes_weighted", "diabetes", True, {"alpha": "0.01"},
         lambda: Ridge(alpha=0.01)),
        ("ridge_random_no_intercept", "regression_random", True,
         {"alpha": "10", "fit_intercept": "false"},
         lambda: Ridge(alpha=10.0, fit_intercept=False)),
        ("ols_collinear", "regression_collinear", True, {}, lambda: LinearRegression()),
        ("ridge_collinear", "regression_collinear", False, {"alpha": "0.5"},
         lambda: Ridge(alpha=0.5)),
        ("lasso_diabetes", "diabetes", False, {"alpha": "0.1", "l1_ratio": "1"},
         lambda: Lasso(alpha=0.1, **cd)),
        ("lasso_diabetes_weighted", "diabetes", True, {"alpha": "0.05", "l1_ratio": "1"},
         lambda: Lasso(alpha=0.05, **cd)),
        ("lasso_random", "regression_random", False, {"alpha": "0.2", "l1_ratio": "1"},
         lambda: Lasso(alpha=0.2, **cd)),
        ("enet_diabetes", "diabetes", False, {"alpha": "0.001", "l1_ratio": "0.5"},
         lambda: ElasticNet(alpha=0.001, l1_ratio=0.5, **cd)),
        ("enet_random_weighted", "regression_random", True,
         {"alpha": "0.1", "l1_ratio": "0.7"},
         lambda: ElasticNet(alpha=0.1, l1_ratio=0.7, **cd)),
        ("enet_random_no_intercept", "regression_random", False,
         {"alpha": "0.3", "l1_ratio": "0.2", "fit_intercept": "false"},
         lambda: ElasticNet(alpha=0.3, l1_ratio=0.2, fit_intercept=False, **cd)),
    ]


def logistic_cases():
    def exact(multiclass, **kw):
        if multiclass:
            return lambda: LogisticRegression(solver="newton-cg", tol=1e-10, max_iter=1000, **kw)
        return lambda: LogisticRegression(solver="newton-cholesky", tol=1e-12, max_iter=1000,
                                          **kw)

    def saga(tol=1e-13, **kw):
        return lambda: LogisticRegression(penalty="l1", solver="saga", tol=tol,
                                          max_iter=1_000_000, random_state=0, **kw)

    return [
        ("l2_breast_cancer", "breast_cancer", False, {}, exact(False, C=1.0)),
        ("l2_breast_cancer_c0.1", "breast_cancer", False, {"C": "0.1"}, exact(False, C=0.1)),
        ("l2_breast_cancer_c10", "breast_cancer", False, {"C": "10"}, exact(False, C=10.0)),
        ("l2_breast_cancer_weighted", "breast_cancer", True, {}, exact(False, C=1.0)),
        ("l2_binary_random_no_intercept", "binary_random", False,
         {"C": "0.5", "fit_intercept": "false"}, exact(False, C=0.5, fit_intercept=False)),
        ("none_binary_random_weighted", "binary_random", True, {"penalty": "none"},
         exact(False, penalty=None)),
        ("l2_iris", "iris", False, {}, exact(True, C=1.0)),
        ("l2_iris_weighted", "iris", True, {"C": "0.5"}, exact(True, C=0.5)),
        ("l2_multiclass_random", "multiclass_random", False, {"C": "2"}, exact(True, C=2.0)),
        ("l2_multiclass_random_no_intercept", "multiclass_random", True,
         {"C": "0.3", "fit_intercept": "false"}, exact(True, C=0.3, fit_intercept=False)),
        ("none_multiclass_random", "multiclass_random", False, {"penalty": "none"},
         exact(True, penalty=None)),
        ("l1_breast_cancer", "breast_cancer", False, {"penalty": "l1", "C": "0.1"},
         saga(C=0.1)),
        ("l1_binary_random_weighted", "binary_random", True, {"penalty": "l1", "C": "0.05"},
         saga(C=0.05)),
        ("l1_iris", "iris", False, {"penalty": "l1", "C": "0.5"}, saga(C=0.5)),
        ("l1_multiclass3_random_weighted", "multiclass3_random", True,
         {"penalty": "l1", "C": "0.2"}, saga(C=0.2)),
        ("l2_multiclass3_random_weighted", "multiclass3_random", True, {"C": "0.7"},
         exact(True, C=0.7)),
        ("l2_digits_weighted", "digits", True, {"C": "0.01"}, exact(True, C=0.01)),
        # Four classes with l1: the optimum is not unique (see "unique" below).
        ("l1_multiclass_random_weighted", "multiclass_random", True,
         {"penalty": "l1", "C": "0.2"}, saga(C=0.2)),
    ]


def compact(a):
    """Values as a list, whole numbers written without a fraction (a smaller file)."""
    return [int(v) if float(v).is_integer() else float(v) for v in np.ravel(a)]


def max_abs_diff(a, b):
    return float(max(np.max(np.abs(a.coef_ - b.coef_)),
                     np.max(np.abs(np.ravel(a.intercept_) - np.ravel(b.intercept_)))))


def main():
    warnings.simplefilter("ignore")
    datasets = make_datasets()
    cases = []
    for model, specs in (("linear", linear_cases()), ("logistic", logistic_cases())):
        for name, ds, weighted, params, make in specs:
            d = datasets[ds]
            sw = d["w"] if weighted else None
            est = make().fit(d["x"], d["y"], sample_weight=sw)
            coef = np.atleast_2d(est.coef_)
            intercept = np.atleast_1d(np.asarray(est.intercept_, dtype=np.float64))
            if intercept.size != coef.shape[0]:
                intercept = np.full(coef.shape[0], float(intercept[0]))
            xs = d["x"][:PREDICT_ROWS]
            if model == "linear":
                task, classes, predict = "regression", 0, est.predict(xs)[:, None]
            else:
                classes = int(len(np.unique(d["y"])))
                task = "binary" if classes == 2 else "multiclass"
                proba = est.predict_proba(xs)
                predict = proba[:, 1:] if classes == 2 else proba
            case = {
                "name": name, "model": model, "dataset": ds, "weighted": weighted,
                "params": params, "task": task, "num_classes": classes,
                "sklearn": repr(est.get_params()),
                "coef": coef.tolist(), "intercept": intercept.tolist(),
                "predict": predict.tolist(),
            }
            # With l1 and an even number of classes the multinomial optimum is a segment: adding
            # the same s to every class's coefficient of a feature leaves the probabilities
            # unchanged, and sum_c |w_cj + s| is flat for s between the two middle values. Then
            # only the class-centred coefficients, the predictions and the objective are unique.
            case["unique"] = not (params.get("penalty") == "l1" and classes > 2
                                  and classes % 2 == 0)
            if model == "logistic":
                solver = est.get_params()["solver"]
                if solver in ("newton-cg", "newton-cholesky"):
                    kw = {k: v for k, v in est.get_params().items()
                          if k in ("C", "penalty", "fit_intercept")}
                    lbfgs = LogisticRegression(tol=1e-10, max_iter=10000, **kw).fit(
                        d["x"], d["y"], sample_weight=sw)
                    case["lbfgs_max_abs_diff"] = max_abs_diff(lbfgs, est)
                else:
                    looser = make().set_params(tol=1e-11).fit(d["x"], d["y"], sample_weight=sw)
                    case["reference_change"] = max_abs_diff(looser, est)
            cases.append(case)
            print(f"{name:36s} {np.ravel(coef)[:4]}", flush=True)

    out = {
        "generator": "tests/data/linear/make_fixtures.py",
        "sklearn_version": sklearn.__version__,
        "numpy_version": np.__version__,
        "predict_rows": PREDICT_ROWS,
        "datasets": {
            name: {"rows": int(d["x"].shape[0]), "cols": int(d["x"].shape[1]),
                   "x": compact(d["x"]), "y": compact(d["y"]), "w": compact(d["w"])}
            for name, d in datasets.items()
        },
        "cases": cases,
    }
    path = os.path.join(HERE, "fixtures.json")
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
