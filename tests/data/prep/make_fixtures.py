#!/usr/bin/python3
"""Writes train.csv, test.csv and fixtures.json: scikit-learn's (and pandas') output for every
recipe step mloop reproduces (src/mloop/prep). Read by tests/prep/recipe_test.cpp.

Run with Debian's interpreter, which has python3-sklearn 1.2.1, pandas and numpy:

    /usr/bin/python3 tests/data/prep/make_fixtures.py

Deterministic (fixed seed, no clock). The CSV values are written with repr(), so the numbers
below are exactly the numbers mloop reads. Each case holds a recipe (YAML), the target it is
fitted with, the expected output column names, and expected values of some columns after
fitting on train.csv (the training output, ApplyMode::kDataset) and after transforming
test.csv (ApplyMode::kScoring). null is a missing value (NaN); "inf" and "-inf" are infinities.

TargetEncoder is not in scikit-learn 1.2, so its 1.3 algorithm (_fit_encoding_fast and
_fit_encoding_fast_auto_smooth, and fit_transform's out-of-fold loop) is written out below; the
folds are mloop's (train/split.cpp MakeFolds: splitmix64 Fisher-Yates, stratified for binary
targets), reproduced here, instead of KFold's numpy shuffle.
"""

import json
import math
import os
import warnings

import numpy as np
import pandas as pd
import sklearn
from sklearn.preprocessing import (KBinsDiscretizer, LabelEncoder, MinMaxScaler,
                                   OneHotEncoder, OrdinalEncoder, RobustScaler, StandardScaler)
from sklearn.impute import SimpleImputer

warnings.simplefilter("ignore")

HERE = os.path.dirname(os.path.abspath(__file__))
COLUMNS = ["id", "num_a", "num_b", "num_c", "num_const", "flag", "plan", "city", "ts", "y_bin",
           "y_reg"]
PLANS = ["basic", "plus", "premium", "enterprise", "trial"]
CITIES = ["paris", "lyon", "nice", "lille", "nantes", "rennes", "brest", "metz", "dijon",
          "tours", "caen", "pau", "albi", "gap", "sete"]


def make_data(rng, n, test):
    d = {}
    d["id"] = list(range(1000 if test else 0, (1000 if test else 0) + n))
    a = np.round(rng.normal(50, 12, n), 1)
    a[rng.random(n) < 0.1] = np.nan
    d["num_a"] = a
    b = np.round(np.exp(rng.normal(0, 1, n)) * 100, 3)
    b[rng.random(n) < 0.05] = np.nan
    d["num_b"] = b
    c = rng.choice(10, size=n, p=[.05, .2, .2, .15, .1, .1, .08, .06, .04, .02]).astype(float)
    if test:
        c[[3, 17]] = np.nan
        c[5] = 12  # outside the training range
    d["num_c"] = c
    const = np.full(n, 3.5)
    if test:
        const[::7] = 7.0
    d["num_const"] = const
    d["flag"] = list(rng.random(n) < 0.3)
    plan = list(rng.choice(PLANS, size=n, p=[.4, .3, .15, .1, .05]))
    for i in np.flatnonzero(rng.random(n) < 0.08):
        plan[i] = None
    if test:
        plan[2] = "zzz"
        plan[9] = "zzz"
    d["plan"] = plan
    w = 1.0 / np.arange(1, len(CITIES) + 1) ** 1.1
    city = list(rng.choice(CITIES, size=n, p=w / w.sum()))
    for i in np.flatnonzero(rng.random(n) < 0.06):
        city[i] = None
    if test:
        city[4] = "atlantis"
    d["city"] = city
    start = np.datetime64("2020-01-01T00:00:00")
    secs = rng.integers(0, 5 * 365 * 86400, n)
    ts = [str(start + np.timedelta64(int(s), "s")) + "Z" for s in secs]
    for i in np.flatnonzero(rng.random(n) < 0.05):
        ts[i] = None
    d["ts"] = ts
    logit = -0.5 + np.array([{"basic": 0, "plus": .5, "premium": 1, "enterprise": 1.5,
                              "trial": -1}.get(p, 0) for p in plan])
    d["y_bin"] = list((rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int))
    d["y_reg"] = np.round(np.nan_to_num(c) * 2 + rng.normal(0, 1, n), 4)
    return d


