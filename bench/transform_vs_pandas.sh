#!/usr/bin/env bash
# Batch transform beside Python: `mloop transform` on a CSV file against pandas.read_csv +
# xgboost's Booster.inplace_predict (every core) + DataFrame.to_csv
# (bench/peers/pandas_xgboost_transform.py, always /usr/bin/python3), the same model on both
# sides: XGBoost, 100 trees of depth 8, trained by mloop on the file itself and exported.
#
#   bench/transform_vs_pandas.sh [BUILD_DIR]     ROWS=1000000 ROUNDS=3 THREADS=0 BIG=3 JOIN=0
#
# JOIN=1: both sides write every input record with its prediction (mloop `--join-source Input`,
# the peer DataFrame.assign + to_csv of all 31 columns), the way predictions are usually kept.
#
# Each round runs the Python peer and then mloop, each as one whole command (start-up, loading
# the model, reading, predicting, writing) measured with `/usr/bin/time -f "%e %M"` (wall
# seconds, max RSS); the rounds are interleaved and each holds MLOOP_BUILD_LOCK
# (/tmp/mloop-build.lock; empty: no lock), so that a build of the project does not run in the
# middle of one. Then mloop alone on an input BIG times larger (the file repeated) to show that
# its memory does not grow with the input, and both outputs compared: the largest difference of
# the probabilities over all rows and the count of differing labels. Prints every run, the
# medians and the ratios. THREADS: mloop's --threads and the peer's nthread (0: every core).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="$(cd "${1:-$ROOT/build/release}" && pwd)"
ROWS="${ROWS:-1000000}"
ROUNDS="${ROUNDS:-3}"
THREADS="${THREADS:-0}"
BIG="${BIG:-3}"
JOIN="${JOIN:-0}"
PEER_JOIN=()
MLOOP_JOIN=()
if [ "$JOIN" = 1 ]; then
  PEER_JOIN=(join)
  MLOOP_JOIN=(--join-source Input)
fi
LOCK="${MLOOP_BUILD_LOCK-/tmp/mloop-build.lock}"
unset MLOOP_BUILD_LOCK # mloop refuses MLOOP_* variables it does not know
BENCH=transform_vs_pandas
# lock, unlock, stop, served, load1, loadavg
source "$ROOT/bench/lib.sh"
MLOOP="$BUILD/apps/mloop/mloop"
PY=/usr/bin/python3
DATA="$BUILD/bench-data"
mkdir -p "$DATA"
CSV="$DATA/classification_${ROWS}x28.csv"
[ -f "$CSV" ] || "$PY" "$ROOT/bench/gen_classification_csv.py" "$CSV" "$ROWS" 1

WORK="$(mktemp -d /tmp/mloop-transform-bench.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT

echo "Batch transform benchmark: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores," \
  "$(lscpu | sed -n 's/^Model name: *//p' | head -1)"
[ "$JOIN" = 1 ] && echo "JOIN=1: both sides write each input record with its prediction"
echo "input: $(basename "$CSV") ($ROWS rows x 28 features + label, $(du -h "$CSV" | cut -f1))"

# ---- the model: trained by mloop on the file, registered, exported for Python --------------------
"$MLOOP" init "$WORK/ws" > /dev/null
lock
"$MLOOP" -w "$WORK/ws" train "$CSV" --target label --split none -q --param num_boost_round=100 \
  --param max_depth=8 > /dev/null
unlock
"$MLOOP" -w "$WORK/ws" models register 1 --name bench > /dev/null
"$MLOOP" -w "$WORK/ws" models export bench/1 --output "$WORK/model" > /dev/null
echo "model: bench/1, xgboost 100 trees depth 8 (trained by mloop on the input), $WORK/model/model.json for Python"
cat "$CSV" > /dev/null  # both sides read from the page cache

