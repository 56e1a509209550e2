#!/usr/bin/python3
"""Writes the profile fixtures: small CSV files and fixtures.json, the figures pandas, NumPy,
SciPy and scikit-learn give for them (src/mloop/profile, docs/formats.md "Profile").

Run with Debian's interpreter, which has pandas 1.5, SciPy and scikit-learn 1.2:

    /usr/bin/python3 tests/data/profile/make_fixtures.py

Deterministic (fixed seeds, no clock). Every value is generated here, written to a CSV that
mloop reads back to the same numbers (floats as repr, which round-trips), and computed from the
in-memory values, so the CSV reader's type inference is the only thing shared with mloop. The
definitions the C++ side must meet:
  - numeric figures over the finite values (NaN is missing, +-inf are counted in "infinite");
  - std ddof=1, pandas' skew (G1) and kurt (G2), Series.quantile (linear), numpy.histogram(20);
  - count/distinct/top values over every present value (inf included); top values are
    value_counts ordered by count descending, then by value ascending;
  - correlations: DataFrame.corr with +-inf as missing; Cramer's V:
    scipy.stats.contingency.association(crosstab, "cramer", correction=False);
  - target association: roc_auc_score -> max(auc, 1 - auc); mutual_info_score over the
    histogram bin (numeric) or the category; |Pearson r|; a categorical feature is scored by its
    category's positive rate (binary) or mean target (regression);
  - semantic types and alerts: the rules below (semantic(), alerts()), as in profile.cpp.
Read by tests/profile/profile_test.cpp.
"""

import csv
import datetime
import json
import math
import os
import warnings
from collections import Counter

import numpy as np
import pandas as pd
import scipy
import sklearn
from scipy.stats import contingency
from sklearn.metrics import mutual_info_score, roc_auc_score

warnings.simplefilter("ignore")

HERE = os.path.dirname(os.path.abspath(__file__))
BINS = 20
TOP_K = 20
QUANTILES = [("p1", 0.01), ("p5", 0.05), ("p25", 0.25), ("p50", 0.5), ("p75", 0.75),
             ("p95", 0.95), ("p99", 0.99)]
# ProfileOptions defaults.
HIGH_MISSING = 20.0
HIGH_CARDINALITY = 50
HIGH_CORRELATION = 0.9
IMBALANCE = 0.1
LEAKAGE = 0.98
SKEWNESS = 2.0
MAX_CRAMERS = 100
# Semantic-type constants of profile.cpp.
ID_MIN_COUNT = 10
ID_MAX_SPREAD = 2.0
TEXT_MIN_MEAN_LENGTH = 30
TEXT_MIN_DISTINCT_SHARE = 0.5
MAX_INT_CLASSES = 20

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def num(v):
    if v is None:
        return None
    v = float(v)
    return None if math.isnan(v) else v


def iso(micros):
    t = EPOCH + datetime.timedelta(microseconds=int(micros))
    text = t.strftime("%Y-%m-%dT%H:%M:%S")
    if t.microsecond:
        text += ".%06d" % t.microsecond
    return text + "Z"


# --- Columns: (name, mloop type, values with None for missing) ------------------------------


def cell_text(kind, v):
    if v is None:
        return ""
    if kind == "float64":
        return repr(float(v))
    if kind == "int64":
        return str(int(v))
    if kind == "bool":
        return "true" if v else "false"
    if kind == "timestamp":
        return iso(v)
    return v


def write_csv(name, columns):
    path = os.path.join(HERE, name)
    rows = len(columns[0][2])
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow([c[0] for c in columns])
        for i in range(rows):
            w.writerow([cell_text(kind, values[i]) for _, kind, values in columns])


def as_float(kind, values):
    """Numeric view: float64 with NaN for missing (bool as 0/1, timestamps as micros)."""
    out = []
    for v in values:
        if v is None:
            out.append(np.nan)
        elif kind == "bool":
            out.append(1.0 if v else 0.0)
        else:
            out.append(float(v))
    return np.array(out, dtype=float)


def top_values(counter, key):
    items = sorted(counter.items(), key=lambda kv: (-kv[1], key(kv[0])))[:TOP_K]
    return items