def cell(v):
    if v is None:
        return ""
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, (float, np.floating)):
        if math.isnan(v):
            return ""
        if float(v).is_integer():
            return str(int(v))  # whole numbers as integers: num_c reads as int64
        return repr(float(v))
    return str(v)


def write_csv(path, d, n):
    with open(path, "w") as f:
        f.write(",".join(COLUMNS) + "\n")
        for i in range(n):
            f.write(",".join(cell(d[c][i]) for c in COLUMNS) + "\n")


def frame(d):
    df = pd.DataFrame({c: d[c] for c in COLUMNS})
    for c in ["plan", "city"]:
        df[c] = df[c].astype(object).where(df[c].notna(), np.nan)
    df["ts"] = pd.to_datetime(df["ts"], utc=True)
    return df


def num(v):
    if v is None:
        return None
    if isinstance(v, str):
        return v
    v = float(v)
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return None if math.isnan(v) else v


def nums(a):
    return [num(v) for v in np.asarray(a, dtype=object).ravel()]


def strs(a):
    return [None if (v is None or (isinstance(v, float) and math.isnan(v))) else str(v)
            for v in a]


def label(v):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "__missing__"
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return repr(float(v)) if not float(v).is_integer() else "%d.0" % int(v)
    return str(v)


def replace_in_place(columns, old, new):
    i = columns.index(old)
    return columns[:i] + new + columns[i + 1:]


# --- cases -------------------------------------------------------------------------------------

def column_case(name, recipe, tr, te, cols, fit_transform, output=None, target="y_bin"):
    """Applies `fit_transform(train_frame, test_frame) -> (train_out, test_out)`, dicts of
    column -> values."""
    out_train, out_test = fit_transform(tr, te)
    return {"name": name, "recipe": recipe, "target": target,
            "output_columns": output if output is not None else COLUMNS,
            "train": {k: v for k, v in out_train.items()},
            "test": {k: v for k, v in out_test.items()}}


def sk_columns(est, cols, tr, te):
    est.fit(tr[cols].to_numpy(dtype=float))
    a = est.transform(tr[cols].to_numpy(dtype=float))
    b = est.transform(te[cols].to_numpy(dtype=float))
    return ({c: nums(a[:, j]) for j, c in enumerate(cols)},
            {c: nums(b[:, j]) for j, c in enumerate(cols)})


def scale_cases(tr, te):
    cols = ["num_a", "num_b", "num_c", "num_const"]
    out = []
    for method, est in [("standard", StandardScaler()), ("minmax", MinMaxScaler()),
                        ("robust", RobustScaler())]:
        recipe = "steps:\n  - scale: {columns: [%s], method: %s}\n" % (", ".join(cols), method)
        out.append(column_case("scale_" + method, recipe, tr, te, cols,
                               lambda a, b, est=est: sk_columns(est, cols, a, b)))
    return out


def impute_cases(tr, te):
    cols = ["num_a", "num_b", "num_c"]
    out = []
    for strategy, extra in [("mean", ""), ("median", ""), ("most_frequent", ""),
                            ("constant", ", fill_value: -1.5")]:
        def run(a, b, strategy=strategy):
            kw = {"fill_value": -1.5} if strategy == "constant" else {}
            est = SimpleImputer(strategy=strategy, add_indicator=True, **kw)
            est.fit(a[cols].to_numpy(dtype=float))
            ra = est.transform(a[cols].to_numpy(dtype=float))
            rb = est.transform(b[cols].to_numpy(dtype=float))
            names = cols + [cols[j] + "_missing" for j in est.indicator_.features_]
            return ({c: nums(ra[:, j]) for j, c in enumerate(names)},
                    {c: nums(rb[:, j]) for j, c in enumerate(names)})
        recipe = ("steps:\n  - impute: {columns: [%s], strategy: %s, add_indicator: true%s}\n"
                  % (", ".join(cols), strategy, extra))
        indicators = [c + "_missing" for c in cols if tr[c].isna().any()]
        out.append(column_case("impute_" + strategy, recipe, tr, te, cols, run,
                               output=COLUMNS + indicators))
    for strategy, extra in [("most_frequent", ""), ("constant", ", fill_value: none")]:
        def run_s(a, b, strategy=strategy):
            kw = {"fill_value": "none"} if strategy == "constant" else {}
            est = SimpleImputer(strategy=strategy, missing_values=np.nan, **kw)
            cs = ["plan", "city"]
            est.fit(a[cs].to_numpy(dtype=object))
            ra = est.transform(a[cs].to_numpy(dtype=object))
            rb = est.transform(b[cs].to_numpy(dtype=object))
            return ({c: strs(ra[:, j]) for j, c in enumerate(cs)},
                    {c: strs(rb[:, j]) for j, c in enumerate(cs)})
        recipe = ("steps:\n  - impute: {columns: [plan, city], strategy: %s%s}\n"
                  % (strategy, extra))
        out.append(column_case("impute_strings_" + strategy, recipe, tr, te, None, run_s))
    return out


