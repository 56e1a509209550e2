#!/usr/bin/env bash
# Hot swap under load: `mloop serve --model bench@production --poll-seconds 1` at saturation (wrk,
# 32 connections, DURATION s) while, halfway, a second version is trained, registered and given
# the `production` alias; the server notices on its next poll of the registry and swaps models
# without dropping a request or growing.
#
#   bench/serve_hot_swap.sh                 # 60 s of load, the swap at 30 s (~1.5 min in all)
#   DURATION=120 SWAP_AT=60 bench/serve_hot_swap.sh
#
# Set-up (in a temp dir): bench/gen_classification_csv.py writes ROWS x 28 features + `label`;
# `mloop init`, `mloop data import`, `mloop train --algo xgboost` (100 rounds, depth 8, eta 0.1),
# registered as bench/1 with alias production. The server starts on it; after a 2 s warm-up,
# `wrk -t2 -c32 -d${DURATION}s --latency -s bench/serve_post.lua` (POST /invocations, one real
# record of the data without its label) runs while the server's VmRSS is read from
# /proc/PID/status every second. At SWAP_AT s: `mloop train` again (150 rounds, depth 6, eta 0.1:
# a different model, so the answer changes), `mloop models register` (bench/2) and `mloop models
# alias bench/2 production`; then the record is sent every 0.2 s until the answer is bench/2's
# (`mloop predict bench/2` on the same record): the time from the alias move to the first new
# answer is printed.
#
# Reports: requests, requests/s and latency (p50, p99, max) from wrk; non-2xx and socket errors
# (goal 0); the RSS series (MiB), its min and max, and the averages over the first and the last 10
# s (goal: flat: no growth, the last at most RSS_TOLERANCE % above the first, and neither the
# span before the swap nor the span after it growing by more than that; a drop is fine: version 2
# is the smaller model); 8 fresh connections answered
# after the run; the lines of GET /metrics about swaps and versions. Exit status 3 when a request
# failed, the server stalled, the swap was not seen or the RSS was not flat.
#
# Environment: MLOOP (the binary; default build/release/apps/mloop/mloop under the repository),
# DURATION (60), SWAP_AT (DURATION/2), CONNECTIONS (32), WRK_THREADS (2), SERVER_THREADS (2),
# POLL_SECONDS (1), ROWS (30000), ROW (1, the data row sent), PORT (18110), RSS_TOLERANCE (10),
# MAX_LOAD (1.0), MAX_WAIT (120), KEEP (a directory to keep the wrk output, the RSS samples and
# the server's log in), MLOOP_BUILD_LOCK (/tmp/mloop-build.lock, held from the warm-up to the end
# of the run so that no build of the main project runs in it; empty: no lock).
set -euo pipefail
export LC_ALL=C # $EPOCHREALTIME with a decimal point

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MLOOP="${MLOOP:-build/release/apps/mloop/mloop}"
case "$MLOOP" in /*) ;; *) MLOOP="$ROOT/$MLOOP" ;; esac
DURATION="${DURATION:-60}"
SWAP_AT="${SWAP_AT:-$((DURATION / 2))}"
CONNECTIONS="${CONNECTIONS:-32}"
WRK_THREADS="${WRK_THREADS:-2}"
SERVER_THREADS="${SERVER_THREADS:-2}"
POLL_SECONDS="${POLL_SECONDS:-1}"
ROWS="${ROWS:-30000}"
ROW="${ROW:-1}"
PORT="${PORT:-18110}"
RSS_TOLERANCE="${RSS_TOLERANCE:-10}"
MAX_LOAD="${MAX_LOAD:-1.0}"
MAX_WAIT="${MAX_WAIT:-120}"
KEEP="${KEEP:-}"
LOCK="${MLOOP_BUILD_LOCK-/tmp/mloop-build.lock}"
unset MLOOP_BUILD_LOCK # mloop refuses unknown MLOOP_* variables in its environment
BENCH=serve_hot_swap
# lock, unlock, stop, served, load1, loadavg, wait_for_quiet, serving_model (ml, jget)
source "$ROOT/bench/lib.sh"
PY=/usr/bin/python3

for tool in wrk curl; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "serve_hot_swap: $tool is missing (scripts/install-deps.sh installs it)" >&2
    exit 1
  fi
done
if [ "$SWAP_AT" -ge "$DURATION" ]; then
  echo "serve_hot_swap: SWAP_AT ($SWAP_AT) must be less than DURATION ($DURATION)" >&2
  exit 2
fi

WORK="$(mktemp -d /tmp/mloop-hotswap.XXXXXX)"
SERVER_PID=""
WRK_PID=""
SAMPLER_PID=""
cleanup() {
  stop "$WRK_PID"
  stop "$SAMPLER_PID"
  stop "$SERVER_PID"
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The whole run on one binary: a copy taken under the lock (a build may relink it meanwhile).
lock
if ! [ -x "$MLOOP" ]; then
  echo "serve_hot_swap: $MLOOP is not built (make build, or set MLOOP)" >&2
  exit 1
fi
cp "$MLOOP" "$WORK/mloop"
unlock
# (`mloop serve --help` on a binary without serve prints the top-level help and exits 0.)
if ! "$WORK/mloop" serve --help 2>&1 | grep -q -- '--poll-seconds'; then
  echo "serve_hot_swap: \`$MLOOP serve\` (with --poll-seconds) does not exist in this build" >&2
  exit 1
fi
MLOOP="$WORK/mloop"

now() { echo "$EPOCHREALTIME"; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# ---- the model: data, workspace, version 1 as production ----------------------------------------
serving_model
v1="$MODEL_VERSION"
expected() { ml predict "$1" --data "$WORK/body_with_header.csv" -o - | sed -n 2p; }
EXPECT1="$(expected "bench/$v1")"

ask() {
  curl -s -f --max-time 2 -H 'Content-Type: text/csv' --data-binary "@$BODY" \
    "http://127.0.0.1:$PORT/invocations" 2>/dev/null | head -1 || true
}
same() { # answer expected: the last fields (probabilities) within 1e-6
  awk -v a="${1##*,}" -v b="${2##*,}" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a != "" && d <= 1e-6) }'
}

# ---- server ------------------------------------------------------------------------------------
echo "mloop serve hot swap under load: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores," \
  "$(lscpu | sed -n 's/^Model name: *//p' | head -1)"
