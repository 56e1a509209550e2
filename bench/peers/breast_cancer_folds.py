#!/usr/bin/python3
"""Writes scikit-learn's breast-cancer data (569 x 30, binary) to a CSV with a fixed `fold`
column (StratifiedKFold(5, shuffle=True, random_state=0)), so that mloop_tune_bench and
optuna_tune.py cross-validate XGBoost on exactly the same five folds.
Columns: f0 .. f29, label (0 malignant, 1 benign, as sklearn), fold (0 .. 4).
Usage: breast_cancer_folds.py OUT_CSV
"""
import sys

import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import StratifiedKFold


def main():
    x, y = load_breast_cancer(return_X_y=True)
    fold = np.zeros(len(y), dtype=int)
    for k, (_, test) in enumerate(StratifiedKFold(5, shuffle=True, random_state=0).split(x, y)):
        fold[test] = k
    with open(sys.argv[1], "w") as out:
        out.write(",".join([f"f{j}" for j in range(x.shape[1])] + ["label", "fold"]) + "\n")
        for row, label, k in zip(x, y, fold):
            out.write(",".join(repr(float(v)) for v in row) + f",{int(label)},{int(k)}\n")


if __name__ == "__main__":
    main()
