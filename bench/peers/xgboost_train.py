#!/usr/bin/python3
"""The peer of the training benchmark: what a Python user runs to train XGBoost on a CSV file.

pandas.read_csv + DMatrix + xgb.train (hist, depth 8, eta 0.1, 100 rounds, 2 threads) + save.
Prints one JSON line with the wall time. Usage: xgboost_train.py TRAIN_CSV MODEL_OUT
"""
import json
import sys
import time

import pandas as pd
import xgboost as xgb

PARAMS = {"objective": "binary:logistic", "tree_method": "hist", "max_depth": 8, "eta": 0.1,
          "nthread": 2, "seed": 42}


def main():
    t0 = time.perf_counter()
    df = pd.read_csv(sys.argv[1])
    y = df.pop("label")
    d = xgb.DMatrix(df, label=y, nthread=2)
    booster = xgb.train(PARAMS, d, num_boost_round=100)
    booster.save_model(sys.argv[2])
    print(json.dumps({"seconds": round(time.perf_counter() - t0, 3), "xgboost": xgb.__version__}))


if __name__ == "__main__":
    main()
