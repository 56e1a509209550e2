#!/usr/bin/python3
"""Writes fixtures.json: scikit-learn's values for mloop's metrics and curves (src/mloop/eval).

Run with Debian's interpreter, which has python3-sklearn 1.2.1:

    /usr/bin/python3 tests/data/eval/make_fixtures.py

Deterministic (fixed seeds, no clock). Each case holds the inputs, every metric mloop names for it
(a number, null for NaN, or {"error": message} where sklearn raises) and, for binary cases, the
curves. Read by tests/eval/metrics_test.cpp and tests/eval/curves_test.cpp.
"""

import json
import math
import os
import warnings

import numpy as np
import sklearn
from sklearn import metrics as M
from sklearn.calibration import calibration_curve
from sklearn.metrics._ranking import _binary_clf_curve

warnings.simplefilter("ignore")  # sklearn's UndefinedMetricWarning etc.: the values are wanted

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures.json")

PRF = [("precision", None), ("recall", None), ("f1", 1.0), ("f0.5", 0.5), ("f2", 2.0)]
AVERAGES = ["micro", "macro", "weighted"]
REGRESSION = ["mae", "mse", "rmse", "r2", "mape", "explained_variance"]


def num(v):
    v = float(v)
    return None if math.isnan(v) else v


def nums(a):
    return [num(v) for v in np.asarray(a, dtype=float).ravel()]


def attempt(fn):
    try:
        return num(fn())
    except (ValueError, ZeroDivisionError) as e:
        return {"error": str(e).splitlines()[0]}


def prf(name, base, beta, average, y, yp, w):
    kw = dict(average=average, sample_weight=w)
    if base == "precision":
        return attempt(lambda: M.precision_score(y, yp, **kw))
    if base == "recall":
        return attempt(lambda: M.recall_score(y, yp, **kw))
    return attempt(lambda: M.fbeta_score(y, yp, beta=beta, **kw))


def label_metrics(y, yp, w, binary):
    out = {
        "accuracy": attempt(lambda: M.accuracy_score(y, yp, sample_weight=w)),
        "balanced_accuracy": attempt(lambda: M.balanced_accuracy_score(y, yp, sample_weight=w)),
    }
    for base, beta in PRF:
        # average="binary" is also recorded for multiclass data, where sklearn raises.
        out[base] = prf(base, base, beta, "binary", y, yp, w)
        for avg in AVERAGES:
            out[base + "_" + avg] = prf(base, base, beta, avg, y, yp, w)
    return out


def gain_reference(y, s, w, points):
    """The cumulative gain / lift of curves.h, with the same floating-point operations."""
    fps, tps, _ = _binary_clf_curve(y, s, sample_weight=w)
    fps, tps = [float(v) for v in fps], [float(v) for v in tps]
    total_pos = tps[-1]
    total = tps[-1] + fps[-1]
    if total_pos <= 0:
        return {"error": "no positives"}
    frac_out, gain_out, lift_out = [], [], []
    group = 0
    for k in range(1, points + 1):
        f = k / points
        target = f * total
        while group + 1 < len(tps) and tps[group] + fps[group] < target:
            group += 1
        pop_hi = tps[group] + fps[group]
        pop_lo = 0.0 if group == 0 else tps[group - 1] + fps[group - 1]
        pos_lo = 0.0 if group == 0 else tps[group - 1]
        frac = min(1.0, (target - pop_lo) / (pop_hi - pop_lo)) if pop_hi > pop_lo else 1.0
        gain = (pos_lo + (tps[group] - pos_lo) * frac) / total_pos
        frac_out.append(f)
        gain_out.append(gain)
        lift_out.append(gain / f)
    return {"fraction": frac_out, "gain": gain_out, "lift": lift_out}


def best_threshold_reference(y, s, w):
    """For each metric: the maximum over roc_curve(drop_intermediate=False) thresholds and every
    threshold reaching it within 1e-9 (the C++ side must return one of them)."""
    wsum = np.ones(len(y)) if w is None else np.asarray(w)
    y_arr = np.asarray(y)
    if wsum[y_arr == 1].sum() <= 0 or wsum[y_arr == 0].sum() <= 0:
        return {"error": "single class"}
    fpr, tpr, thr = M.roc_curve(y, s, sample_weight=w, drop_intermediate=False)
    values = {"f1": [], "accuracy": [], "balanced_accuracy": [], "youden": []}
    s_arr = np.asarray(s)
    for i, t in enumerate(thr):
        yp = (s_arr >= t).astype(int)
        values["f1"].append(M.f1_score(y, yp, sample_weight=w, zero_division=0))
        values["accuracy"].append(M.accuracy_score(y, yp, sample_weight=w))
        values["balanced_accuracy"].append(M.balanced_accuracy_score(y, yp, sample_weight=w))
        values["youden"].append(tpr[i] - fpr[i])
    out = {}
    for name, vals in values.items():
        best = max(vals)
        out[name] = {
            "value": float(best),
            "thresholds": [float(t) for t, v in zip(thr, vals) if v >= best - 1e-9],
        }
    return out


