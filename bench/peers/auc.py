#!/usr/bin/python3
"""AUC of two prediction files on the same test set: mloop's `predict` CSV and the Python peer's
model scored here. Usage: auc.py TEST_CSV MLOOP_PREDICTIONS_CSV PYTHON_MODEL_JSON"""
import json
import sys

import pandas as pd
import xgboost as xgb
from sklearn.metrics import roc_auc_score

test = pd.read_csv(sys.argv[1])
y = test.pop("label")
mloop = pd.read_csv(sys.argv[2])["probability"].to_numpy()
b = xgb.Booster()
b.load_model(sys.argv[3])
py = b.predict(xgb.DMatrix(test))
print(json.dumps({"auc_mloop": roc_auc_score(y, mloop), "auc_python": roc_auc_score(y, py),
                  "max_abs_prediction_difference": float(abs(mloop - py).max())}))
