#!/usr/bin/python3
"""Writes the training benchmark's data: ROWS x 28 numeric features plus a binary `label`.

The label comes from a fixed nonlinear function of the features plus noise, so boosted trees
have something to learn. Deterministic (seeded). Usage:
  /usr/bin/python3 bench/gen_classification_csv.py OUT ROWS SEED
"""
import sys

import numpy as np


def main():
    out, rows, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rng = np.random.default_rng(seed)
    with open(out, "w") as f:
        f.write(",".join(f"f{i}" for i in range(1, 29)) + ",label\n")
        block = 100_000
        for start in range(0, rows, block):
            n = min(block, rows - start)
            x = rng.normal(0.0, 1.0, size=(n, 28))
            z = (1.5 * x[:, 0] - 2.0 * x[:, 1] * x[:, 2] + np.sin(3 * x[:, 3]) + 0.8 * x[:, 4] ** 2
                 - 0.5 * x[:, 5] + 0.3 * x[:, 6:12].sum(axis=1) + rng.normal(0, 1.0, size=n))
            y = (z > 0.5).astype(np.int64)
            np.savetxt(f, np.hstack([x, y.reshape(-1, 1)]), delimiter=",",
                       fmt=["%.6f"] * 28 + ["%d"])


if __name__ == "__main__":
    main()