echo "server: mloop --threads $SERVER_THREADS serve --model bench@production --poll-seconds $POLL_SECONDS;" \
  "load: wrk -t$WRK_THREADS -c$CONNECTIONS -d${DURATION}s --latency -s bench/serve_post.lua (after a 2 s warm-up);" \
  "swap at ${SWAP_AT}s"
quiet=yes
wait_for_quiet || quiet=no
lock
[ "$quiet" = no ] || wait_for_quiet || quiet=no # a build may have run while we waited for the lock
echo "load average before: $(loadavg)$([ $quiet = yes ] || echo ' (busy machine: did not settle)')"

"$MLOOP" -w "$WS" --threads "$SERVER_THREADS" serve --model bench@production --host 127.0.0.1 \
  --port "$PORT" --poll-seconds "$POLL_SECONDS" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
up=no
for _ in $(seq 600); do
  if curl -s -o /dev/null -f "http://127.0.0.1:$PORT/ping" 2>/dev/null; then
    up=yes
    break
  fi
  kill -0 "$SERVER_PID" 2>/dev/null || break
  sleep 0.05
done
if [ "$up" = no ]; then
  echo "serve_hot_swap: mloop serve did not come up on port $PORT" >&2
  cat "$WORK/server.log" >&2
  exit 1
fi
answer1="$(ask)"
echo "bench/$v1 (production): serve answers $answer1; mloop predict: $EXPECT1"
FAILED=0
same "$answer1" "$EXPECT1" || {
  echo "  DISAGREE" >&2
  FAILED=1
}

export BODY_FILE="$BODY"
wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d2s -s "$ROOT/bench/serve_post.lua" \
  "http://127.0.0.1:$PORT/invocations" >/dev/null

# ---- load, RSS samples, and the swap halfway ---------------------------------------------------
RSS="$WORK/rss.txt" # seconds since the start of the run, VmRSS kB
T0="$(now)"
( # on a fixed schedule (T0 + k s) and without forks but sleep, so that a busy machine does not skew it
  t0=${T0/./}
  k=0
  while kill -0 "$SERVER_PID" 2>/dev/null; do
    kb=""
    { while read -r key value _; do
      if [ "$key" = VmRSS: ]; then
        kb=$value
        break
      fi
    done <"/proc/$SERVER_PID/status"; } 2>/dev/null || true
    us=$((${EPOCHREALTIME/./} - t0))
    [ -z "$kb" ] || printf '%d.%03d %s\n' $((us / 1000000)) $((us % 1000000 / 1000)) "$kb"
    k=$((k + 1))
    us=$((t0 + k * 1000000 - ${EPOCHREALTIME/./}))
    [ "$us" -le 0 ] || sleep "$(printf '%d.%06d' $((us / 1000000)) $((us % 1000000)))"
  done
) >"$RSS" &
SAMPLER_PID=$!
wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$DURATION"s --latency -s "$ROOT/bench/serve_post.lua" \
  "http://127.0.0.1:$PORT/invocations" >"$WORK/wrk.txt" &
WRK_PID=$!

sleep "$SWAP_AT"
t_train="$(since "$T0")"
run2="$(ml --threads 1 train bench --target label --algo xgboost --param num_boost_round=150 \
  --param max_depth=6 --param eta=0.1 -q --json | jget run_id)"
v2="$(ml models register "$run2" --name bench --json | jget version)"
t_alias="$(since "$T0")"
ml models alias "bench/$v2" production >/dev/null
T_ALIAS="$(now)"
EXPECT2="$(expected "bench/$v2")"
swap_after=""
answer2=""
while :; do # until the new answer, 30 s at most
  answer2="$(ask)"
  if [ -n "$answer2" ] && same "$answer2" "$EXPECT2" && ! same "$answer2" "$EXPECT1"; then
    swap_after="$(since "$T_ALIAS")"
    break
  fi
  if awk -v s="$(since "$T_ALIAS")" 'BEGIN { exit !(s > 30) }'; then break; fi
  sleep 0.2
