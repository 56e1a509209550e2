#!/usr/bin/python3
"""Batch transform the Python way, the peer of `mloop transform`: pandas.read_csv of the whole
file, xgboost's Booster.inplace_predict on every core, DataFrame.to_csv of the predictions
(`prediction`, the class label by the 0.5 threshold, and `probability`, as mloop writes them).

  /usr/bin/python3 bench/peers/pandas_xgboost_transform.py MODEL_JSON INPUT_CSV OUTPUT_CSV [THREADS] [join]

With `join`, the output is every input column with the two prediction columns appended (what
`mloop transform --join-source Input` writes: predictions kept beside their records).

MODEL_JSON is the XGBoost model of an mloop bundle (`mloop models export`: model.json); its
feature names pick the columns. THREADS: 0 (default) = every core. Prints one JSON line with the
seconds of each step and the library versions.
"""
import json
import os
import sys
import time

import numpy as np
import pandas as pd
import xgboost as xgb


def main():
    model_path, input_path, output_path = sys.argv[1], sys.argv[2], sys.argv[3]
    threads = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    join = len(sys.argv) > 5 and sys.argv[5] == "join"
    threads = threads or os.cpu_count()
    booster = xgb.Booster()
    booster.load_model(model_path)
    booster.set_param({"nthread": threads})
    t0 = time.perf_counter()
    df = pd.read_csv(input_path)
    t1 = time.perf_counter()
    names = booster.feature_names or [c for c in df.columns if c != "label"]
    x = df[names].to_numpy(dtype=np.float32)
    probability = booster.inplace_predict(x)
    t2 = time.perf_counter()
    prediction = (probability > 0.5).astype(np.int64)
    if join:
        out = df.assign(prediction=prediction, probability=probability)
    else:
        out = pd.DataFrame({"prediction": prediction, "probability": probability})
    out.to_csv(output_path, index=False)
    t3 = time.perf_counter()
    print(json.dumps({"read_s": t1 - t0, "predict_s": t2 - t1, "write_s": t3 - t2,
                      "seconds": t3 - t0, "rows": len(df), "pandas": pd.__version__,
                      "xgboost": xgb.__version__}))


if __name__ == "__main__":
    main()