def binary_curves(y, s, w):
    curves = {}
    fpr, tpr, thr = M.roc_curve(y, s, sample_weight=w)
    curves["roc"] = {"fpr": nums(fpr), "tpr": nums(tpr), "thresholds": nums(thr)}
    fpr, tpr, thr = M.roc_curve(y, s, sample_weight=w, drop_intermediate=False)
    curves["roc_all"] = {"fpr": nums(fpr), "tpr": nums(tpr), "thresholds": nums(thr)}
    p, r, thr = M.precision_recall_curve(y, s, sample_weight=w)
    curves["pr"] = {"precision": nums(p), "recall": nums(r), "thresholds": nums(thr)}
    if w is None:
        for strategy in ("uniform", "quantile"):
            for n_bins in (3, 5, 10):
                key = "calibration_%s_%d" % (strategy, n_bins)
                try:
                    pt, pp = calibration_curve(y, s, n_bins=n_bins, strategy=strategy)
                    curves[key] = {"prob_true": nums(pt), "prob_pred": nums(pp)}
                except ValueError as e:
                    curves[key] = {"error": str(e)}
    for points in (4, 10):
        curves["gain_%d" % points] = gain_reference(y, s, w, points)
    curves["best_threshold"] = best_threshold_reference(y, s, w)
    return curves


def binary_case(name, y, yp, s, w=None, curves=True):
    y = [int(v) for v in y]
    yp = [int(v) for v in yp]
    s = [float(v) for v in s]
    wl = None if w is None else [float(v) for v in w]
    m = label_metrics(y, yp, wl, True)
    m["roc_auc"] = attempt(lambda: M.roc_auc_score(y, s, sample_weight=wl))
    m["average_precision"] = attempt(lambda: M.average_precision_score(y, s, sample_weight=wl))
    m["log_loss"] = attempt(lambda: M.log_loss(y, s, labels=[0, 1], sample_weight=wl))
    m["brier"] = attempt(lambda: M.brier_score_loss(y, s, sample_weight=wl))
    case = {"name": name, "kind": "binary", "y_true": y, "y_pred": yp, "score": s}
    if wl is not None:
        case["weight"] = wl
    case["metrics"] = m
    case["confusion_matrix"] = nums(
        M.confusion_matrix(y, yp, labels=[0, 1], sample_weight=wl))
    if curves:
        case["curves"] = binary_curves(y, s, wl)
    return case


def multiclass_case(name, y, yp, proba, w=None):
    y = [int(v) for v in y]
    yp = [int(v) for v in yp]
    proba = np.asarray(proba, dtype=float)
    k = proba.shape[1]
    wl = None if w is None else [float(v) for v in w]
    m = label_metrics(y, yp, wl, False)
    for avg in ("macro", "weighted", "micro"):
        m["roc_auc_ovr_" + avg] = attempt(
            lambda: M.roc_auc_score(y, proba, multi_class="ovr", average=avg, sample_weight=wl,
                                    labels=list(range(k))))
    m["log_loss"] = attempt(lambda: M.log_loss(y, proba, labels=list(range(k)), sample_weight=wl))
    case = {"name": name, "kind": "multiclass", "y_true": y, "y_pred": yp, "k": k,
            "proba": nums(proba)}
    if wl is not None:
        case["weight"] = wl
    case["metrics"] = m
    case["confusion_matrix"] = nums(
        M.confusion_matrix(y, yp, labels=list(range(k)), sample_weight=wl))
    return case


def regression_case(name, y, yp, w=None):
    y = [float(v) for v in y]
    yp = [float(v) for v in yp]
    wl = None if w is None else [float(v) for v in w]
    kw = dict(sample_weight=wl)
    m = {
        "mae": attempt(lambda: M.mean_absolute_error(y, yp, **kw)),
        "mse": attempt(lambda: M.mean_squared_error(y, yp, **kw)),
        "rmse": attempt(lambda: M.mean_squared_error(y, yp, squared=False, **kw)),
        "r2": attempt(lambda: M.r2_score(y, yp, **kw)),
        "mape": attempt(lambda: M.mean_absolute_percentage_error(y, yp, **kw)),
        "explained_variance": attempt(lambda: M.explained_variance_score(y, yp, **kw)),
    }
    case = {"name": name, "kind": "regression", "y_true": y, "y_pred": yp}
    if wl is not None:
        case["weight"] = wl
    case["metrics"] = m
    return case


