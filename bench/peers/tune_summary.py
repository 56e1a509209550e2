#!/usr/bin/python3
"""Summarises bench/tune_vs_optuna.sh: reads the JSON lines of mloop_tune_bench and
optuna_tune.py (study results, --check lines, --suggest-timing lines) and prints
  - the XGBoost cross-check (same parameters, mean AUC of both sides, difference);
  - per objective, strategy and budget: median [q1, q3] of the best value over the seeds, and
    the median sampler time per trial (time inside ask);
  - the per-suggestion timing;
  - the goals: mloop bayesian's median at 50 trials better than Optuna TPE's on every objective
    (lower is better, but higher AUC for xgboost), and bayesian's time per suggestion < 50 ms
    (mean over asks 150..199 of a 200-trial study with 10 continuous parameters).
Quartiles are numpy.percentile's (linear interpolation). Usage: tune_summary.py RESULTS.jsonl
"""
import collections
import json
import sys

import numpy as np

OBJECTIVES = ["branin", "hartmann6", "rosenbrock4", "xgboost"]
OPTIMUM = {"branin": "optimum 0.397887", "hartmann6": "optimum -3.32237",
           "rosenbrock4": "optimum 0, [-5, 10]^4", "xgboost": "mean 5-fold AUC, higher is better"}
ORDER = ["mloop bayesian", "mloop tpe", "mloop sobol", "mloop random", "optuna tpe",
         "optuna random"]
BUDGETS = ["25", "50", "100"]
GOAL_MS = 50.0


def fmt(v):
    return f"{v:.4f}" if abs(v) < 10 else f"{v:.1f}"


def fmt_auc(v):
    return f"{v:.5f}"


def main():
    rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
    checks = [r for r in rows if "check" in r]
    timings = [r for r in rows if r.get("timing") == "suggest"]
    studies = [r for r in rows if "best" in r]

    if checks:
        print("XGBoost cross-check (same parameters, 5-fold mean AUC):")
        by_k = collections.defaultdict(dict)
        for r in checks:
            by_k[r["check"]][r["side"]] = r["mean_auc"]
        for k in sorted(by_k):
            m, o = by_k[k].get("mloop"), by_k[k].get("optuna")
            diff = abs(m - o) if m is not None and o is not None else float("nan")
            print(f"  set {k}: mloop {m:.10f}  python xgboost {o:.10f}  difference {diff:.1e}")
        print()

    # The budgets: 25, 50, 100 normally; whatever checkpoints the studies recorded otherwise.
    budgets = sorted({b for r in studies for b in r["best"]}, key=int) or BUDGETS
    groups = collections.defaultdict(list)
    for r in studies:
        groups[(r["objective"], f"{r['side']} {r['strategy']}")].append(r)
    medians = {}
    print(f"Best value after {' / '.join(budgets)} trials: median [q1, q3] over seeds; "
          "sampler ms per trial (median over seeds)")
    for obj in OBJECTIVES:
        strategies = [s for s in ORDER if (obj, s) in groups]
        if not strategies:
            continue
        f = fmt_auc if obj == "xgboost" else fmt
        n = len(groups[(obj, strategies[0])])
        print(f"\n{obj} ({OPTIMUM[obj]}; {n} seeds)")
        header = f"  {'strategy':<15}" + "".join(f"{b + ' trials':>30}" for b in budgets)
        print(header + f"{'ms/trial':>10}")
        for s in strategies:
            rs = groups[(obj, s)]
            cells = []
            for b in budgets:
                vals = [r["best"][b] for r in rs if b in r["best"]]
                if not vals:
                    cells.append(f"{'-':>30}")
                    continue
                q1, med, q3 = np.percentile(vals, [25, 50, 75])
                medians[(obj, s, b)] = med
                cells.append(f"{f(med) + ' [' + f(q1) + ', ' + f(q3) + ']':>30}")
            ms = float(np.median([r["sampler_ms_per_trial"] for r in rs]))
            print(f"  {s:<15}" + "".join(cells) + f"{ms:>10.2f}")

    if timings:
        print("\nTime per suggestion, 200 trials, 10 continuous parameters (Ackley):")
        for r in timings:
            label = f"{r['side']} {r['strategy']}" + (f" ({r['variant']})" if "variant" in r else "")
            print(f"  {label:<38} mean over asks 150..199 "
                  f"{r['mean_ms_asks_150_199']:9.2f} ms   max {r['max_ms']:9.2f} ms   "
                  f"mean over all {r['mean_ms_all']:9.2f} ms")

    print("\nGoals:")
    for obj in OBJECTIVES:
        a, b = medians.get((obj, "mloop bayesian", "50")), medians.get((obj, "optuna tpe", "50"))
        if a is None or b is None:
            continue
        better = a > b if obj == "xgboost" else a < b
        f = fmt_auc if obj == "xgboost" else fmt
        print(f"  {obj:<12} bayesian median at 50 trials {f(a)} vs Optuna TPE {f(b)}: "
              f"{'met' if better else 'NOT met'} (difference {a - b:+.4g})")
    for r in timings:
        if r["side"] == "mloop" and r["strategy"] == "bayesian" and "variant" not in r:
            ok = r["mean_ms_asks_150_199"] < GOAL_MS
            print(f"  suggestion time {r['mean_ms_asks_150_199']:.1f} ms (max {r['max_ms']:.1f}) "
                  f"< {GOAL_MS:.0f} ms: {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
