#!/usr/bin/env python3
"""Writes the ingest benchmark's input: ROWS x 29 numeric CSV (default 1,000,000 rows, ~300 MB).

Deterministic (seeded). Columns: id (int) and f1..f28 (floats with 8 decimals, some negative).
Run with Debian's interpreter: /usr/bin/python3 bench/gen_numeric_csv.py OUT [ROWS]
"""
import sys

import numpy as np


def main():
    out = sys.argv[1]
    rows = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    rng = np.random.default_rng(20261126)
    header = "id," + ",".join(f"f{i}" for i in range(1, 29))
    with open(out, "w") as f:
        f.write(header + "\n")
        block = 100_000
        for start in range(0, rows, block):
            n = min(block, rows - start)
            values = rng.normal(0.0, 10.0, size=(n, 28))
            ids = np.arange(start, start + n).reshape(-1, 1)
            data = np.hstack([ids, values])
            np.savetxt(f, data, delimiter=",", fmt=["%d"] + ["%.8f"] * 28)


if __name__ == "__main__":
    main()
