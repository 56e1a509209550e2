#!/usr/bin/python3
"""Side-by-side benchmark: mloop's linear and logistic regression vs scikit-learn.

  /usr/bin/python3 bench/peers/linear_vs_sklearn.py [--rows N] [--data DIR] [--bench BIN]
      [--rounds R] [--threads T]

Generates (once, deterministic: numpy seed 42) a synthetic 1,000,000 x 28 dataset in DIR as
.npy files (x_N.npy float64 C-order, y_logistic_N.npy in {0,1}, y_linear_N.npy), then times on
the same data, in interleaved rounds:
  logistic  sklearn LogisticRegression(C=1) with its default solver (lbfgs, tol=1e-4,
            max_iter=100) vs `mloop_linear_bench logistic` (C=1, l2)
  linear    sklearn Ridge(alpha=1) with its default solver (cholesky) vs
            `mloop_linear_bench linear` (alpha=1, l1_ratio=0)
It prints each round, then the medians: fit seconds, the ratio, and max |coef difference|
(coefficients and intercepts). For logistic it also fits sklearn's newton-cholesky solver with
tol=1e-12 once, an exact reference, since lbfgs with default settings stops before the optimum.
Timing covers fit only on both sides (the arrays are in memory). Not part of any test.
Run with Debian's interpreter (python3-sklearn): /usr/bin/python3.
"""
import argparse
import json
import os
import subprocess
import sys
import time
import warnings

import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression, Ridge

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def generate(data, rows, cols=28):
    os.makedirs(data, exist_ok=True)
    paths = {k: os.path.join(data, f"{k}_{rows}.npy") for k in ("x", "y_logistic", "y_linear")}
    if all(os.path.exists(p) for p in paths.values()):
        return paths
    rng = np.random.default_rng(42)
    x = rng.standard_normal((rows, cols))
    x[:, 1:] += 0.3 * x[:, :-1]  # some correlation between neighbouring columns
    x[:, :cols // 2] *= 2.0
    beta = rng.normal(0.0, 0.5, cols)
    z = x @ beta + 0.3
    y_logistic = (rng.random(rows) < 1.0 / (1.0 + np.exp(-z))).astype(np.float64)
    y_linear = x @ beta + 1.5 + rng.standard_normal(rows)
    np.save(paths["x"], np.ascontiguousarray(x))
    np.save(paths["y_logistic"], y_logistic)
    np.save(paths["y_linear"], y_linear)
    return paths


def timed(fn):
    t0 = time.perf_counter()
    result = fn()
    return time.perf_counter() - t0, result


def run_mloop(bench, model, paths, y_key, threads):
    out = subprocess.run([bench, model, paths["x"], paths[y_key], str(threads)], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def max_diff(coef, intercept, m):
    a = np.concatenate([np.ravel(coef), np.ravel(intercept)])
    b = np.concatenate([np.ravel(m["coefficients"]), np.ravel(m["intercepts"])])
    return float(np.max(np.abs(a - b)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--data", default=os.path.join(ROOT, "build/release/bench-data"))
    ap.add_argument("--bench", default=os.path.join(ROOT, "build/release/bench/mloop_linear_bench"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0, help="mloop threads (0: one per core)")
    args = ap.parse_args()
    paths = generate(args.data, args.rows)
    x = np.load(paths["x"])
    y_log = np.load(paths["y_logistic"])
    y_lin = np.load(paths["y_linear"])
    print(f"data: {x.shape[0]} x {x.shape[1]}, sklearn {sklearn.__version__}", file=sys.stderr)

    results = []
    for rnd in range(args.rounds):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sk_log_s, sk_log = timed(lambda: LogisticRegression(C=1.0).fit(x, y_log))
        m_log = run_mloop(args.bench, "logistic", paths, "y_logistic", args.threads)
        sk_lin_s, sk_lin = timed(lambda: Ridge(alpha=1.0).fit(x, y_lin))
        m_lin = run_mloop(args.bench, "linear", paths, "y_linear", args.threads)
        row = {
            "round": rnd + 1,
            "logistic": {
                "sklearn_lbfgs_s": round(sk_log_s, 3), "sklearn_n_iter": int(sk_log.n_iter_[0]),
                "mloop_s": round(m_log["fit_seconds"], 3),
                "ratio": round(sk_log_s / m_log["fit_seconds"], 2),
                "max_abs_diff_vs_lbfgs": max_diff(sk_log.coef_, sk_log.intercept_, m_log),
            },
            "ridge": {
                "sklearn_s": round(sk_lin_s, 3), "mloop_s": round(m_lin["fit_seconds"], 3),
                "ratio": round(sk_lin_s / m_lin["fit_seconds"], 2),
                "max_abs_diff": max_diff(sk_lin.coef_, sk_lin.intercept_, m_lin),
            },
        }
        if rnd == 0:
            exact_s, exact = timed(lambda: LogisticRegression(
                C=1.0, solver="newton-cholesky", tol=1e-12, max_iter=1000).fit(x, y_log))
            row["logistic"]["sklearn_newton_cholesky_s"] = round(exact_s, 3)
            row["logistic"]["max_abs_diff_vs_newton_cholesky"] = max_diff(
                exact.coef_, exact.intercept_, m_log)
            row["logistic"]["lbfgs_vs_newton_cholesky"] = max_diff(
                sk_log.coef_, sk_log.intercept_,
                {"coefficients": exact.coef_, "intercepts": exact.intercept_})
        results.append(row)
        print(json.dumps(row), flush=True)

    def median(model, key):
        return float(np.median([r[model][key] for r in results]))

    print(f"== {x.shape[0]} x {x.shape[1]}, {len(results)} interleaved rounds, medians")
    for model, sk_key, label in (("logistic", "sklearn_lbfgs_s", "LogisticRegression lbfgs"),
                                 ("ridge", "sklearn_s", "Ridge (cholesky)")):
        sk, ml = median(model, sk_key), median(model, "mloop_s")
        diff_key = "max_abs_diff_vs_lbfgs" if model == "logistic" else "max_abs_diff"
        print(f"{label:26s} sklearn {sk:6.3f} s   mloop {ml:6.3f} s   -> {sk / ml:4.1f}x"
              f"   max |coef diff| {results[0][model][diff_key]:.2e}")
    lg = results[0]["logistic"]
    print(f"logistic vs exact sklearn (newton-cholesky, tol 1e-12, "
          f"{lg['sklearn_newton_cholesky_s']:.2f} s): max |coef diff| "
          f"{lg['max_abs_diff_vs_newton_cholesky']:.2e}; lbfgs itself is "
          f"{lg['lbfgs_vs_newton_cholesky']:.2e} from it")


if __name__ == "__main__":
    main()