# ---- interleaved rounds -------------------------------------------------------------------------
timed() { # log-file command... -> "seconds max_rss_kb" (the command's output in log-file)
  local log="$1"
  shift
  /usr/bin/time -f "%e %M" -o "$log.time" "$@" > "$log" 2>&1
  tail -1 "$log.time"
}
RESULTS="$WORK/results.txt"
: > "$RESULTS"
printf '%-6s %-30s %10s %12s\n' round side seconds "max RSS MB"
for round in $(seq "$ROUNDS"); do
  lock
  py=$(timed "$WORK/py.log" "$PY" "$ROOT/bench/peers/pandas_xgboost_transform.py" \
    "$WORK/model/model.json" "$CSV" "$WORK/py.csv" "$THREADS" "${PEER_JOIN[@]}")
  ml=$(timed "$WORK/ml.log" "$MLOOP" -w "$WORK/ws" --threads "$THREADS" transform -m bench/1 \
    -i "$CSV" -o "$WORK/ml.csv" -q "${MLOOP_JOIN[@]}")
  unlock
  echo "$round python $py" >> "$RESULTS"
  echo "$round mloop $ml" >> "$RESULTS"
  printf '%-6s %-30s %10s %12.0f\n' "$round" "pandas + xgboost (python)" "${py% *}" "$(echo "${py#* } / 1024" | bc -l)"
  printf '%-6s %-30s %10s %12.0f\n' "$round" "mloop transform" "${ml% *}" "$(echo "${ml#* } / 1024" | bc -l)"
  sed -n 1p "$WORK/py.log" | sed 's/^/       python steps: /'
  grep -h "Time:" "$WORK/ml.log" | sed 's/^/       mloop: /'
done

# ---- memory on a larger input --------------------------------------------------------------------
BIGCSV="$WORK/big.csv"
cp "$CSV" "$BIGCSV"
for _ in $(seq 2 "$BIG"); do tail -n +2 "$CSV" >> "$BIGCSV"; done
cat "$BIGCSV" > /dev/null
lock
big=$(timed "$WORK/big.log" "$MLOOP" -w "$WORK/ws" --threads "$THREADS" transform -m bench/1 \
  -i "$BIGCSV" -o "$WORK/big_out.csv" -q "${MLOOP_JOIN[@]}")
unlock
rm -f "$BIGCSV" "$WORK/big_out.csv"

# ---- summary -------------------------------------------------------------------------------------
"$PY" - "$RESULTS" "$WORK/py.csv" "$WORK/ml.csv" "$ROWS" "$BIG" "$big" <<'PY'
import statistics, sys
import numpy as np
import pandas as pd

results, py_csv, ml_csv, rows, big, big_run = sys.argv[1:7]
runs = {"python": [], "mloop": []}
for line in open(results):
    _, side, seconds, rss = line.split()
    runs[side].append((float(seconds), int(rss)))
med = lambda side, i: statistics.median(r[i] for r in runs[side])
py_s, ml_s = med("python", 0), med("mloop", 0)
py_m, ml_m = med("python", 1) / 1024, med("mloop", 1) / 1024
big_s, big_kb = big_run.split()
print()
print(f"medians of {len(runs['mloop'])} rounds, {int(rows):,} rows:")
print(f"  pandas + xgboost (python)  {py_s:7.2f} s  {py_m:7.0f} MB")
print(f"  mloop transform            {ml_s:7.2f} s  {ml_m:7.0f} MB")
print(f"  ratio (python / mloop)     {py_s / ml_s:7.1f}x  {py_m / ml_m:6.1f}x less memory")
print(f"mloop transform on {int(big)}x the rows ({int(big) * int(rows):,}): {float(big_s):.2f} s, "
      f"max RSS {int(big_kb) / 1024:.0f} MB (1x: {ml_m:.0f} MB)")
a = pd.read_csv(py_csv)
b = pd.read_csv(ml_csv)
assert len(a) == len(b) == int(rows), (len(a), len(b))
diff = np.abs(a["probability"].to_numpy(np.float64) - b["probability"].to_numpy(np.float64))
labels = int((a["prediction"].astype(str) != b["prediction"].astype(str)).sum())
print(f"agreement over {len(a):,} rows: max |probability difference| {diff.max():.3g} "
      f"(row {int(diff.argmax()) + 1}), labels differing: {labels}")
PY
