#!/usr/bin/python3
"""The peer of mloop_tune_bench: the same objectives, search spaces and budgets tuned by Optuna
(TPESampler(seed=s) with default settings, or RandomSampler(seed=s)) through study.ask/tell with
fixed distributions, so the time of study.ask() is the sampler's own time (plus Optuna's
in-memory storage).

  optuna_tune.py --objective OBJ --sampler tpe|random [--seeds 10 | --seed K] [--trials 100]
                 [--data bc.csv] [--rounds 100]
      One JSON line per seed, as mloop_tune_bench: best value after 25, 50, 100 trials, ask time.
  optuna_tune.py --check --data bc.csv [--rounds 100]
      The 5-fold mean AUC of the fixed XGBoost parameter sets mloop_tune_bench --check uses.
  optuna_tune.py --suggest-timing [--sampler tpe] [--trials 200] [--params 10]
      Time of each ask on 10-d Ackley, as mloop_tune_bench --suggest-timing (for reference).

Objectives: branin (x1 in [-5, 10], x2 in [0, 15]), hartmann6 ([0, 1]^6), rosenbrock4
([-5, 10]^4), xgboost (maximise the mean AUC of xgb.train over the five folds of the CSV from
breast_cancer_folds.py: hist, nthread 1, seed 0, --rounds rounds; sklearn's roc_auc_score).
"""
import argparse
import json
import math
import time

import numpy as np
import optuna
from optuna.distributions import FloatDistribution, IntDistribution

optuna.logging.set_verbosity(optuna.logging.WARNING)

HARTMANN_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])
HARTMANN_A = np.array([[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14],
                       [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]])
HARTMANN_P = 1e-4 * np.array([[1312, 1696, 5569, 124, 8283, 5886],
                              [2329, 4135, 8307, 3736, 1004, 9991],
                              [2348, 1451, 3522, 2883, 3047, 6650],
                              [4047, 8828, 8732, 5743, 1091, 381]])

CHECK_PARAMS = [
    {"max_depth": 6, "eta": 0.3, "subsample": 1.0, "colsample_bytree": 1.0,
     "min_child_weight": 1.0, "lambda": 1.0},
    {"max_depth": 3, "eta": 0.05, "subsample": 0.8, "colsample_bytree": 0.5,
     "min_child_weight": 2.5, "lambda": 0.01},
    {"max_depth": 10, "eta": 0.01, "subsample": 0.6, "colsample_bytree": 0.35,
     "min_child_weight": 0.2, "lambda": 5.0},
]


def branin(p):
    x1, x2 = p["x1"], p["x2"]
    b, c, t = 5.1 / (4 * math.pi ** 2), 5 / math.pi, 1 / (8 * math.pi)
    return (x2 - b * x1 * x1 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


def hartmann6(p):
    x = np.array([p[f"x{i}"] for i in range(6)])
    return float(-(HARTMANN_ALPHA * np.exp(-(HARTMANN_A * (x - HARTMANN_P) ** 2).sum(1))).sum())


def rosenbrock(x):
    return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(len(x) - 1))


def ackley(x):
    x = np.asarray(x)
    n = len(x)
    return float(-20 * np.exp(-0.2 * np.sqrt((x * x).sum() / n))
                 - np.exp(np.cos(2 * np.pi * x).sum() / n) + 20 + np.e)


class CrossValidation:
    """xgb.train on four folds, roc_auc_score on the fifth, averaged over the five folds."""

    def __init__(self, path, rounds):
        import pandas as pd
        import xgboost as xgb
        from sklearn.metrics import roc_auc_score
        self.xgb, self.auc, self.rounds = xgb, roc_auc_score, rounds
        df = pd.read_csv(path)
        fold = df.pop("fold").to_numpy()
        y = df.pop("label").to_numpy(dtype=float)
        x = df.to_numpy(dtype=float)
        self.splits = []
        for k in range(5):
            tr, te = fold != k, fold == k
            # The quantile DMatrix mloop's estimator builds for hist (256 bins from the doubles).
            dtrain = xgb.QuantileDMatrix(x[tr], label=y[tr], max_bin=256, nthread=1)
            self.splits.append((dtrain, xgb.DMatrix(x[te], nthread=1), y[te]))

    def mean_auc(self, p):
        params = {"objective": "binary:logistic", "tree_method": "hist", "nthread": 1, "seed": 0,
                  "verbosity": 0, **p}
        aucs = []
        for dtrain, dtest, ytest in self.splits:
            booster = self.xgb.train(params, dtrain, num_boost_round=self.rounds)
            aucs.append(self.auc(ytest, booster.predict(dtest)))
        return float(np.mean(aucs))


