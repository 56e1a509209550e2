#!/usr/bin/env bash
# `mloop serve` side by side with the usual Python way of serving the same XGBoost model (FastAPI
# on uvicorn, bench/peers/fastapi_server.py) and with nginx serving a small static file (the
# ceiling for HTTP on this machine, as in bench/http_servers.sh), measured with wrk.
#
#   bench/serve_vs_fastapi.sh                      # 3 interleaved rounds of 10 s runs (~2.5-5 min)
#   ROUNDS=5 DURATION=15 bench/serve_vs_fastapi.sh
#
# Set-up (in a temp dir): bench/gen_classification_csv.py writes ROWS x 28 features + `label`;
# `mloop init`, `mloop data import`, `mloop train --algo xgboost` (100 rounds, depth 8, eta 0.1),
# `mloop models register` as `bench`, alias `production`, `mloop models export` -> model.json
# (XGBoost's JSON, which the FastAPI peer loads with Python's xgboost). The request body is one
# real record of the data without its label, in the model's input order (manifest.json's
# input_schema). Before measuring, each server's answer to it is fetched with curl and printed;
# mloop serve's probability must equal FastAPI's (and `mloop predict`'s) within 1e-6.
#
# Servers, each alone in turn, in every round (SERVER_LIST, default "nginx mloop fastapi"):
#   nginx    bench/http/nginx.conf (2 workers), GET /pred.csv, a file holding mloop's answer line
#   mloop    mloop -w WS --threads SERVER_THREADS serve --model bench@production --port P
#   fastapi  uvicorn fastapi_server:app --workers FASTAPI_WORKERS --loop uvloop --http httptools
# mloop and fastapi get POST /invocations (text/csv) from bench/serve_post.lua. Each run: a 2 s
# warm-up, then `wrk -t2 -c32 -d${DURATION}s --latency`; then 8 fresh connections must each be
# answered within 1 s (else STALLED: left out of the medians). wrk and the server share the
# machine's cores. If `mloop serve` is not in the binary, mloop is left out (and said so).
#
# Before each round, waits (30 s at a time, MAX_WAIT s at most, then measures anyway and says so)
# until the machine is quiet: before round 1 the 1-minute load average <= MAX_LOAD; before later
# rounds (whose load average still holds our own previous round) the CPU busy over 2 s, from
# /proc/stat, <= MAX_BUSY cores. MLOOP_BUILD_LOCK is held around each round, as in
# http_servers.sh, so that a build of the main project does not run in the middle of one.
#
# Prints every run, then per server the median requests/s and p99 and the failed requests
# (non-2xx and socket errors, summed over rounds: must be 0), and the ratios (medians of the
# per-round ratios): mloop/nginx requests/s (goal >= 0.8), mloop/FastAPI requests/s (goal >= 8),
# p99 mloop/nginx (goal <= 1). Exit status 3 when a request failed, a run stalled or the answers
# disagree; the speed goals are reported, not enforced.
#
# Environment: MLOOP (the binary; default build/release/apps/mloop/mloop under the repository),
# ROUNDS (3), DURATION (10), CONNECTIONS (32), WRK_THREADS (2), SERVER_THREADS (2, mloop's global
# --threads), FASTAPI_WORKERS (2), ROWS (30000, rows of the training data), ROW (1, the data row
# sent), SERVER_LIST (nginx mloop fastapi), PORT (18100: mloop; +1 fastapi; +2 nginx),
# MAX_LOAD (1.0), MAX_BUSY (0.3), MAX_WAIT (60), KEEP (a directory to keep the raw wrk outputs
# and the exported model in), MLOOP_BUILD_LOCK (/tmp/mloop-build.lock; empty: no lock).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MLOOP="${MLOOP:-build/release/apps/mloop/mloop}"
case "$MLOOP" in /*) ;; *) MLOOP="$ROOT/$MLOOP" ;; esac
ROUNDS="${ROUNDS:-3}"
DURATION="${DURATION:-10}"
CONNECTIONS="${CONNECTIONS:-32}"
WRK_THREADS="${WRK_THREADS:-2}"
SERVER_THREADS="${SERVER_THREADS:-2}"
FASTAPI_WORKERS="${FASTAPI_WORKERS:-2}"
ROWS="${ROWS:-30000}"
ROW="${ROW:-1}"
SERVER_LIST="${SERVER_LIST:-nginx mloop fastapi}"
PORT="${PORT:-18100}"
MAX_LOAD="${MAX_LOAD:-1.0}"
MAX_BUSY="${MAX_BUSY:-0.3}"
MAX_WAIT="${MAX_WAIT:-60}"
KEEP="${KEEP:-}"
LOCK="${MLOOP_BUILD_LOCK-/tmp/mloop-build.lock}"
unset MLOOP_BUILD_LOCK # mloop refuses unknown MLOOP_* variables in its environment
BENCH=serve_vs_fastapi
# lock, unlock, stop, served, load1, loadavg, run_wrk, parse_wrk, serving_model (ml, jget)
source "$ROOT/bench/lib.sh"
PY=/usr/bin/python3

for tool in wrk nginx curl; do
  if ! command -v "$tool" >/dev/null 2>&1 && ! [ -x "/usr/sbin/$tool" ]; then
    echo "serve_vs_fastapi: $tool is missing (scripts/install-deps.sh installs it)" >&2
    exit 1
  fi
done
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
if ! "$PY" -c 'import fastapi, uvicorn, uvloop, httptools, xgboost, numpy' 2>/dev/null; then
  echo "serve_vs_fastapi: $PY lacks fastapi/uvicorn/uvloop/httptools/xgboost/numpy" \
    "(apt-get install python3-fastapi python3-uvicorn python3-uvloop python3-httptools python3-xgboost)" >&2
  exit 1
fi

WORK="$(mktemp -d /tmp/mloop-servebench.XXXXXX)"
chmod 755 "$WORK" # nginx's workers run as nobody and must read www/
SERVER_PID=""
cleanup() {
  stop "$SERVER_PID"
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The whole run on one binary: a copy taken under the lock (a build may relink it meanwhile).
lock
if ! [ -x "$MLOOP" ]; then
  echo "serve_vs_fastapi: $MLOOP is not built (make build, or set MLOOP)" >&2
  exit 1
fi
cp "$MLOOP" "$WORK/mloop"
unlock
MLOOP_BUILT="$MLOOP"
MLOOP="$WORK/mloop"
# (`mloop serve --help` on a binary without serve prints the top-level help and exits 0.)
HAVE_SERVE=no
if "$MLOOP" serve --help 2>&1 | grep -q -- '--model'; then HAVE_SERVE=yes; fi

# ---- the model: data, workspace, train, register, export ----------------------------------------
serving_model
ml models export bench@production -o "$WORK/model" >/dev/null
MODEL_JSON="$WORK/model/model.json"
# mloop predict's answer to the same record (the batch path), the reference for both servers.
PREDICT_ANSWER="$(ml predict bench@production --data "$WORK/body_with_header.csv" -o - | sed -n 2p)"

# ---- nginx: a small static file, the size of a prediction ---------------------------------------
NGX="$WORK/nginx"
mkdir -p "$NGX/www" "$NGX/tmp"
printf '%s\n' "$PREDICT_ANSWER" >"$NGX/www/pred.csv"
chmod -R a+rX "$NGX"

POST="$ROOT/bench/serve_post.lua"
export BODY_FILE="$BODY"
SERVERS=() # name|port|url path|probe path|wrk script (- for none)
for name in $SERVER_LIST; do
  case "$name" in
    nginx)
      sed -e "s|@DIR@|$NGX|g" -e "s|@PORT@|$((PORT + 2))|g" "$ROOT/bench/http/nginx.conf" >"$NGX/nginx.conf"
      SERVERS+=("nginx|$((PORT + 2))|/pred.csv|/pred.csv|-")
      ;;
    mloop)
      if [ "$HAVE_SERVE" = no ]; then
        echo "serve_vs_fastapi: \`$MLOOP_BUILT serve\` does not exist in this build: mloop left out" >&2
        continue
      fi
      SERVERS+=("mloop|$PORT|/invocations|/ping|$POST")
      ;;
    fastapi) SERVERS+=("fastapi|$((PORT + 1))|/invocations|/ping|$POST") ;;
    *)
      echo "serve_vs_fastapi: unknown server $name in SERVER_LIST (nginx, mloop, fastapi)" >&2
      exit 2
      ;;
  esac
done

# ---- helpers -----------------------------------------------------------------------------------
cpu_busy() { # cores busy over 2 s (all CPU time but idle and iowait), from /proc/stat
  local a b
  a="$(head -1 /proc/stat)"
  sleep 2
  b="$(head -1 /proc/stat)"
  awk -v a="$a" -v b="$b" -v n="$(nproc)" 'BEGIN {
    split(a, x); split(b, y); t = 0; idle = (y[5] - x[5]) + (y[6] - x[6])
    for (i = 2; i <= 9; i++) t += y[i] - x[i]
    printf "%.2f\n", (t > 0) ? n * (t - idle) / t : 0 }'
}

wait_for_quiet_round() { # round: the load average before round 1, the CPU busy after
  local waited=0 busy
  while :; do
    if [ "$1" = 1 ]; then
      awk -v l="$(load1)" -v m="$MAX_LOAD" 'BEGIN { exit !(l > m) }' || return 0
      busy="load $(loadavg) > $MAX_LOAD"
    else
      busy="$(cpu_busy)"
      awk -v b="$busy" -v m="$MAX_BUSY" 'BEGIN { exit !(b > m) }' || return 0
      busy="$busy cores busy > $MAX_BUSY"
    fi
    if [ "$waited" -ge "$MAX_WAIT" ]; then
      echo "  $busy still after ${waited}s: measuring anyway" >&2
      return 1
    fi
    echo "  $busy: waiting 30 s" >&2
    sleep 30
    waited=$((waited + 30))
  done
}

start_server() { # name port probe-path
  local name="$1" port="$2" probe="$3"
  case "$name" in
    nginx) "$NGINX" -p "$NGX" -c "$NGX/nginx.conf" >"$WORK/server.log" 2>&1 & ;;
    mloop)
      "$MLOOP" -w "$WS" --threads "$SERVER_THREADS" serve --model bench@production \
        --host 127.0.0.1 --port "$port" >"$WORK/server.log" 2>&1 &
      ;;
    fastapi)
      MODEL_JSON="$MODEL_JSON" "$PY" -m uvicorn fastapi_server:app --app-dir "$ROOT/bench/peers" \
        --host 127.0.0.1 --port "$port" --workers "$FASTAPI_WORKERS" --loop uvloop --http httptools \
        --no-access-log >"$WORK/server.log" 2>&1 &
      ;;
  esac
  SERVER_PID=$!
  for _ in $(seq 600); do
    if curl -s -o /dev/null -f "http://127.0.0.1:$port$probe" 2>/dev/null; then
      # uvicorn answers as soon as its first worker is up: wait for all of them.
      [ "$name" != fastapi ] ||
        [ "$(grep -c 'Application startup complete' "$WORK/server.log")" -ge "$FASTAPI_WORKERS" ] ||
        {
          sleep 0.05
          continue
        }
      return 0
    fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then break; fi
    sleep 0.05
  done
  echo "serve_vs_fastapi: $name did not come up on port $port" >&2
  cat "$WORK/server.log" >&2
  return 1
}

stop_server() { # port
  stop "$SERVER_PID"
  SERVER_PID=""
  for _ in $(seq 100); do # the port free again (uvicorn's workers, nginx's workers)
    curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$1/" 2>/dev/null || return 0
    sleep 0.1
  done
  echo "serve_vs_fastapi: something still answers on port $1 after stopping the server" >&2
}

ask() { # port: the server's answer to the request body
  curl -s -f --max-time 5 -H 'Content-Type: text/csv' --data-binary "@$BODY" \
    "http://127.0.0.1:$1/invocations" || echo "(no answer)"
}

# ---- check the answers -------------------------------------------------------------------------
echo "mloop serve vs FastAPI vs nginx: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores," \
  "$(lscpu | sed -n 's/^Model name: *//p' | head -1)"
