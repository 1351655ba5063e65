#!/bin/bash
# splice-net serve --http against nginx (Debian's nginx-light: one worker, sendfile on, access
# log off, its other defaults) and lighttpd (one process, its defaults), with wrk as the client:
# requests per second for a 1 KiB file at 50 and at 1,000 keep-alive connections, and GB/s for
# a 64 MiB file at 4 connections. Every server runs pinned to CPU 0 from its own configuration
# in this run's folder, on a free loopback port (never the packages' own configurations or
# port 80); wrk (one thread) is pinned to CPU 1. The servers stay up through the run and are
# measured interleaved (A, B, C, A, B, C ...); medians, and ratios against nginx in the same run.
# splice-net runs with -q (no access log, as nginx here). wrk's errors are counted and shown by
# kind (connect, read, write, status: non-2xx, timeout: no response within wrk's --timeout, 2 s
# for the 1 KiB file, 20 s for the 64 MiB one): a row with errors is not a result.
# Usage: bench/http.sh BIN_DIR [SECONDS_PER_RUN]   (prints a Markdown section)
set -euo pipefail
BIN=$(cd "${1:?usage: http.sh BIN_DIR [SECONDS_PER_RUN]}" && pwd)
SECONDS_PER_RUN=${2:-5}
BENCH_RUNS=${BENCH_RUNS:-5}
. "$(dirname "$0")/lib.sh"
need_commands "$BIN" splice-net || exit 0
for tool in wrk nginx lighttpd ss python3; do
  command -v "$tool" > /dev/null || { echo "bench: $tool missing (scripts/install-deps installs it)" >&2; exit 0; }
done
SN="$BIN/splice-net"
big=$(bench_file 64)
small="$BENCH_INPUTS/input-1K"
[ -f "$small" ] && [ "$(stat -c %s "$small")" -eq 1024 ] || head -c 1024 "$big" > "$small"
cat "$small" > /dev/null
ulimit -n "$(ulimit -Hn)"  # wrk's 1,000 connections, and the servers'


# The servers: PORT_<name>_<file> for splice-net (one file each), PORT_nginx, PORT_lighttpd.
PORT_sn_small=$(free_port)
taskset -c 0 "$SN" serve -q --http --max-clients 10000 "127.0.0.1:$PORT_sn_small" "$small" 2> /dev/null &
daemons+=($!)
PORT_sn_big=$(free_port)
taskset -c 0 "$SN" serve -q --http --max-clients 10000 "127.0.0.1:$PORT_sn_big" "$big" 2> /dev/null &
daemons+=($!)

PORT_nginx=$(free_port)
mkdir -p "$BENCH_DIR/nginx"
cat > "$BENCH_DIR/nginx/nginx.conf" <<EOF
worker_processes 1;
worker_rlimit_nofile 20000;
daemon off;
pid $BENCH_DIR/nginx/nginx.pid;
error_log $BENCH_DIR/nginx/error.log;
events { worker_connections 10000; }
http {
  access_log off;
  sendfile on;
  client_body_temp_path $BENCH_DIR/nginx;
  proxy_temp_path $BENCH_DIR/nginx;
  fastcgi_temp_path $BENCH_DIR/nginx;
  uwsgi_temp_path $BENCH_DIR/nginx;
  scgi_temp_path $BENCH_DIR/nginx;
  server {
    listen 127.0.0.1:$PORT_nginx;
    root $BENCH_INPUTS;
  }
}
EOF
taskset -c 0 nginx -c "$BENCH_DIR/nginx/nginx.conf" -p "$BENCH_DIR/nginx" -e "$BENCH_DIR/nginx/error.log" 2> /dev/null &
daemons+=($!)

PORT_lighttpd=$(free_port)
cat > "$BENCH_DIR/lighttpd.conf" <<EOF
server.document-root = "$BENCH_INPUTS"
server.bind = "127.0.0.1"
server.port = $PORT_lighttpd
server.errorlog = "$BENCH_DIR/lighttpd.err"
server.max-fds = 20000
server.max-connections = 10000
EOF
taskset -c 0 lighttpd -D -f "$BENCH_DIR/lighttpd.conf" 2> /dev/null &
daemons+=($!)