def make_objective(name, data, rounds):
    """(distributions, direction, f(params) -> value)."""
    if name == "branin":
        return ({"x1": FloatDistribution(-5, 10), "x2": FloatDistribution(0, 15)},
                "minimize", branin)
    if name == "hartmann6":
        return ({f"x{i}": FloatDistribution(0, 1) for i in range(6)}, "minimize", hartmann6)
    if name == "rosenbrock4":
        return ({f"x{i}": FloatDistribution(-5, 10) for i in range(4)}, "minimize",
                lambda p: rosenbrock([p[f"x{i}"] for i in range(4)]))
    if name == "xgboost":
        cv = CrossValidation(data, rounds)
        return ({"max_depth": IntDistribution(2, 10),
                 "eta": FloatDistribution(0.005, 0.5, log=True),
                 "subsample": FloatDistribution(0.5, 1),
                 "colsample_bytree": FloatDistribution(0.3, 1),
                 "min_child_weight": FloatDistribution(0.1, 20, log=True),
                 "lambda": FloatDistribution(1e-3, 10, log=True)}, "maximize", cv.mean_auc)
    raise SystemExit(f"unknown objective {name!r}")


def make_sampler(name, seed):
    if name == "tpe":
        return optuna.samplers.TPESampler(seed=seed)
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    raise SystemExit(f"unknown sampler {name!r}")


def run_study(objective, distributions, direction, f, sampler, seed, trials):
    study = optuna.create_study(direction=direction, sampler=make_sampler(sampler, seed))
    maximise = direction == "maximize"
    best = -math.inf if maximise else math.inf
    best_at, ask_seconds, max_ask = {}, 0.0, 0.0
    start = time.perf_counter()
    for i in range(1, trials + 1):
        t0 = time.perf_counter()
        trial = study.ask(distributions)
        s = time.perf_counter() - t0
        ask_seconds += s
        max_ask = max(max_ask, s)
        value = f(trial.params)
        study.tell(trial, value)
        if math.isfinite(value) and (value > best if maximise else value < best):
            best = value
        if i in (25, 50, 100) or i == trials:
            best_at[str(i)] = best
    return {"side": "optuna", "objective": objective, "strategy": sampler, "seed": seed,
            "trials": trials, "best": best_at, "sampler_ms_per_trial": 1e3 * ask_seconds / trials,
            "sampler_ms_max": 1e3 * max_ask, "wall_seconds": time.perf_counter() - start}


def suggest_timing(sampler, seed, trials, params):
    distributions = {f"x{i}": FloatDistribution(-32.768, 32.768) for i in range(params)}
    study = optuna.create_study(sampler=make_sampler(sampler, seed))
    ms = []
    for _ in range(trials):
        t0 = time.perf_counter()
        trial = study.ask(distributions)
        ms.append(1e3 * (time.perf_counter() - t0))
        study.tell(trial, ackley([trial.params[f"x{i}"] for i in range(params)]))
    window = ms[min(150, trials - 1):min(200, trials)]
    return {"side": "optuna", "timing": "suggest", "strategy": sampler, "seed": seed,
            "trials": trials, "params": params, "mean_ms_asks_150_199": float(np.mean(window)),
            "max_ms": max(ms), "mean_ms_all": float(np.mean(ms))}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--objective")
    ap.add_argument("--sampler", default="tpe")
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--seed", type=int)
    ap.add_argument("--trials", type=int)
    ap.add_argument("--data")
    ap.add_argument("--rounds", type=int, default=100)
    ap.add_argument("--params", type=int, default=10)
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--suggest-timing", action="store_true")
    a = ap.parse_args()
    if a.suggest_timing:
        print(json.dumps(suggest_timing(a.sampler, a.seed or 0, a.trials or 200, a.params)))
        return
    if a.check:
        cv = CrossValidation(a.data, a.rounds)
        for k, p in enumerate(CHECK_PARAMS):
            print(json.dumps({"side": "optuna", "check": k, "params": p,
                              "mean_auc": cv.mean_auc(p)}))
        return
    distributions, direction, f = make_objective(a.objective, a.data, a.rounds)
    seeds = [a.seed] if a.seed is not None else range(a.seeds)
    for s in seeds:
        print(json.dumps(run_study(a.objective, distributions, direction, f, a.sampler, s,
                                   a.trials or 100)), flush=True)


if __name__ == "__main__":
    main()
