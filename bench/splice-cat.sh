#!/bin/bash
# splice-cat against GNU cat, pv and uutils cat: file -> pipe -> consumer, stages pinned.
# Usage: bench/splice-cat.sh BIN_DIR [SIZE_MIB]   (prints a Markdown table)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bench_setup splice-cat 1024 "$@" || exit 0
uu=""
for c in /usr/lib/cargo/bin/coreutils/cat /usr/bin/uu-cat /usr/lib/cargo/bin/cat; do
  [ -x "$c" ] && { uu=$c; break; }
done
pin0="taskset -c 0"

run_case() {  # title consumer cpu_of_consumer
  local title=$1 consumer=$2 ccpu=$3
  echo
  echo "### $title"
  echo
  echo "| producer | median s | GB/s | vs GNU cat |"
  echo "|---|---|---|---|"
  local -a args=(
    gnu-cat "$pin0 cat $f | taskset -c $ccpu $consumer"
    splice-cat "$pin0 $BIN/splice-cat $f | taskset -c $ccpu $consumer"
    pv "$pin0 pv -q $f | taskset -c $ccpu $consumer"
  )
  [ -n "$uu" ] && args+=(uutils-cat "$pin0 $uu $f | taskset -c $ccpu $consumer")
  run_interleaved "${args[@]}" | table "$bytes" gnu-cat
}

echo "## splice-cat ($SIZE MiB file in page cache, median of $BENCH_RUNS, $(nproc) CPUs, $(uname -r))"
run_case "into a splicing consumer (splice-cat > /dev/null), same CPU" "$BIN/splice-cat > /dev/null" 0
run_case "into a splicing consumer, split CPUs" "$BIN/splice-cat > /dev/null" 1
run_case "into a read() consumer (GNU cat > /dev/null), same CPU" "cat > /dev/null" 0
echo
echo "### file -> /dev/null and file -> file (no pipe)"
echo
echo "| command | median s | GB/s | vs GNU cat |"
echo "|---|---|---|---|"
out="$BENCH_DIR/out.bin"
cp "$f" "$out"  # written in place (1<>, no truncation): fresh pages and writeback are slow here
run_interleaved \
  gnu-cat-null "$pin0 cat $f > /dev/null" \
  splice-cat-null "$pin0 $BIN/splice-cat $f > /dev/null" \
  gnu-cat-file "$pin0 cat $f 1<> $out" \
  splice-cat-file "$pin0 $BIN/splice-cat $f 1<> $out" | table "$bytes" gnu-cat-null
small="$BENCH_DIR/small.txt"
seq 1 200 > "$small"
echo
echo "### 2000 small files (1 KiB each) -> pipe"
echo
echo "| command | median s | vs GNU cat |"
echo "|---|---|---|"
mkdir -p "$BENCH_DIR/small"
for i in $(seq 2000); do [ -f "$BENCH_DIR/small/$i" ] || cp "$small" "$BENCH_DIR/small/$i"; done
run_interleaved \
  gnu-cat "cd $BENCH_DIR/small && $pin0 cat * | cat > /dev/null" \
  splice-cat "cd $BENCH_DIR/small && $pin0 $BIN/splice-cat * | cat > /dev/null" |
  awk '{ name[NR]=$1; t[NR]=$2 } END { for (i=1;i<=NR;i++) printf "| %s | %.4f | %.2fx |\n", name[i], t[i], t[1]/t[i] }'