def semantic(kind, count, distinct, length_mean, lo=None, hi=None):
    """lo, hi: an int64 column's min and max (an id counts through a range: hi - lo < 2 count)."""
    if count == 0:
        return "empty"
    if distinct <= 1:
        return "constant"
    all_distinct = distinct == count and count >= ID_MIN_COUNT
    if kind == "bool":
        return "boolean"
    if kind == "timestamp":
        return "datetime"
    if kind == "string":
        if length_mean >= TEXT_MIN_MEAN_LENGTH and distinct >= TEXT_MIN_DISTINCT_SHARE * count:
            return "text"
        return "id_like" if all_distinct else "categorical"
    if kind == "int64":
        dense = lo is not None and hi is not None and hi - lo < ID_MAX_SPREAD * count
        return "id_like" if all_distinct and dense else "numeric"
    return "numeric"


def numeric_profile(kind, values):
    x = as_float(kind, values)
    present = x[~np.isnan(x)]
    finite = present[np.isfinite(present)]
    s = pd.Series(finite, dtype=float)
    out = {
        "count": int(len(present)),
        "infinite": int(len(present) - len(finite)),
        "distinct": int(pd.Series(present, dtype=float).nunique()),
    }
    counter = Counter(float(v) for v in present)  # -0.0 and 0.0 are one key
    if kind == "bool":
        out["top_values"] = [{"value": "true" if v else "false", "count": c}
                             for v, c in top_values(counter, lambda v: v)]
    else:
        # A number, or "inf" / "-inf" (JSON has no infinities).
        out["top_values"] = [{"value": v if math.isfinite(v) else ("inf" if v > 0 else "-inf"),
                              "count": c} for v, c in top_values(counter, lambda v: v)]
    if len(finite):
        counts, edges = np.histogram(finite, bins=BINS)
        out["histogram"] = {"edges": [float(e) for e in edges], "counts": [int(c) for c in counts]}
    else:
        out["histogram"] = None
    if kind == "timestamp":
        out["min"] = num(finite.min()) if len(finite) else None
        out["max"] = num(finite.max()) if len(finite) else None
        out["first_time"] = iso(finite.min()) if len(finite) else None
        out["last_time"] = iso(finite.max()) if len(finite) else None
        out["top_values"] = [{"value": iso(v), "count": c}
                             for v, c in top_values(counter, lambda v: v)]
        return out
    out.update({
        "min": num(s.min()), "max": num(s.max()), "mean": num(s.mean()), "std": num(s.std()),
        "skewness": num(s.skew()), "kurtosis": num(s.kurt()), "sum": num(s.sum()),
        "quantiles": {name: num(s.quantile(q)) for name, q in QUANTILES},
        "zeros": int((s == 0).sum()), "negatives": int((s < 0).sum()),
    })
    if len(s):
        q1, q3 = s.quantile(0.25), s.quantile(0.75)
        iqr = q3 - q1
        out["outliers"] = int(((s < q1 - 1.5 * iqr) | (s > q3 + 1.5 * iqr)).sum())
    else:
        out["outliers"] = 0
    return out


def string_profile(values):
    present = [v for v in values if v is not None]
    counter = Counter(present)
    out = {"count": len(present), "distinct": len(counter),
           "top_values": [{"value": v, "count": c} for v, c in top_values(counter, lambda v: v)]}
    if present:
        lengths = pd.Series(present).str.len()
        out.update({"length_min": float(lengths.min()), "length_max": float(lengths.max()),
                    "length_mean": float(lengths.mean())})
    return out


def column_profile(name, kind, values):
    if kind == "string":
        out = string_profile(values)
    else:
        out = numeric_profile(kind, values)
    rows = len(values)
    out["name"] = name
    out["type"] = kind
    out["missing"] = rows - out["count"]
    out["missing_percent"] = 100.0 * out["missing"] / rows if rows else 0.0
    out["semantic"] = semantic(kind, out["count"], out["distinct"], out.get("length_mean", 0.0),
                               out.get("min"), out.get("max"))
    return out


# --- Correlations -----------------------------------------------------------------------------


def corr_matrix(df, method):
    m = df.replace([np.inf, -np.inf], np.nan).corr(method=method)
    return [[num(v) for v in row] for row in m.to_numpy()]


def cramers_v(a, b):
    frame = pd.DataFrame({"a": a, "b": b}).dropna()
    if frame.empty:
        return None
    table = pd.crosstab(frame["a"], frame["b"]).to_numpy()
    if min(table.shape) < 2:
        return None
    return num(contingency.association(table, method="cramer", correction=False))