def simple_numpy_cases(tr, te):
    out = []
    cols = ["num_a", "num_b"]

    def clip(a, b):
        f = lambda x: np.clip(x, 40.0, 150.0)
        return ({c: nums(f(a[c].to_numpy(float))) for c in cols},
                {c: nums(f(b[c].to_numpy(float))) for c in cols})
    out.append(column_case("clip", "steps:\n  - clip: {columns: [num_a, num_b], min: 40, "
                           "max: 150}\n", tr, te, cols, clip))

    def winsorize(a, b):
        ra, rb = {}, {}
        for c in cols:
            x = a[c].to_numpy(float)
            lo, hi = np.nanquantile(x, [0.05, 0.9])
            ra[c] = nums(np.clip(x, lo, hi))
            rb[c] = nums(np.clip(b[c].to_numpy(float), lo, hi))
        return ra, rb
    out.append(column_case("winsorize", "steps:\n  - winsorize: {columns: [num_a, num_b], "
                           "lower: 0.05, upper: 0.9}\n", tr, te, cols, winsorize))
    for name, fn, recipe in [
            ("log", np.log, "steps:\n  - log: [num_b, num_c]\n"),
            ("log1p", np.log1p, "steps:\n  - log1p: {columns: [num_b, num_c]}\n"),
            ("power", lambda x: np.power(x, 1.7), "steps:\n  - power: {columns: [num_b, num_c], "
             "exponent: 1.7}\n")]:
        def run(a, b, fn=fn):
            cs = ["num_b", "num_c"]
            return ({c: nums(fn(a[c].to_numpy(float))) for c in cs},
                    {c: nums(fn(b[c].to_numpy(float))) for c in cs})
        out.append(column_case(name, recipe, tr, te, None, run))
    return out


def bucketize_cases(tr, te):
    out = []
    cols = ["num_a", "num_b", "num_c", "num_const"]
    for strategy, bins in [("uniform", 4), ("quantile", 5), ("quantile", 10)]:
        def run(a, b, strategy=strategy, bins=bins):
            ra, rb = {}, {}
            for c in cols:
                x = a[c].to_numpy(float)
                est = KBinsDiscretizer(n_bins=bins, encode="ordinal", strategy=strategy,
                                       subsample=None)
                est.fit(x[~np.isnan(x)].reshape(-1, 1))
                for src, dst in [(a, ra), (b, rb)]:
                    v = src[c].to_numpy(float)
                    r = np.full(len(v), np.nan)
                    ok = ~np.isnan(v)
                    r[ok] = est.transform(v[ok].reshape(-1, 1))[:, 0]
                    dst[c] = nums(r)
            return ra, rb
        recipe = ("steps:\n  - bucketize: {columns: [%s], bins: %d, strategy: %s}\n"
                  % (", ".join(cols), bins, strategy))
        out.append(column_case("bucketize_%s_%d" % (strategy, bins), recipe, tr, te, cols, run))

    def edges(a, b):
        e = np.array([0.0, 45.0, 50.0, 60.0, 100.0])
        f = lambda v: np.where(np.isnan(v), np.nan,
                               np.searchsorted(e[1:-1], v, side="right").astype(float))
        return ({"num_a": nums(f(a["num_a"].to_numpy(float)))},
                {"num_a": nums(f(b["num_a"].to_numpy(float)))})
    out.append(column_case("bucketize_edges", "steps:\n  - bucketize: {columns: num_a, edges: "
                           "[0, 45, 50, 60, 100]}\n", tr, te, None, edges))
    return out


