#!/bin/bash
# splice-net against socat, nc (netcat-openbsd) and iperf3: one file, hot in the page cache,
# sent over TCP loopback to a receiver that discards it (/dev/null). Sender and receiver are
# pinned: both on CPU 0 ("same"), or sender on 0 and receiver on 1 ("split"). The receiver is
# started and ready before the clock starts; the time runs from the sender's start to the
# receiver's exit. user/sys are the CPU seconds of sender + receiver together.
# iperf3 is timed the same way (client + one-shot server, -F FILE) and also by its own report
# (which leaves out its control-channel setup, so it flatters iperf3).
# Usage: bench/splice-net.sh BIN_DIR [SIZE_MIB]   (prints a Markdown section)
set -euo pipefail
BIN=$(cd "${1:?usage: splice-net.sh BIN_DIR [SIZE_MIB]}" && pwd)
SIZE=${2:-1024}
BENCH_RUNS=${BENCH_RUNS:-5}
. "$(dirname "$0")/lib.sh"
need_commands "$BIN" splice-net || exit 0

f=$(bench_file "$SIZE")
bytes=$(( SIZE * 1048576 ))
SN="$BIN/splice-net"
for tool in socat nc iperf3 ss python3; do
  command -v "$tool" > /dev/null || { echo "bench: $tool missing" >&2; exit 1; }
done

# cpu_mark FILE: this shell's reaped children's CPU so far (`times` output, parsed later: parsing
# now would count the parser itself). Must run in this shell, not in a $(...) subshell.
cpu_mark() { times > "$1"; }

# one_run NAME RCPU SCPU: prints "seconds user sys" for one transfer.
one_run() {
  local name=$1 rcpu=$2 scpu=$3 port rpid c0 c1 t0 t1
  port=$(free_port)
  case $name in
    splice-net) taskset -c "$rcpu" "$SN" recv "127.0.0.1:$port" > /dev/null & ;;
    socat) taskset -c "$rcpu" socat -u "TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr" - > /dev/null & ;;
    nc) taskset -c "$rcpu" nc -l 127.0.0.1 "$port" > /dev/null < /dev/null & ;;
    iperf3) taskset -c "$rcpu" iperf3 -s -1 -B 127.0.0.1 -p "$port" > /dev/null & ;;
  esac
  rpid=$!
  wait_port "$port"
  cpu_mark "$BENCH_DIR/cpu0"
  t0=$(date +%s.%N)
  case $name in
    splice-net) taskset -c "$scpu" "$SN" send "127.0.0.1:$port" "$f" ;;
    socat) taskset -c "$scpu" socat -u "FILE:$f" "TCP:127.0.0.1:$port" ;;
    nc) taskset -c "$scpu" nc -N 127.0.0.1 "$port" < "$f" ;;
    iperf3) taskset -c "$scpu" iperf3 -c 127.0.0.1 -p "$port" -F "$f" -n "$bytes" -J > "$BENCH_DIR/iperf.json" ;;
  esac
  wait "$rpid"
  t1=$(date +%s.%N)
  cpu_mark "$BENCH_DIR/cpu1"
  python3 - "$t0" "$t1" "$BENCH_DIR/cpu0" "$BENCH_DIR/cpu1" <<'PY'
import re, sys
def children(path):  # second line of `times`: user and system time of reaped children
    line = open(path).read().splitlines()[-1]
    return [int(m) * 60 + float(s) for m, s in re.findall(r"(\d+)m([\d.]+)s", line)]
t0, t1 = float(sys.argv[1]), float(sys.argv[2])
(u0, s0), (u1, s1) = children(sys.argv[3]), children(sys.argv[4])
print("%.4f %.3f %.3f" % (t1 - t0, u1 - u0, s1 - s0))
PY
  if [ "$name" = iperf3 ]; then
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); r=d["end"]["sum_received"]; print("%.4f" % (r["bytes"] / (r["bits_per_second"] / 8)))' \
      "$BENCH_DIR/iperf.json" >> "$BENCH_DIR/net.iperf-own"
  fi
}

run_config() {  # TITLE RECEIVER_CPU SENDER_CPU
  local title=$1 rcpu=$2 scpu=$3 r name
  local -a names=(splice-net socat nc iperf3)
  for name in "${names[@]}"; do : > "$BENCH_DIR/net.$name"; done
  : > "$BENCH_DIR/net.iperf-own"
  for r in $(seq "$BENCH_RUNS"); do
    for name in "${names[@]}"; do one_run "$name" "$rcpu" "$scpu" >> "$BENCH_DIR/net.$name"; done
  done
  echo
  echo "### $title"
  echo
  echo "| tool | median s | GB/s | user s | sys s | splice-net is |"
  echo "|---|---|---|---|---|---|"
  python3 - "$BENCH_DIR" "$bytes" <<'PY'
import statistics, sys
d, size = sys.argv[1], int(sys.argv[2])
def med(path, col):
    rows = [l.split() for l in open(path) if l.strip()]
    return statistics.median(float(r[col]) for r in rows)
rows = []
for name in ["splice-net", "socat", "nc", "iperf3"]:
    p = "%s/net.%s" % (d, name)
    rows.append((name, med(p, 0), med(p, 1), med(p, 2)))
own = med(d + "/net.iperf-own", 0)
rows.append(("iperf3 (own report)", own, None, None))
base = rows[0][1]
for name, t, u, s in rows:
    ratio = "-" if name == "splice-net" else "%.2fx faster" % (t / base)
    us = "-" if u is None else "%.2f" % u
    ss = "-" if s is None else "%.2f" % s
    print("| %s | %.3f | %.2f | %s | %s | %s |" % (name, t, size / t / 1e9, us, ss, ratio))
PY
}

echo "## splice-net"
echo
echo "File transfer over TCP loopback: $SIZE MiB file in the page cache, receiver to /dev/null;"
echo "median of $BENCH_RUNS interleaved runs; $(nproc) CPUs, $(uname -r)."
echo "splice-net: send (sendfile) -> recv (splice socket -> pipe -> /dev/null);"
echo "socat -u FILE -> socat -u TCP-LISTEN; nc -N < FILE -> nc -l; iperf3 -c -F FILE -> iperf3 -s -1."
run_config "same CPU (sender and receiver on CPU 0)" 0 0
run_config "split CPUs (sender on CPU 0, receiver on CPU 1)" 1 0