# --- Target -------------------------------------------------------------------------------------


def target_info(columns, target):
    name, kind, values = next(c for c in columns if c[0] == target)
    present = [v for v in values if v is not None]
    classification = kind in ("string", "bool") or (
        kind == "int64" and len(set(present)) <= MAX_INT_CLASSES)
    if not classification:
        y = as_float(kind, values)
        return {"task": "regression", "kind": "pearson", "y": y}
    classes = sorted(set(present))
    index = {c: i for i, c in enumerate(classes)}
    labels = np.array([index[v] if v is not None else -1 for v in values])
    sizes = Counter(labels[labels >= 0])
    names = [("true" if c else "false") if kind == "bool" else str(c) for c in classes]
    order = sorted(range(len(classes)), key=lambda i: -sizes[i])  # stable: ties in class order
    task = "binary" if len(classes) == 2 else "multiclass"
    return {"task": task, "kind": "roc_auc" if task == "binary" else "mutual_information",
            "labels": labels, "class_counts": [{"value": names[i], "count": int(sizes[i])}
                                               for i in order]}


def histogram_bins(values, edges):
    """The bin numpy.histogram counts each value in (numpy/lib/histograms.py, equal bins)."""
    bins = len(edges) - 1
    norm = bins / (edges[-1] - edges[0])
    indices = ((values - edges[0]) * norm).astype(np.intp)
    indices[indices == bins] -= 1
    indices[values < edges[indices]] -= 1
    increment = (values >= edges[indices + 1]) & (indices != bins - 1)
    indices[increment] += 1
    return indices


ASSOCIATION_FOLDS = 5


def out_of_fold_means(categories, y, rows):
    """Each row's category mean of y over the other folds (row i in fold i % 5); a category
    those folds do not hold gets their overall mean. None when a fold has no other rows."""
    folds = rows % ASSOCIATION_FOLDS
    score = np.empty(len(y))
    for f in range(ASSOCIATION_FOLDS):
        inside = folds == f
        if not inside.any():
            continue
        other = ~inside
        if not other.any():
            return None
        means = pd.Series(y[other]).groupby(categories[other]).mean()
        score[inside] = (pd.Series(categories[inside]).map(means)
                         .fillna(y[other].mean()).to_numpy())
    return score


def association(info, kind, values, profile):
    """(association, normalized MI or None) of one feature, or (None, None)."""
    if profile["semantic"] in ("id_like", "text", "empty") and kind == "string":
        return None, None
    if kind == "string":
        feature = pd.Series([v for v in values], dtype=object)
        present = feature.notna().to_numpy()
    else:
        x = as_float(kind, values)
        present = np.isfinite(x)
    if info["task"] == "regression":
        y = info["y"]
        mask = present & np.isfinite(y)
        if mask.sum() < 2:
            return None, None
        if kind == "string":
            xs = out_of_fold_means(feature[mask].to_numpy(), y[mask], np.flatnonzero(mask))
            if xs is None:
                return None, None
        else:
            xs = x[mask]
        r = pd.Series(xs).corr(pd.Series(y[mask]))
        if math.isnan(r):
            return None, None
        # An out-of-fold category mean keeps its direction: a negative r is no association.
        return (min(max(r, 0.0), 1.0) if kind == "string" else min(abs(r), 1.0)), None
    labels = info["labels"]
    mask = present & (labels >= 0)
    if mask.sum() == 0:
        return None, None
    yl = labels[mask]
    if info["task"] == "binary":
        if len(set(yl)) < 2:
            return None, None
        if kind == "string":
            score = out_of_fold_means(feature[mask].to_numpy(), yl.astype(float),
                                      np.flatnonzero(mask))
            if score is None:
                return None, None
        else:
            score = x[mask]
        auc = roc_auc_score(yl, score)
        # An out-of-fold category rate keeps its direction: below 0.5 is no association.
        return (max(auc, 0.5) if kind == "string" else max(auc, 1 - auc)), None
    if kind == "string":
        groups = feature[mask].to_numpy()
    else:
        groups = histogram_bins(x[mask], np.array(profile["histogram"]["edges"]))
    mi = mutual_info_score(yl, groups)
    counts = np.array(list(Counter(yl).values()), dtype=float)
    entropy = scipy.stats.entropy(counts)
    return mi, (mi / entropy if entropy > 0 else None)


