#!/usr/bin/python3
"""The peer of the recipe benchmark: the same preprocessing as a scikit-learn Pipeline.

  /usr/bin/python3 bench/peers/prep_sklearn.py FILE [--check MLOOP_OUT.csv]

On bench/gen_numeric_csv.py's file (id, f1..f28): SimpleImputer(median) on every column, then a
ColumnTransformer with StandardScaler on f1..f14, RobustScaler on f15..f21,
KBinsDiscretizer(10, encode="ordinal", strategy="quantile", subsample=None) on f22..f28 and a
FunctionTransformer for the two derived columns (f1 / (|f2| + 1), f3 * f4), the other columns
passed through. This is bench/prep_tool.cpp's recipe (mloop_prep_bench).

Prints one JSON line: read seconds (pandas.read_csv, not part of the comparison), fit seconds
(Pipeline.fit, which runs fit_transform through every step but the last), transform seconds
(Pipeline.transform) and the sklearn version. Run with Debian's interpreter (python3-sklearn).
"""
import json
import sys
import time

import numpy as np
import pandas as pd
import sklearn
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (FunctionTransformer, KBinsDiscretizer, RobustScaler,
                                   StandardScaler)


def derived(x):
    x = np.asarray(x, dtype=float)
    return np.c_[x[:, 0] / (np.abs(x[:, 1]) + 1), x[:, 2] * x[:, 3]]


def pipeline(columns):
    idx = {c: i for i, c in enumerate(columns)}
    cols = lambda a, b: [idx["f%d" % i] for i in range(a, b + 1)]
    return Pipeline([
        ("impute", SimpleImputer(strategy="median")),
        ("columns", ColumnTransformer([
            ("standard", StandardScaler(), cols(1, 14)),
            ("robust", RobustScaler(), cols(15, 21)),
            ("bins", KBinsDiscretizer(n_bins=10, encode="ordinal", strategy="quantile",
                                      subsample=None), cols(22, 28)),
            ("derive", FunctionTransformer(derived), cols(1, 4)),
        ], remainder="passthrough")),
    ])


def main():
    path = sys.argv[1]
    t0 = time.perf_counter()
    df = pd.read_csv(path)
    read_s = time.perf_counter() - t0
    pipe = pipeline(list(df.columns))
    t0 = time.perf_counter()
    pipe.fit(df)
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    out = pipe.transform(df)
    transform_s = time.perf_counter() - t0
    print(json.dumps({
        "rows": len(df), "columns_in": df.shape[1], "columns_out": out.shape[1],
        "read_s": round(read_s, 4), "fit_s": round(fit_s, 4),
        "transform_s": round(transform_s, 4), "sklearn": sklearn.__version__,
    }))


if __name__ == "__main__":
    main()