for p in "$PORT_sn_small" "$PORT_sn_big" "$PORT_nginx" "$PORT_lighttpd"; do wait_port "$p"; done
# Every server gives the right bytes before it is timed.
for url in "http://127.0.0.1:$PORT_sn_small/input-1K" "http://127.0.0.1:$PORT_nginx/input-1K" \
           "http://127.0.0.1:$PORT_lighttpd/input-1K"; do
  curl -sS "$url" | cmp -s - "$small" || { echo "bench: $url does not give the file" >&2; exit 1; }
done

cat > "$BENCH_DIR/report.lua" <<'EOF'
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("%d %d %d %d %d %d %d %d\n", summary.requests, summary.bytes, summary.duration,
                         e.connect, e.read, e.write, e.status, e.timeout))
end
EOF

# url NAME FILE: where NAME serves FILE (small or big), by the file's name.
url() {
  local f=$small port
  [ "$2" = small ] || f=$big
  case $1 in
    splice-net) port="PORT_sn_$2"; port=${!port} ;;
    nginx) port=$PORT_nginx ;;
    lighttpd) port=$PORT_lighttpd ;;
  esac
  echo "http://127.0.0.1:$port/$(basename "$f")"
}

# one_run NAME FILE CONNECTIONS: "requests bytes microseconds connect read write status timeout"
# (the last five: wrk's errors of each kind) from one wrk run. A 64 MiB response takes over
# wrk's default 2 s on a loaded machine (4 of them at 0.13 GB/s), and every server then gets
# "timeout" errors (nginx, lighttpd and splice-net alike at load 11, session 6): the big file
# is given 20 s, so that only a stall counts.
one_run() {
  local timeout=2s
  [ "$2" = small ] || timeout=20s
  taskset -c 1 wrk -t1 -c"$3" -d"${SECONDS_PER_RUN}s" --timeout "$timeout" -s "$BENCH_DIR/report.lua" \
      "$(url "$1" "$2")" | tail -n 1
}

# measure TITLE FILE CONNECTIONS UNIT: one Markdown table (UNIT: rps or GB/s).
measure() {
  local title=$1 file=$2 conns=$3 unit=$4 r name
  local -a names=(splice-net nginx lighttpd)
  collect_runs "$BENCH_DIR/http" "${names[*]}" one_run "$file" "$conns"
  echo
  echo "### $title"
  echo
  python3 - "$BENCH_DIR" "$unit" <<'PY'
import statistics, sys
d, unit = sys.argv[1], sys.argv[2]
rows = []
for name in ["splice-net", "nginx", "lighttpd"]:
    runs = [list(map(int, l.split())) for l in open("%s/http.%s" % (d, name)) if l.strip()]
    if unit == "rps":
        value = statistics.median(r[0] / (r[2] / 1e6) for r in runs)
    else:
        value = statistics.median(r[1] / (r[2] / 1e6) / 1e9 for r in runs)
    kinds = ["connect", "read", "write", "status", "timeout"]
    counts = [sum(r[3 + i] for r in runs) for i in range(len(kinds))]
    errors = "%d" % sum(counts)
    if sum(counts):
        errors += " (" + ", ".join("%s %d" % (k, c) for k, c in zip(kinds, counts) if c) + ")"
    rows.append((name, value, errors, len(runs)))
base = rows[1][1]
head = "requests/s" if unit == "rps" else "GB/s"
print("| server | %s | wrk errors | against nginx |" % head)
print("|---|---|---|---|")
for name, value, errors, n in rows:
    shown = "%.0f" % value if unit == "rps" else "%.2f" % value
    print("| %s | %s | %s | %.2fx |" % (name, shown, errors, value / base if base else 0))
PY
}

load=$(cut -d' ' -f1-3 /proc/loadavg)
echo "## splice-net serve --http against nginx and lighttpd"
echo
echo "wrk (1 thread, CPU 1) against each server (CPU 0), ${SECONDS_PER_RUN} s per run, median of"
echo "$BENCH_RUNS interleaved runs; $(nproc) CPUs, $(uname -r); load average at the start: $load."
echo "$(nginx -v 2>&1 | sed 's/^nginx version: //') (1 worker, sendfile on, access_log off),"
echo "$(lighttpd -v 2>&1 | head -n 1 | cut -d' ' -f1) (defaults), splice-net serve -q --http."
measure "1 KiB file, 50 connections" small 50 rps
measure "1 KiB file, 1,000 connections" small 1000 rps
measure "64 MiB file, 4 connections" big 4 GB/s
