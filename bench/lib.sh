# Shared helpers for the whole-command benchmarks (sourced, not run).
#
# Method (PERFORMANCE.md): the file is hot in the page cache; every stage of a pipeline is
# pinned (CPU 0 for all stages = "same", or producer on 0 and consumer on 1 = "split");
# candidates run interleaved (A, B, C, A, B, C ...) so drift hits all alike; we report medians
# and ratios against a peer measured in the same run, never absolute targets.

BENCH_RUNS=${BENCH_RUNS:-7}
# Input files are shared between scripts and kept (fresh pages are slow here); everything else a
# script writes (timing files, outputs) goes to a folder of its own, so benchmarks run at the same
# time never overwrite each other's files. It is removed when the script exits (unless the
# script sets its own EXIT trap, which must then remove it).
BENCH_INPUTS=${BENCH_INPUTS:-${TMPDIR:-/tmp}/conduit-bench}
mkdir -p "$BENCH_INPUTS"
BENCH_DIR=$(mktemp -d "$BENCH_INPUTS/run.XXXXXX")

# cache_as_read FILE: FILE in the page cache as a file read from disk is: dropped from the cache
# (written back first), then read again. How a file sits in the cache depends on how its pages
# got there: written by small write(2)s it stays in 4 KiB folios, read back by readahead it
# comes in large folios (2 MiB on this kernel, ext4), and the cost of mapping it (hw-encrypt's
# input) differs by a quarter between the two (docs/benchmarks.md, session 8). Every run starts
# from the same layout, the one a file read from disk has.
cache_as_read() {
  sync "$1"
  dd if="$1" iflag=nocache count=0 status=none
  cat "$1" > /dev/null
}

# bench_file SIZE_MIB: a random file, created once and reused (fresh pages are slow here).
bench_file() {
  local f="$BENCH_INPUTS/input-$1M"
  if [ ! -f "$f" ] || [ "$(stat -c %s "$f")" -ne $(( $1 * 1048576 )) ]; then
    head -c "$(( $1 * 1048576 ))" /dev/urandom > "$f.tmp" && mv "$f.tmp" "$f"
  fi
  cache_as_read "$f"
  echo "$f"
}

