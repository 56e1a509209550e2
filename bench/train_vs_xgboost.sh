#!/usr/bin/env bash
# `mloop train FILE` (CSV file -> imported dataset -> trained, saved model) beside Python's
# pandas.read_csv + DMatrix + xgb.train + save_model, identical parameters (hist, depth 8,
# eta 0.1, 100 rounds, 2 threads), interleaved rounds; then AUC of both on a held-out test file.
#   bench/train_vs_xgboost.sh [BUILD_DIR]      ROWS=1000000 ROUNDS=2 by default
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="$(cd "${1:-$ROOT/build/release}" && pwd)"
ROWS="${ROWS:-1000000}"
ROUNDS="${ROUNDS:-2}"
MLOOP="$BUILD/apps/mloop/mloop"
DATA="$BUILD/bench-data"
mkdir -p "$DATA"
TRAIN="$DATA/classification_${ROWS}x28.csv"
TEST="$DATA/classification_test_200000x28.csv"
[ -f "$TRAIN" ] || /usr/bin/python3 "$ROOT/bench/gen_classification_csv.py" "$TRAIN" "$ROWS" 1
[ -f "$TEST" ] || /usr/bin/python3 "$ROOT/bench/gen_classification_csv.py" "$TEST" 200000 2
cat "$TRAIN" > /dev/null

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
"$MLOOP" init "$WORK/ws" > /dev/null
PARAMS=(--param tree_method=hist --param max_depth=8 --param eta=0.1 --param num_boost_round=100
        --param nthread=2)
for round in $(seq "$ROUNDS"); do
  py=$(/usr/bin/python3 "$ROOT/bench/peers/xgboost_train.py" "$TRAIN" "$WORK/py_model.json")
  start=$(date +%s.%N)
  # One command, CSV file to saved model (the file is imported as a dataset on the way).
  "$MLOOP" -w "$WORK/ws" --threads 2 train "$TRAIN" --target label --split none -q \
    "${PARAMS[@]}" > /dev/null
  end=$(date +%s.%N)
  ml=$(echo "$end - $start" | bc)
  echo "{\"round\": $round, \"python\": $py, \"mloop_seconds\": $ml}" | tee -a "$WORK/results.jsonl"
done
last_run=$("$MLOOP" -w "$WORK/ws" runs list --json | /usr/bin/python3 -c \
  'import json,sys; print(json.load(sys.stdin)[0]["id"])')
"$MLOOP" -w "$WORK/ws" predict "$last_run" --data "$TEST" -o "$WORK/mloop_test.csv" > /dev/null
auc=$(/usr/bin/python3 "$ROOT/bench/peers/auc.py" "$TEST" "$WORK/mloop_test.csv" "$WORK/py_model.json")
echo "$auc"
/usr/bin/python3 - "$WORK/results.jsonl" "$auc" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
auc = json.loads(sys.argv[2])
py = statistics.median(r["python"]["seconds"] for r in rows)
ml = statistics.median(r["mloop_seconds"] for r in rows)
print(f"\nPython (pandas + xgboost {rows[0]['python']['xgboost']})  {py:8.2f} s")
print(f"mloop train FILE                {ml:8.2f} s   -> {ml/py:.2f} of Python's time")
print(f"test AUC: mloop {auc['auc_mloop']:.6f}, Python {auc['auc_python']:.6f}, "
      f"difference {abs(auc['auc_mloop']-auc['auc_python']):.2e}")
PY