def clustering_case(name, x, labels):
    x = np.asarray(x, dtype=float)
    labels = [int(v) for v in labels]
    m = {"silhouette": attempt(lambda: M.silhouette_score(x, labels))}
    return {"name": name, "kind": "clustering", "x": nums(x), "d": x.shape[1],
            "y_pred": labels, "metrics": m}


def binary_cases(rng):
    cases = []

    def weights(n, kind):
        if kind == "float":
            return np.round(rng.uniform(0.1, 3.0, n), 3)
        if kind == "int":
            return rng.integers(1, 5, n).astype(float)
        if kind == "zeros":
            w = np.round(rng.uniform(0.0, 2.0, n), 2)
            w[rng.random(n) < 0.25] = 0.0
            return w
        return None

    for n in (2, 7, 30, 150, 600):
        for wkind in (None, "float", "int", "zeros"):
            if n == 600 and wkind in ("int", "zeros"):
                continue
            y = rng.integers(0, 2, n)
            if n == 2:
                y = np.array([0, 1])
            # A score correlated with y, rounded so that it stays short in JSON.
            s = np.clip(np.round(0.35 * y + rng.uniform(0, 0.65, n), 6), 0, 1)
            yp = (s > 0.5).astype(int)
            w = weights(n, wkind)
            cases.append(binary_case("binary_random_n%d_w%s" % (n, wkind), y, yp, s, w,
                                     curves=n <= 150))
    # Many ties: scores on a 0.1 grid, and on only three values.
    for n in (40, 300):
        for wkind in (None, "float", "zeros"):
            y = rng.integers(0, 2, n)
            s = np.round(np.clip(0.3 * y + rng.uniform(0, 0.7, n), 0, 1), 1)
            yp = (s > 0.5).astype(int)
            cases.append(binary_case("binary_ties_grid_n%d_w%s" % (n, wkind), y, yp, s,
                                     weights(n, wkind)))
        y = rng.integers(0, 2, n)
        s = rng.choice([0.2, 0.5, 0.8], n)
        cases.append(binary_case("binary_ties_three_n%d" % n, y, (s >= 0.5).astype(int), s))
    y = np.array([0, 1, 0, 1, 1, 0, 0, 1])
    cases.append(binary_case("binary_all_scores_equal", y, np.ones(8, int), np.full(8, 0.5)))
    cases.append(binary_case("binary_all_scores_equal_weighted", y, np.zeros(8, int),
                             np.full(8, 0.3), [1, 2, 3, 4, 0.5, 0.25, 1, 1]))
    # Perfect and worst rankings / predictions.
    y = rng.integers(0, 2, 25)
    s = np.round(np.where(y == 1, rng.uniform(0.6, 1, 25), rng.uniform(0, 0.4, 25)), 5)
    cases.append(binary_case("binary_perfect", y, y, s))
    cases.append(binary_case("binary_worst", y, 1 - y, np.round(1 - s, 5)))
    cases.append(binary_case("binary_perfect_hard_probs", y, y, y.astype(float)))
    cases.append(binary_case("binary_worst_hard_probs", y, 1 - y, 1.0 - y, rng.uniform(0.5, 2, 25)))
    # Single predicted class.
    y = rng.integers(0, 2, 20)
    s = np.round(rng.uniform(0, 1, 20), 4)
    cases.append(binary_case("binary_pred_all_zero", y, np.zeros(20, int), s))
    cases.append(binary_case("binary_pred_all_one", y, np.ones(20, int), s, weights(20, "float")))
    # Single class in y_true.
    s = np.round(rng.uniform(0, 1, 12), 4)
    cases.append(binary_case("binary_true_all_zero", np.zeros(12, int), (s > 0.5).astype(int), s))
    cases.append(binary_case("binary_true_all_one", np.ones(12, int), (s > 0.5).astype(int), s,
                             weights(12, "float")))
    cases.append(binary_case("binary_true_and_pred_all_zero", np.zeros(6, int), np.zeros(6, int),
                             s[:6]))
    # Zero total weight for the positives: tpr is NaN, AUC NaN.
    y = np.array([0, 1, 1, 0, 1, 0])
    cases.append(binary_case("binary_positive_weight_zero", y, [0, 1, 0, 0, 1, 1],
                             [0.1, 0.9, 0.4, 0.3, 0.8, 0.6], [1, 0, 0, 2, 0, 1]))
    # Decision-function scores outside [0, 1]: brier and calibration raise, log_loss clips.
    y = rng.integers(0, 2, 30)
    s = np.round(rng.normal(0, 2, 30) + y, 3)
    cases.append(binary_case("binary_decision_scores", y, (s > 0).astype(int), s))
    # Integer scores with heavy ties and a weighted fractional total.
    y = rng.integers(0, 2, 60)
    s = rng.integers(-2, 3, 60).astype(float)
    cases.append(binary_case("binary_integer_scores_weighted", y, (s > 0).astype(int), s,
                             weights(60, "float")))
    cases.append(binary_case("binary_one_sample", [1], [1], [0.7]))
    return cases


