#!/usr/bin/python3
"""The peer of the profile benchmark: what pandas users run to profile a numeric table.

After pandas.read_csv (timed separately, not part of the compared figure), the compute:
df.describe() (count, mean, std, min, quartiles, max), a 20-bin numpy.histogram of every column
and df.corr() (Pearson). mloop's profile computes all of that and more (p1..p99, skewness,
kurtosis, distinct counts, top values, Spearman, duplicate rows, alerts).

Prints one JSON line: read and compute seconds (best of ROUNDS) and the table's shape.
Run with Debian's interpreter, which sees python3-pandas:
    /usr/bin/python3 bench/peers/profile_pandas.py FILE [ROUNDS]
"""
import json
import sys
import time

import numpy as np
import pandas as pd


def compute(df):
    describe = df.describe()
    histograms = {c: np.histogram(df[c].dropna().to_numpy(), bins=20) for c in df.columns}
    corr = df.corr(method="pearson")
    return describe, histograms, corr


def main():
    path = sys.argv[1]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    t0 = time.perf_counter()
    df = pd.read_csv(path)
    read_s = time.perf_counter() - t0
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        compute(df)
        times.append(time.perf_counter() - t0)
    times.sort()
    print(json.dumps({
        "read_seconds": round(read_s, 4),
        "compute_seconds": round(times[0], 4),
        "compute_median_seconds": round(times[len(times) // 2], 4),
        "rounds": rounds,
        "rows": len(df),
        "columns": df.shape[1],
        "pandas": pd.__version__,
    }))


if __name__ == "__main__":
    main()