echo "wrk $(wrk -v 2>&1 | head -1 | awk '{print $2}'), $($NGINX -v 2>&1 | sed 's/.*: //')," \
  "mloop $("$MLOOP" --version 2>/dev/null | awk '{print $NF}')," \
  "$("$PY" -c 'import fastapi, uvicorn, xgboost, numpy; print(f"FastAPI {fastapi.__version__}, uvicorn {uvicorn.__version__}, xgboost {xgboost.__version__}, numpy {numpy.__version__}")')"
echo "model: XGBoost binary, 100 trees, depth 8, 28 features, trained on $ROWS rows," \
  "registered bench/$MODEL_VERSION @production"
echo "each run: wrk -t$WRK_THREADS -c$CONNECTIONS -d${DURATION}s --latency [-s bench/serve_post.lua]," \
  "after a 2 s warm-up; mloop --threads $SERVER_THREADS serve, uvicorn --workers $FASTAPI_WORKERS," \
  "nginx 2 workers; $ROUNDS rounds"
echo
echo "request (data row $ROW, input order): $(cut -c1-90 "$BODY")..."
echo "  mloop predict (batch)  $PREDICT_ANSWER"
FAILED=0
MLOOP_PROB=""
FASTAPI_PROB=""
for entry in "${SERVERS[@]}"; do
  IFS='|' read -r name port url probe script <<<"$entry"
  start_server "$name" "$port" "$probe"
  if [ "$name" = nginx ]; then
    answer="$(curl -s -f "http://127.0.0.1:$port$url" || echo "(no answer)")"
  else
    answer="$(ask "$port")"
  fi
  stop_server "$port"
  printf '  %-22s %s\n' "$name" "$(echo "$answer" | head -3 | paste -sd' ')"
  case "$name" in
    mloop) MLOOP_PROB="$(echo "$answer" | head -1 | awk -F, '{print $NF}')" ;;
    fastapi) FASTAPI_PROB="$(echo "$answer" | head -1 | awk -F, '{print $NF}')" ;;
  esac
