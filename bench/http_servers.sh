#!/usr/bin/env bash
# Chooses the HTTP library for model serving: minimal event-driven servers on Boost.Beast/Asio,
# libevent's evhttp and libh2o-evloop (bench/http/) answer POST /invocations (one CSV row of 28
# floats -> the same stand-in tree ensemble, bench/http/fake_model.h) and are measured with wrk
# against nginx serving a small static file, the ceiling for HTTP on this machine.
#
#   bench/http_servers.sh            # 3 interleaved rounds of 12 s runs
#   ROUNDS=5 DURATION=15 bench/http_servers.sh
#
# Each library runs in its event-driven variants (`--mode`): beast-shared (one io_context, N
# threads), beast-pool (an io_context per thread, one acceptor handing connections round-robin),
# beast-per-thread (an io_context and SO_REUSEPORT acceptor per thread); evhttp and h2o with an
# event loop per thread, each with its own SO_REUSEPORT socket (-reuseport) or all accepting
# from one socket (-shared).
#
# Installs nothing (scripts/install-deps.sh brings cmake, ninja, wrk, nginx and the libraries; a
# server whose library is missing is left out). Builds bench/http into a temp dir, then for each
# round: waits until the 1-minute load average is <= MAX_LOAD (sleeping 30 s at a time, MAX_WAIT
# s at most, then measures anyway and says so), and runs every server alone, in turn, each with
# a 2 s warm-up and then `wrk -t2 -c32 -d${DURATION}s --latency`. wrk and the server share the
# machine's cores. Prints every run, then the median requests/s and p99 per server and the
# ratio to nginx. Results and the decision: bench/RESULTS.md, "HTTP library for serving".
#
# Environment: ROUNDS (3), DURATION (12), CONNECTIONS (32), WRK_THREADS (2), SERVER_THREADS (2),
# SERVER_LIST (the servers, in order; default below), PORT (18090, the first of one port per
# server), MAX_LOAD (1.0), MAX_WAIT (600), KEEP (a directory to keep the raw wrk outputs in),
# MLOOP_BUILD_LOCK (/tmp/mloop-build.lock: taken around the build and around each round, so
# that a build of the main project does not run in the middle of a round; empty: no lock).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROUNDS="${ROUNDS:-3}"
DURATION="${DURATION:-12}"
CONNECTIONS="${CONNECTIONS:-32}"
WRK_THREADS="${WRK_THREADS:-2}"
SERVER_THREADS="${SERVER_THREADS:-2}"
PORT="${PORT:-18090}"
MAX_LOAD="${MAX_LOAD:-1.0}"
MAX_WAIT="${MAX_WAIT:-600}"
KEEP="${KEEP:-}"
LOCK="${MLOOP_BUILD_LOCK-/tmp/mloop-build.lock}"
BENCH=http_servers
# lock, unlock, stop, served, load1, loadavg, wait_for_quiet, run_wrk, parse_wrk
source "$ROOT/bench/lib.sh"

for tool in cmake ninja wrk nginx curl; do
  if ! command -v "$tool" >/dev/null 2>&1 && ! [ -x "/usr/sbin/$tool" ]; then
    echo "http_servers: $tool is missing (scripts/install-deps.sh installs it)" >&2
    exit 1
  fi
done
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"

WORK="$(mktemp -d /tmp/mloop-httpbench.XXXXXX)"
chmod 755 "$WORK" # nginx's workers run as nobody and must read www/
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- build -------------------------------------------------------------------------------------
BUILD="$WORK/build"
lock
cmake -S "$ROOT/bench/http" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release >"$WORK/cmake.log" 2>&1 ||
  {
    cat "$WORK/cmake.log" >&2
    exit 1
  }
cmake --build "$BUILD" >"$WORK/build.log" 2>&1 || {
  cat "$WORK/build.log" >&2
  exit 1
}
unlock
grep -h "WARNING" -A1 "$WORK/cmake.log" >&2 || true

# ---- nginx: a small static file, like a prediction ----------------------------------------------
NGX="$WORK/nginx"
mkdir -p "$NGX/www" "$NGX/tmp"
printf '0.5139635\n' >"$NGX/www/pred.csv"
chmod -R a+rX "$NGX"

# The servers measured, in the order of every round; a server whose binary was not built (its
# library missing) is left out.
SERVER_LIST="${SERVER_LIST:-nginx beast-shared beast-pool beast-per-thread evhttp-reuseport evhttp-shared h2o-reuseport h2o-shared}"
POST="$ROOT/bench/http/post.lua"
SERVERS=() # name|port|url path|wrk script (- for none)|command
p=$PORT
for name in $SERVER_LIST; do
  lib="${name%%-*}"
  mode="${name#*-}"
  if [ "$lib" = nginx ]; then
    sed -e "s|@DIR@|$NGX|g" -e "s|@PORT@|$p|g" "$ROOT/bench/http/nginx.conf" >"$NGX/nginx.conf"
    SERVERS+=("nginx|$p|/pred.csv|-|$NGINX -p $NGX -c $NGX/nginx.conf")
  elif [ -x "$BUILD/${lib}_server" ]; then
    SERVERS+=("$name|$p|/invocations|$POST|$BUILD/${lib}_server --port $p --threads $SERVER_THREADS --mode $mode")
  else
    echo "http_servers: $BUILD/${lib}_server was not built (library missing): $name left out" >&2
    continue
  fi
  p=$((p + 1))
