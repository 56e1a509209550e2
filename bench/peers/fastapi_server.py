#!/usr/bin/python3
"""The Python peer of `mloop serve`: an XGBoost model behind FastAPI, served the way MLflow,
BentoML and SageMaker's XGBoost container serve one (GET /ping, POST /invocations text/csv).

  MODEL_JSON=model.json /usr/bin/python3 -m uvicorn fastapi_server:app \
      --app-dir bench/peers --port 18101 --workers 2 --loop uvloop --http httptools --no-access-log

MODEL_JSON is an XGBoost JSON model file (`mloop models export` writes one as model.json).
POST /invocations takes a text/csv body of one or more headerless records of numeric features in
the model's input order (an empty field is a missing value) and answers text/csv, one line per
record: the probability of the positive class for a binary model (the prediction for regression;
the class probabilities, comma-separated, for a multiclass model). Prediction is
Booster.inplace_predict on a float32 numpy array, Python xgboost's fastest path, with one thread
per worker (uvicorn's --workers are the parallelism). Used by bench/serve_vs_fastapi.sh.
"""
import math
import os

import numpy as np
import xgboost as xgb
from fastapi import FastAPI, Request
from fastapi.responses import Response

MODEL_PATH = os.environ.get("MODEL_JSON", "model.json")

booster = xgb.Booster(model_file=MODEL_PATH)
booster.set_param({"nthread": 1})
NUM_FEATURES = booster.num_features()

app = FastAPI()


# pandas' read_csv default missing-value tokens (mloop's default since bundle format 3).
MISSING_TOKENS = {b"", b"#N/A", b"#N/A N/A", b"#NA", b"-1.#IND", b"-1.#QNAN", b"-NaN", b"-nan",
                  b"1.#IND", b"1.#QNAN", b"<NA>", b"N/A", b"NA", b"NULL", b"NaN", b"None", b"n/a",
                  b"nan", b"null"}

def parse_csv(body: bytes) -> np.ndarray:
    """Headerless CSV records -> float32 matrix (records x features); raises ValueError."""
    lines = [line for line in body.replace(b"\r", b"").split(b"\n") if line.strip()]
    if not lines:
        raise ValueError("empty body: expected one or more CSV records")
    # Fast path: every field present and numeric (numpy parses the whole body at once).
    flat = np.fromstring(b",".join(lines), dtype=np.float32, sep=",")
    if flat.size == len(lines) * NUM_FEATURES and all(
            line.count(b",") == NUM_FEATURES - 1 for line in lines):
        return flat.reshape(len(lines), NUM_FEATURES)
    # General path: empty fields (and pandas' other missing-value tokens, as mloop reads them)
    # are missing values.
    rows = []
    for i, line in enumerate(lines, 1):
        fields = line.split(b",")
        if len(fields) != NUM_FEATURES:
            raise ValueError(f"record {i}: {len(fields)} fields, expected {NUM_FEATURES}")
        row = []
        for field in fields:
            field = field.strip()
            row.append(math.nan if field in MISSING_TOKENS else float(field))
        rows.append(row)
    return np.asarray(rows, dtype=np.float32)


@app.get("/ping")
async def ping() -> Response:
    return Response(content="\n", media_type="text/plain")


@app.post("/invocations")
async def invocations(request: Request) -> Response:
    content_type = request.headers.get("content-type", "text/csv")
    if not content_type.startswith("text/csv"):
        return Response(content=f"unsupported content type {content_type}: send text/csv\n",
                        status_code=415, media_type="text/plain")
    try:
        x = parse_csv(await request.body())
    except ValueError as e:
        return Response(content=f"{e}\n", status_code=400, media_type="text/plain")
    pred = booster.inplace_predict(x)
    if pred.ndim == 1:
        text = "\n".join(map(repr, pred.tolist()))
    else:
        text = "\n".join(",".join(map(repr, row)) for row in pred.tolist())
    return Response(content=text + "\n", media_type="text/csv")
