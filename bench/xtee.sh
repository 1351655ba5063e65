#!/bin/bash
# xtee against GNU tee, uutils tee and a raw tee(2) loop: one file plus stdout into a splicing
# consumer (pv), and fan-out to 2 and 4 pipes; every stage pinned to CPU 0; medians of
# BENCH_RUNS interleaved runs; CPU (user+sys) of the tee process alone, from /usr/bin/time.
# Usage: bench/xtee.sh BIN_DIR [SIZE_MIB]   (prints a Markdown table)
# XTEE_BASELINE=/path/to/xtee adds rows for that binary (an A/B against another build, in the
# same interleaved runs).
#
# The fan-out rows separate the two things that set xtee's speed there: the engine, and the size
# of the pipeline's pipes (stdin, stdout and the >(...) pipes are the pipeline's: xtee grows them to
# at most 256 KiB by default, conduit::kSharedPipeCap, where the raw loop takes 1 MiB; on one CPU
# every stage then wakes four times as often). raw-tee-256k is the raw loop at xtee's default size
# and xtee-1m is xtee with --pipe-size=1M: engine against engine at equal pipe sizes.
set -euo pipefail
BENCH_RUNS=${BENCH_RUNS:-5}
. "$(dirname "$0")/lib.sh"
bench_setup xtee 1024 "$@" || exit 0
uu=""
for c in /usr/lib/cargo/bin/coreutils/tee /usr/bin/uu-tee; do
  [ -x "$c" ] && { uu=$c; break; }
done
pin="taskset -c 0"
# The written file goes to tmpfs when there is one: on ext4 a rewritten 1 GiB file is paced by
# dirty-page writeback to the disk, which measures the disk, not the tee (override: OUT_DIR).
OUT_DIR=${OUT_DIR:-$( [ -w /dev/shm ] && echo /dev/shm || echo "$BENCH_DIR")}
out="$OUT_DIR/xtee-bench-out.bin"
cp "$f" "$out"  # overwrite an existing file: fresh pages are slow here

# The reference: tee(2) from stdin into fds 3.. and splice the rest to stdout, 1 MiB pipes
# (raw-tee N [PIPE_BYTES]: N outputs on fds 3.., every pipe grown to PIPE_BYTES).
raw="$BENCH_DIR/raw-tee"
if [ ! -x "$raw" ]; then
  cat > "$raw.c" <<'EOF'
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 0;
  int size = argc > 2 ? atoi(argv[2]) : 1 << 20;
  fcntl(0, F_SETPIPE_SZ, size);
  fcntl(1, F_SETPIPE_SZ, size);
  for (int i = 0; i < n; i++) fcntl(3 + i, F_SETPIPE_SZ, size);
  for (;;) {
    ssize_t got = tee(0, n ? 3 : 1, (size_t)size, 0);
    if (got <= 0) return got < 0;
    for (int i = 1; i < n; i++) tee(0, 3 + i, (size_t)got, 0);
    if (n) for (ssize_t left = got; left > 0;) {
      ssize_t m = splice(0, 0, 1, 0, (size_t)left, 0);
      if (m <= 0) return 1;
      left -= m;
    } else splice(0, 0, 1, 0, (size_t)got, 0);
  }
}
EOF
  cc -O2 -o "$raw" "$raw.c"
fi

# timed NAME CMD...: the command under /usr/bin/time, appending "user sys" to cpu.NAME.
timed() { echo "/usr/bin/time -f '%U %S' -a -o $BENCH_DIR/cpu.$1 ${*:2}"; }
cpu_median() { awk '{print $1 + $2}' "$BENCH_DIR/cpu.$1" | median; }

# table_cpu BASE: like lib.sh's table, plus the tee process's median CPU and its ratio to
# GNU tee's.
table_cpu() {
  local base=$1 line name t cpu bt=0 bc=0
  local -a rows=()
  while read -r name t; do
    rows+=("$name $t $(cpu_median "$name")")
    [ "$name" = "$base" ] && bt=$t
    [ "$name" = gnu-tee ] && bc=$(cpu_median "$name")
  done
  for line in "${rows[@]}"; do
    read -r name t cpu <<< "$line"
    awk -v n="$name" -v t="$t" -v c="$cpu" -v b="$bytes" -v bt="$bt" -v bc="$bc" 'BEGIN {
      printf "| %s | %.3f | %.2f | %.2fx | %.3f | %.2f |\n", n, t, b/t/1e9, bt/t, c, (bc > 0 ? c/bc : 0) }'
  done
}