# --- Alerts -------------------------------------------------------------------------------------


MIN_PAIR_ROWS = 10  # a high correlation over fewer rows where both columns have a value: no alert


def pair_rows(columns, a, b):
    """Rows where both columns have a value (a finite one for float64)."""
    values = {name: (kind, vals) for name, kind, vals in columns}

    def present(kind, v):
        return v is not None and not (kind == "float64" and not math.isfinite(float(v)))

    (ka, va), (kb, vb) = values[a], values[b]
    return sum(1 for x, y in zip(va, vb) if present(ka, x) and present(kb, y))


def alerts(rows, duplicates, profiles, corr, target, normalized, columns):
    out = []
    if duplicates > 0:
        out.append(["duplicates", ""])
    for p in profiles:
        name = p["name"]
        if p["semantic"] == "constant":
            out.append(["constant", name])
        if p["semantic"] == "id_like" and name != target:
            out.append(["id_like", name])
        if p["missing_percent"] > HIGH_MISSING:
            out.append(["high_missing", name])
        if p["semantic"] == "categorical" and p["distinct"] > HIGH_CARDINALITY:
            out.append(["high_cardinality", name])
        if p.get("infinite", 0) > 0:
            out.append(["infinite_values", name])
        skew = p.get("skewness")
        if p["semantic"] == "numeric" and skew is not None and abs(skew) > SKEWNESS:
            out.append(["skewed", name])
    for names, matrix in ((corr["numeric"], corr["pearson"]),
                          (corr["categorical"], corr["cramers_v"])):
        for i in range(len(names)):
            for j in range(i + 1, len(names)):
                v = matrix[i][j]
                if target in (names[i], names[j]) or v is None or abs(v) < HIGH_CORRELATION:
                    continue
                if pair_rows(columns, names[i], names[j]) < MIN_PAIR_ROWS:
                    continue
                out.append(["high_correlation", names[i] + "," + names[j]])
    if target:
        t = next(p for p in profiles if p["name"] == target)
        counts = t.get("class_counts")
        if counts and len(counts) >= 2 and counts[-1]["count"] / counts[0]["count"] < IMBALANCE:
            out.append(["imbalance", target])
        if t["count"] == 0 or ("class_counts" in t and len(counts) < 2):
            out.append(["unusable_target", target])
        for p in profiles:
            a = p.get("target_association")
            strength = normalized.get(p["name"]) if p.get("mi") else a
            if a is not None and strength is not None and strength >= LEAKAGE:
                out.append(["possible_leakage", p["name"]])
    return out


# --- A case -------------------------------------------------------------------------------------


def duplicate_rows(columns):
    frame = pd.DataFrame({name: pd.Series([None if v is None else
                                           (float(v) if kind in ("float64", "int64") else v)
                                           for v in values], dtype=object)
                          for name, kind, values in columns})
    for name, kind, _ in columns:
        if kind in ("float64", "int64"):
            frame[name] = frame[name].astype(float)
    return int(frame.duplicated().sum())


def make_case(case_name, csv_name, columns, target=""):
    rows = len(columns[0][2])
    profiles = [column_profile(name, kind, values) for name, kind, values in columns]
    numeric = [(n, k, v) for n, k, v in columns if k in ("float64", "int64", "bool")]
    df = pd.DataFrame({n: as_float(k, v) for n, k, v in numeric})
    categorical = [(n, v) for (n, k, v), p in zip(columns, profiles)
                   if p["semantic"] == "categorical" and p["distinct"] <= MAX_CRAMERS]
    corr = {
        "numeric": [n for n, _, _ in numeric],
        "pearson": corr_matrix(df, "pearson") if numeric else [],
        "spearman": corr_matrix(df, "spearman") if numeric else [],
        "categorical": [n for n, _ in categorical],
        "cramers_v": [[cramers_v(a, b) for _, b in categorical] for _, a in categorical],
    }
    normalized = {}
    target_doc = None
    if target:
        info = target_info(columns, target)
        for (name, kind, values), p in zip(columns, profiles):
            if name == target:
                if info["task"] != "regression":
                    p["class_counts"] = info["class_counts"]
                continue
            a, norm = association(info, kind, values, p)
            p["target_association"] = a
            if info["task"] == "multiclass":
                p["mi"] = True
                normalized[name] = norm
        ranking = sorted([(p["name"], p["target_association"]) for p in profiles
                          if p.get("target_association") is not None], key=lambda kv: -kv[1])
        target_doc = {"column": target, "task": info["task"], "association_kind": info["kind"],
                      "class_counts": info.get("class_counts", []),
                      "ranking": [name for name, _ in ranking]}
    duplicates = duplicate_rows(columns)
    case = {
        "name": case_name, "csv": csv_name, "target": target, "rows": rows,
        "duplicate_rows": duplicates, "columns": profiles, "correlations": corr,
        "target_profile": target_doc,
        "alerts": alerts(rows, duplicates, profiles, corr, target, normalized, columns),
    }
    for p in profiles:
        p.pop("mi", None)
        p.pop("class_counts", None)
    return case