def one_hot_cases(tr, te):
    out = []
    specs = [
        ("one_hot_plan", "plan", "handle_unknown: ignore", dict(handle_unknown="ignore")),
        ("one_hot_city_max", "city", "max_categories: 4, handle_unknown: other",
         dict(max_categories=4, handle_unknown="infrequent_if_exist")),
        ("one_hot_city_min_count", "city", "min_frequency: 12",
         dict(min_frequency=12, handle_unknown="ignore")),
        ("one_hot_city_min_fraction", "city", "min_frequency: 0.1, max_categories: 3",
         dict(min_frequency=0.1, max_categories=3, handle_unknown="ignore")),
        ("one_hot_int", "num_c", "handle_unknown: ignore", dict(handle_unknown="ignore")),
        ("one_hot_bool", "flag", "handle_unknown: ignore", dict(handle_unknown="ignore")),
    ]
    for name, col, options, kw in specs:
        est = OneHotEncoder(sparse_output=False, **kw)

        def prep(df, col=col):
            if col == "num_c":
                return df[[col]].to_numpy(dtype=float)
            if col == "flag":
                return df[[col]].to_numpy(dtype=bool)
            return df[[col]].to_numpy(dtype=object)
        est.fit(prep(tr))
        cats = list(est.categories_[0])
        infrequent = est.infrequent_categories_[0] if est._infrequent_enabled else None
        infrequent = [] if infrequent is None else list(infrequent)
        is_inf = lambda v: any((v is u) or (v == u) or (isinstance(v, float) and
                                                        isinstance(u, float) and
                                                        math.isnan(v) and math.isnan(u))
                               for u in infrequent)
        # num_c is an int64 column for mloop (its categories read 3, not 3.0)
        name_of = (lambda v: str(int(v))) if col == "num_c" else label
        names = [col + "=" + name_of(v) for v in cats if not is_inf(v)]
        if infrequent:
            names.append(col + "=__other__")
        ra = est.transform(prep(tr))
        rb = est.transform(prep(te))
        recipe = "steps:\n  - one_hot: {columns: [%s], %s}\n" % (col, options)
        out.append({"name": name, "recipe": recipe, "target": "y_bin",
                    "output_columns": replace_in_place(COLUMNS, col, names),
                    "train": {n: nums(ra[:, j]) for j, n in enumerate(names)},
                    "test": {n: nums(rb[:, j]) for j, n in enumerate(names)}})
    return out


def ordinal_cases(tr, te):
    cols = ["plan", "city"]
    est = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)
    est.fit(tr[cols].to_numpy(dtype=object))
    ra = est.transform(tr[cols].to_numpy(dtype=object))
    rb = est.transform(te[cols].to_numpy(dtype=object))
    recipe = ("steps:\n  - ordinal: {columns: [plan, city], handle_unknown: use_encoded_value, "
              "unknown_value: -1}\n")
    return [{"name": "ordinal", "recipe": recipe, "target": "y_bin", "output_columns": COLUMNS,
             "train": {c: nums(ra[:, j]) for j, c in enumerate(cols)},
             "test": {c: nums(rb[:, j]) for j, c in enumerate(cols)}}]


# --- TargetEncoder (scikit-learn 1.3), by hand --------------------------------------------------

M64 = (1 << 64) - 1


def splitmix(state):
    state = (state + 0x9E3779B97F4A7C15) & M64
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return state, z ^ (z >> 31)


def shuffle(v, seed):
    state = seed & M64
    for i in range(len(v), 1, -1):
        state, r = splitmix(state)
        j = r % i
        v[i - 1], v[j] = v[j], v[i - 1]


def fold_of(n, k, classes, seed):
    folds = [0] * n
    if classes is None:
        order = list(range(n))
        shuffle(order, seed)
        for i, row in enumerate(order):
            folds[row] = i % k
        return folds
    nxt, salt = 0, 0
    for label_value in sorted(set(classes)):
        members = [i for i in range(n) if classes[i] == label_value]
        salt += 1
        shuffle(members, (seed + 0x632BE59BD9B4E019 * salt) & M64)
        for i in members:
            folds[i] = nxt
            nxt = (nxt + 1) % k
    return folds