def multiclass_cases(rng):
    cases = []
    for k in (3, 4, 5):
        for n in (12, 80, 250):
            for wkind in (None, "float"):
                y = rng.integers(0, k, n)
                y[:k] = np.arange(k)  # every class present
                logits = rng.normal(0, 1, (n, k))
                logits[np.arange(n), y] += 1.2
                p = np.exp(logits)
                p = np.round(p / p.sum(axis=1, keepdims=True), 5)
                p[:, -1] = np.round(1 - p[:, :-1].sum(axis=1), 5)
                yp = p.argmax(axis=1)
                w = None if wkind is None else np.round(rng.uniform(0.1, 3, n), 3)
                cases.append(multiclass_case("multi_k%d_n%d_w%s" % (k, n, wkind), y, yp, p, w))
    # Tied probabilities from a small palette.
    palette = np.array([[0.5, 0.3, 0.2], [0.2, 0.5, 0.3], [0.3, 0.3, 0.4], [0.4, 0.4, 0.2],
                        [1.0, 0.0, 0.0]])
    for wkind in (None, "zeros"):
        n = 90
        y = rng.integers(0, 3, n)
        y[:3] = [0, 1, 2]
        p = palette[rng.integers(0, len(palette), n)]
        w = None
        if wkind == "zeros":
            w = np.round(rng.uniform(0, 2, n), 2)
            w[rng.random(n) < 0.3] = 0
        cases.append(multiclass_case("multi_ties_palette_w%s" % wkind, y, p.argmax(axis=1), p, w))
    # A class absent from the predictions; a class absent from y_true.
    y = np.array([0, 1, 2, 3, 0, 1, 2, 3, 1, 2, 0, 3])
    p = np.full((12, 4), 0.25)
    p[np.arange(12), y] += 0.15
    p[:, 3] -= 0.05
    p[:, 0] += 0.05
    p /= p.sum(axis=1, keepdims=True)
    yp = np.where(y == 3, 0, y)
    cases.append(multiclass_case("multi_class_absent_from_pred", y, yp, p))
    y2 = np.where(y == 3, 1, y)
    cases.append(multiclass_case("multi_class_absent_from_true", y2, yp, p))
    # Perfect, worst, single predicted class, hard 0/1 probabilities.
    y = rng.integers(0, 4, 40)
    y[:4] = np.arange(4)
    onehot = np.eye(4)[y]
    cases.append(multiclass_case("multi_perfect_onehot", y, y, onehot))
    cases.append(multiclass_case("multi_worst_onehot", y, (y + 1) % 4, np.eye(4)[(y + 1) % 4],
                                 np.round(rng.uniform(0.5, 2, 40), 2)))
    cases.append(multiclass_case("multi_single_pred_class", y, np.zeros(40, int),
                                 np.tile([0.4, 0.3, 0.2, 0.1], (40, 1))))
    # Rows that do not sum to 1: OvR AUC raises, log_loss renormalises.
    p = np.round(rng.uniform(0.1, 1, (40, 4)), 3)
    cases.append(multiclass_case("multi_unnormalised", y, p.argmax(axis=1), p))
    # Binary labels given to the multiclass entry points (k = 2 columns).
    y = rng.integers(0, 2, 30)
    p1 = np.round(rng.uniform(0, 1, 30), 4)
    p = np.stack([1 - p1, p1], axis=1)
    case = multiclass_case("multi_k2", y, (p1 > 0.5).astype(int), p)
    # sklearn refuses an n x 2 matrix for OvR; mloop computes the one-vs-rest definition, which
    # for k = 2 is the mean of the two columns' binary AUCs.
    for avg in ("macro", "weighted", "micro"):
        cols = [M.roc_auc_score(y == c, p[:, c]) for c in range(2)]
        if avg == "macro":
            case["metrics"]["roc_auc_ovr_macro"] = float(np.mean(cols))
        elif avg == "weighted":
            support = np.bincount(y, minlength=2)
            case["metrics"]["roc_auc_ovr_weighted"] = float(np.average(cols, weights=support))
        else:
            yb = np.eye(2)[y].ravel()
            case["metrics"]["roc_auc_ovr_micro"] = float(M.roc_auc_score(yb, p.ravel()))
    cases.append(case)
    return cases