# --- Data -----------------------------------------------------------------------------------------


def with_missing(rng, values, share):
    return [None if rng.random() < share else v for v in values]


def mixed_columns(rng):
    n = 200
    score = np.round(rng.normal(5, 10, n), 1)  # ties, negatives, a few zeros
    score[[3, 17, 45]] = 0.0
    income = np.exp(rng.normal(10, 1, n))  # skewed
    y_reg = 3 * score + income / 1000 + rng.normal(0, 5, n)
    yes = rng.random(n) < 0.08  # imbalanced
    y_multi = (np.digitize(score, [0, 10]) + (rng.random(n) < 0.2)) % 3
    colors = ["red", "green", "blue", "yellow"]
    color = [colors[i] for i in rng.integers(0, 4, n)]
    city_of = {"red": "Paris", "green": "Lyon", "blue": "Nice", "yellow": "Lille"}
    city = [city_of[c] if rng.random() < 0.7 else ["Paris", "Lyon", "Nice"][rng.integers(0, 3)]
            for c in color]
    names = ["Zoë", "Łukasz", "日本", "José", "Ana", "😀 smile", "Ngũgĩ"]
    words = ["data", "model", "profile", "quality", "drift", "alert", "value", "column"]
    start = 1_700_000_000_000_000
    when = [start + int(rng.integers(0, 40)) * 86_400_000_000 + int(rng.integers(0, 3)) * 1_500_000
            for _ in range(n)]
    ratio = list(np.round(rng.normal(1, 0.5, n), 6))
    ratio[10], ratio[20], ratio[30] = math.inf, math.inf, -math.inf
    twin = 2 * score + rng.normal(0, 0.5, n)
    leak = yes * 1.0 + rng.normal(0, 0.01, n)
    return [
        ("id", "int64", list(range(1, n + 1))),
        ("age", "int64", with_missing(rng, [int(v) for v in rng.integers(18, 80, n)], 0.1)),
        ("income", "float64", with_missing(rng, list(income), 0.02)),
        ("score", "float64", with_missing(rng, list(score), 0.05)),
        ("twin", "float64", with_missing(rng, list(twin), 0.05)),
        ("ratio", "float64", with_missing(rng, ratio, 0.03)),
        ("const", "int64", [7] * n),
        ("flag", "bool", with_missing(rng, [bool(v) for v in rng.random(n) < 0.4], 0.1)),
        ("color", "string", with_missing(rng, color, 0.3)),  # high_missing
        ("city", "string", city),
        ("name", "string", with_missing(rng, [names[i] for i in rng.integers(0, 7, n)], 0.05)),
        ("zip", "string", ["Z%03d" % v for v in rng.integers(0, 120, n)]),  # high cardinality
        ("code", "string", ["C%05d" % (7 * i + 3) for i in range(n)]),  # id-like
        ("note", "string", [" ".join(words[j] for j in rng.integers(0, 8, 7)) + ", row %d" % i
                            for i in range(n)]),  # free text
        ("when", "timestamp", with_missing(rng, when, 0.05)),
        ("blank", "float64", [None] * n),
        ("leak", "float64", list(leak)),
        ("y_bin", "string", with_missing(rng, ["yes" if v else "no" for v in yes], 0.02)),
        ("y_multi", "int64", [int(v) for v in y_multi]),
        ("y_reg", "float64", with_missing(rng, list(y_reg), 0.02)),
    ]