def te_categories(values):
    present = sorted({v for v in values if not (v is None or (isinstance(v, float) and
                                                                   math.isnan(v)))})
    has_missing = any(v is None or (isinstance(v, float) and math.isnan(v)) for v in values)
    return present + ([None] if has_missing else [])


def te_codes(values, cats):
    index = {v: i for i, v in enumerate(cats)}
    out = []
    for v in values:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            out.append(index.get(None, -1))
        else:
            out.append(index.get(v, -1))
    return out


def fit_encoding(codes, y, ncat, y_mean, y_var, smooth):
    """_fit_encoding_fast / _fit_encoding_fast_auto_smooth (sklearn/preprocessing/
    _target_encoder_fast.pyx, 1.3), one feature."""
    if smooth == "auto":
        means = [0.0] * ncat
        counts = [0] * ncat
        ss = [0.0] * ncat
        for c, v in zip(codes, y):
            if c == -1:
                continue
            counts[c] += 1
            means[c] += v
        for c in range(ncat):
            means[c] = means[c] / counts[c] if counts[c] else float("nan")
        for c, v in zip(codes, y):
            if c == -1:
                continue
            diff = v - means[c]
            ss[c] += diff * diff
        enc = []
        for c in range(ncat):
            with np.errstate(all="ignore"):
                cnt = np.float64(counts[c])
                lam = y_var * cnt / (y_var * cnt + np.float64(ss[c]) / cnt)
            enc.append(y_mean if math.isnan(lam) else lam * means[c] + (1 - lam) * y_mean)
        return enc
    sums = [smooth * y_mean] * ncat
    counts = [float(smooth)] * ncat
    for c, v in zip(codes, y):
        if c == -1:
            continue
        sums[c] += v
        counts[c] += 1.0
    return [s / n if n else float("nan") for s, n in zip(sums, counts)]


def target_encode(tr, te, cols, target, smooth, cv, seed=42):
    y_raw = tr[target].to_numpy()
    binary = target == "y_bin"
    y = LabelEncoder().fit_transform(y_raw).astype(float) if binary else y_raw.astype(float)
    y = [float(v) for v in y]
    n = len(y)
    folds = fold_of(n, cv, y if binary else None, seed)
    mean_all = float(np.mean(y))
    var_all = float(np.var(y))
    ra, rb = {}, {}
    for col in cols:
        values = list(tr[col])
        cats = te_categories(values)
        codes = te_codes(values, cats)
        enc = fit_encoding(codes, y, len(cats), mean_all, var_all, smooth)
        test_codes = te_codes(list(te[col]), cats)
        rb[col] = nums([enc[c] if c >= 0 else mean_all for c in test_codes])
        oof = [0.0] * n
        for f in range(cv):
            train_rows = [i for i in range(n) if folds[i] != f]
            yt = [y[i] for i in train_rows]
            m, v = float(np.mean(yt)), float(np.var(yt))
            e = fit_encoding([codes[i] for i in train_rows], yt, len(cats), m, v, smooth)
            for i in range(n):
                if folds[i] == f:
                    oof[i] = e[codes[i]]
        ra[col] = nums(oof)
    return ra, rb


def target_encode_cases(tr, te):
    out = []
    for name, cols, target, smooth, cv, options in [
            ("target_encode_binary_auto", ["plan", "city"], "y_bin", "auto", 5, ""),
            ("target_encode_regression_auto", ["plan", "city", "num_c"], "y_reg", "auto", 4,
             ", cv: 4"),
            ("target_encode_binary_smooth", ["city"], "y_bin", 2.5, 5, ", smooth: 2.5"),
            ("target_encode_regression_smooth", ["city", "flag"], "y_reg", 10.0, 3,
             ", smooth: 10, cv: 3")]:
        ra, rb = target_encode(tr, te, cols, target, smooth, cv)
        recipe = "steps:\n  - target_encode: {columns: [%s]%s}\n" % (", ".join(cols), options)
        out.append({"name": name, "recipe": recipe, "target": target, "output_columns": COLUMNS,
                    "train": ra, "test": rb})
    return out