done
PREDICT_PROB="${PREDICT_ANSWER##*,}"
agree() { # label a b
  if awk -v a="$2" -v b="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a ~ /^[-+0-9.eE]+$/ && b ~ /^[-+0-9.eE]+$/ && d <= 1e-6) }'; then
    echo "  $1: agree ($2 vs $3)"
  else
    echo "  $1: DISAGREE ($2 vs $3)"
    FAILED=1
  fi
}
[ -z "$FASTAPI_PROB" ] || agree "FastAPI vs mloop predict" "$FASTAPI_PROB" "$PREDICT_PROB"
[ -z "$MLOOP_PROB" ] || agree "mloop serve vs mloop predict" "$MLOOP_PROB" "$PREDICT_PROB"
[ -z "$MLOOP_PROB" ] || [ -z "$FASTAPI_PROB" ] || agree "mloop serve vs FastAPI" "$MLOOP_PROB" "$FASTAPI_PROB"
echo

# ---- measure -----------------------------------------------------------------------------------
RESULTS="$WORK/results.txt"
: >"$RESULTS"
echo "(check: 8 new connections answered after the run; a STALLED run is left out of the medians)"
printf '%-6s %-10s %12s %10s %8s %-16s %s\n' round server "requests/s" "p99 ms" non-2xx "socket errors" check
for round in $(seq "$ROUNDS"); do
  quiet=yes
  wait_for_quiet_round "$round" || quiet=no
  lock
  [ "$quiet" = no ] || wait_for_quiet_round "$round" || quiet=no # a build may have run while we waited
  before="$(loadavg)"
  for entry in "${SERVERS[@]}"; do
    IFS='|' read -r name port url probe script <<<"$entry"
    start_server "$name" "$port" "$probe"
    run_wrk "$port" "$url" "$script" 2 >/dev/null
    out="$WORK/$name.$round.txt"
    run_wrk "$port" "$url" "$script" "$DURATION" >"$out"
    check=ok
    served "$port" "$probe" || check=STALLED
    stop_server "$port"
    read -r rps p99 bad errs err <<<"$(parse_wrk "$out")"
    echo "$round $name $rps $p99 $bad $errs $check" >>"$RESULTS"
    [ "$check" = ok ] && [ "$bad" = 0 ] && [ "$errs" = 0 ] || FAILED=1
    printf '%-6s %-10s %12.0f %10.2f %8s %-16s %s\n' "$round" "$name" "$rps" "$p99" "$bad" "$err" "$check"
    if [ -n "$KEEP" ]; then
      mkdir -p "$KEEP"
      cp "$out" "$KEEP/"
    fi
  done
  after="$(loadavg)"
  unlock
  echo "       load average before round $round: $before; after: $after$([ $quiet = yes ] || echo ' (busy machine: did not settle)')"