def wide_columns(rng):
    n = 400
    a = rng.normal(0, 1, n)
    b = 0.5 * a + rng.normal(0, 1, n)
    c = rng.uniform(-3, 3, n)
    c_list = list(c)
    for i in (5, 50, 150):
        c_list[i] = math.inf if i != 50 else -math.inf
    d = rng.integers(0, 10, n)
    e = rng.random(n) < 0.5
    f = rng.exponential(2.0, n)
    h = [None] * n
    h[7] = 3.5
    klass = ["lo" if v < -0.5 else "hi" if v > 0.5 else "mid" for v in a + rng.normal(0, 0.3, n)]
    shade = ["dark" if k == "lo" and rng.random() < 0.8 else ["dark", "light", "pale"][
        rng.integers(0, 3)] for k in klass]
    return [
        ("a", "float64", list(a)),
        ("b", "float64", with_missing(rng, list(b), 0.05)),
        ("c", "float64", with_missing(rng, c_list, 0.02)),
        ("d", "int64", with_missing(rng, [int(v) for v in d], 0.1)),
        ("e", "bool", [bool(v) for v in e]),
        ("f", "float64", list(f)),
        ("g", "float64", [1.5] * n),
        ("h", "float64", h),
        ("klass", "string", klass),
        ("shade", "string", shade),
    ]


def dup_columns():
    a = [1.0, 1.0, 0.0, -0.0, None, None, 2.5, 2.5, 2.5, 3.0, 1.0, 0.0]
    b = ["x", "x", "y", "y", None, None, "z", "z", None, "z", "x", "y"]
    c = [True, True, False, False, None, None, True, True, True, True, False, False]
    d = [1, 1, 2, 2, 3, 3, 4, 4, 4, 5, 1, 2]
    return [("a", "float64", a), ("b", "string", b), ("c", "bool", c), ("d", "int64", d)]


def edge_columns():
    # Three rows: skewness is defined (n >= 3), kurtosis is not (n < 4); constants; all missing.
    return [
        ("x", "float64", [1.0, 2.0, 10.0]),
        ("k", "float64", [2.5, 2.5, 2.5]),
        ("n", "int64", [-3, None, 4]),
        ("s", "string", ["a", "a", "a"]),
        ("t", "timestamp", [0, 86_400_000_000, 86_400_000_000]),
        ("m", "float64", [None, None, None]),
    ]


def single_columns():
    return [
        ("x", "float64", [4.25]),
        ("i", "int64", [7]),
        ("s", "string", ["only"]),
        ("b", "bool", [True]),
        ("t", "timestamp", [1_600_000_000_123_456]),
    ]


def main():
    rng = np.random.default_rng(20261127)
    mixed = mixed_columns(rng)
    wide = wide_columns(rng)
    dups = dup_columns()
    edge = edge_columns()
    single = single_columns()
    for name, cols in (("mixed.csv", mixed), ("wide.csv", wide), ("dups.csv", dups),
                       ("edge.csv", edge), ("single.csv", single)):
        write_csv(name, cols)
    cases = [
        make_case("mixed", "mixed.csv", mixed),
        make_case("mixed_binary", "mixed.csv", mixed, "y_bin"),
        make_case("mixed_multiclass", "mixed.csv", mixed, "y_multi"),
        make_case("mixed_regression", "mixed.csv", mixed, "y_reg"),
        make_case("wide_multiclass", "wide.csv", wide, "klass"),
        make_case("wide_binary_bool", "wide.csv", wide, "e"),
        make_case("wide_regression", "wide.csv", wide, "b"),
        make_case("dups", "dups.csv", dups, "d"),
        make_case("edge", "edge.csv", edge),
        make_case("single", "single.csv", single),
    ]
    doc = {"pandas_version": pd.__version__, "numpy_version": np.__version__,
           "scipy_version": scipy.__version__, "sklearn_version": sklearn.__version__,
           "cases": cases}
    text = json.dumps(doc, allow_nan=False, ensure_ascii=False, separators=(",", ":"))
    out = os.path.join(HERE, "fixtures.json")
    with open(out, "w", encoding="utf-8") as f:
        f.write(text + "\n")
    print("%s: %d cases, %d bytes" % (out, len(cases), len(text)))


if __name__ == "__main__":
    main()
