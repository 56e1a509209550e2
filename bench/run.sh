#!/usr/bin/env bash
# Benchmarks, side by side with the peers, in one run (never as timed assertions in tests).
#   bench/run.sh [BUILD_DIR]            micro benchmarks + ingest vs pandas (1,000,000 x 29)
#   ROWS=200000 ROUNDS=3 bench/run.sh   a smaller or longer run
# Prints each measurement and the ratios; copy the summary into bench/RESULTS.md with the date
# and the machine.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="$(cd "${1:-$ROOT/build/release}" && pwd)"
ROWS="${ROWS:-1000000}"
ROUNDS="${ROUNDS:-3}"
DATA="$BUILD/bench-data"
mkdir -p "$DATA"
CSV="$DATA/numeric_${ROWS}x29.csv"

echo "== micro benchmarks"
"$BUILD/bench/mloop_bench" --benchmark_min_time=0.2

if [ ! -f "$CSV" ]; then
  echo "== generating $CSV"
  /usr/bin/python3 "$ROOT/bench/gen_numeric_csv.py" "$CSV" "$ROWS"
fi
echo "== ingest: $(basename "$CSV") ($(du -h "$CSV" | cut -f1)), $ROUNDS interleaved rounds"
cat "$CSV" > /dev/null  # both sides read from the page cache

WS="$(mktemp -d)"
trap 'rm -rf "$WS"' EXIT
"$BUILD/apps/mloop/mloop" init "$WS/ws" > /dev/null
RESULTS="$WS/results.jsonl"
for round in $(seq "$ROUNDS"); do
  pandas=$(/usr/bin/python3 "$ROOT/bench/peers/pandas_read_csv.py" "$CSV")
  steps=$("$BUILD/bench/mloop_ingest_bench" "$CSV")
  # The whole `mloop data import`: parse, snapshot, SHA-256, metadata. A new name each round so
  # that every round stores (identical content under one name would be deduplicated).
  import_s=$( { /usr/bin/time -f "%e %M" "$BUILD/apps/mloop/mloop" -w "$WS/ws" data import "$CSV" \
      --name "bench$round" > /dev/null; } 2>&1 | tail -1)
  echo "{\"round\": $round, \"pandas\": $pandas, \"mloop\": $steps, \"import\": \"$import_s\"}" \
    | tee -a "$RESULTS"
done

/usr/bin/python3 - "$RESULTS" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
med = lambda xs: statistics.median(xs)
pandas = med([r["pandas"]["seconds"] for r in rows])
parse = med([r["mloop"]["parse_s"] for r in rows])
load = med([r["mloop"]["snapshot_load_s"] for r in rows])
imp = med([float(r["import"].split()[0]) for r in rows])
imp_rss = med([int(r["import"].split()[1]) for r in rows])
col_bytes = rows[0]["mloop"]["column_bytes"]
pandas_rss = med([r["pandas"]["peak_rss_kb"] for r in rows])
print()
print(f"pandas.read_csv             {pandas:8.3f} s   peak RSS {pandas_rss/1024:7.0f} MB")
print(f"mloop CSV parse             {parse:8.3f} s   -> {pandas/parse:5.1f}x faster than pandas")
print(f"mloop data import (all)     {imp:8.3f} s   -> {pandas/imp:5.1f}x faster than pandas"
      f"   peak RSS {imp_rss/1024:7.0f} MB = {imp_rss*1024/col_bytes:4.2f}x the columns"
      f" ({col_bytes/2**20:.0f} MiB)")
print(f"mloop snapshot load         {load:8.3f} s   -> {parse/load:5.1f}x faster than parsing the CSV")
PY