header() {
  echo
  echo "### $1"
  echo
  echo "| tee | median s | GB/s | speed vs $2 | CPU s (user+sys) | CPU vs GNU tee |"
  echo "|---|---|---|---|---|---|"
}

rm -f "$BENCH_DIR"/cpu.*
echo "## xtee ($SIZE MiB file in page cache, median of $BENCH_RUNS, all stages on CPU 0, $(uname -r))"

header "one file ($OUT_DIR) plus stdout into a splicing consumer (\`tee FILE < f | pv -q > /dev/null\`)" "GNU tee"
args=(
  gnu-tee "$pin $(timed gnu-tee tee "$out") < $f | $pin pv -q > /dev/null"
  xtee "$pin $(timed xtee "$BIN/xtee" "$out") < $f | $pin pv -q > /dev/null"
)
[ -n "${XTEE_BASELINE:-}" ] &&
  args+=(xtee-baseline "$pin $(timed xtee-baseline "$XTEE_BASELINE" "$out") < $f | $pin pv -q > /dev/null")
[ -n "$uu" ] && args+=(uutils-tee "$pin $(timed uutils-tee "$uu" "$out") < $f | $pin pv -q > /dev/null")
run_interleaved "${args[@]}" | table_cpu gnu-tee

[ "${XTEE_BENCH_FANOUT:-1}" = 1 ] || { rm -f "$out"; exit 0; }
for n in 2 4; do
  rm -f "$BENCH_DIR"/cpu.*
  subs="" ; fds=""
  for i in $(seq 2 "$n"); do
    subs+=" >($pin pv -q > /dev/null)"
    fds+=" $(( i + 1 ))>&1"
  done
  # The raw loop gets the same consumers on fds 3..: bash gives them through process substitution.
  rawfds=""
  for i in $(seq 2 "$n"); do rawfds+=" $(( i + 1 ))> >($pin pv -q > /dev/null)"; done
  header "fan-out to $n pipes (\`pv -q f | tee >(pv -q >/dev/null)... | pv -q > /dev/null\`)" "raw tee(2) loop"
  args=(
    raw-tee "$pin pv -q $f | $pin $(timed raw-tee "$raw" $((n - 1))) $rawfds | $pin pv -q > /dev/null"
    raw-tee-256k "$pin pv -q $f | $pin $(timed raw-tee-256k "$raw" $((n - 1)) 262144) $rawfds | $pin pv -q > /dev/null"
    gnu-tee "$pin pv -q $f | $pin $(timed gnu-tee tee "$subs") | $pin pv -q > /dev/null"
    xtee "$pin pv -q $f | $pin $(timed xtee "$BIN/xtee" "$subs") | $pin pv -q > /dev/null"
    xtee-1m "$pin pv -q $f | $pin $(timed xtee-1m "$BIN/xtee" --pipe-size=1M "$subs") | $pin pv -q > /dev/null"
  )
  if [ -n "${XTEE_BASELINE:-}" ]; then
    args+=(
      xtee-baseline "$pin pv -q $f | $pin $(timed xtee-baseline "$XTEE_BASELINE" "$subs") | $pin pv -q > /dev/null"
      xtee-baseline-1m "$pin pv -q $f | $pin $(timed xtee-baseline-1m "$XTEE_BASELINE" --pipe-size=1M "$subs") | $pin pv -q > /dev/null"
    )
  fi
  [ -n "$uu" ] && args+=(uutils-tee "$pin pv -q $f | $pin $(timed uutils-tee "$uu" "$subs") | $pin pv -q > /dev/null")
  run_interleaved "${args[@]}" | table_cpu raw-tee
done
rm -f "$out"