done
echo "at ${t_train}s: trained run $run2 (150 rounds, depth 6) and registered bench/$v2;" \
  "at ${t_alias}s: alias production -> bench/$v2"
if [ -n "$swap_after" ]; then
  echo "  first answer from bench/$v2 ${swap_after}s after the alias moved: $answer2 (mloop predict: $EXPECT2)"
else
  echo "  NO answer from bench/$v2 within 30 s of the alias move (last answer: ${answer2:-none}; bench/$v2 predicts $EXPECT2)"
  FAILED=1
fi

wait "$WRK_PID" || true
WRK_PID=""
check=ok
for _ in $(seq 8); do # 8 fresh connections, each answered within a second
  curl -s -f --max-time 1 -o /dev/null "http://127.0.0.1:$PORT/ping" || check=STALLED
done
curl -s --max-time 5 "http://127.0.0.1:$PORT/metrics" >"$WORK/metrics.txt" || true
stop "$SAMPLER_PID"
SAMPLER_PID=""
stop "$SERVER_PID"
SERVER_PID=""
unlock
echo "load average after: $(loadavg)"

# ---- report ------------------------------------------------------------------------------------
echo
echo "wrk:"
sed 's/^/  /' "$WORK/wrk.txt"
read -r requests bad errs <<<"$(awk '
  / requests in / { n = $1 }
  /Non-2xx or 3xx responses:/ { bad = $NF }
  /Socket errors:/ { k = split($0, f, /[ ,]+/); for (i = 1; i <= k; i++) if (f[i] ~ /^[0-9]+$/) errs += f[i] }
  END { print n + 0, bad + 0, errs + 0 }' "$WORK/wrk.txt")"
echo "requests: $requests; non-2xx: $bad; socket errors: $errs (goal 0); after the run: $check"
[ "$bad" = 0 ] && [ "$errs" = 0 ] && [ "$check" = ok ] || FAILED=1

echo
awk -v dur="$DURATION" -v swap="$t_alias" -v tol="$RSS_TOLERANCE" '
  function mib(kb) { return kb / 1024 }
  $1 <= dur + 0.5 { n++; t[n] = $1; kb[n] = $2 }
  END {
    if (n == 0) { print "RSS: no samples"; exit 1 }
    line = ""
    for (i = 1; i <= n; i++) {
      line = line sprintf("%s%.1f", (i == 1 ? "" : " "), mib(kb[i]))
      if (i == 1 || kb[i] < mn) mn = kb[i]
      if (i == 1 || kb[i] > mx) mx = kb[i]
      if (t[i] < 10) { fs += kb[i]; fn++ }
      if (t[i] >= dur - 10) { ls += kb[i]; ln++ }
      if (t[i] < swap) { if (!b1) b1 = kb[i]; b2 = kb[i]; bt1 = (bt1 == "" ? t[i] : bt1); bt2 = t[i] }
      if (t[i] >= swap + 5) { if (!a1) a1 = kb[i]; a2 = kb[i]; at1 = (at1 == "" ? t[i] : at1); at2 = t[i] }
    }
    printf "RSS (MiB, every second; the alias moved at %ss): %s\n", swap, line
    f = mib(fs / fn); l = mib(ls / ln); ch = 100 * (l - f) / f
    grow_before = (b1 ? 100 * (b2 - b1) / b1 : 0); grow_after = (a1 ? 100 * (a2 - a1) / a1 : 0)
    ok = (ch <= tol && grow_before <= tol && grow_after <= tol)
    printf "RSS min %.1f MiB, max %.1f MiB; average first 10 s %.1f MiB, last 10 s %.1f MiB (%+.1f%%): %s\n",
      mib(mn), mib(mx), f, l, ch, (ok ? "flat (no growth)" : "NOT FLAT (goal: no growth beyond " tol "%)")
    if (swap + 5 > dur - 10)
      printf "  (the alias moved only %.0f s before the end: the last 10 s are not the steady state after the swap)\n", dur - swap
    if (b1 && a1)
      printf "  before the swap %+.1f MiB over %.0f s; at the swap (to 5 s after) %+.1f MiB; after it %+.1f MiB over %.0f s\n",
        mib(b2 - b1), bt2 - bt1, mib(a1 - b2), mib(a2 - a1), at2 - at1
    exit !ok
  }' "$RSS" || FAILED=1

echo
echo "GET /metrics, the lines about swaps and versions:"
if grep -i -E 'swap|version' "$WORK/metrics.txt" | sed 's/^/  /'; then :; else
  echo "  (none; $(wc -l <"$WORK/metrics.txt") lines in all)"
fi

if [ -n "$KEEP" ]; then
  mkdir -p "$KEEP"
  cp "$WORK/wrk.txt" "$RSS" "$WORK/metrics.txt" "$WORK/server.log" "$KEEP/"
fi
if [ "$FAILED" != 0 ]; then
  echo
  echo "FAILED: see above" >&2
  exit 3
fi
