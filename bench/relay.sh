#!/bin/bash
# splice-net relay against socat's forking relay (socat TCP-LISTEN:P,fork TCP:127.0.0.1:Q).
# The target is `splice-net serve` giving a file to every client; the clients (`splice-net send
# -r`, which sends nothing and copies what comes back to /dev/null) fetch it through the relay:
# one client fetching the whole file, and 8 at once fetching SIZE/8 each. Server and clients
# are the same for both relays and pinned to CPU 0, the relay to CPU 1; fetching straight from
# the server is the reference. The clock runs from the first client's start to the last one's
# exit; the relay's CPU time (user + sys, its children's included) comes from /proc.
# Usage: bench/relay.sh BIN_DIR [SIZE_MIB]   (prints a Markdown section)
set -euo pipefail
BIN=$(cd "${1:?usage: relay.sh BIN_DIR [SIZE_MIB]}" && pwd)
SIZE=${2:-1024}
BENCH_RUNS=${BENCH_RUNS:-5}
. "$(dirname "$0")/lib.sh"
need_commands "$BIN" splice-net || exit 0
for tool in socat ss python3; do
  command -v "$tool" > /dev/null || { echo "bench: $tool missing" >&2; exit 1; }
done
SN="$BIN/splice-net"
f=$(bench_file "$SIZE")
bytes=$(( SIZE * 1048576 ))
PARALLEL=8
part="$BENCH_INPUTS/input-${SIZE}M-part$PARALLEL"
if [ ! -f "$part" ] || [ "$(stat -c %s "$part")" -ne $(( bytes / PARALLEL )) ]; then
  head -c $(( bytes / PARALLEL )) "$f" > "$part"
fi
cat "$part" > /dev/null

# cpu_ticks PID: user+sys clock ticks of PID and its reaped children so far.
cpu_ticks() { awk '{print $14 + $15 + $16 + $17}' "/proc/$1/stat"; }


# start NAME FILE: the server, and the relays in front of it; sets SERVER, RELAY_SN, RELAY_SOCAT
# (ports) and PID_SN, PID_SOCAT.
start() {
  SERVER=$(free_port)
  taskset -c 0 "$SN" serve -q "127.0.0.1:$SERVER" "$1" 2> /dev/null &
  daemons+=($!)
  wait_port "$SERVER"
  RELAY_SN=$(free_port)
  taskset -c 1 "$SN" relay -q "127.0.0.1:$RELAY_SN" "127.0.0.1:$SERVER" 2> /dev/null &
  PID_SN=$!
  daemons+=($!)
  RELAY_SOCAT=$(free_port)
  taskset -c 1 socat "TCP-LISTEN:$RELAY_SOCAT,bind=127.0.0.1,fork,reuseaddr" "TCP:127.0.0.1:$SERVER" &
  PID_SOCAT=$!
  daemons+=($!)
  wait_port "$RELAY_SN"
  wait_port "$RELAY_SOCAT"
}

# one_run CLIENTS PORT RELAY_PID: prints "seconds relay_cpu_seconds" for CLIENTS fetching at once.
one_run() {
  local n=$1 port=$2 pid=$3 i c0=0 c1=0 t0 t1
  local -a clients=()
  [ "$pid" = - ] || c0=$(cpu_ticks "$pid")
  t0=$(date +%s.%N)
  for i in $(seq "$n"); do
    taskset -c 0 "$SN" send -r "127.0.0.1:$port" /dev/null > /dev/null &
    clients+=($!)
  done
  wait "${clients[@]}"
  t1=$(date +%s.%N)
  sleep 0.3  # socat's children exit and are reaped after the client has all the bytes
  [ "$pid" = - ] || c1=$(cpu_ticks "$pid")
  echo "$(echo "$t1 - $t0" | bc -l) $(echo "($c1 - $c0) / $(getconf CLK_TCK)" | bc -l)"
}

# measure TITLE CLIENTS FILE: a Markdown table for one configuration.
measure() {
  local title=$1 n=$2 file=$3 r name
  start "$file"
  local -a names=(direct splice-net-relay socat-relay)
  for name in "${names[@]}"; do : > "$BENCH_DIR/relay.$name"; done
  for r in $(seq "$BENCH_RUNS"); do
    one_run "$n" "$SERVER" - >> "$BENCH_DIR/relay.direct"
    one_run "$n" "$RELAY_SN" "$PID_SN" >> "$BENCH_DIR/relay.splice-net-relay"
    one_run "$n" "$RELAY_SOCAT" "$PID_SOCAT" >> "$BENCH_DIR/relay.socat-relay"
  done
  stop_all
  echo
  echo "### $title"
  echo
  echo "| path | median s | GB/s | relay CPU s | splice-net relay is |"
  echo "|---|---|---|---|---|"
  BENCH_REFERENCE=direct median_rows relay "$bytes" splice-net-relay "${names[@]}"
}

echo "## splice-net relay"
echo
echo "$SIZE MiB in the page cache fetched through a relay over TCP loopback; server and clients on"
echo "CPU 0, relay on CPU 1; median of $BENCH_RUNS interleaved runs; $(nproc) CPUs, $(uname -r)."
measure "one connection, $SIZE MiB" 1 "$f"
measure "$PARALLEL connections at once, $((SIZE / PARALLEL)) MiB each" "$PARALLEL" "$part"
