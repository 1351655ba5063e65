#!/bin/bash
# Pipeline 3 of issue 7, whole: encrypt a tree and ship it over TCP loopback, against the same
# pipeline built from the classic tools.
#   conduit: tar cf - | xtee TAR | hw-encrypt -k KEY | splice-net send  ->
#            splice-net recv | hw-encrypt -d -k KEY | tar xf - -O > /dev/null
#   classic: tar cf - | tee TAR | openssl enc -aes-256-ctr | nc -N  ->
#            nc -l | openssl enc -d -aes-256-ctr | tar xf - -O > /dev/null
# (openssl enc cannot do GCM, so the classic pipeline gets the cheaper, unauthenticated CTR.)
# The tree is in the page cache; TAR is overwritten on tmpfs; the sender's stages are pinned to
# CPU 0 and the receiver's to CPU 1; the clock runs from the sender's start to the receiver's
# exit; medians of BENCH_RUNS interleaved runs.
# Usage: bench/pipeline3.sh BIN_DIR [SIZE_MIB]   (prints a Markdown section)
set -euo pipefail
BIN=$(cd "${1:?usage: pipeline3.sh BIN_DIR [SIZE_MIB]}" && pwd)
SIZE=${2:-512}
BENCH_RUNS=${BENCH_RUNS:-5}
. "$(dirname "$0")/lib.sh"
need_commands "$BIN" splice-net hw-encrypt xtee || exit 0
for tool in openssl nc ss python3 tar; do
  command -v "$tool" > /dev/null || { echo "bench: $tool missing" >&2; exit 1; }
done

# The tree: 8 files of SIZE/8 MiB each, made once from the shared input file.
f=$(bench_file "$SIZE")
tree="$BENCH_INPUTS/tree-${SIZE}M"
if [ ! -d "$tree" ]; then
  mkdir -p "$tree.tmp"
  split -n 8 -d "$f" "$tree.tmp/part-"
  mv "$tree.tmp" "$tree"
fi
cat "$tree"/* > /dev/null
bytes=$(( SIZE * 1048576 ))
OUT_DIR=${OUT_DIR:-$( [ -w /dev/shm ] && echo /dev/shm || echo "$BENCH_DIR")}
tarcopy="$OUT_DIR/conduit-bench-pipeline3.tar"
tar cf "$tarcopy" -C "$tree" .  # written over in every run: fresh pages are slow here

"$BIN/hw-encrypt" keygen -o "$BENCH_DIR/key"
K=$(od -An -tx1 "$BENCH_DIR/key" | tr -d ' \n')
IV=000102030405060708090a0b0c0d0e0f
s="taskset -c 0"  # sender stages
r="taskset -c 1"  # receiver stages


# one_run NAME: prints the seconds of one transfer.
one_run() {
  local port rpid t0 t1
  port=$(free_port)
  case $1 in
    conduit)
      bash -c "$r $BIN/splice-net recv 127.0.0.1:$port 2>/dev/null | $r $BIN/hw-encrypt -d -t 1 -k $BENCH_DIR/key |
               $r tar xf - -O > /dev/null" & ;;
    classic)
      bash -c "$r nc -l 127.0.0.1 $port < /dev/null | $r openssl enc -d -aes-256-ctr -K $K -iv $IV |
               $r tar xf - -O > /dev/null" & ;;
  esac
  rpid=$!
  wait_port "$port"
  t0=$(date +%s.%N)
  case $1 in
    conduit)
      $s tar cf - -C "$tree" . | $s "$BIN/xtee" "$tarcopy" | $s "$BIN/hw-encrypt" -t 1 -k "$BENCH_DIR/key" |
        $s "$BIN/splice-net" send "127.0.0.1:$port" ;;
    classic)
      $s tar cf - -C "$tree" . | $s tee "$tarcopy" | $s openssl enc -aes-256-ctr -K "$K" -iv "$IV" |
        $s nc -N 127.0.0.1 "$port" ;;
  esac
  wait "$rpid"
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc -l
}

time_interleaved one_run classic conduit > "$BENCH_DIR/medians"

echo "## Pipeline 3: tar | tee | encrypt | send -> recv | decrypt | tar x"
echo
echo "$SIZE MiB tree (8 files) in the page cache, tee's copy on tmpfs, sender on CPU 0 and receiver"
echo "on CPU 1, median of $BENCH_RUNS interleaved runs; $(nproc) CPUs, $(uname -r)."
echo "conduit authenticates (AES-256-GCM); the classic pipeline only encrypts (openssl enc AES-256-CTR)."
echo
echo "| pipeline | median s | GB/s of tar stream | vs classic |"
echo "|---|---|---|---|"
table "$bytes" classic < "$BENCH_DIR/medians"
