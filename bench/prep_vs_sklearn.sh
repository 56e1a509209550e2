#!/usr/bin/env bash
# Recipes beside scikit-learn: fit + transform of the same preprocessing on the same file
# (1,000,000 x 29 numbers): median impute everything, standard-scale 14 columns, robust-scale 7,
# 10 quantile bins on 7, two derived columns. mloop: bench/prep_tool.cpp (Recipe::Fit with the
# transformed training table, then FittedRecipe::Transform); Python: bench/peers/prep_sklearn.py
# (Pipeline.fit, then Pipeline.transform). Reading the CSV is left out on both sides.
#   bench/prep_vs_sklearn.sh [BUILD_DIR]      ROWS=1000000 ROUNDS=3 THREADS=0 (all cores)
# Prints each round, then the medians and the ratios.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="$(cd "${1:-$ROOT/build/release}" && pwd)"
ROWS="${ROWS:-1000000}"
ROUNDS="${ROUNDS:-3}"
THREADS="${THREADS:-0}"
DATA="$BUILD/bench-data"
mkdir -p "$DATA"
CSV="$DATA/numeric_${ROWS}x29.csv"
[ -f "$CSV" ] || /usr/bin/python3 "$ROOT/bench/gen_numeric_csv.py" "$CSV" "$ROWS"
cat "$CSV" > /dev/null  # both sides read from the page cache

RESULTS="$(mktemp)"
trap 'rm -f "$RESULTS"' EXIT
for round in $(seq "$ROUNDS"); do
  py=$(/usr/bin/python3 "$ROOT/bench/peers/prep_sklearn.py" "$CSV")
  ml=$("$BUILD/bench/mloop_prep_bench" "$CSV" "$THREADS")
  echo "{\"round\": $round, \"sklearn\": $py, \"mloop\": $ml}" | tee -a "$RESULTS"
done

/usr/bin/python3 - "$RESULTS" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
med = lambda side, key: statistics.median(r[side][key] for r in rows)
sk_fit, sk_tr = med("sklearn", "fit_s"), med("sklearn", "transform_s")
ml_fit, ml_tr = med("mloop", "fit_s"), med("mloop", "transform_s")
print()
print(f"scikit-learn {rows[0]['sklearn']['sklearn']}: fit {sk_fit:7.3f} s   transform {sk_tr:7.3f} s"
      f"   total {sk_fit + sk_tr:7.3f} s")
print(f"mloop recipe:        fit {ml_fit:7.3f} s   transform {ml_tr:7.3f} s"
      f"   total {ml_fit + ml_tr:7.3f} s")
print(f"ratio (sklearn / mloop): fit {sk_fit / ml_fit:5.1f}x   transform {sk_tr / ml_tr:5.1f}x"
      f"   fit + transform {(sk_fit + sk_tr) / (ml_fit + ml_tr):5.1f}x")
PY
