# Shared pieces of the benchmark scripts (bench/*.sh). Source it after setting BENCH (the
# script's name, for messages) and LOCK (the build lock's path; empty: no lock):
#   BENCH=serve_vs_fastapi; LOCK=...; source "$ROOT/bench/lib.sh"
# lock / unlock    hold MLOOP_BUILD_LOCK around a measurement, so that a build of the project
#                  does not run in the middle of one (waits up to 30 min, then goes on)
# stop PID         SIGTERM, then SIGKILL if it has not exited in 40 s (mloop serve drains up to
#                  30 s); waits for it
# served PORT PATH 8 fresh connections one after another, each answered within a second: wrk
#                  does not notice connections that never get an answer (a stalled event loop)
# load1, loadavg   the 1-minute load average; all three
# wait_for_quiet   waits (30 s at a time, MAX_WAIT s at most) until load1 <= MAX_LOAD; 1 when
#                  it gave up
# run_wrk PORT URL SCRIPT SECONDS   wrk -tWRK_THREADS -cCONNECTIONS --latency (SCRIPT - : none)
# parse_wrk FILE   wrk's output -> "requests/s p99_ms non2xx socket_errors(total) (detail|-)"
# serving_model    the serving benchmarks' model and request (needs MLOOP, PY, ROOT, WORK, ROWS,
#                  ROW): ROWS rows of bench/gen_classification_csv.py in WORK/data.csv, a
#                  workspace WORK/ws (`ml` runs mloop on it, `jget KEY` reads a JSON field), an
#                  XGBoost model (100 rounds, depth 8, eta 0.1) registered as bench/MODEL_VERSION
#                  with alias production; BODY=WORK/body.csv holds data row ROW without its label
#                  in the model's input order, WORK/body_with_header.csv the same with a header

LOCK_FD=""

lock() {
  [ -n "$LOCK" ] || return 0
  exec {LOCK_FD}>"$LOCK"
  flock -w 1800 "$LOCK_FD" || echo "$BENCH: lock $LOCK not had in 30 min, going on" >&2
}

unlock() {
  [ -n "$LOCK_FD" ] || return 0
  flock -u "$LOCK_FD" || true
  exec {LOCK_FD}>&-
  LOCK_FD=""
}

stop() { # pid
  [ -n "$1" ] && kill -0 "$1" 2>/dev/null || return 0
  kill "$1" 2>/dev/null || true
  for _ in $(seq 400); do
    kill -0 "$1" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$1" 2>/dev/null; then
    echo "$BENCH: pid $1 still running 40 s after SIGTERM: killed" >&2
    kill -9 "$1" 2>/dev/null || true
  fi
  wait "$1" 2>/dev/null || true
}

served() { # port probe-path
  for _ in $(seq 8); do
    curl -s -f --max-time 1 -o /dev/null "http://127.0.0.1:$1$2" || return 1
  done
}

load1() { cut -d' ' -f1 /proc/loadavg; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

wait_for_quiet() {
  local waited=0
  while awk -v l="$(load1)" -v m="$MAX_LOAD" 'BEGIN { exit !(l > m) }'; do
    if [ "$waited" -ge "$MAX_WAIT" ]; then
      echo "  load $(loadavg) still above $MAX_LOAD after ${waited}s: measuring anyway" >&2
      return 1
    fi
    echo "  load $(loadavg) > $MAX_LOAD: waiting 30 s" >&2
    sleep 30
    waited=$((waited + 30))
  done
  return 0
}

run_wrk() { # port url script seconds
  local args=(-t"$WRK_THREADS" -c"$CONNECTIONS" -d"$4"s --latency)
  [ "$3" = - ] || args+=(-s "$3")
  wrk "${args[@]}" "http://127.0.0.1:$1$2"
}

# wrk output -> "requests/s p99_ms non2xx socket_errors(total) socket_errors(detail)"
parse_wrk() {
  awk '
    /Requests\/sec:/ { rps = $2 }
    $1 == "99%" {
      v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
      p99 = (u == "us") ? v / 1000 : (u == "s") ? v * 1000 : (u == "m") ? v * 60000 : v
    }
    /Non-2xx or 3xx responses:/ { bad = $NF }
    /Socket errors:/ {
      err = $0; sub(/.*Socket errors: /, "", err)
      n = split(err, f, /[ ,]+/); for (i = 1; i <= n; i++) if (f[i] ~ /^[0-9]+$/) errs += f[i]
      gsub(/ /, "", err)
    }
    END { printf "%s %.3f %d %d %s\n", rps, p99, bad + 0, errs + 0, (err == "" ? "-" : err) }' "$1"
}

WS=""
ml() { "$MLOOP" -w "$WS" "$@"; }
jget() { "$PY" -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

serving_model() {
  WS="$WORK/ws"
  "$PY" "$ROOT/bench/gen_classification_csv.py" "$WORK/data.csv" "$ROWS" 1
  "$MLOOP" init "$WS" >/dev/null
  ml data import "$WORK/data.csv" --name bench --target label >/dev/null
  local run
  run="$(ml --threads 2 train bench --target label --algo xgboost --param num_boost_round=100 \
    --param max_depth=8 --param eta=0.1 -q --json | jget run_id)"
  MODEL_VERSION="$(ml models register "$run" --name bench --json | jget version)"
  ml models alias "bench/$MODEL_VERSION" production >/dev/null
  BODY="$WORK/body.csv"
  ml models show bench@production --json >"$WORK/show.json"
  "$PY" - "$WORK/show.json" "$WORK/data.csv" "$ROW" "$BODY" <<'PY'
import csv, json, sys
show, data, row, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
inputs = [c["name"] for c in json.load(open(show))["manifest"]["input_schema"]]
with open(data, newline="") as f:
    reader = csv.reader(f)
    header = next(reader)
    for i, rec in enumerate(reader, 1):
        if i == row:
            break
values = dict(zip(header, rec))
with open(out.replace(".csv", "_with_header.csv"), "w") as f:
    f.write(",".join(inputs) + "\n" + ",".join(values[c] for c in inputs) + "\n")
with open(out, "w") as f:
    f.write(",".join(values[c] for c in inputs) + "\n")
PY
}
