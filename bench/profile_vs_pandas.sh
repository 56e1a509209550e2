#!/usr/bin/env bash
# `mloop profile` beside pandas on the same 1,000,000 x 29 numeric table (never as timed
# assertions in tests).
#   bench/profile_vs_pandas.sh [BUILD_DIR]          ROWS=1000000 ROUNDS=3 by default
#
# pandas (bench/peers/profile_pandas.py): after read_csv, df.describe() + a 20-bin
# numpy.histogram per column + df.corr() (Pearson), best of ROUNDS.
# mloop, on the dataset imported once:
#   - `mloop profile NAME --json`: the whole command (load the snapshot, profile, store the
#     profile JSON, print it), timed from outside, and the profile's own compute time
#     ("seconds"); the profile also has p1..p99, skewness, kurtosis, distinct counts, top
#     values, Spearman, duplicate rows and alerts;
#   - bench/mloop_profile_bench: ComputeProfile alone, in one process, best of ROUNDS.
# Prints each measurement and the ratios (pandas compute / mloop).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="$(cd "${1:-$ROOT/build/release}" && pwd)"
ROWS="${ROWS:-1000000}"
ROUNDS="${ROUNDS:-3}"
MLOOP="$BUILD/apps/mloop/mloop"
DATA="$BUILD/bench-data"
mkdir -p "$DATA"
CSV="$DATA/numeric_${ROWS}x29.csv"
[ -f "$CSV" ] || /usr/bin/python3 "$ROOT/bench/gen_numeric_csv.py" "$CSV" "$ROWS"
cat "$CSV" > /dev/null  # both sides read from the page cache

WS="$(mktemp -d)"
trap 'rm -rf "$WS"' EXIT
"$MLOOP" init "$WS/ws" > /dev/null
"$MLOOP" -w "$WS/ws" data import "$CSV" --name numeric > /dev/null

echo "== pandas: describe + histograms + corr ($ROUNDS rounds after one read_csv)"
pandas=$(/usr/bin/python3 "$ROOT/bench/peers/profile_pandas.py" "$CSV" "$ROUNDS")
echo "$pandas"

echo "== mloop profile numeric --json ($ROUNDS rounds)"
RESULTS="$WS/mloop.jsonl"
for round in $(seq "$ROUNDS"); do
  start=$(date +%s.%N)
  "$MLOOP" -w "$WS/ws" profile numeric --json > "$WS/profile.json"
  end=$(date +%s.%N)
  compute=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["seconds"])' \
    "$WS/profile.json")
  command=$(awk "BEGIN { printf \"%.4f\", $end - $start }")
  echo "{\"round\": $round, \"command_seconds\": $command, \"compute_seconds\": $compute}" \
    | tee -a "$RESULTS"
done

echo "== ComputeProfile in one process (mloop_profile_bench, $ROUNDS rounds)"
inproc=$("$BUILD/bench/mloop_profile_bench" "$CSV" "$ROUNDS")
echo "$inproc"

/usr/bin/python3 - "$RESULTS" "$pandas" "$inproc" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
pandas = json.loads(sys.argv[2])
inproc = json.loads(sys.argv[3])
py = pandas["compute_seconds"]
command = min(r["command_seconds"] for r in rows)
compute = min(r["compute_seconds"] for r in rows)
best = inproc["profile_seconds"]
print()
print(f"pandas describe + hist + corr        {py:8.3f} s")
print(f"mloop profile (whole command)        {command:8.3f} s   -> {py/command:5.1f}x faster")
print(f"mloop profile (compute, in command)  {compute:8.3f} s   -> {py/compute:5.1f}x faster")
print(f"ComputeProfile (warm, in process)    {best:8.3f} s   -> {py/best:5.1f}x faster")
PY