# bench_setup NAME DEFAULT_MIB "$@": the arguments of a throughput script (BIN_DIR [SIZE_MIB]):
# sets BIN, SIZE, f (a cached input file of SIZE MiB) and bytes; false when command NAME is not
# built in BIN_DIR (the caller then exits 0: the benchmark is skipped, with a word on stderr).
bench_setup() {
  local name=$1 default=$2
  shift 2
  [ $# -ge 1 ] || { echo "usage: $(basename "$0") BIN_DIR [SIZE_MIB]" >&2; exit 2; }
  BIN=$(cd "$1" && pwd)
  SIZE=${2:-$default}
  need_commands "$BIN" "$name" || return 1
  f=$(bench_file "$SIZE")
  bytes=$(( SIZE * 1048576 ))
}

# Servers a script keeps in the background: it adds their pids to `daemons`; they are stopped
# (and BENCH_DIR removed) when the script exits, or earlier by stop_all.
daemons=()
stop_all() {
  local p
  for p in "${daemons[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${daemons[@]}"; do wait "$p" 2>/dev/null || true; done
  daemons=()
}
trap 'stop_all; rm -rf "$BENCH_DIR"' EXIT

# seconds CMD...: wall time of one run of a shell command line, in seconds.
seconds() {
  local start end
  start=$(date +%s.%N)
  bash -c "$1" || echo "bench: command failed: $1" >&2
  end=$(date +%s.%N)
  echo "$end - $start" | bc -l
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# run_interleaved NAME1 CMD1 NAME2 CMD2 ...: BENCH_RUNS rounds; prints "NAME median_seconds".
run_interleaved() {
  local -a names=() cmds=()
  while [ $# -gt 0 ]; do names+=("$1"); cmds+=("$2"); shift 2; done
  local i r
  for i in "${!names[@]}"; do : > "$BENCH_DIR/times.$i"; done
  for r in $(seq "$BENCH_RUNS"); do
    for i in "${!names[@]}"; do seconds "${cmds[$i]}" >> "$BENCH_DIR/times.$i"; done
  done
  for i in "${!names[@]}"; do echo "${names[$i]} $(median < "$BENCH_DIR/times.$i")"; done
}

# collect_runs PREFIX "NAME..." FN ARG...: BENCH_RUNS rounds of `FN NAME ARG...` for each NAME
# in turn (interleaved); what each run prints is appended to the file PREFIX.NAME.
collect_runs() {
  # (Names unlikely to shadow the caller's globals: FN runs with these locals in scope.)
  local __prefix=$1 __names=$2 __fn=$3 __round __name
  shift 3
  for __name in $__names; do : > "$__prefix.$__name"; done
  for __round in $(seq "$BENCH_RUNS"); do
    for __name in $__names; do "$__fn" "$__name" "$@" >> "$__prefix.$__name"; done
  done
}

# time_interleaved FN NAME...: BENCH_RUNS rounds of `FN NAME` for each NAME in turn (FN prints
# the seconds of one run); prints "NAME median_seconds" per NAME. For runs that need setup around
# the timed part (listeners, clients), which run_interleaved's single command lines cannot hold.
time_interleaved() {
  local __fn=$1 __name
  shift
  collect_runs "$BENCH_DIR/times" "$*" "$__fn"
  for __name in "$@"; do echo "$__name $(median < "$BENCH_DIR/times.$__name")"; done
}

# table BYTES BASELINE_NAME < "name seconds" lines: Markdown rows with GB/s and ratio.
table() {
  local bytes=$1 base=$2
  awk -v bytes="$bytes" -v base="$base" '
    { name[NR]=$1; t[NR]=$2; if ($1 == base) bt=$2 }
    END { for (i=1; i<=NR; i++)
            printf "| %s | %.3f | %.2f | %.2fx |\n", name[i], t[i], bytes/t[i]/1e9, (bt > 0 ? bt/t[i] : 0) }'
}

# need_commands BIN_DIR NAME...: true when every NAME is built in BIN_DIR; otherwise says which
# is missing on stderr (the caller then skips its benchmark).
need_commands() {
  local bin=$1 name
  shift
  for name in "$@"; do
    [ -x "$bin/$name" ] || { echo "bench: $name not built, $(basename "$0") skipped" >&2; return 1; }
  done
}

# free_port: a TCP port on 127.0.0.1 that is free now (for peers that cannot listen on port 0).
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_port PORT: until something listens on PORT (at most 5 s), without connecting to it.
wait_port() {
  local i
  for i in $(seq 500); do
    [ -n "$(ss -Hltn "sport = :$1")" ] && return 0
    sleep 0.01
  done
  echo "bench: nothing listens on $1" >&2
  return 1
}

# median_rows PREFIX BYTES OURS NAME...: Markdown rows "| NAME | median s | GB/s | CPU s | ratio |"
# from the files $BENCH_DIR/PREFIX.NAME, each line "seconds cpu_seconds" of one run; the ratio
# is OURS's speed against NAME's ("1.50x faster"). A NAME in $BENCH_REFERENCE (a measure, not a
# candidate: a direct fetch) gets "-" for its CPU and ratio.
median_rows() {
  python3 - "$BENCH_DIR" "$@" <<'PY'
import os, statistics, sys
d, prefix, size, ours, names = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5:]
reference = os.environ.get("BENCH_REFERENCE", "").split()
def med(name, col):
    rows = [l.split() for l in open("%s/%s.%s" % (d, prefix, name)) if l.strip()]
    return statistics.median(float(r[col]) for r in rows)
base = med(ours, 0)
for name in names:
    t = med(name, 0)
    cpu = "-" if name in reference else "%.2f" % med(name, 1)
    ratio = "-" if name == ours or name in reference else "%.2fx faster" % (t / base)
    print("| %s | %.3f | %.2f | %s | %s |" % (name, t, size / t / 1e9, cpu, ratio))
PY
}
