#!/bin/bash
# Would vmsplice(2) from fresh pages beat write(2) for hw-encrypt's output pipe? (session 8)
# Runs bench/pipe_output_proto.cpp (hw-encrypt's one-thread data path, stand-alone) in
# `cat FILE | X | cat > /dev/null` with each output method, and hw-encrypt -t 1 itself as the
# calibration row; reports the middle stage's CPU (perf stat task-clock), the reading cat's CPU
# and the wall time, medians of BENCH_RUNS interleaved runs.
# Usage: bench/pipe-output.sh BIN_DIR [SIZE_MIB]   (prints a Markdown table)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bench_setup hw-encrypt 512 "$@" || exit 0
command -v perf > /dev/null || { echo "bench: perf not installed, $(basename "$0") skipped" >&2; exit 0; }
proto="$BENCH_DIR/pipe_output_proto"
c++ -O2 -std=c++20 -o "$proto" "$(dirname "$0")/pipe_output_proto.cpp" -lcrypto
key="$BENCH_DIR/key"
"$BIN/hw-encrypt" keygen -o "$key"

# Every method writes the same bytes, and a held reader still gets them (vmreuse would not).
want=$("$proto" write < "$f" | md5sum)
for m in "vm4k" "thp 1 8" "thppop 4 8"; do
  # shellcheck disable=SC2086
  got=$("$proto" $m < "$f" | (sleep 1; cat) | md5sum)
  [ "$got" = "$want" ] || { echo "bench: $m changed the bytes" >&2; exit 1; }
done

one_run() {  # NAME CMD: "stage_cpu_ms reader_cpu_ms wall_s" of one run
  local start end
  start=$(date +%s.%N)
  bash -c "cat $f | perf stat -x, -e task-clock -o $BENCH_DIR/stage $2 | perf stat -x, -e task-clock -o $BENCH_DIR/reader cat > /dev/null"
  end=$(date +%s.%N)
  echo "$(grep task-clock "$BENCH_DIR/stage" | cut -d, -f1) $(grep task-clock "$BENCH_DIR/reader" | cut -d, -f1) $(echo "$end - $start" | bc -l)"
}
names=(hw-encrypt-t1 write-64k vm4k-64k thp2M-64k thp8M-64k write-256k thppop8M-256k)
cmds=("$BIN/hw-encrypt -q -k $key -t 1" "$proto write 1" "$proto vm4k 1" "$proto thp 1 2"
      "$proto thp 1 8" "$proto write 4" "$proto thppop 4 8")
for i in "${!names[@]}"; do : > "$BENCH_DIR/runs.$i"; done
for r in $(seq "$BENCH_RUNS"); do
  for i in "${!names[@]}"; do one_run "${names[$i]}" "${cmds[$i]}" >> "$BENCH_DIR/runs.$i"; done
done

echo "## hw-encrypt's output pipe: write(2) against vmsplice(2) of fresh pages ($SIZE MiB in page cache, median of $BENCH_RUNS, $(nproc) CPUs, $(uname -r))"
echo
echo "| X in cat FILE \| X \| cat | X's CPU ms | reader's CPU ms | wall s |"
echo "|---|---|---|---|"
for i in "${!names[@]}"; do
  printf "| %s | %.1f | %.1f | %.3f |\n" "${names[$i]}" \
    "$(cut -d' ' -f1 "$BENCH_DIR/runs.$i" | median)" "$(cut -d' ' -f2 "$BENCH_DIR/runs.$i" | median)" \
    "$(cut -d' ' -f3 "$BENCH_DIR/runs.$i" | median)"
done
