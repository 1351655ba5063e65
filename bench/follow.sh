#!/bin/bash
# Following a growing file: the CPU a follower spends per GB appended, splice-cat --follow and
# splice-net serve --follow against GNU tail -f -c +1 (the classic tool, which reads and writes
# every byte after each inotify wake-up), measured in the same run.
#   to a pipe:   FOLLOWER | cat > /dev/null            (the follower's CPU alone)
#   to a client: tail -f -c +1 | nc -N HOST PORT        (tail + nc)
#                splice-cat --follow | splice-net send  (both)
#                splice-net serve --follow, nc -d as the client (the server alone)
# The writer (pinned to CPU 0) appends the input in pieces of 64 KiB (bulk) or 1316 bytes (seven
# MPEG-TS packets, a live stream's usual unit) while the follower (CPU 1) follows from the start;
# receivers on CPU 1 too are not counted. Followers stop by --pid after a sentinel process
# the script kills once the writer is done (tail and splice-cat check it every 0.1 s), the
# server by --idle 0.1 after the writer's close, then SIGTERM. CPU is user + system seconds of the
# follower (and its pipeline) as getrusage(RUSAGE_CHILDREN) of a wrapper says (nanoseconds, where
# /usr/bin/time has 10 ms ticks); medians of BENCH_RUNS, interleaved.
# Usage: bench/follow.sh BIN_DIR [BULK_MIB] [SMALL_MIB]   (prints a Markdown section)
set -euo pipefail
BIN=$(cd "${1:?usage: follow.sh BIN_DIR [BULK_MIB] [SMALL_MIB]}" && pwd)
BULK=${2:-1024}
SMALL=${3:-128}
BENCH_RUNS=${BENCH_RUNS:-5}
. "$(dirname "$0")/lib.sh"
need_commands "$BIN" splice-cat splice-net || exit 0
for tool in tail nc dd python3; do
  command -v "$tool" > /dev/null || { echo "bench: $tool missing" >&2; exit 1; }
done
SC="$BIN/splice-cat"
SN="$BIN/splice-net"
REC="$BENCH_DIR/rec"
# cpu CMD...: runs CMD; its CPU seconds (user + system, its descendants included) go to $BENCH_DIR/cpu.
cat > "$BENCH_DIR/cpu.py" <<'PY'
import resource, subprocess, sys
subprocess.run(sys.argv[2:])
r = resource.getrusage(resource.RUSAGE_CHILDREN)
open(sys.argv[1], "w").write("%.4f\n" % (r.ru_utime + r.ru_stime))
PY

# write_rec INPUT PIECE: appends INPUT to $REC in pieces of PIECE bytes, one write(2) each.
write_rec() {
  if [ "$2" -ge 65536 ]; then
    taskset -c 0 dd if="$1" of="$REC" bs="$2" oflag=append conv=notrunc status=none
  else
    taskset -c 0 python3 - "$1" "$REC" "$2" <<'PY'
import os, sys
src, dst, piece = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = open(src, "rb").read()
fd = os.open(dst, os.O_WRONLY | os.O_APPEND)
for off in range(0, len(data), piece):
    os.write(fd, data[off:off + piece])
os.close(fd)
PY
  fi
}

# one_run NAME INPUT PIECE: the follower's CPU seconds (user + system) for one recording.
one_run() {
  local name=$1 input=$2 piece=$3 port sentinel fpid="" rpid=""
  : > "$REC"
  : > "$BENCH_DIR/cpu"
  sleep 1000 &
  sentinel=$!
  port=$(free_port)
  local T="python3 $BENCH_DIR/cpu.py $BENCH_DIR/cpu"
  case $name in
    tail-pipe)
      $T taskset -c 1 tail -f -s 0.1 --pid="$sentinel" -c +1 "$REC" | taskset -c 1 cat > /dev/null & ;;
    splice-cat-pipe)
      $T taskset -c 1 "$SC" --follow --sleep-interval=0.1 --pid="$sentinel" "$REC" |
        taskset -c 1 cat > /dev/null & ;;
    tail-nc|splice-cat-send)
      taskset -c 1 "$SN" recv "127.0.0.1:$port" > /dev/null &
      rpid=$!
      wait_port "$port"
      if [ "$name" = tail-nc ]; then
        $T taskset -c 1 sh -c "tail -f -s 0.1 --pid=$sentinel -c +1 '$REC' | nc -N 127.0.0.1 $port" &
      else
        $T taskset -c 1 sh -c "'$SC' --follow --sleep-interval=0.1 --pid=$sentinel '$REC' | '$SN' send 127.0.0.1:$port" &
      fi ;;
    serve-follow)
      $T taskset -c 1 "$SN" serve -q --follow --idle 0.1 "127.0.0.1:$port" "$REC" 2> /dev/null &
      fpid=$!
      wait_port "$port"
      taskset -c 1 nc -d 127.0.0.1 "$port" > /dev/null &
      rpid=$! ;;
  esac
  [ -n "$fpid" ] || fpid=$!
  write_rec "$input" "$piece"
  kill "$sentinel"
  wait "$sentinel" 2> /dev/null || true
  if [ "$name" = serve-follow ]; then
    wait "$rpid"  # the client's end: following ended and it has everything
    pkill -TERM -P "$fpid" || true  # the wrapper's child: taskset, which became splice-net
  fi
  wait "$fpid" || true
  [ -n "$rpid" ] && { wait "$rpid" 2> /dev/null || true; }
  cat "$BENCH_DIR/cpu"
}

section() {  # TITLE SIZE_MIB PIECE
  local title=$1 size=$2 piece=$3 input r name
  input=$(bench_file "$size")
  local -a names=(tail-pipe splice-cat-pipe tail-nc splice-cat-send serve-follow)
  collect_runs "$BENCH_DIR/follow" "${names[*]}" one_run "$input" "$piece"
  echo
  echo "### $title"
  echo
  echo "| follower | CPU s (median) | CPU s per GB appended | tail -f's CPU / this |"
  echo "|---|---|---|---|"
  python3 - "$BENCH_DIR" "$(( size * 1048576 ))" "${names[@]}" <<'PY'
import statistics, sys
d, nbytes, names = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
med = {n: statistics.median(float(x) for x in open(f"{d}/follow.{n}").read().split()) for n in names}
label = {"tail-pipe": "tail -f -c +1 \\| cat", "splice-cat-pipe": "splice-cat --follow \\| cat",
         "tail-nc": "tail -f -c +1 \\| nc (both)", "splice-cat-send": "splice-cat --follow \\| splice-net send (both)",
         "serve-follow": "splice-net serve --follow"}
peer = {"tail-pipe": "tail-pipe", "splice-cat-pipe": "tail-pipe", "tail-nc": "tail-nc",
        "splice-cat-send": "tail-nc", "serve-follow": "tail-nc"}
for n in names:
    base = med[peer[n]]
    ratio = "%.1fx" % (base / med[n]) if med[n] > 0 else "inf"
    print("| %s | %.4f | %.3f | %s |" % (label[n], med[n], med[n] / nbytes * 1e9, ratio))
PY
}

echo
echo "## Following a growing file (bench/follow.sh, median of $BENCH_RUNS)"
section "$BULK MiB appended in 64 KiB pieces" "$BULK" 65536
section "$SMALL MiB appended in 1316-byte pieces (7 MPEG-TS packets)" "$SMALL" 1316
