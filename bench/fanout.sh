#!/bin/bash
# splice-net fanout to 4 clients against the same fan-out built from GNU tee and netcat:
#   fanout:  splice-cat FILE | splice-net fanout --slow=block --min-clients 4 PORT
#   classic: cat FILE | tee >(nc -N -l P1) >(nc -N -l P2) >(nc -N -l P3) | nc -N -l P4
# The 4 clients are the same for both: a few lines of Python that splice what arrives to
# /dev/null until end of file and print the byte count (checked), so the clients cost little and
# the fan-out is what is measured. (They never half-close: nc -N -l would take that as the end.)
# The source side is pinned to CPU 0 and the clients to CPU 1; the clock runs from the
# source's start to the last client's exit; medians of BENCH_RUNS interleaved runs.
# Usage: bench/fanout.sh BIN_DIR [SIZE_MIB]   (prints a Markdown section)
set -euo pipefail
BIN=$(cd "${1:?usage: fanout.sh BIN_DIR [SIZE_MIB]}" && pwd)
SIZE=${2:-512}
BENCH_RUNS=${BENCH_RUNS:-5}
CLIENTS=4
. "$(dirname "$0")/lib.sh"
need_commands "$BIN" splice-net splice-cat || exit 0
for tool in nc ss python3 tee; do
  command -v "$tool" > /dev/null || { echo "bench: $tool missing" >&2; exit 1; }
done
f=$(bench_file "$SIZE")
bytes=$(( SIZE * 1048576 ))


client='
import os, socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
r, w = os.pipe()
null = os.open("/dev/null", os.O_WRONLY)
total = 0
while True:
    n = os.splice(s.fileno(), w, 1 << 20)
    if n == 0:
        break
    total += n
    while n:
        n -= os.splice(r, null, n)
print(total)
'

# one_run NAME: prints the seconds for every client to receive the whole file.
one_run() {
  local i t0 t1 source
  local -a ports=() clients=()
  for i in $(seq "$CLIENTS"); do ports+=("$(free_port)"); done
  t0=$(date +%s.%N)
  case $1 in
    fanout)
      taskset -c 0 bash -c "'$BIN/splice-cat' '$f' |
        '$BIN/splice-net' fanout -q --slow=block --min-clients $CLIENTS 127.0.0.1:${ports[0]} 2>/dev/null" &
      source=$!
      wait_port "${ports[0]}"
      for i in $(seq "$CLIENTS"); do
        taskset -c 1 python3 -c "$client" "${ports[0]}" >> "$BENCH_DIR/got" &
        clients+=($!)
      done ;;
    classic)
      taskset -c 0 bash -c "cat '$f' | tee >(nc -N -l 127.0.0.1 ${ports[0]}) >(nc -N -l 127.0.0.1 ${ports[1]}) \
        >(nc -N -l 127.0.0.1 ${ports[2]}) | nc -N -l 127.0.0.1 ${ports[3]}" &
      source=$!
      for i in $(seq "$CLIENTS"); do
        wait_port "${ports[$((i - 1))]}"
        taskset -c 1 python3 -c "$client" "${ports[$((i - 1))]}" >> "$BENCH_DIR/got" &
        clients+=($!)
      done ;;
  esac
  wait "${clients[@]}"
  t1=$(date +%s.%N)
  wait "$source" || true
  # Every client must have had every byte (a short transfer would look fast).
  if [ "$(sort -u "$BENCH_DIR/got")" != "$bytes" ]; then
    echo "bench: $1: a client got $(sort -u "$BENCH_DIR/got" | tr '\n' ' ')bytes, not $bytes" >&2
    exit 1
  fi
  : > "$BENCH_DIR/got"
  echo "$t1 - $t0" | bc -l
}

: > "$BENCH_DIR/got"
time_interleaved one_run classic fanout > "$BENCH_DIR/medians"

echo "## splice-net fanout"
echo
echo "$SIZE MiB in the page cache to $CLIENTS clients over TCP loopback (splicing to /dev/null); source"
echo "side on CPU 0, clients on CPU 1; median of $BENCH_RUNS interleaved runs; $(nproc) CPUs, $(uname -r)."
echo "classic: cat | tee >(nc -N -l) x3 | nc -N -l (one port per client)."
echo
echo "| fan-out | median s | GB/s delivered | vs classic |"
echo "|---|---|---|---|"
table "$((bytes * CLIENTS))" classic < "$BENCH_DIR/medians"
