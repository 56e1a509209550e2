#!/usr/bin/env bash
# mloop's tuning samplers (bayesian, tpe, sobol, random; bench/tune_tool.cpp) beside Optuna 3.1's
# TPESampler (default settings) and RandomSampler (bench/peers/optuna_tune.py) on the same
# objectives, spaces and budgets: Branin, Hartmann 6-d, Rosenbrock 4-d ([-5, 10]^4) and XGBoost
# on the breast-cancer data (5-fold mean AUC over fixed folds, 100 rounds, nthread 1). Seeds
# 0 .. SEEDS-1 for every (objective, strategy); JOBS studies run at once (each single-threaded).
# Then the time per suggestion at 200 trials with 10 parameters (run alone), a table of
# median [q1, q3] of the best value after 25 / 50 / 100 trials and the goals
# (bench/peers/tune_summary.py).
#   bench/tune_vs_optuna.sh [BUILD_DIR]      SEEDS=10 TRIALS=100 ROUNDS=100 JOBS=2 by default
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="$(cd "${1:-$ROOT/build/release}" && pwd)"
SEEDS="${SEEDS:-10}"
TRIALS="${TRIALS:-100}"
ROUNDS="${ROUNDS:-100}"
JOBS="${JOBS:-2}"
export PEER="$ROOT/bench/peers/optuna_tune.py"
DATA="$BUILD/bench-data"
mkdir -p "$DATA"
export CSV="$DATA/breast_cancer_folds.csv"
[ -f "$CSV" ] || /usr/bin/python3 "$ROOT/bench/peers/breast_cancer_folds.py" "$CSV"

export WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
# A copy of the tool (taken under the build lock), so a rebuild during the run changes nothing.
export TOOL="$WORK/mloop_tune_bench"
flock /tmp/mloop-build.lock cp "$BUILD/bench/mloop_tune_bench" "$TOOL"  # not mid-link
export SEEDS TRIALS ROUNDS
echo "$(date -u +%FT%TZ)  $(nproc) cores  load $(cut -d' ' -f1-3 /proc/loadavg)  SEEDS=$SEEDS" \
  "TRIALS=$TRIALS ROUNDS=$ROUNDS JOBS=$JOBS" >&2

# Both sides must optimise the same function: same parameters, same mean AUC.
"$TOOL" --check --data "$CSV" --rounds "$ROUNDS" > "$WORK/check.jsonl"
/usr/bin/python3 "$PEER" --check --data "$CSV" --rounds "$ROUNDS" >> "$WORK/check.jsonl"

# One study set per line: SIDE OBJECTIVE STRATEGY (the slow ones first).
run_one() {
  local side=$1 objective=$2 strategy=$3 out="$WORK/study_$1_$2_$3.jsonl" t0
  t0=$(date +%s)
  if [ "$side" = mloop ]; then
    "$TOOL" --objective "$objective" --strategy "$strategy" --seeds "$SEEDS" \
      --trials "$TRIALS" --data "$CSV" --rounds "$ROUNDS" > "$out"
  else
    /usr/bin/python3 "$PEER" --objective "$objective" --sampler "$strategy" --seeds "$SEEDS" \
      --trials "$TRIALS" --data "$CSV" --rounds "$ROUNDS" > "$out"
  fi
  echo "  $side $objective $strategy: $(($(date +%s) - t0)) s" >&2
}
export -f run_one
{
  for o in xgboost hartmann6 branin rosenbrock4; do echo "mloop $o bayesian"; done
  for s in "optuna tpe" "optuna random" "mloop tpe" "mloop random" "mloop sobol"; do
    echo "${s% *} xgboost ${s#* }"
  done
  for o in hartmann6 branin rosenbrock4; do
    for s in "optuna tpe" "optuna random" "mloop tpe" "mloop random" "mloop sobol"; do
      echo "${s% *} $o ${s#* }"
    done
  done
} > "$WORK/jobs.txt"
start=$(date +%s)
xargs -P "$JOBS" -L 1 bash -c 'run_one "$@"' _ < "$WORK/jobs.txt"
echo "studies: $(($(date +%s) - start)) s" >&2

# Time per suggestion, nothing else of ours running.
"$TOOL" --suggest-timing --strategy bayesian --trials 200 --params 10 > "$WORK/timing.jsonl"
# For information: the same with glibc's heap trimming off (the GP's temporaries are then not
# returned to the kernel and faulted in again at every likelihood evaluation).
GLIBC_TUNABLES=glibc.malloc.trim_threshold=1073741824:glibc.malloc.top_pad=67108864:glibc.malloc.mmap_threshold=1073741824 \
  "$TOOL" --suggest-timing --strategy bayesian --trials 200 --params 10 |
  sed 's/"side":"mloop"/"side":"mloop","variant":"glibc heap trim off"/' >> "$WORK/timing.jsonl"
"$TOOL" --suggest-timing --strategy tpe --trials 200 --params 10 >> "$WORK/timing.jsonl"
/usr/bin/python3 "$PEER" --suggest-timing --sampler tpe --trials 200 --params 10 \
  >> "$WORK/timing.jsonl"

cat "$WORK"/check.jsonl "$WORK"/study_*.jsonl "$WORK"/timing.jsonl > "$WORK/all.jsonl"
if [ -n "${KEEP:-}" ]; then cp "$WORK/all.jsonl" "$KEEP"; fi
/usr/bin/python3 "$ROOT/bench/peers/tune_summary.py" "$WORK/all.jsonl"