done
if [ -n "$KEEP" ]; then
  mkdir -p "$KEEP"
  cp -r "$WORK/model" "$BODY" "$KEEP/"
fi

echo
echo "Medians over $ROUNDS rounds (runs that stalled left out); failed = non-2xx + socket errors,"
echo "summed over the rounds (goal 0)"
printf '%-10s %12s %10s %8s   %s\n' server "requests/s" "p99 ms" failed "runs (requests/s)"
awk '
  function median(a, n,    i, j, t) {
    if (n == 0) return 0
    for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  { if (!($2 in seen)) { seen[$2] = 1; order[++k] = $2 }
    failed[$2] += $5 + $6; runs[$2] = runs[$2] sprintf("%s%.0f", (runs[$2] == "" ? "" : " "), $3)
    if ($7 == "ok") { n[$2]++; rps[$2, n[$2]] = $3; p99[$2, n[$2]] = $4 } }
  END {
    for (i = 1; i <= k; i++) {
      s = order[i]; delete a; delete b
      for (j = 1; j <= n[s]; j++) { a[j] = rps[s, j]; b[j] = p99[s, j] }
      printf "%-10s %12.0f %10.2f %8d   %s\n", s, median(a, n[s]), median(b, n[s]), failed[s], runs[s]
    }
  }' "$RESULTS"

echo
echo "Ratios: the median over rounds of the per-round ratio (rounds where both runs were ok)"
awk '
  function median(a, n,    i, j, t) {
    for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  $7 == "ok" { rps[$1, $2] = $3; p99[$1, $2] = $4; rounds[$1] = 1 }
  function ratio(label, x, y, what, goal, cmp,    r, n, v, m, met) {
    n = 0; met = 0
    for (r in rounds) if (((r, x) in rps) && ((r, y) in rps)) {
      v = (what == "rps") ? rps[r, x] / rps[r, y] : p99[r, x] / p99[r, y]
      n++; vals[n] = v; met += (cmp == ">=") ? (v >= goal) : (v <= goal)
    }
    if (n == 0) { printf "  %-34s %8s   %s\n", label, "-", "not measured"; return }
    m = median(vals, n)
    if (goal == "") { printf "  %-34s %8.2f   (%d rounds)\n", label, m, n; return }
    printf "  %-34s %8.2f   goal %s %s: %s (%d of %d rounds)\n", label, m, cmp, goal,
      ((cmp == ">=") ? (m >= goal) : (m <= goal)) ? "met" : "MISSED", met, n
  }
  END {
    ratio("requests/s mloop / nginx", "mloop", "nginx", "rps", 0.8, ">=")
    ratio("requests/s mloop / FastAPI", "mloop", "fastapi", "rps", 8, ">=")
    ratio("p99 mloop / nginx", "mloop", "nginx", "p99", 1, "<=")
    ratio("requests/s FastAPI / nginx", "fastapi", "nginx", "rps", "", "")
  }' "$RESULTS"

if [ "$FAILED" != 0 ]; then
  echo
  echo "FAILED: a request failed, a run stalled or the answers disagree (see above)" >&2
  exit 3
fi
