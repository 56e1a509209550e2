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
