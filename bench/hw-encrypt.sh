#!/bin/bash
# hw-encrypt against `openssl enc -aes-256-ctr` in the same pipe, and against
# `openssl speed -evp aes-256-gcm` (one core, 64 KiB blocks) as the limit of one core.
# Usage: bench/hw-encrypt.sh BIN_DIR [SIZE_MIB]   (prints a Markdown table)
# Targets (PERFORMANCE.md): >= 0.75x openssl speed on one core; >= 2x openssl enc in a pipe.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bench_setup hw-encrypt 512 "$@" || exit 0
need_commands "$BIN" splice-cat || exit 0  # the floor row of the pipe table
H="$BIN/hw-encrypt"
key="$BENCH_DIR/hw.key"
[ -f "$key" ] || "$H" keygen -o "$key"
K=$(od -An -tx1 "$key" | tr -d ' \n')
IV=000102030405060708090a0b0c0d0e0f
enc="$BENCH_DIR/hw-enc.bin"
"$H" -k "$key" "$f" > "$enc"
cache_as_read "$enc"
pin0="taskset -c 0"

echo "## hw-encrypt ($SIZE MiB in page cache, median of $BENCH_RUNS, $(nproc) CPUs, $(uname -r), $(openssl version | cut -d' ' -f1-2))"
echo
echo "### In a pipe: cat FILE | X | cat > /dev/null"
# The floor row puts splice-cat in the middle: a stage that moves pages and copies nothing, so
# the pipeline is as fast as the two cats allow. No encrypting stage can beat it; a goal ratio
# against openssl enc that is faster than the floor cannot be met on this machine.
echo
echo "| X | median s | GB/s | vs openssl enc |"
echo "|---|---|---|---|"
run_interleaved \
  "openssl-enc-ctr(same-cpu)" "$pin0 cat $f | $pin0 openssl enc -aes-256-ctr -K $K -iv $IV | $pin0 cat > /dev/null" \
  "hw-encrypt-t1(same-cpu)" "$pin0 cat $f | $pin0 $H -k $key -t 1 | $pin0 cat > /dev/null" \
  "openssl-enc-ctr" "cat $f | openssl enc -aes-256-ctr -K $K -iv $IV | cat > /dev/null" \
  "hw-encrypt-t1" "cat $f | $H -k $key -t 1 | cat > /dev/null" \
  "hw-encrypt-t2" "cat $f | $H -k $key -t 2 | cat > /dev/null" \
  "hw-decrypt-t1" "cat $enc | $H -d -k $key -t 1 | cat > /dev/null" \
  "hw-decrypt-t2" "cat $enc | $H -d -k $key -t 2 | cat > /dev/null" \
  "floor:splice-cat" "cat $f | $BIN/splice-cat | cat > /dev/null" |
  table "$bytes" "openssl-enc-ctr" > "$BENCH_DIR/hw-pipe.md"
# The same-CPU rows compare against the same-CPU openssl row.
same_base=$(awk -F'|' '/openssl-enc-ctr\(same-cpu\)/ {gsub(/ /, "", $3); print $3}' "$BENCH_DIR/hw-pipe.md")
awk -F'|' -v sb="$same_base" -v bytes="$bytes" '
  /same-cpu/ { t=$3; gsub(/ /, "", t); printf "| %s | %.3f | %.2f | %.2fx |\n", $2, t, bytes/t/1e9, sb/t; next }
  { print }' "$BENCH_DIR/hw-pipe.md" | sed 's/^|  */| /'
echo
echo "### One core: file -> /dev/null, against openssl speed -evp aes-256-gcm (64 KiB blocks)"
echo
# openssl speed counts CPU time (user), so hw-encrypt is compared by its CPU time too (user +
# sys, which includes reading the file); wall time is shown as well. On a quiet machine the
# two agree; on a shared one only CPU time is a fair comparison.
speed=$($pin0 openssl speed -evp aes-256-gcm -bytes 65536 -seconds 3 2>/dev/null |
        awk '/^(AES-256-GCM|aes-256-gcm)/ {v=$NF; sub(/k$/, "", v); print v * 1000}')
cpu_runs() {  # NAME CMD: median wall and median CPU seconds over BENCH_RUNS runs
  local name=$1 cmd=$2 r
  : > "$BENCH_DIR/wall"; : > "$BENCH_DIR/cpu"
  for r in $(seq "$BENCH_RUNS"); do
    local TIMEFORMAT='%R %U %S'
    { time bash -c "$cmd" ; } 2> "$BENCH_DIR/t"
    awk '{print $1}' "$BENCH_DIR/t" >> "$BENCH_DIR/wall"
    awk '{print $2 + $3}' "$BENCH_DIR/t" >> "$BENCH_DIR/cpu"
  done
  echo "$name $(median < "$BENCH_DIR/wall") $(median < "$BENCH_DIR/cpu")"
}
echo "| X | median wall s | median CPU s | GB/s per CPU second | vs openssl speed |"
echo "|---|---|---|---|---|"
echo "| openssl speed -evp aes-256-gcm (1 core, CPU time) | - | - | $(awk -v s="$speed" 'BEGIN {printf "%.2f", s/1e9}') | 1.00x |"
{
  cpu_runs "hw-encrypt-t1" "$pin0 $H -k $key -t 1 $f > /dev/null"
  cpu_runs "hw-decrypt-t1" "$pin0 $H -d -k $key -t 1 $enc > /dev/null"
} | awk -v bytes="$bytes" -v s="$speed" '{ printf "| %s | %.3f | %.3f | %.2f | %.2fx |\n", $1, $2, $3, bytes/$3/1e9, (bytes/$3)/s }'
echo
echo "### Two threads, file -> /dev/null (wall time; scaling needs idle CPUs)"
echo
echo "| X | median s | GB/s | vs 1 thread |"
echo "|---|---|---|---|"
# Each direction against its own single thread (decryption is not encryption's speed).
run_interleaved \
  "hw-encrypt-t1" "$H -k $key -t 1 $f > /dev/null" \
  "hw-encrypt-t2" "$H -k $key -t 2 $f > /dev/null" \
  "hw-decrypt-t1" "$H -d -k $key -t 1 $enc > /dev/null" \
  "hw-decrypt-t2" "$H -d -k $key -t 2 $enc > /dev/null" > "$BENCH_DIR/hw-threads"
grep '^hw-encrypt' "$BENCH_DIR/hw-threads" | table "$bytes" hw-encrypt-t1
grep '^hw-decrypt' "$BENCH_DIR/hw-threads" | table "$bytes" hw-decrypt-t1
