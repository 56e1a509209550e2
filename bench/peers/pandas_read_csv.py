#!/usr/bin/python3
"""The peer of the ingest benchmark: pandas.read_csv on the same file, default settings.

Prints one JSON line: seconds, rows, columns, in-memory bytes and peak RSS (KB).
Run with Debian's interpreter, which sees python3-pandas: /usr/bin/python3 ... FILE
"""
import json
import resource
import sys
import time

import pandas as pd


def main():
    path = sys.argv[1]
    t0 = time.perf_counter()
    df = pd.read_csv(path)
    seconds = time.perf_counter() - t0
    print(json.dumps({
        "seconds": round(seconds, 4),
        "rows": len(df),
        "columns": df.shape[1],
        "memory_bytes": int(df.memory_usage(deep=True).sum()),
        "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "pandas": pd.__version__,
    }))


if __name__ == "__main__":
    main()