def regression_cases(rng):
    cases = []
    for n in (2, 10, 100, 600):
        for wkind in (None, "float", "zeros"):
            if n == 600 and wkind == "zeros":
                continue
            y = np.round(rng.normal(3, 2, n), 4)
            yp = np.round(y + rng.normal(0, 1, n), 4)
            w = None
            if wkind == "float":
                w = np.round(rng.uniform(0.1, 3, n), 3)
            elif wkind == "zeros":
                w = np.round(rng.uniform(0, 2, n), 2)
                w[rng.random(n) < 0.3] = 0
                w[0] = 1.0
            cases.append(regression_case("reg_random_n%d_w%s" % (n, wkind), y, yp, w))
    cases.append(regression_case("reg_one_sample", [1.5], [2.0]))
    cases.append(regression_case("reg_perfect", [1.0, -2.5, 3.25, 0.0], [1.0, -2.5, 3.25, 0.0]))
    cases.append(regression_case("reg_constant_exact_perfect", [2.0] * 5, [2.0] * 5))
    cases.append(regression_case("reg_constant_exact", [2.0] * 5, [2.0, 2.5, 1.0, 2.0, 3.0]))
    # The mean of three 0.1 is not 0.1: a tiny non-zero SS_tot and a huge negative R2.
    cases.append(regression_case("reg_constant_inexact_mean", [0.1] * 3, [0.2] * 3))
    cases.append(regression_case("reg_constant_inexact_mean_weighted", [0.1] * 3, [0.1, 0.2, 0.1],
                                 [1.0, 2.0, 3.0]))
    cases.append(regression_case("reg_zeros_in_truth", [0.0, 1.0, -2.0, 0.0, 4.0],
                                 [0.5, 1.0, -1.0, 0.0, 3.0]))
    cases.append(regression_case("reg_large_values", np.round(rng.normal(1e6, 1e5, 50), 1),
                                 np.round(rng.normal(1e6, 1e5, 50), 1)))
    cases.append(regression_case("reg_all_weight_zero", [1.0, 2.0, 3.0], [1.0, 2.5, 2.0],
                                 [0.0, 0.0, 0.0]))
    return cases


def clustering_cases(rng):
    cases = []
    centers = np.array([[0, 0], [4, 4], [0, 5]])
    for n in (9, 60, 200):
        labels = rng.integers(0, 3, n)
        labels[:3] = [0, 1, 2]
        x = np.round(centers[labels] + rng.normal(0, 1.2, (n, 2)), 4)
        cases.append(clustering_case("cluster_blobs_n%d" % n, x, labels))
    x = np.round(rng.normal(0, 1, (20, 4)), 4)
    labels = rng.integers(0, 4, 20)
    labels[0] = 7  # a singleton cluster with a non-contiguous label
    cases.append(clustering_case("cluster_singleton_noncontiguous", x, labels))
    cases.append(clustering_case("cluster_single_label", x[:5], [3] * 5))
    cases.append(clustering_case("cluster_every_point_own_label", x[:5], [0, 1, 2, 3, 4]))
    cases.append(clustering_case("cluster_negative_labels", x[:8], [-1, -1, 2, 2, 2, -5, -5, -1]))
    return cases


def main():
    rng = np.random.default_rng(20240611)
    cases = binary_cases(rng) + multiclass_cases(rng) + regression_cases(rng) + clustering_cases(
        rng)
    doc = {"sklearn_version": sklearn.__version__, "numpy_version": np.__version__,
           "cases": cases}
    text = json.dumps(doc, allow_nan=False, separators=(",", ":"))
    with open(OUT, "w") as f:
        f.write(text + "\n")
    print("%s: %d cases, %d bytes" % (OUT, len(cases), len(text)))


if __name__ == "__main__":
    main()