# --- pandas: date parts, derive, filter, drop_duplicates ----------------------------------------

def pandas_cases(tr, te):
    out = []
    ref = pd.Timestamp("2021-03-15", tz="UTC")

    def parts(df):
        t = df["ts"]
        micros = (t - pd.Timestamp("1970-01-01", tz="UTC")) // pd.Timedelta(microseconds=1)
        ref_us = (ref - pd.Timestamp("1970-01-01", tz="UTC")) // pd.Timedelta(microseconds=1)
        res = {"ts_year": t.dt.year, "ts_month": t.dt.month, "ts_day": t.dt.day,
               "ts_day_of_week": t.dt.dayofweek, "ts_hour": t.dt.hour}
        res = {k: nums(v.to_numpy(dtype=float)) for k, v in res.items()}
        res["ts_days_since"] = [None if pd.isna(m) else (int(m) - ref_us) / 86400000000
                                for m in micros]
        return res
    part_names = ["ts_year", "ts_month", "ts_day", "ts_day_of_week", "ts_hour", "ts_days_since"]
    out.append({"name": "date_parts",
                "recipe": "steps:\n  - date_parts: {columns: [ts], parts: [year, month, day, "
                          "day_of_week, hour, days_since], reference: '2021-03-15'}\n",
                "target": "y_bin",
                "output_columns": replace_in_place(COLUMNS, "ts", ["ts"] + part_names),
                "train": parts(tr), "test": parts(te)})

    def derive(df):
        return {"ratio": nums(df["num_a"] / (df["num_c"] + 1)),
                "big": nums(np.where(df["num_b"].isna(), np.nan,
                                     (df["num_b"] > 100).astype(float)))}
    out.append({"name": "derive",
                "recipe": "steps:\n  - derive: \"ratio = num_a / (num_c + 1)\"\n"
                          "  - derive: {name: big, expr: \"num_b > 100\"}\n",
                "target": "y_bin", "output_columns": COLUMNS + ["ratio", "big"],
                "train": derive(tr), "test": derive(te)})

    kept = tr[(tr["num_c"] >= 3) & (tr["num_b"] > 100)]
    out.append({"name": "filter", "recipe": "steps:\n  - filter: \"num_c >= 3 and num_b > 100\"\n",
                "target": "y_bin", "output_columns": COLUMNS,
                "train": {"id": nums(kept["id"])}, "test": {"id": nums(te["id"])}})

    kept = tr.drop_duplicates(subset=["plan", "num_c"], keep="first")
    out.append({"name": "drop_duplicates",
                "recipe": "steps:\n  - drop_duplicates: {columns: [plan, num_c]}\n",
                "target": "y_bin", "output_columns": COLUMNS,
                "train": {"id": nums(kept["id"])}, "test": {"id": nums(te["id"])}})
    return out


def main():
    rng = np.random.default_rng(20241126)
    n_train, n_test = 240, 60
    dtr = make_data(rng, n_train, False)
    dte = make_data(rng, n_test, True)
    write_csv(os.path.join(HERE, "train.csv"), dtr, n_train)
    write_csv(os.path.join(HERE, "test.csv"), dte, n_test)
    tr, te = frame(dtr), frame(dte)
    cases = []
    cases += scale_cases(tr, te)
    cases += impute_cases(tr, te)
    cases += simple_numpy_cases(tr, te)
    cases += bucketize_cases(tr, te)
    cases += one_hot_cases(tr, te)
    cases += ordinal_cases(tr, te)
    cases += target_encode_cases(tr, te)
    cases += pandas_cases(tr, te)
    doc = {"generator": "tests/data/prep/make_fixtures.py",
           "sklearn": sklearn.__version__, "numpy": np.__version__, "pandas": pd.__version__,
           "cases": cases}
    with open(os.path.join(HERE, "fixtures.json"), "w") as f:
        # One case per line: small, and diffs stay readable.
        head = {k: v for k, v in doc.items() if k != "cases"}
        f.write(json.dumps(head, allow_nan=False)[:-1] + ', "cases": [\n')
        f.write(",\n".join(json.dumps(c, allow_nan=False) for c in cases))
        f.write("\n]}\n")
    print("wrote %d cases" % len(cases))


if __name__ == "__main__":
    main()