done

# ---- helpers -----------------------------------------------------------------------------------

start_server() { # port probe-path command...
  local port="$1" probe="$2"
  shift 2
  "$@" >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 100); do
    if curl -s -o /dev/null -f "http://127.0.0.1:$port$probe" 2>/dev/null; then
      return 0
    fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then break; fi
    sleep 0.05
  done
  echo "http_servers: server did not come up: $*" >&2
  cat "$WORK/server.log" >&2
  return 1
}

stop_server() {
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}


# ---- measure -----------------------------------------------------------------------------------
echo "HTTP library benchmark: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores," \
  "$(lscpu | sed -n 's/^Model name: *//p' | head -1)"
echo "wrk $(wrk -v 2>&1 | head -1 | awk '{print $2}'), $($NGINX -v 2>&1 | sed 's/.*: //')," \
  "Boost $(sed -n 's/^#define BOOST_LIB_VERSION "\(.*\)"/\1/p' /usr/include/boost/version.hpp 2>/dev/null | tr _ .)," \
  "libevent $(pkg-config --modversion libevent 2>/dev/null || echo -)," \
  "h2o $(sed -n 's/^#define H2O_VERSION "\(.*\)"/\1/p' /usr/include/h2o/version.h 2>/dev/null || echo -)"
echo "each run: wrk -t$WRK_THREADS -c$CONNECTIONS -d${DURATION}s --latency [-s bench/http/post.lua]," \
  "after a 2 s warm-up; servers with $SERVER_THREADS threads; $ROUNDS rounds"
"$BUILD/fake_model_cost"
echo

RESULTS="$WORK/results.txt"
: >"$RESULTS"
echo "(check: 8 new connections answered after the run; a STALLED run is left out of the medians)"
printf '%-6s %-18s %12s %10s %8s %-13s %s\n' round server "requests/s" "p99 ms" non-2xx "socket errors" check
for round in $(seq "$ROUNDS"); do
  quiet=yes
  wait_for_quiet || quiet=no
  lock
  [ "$quiet" = no ] || wait_for_quiet || quiet=no # a build may have run while we waited for the lock
  before="$(loadavg)"
  for entry in "${SERVERS[@]}"; do
    IFS='|' read -r name port url script cmd <<<"$entry"
    probe="$url"
    [ "$url" != /invocations ] || probe=/ping
    read -r -a argv <<<"$cmd"
    start_server "$port" "$probe" "${argv[@]}"
    run_wrk "$port" "$url" "$script" 2 >/dev/null
    out="$WORK/$name.$round.txt"
    run_wrk "$port" "$url" "$script" "$DURATION" >"$out"
    check=ok
    served "$port" "$probe" || check=STALLED
    stop_server
    read -r rps p99 bad _ err <<<"$(parse_wrk "$out")"
    if [ "$check" = ok ]; then echo "$round $name $rps $p99" >>"$RESULTS"; fi
    printf '%-6s %-18s %12.0f %10.2f %8s %-13s %s\n' "$round" "$name" "$rps" "$p99" "$bad" "$err" "$check"
    if [ -n "$KEEP" ]; then
      mkdir -p "$KEEP"
      cp "$out" "$KEEP/"
    fi
  done
  after="$(loadavg)"
  unlock
  echo "       load average before round $round: $before; after: $after$([ $quiet = yes ] || echo ' (busy machine: did not settle)')"
done

echo
echo "Medians over $ROUNDS rounds; vs nginx: the median over rounds of the server's requests/s (p99)"
echo "divided by nginx's in the same round; goals met: rounds with >= 80% of nginx's requests/s and"
echo "a p99 no worse than nginx's"
printf '%-18s %12s %10s %14s %12s %10s   %s\n' server "requests/s" "p99 ms" "rps vs nginx" "p99 / nginx" \
  "goals met" "runs (requests/s)"
awk '
  function median(a, n,    i, j, t) {
    for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  { rps[$1, $2] = $3; p99[$1, $2] = $4; if (!($2 in seen)) { seen[$2] = 1; order[++k] = $2 } rounds[$1] = 1 }
  END {
    for (i = 1; i <= k; i++) {
      s = order[i]; n = 0; met = 0; runs = ""
      for (r in rounds) if (((r, s) in rps) && ((r, "nginx") in rps)) {
        n++; a[n] = rps[r, s]; b[n] = p99[r, s]
        c[n] = rps[r, s] / rps[r, "nginx"]; d[n] = p99[r, s] / p99[r, "nginx"]
        met += (c[n] >= 0.8 && d[n] <= 1)
      }
      for (r = 1; r <= 1000; r++) if ((r, s) in rps) runs = runs sprintf("%s%.0f", (runs == "" ? "" : " "), rps[r, s])
      printf "%-18s %12.0f %10.2f %13.0f%% %12.2f %6d of %d   %s\n", s, median(a, n), median(b, n), 100 * median(c, n), median(d, n), met, n, runs
    }
  }' "$RESULTS"
